//! The `sources` job: flags the new local episodes of a day, each with its evidence.
//!
//! For the local day `D` (network time zone) it reads the hourly data of `D` and of the
//! `context_days` days before it — the network background and each station's episode
//! threshold (a robust spread of its excess) need more than one day — and runs the source
//! analysis ([`crate::sources::analyse`]) on that window, which ends with the last hour of `D`
//! (labelled `D+1 00:00`), so the result does not depend on when the job runs. Every station
//! episode whose first hour belongs to `D` is **new** and becomes a [`SourceFlag`]; an episode
//! that began the day before is not (the window shows where it began). Regional (network)
//! episodes are not flagged: they have no station and no local source to inspect.
//!
//! Flags are stored by key (station, pollutants, start), so running the job again for the same
//! day replaces its flags instead of adding to them. A re-run that sees different data (late
//! hours, corrections) may find an episode with another pollutant set or start; its earlier
//! flag is kept, never silently deleted — someone may already have acted on it.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use chrono_tz::Tz;

use crate::assess::daily::hour_slot;
use crate::sources::analysis::LabelledEpisode;
use crate::sources::days::{day_window, hourly_series};
use crate::sources::signature::FEATURES;
use crate::sources::triangulate::{Projection, distance_m};
use crate::sources::{Analysis, AnalysisConfig, StationSeries, analyse};
use crate::store::{
    AnalysedDay, FlagBearing, FlagEvidence, FlagGroup, FlagLocation, FlagPeak, FlagRatios,
    FlagWindow, PollutantExcess, ReadingStore, SourceFlag, SourceFlagStore, StationStore,
    StoreError,
};
use crate::units::Parameter;

pub use super::config::DEFAULT_CONTEXT_DAYS;

/// Why a day could not be flagged.
#[derive(Debug, thiserror::Error)]
pub enum FlagError {
    /// Reading or writing the store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No station has valid hourly data in the analysed day.
    #[error("no valid hourly data for {day} (nothing to flag)")]
    NoData {
        /// The day.
        day: NaiveDate,
    },
}

/// Which job run flags: its name and scheduled time (recorded with every flag).
#[derive(Debug, Clone, Copy)]
pub struct FlagRun<'a> {
    /// The job's name.
    pub job: &'a str,
    /// The scheduled time of the run.
    pub scheduled: DateTime<Utc>,
}

/// The analysis settings of the `sources` job in `tz`: the defaults without the factor
/// apportionment (flags carry no factors, and it would be most of the job's cost).
pub fn job_analysis(tz: Tz) -> AnalysisConfig {
    AnalysisConfig {
        time_zone: tz,
        factors: None,
        ..AnalysisConfig::default()
    }
}

/// Analyses `day` with `context_days` of data before it and stores a flag for each new
/// station episode (see the [module documentation](self)), then records the day as analysed
/// ([`AnalysedDay`]: after the flags, so that a day recorded as analysed has its flags).
/// Returns that record.
pub fn flag_day(
    store: &mut (impl ReadingStore + StationStore + SourceFlagStore + ?Sized),
    day: NaiveDate,
    tz: Tz,
    context_days: u32,
    cfg: &AnalysisConfig,
    run: FlagRun<'_>,
) -> Result<AnalysedDay, FlagError> {
    let (from, to) = day_window(day - TimeDelta::days(i64::from(context_days)), day, tz);
    let in_day = |t: DateTime<Utc>| hour_slot(t.with_timezone(&tz).naive_local()).0 == day;
    let mut day_has_data = false;
    let series = hourly_series(store, from, to, |page| {
        day_has_data |= page
            .iter()
            .any(|r| r.flag.is_valid() && r.value.is_finite() && in_day(r.time));
    })?;
    if !day_has_data {
        return Err(FlagError::NoData { day });
    }
    let analysis = analyse(&series, cfg);
    for p in &analysis.problems {
        tracing::debug!(%day, "source analysis: {p}");
    }
    let window = FlagWindow {
        from,
        to,
        stations: u32::try_from(series.len()).unwrap_or(u32::MAX),
    };
    let flagged_at = Utc::now();
    let mut flags = Vec::new();
    for e in &analysis.episodes {
        let ep = &e.episode;
        // Network-wide episodes have no station and no local source to inspect.
        let Some(station) = ep.scope.station() else {
            continue;
        };
        if !in_day(ep.start) {
            continue;
        }
        let Some(s) = series.iter().find(|s| s.station == station) else {
            continue;
        };
        flags.push(flag_of(e, s, &analysis, cfg, window, run, flagged_at));
    }
    let stored = store.put_source_flags(&flags)?;
    let analysed = AnalysedDay {
        day,
        window,
        flags: stored,
        job: run.job.to_string(),
        job_scheduled: run.scheduled,
        analysed_at: flagged_at,
    };
    store.put_analysed_days(std::slice::from_ref(&analysed))?;
    tracing::info!(%day, flags = stored, "source flags stored");
    Ok(analysed)
}

