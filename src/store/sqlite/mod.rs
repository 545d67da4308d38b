//! The embedded SQLite store.
//!
//! One file in WAL mode. Tables:
//!
//! - `readings(station, parameter, resolution, time, value, flag, count)`, primary key
//!   `(station, parameter, resolution, time)`, `WITHOUT ROWID`. `parameter` is the
//!   [`Parameter`](crate::units::Parameter) code, `resolution` the [`Resolution`] code, `flag`
//!   the one-letter HJ 212 code. `time` is the label time in **unix milliseconds** (UTC):
//!   sub-millisecond parts of a [`Record::time`] are truncated (towards the past), so two
//!   records whose times differ by less than a millisecond share a key. A NaN `value` is stored
//!   as SQL `NULL` (SQLite has no NaN) and read back as NaN.
//! - an index `readings_by_time(resolution, time)`, so that "every station at this hour" reads
//!   and [`Store::count`] do not scan the whole table.
//! - `device_health`, one row per device; times in unix milliseconds; `status` is the list of
//!   status names, each *followed* by U+001F (unit separator): `[]` → `""`, `["a", "b"]` →
//!   `"a\u{1f}b\u{1f}"`. Names containing U+001F are rejected.
//! - `stations(id, name, name_en, district, lat, lon, time_zone)`, primary key `id`,
//!   `WITHOUT ROWID`: the [`StationInfo`] of collected and imported stations. `lat`/`lon` are
//!   `NULL` when unknown; `time_zone` is the IANA name (`Asia/Shanghai`).
//! - `indices(station, resolution, time, standard, aqi, primary_pollutants, <code>_c,
//!   <code>_iaqi, <code>_n …)`, primary key `(station, resolution, time)`, `WITHOUT ROWID`: the
//!   computed [`IndexRecord`]s. `resolution` is `1h` or `1d` (other resolutions are rejected
//!   with [`StoreError::Invalid`]); `time` is in unix milliseconds like `readings.time`;
//!   `standard` is the [`Standard::name`](crate::aqi::Standard::name) (`hj633-2012`); `aqi` is
//!   `NULL` when there is none; `primary_pollutants` the
//!   [`Pollutant::code`](crate::aqi::Pollutant::code)s joined by `;` (`""` when none). Then,
//!   for each term in [`Pollutant::ALL`](crate::aqi::Pollutant::ALL) order (`so2`, `no2`,
//!   `pm10`, `pm25`, `co`, `o3_1h`, `o3_8h`), its concentration `<code>_c`, sub-index
//!   `<code>_iaqi` (`NULL` when it has none) and valid-hour count `<code>_n`; all three are
//!   `NULL` when the term is absent. A NaN concentration is rejected.
//! - an index `indices_by_time(resolution, time)`, for "every station at this hour" reads.
//! - `job_runs(job, scheduled, started, finished, ok, detail)`, primary key
//!   `(job, scheduled, started)`, `WITHOUT ROWID`: the [`JobRun`]s of scheduled jobs. Times in
//!   unix milliseconds; `ok` is 1 for [`JobOutcome::Succeeded`], whose `detail` is the list of
//!   outputs, each *followed* by U+001F like `device_health.status` (outputs containing
//!   U+001F are rejected), and 0 for [`JobOutcome::Failed`], whose `detail` is the reason.
//!   "Where did this job leave off" is a backward seek on the primary key.
//! - `source_flags(station, pollutants, start_time, end_time, peak_time, peak_parameter,
//!   peak_value, peak_excess, source_type, severity, evidence, flagged_at, job,
//!   job_scheduled)`, primary key `(station, pollutants, start_time)`, `WITHOUT ROWID`: the
//!   [`SourceFlag`]s of the `sources` job. `pollutants` is the
//!   [`SourceFlag::pollutant_key`] (codes in parameter order joined by `,`: `so2,no2`);
//!   times in unix milliseconds; `peak_parameter` a parameter code; `evidence` the
//!   [`FlagEvidence`](crate::store::FlagEvidence) as JSON (ratios without a value are
//!   `null`). Flags that fail [`SourceFlag::check`] are rejected. An index
//!   `source_flags_by_start(start_time)` serves "the flags of this day".
//! - `meta(key, value)`: `application = lantian`, `schema_version = 5`, checked on open.
//!
//! Schema versions: **1** had `meta`, `readings` and `device_health`; **2** adds `stations`;
//! **3** adds `indices`; **4** adds `job_runs`; **5** adds `source_flags`. Opening an older file migrates it in place: the missing steps are
//! - `forecast_hours(station, parameter, issued, valid, value, model)`, primary key
//!   `(station, parameter, issued, valid)`, `WITHOUT ROWID`, indexes on `valid` and on
//!   `issued`: the [`ForecastHour`]s of forecast runs. `parameter` is the
//!   [`ForecastParameter`](super::ForecastParameter) code (`pm25`, `pm10`, `o3`, `aqi`); times
//!   in unix milliseconds; non-finite values are rejected.
//! - `forecast_days(station, time, issued, date, aqi, primary_pollutants, pm25, pm10,
//!   o3_8h_max, model, abstained, missing)`, primary key `(station, time, issued)`,
//!   `WITHOUT ROWID`, an index on `issued`: the [`ForecastDay`]s. `time` is the start of the
//!   local day (ms), `date` its ISO date; `aqi` and the statistics are `NULL` when there is
//!   none; `primary_pollutants` and `abstained` are codes joined by `;`; `missing` the
//!   input names, each followed by U+001F.
//! - `meta(key, value)`: `application = lantian`, `schema_version = 5`, checked on open.
//!
//! Schema versions: **1** had `meta`, `readings` and `device_health`; **2** adds `stations`;
//! **3** adds `indices`; **4** adds `job_runs`; **5** adds `forecast_hours` and
//! `forecast_days`. Opening an older file migrates it in place: the missing steps are
//! applied in order and `schema_version` set to the current one, all in one write transaction
//! (steps only create tables, so the migration is cheap and safe on a live store). A file of a
//! newer version is refused, as are files of other applications.
//!
//! Durability: `synchronous = NORMAL` in WAL mode. A committed [`Store::write`] survives the
//! process being killed at any point (the WAL is in the OS page cache); only an OS crash or
//! power loss can lose the last few committed transactions, and never corrupts the file. The
//! collectors re-send on restart and writes are idempotent, so that window is recoverable, while
//! `FULL` would cost an fsync per batch on the slow flash of field PCs.

