//! The records a store keeps.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::quality::Flag;
use crate::units::Parameter;

/// A station identifier, shared cheaply between the many records of one station.
pub type StationId = Arc<str>;

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

/// The health of one device as its collector sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceHealth {
    /// Device id (unique in the network).
    pub device: String,
    /// The station the device belongs to.
    pub station: String,
    /// Whether the last poll succeeded.
    pub online: bool,
    /// Time (pipeline clock) of the last successful poll.
    pub last_success: Option<DateTime<Utc>>,
    /// Time of the last poll attempt.
    pub last_attempt: Option<DateTime<Utc>>,
    /// Polls attempted since the collector started.
    pub polls: u64,
    /// Polls that succeeded.
    pub successes: u64,
    /// Scheduled polls skipped because the previous one was still running.
    pub skipped: u64,
    /// Failures in a row (0 when online).
    pub consecutive_failures: u32,
    /// Round-trip time of the last successful poll, in milliseconds (real time).
    pub last_latency_ms: Option<f64>,
    /// Names of the status/alarm bits currently set.
    pub status: Vec<String>,
    /// The most recent error (kept after the device recovers, with its time in
    /// `last_failure`, so that maintainers see what happened).
    pub last_error: Option<String>,
    /// Time (pipeline clock) of the most recent failed poll.
    pub last_failure: Option<DateTime<Utc>>,
}

impl DeviceHealth {
    /// A device that has not been polled yet.
    pub fn new(device: &str, station: &str) -> DeviceHealth {
        DeviceHealth {
            device: device.to_string(),
            station: station.to_string(),
            online: false,
            last_success: None,
            last_attempt: None,
            polls: 0,
            successes: 0,
            skipped: 0,
            consecutive_failures: 0,
            last_latency_ms: None,
            status: Vec::new(),
            last_error: None,
            last_failure: None,
        }
    }

    /// Share of polls that succeeded (1 before the first poll).
    pub fn success_ratio(&self) -> f64 {
        if self.polls == 0 {
            1.0
        } else {
            self.successes as f64 / self.polls as f64
        }
    }
}

/// A station as the store knows it: collected stations (from the registry) and imported ones
/// (from analysts' files) alike. Reports, rankings and daily statistics read it.
#[derive(Debug, Clone, PartialEq)]
pub struct StationInfo {
    /// Station id.
    pub id: String,
    /// Name (Chinese, or the local language).
    pub name: String,
    /// English name.
    pub name_en: String,
    /// District / town the station ranks under.
    pub district: String,
    /// Latitude, degrees north (`None` when unknown).
    pub lat: Option<f64>,
    /// Longitude, degrees east (`None` when unknown).
    pub lon: Option<f64>,
    /// Time zone of the station's local days and hour labels.
    pub time_zone: chrono_tz::Tz,
}

/// One term of a stored index: the concentration statistic it was computed from, its
/// sub-index, and how much data stood behind it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IndexTerm {
    /// The concentration in canonical units: the hourly value for hourly records; for daily
    /// records the 24-h mean, the O3 daily maximum 1-h value or maximum 8-h moving mean.
    pub concentration: f64,
    /// Its sub-index (IAQI); `None` when the concentration has none (e.g. above the table).
    pub iaqi: Option<u32>,
    /// Valid hours behind it (hourly: 1; daily: hours for 24-h means and the 1-h maximum,
    /// valid 8-h windows for the 8-h maximum).
    pub valid: u8,
}

/// An air-quality index the pipeline computed from stored hourly means and keeps, so that
/// reports and the API read it instead of recomputing.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexRecord {
    /// Station id.
    pub station: StationId,
    /// [`Resolution::Hour`] (real-time AQI) or [`Resolution::Day`] (daily AQI and statistics).
    pub resolution: Resolution,
    /// Hour: the hour-ending label (UTC). Day: the start of the station's local day, in UTC.
    pub time: DateTime<Utc>,
    /// The rule set the index was computed under.
    pub standard: crate::aqi::Standard,
    /// The AQI; `None` when no term had a sub-index.
    pub aqi: Option<u32>,
    /// Primary pollutant(s) (empty when AQI ≤ 50).
    pub primary: Vec<crate::aqi::Pollutant>,
    /// Terms by [`crate::aqi::Pollutant::ALL`] order (SO2, NO2, PM10, PM2.5, CO, O3 1-h,
    /// O3 8-h); `None` when there was no valid concentration.
    pub terms: [Option<IndexTerm>; 7],
}

/// How a job run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobOutcome {
    /// Succeeded, with the outputs it produced (file paths, counts…), in order.
    Succeeded(Vec<String>),
    /// Failed, with the reason.
    Failed(String),
}

/// One run of a scheduled job, as the store keeps it (see [`crate::jobs::scheduler`]).
///
/// Keyed by (`job`, `scheduled`, `started`): recording a run with the key of an existing one
/// replaces it. Times are kept in milliseconds, like record times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRun {
    /// Job name.
    pub job: String,
    /// The scheduled time this run is for.
    pub scheduled: DateTime<Utc>,
    /// When it started (pipeline clock).
    pub started: DateTime<Utc>,
    /// When it ended (pipeline clock).
    pub finished: DateTime<Utc>,
    /// How it ended.
    pub outcome: JobOutcome,
}

/// Pollutant codes joined by `;`: the stored form of a list of primary pollutants (of indices
/// and of daily forecasts, in every backend).
pub(crate) fn join_pollutants(p: &[crate::aqi::Pollutant]) -> String {
    p.iter().map(|p| p.code()).collect::<Vec<_>>().join(";")
}

/// The inverse of [`join_pollutants`]: `""` is the empty list; any other code that is not a
/// pollutant's (also an empty one, as in `pm25;`) is an error naming it.
pub(crate) fn split_pollutants(s: &str) -> Result<Vec<crate::aqi::Pollutant>, String> {
    if s.is_empty() {
        return Ok(Vec::new());
    }
    s.split(';')
        .map(|c| {
            crate::aqi::Pollutant::from_code(c).ok_or_else(|| format!("unknown pollutant `{c}`"))
        })
        .collect()
}
