//! Readings: samples and aggregates ([`Record`]s) keyed by station, parameter,
//! [`Resolution`] and time, and the [`ReadingStore`] that keeps them.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::select::{PAGE_SIZE, PageFn, Parameters, Stations, TimeSpan, collect};
use super::{StationId, StoreError};
use crate::quality::Flag;
use crate::units::Parameter;

/// The time resolution of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "&'static str")]
pub enum Resolution {
    /// One poll's sample, labelled with its scheduled poll time.
    Sample,
    /// A 1-minute mean, labelled with the end of its minute.
    Minute,
    /// An hourly mean, labelled with the end of its hour (hour-ending).
    Hour,
    /// A daily statistic, labelled with the local day's start (midnight, network time zone).
    Day,
}

impl Resolution {
    /// Every resolution.
    pub const ALL: [Resolution; 4] = [
        Resolution::Sample,
        Resolution::Minute,
        Resolution::Hour,
        Resolution::Day,
    ];

    /// The code used in the store and on the command line.
    pub const fn code(self) -> &'static str {
        match self {
            Resolution::Sample => "sample",
            Resolution::Minute => "1m",
            Resolution::Hour => "1h",
            Resolution::Day => "1d",
        }
    }

    /// The length of one period (samples have none).
    pub fn period(self) -> Option<TimeDelta> {
        match self {
            Resolution::Sample => None,
            Resolution::Minute => Some(TimeDelta::minutes(1)),
            Resolution::Hour => Some(TimeDelta::hours(1)),
            Resolution::Day => Some(TimeDelta::days(1)),
        }
    }
}

impl fmt::Display for Resolution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl From<Resolution> for &'static str {
    fn from(r: Resolution) -> Self {
        r.code()
    }
}

/// Error for an unknown resolution code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown resolution `{0}` (expected sample, 1m, 1h or 1d)")]
pub struct UnknownResolution(pub String);

impl FromStr for Resolution {
    type Err = UnknownResolution;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "sample" | "raw" => Ok(Resolution::Sample),
            "1m" | "minute" => Ok(Resolution::Minute),
            "1h" | "hour" => Ok(Resolution::Hour),
            "1d" | "day" => Ok(Resolution::Day),
            _ => Err(UnknownResolution(s.to_string())),
        }
    }
}

impl TryFrom<String> for Resolution {
    type Error = UnknownResolution;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

/// One stored value: a sample or an aggregate of one parameter at one station.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// Station id.
    pub station: StationId,
    /// What was measured.
    pub parameter: Parameter,
    /// Sample, minute, hour or day.
    pub resolution: Resolution,
    /// Label time in UTC (see [`Resolution`] for what the label means).
    pub time: DateTime<Utc>,
    /// The value in the parameter's canonical unit.
    pub value: f64,
    /// HJ 212 flag. For aggregates: `N` when the period is valid, else the dominant reason.
    pub flag: Flag,
    /// For aggregates, how many valid (`N`) values went into the mean; 1 for a valid sample,
    /// 0 for a flagged one. Imported hourly data ([`crate::import`]) have 1: "one published
    /// hourly value", whose minute data are unknown.
    pub count: u32,
}

/// A range read of readings: one resolution, a time range of label times, and which
/// stations and parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadingQuery {
    /// The resolution to read.
    pub resolution: Resolution,
    /// Stations to include.
    pub stations: Stations,
    /// Parameters to include.
    pub parameters: Parameters,
    /// Inclusive start (record label time).
    pub from: DateTime<Utc>,
    /// Exclusive end.
    pub to: DateTime<Utc>,
}

impl ReadingQuery {
    /// Every station and parameter at `resolution` with label times in `[from, to)`.
    pub fn new(resolution: Resolution, from: DateTime<Utc>, to: DateTime<Utc>) -> ReadingQuery {
        ReadingQuery {
            resolution,
            stations: Stations::All,
            parameters: Parameters::All,
            from,
            to,
        }
    }

    /// The same query for `stations` only.
    pub fn for_stations(mut self, stations: Stations) -> ReadingQuery {
        self.stations = stations;
        self
    }

    /// The same query for `parameters` only.
    pub fn for_parameters(mut self, parameters: Parameters) -> ReadingQuery {
        self.parameters = parameters;
        self
    }

    /// Whether the query cannot select anything (an empty range or an empty list).
    pub fn is_empty(&self) -> bool {
        self.from >= self.to || self.stations.selects_nothing() || self.parameters.selects_nothing()
    }
}

/// Where readings are kept.
///
/// Writes are idempotent: writing a record with the key (station, parameter, resolution,
/// time) of a stored one replaces it, so a replay after a crash or an outage never
/// duplicates.
pub trait ReadingStore: Send {
    /// Writes a batch (checked whole before anything is written); a record with the key of a
    /// stored one replaces it. Returns how many records were written.
    fn put_readings(&mut self, records: &[Record]) -> Result<usize, StoreError>;

    /// Hands the records matching `query` to `each` in pages of at most `page_size`, without
    /// holding the whole range in memory. Each series (station × parameter) comes in time
    /// order; how the series follow each other is the backend's.
    fn readings_paged(
        &self,
        query: &ReadingQuery,
        page_size: usize,
        each: &mut PageFn<'_, Record>,
    ) -> Result<(), StoreError>;

    /// The most recent record of each station × parameter at `resolution`, of the selected
    /// stations, ordered by station and parameter.
    fn latest_readings(
        &self,
        resolution: Resolution,
        stations: &Stations,
    ) -> Result<Vec<Record>, StoreError>;

    /// Number of records stored at `resolution`.
    fn count_readings(&self, resolution: Resolution) -> Result<u64, StoreError>;

    /// The label times of the earliest and the latest record at `resolution` (`None` when
    /// there is none).
    fn readings_span(&self, resolution: Resolution) -> Result<Option<TimeSpan>, StoreError>;

    /// Records matching `query`, ordered by station, parameter, time (stations in byte order
    /// of their ids, parameters in [`Parameter`]'s order, i.e. that of [`Parameter::ALL`]).
    /// Holds the whole range in memory: for long ranges use [`ReadingStore::readings_paged`].
    fn readings(&self, query: &ReadingQuery) -> Result<Vec<Record>, StoreError> {
        let mut out = collect(|each| self.readings_paged(query, PAGE_SIZE, each))?;
        sort_series(&mut out);
        Ok(out)
    }
}

/// Sorts records by station, then [`Parameter`] order, keeping the order within each series.
pub(crate) fn sort_series(records: &mut [Record]) {
    records.sort_by(|a, b| {
        a.station
            .cmp(&b.station)
            .then(a.parameter.cmp(&b.parameter))
    });
}
