//! A station's hourly series: wind and pollutants on one hourly time axis.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};

use super::SourceError;
use crate::quality::Flag;
use crate::store::{Record, Resolution, StationId, StationInfo};
use crate::units::{NO_AS_NO2, Parameter};

/// Wind speeds below this are calms (m/s): no meaningful direction.
pub const CALM_MS: f64 = 0.5;

/// One station's hourly data on a regular hourly axis (`NaN` = missing or not `N`-flagged).
#[derive(Debug, Clone, PartialEq)]
pub struct StationSeries {
    /// Station id.
    pub station: String,
    /// Latitude / longitude, when known.
    pub position: Option<(f64, f64)>,
    /// The first hour (hour-ending label, UTC).
    pub start: DateTime<Utc>,
    /// Wind speed, m/s.
    pub ws: Vec<f64>,
    /// Wind direction (from), degrees.
    pub wd: Vec<f64>,
    /// Pollutant values in canonical units (CO mg/m³, others µg/m³).
    pub values: BTreeMap<Parameter, Vec<f64>>,
    /// The station counts for the network background: an assessment station
    /// ([`crate::store::StationRole::is_assessed`]). Micro stations and background sites are
    /// analysed against the background but never make it.
    pub in_background: bool,
}

impl StationSeries {
    /// An empty series of `hours` hours from `start`.
    pub fn new(
        station: &str,
        position: Option<(f64, f64)>,
        start: DateTime<Utc>,
        hours: usize,
    ) -> Self {
        StationSeries {
            station: station.to_string(),
            position,
            start,
            ws: vec![f64::NAN; hours],
            wd: vec![f64::NAN; hours],
            values: BTreeMap::new(),
            in_background: true,
        }
    }

    /// Number of hours on the axis.
    pub fn len(&self) -> usize {
        self.ws.len()
    }

    /// Whether the axis is empty.
    pub fn is_empty(&self) -> bool {
        self.ws.is_empty()
    }

    /// The label time of hour `i`.
    pub fn time(&self, i: usize) -> DateTime<Utc> {
        self.start + TimeDelta::hours(i as i64)
    }

    /// Sets `p` at hour `i` (wind parameters go to `ws`/`wd`; others to `values`).
    pub fn set(&mut self, p: Parameter, i: usize, v: f64) {
        let n = self.len();
        match p {
            Parameter::WindSpeed => self.ws[i] = v,
            Parameter::WindDirection => self.wd[i] = v.rem_euclid(360.0),
            _ => self.values.entry(p).or_insert_with(|| vec![f64::NAN; n])[i] = v,
        }
    }

    /// The values of `p` (`None` when never set).
    pub fn get(&self, p: Parameter) -> Option<&[f64]> {
        self.values.get(&p).map(Vec::as_slice)
    }

    /// NOx as NO2 mass: the measured NOx, else NO2 + NO × 46/30 where both exist.
    pub fn nox(&self) -> Option<Vec<f64>> {
        if let Some(v) = self.get(Parameter::Nox)
            && v.iter().any(|x| x.is_finite())
        {
            return Some(v.to_vec());
        }
        let no2 = self.get(Parameter::No2)?;
        let no = self.get(Parameter::No)?;
        Some(no2.iter().zip(no).map(|(a, b)| a + b * NO_AS_NO2).collect())
    }

