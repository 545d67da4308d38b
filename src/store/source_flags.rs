//! Pollution-source flags: what the `sources` job found, with the evidence behind it.
//!
//! A [`SourceFlag`] is a *new local episode* at one station — hours in which the station's
//! excess over the network background stood out — labelled with a source type. The bureau acts
//! on flags (inspections, enforcement), so each one carries everything that led to it
//! ([`FlagEvidence`]): the excess over the background, the ratios and the rule or k-means group
//! that gave the label, the station's dominant CPF bearing, the nearest triangulated source,
//! and when and by which job run it was flagged.
//!
//! The store key is (`station`, `pollutants`, `start`): putting a flag with the key of a stored
//! one replaces it, so re-running the job for a day never duplicates its flags. With the flags
//! the job records the day it analysed ([`AnalysedDay`]), so that a day without flags is told
//! from a day not analysed.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::StoreError;
use super::select::{PAGE_SIZE, PageFn, Stations, TimeSpan, collect};
use crate::units::{Parameter, SourceType};

/// A flagged episode at one station: a new local episode (hours in which the station's excess
/// over the network background stood out), labelled with a source type, with everything that
/// led to it ([`FlagEvidence`]) and the job run that flagged it. The bureau acts on flags, so
/// none is stored without its evidence.
///
/// The store key is (`station`, `pollutants`, `start`): putting a flag with the key of a
/// stored one replaces it, so re-running the job for a day never duplicates its flags.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceFlag {
    /// Station id.
    pub station: String,
    /// Pollutants whose excess crossed the episode threshold in at least one hour, in
    /// [`Parameter`] order without repeats (part of the key; the stores reject other orders).
    pub pollutants: Vec<Parameter>,
    /// The episode's first hour (hour-ending label, UTC).
    pub start: DateTime<Utc>,
    /// Its last hour (hour-ending label, UTC).
    pub end: DateTime<Utc>,
    /// The peak of the episode.
    pub peak: FlagPeak,
    /// The source type the episode's signature points to (stored as its
    /// [`SourceType::code`]; see [`crate::sources::signature`] for the rules).
    pub source_type: SourceType,
    /// How serious the episode is, comparable across pollutants and stations: the peak excess
    /// over the pollutant's absolute episode floor (e.g. 10 µg/m³ of SO2, 0.3 mg/m³ of CO).
    /// Reports list flags by it, highest first.
    pub severity: f64,
    /// What the flag rests on.
    pub evidence: FlagEvidence,
    /// When it was flagged (wall clock).
    pub flagged_at: DateTime<Utc>,
    /// The job that flagged it ([`crate::jobs::config::JobConfig::name`]).
    pub job: String,
    /// The scheduled time of that job's run: with `job`, it names the run in the store's
    /// job runs ([`crate::store::JobRun`]).
    pub job_scheduled: DateTime<Utc>,
}

/// The peak hour of an episode.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FlagPeak {
    /// Its hour-ending label (UTC).
    pub time: DateTime<Utc>,
    /// The pollutant that peaked (the highest excess relative to its episode threshold); the
    /// values are in its [`Parameter::canonical_unit`].
    pub parameter: Parameter,
    /// The station's concentration at the peak.
    pub value: f64,
    /// Its excess over the network background at the peak.
    pub excess: f64,
}

/// The evidence behind a flag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlagEvidence {
    /// Hours in the episode.
    pub hours: u32,
    /// Per pollutant: the episode's mean concentration and mean excess over the network
    /// background (canonical units).
    pub excess: BTreeMap<Parameter, PollutantExcess>,
    /// Ratios of the mean excesses (the signature).
    pub ratios: FlagRatios,
    /// The rule that gave the source type (its text, e.g. `SO2/NOx ≥ 0.3 and SO2 excess ≥ 5`).
    pub rule: String,
    /// The k-means group of the episode's signature, when the episodes could be grouped.
    pub group: Option<FlagGroup>,
    /// Circular mean of the wind direction (from, degrees) during the episode.
    pub wind_from_deg: Option<f64>,
    /// The station's dominant CPF bearing, if it has one.
    pub bearing: Option<FlagBearing>,
    /// The nearest triangulated source, if one was located within range of the station.
    pub located: Option<FlagLocation>,
    /// The episode was still going at the end of the analysed period (its `end` is where the
    /// data stopped, not where the episode did).
    pub ongoing: bool,
    /// The analysed period and the network behind the background.
    pub window: FlagWindow,
}

/// Mean concentration and excess of one pollutant over an episode.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PollutantExcess {
    /// Mean concentration at the station.
    pub mean: f64,
    /// Mean excess over the network background (the background is `mean − excess`).
    pub excess: f64,
}

