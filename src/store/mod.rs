//! The time-series store: what the pipeline keeps and the [`Store`] trait every backend
//! implements (SQLite, and InfluxDB in [`influx`]).
//!
//! A store holds [`Record`]s keyed by station, parameter, [`Resolution`] and time. Writes are
//! idempotent: writing the same key again replaces the record, so a replay after a crash or an
//! outage never duplicates. It also keeps the latest [`DeviceHealth`] of each device, the
//! [`StationInfo`] of every station, computed [`IndexRecord`]s, the [`JobRun`]s of
//! scheduled jobs (which the scheduler reads to resume where each job left off), the
//! [`SourceFlag`]s of the `sources` job, each with its evidence, and issued forecasts
//! ([`ForecastHour`], [`ForecastDay`]).

mod forecast;
pub mod influx;
pub mod migrate;
mod record;
mod source_flag;
pub mod spool;
pub mod sqlite;

use std::path::PathBuf;

use chrono::{DateTime, Utc};

pub use forecast::{
    ForecastAxis, ForecastDay, ForecastHour, ForecastParameter, ForecastQuery,
    UnknownForecastParameter,
};
pub use record::{
    DeviceHealth, IndexRecord, IndexTerm, JobOutcome, JobRun, Record, Resolution, StationId,
    StationInfo,
};
pub use source_flag::{
    FlagBearing, FlagEvidence, FlagGroup, FlagLocation, FlagPeak, FlagRatios, FlagWindow,
    FlaggedDay, PollutantExcess, SourceFlag,
};

use crate::units::Parameter;

