//! The store: what the pipeline keeps, one trait per kind of data, and the backends that
//! implement them all (SQLite in [`sqlite`], InfluxDB in [`influx`]).
//!
//! | kind | records | trait | key (writing it again replaces) |
//! |---|---|---|---|
//! | readings | [`Record`] | [`ReadingStore`] | station, parameter, [`Resolution`], time |
//! | device health | [`DeviceHealth`] | [`HealthStore`] | device (the latest only) |
//! | stations | [`StationInfo`] | [`StationStore`] | id |
//! | indices | [`IndexRecord`] | [`IndexStore`] | station, resolution, time |
//! | job runs | [`JobRun`] | [`JobRunStore`] | job, scheduled, started |
//! | source flags | [`SourceFlag`], [`AnalysedDay`] | [`SourceFlagStore`] | station, pollutants, start / local day |
//! | forecasts | [`ForecastHour`], [`ForecastDay`] | [`ForecastStore`] | station, parameter, issued, valid / station, day, issued |
//! | alarms | [`Alarm`], [`AlarmAction`] | [`AlarmStore`] | rule, subject, opened / alarm, seq |
//!
//! Every kind is written with one verb, `put_<kind>`, which replaces by key and returns how
//! many were written. Reads are named for the kind; every query selects stations with
//! [`Stations`] (`All` or `Only(…)`). Long ranges are read in pages (`<kind>_paged`, at most
//! a page in memory); the collecting reads (`readings`, `indices`, …) are for short ones.
//! Each time-keyed kind tells its [`TimeSpan`] (`<kind>_span`: earliest and latest).
//! Errors ([`StoreError`]) say which store, doing what, and the [`ErrorKind`].
//!
//! [`Store`] joins the kinds; consumers take the narrowest trait they need (`&dyn
//! IndexStore`, or generic bounds for a few kinds), and [`IngestStore`] is what the
//! collectors' pipeline writes. A new kind of data is one more trait added to [`Store`].
//!
//! Stores are named by a [`StoreUrl`] and opened with [`open`]; [`migrate`] copies one
//! store's contents into another; [`spool`] is the durable write-ahead queue in front of a
//! store.

mod alarm_actions;
mod alarm_backend;
mod alarm_terms;
mod alarms;
mod error;
mod forecast_missing;
mod forecasts;
mod health;
mod indices;
#[cfg(feature = "influxdb")]
pub mod influx;
mod job_runs;
pub mod migrate;
mod readings;
mod select;
mod source_flags;
pub mod spool;
pub mod sqlite;
mod stations;
mod url;
mod write_counts;

pub use alarm_actions::{Actor, AlarmAction, AlarmEvent, BadActor, Suppression};
pub use alarm_terms::{
    AlarmKind, AlarmState, AlarmSubject, Averaging, Direction, Lasting, Measure, MeasureUnit,
    Severity, SystemComponent, UnknownAlarmTerm, WarningLevel,
};
pub use alarms::{
    Alarm, AlarmEvidence, AlarmId, AlarmIdPrefix, AlarmKey, AlarmQuery, AlarmStore, BadAlarmId,
    ClosedBy, Closure, Escalation, Handled, Observation,
};
pub use error::{DataKind, ErrorKind, Operation, StoreError};
pub use forecast_missing::{Missing, UnknownMissing};
pub use forecasts::{
    ForecastAxis, ForecastDay, ForecastHour, ForecastParameter, ForecastQuery, ForecastStore,
    UnknownForecastParameter,
};
pub use health::{DeviceHealth, HealthStore};
pub use indices::{IndexQuery, IndexRecord, IndexStore, IndexTerm};
pub use job_runs::{JobOutcome, JobOutput, JobRun, JobRunQuery, JobRunStore};
pub use readings::{ReadingQuery, ReadingStore, Record, Resolution, UnknownResolution};
pub use select::{Filter, Jobs, PAGE_SIZE, PageFn, Parameters, Stations, TimeSpan};
pub use source_flags::{
    AnalysedDay, FlagBearing, FlagEvidence, FlagGroup, FlagLocation, FlagPeak, FlagRatios,
    FlagWindow, PollutantExcess, SourceFlag, SourceFlagQuery, SourceFlagStore,
};
pub use stations::{
    StationId, StationInfo, StationRole, StationStore, UnknownStationRole, network_zone,
};
pub use url::{StoreUrl, StoreUrlError, open, open_bulk};
pub use write_counts::{WriteCounter, WriteCounts};

/// What the collectors' pipeline uses: it writes readings and device health, its index
/// stage reads station metadata and hourly readings and writes indices, and its alarm stage
/// reads readings and health and writes alarms.
pub trait IngestStore: ReadingStore + HealthStore + StationStore + IndexStore + AlarmStore {}

impl<T: ReadingStore + HealthStore + StationStore + IndexStore + AlarmStore + ?Sized> IngestStore
    for T
{
}

/// A store of every kind of data. Implemented by every type that implements the kinds'
/// traits; `&dyn Store` (or `Box<dyn Store>`) coerces to any of them.
///
/// Backends are used from one writer thread (writes) and any number of readers, each with
/// its own handle from [`open`]; they need to be `Send` but not `Sync`.
pub trait Store:
    IngestStore + JobRunStore + SourceFlagStore + ForecastStore + AlarmStore + WriteCounter
{
}

impl<
    T: IngestStore
        + JobRunStore
        + SourceFlagStore
        + ForecastStore
        + AlarmStore
        + WriteCounter
        + ?Sized,
> Store for T
{
}