mod forecasts;
mod health;
mod indices;
mod job_runs;
mod readings;
mod schema;
mod source_flags;
mod stations;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, Row, Transaction, TransactionBehavior};

use super::{
    DeviceHealth, ForecastDay, ForecastHour, ForecastQuery, IndexRecord, JobOutcome, JobRun, Query,
    Record, Resolution, SourceFlag, StationId, StationInfo, Store, StoreError,
};

pub use schema::SCHEMA_VERSION;

/// How long a handle waits for another connection's lock before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// A store in one SQLite file (WAL mode). See the [module documentation](self) for the schema
/// and the durability guarantees.
///
/// Any number of handles (in this or other processes) may be open on the same file; readers
/// see every committed batch and wait up to [`BUSY_TIMEOUT`] for a writer's lock.
pub struct SqliteStore {
    conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish()
    }
}

/// An error inside a write transaction ([`SqliteStore::write_tx`]): SQLite's, or one the
/// store raised itself.
enum TxError {
    Sql(rusqlite::Error),
    Store(StoreError),
}

impl From<rusqlite::Error> for TxError {
    fn from(e: rusqlite::Error) -> Self {
        TxError::Sql(e)
    }
}

impl From<StoreError> for TxError {
    fn from(e: StoreError) -> Self {
        TxError::Store(e)
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the store at `path`. The parent directory must exist.
    ///
    /// Creates the schema in a new file and migrates an older one (see the
    /// [module documentation](self)). Fails with [`StoreError::Unusable`] when the directory
    /// is missing or the file holds another application's tables or a newer schema version.
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteStore, StoreError> {
        let path = path.as_ref().to_path_buf();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
            && !dir.is_dir()
        {
            return Err(StoreError::Unusable {
                reason: format!("directory {} does not exist", dir.display()),
                path,
            });
        }
        let conn = match Connection::open(&path) {
            Ok(conn) => conn,
            Err(source) => return Err(StoreError::Sqlite { path, source }),
        };
        let mut store = SqliteStore { conn, path };
        store.configure().map_err(|e| store.sql(e))?;
        schema::prepare(&mut store)?;
        Ok(store)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn configure(&self) -> rusqlite::Result<()> {
        self.conn.busy_timeout(BUSY_TIMEOUT)?;
        self.conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get::<_, String>(0))?;
        self.conn.pragma_update(None, "synchronous", "NORMAL")?;
        Ok(())
    }

    /// Runs `f` in one write transaction and commits it; an error from `f` rolls it back.
    ///
    /// The transaction is `IMMEDIATE`: it takes the write lock up front (waiting up to
    /// [`BUSY_TIMEOUT`]) instead of failing to upgrade a read lock half-way.
    fn write_tx<T, E: Into<TxError>>(
        &mut self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, E>,
    ) -> Result<T, StoreError> {
        let path = &self.path;
        let fail = |e: TxError| match e {
            TxError::Sql(source) => StoreError::Sqlite {
                path: path.clone(),
                source,
            },
            TxError::Store(e) => e,
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| fail(e.into()))?;
        let value = f(&tx).map_err(|e| fail(e.into()))?;
        tx.commit().map_err(|e| fail(e.into()))?;
        Ok(value)
    }

    fn sql(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    fn corrupt(&self, reason: String) -> StoreError {
        StoreError::Corrupt {
            path: self.path.clone(),
            reason,
        }
    }

    fn invalid(&self, what: String) -> StoreError {
        StoreError::Invalid {
            path: self.path.clone(),
            what,
        }
    }

    /// Column `i` of `row` as text, without copying it.
    fn text<'r>(&self, row: &'r Row<'_>, i: usize) -> Result<&'r str, StoreError> {
        match row.get_ref(i).map_err(|e| self.sql(e))? {
            ValueRef::Text(t) => {
                std::str::from_utf8(t).map_err(|_| self.corrupt(format!("column {i} is not UTF-8")))
            }
            other => Err(self.corrupt(format!(
                "column {i} is {:?}, expected text",
                other.data_type()
            ))),
        }
    }

    /// Column `i` of `row`: unix milliseconds, as a time.
    fn time(&self, row: &Row<'_>, i: usize, whose: &str) -> Result<DateTime<Utc>, StoreError> {
        let ms: i64 = row.get(i).map_err(|e| self.sql(e))?;
        DateTime::from_timestamp_millis(ms)
            .ok_or_else(|| self.corrupt(format!("time {ms} ms out of range ({whose})")))
    }
}

/// The station id `name`, sharing the allocation of the previous row's id when they are the
/// same (rows come ordered by station).
fn intern(last: &mut Option<StationId>, name: &str) -> StationId {
    match last {
        Some(s) if &**s == name => s.clone(),
        _ => last.insert(Arc::from(name)).clone(),
    }
}

/// Appends ` AND column IN (?, …)` with `n` placeholders to `sql` (nothing when `n` is 0).
fn push_in_list(sql: &mut String, column: &str, n: usize) {
    if n > 0 {
        sql.push_str(" AND ");
        sql.push_str(column);
        sql.push_str(" IN (");
        sql.push_str(&vec!["?"; n].join(","));
        sql.push(')');
    }
}

impl Store for SqliteStore {
    fn write(&mut self, records: &[Record]) -> Result<usize, StoreError> {
        readings::write(self, records)
    }

    fn read(&self, query: &Query) -> Result<Vec<Record>, StoreError> {
        readings::read(self, query)
    }

    /// Skip-scans the distinct station × parameter pairs of the primary key and fetches the
    /// newest record of each with one index seek: O(pairs · log n), not O(n).
    fn latest(
        &self,
        resolution: Resolution,
        station: Option<&str>,
    ) -> Result<Vec<Record>, StoreError> {
        readings::latest(self, resolution, station)
    }

    fn count(&self, resolution: Resolution) -> Result<u64, StoreError> {
        readings::count(self, resolution)
    }

    fn put_health(&mut self, health: &[DeviceHealth]) -> Result<(), StoreError> {
        health::put(self, health)
    }

    fn health(&self) -> Result<Vec<DeviceHealth>, StoreError> {
        health::get(self)
    }

    fn put_stations(&mut self, stations: &[StationInfo]) -> Result<(), StoreError> {
        stations::put(self, stations)
    }

    fn stations(&self) -> Result<Vec<StationInfo>, StoreError> {
        stations::get(self)
    }

    /// Rejects (before writing anything) records at a resolution other than
    /// [`Resolution::Hour`] and [`Resolution::Day`], and NaN concentrations.
    fn write_indices(&mut self, records: &[IndexRecord]) -> Result<usize, StoreError> {
        indices::write(self, records)
    }

    fn read_indices(&self, query: &Query) -> Result<Vec<IndexRecord>, StoreError> {
        indices::read(self, query)
    }

    /// Rejects outputs containing U+001F (the separator of the `detail` column).
    fn record_job_run(&mut self, run: &JobRun) -> Result<(), StoreError> {
        job_runs::record(self, run)
    }

    fn job_runs(&self, job: Option<&str>, limit: usize) -> Result<Vec<JobRun>, StoreError> {
        job_runs::get(self, job, limit)
    }

    fn put_source_flags(&mut self, flags: &[SourceFlag]) -> Result<usize, StoreError> {
        source_flags::put(self, flags)
    }

    fn source_flags(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        station: Option<&str>,
    ) -> Result<Vec<SourceFlag>, StoreError> {
        source_flags::get(self, from, to, station)
    }

    fn write_forecasts(
        &mut self,
        hours: &[ForecastHour],
        days: &[ForecastDay],
    ) -> Result<usize, StoreError> {
        forecasts::write(self, hours, days)
    }

    fn read_forecast_hours(&self, query: &ForecastQuery) -> Result<Vec<ForecastHour>, StoreError> {
        forecasts::read_hours(self, query)
    }

    fn read_forecast_days(&self, query: &ForecastQuery) -> Result<Vec<ForecastDay>, StoreError> {
        forecasts::read_days(self, query)
    }
}

#[cfg(test)]
mod schema_tests;
#[cfg(test)]
mod tests;