/// Errors from a store backend.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store URL could not be understood.
    #[error("invalid store URL `{url}`: {reason}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The SQLite backend failed.
    #[error("SQLite store {path}: {source}")]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: rusqlite::Error,
    },
    /// The store exists but cannot be used: its directory is missing, or the file holds a
    /// foreign schema or one newer than this build understands.
    #[error("store {path} cannot be used: {reason}")]
    Unusable {
        /// The database file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A value cannot be represented in the store (e.g. a counter above `i64::MAX`).
    #[error("store {path}: cannot store {what}")]
    Invalid {
        /// The database file.
        path: PathBuf,
        /// What was rejected and why.
        what: String,
    },
    /// A stored row could not be turned back into a record (a corrupt or foreign database).
    #[error("store {path}: unreadable row: {reason}")]
    Corrupt {
        /// The database file.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
    /// The InfluxDB backend failed (configuration, server, or a value it cannot store).
    #[error("InfluxDB store: {0}")]
    Influx(#[from] influx::InfluxError),
}

impl StoreError {
    /// The store refused this data for good (a value it cannot represent, a malformed or
    /// conflicting point): writing it again would fail again. Other errors — unreachable,
    /// locked, overloaded, misconfigured — may pass once the cause is fixed.
    pub fn is_rejection(&self) -> bool {
        match self {
            StoreError::Invalid { .. } => true,
            StoreError::Influx(e) => e.is_rejection(),
            _ => false,
        }
    }
}

/// A range read: which records to return. Empty `stations` / `parameters` mean all.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// Stations to include (all when empty).
    pub stations: Vec<StationId>,
    /// Parameters to include (all when empty).
    pub parameters: Vec<Parameter>,
    /// The resolution to read.
    pub resolution: Resolution,
    /// Inclusive start (record label time).
    pub from: DateTime<Utc>,
    /// Exclusive end.
    pub to: DateTime<Utc>,
}

/// A time-series store backend.
///
/// Backends are used from one writer thread (writes) and any number of readers, each with its
/// own handle from [`open`]; they need to be `Send` but not `Sync`.
pub trait Store: Send {
    /// Writes a batch atomically; a record with the key of an existing one replaces it.
    /// Returns how many records were written.
    fn write(&mut self, records: &[Record]) -> Result<usize, StoreError>;

    /// Records matching `query`, ordered by station, parameter, time (stations in byte order of
    /// their ids, parameters in [`Parameter`]'s order, i.e. that of [`Parameter::ALL`]).
    fn read(&self, query: &Query) -> Result<Vec<Record>, StoreError>;

    /// The most recent record of each station × parameter at `resolution` (optionally for one
    /// station), ordered by station and parameter.
    fn latest(
        &self,
        resolution: Resolution,
        station: Option<&str>,
    ) -> Result<Vec<Record>, StoreError>;

    /// Number of records stored at `resolution`.
    fn count(&self, resolution: Resolution) -> Result<u64, StoreError>;

    /// Stores the current health of devices, replacing their previous entries.
    fn put_health(&mut self, health: &[DeviceHealth]) -> Result<(), StoreError>;

    /// The last stored health of every device, ordered by device id.
    fn health(&self) -> Result<Vec<DeviceHealth>, StoreError>;

    /// Creates or replaces stations (by id).
    fn put_stations(&mut self, stations: &[StationInfo]) -> Result<(), StoreError>;

    /// Every known station, ordered by id.
    fn stations(&self) -> Result<Vec<StationInfo>, StoreError>;

    /// Writes computed indices; a record with the key (station, resolution, time) of an
    /// existing one replaces it. Returns how many were written.
    fn write_indices(&mut self, records: &[IndexRecord]) -> Result<usize, StoreError>;

    /// Stored indices of `query.stations` (all when empty) at `query.resolution` with `time`
    /// in `[query.from, query.to)`, ordered by station then time. `query.parameters` is
    /// ignored.
    fn read_indices(&self, query: &Query) -> Result<Vec<IndexRecord>, StoreError>;

    /// Records a run of a scheduled job; a run with the key (`job`, `scheduled`, `started`)
    /// of an existing one replaces it.
    fn record_job_run(&mut self, run: &JobRun) -> Result<(), StoreError>;

    /// At most `limit` recorded runs of `job` (all jobs when `None`), newest first: ordered by
    /// `scheduled` descending, then `started` descending, then job name. So
    /// `job_runs(Some(name), 1)` is the run of the latest scheduled time that ran (its latest
    /// attempt).
    fn job_runs(&self, job: Option<&str>, limit: usize) -> Result<Vec<JobRun>, StoreError>;

    /// Stores source flags; a flag with the key (`station`, `pollutants`, `start`) of a stored
    /// one replaces it. Every flag is checked ([`SourceFlag::check`]) before anything is
    /// written. Returns how many were written.
    fn put_source_flags(&mut self, flags: &[SourceFlag]) -> Result<usize, StoreError>;

    /// The flags whose episode started in `[from, to)` (of one station when `station` is
    /// given), ordered by start, then station (byte order), then pollutant key
    /// ([`SourceFlag::pollutant_key`]).
    fn source_flags(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        station: Option<&str>,
    ) -> Result<Vec<SourceFlag>, StoreError>;
    /// Writes issued forecasts: hourly values keyed by (station, parameter, issued, valid) and
    /// daily forecasts keyed by (station, time, issued); a key written again replaces its
    /// entry. Non-finite values are rejected before anything is written. Returns how many
    /// entries (hours + days) were written.
    fn write_forecasts(
        &mut self,
        hours: &[ForecastHour],
        days: &[ForecastDay],
    ) -> Result<usize, StoreError>;

    /// Stored hourly forecasts of `query.stations` (all when empty) whose valid or issue time
    /// (`query.axis`) is in `[query.from, query.to)`, ordered by station, parameter (in
    /// [`ForecastParameter::ALL`] order), issue time, valid time.
    fn read_forecast_hours(&self, query: &ForecastQuery) -> Result<Vec<ForecastHour>, StoreError>;

    /// Stored daily forecasts selected like [`Store::read_forecast_hours`] (the valid time of
    /// a day is the start of its local day), ordered by station, day, issue time.
    fn read_forecast_days(&self, query: &ForecastQuery) -> Result<Vec<ForecastDay>, StoreError>;
}

/// Opens the store named by `url`: `sqlite:PATH` (or a bare path ending in `.db`/`.sqlite`),
/// or `influx+http(s)://HOST:PORT?db=…` / `?org=…&bucket=…` (see [`influx::config`]).
pub fn open(url: &str) -> Result<Box<dyn Store>, StoreError> {
    if influx::config::InfluxConfig::handles(url) {
        return Ok(Box::new(influx::InfluxStore::open(url)?));
    }
    let path = if let Some(rest) = url.strip_prefix("sqlite:") {
        rest.trim_start_matches("//")
    } else if url.ends_with(".db") || url.ends_with(".sqlite") || url.ends_with(".sqlite3") {
        url
    } else {
        return Err(StoreError::InvalidUrl {
            url: url.to_string(),
            reason: "expected `sqlite:PATH` or `influx+http(s)://HOST:PORT?db=NAME`".to_string(),
        });
    };
    if path.is_empty() {
        return Err(StoreError::InvalidUrl {
            url: url.to_string(),
            reason: "the path is empty".to_string(),
        });
    }
    Ok(Box::new(sqlite::SqliteStore::open(path)?))
}