/// The flag of one episode of station `s`, flagged at `flagged_at` by `run`.
fn flag_of(
    e: &LabelledEpisode,
    s: &StationSeries,
    analysis: &Analysis,
    cfg: &AnalysisConfig,
    window: FlagWindow,
    run: FlagRun<'_>,
    flagged_at: DateTime<Utc>,
) -> SourceFlag {
    let ep = &e.episode;
    let mut pollutants = ep.pollutants.clone();
    pollutants.sort_unstable();
    pollutants.dedup();
    let peak_parameter = ep.peak_pollutant;
    let peak_index = usize::try_from((ep.peak_time - s.start).num_hours()).ok();
    let peak_value = s
        .get(peak_parameter)
        .zip(peak_index)
        .and_then(|(v, i)| v.get(i).copied())
        .unwrap_or(f64::NAN);
    // Every episode pollutant has a floor: the episode thresholds come from `min_excess`.
    let floor = cfg
        .excess
        .min_excess
        .get(&peak_parameter)
        .copied()
        .filter(|f| *f > 0.0)
        .unwrap_or(1.0);
    let mut excess = std::collections::BTreeMap::new();
    for (&p, &x) in &ep.mean_excess {
        if let Some(&mean) = ep.mean_conc.get(&p) {
            excess.insert(p, PollutantExcess { mean, excess: x });
        }
    }
    let finite = |v: f64| v.is_finite().then_some(v);
    let r = &e.ratios;
    let group = e.group.as_ref().and_then(|(g, label)| {
        let group = analysis.groups.groups.get(*g)?;
        Some(FlagGroup {
            index: u32::try_from(*g).ok()?,
            label: *label,
            size: u32::try_from(group.size).ok()?,
            centroid: FEATURES
                .iter()
                .zip(&group.centroid)
                .map(|(f, v)| (f.to_string(), *v))
                .collect(),
        })
    });
    SourceFlag {
        station: s.station.clone(),
        pollutants: pollutants.clone(),
        start: ep.start,
        end: ep.end,
        peak: FlagPeak {
            time: ep.peak_time,
            parameter: peak_parameter,
            value: peak_value,
            excess: ep.peak,
        },
        source_type: e.source_type,
        severity: ep.peak / floor,
        evidence: FlagEvidence {
            hours: u32::try_from(ep.hours).unwrap_or(u32::MAX),
            excess,
            ratios: FlagRatios {
                so2_nox: finite(r.so2_nox),
                co_nox: finite(r.co_nox),
                pm25_pm10: finite(r.pm25_pm10),
                o3_depression: finite(r.o3_depression),
            },
            rule: e.rule.clone(),
            group,
            wind_from_deg: ep.wind_from_deg,
            bearing: bearing(analysis, &s.station, &pollutants),
            located: s
                .position
                .and_then(|pos| nearest_source(analysis, pos, cfg.max_range_m)),
            ongoing: ep.end + TimeDelta::hours(1) >= window.to,
            window,
        },
        flagged_at,
        job: run.job.to_string(),
        job_scheduled: run.scheduled,
    }
}

/// The station's strongest CPF bearing (highest z), of the episode's pollutants when it has
/// one for them, else of any pollutant.
fn bearing(analysis: &Analysis, station: &str, pollutants: &[Parameter]) -> Option<FlagBearing> {
    let here: Vec<(Parameter, &crate::sources::cpf::Bearing)> = analysis
        .bearings
        .iter()
        .filter(|b| b.station == station)
        .map(|b| (b.pollutant, &b.bearing))
        .collect();
    let strongest = |only_episode: bool| {
        here.iter()
            .filter(|(p, _)| !only_episode || pollutants.contains(p))
            .max_by(|a, b| a.1.z.total_cmp(&b.1.z))
    };
    let (p, b) = strongest(true).or_else(|| strongest(false))?;
    Some(FlagBearing {
        pollutant: *p,
        bearing_deg: b.bearing_deg,
        sigma_deg: b.sigma_deg,
        confidence: b.confidence,
        z: b.z,
        cpf: b.cpf,
        hours: u32::try_from(b.n).unwrap_or(u32::MAX),
        high_hours: u32::try_from(b.m).unwrap_or(u32::MAX),
    })
}

/// The located source nearest to `pos` within `max_range_m`.
fn nearest_source(analysis: &Analysis, pos: (f64, f64), max_range_m: f64) -> Option<FlagLocation> {
    let (d, l) = analysis
        .located
        .iter()
        .map(|l| (distance_m(pos, (l.lat, l.lon)), l))
        .filter(|(d, _)| *d <= max_range_m)
        .min_by(|a, b| a.0.total_cmp(&b.0))?;
    let (x, y) = Projection::new(pos.0, pos.1).xy(l.lat, l.lon);
    Some(FlagLocation {
        lat: l.lat,
        lon: l.lon,
        radius_m: l.radius_m,
        residual_rms_m: l.residual_rms_m,
        distance_m: d,
        bearing_deg: x.atan2(y).to_degrees().rem_euclid(360.0),
        pollutants: l.pollutants.clone(),
        stations: l.stations.clone(),
    })
}