/// Ratios of an episode's mean excesses; `None` where the denominator was too small.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct FlagRatios {
    /// SO2 / NOx (mass, NOx as NO2).
    pub so2_nox: Option<f64>,
    /// CO (µg/m³) / NOx (µg/m³).
    pub co_nox: Option<f64>,
    /// PM2.5 / PM10.
    pub pm25_pm10: Option<f64>,
    /// O3 excess over the O3 background, as a share of it (negative: titration).
    pub o3_depression: Option<f64>,
}

/// The k-means group of an episode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlagGroup {
    /// Group number in the run's grouping.
    pub index: u32,
    /// The majority rule label of its members.
    pub label: SourceType,
    /// Its members.
    pub size: u32,
    /// Its centroid: (feature name, value in feature units).
    pub centroid: Vec<(String, f64)>,
}

/// A station's dominant CPF bearing.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FlagBearing {
    /// The pollutant of the CPF.
    pub pollutant: Parameter,
    /// Direction towards the source, degrees clockwise from north.
    pub bearing_deg: f64,
    /// Angular half-width, degrees.
    pub sigma_deg: f64,
    /// Confidence 0–1 (Bonferroni-corrected over the sectors).
    pub confidence: f64,
    /// Binomial z-score of the peak window.
    pub z: f64,
    /// Smoothed CPF at the peak.
    pub cpf: f64,
    /// Non-calm hours in the peak window.
    pub hours: u32,
    /// Of those, hours above the CPF threshold.
    pub high_hours: u32,
}

/// A triangulated source near the station.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlagLocation {
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// Uncertainty radius, m.
    pub radius_m: f64,
    /// RMS perpendicular residual of the bearing lines, m.
    pub residual_rms_m: f64,
    /// Distance from the station, m.
    pub distance_m: f64,
    /// Direction from the station, degrees clockwise from north.
    pub bearing_deg: f64,
    /// Pollutants whose bearings met there.
    pub pollutants: Vec<Parameter>,
    /// Stations whose bearings met there.
    pub stations: Vec<String>,
}

/// The period the flag's analysis covered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlagWindow {
    /// First hour label analysed (UTC).
    pub from: DateTime<Utc>,
    /// End of the analysis (exclusive, UTC).
    pub to: DateTime<Utc>,
    /// Stations with data in the period (the network background is their median).
    pub stations: u32,
}

impl SourceFlag {
    /// The key as the stores keep it: the pollutant codes joined by `,` (`so2,no2`).
    pub fn pollutant_key(&self) -> String {
        let codes: Vec<&str> = self.pollutants.iter().map(|p| p.code()).collect();
        codes.join(",")
    }

    /// Why the flag cannot be stored, if it cannot: an empty station or job, no
    /// pollutants or pollutants out of order, an end before the start, or a number that is
    /// not finite (NaN and ±∞ have no JSON and no InfluxDB form).
    pub fn check(&self) -> Result<(), String> {
        let whose = || {
            format!(
                "source flag {} {} at {}",
                self.station,
                self.pollutant_key(),
                self.start
            )
        };
        let fail = |why: String| Err(format!("{}: {why}", whose()));
        if self.station.is_empty() || self.job.is_empty() {
            return fail("station and job must not be empty".into());
        }
        if self.pollutants.is_empty() {
            return fail("no pollutants".into());
        }
        if !self.pollutants.windows(2).all(|w| w[0] < w[1]) {
            return fail("pollutants must be in parameter order without repeats".into());
        }
        if self.end < self.start {
            return fail(format!("end {} before the start", self.end));
        }
        let e = &self.evidence;
        let r = &e.ratios;
        let mut numbers = vec![
            ("peak value", self.peak.value),
            ("peak excess", self.peak.excess),
            ("severity", self.severity),
        ];
        for (p, x) in &e.excess {
            numbers.push((p.code(), x.mean));
            numbers.push((p.code(), x.excess));
        }
        let optional = [
            ("SO2/NOx", r.so2_nox),
            ("CO/NOx", r.co_nox),
            ("PM2.5/PM10", r.pm25_pm10),
            ("O3 depression", r.o3_depression),
            ("wind direction", e.wind_from_deg),
        ];
        numbers.extend(optional.iter().filter_map(|(n, v)| Some((*n, (*v)?))));
        if let Some(g) = &e.group {
            numbers.extend(g.centroid.iter().map(|(_, v)| ("group centroid", *v)));
        }
        if let Some(b) = &e.bearing {
            numbers.extend([
                ("bearing", b.bearing_deg),
                ("bearing sigma", b.sigma_deg),
                ("confidence", b.confidence),
                ("z", b.z),
                ("CPF", b.cpf),
            ]);
        }
        if let Some(l) = &e.located {
            numbers.extend([
                ("located lat", l.lat),
                ("located lon", l.lon),
                ("located radius", l.radius_m),
                ("located residual", l.residual_rms_m),
                ("located distance", l.distance_m),
                ("located bearing", l.bearing_deg),
            ]);
        }
        match numbers.iter().find(|(_, v)| !v.is_finite()) {
            Some((name, v)) => fail(format!("{name} is {v}")),
            None => Ok(()),
        }
    }
}

