//! What an import reads: the [`Format`]s and the [`ImportOptions`].

use std::fmt;

use chrono_tz::Tz;

use crate::compute::IndexConfig;
#[cfg(doc)]
use crate::store::Store;
use crate::units::ReferenceState;

/// Records per [`ReadingStore::put_readings`](crate::store::ReadingStore::put_readings) unless [`ImportOptions::batch_size`] says otherwise.
///
/// Large, because a file ordered by time (the national network's: every station's series in
/// turn) changes each series' last page once per transaction: with 20,000 records a month of
/// national data rewrote ≈ 40 GB of SQLite pages; with 500,000, each page about once per day
/// of data. ≈ 30 MB of records in memory.
pub const DEFAULT_BATCH: usize = 500_000;

/// The file formats [`import`](super::import) reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Beijing multi-site files (`No,year,month,day,hour,PM2.5,…,station`).
    Prsa,
    /// openair's `mydata` (`date,ws,wd,nox,no2,o3,pm10,so2,co,pm25`).
    Openair,
    /// Generic wide CSV (`time,station,<parameter>[unit],…`).
    WideCsv,
    /// The national network's data as CNEMC publishes them (long or daily wide layout).
    Cnemc,
}

impl Format {
    /// The name used on the command line.
    pub const fn name(self) -> &'static str {
        match self {
            Format::Prsa => "prsa",
            Format::Openair => "openair",
            Format::WideCsv => "csv",
            Format::Cnemc => "cnemc",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Options of an import. The defaults depend on the format; see each format's module.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportOptions {
    /// Time zone of times without an offset (default per format: `Asia/Shanghai` for PRSA and
    /// wide CSV, UTC for openair). Also the time zone of the stations a wide CSV creates.
    pub time_zone: Option<Tz>,
    /// Put every row under this station id instead of the one the file names.
    pub station: Option<String>,
    /// Reference temperature in °C for ppb/ppm → mass concentration (pressure stays at the
    /// format's reference pressure). Default per format: 20 °C for openair, 25 °C otherwise.
    pub reference_temperature_c: Option<f64>,
    /// Records per [`ReadingStore::put_readings`](crate::store::ReadingStore::put_readings).
    pub batch_size: usize,
    /// The national station list (code, name, city, coordinates, background flag) of a
    /// [`Format::Cnemc`] import; without it every station code must be in the store.
    pub stations: Option<std::path::PathBuf>,
    /// Compute the hourly and daily AQI of the imported days, as the collection pipeline does
    /// (`None`: only store the hourly means).
    pub index: Option<IndexConfig>,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            time_zone: None,
            station: None,
            reference_temperature_c: None,
            batch_size: DEFAULT_BATCH,
            stations: None,
            index: Some(IndexConfig::default()),
        }
    }
}

impl ImportOptions {
    /// `default` with the reference temperature replaced when one was given.
    pub(super) fn reference(&self, default: ReferenceState) -> ReferenceState {
        match self.reference_temperature_c {
            Some(t) => ReferenceState {
                temperature_c: t,
                ..default
            },
            None => default,
        }
    }
}