    /// Builds one series per station from hourly records in `[from, to)`; only `N`-flagged
    /// hourly values are used. Stations without records are left out.
    pub fn from_records(
        records: &[Record],
        stations: &[StationInfo],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Vec<StationSeries> {
        let mut series = SeriesBuilder::new(stations, from, to);
        series.add(records);
        series.finish()
    }

    /// The (ws, wd, concentration) triples of `p` with all three valid, after checking the
    /// wind: errors name the station and what is missing. Calms are kept (callers drop them).
    pub fn wind_obs(&self, p: Parameter, min_hours: usize) -> Result<Vec<WindObs>, SourceError> {
        let station = self.station.clone();
        let has_ws = self.ws.iter().any(|v| v.is_finite());
        let has_wd = self.wd.iter().any(|v| v.is_finite());
        if !has_ws || !has_wd {
            let what = match (has_ws, has_wd) {
                (false, false) => "wind speed or wind direction",
                (false, true) => "wind speed",
                _ => "wind direction",
            };
            return Err(SourceError::MissingWind {
                station,
                what: what.into(),
            });
        }
        let conc = self
            .get(p)
            .filter(|v| v.iter().any(|x| x.is_finite()))
            .ok_or_else(|| SourceError::MissingPollutant {
                station: station.clone(),
                pollutant: p,
            })?;
        let all: Vec<WindObs> = (0..self.len())
            .filter(|&i| self.ws[i].is_finite() && self.wd[i].is_finite() && conc[i].is_finite())
            .map(|i| WindObs {
                hour: i,
                ws: self.ws[i],
                wd: self.wd[i],
                c: conc[i],
            })
            .collect();
        if all.len() < min_hours {
            return Err(SourceError::TooLittleData {
                station,
                what: format!("polar analysis of {}", p.code()),
                have: all.len(),
                need: min_hours,
            });
        }
        let windy: Vec<&WindObs> = all.iter().filter(|o| o.ws >= CALM_MS).collect();
        if windy.is_empty() {
            return Err(SourceError::OnlyCalms {
                station,
                calm: all.len(),
                total: all.len(),
                limit: CALM_MS,
            });
        }
        let first = windy[0].wd;
        if windy
            .iter()
            .all(|o| crate::sources::angle_diff(o.wd, first).abs() < 1.0)
        {
            return Err(SourceError::ConstantWind {
                station,
                value: first,
            });
        }
        if windy.len() < min_hours {
            return Err(SourceError::TooLittleData {
                station,
                what: format!("polar analysis of {} (non-calm hours)", p.code()),
                have: windy.len(),
                need: min_hours,
            });
        }
        Ok(all)
    }
}

/// One hour with wind and a concentration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WindObs {
    /// Hour index in the series.
    pub hour: usize,
    /// Wind speed, m/s.
    pub ws: f64,
    /// Wind direction (from), degrees.
    pub wd: f64,
    /// Concentration.
    pub c: f64,
}

/// Builds [`StationSeries`] from hourly records that come in batches (the pages of a read),
/// as [`StationSeries::from_records`] does from all of them at once.
#[derive(Debug)]
pub struct SeriesBuilder<'a> {
    stations: &'a [StationInfo],
    from: DateTime<Utc>,
    hours: usize,
    series: BTreeMap<StationId, StationSeries>,
}

impl<'a> SeriesBuilder<'a> {
    /// No series yet, for the hours `[from, to)` of `stations` (their positions and roles;
    /// a station the list lacks counts for the background, without a position).
    pub fn new(stations: &'a [StationInfo], from: DateTime<Utc>, to: DateTime<Utc>) -> Self {
        SeriesBuilder {
            stations,
            from,
            hours: usize::try_from((to - from).num_hours().max(0)).unwrap_or(0),
            series: BTreeMap::new(),
        }
    }

    /// Adds a batch of records: `N`-flagged hourly values inside the hours.
    pub fn add(&mut self, records: &[Record]) {
        for r in records {
            if r.resolution != Resolution::Hour || r.flag != Flag::Normal || !r.value.is_finite() {
                continue;
            }
            let Some(i) = usize::try_from((r.time - self.from).num_hours())
                .ok()
                .filter(|i| *i < self.hours)
            else {
                continue;
            };
            let s = self.series.entry(r.station.clone()).or_insert_with(|| {
                let info = self.stations.iter().find(|s| s.id == *r.station);
                let pos = info.and_then(|s| Some((s.lat?, s.lon?)));
                let mut series = StationSeries::new(&r.station, pos, self.from, self.hours);
                series.in_background = info.is_none_or(|s| s.role.is_assessed());
                series
            });
            s.set(r.parameter, i, r.value);
        }
    }

    /// One series per station that had a value, by station id.
    pub fn finish(self) -> Vec<StationSeries> {
        self.series.into_values().collect()
    }
}