/// A range read of source flags: the flags whose episode started in `[from, to)`, of the
/// selected stations.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceFlagQuery {
    /// Stations to include.
    pub stations: Stations,
    /// Inclusive start (episode start).
    pub from: DateTime<Utc>,
    /// Exclusive end.
    pub to: DateTime<Utc>,
}

impl SourceFlagQuery {
    /// Every station's flags of episodes that started in `[from, to)`.
    pub fn new(from: DateTime<Utc>, to: DateTime<Utc>) -> SourceFlagQuery {
        SourceFlagQuery {
            stations: Stations::All,
            from,
            to,
        }
    }

    /// The same query for `stations` only.
    pub fn for_stations(mut self, stations: Stations) -> SourceFlagQuery {
        self.stations = stations;
        self
    }

    /// Whether the query cannot select anything.
    pub fn is_empty(&self) -> bool {
        self.from >= self.to || self.stations.selects_nothing()
    }
}

/// Where source flags are kept, with the days the `sources` job analysed. Flags are keyed by
/// (`station`, `pollutants`, `start`): a flag with the key of a stored one replaces it;
/// analysed days by their day.
pub trait SourceFlagStore: Send {
    /// Stores source flags. Every flag is checked ([`SourceFlag::check`]) before anything is
    /// written. Returns how many were written.
    fn put_source_flags(&mut self, flags: &[SourceFlag]) -> Result<usize, StoreError>;

    /// Hands the flags matching `query` to `each` in pages of at most `page_size`, in the
    /// backend's order.
    fn source_flags_paged(
        &self,
        query: &SourceFlagQuery,
        page_size: usize,
        each: &mut PageFn<'_, SourceFlag>,
    ) -> Result<(), StoreError>;

    /// Records analysed days ([`AnalysedDay::check`]ed before anything is written), replacing
    /// those of the same days. Returns how many were written.
    fn put_analysed_days(&mut self, days: &[AnalysedDay]) -> Result<usize, StoreError>;

    /// The analysed days from `first` to `last` (inclusive), by day.
    fn analysed_days(
        &self,
        first: NaiveDate,
        last: NaiveDate,
    ) -> Result<Vec<AnalysedDay>, StoreError>;

    /// The earliest and latest episode start of the stored flags.
    fn source_flags_span(&self) -> Result<Option<TimeSpan>, StoreError>;

    /// Flags matching `query`, ordered by start, then station (byte order), then pollutant key
    /// ([`SourceFlag::pollutant_key`]).
    fn source_flags(&self, query: &SourceFlagQuery) -> Result<Vec<SourceFlag>, StoreError> {
        let mut out = collect(|each| self.source_flags_paged(query, PAGE_SIZE, each))?;
        out.sort_by_cached_key(|f| (f.start, f.station.clone(), f.pollutant_key()));
        Ok(out)
    }
}

/// A local day the `sources` job analysed: stored with the day's flags, it tells "no flags"
/// from "not analysed". Keyed by the day: analysing it again replaces the record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnalysedDay {
    /// The local day (network time zone).
    pub day: NaiveDate,
    /// The analysed period (the day and the context days before it) and the stations with data
    /// in it.
    pub window: FlagWindow,
    /// Flags stored for episodes that started on the day.
    pub flags: usize,
    /// The job that analysed it.
    pub job: String,
    /// The scheduled time of that job's run.
    pub job_scheduled: DateTime<Utc>,
    /// When it was analysed (wall clock).
    pub analysed_at: DateTime<Utc>,
}

impl AnalysedDay {
    /// Why the record cannot be stored, if it cannot: an empty job, or an empty window.
    pub fn check(&self) -> Result<(), String> {
        let whose = format!("analysed day {}", self.day);
        if self.job.is_empty() {
            return Err(format!("{whose}: the job must not be empty"));
        }
        if self.window.to <= self.window.from {
            return Err(format!(
                "{whose}: the window ends at {} before it starts at {}",
                self.window.to, self.window.from
            ));
        }
        Ok(())
    }
}
