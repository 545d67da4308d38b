//! The embedded SQLite store.
//!
//! One file in WAL mode. Tables:
//!
//! - `readings(station, parameter, resolution, time, value, flag, count)`, primary key
//!   `(station, parameter, resolution, time)`, `WITHOUT ROWID`. `parameter` is the
//!   [`Parameter`](crate::units::Parameter) code, `resolution` the [`Resolution`](crate::store::Resolution) code, `flag`
//!   the one-letter HJ 212 code. `time` is the label time in **unix milliseconds** (UTC):
//!   sub-millisecond parts of a [`Record::time`](crate::store::Record::time) are truncated (towards the past), so two
//!   records whose times differ by less than a millisecond share a key. A NaN `value` is stored
//!   as SQL `NULL` (SQLite has no NaN) and read back as NaN.
//! - an index `readings_by_time(resolution, time)`, so that "every station at this hour" reads
//!   and [`count_readings`](crate::store::ReadingStore::count_readings) do not scan the whole
//!   table.
//! - `device_health`, one row per device; times in unix milliseconds; `status` is the list of
//!   status names, each *followed* by U+001F (unit separator): `[]` → `""`, `["a", "b"]` →
//!   `"a\u{1f}b\u{1f}"`. Names containing U+001F are rejected. `peer` (the address an HJ 212
//!   logger's data came from) and `rejected` (its rejected packets by cause, a JSON object)
//!   are `NULL` for polled devices.
//! - `stations(id, name, name_en, district, lat, lon, time_zone)`, primary key `id`,
//!   `WITHOUT ROWID`: the [`StationInfo`](crate::store::StationInfo) of collected and imported stations. `lat`/`lon` are
//!   `NULL` when unknown; `time_zone` is the IANA name (`Asia/Shanghai`).
//! - `indices(station, resolution, time, standard, aqi, primary_pollutants, <code>_c,
//!   <code>_iaqi, <code>_n …)`, primary key `(station, resolution, time)`, `WITHOUT ROWID`: the
//!   computed [`IndexRecord`](crate::store::IndexRecord)s. `resolution` is `1h` or `1d` (other resolutions are rejected
//!   as [`ErrorKind::Rejected`]); `time` is in unix
//!   milliseconds like `readings.time`;
//!   `standard` is the [`Standard::name`](crate::aqi::Standard::name) (`hj633-2012`); `aqi` is
//!   `NULL` when there is none; `primary_pollutants` the
//!   [`Pollutant::code`](crate::aqi::Pollutant::code)s joined by `;` (`""` when none). Then,
//!   for each term in [`Pollutant::ALL`](crate::aqi::Pollutant::ALL) order (`so2`, `no2`,
//!   `pm10`, `pm25`, `co`, `o3_1h`, `o3_8h`), its concentration `<code>_c`, sub-index
//!   `<code>_iaqi` (`NULL` when it has none) and valid-hour count `<code>_n`; all three are
//!   `NULL` when the term is absent. A NaN concentration is rejected.
//! - an index `indices_by_time(resolution, time)`, for "every station at this hour" reads.
//! - `job_runs(job, scheduled, started, finished, ok, detail, output)`, primary key
//!   `(job, scheduled, started)`, `WITHOUT ROWID`: the [`JobRun`](crate::store::JobRun)s of scheduled jobs. Times in
//!   unix milliseconds; `ok` is 1 for [`JobOutcome::Succeeded`](crate::store::JobOutcome::Succeeded), whose
//!   [`JobOutput`](crate::store::JobOutput) is JSON in `output` (tagged by `kind`), except a
//!   [`JobOutput::Text`](crate::store::JobOutput::Text) (the runs of schema versions before 8): `output` is `NULL` and
//!   `detail` is the list of lines, each *followed* by U+001F like `device_health.status`
//!   (lines containing U+001F are rejected); `ok` is 0 for [`JobOutcome::Failed`](crate::store::JobOutcome::Failed), whose `detail` is the reason.
//!   "Where did this job leave off" is a backward seek on the primary key.
//! - `source_flags(station, pollutants, start_time, end_time, peak_time, peak_parameter,
//!   peak_value, peak_excess, source_type, severity, evidence, flagged_at, job,
//!   job_scheduled)`, primary key `(station, pollutants, start_time)`, `WITHOUT ROWID`: the
//!   [`SourceFlag`](crate::store::SourceFlag)s of the `sources` job. `pollutants` is the
//!   [`SourceFlag::pollutant_key`](crate::store::SourceFlag::pollutant_key) (codes in parameter order joined by `,`: `so2,no2`);
//!   times in unix milliseconds; `peak_parameter` a parameter code; `evidence` the
//!   [`FlagEvidence`](crate::store::FlagEvidence) as JSON (ratios without a value are
//!   `null`). Flags that fail [`SourceFlag::check`](crate::store::SourceFlag::check) are rejected. An index
//!   `source_flags_by_start(start_time)` serves "the flags of this day".
//! - `analysed_days(day, window_from, window_to, stations, flags, job, job_scheduled,
//!   analysed_at)`, primary key `day`, `WITHOUT ROWID`: the
//!   [`AnalysedDay`](crate::store::AnalysedDay)s of the `sources` job. `day` counts days from
//!   1 January of year 1 ([`Datelike::num_days_from_ce`](chrono::Datelike::num_days_from_ce));
//!   times in unix milliseconds.
//! - `forecast_hours(station, parameter, issued, valid, value, model)`, primary key
//!   `(station, parameter, issued, valid)`, `WITHOUT ROWID`, indexes on `valid` and on
//!   `issued`: the [`ForecastHour`](crate::store::ForecastHour)s of forecast runs. `parameter` is the
//!   [`ForecastParameter`](super::ForecastParameter) code (`pm25`, `pm10`, `o3`, `aqi`); times
//!   in unix milliseconds; non-finite values are rejected.
//! - `forecast_days(station, time, issued, date, aqi, primary_pollutants, pm25, pm10,
//!   o3_8h_max, model, abstained, missing, aqi_low, aqi_high)`, primary key
//!   `(station, time, issued)`,
//!   `WITHOUT ROWID`, an index on `issued`: the [`ForecastDay`](crate::store::ForecastDay)s. `time` is the start of the
//!   local day (ms), `date` its ISO date; `aqi` and the statistics are `NULL` when there is
//!   none; `primary_pollutants` and `abstained` are codes joined by `;`; `missing` the
//!   [`Missing`](crate::store::Missing) entries as text, each followed by U+001F; `aqi_low`/`aqi_high` the AQI range (`NULL`: none).
//! - `alarms(rule, subject, opened, id, station, kind, severity, state, stale, assignee,
//!   updated, closed, revision, actions, evidence, handling)`, primary key
//!   `(rule, subject, opened)`, `WITHOUT ROWID`: the [`Alarm`](crate::store::Alarm)s.
//!   `subject` is the [`AlarmSubject::code`](crate::store::AlarmSubject::code) (`station/DG-GC/pm25`);
//!   `id` the 16 hex digits of the [`AlarmId`](crate::store::AlarmId); `station` the
//!   subject's station (`NULL` for the network, a district, the system); `kind`, `severity`,
//!   `state` their codes (`state` derived from the record: `open`, `acknowledged`, `closed`);
//!   times in unix milliseconds, `closed` `NULL` while open; `evidence` the
//!   [`AlarmEvidence`](crate::store::AlarmEvidence) as JSON, `handling` the acknowledgement,
//!   escalation, clearing time and closure as JSON. A **partial unique index**
//!   `alarms_open(rule, subject) WHERE state <> 'closed'` keeps at most one alarm per rule and
//!   subject open, whoever writes; indexes `alarms_open_by_opened(opened, …every column)
//!   WHERE state <> 'closed'` (open alarms in time order, read from the index alone whatever
//!   the history: a copy of the few open rows, so that listing them needs no seek into the
//!   table), `alarms_by_opened(opened)` (ranges, spans) and `alarms_by_id(id)` (what people
//!   type, a prefix: a range seek).
//! - `alarm_actions(rule, subject, opened, seq, at, actor, action, detail)`, primary key
//!   `(rule, subject, opened, seq)`, `WITHOUT ROWID`: the audit logs
//!   ([`AlarmAction`](crate::store::AlarmAction)). `actor` is `system` or a person's name;
//!   `action` the event's code; `detail` the [`AlarmEvent`](crate::store::AlarmEvent) as JSON
//!   (tagged by `action`). An alarm and its new actions are written in one transaction, which
//!   reads the stored revision first (a write that does not follow it is a conflict).
//! - `meta(key, value)`: `application = lantian`, `schema_version` ([`SCHEMA_VERSION`]),
//!   checked on open; the write counts `readings_written`, `hourly_indices_written`,
//!   `daily_indices_generation`, `forecasts_written`, `source_flags_written` and
//!   `alarms_written` ([`WriteCounts`](crate::store::WriteCounts); absent until the first
//!   write of their kind), bumped in the writing transactions.
//!
//! Schema versions: **1** had `meta`, `readings` and `device_health`; **2** adds `stations`;
//! **3** adds `indices`; **4** adds `job_runs`; **5** adds `source_flags`; **6** adds
//! `forecast_hours` and `forecast_days`; **7** the AQI range columns of `forecast_days`;
//! **8** `job_runs.output`; **9** `analysed_days`; **10** `alarms` and `alarm_actions`;
//! **11** `device_health.peer` and `device_health.rejected`.
//! Opening an older file migrates it in place: the missing steps are applied in order and
//! `schema_version` set to the current one, all in one write transaction (steps only create
//! tables and add columns, so the migration is cheap and safe on a live store). A file of a
//! newer version is refused, as are files of other applications.
//!
//! Long reads (`*_paged`) run one statement and hand its rows out a page at a time, so a
//! long range is never held in memory whole. The time span of each kind (`*_span`) is two
//! seeks on an index with the time first (readings, indices, flags, forecasts) or a scan of
//! the small `job_runs` table.
//!
//! Durability: `synchronous = NORMAL` in WAL mode. A committed write survives the
//! process being killed at any point (the WAL is in the OS page cache); only an OS crash or
//! power loss can lose the last few committed transactions, and never corrupts the file. The
//! collectors re-send on restart and writes are idempotent, so that window is recoverable, while
//! `FULL` would cost an fsync per batch on the slow flash of field PCs.

mod alarms;
mod forecasts;
mod health;
mod indices;
mod job_runs;
mod readings;
mod schema;
mod source_flags;
mod stations;
mod write_counts;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, ErrorCode, OptionalExtension, Row, Transaction, TransactionBehavior};

use super::select::{Filter, PageFn, Pager, TimeSpan};
use super::{ErrorKind, Operation, StationId, StoreError};

pub use schema::SCHEMA_VERSION;

/// How much of the file a handle keeps in memory: its page cache's bound. The cache grows
/// only as pages are read or changed and is never given back while the handle is open, so a
/// long-lived handle that reads a lot (the collector's forwarder, its alarm stage) holds its
/// whole bound within hours: each handle's bound is memory the process keeps. A handle that
/// closes frees its cache, but the allocator may keep it (glibc keeps a thread's freed memory
/// in that thread's arena): in the soak the 64-MiB caches of the jobs' short-lived handles
/// stayed in the collector's resident memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PageCache {
    /// [`PageCache::DEFAULT_KIB`] (SQLite's own default): every handle but a bulk writer's.
    #[default]
    Default,
    /// [`PageCache::BULK_KIB`]: one large transaction's changed pages stay in memory until
    /// the commit instead of being spilled to the WAL and written again when changed once
    /// more. For a handle that writes much and then closes (`lantian import`, `lantian
    /// migrate`'s target).
    Bulk,
}

impl PageCache {
    /// The bound of [`PageCache::Default`], KiB.
    pub const DEFAULT_KIB: i64 = 2000;
    /// The bound of [`PageCache::Bulk`], KiB.
    pub const BULK_KIB: i64 = 64 * 1024;

    /// The bound, KiB.
    pub fn kib(self) -> i64 {
        match self {
            PageCache::Default => PageCache::DEFAULT_KIB,
            PageCache::Bulk => PageCache::BULK_KIB,
        }
    }
}

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
    /// The display name in errors.
    name: String,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish()
    }
}

/// An error inside the SQLite store; the store traits turn it into a [`StoreError`] naming
/// the operation ([`SqliteStore::fail`]).
#[derive(Debug)]
enum Fail {
    /// SQLite's own error.
    Sql(rusqlite::Error),
    /// A value the table cannot keep.
    Rejected(String),
    /// A stored row that cannot be read back.
    Corrupt(String),
    /// A file that cannot be used.
    Unusable(String),
    /// Data changed since the caller read it.
    Conflict(String),
    /// An error from a page consumer of a paged read, passed through.
    Page(StoreError),
}

impl From<rusqlite::Error> for Fail {
    fn from(e: rusqlite::Error) -> Self {
        Fail::Sql(e)
    }
}

impl From<StoreError> for Fail {
    fn from(e: StoreError) -> Self {
        Fail::Page(e)
    }
}

/// The kind of failure of one of SQLite's errors: a damaged file is corrupt, a file that is
/// not a database or cannot be opened unusable; everything else (locked, busy, full, I/O) may
/// pass.
fn sql_kind(e: &rusqlite::Error) -> ErrorKind {
    match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseCorrupt) => ErrorKind::Corrupt,
        Some(ErrorCode::NotADatabase | ErrorCode::CannotOpen | ErrorCode::ReadOnly) => {
            ErrorKind::Unusable
        }
        _ => ErrorKind::Unavailable,
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the store at `path`. The parent directory must exist.
    ///
    /// Creates the schema in a new file and migrates an older one (see the
    /// [module documentation](self)). Fails with [`ErrorKind::Unusable`] when the directory
    /// is missing or the file holds another application's tables or a newer schema version.
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteStore, StoreError> {
        SqliteStore::open_with(path, PageCache::Default)
    }

    /// [`SqliteStore::open`] with the page cache `cache` (see [`PageCache`]).
    pub fn open_with(path: impl AsRef<Path>, cache: PageCache) -> Result<SqliteStore, StoreError> {
        let path = path.as_ref().to_path_buf();
        let name = format!("SQLite store {}", path.display());
        let fail = |e: Fail| error(&name, Operation::Open, e);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
            && !dir.is_dir()
        {
            return Err(fail(Fail::Unusable(format!(
                "directory {} does not exist",
                dir.display()
            ))));
        }
        let conn = Connection::open(&path).map_err(|e| fail(e.into()))?;
        let mut store = SqliteStore {
            conn,
            path,
            name: name.clone(),
        };
        store
            .configure(cache)
            .map_err(Fail::from)
            .and_then(|()| schema::prepare(&mut store))
            .map_err(fail)?;
        Ok(store)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn configure(&self, cache: PageCache) -> rusqlite::Result<()> {
        self.conn.busy_timeout(BUSY_TIMEOUT)?;
        self.conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get::<_, String>(0))?;
        self.conn.pragma_update(None, "synchronous", "NORMAL")?;
        // A negative size is KiB.
        self.conn.pragma_update(None, "cache_size", -cache.kib())?;
        Ok(())
    }

    /// Turns an internal error into the store's error for `operation`.
    fn fail(&self, operation: Operation) -> impl Fn(Fail) -> StoreError + '_ {
        move |e| error(&self.name, operation, e)
    }

    /// Runs `f` in one write transaction and commits it; an error from `f` rolls it back.
    ///
    /// The transaction is `IMMEDIATE`: it takes the write lock up front (waiting up to
    /// [`BUSY_TIMEOUT`]) instead of failing to upgrade a read lock half-way.
    fn write_tx<T, E: Into<Fail>>(
        &mut self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, E>,
    ) -> Result<T, Fail> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = f(&tx).map_err(Into::into)?;
        tx.commit()?;
        Ok(value)
    }

    /// Column `i` of `row` as text, without copying it.
    fn text<'r>(&self, row: &'r Row<'_>, i: usize) -> Result<&'r str, Fail> {
        match row.get_ref(i)? {
            ValueRef::Text(t) => std::str::from_utf8(t)
                .map_err(|_| Fail::Corrupt(format!("column {i} is not UTF-8"))),
            other => Err(Fail::Corrupt(format!(
                "column {i} is {:?}, expected text",
                other.data_type()
            ))),
        }
    }

    /// Column `i` of `row`: unix milliseconds, as a time.
    fn time(&self, row: &Row<'_>, i: usize, whose: &str) -> Result<DateTime<Utc>, Fail> {
        let ms: i64 = row.get(i)?;
        millis(ms, whose)
    }

    /// Runs `sql` with `args` (one statement over the whole range) and hands its rows, read
    /// by `from_row`, to `each` a page at a time: a long range is never in memory whole.
    fn query_paged<T>(
        &self,
        sql: &str,
        args: &[Box<dyn rusqlite::ToSql>],
        page_size: usize,
        mut from_row: impl FnMut(&Row<'_>) -> Result<T, Fail>,
        each: &mut PageFn<'_, T>,
    ) -> Result<(), Fail> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(args.iter()))?;
        let mut pager = Pager::new(page_size, each);
        while let Some(row) = rows.next()? {
            pager.push(from_row(row)?)?;
        }
        pager.finish()?;
        Ok(())
    }

    /// The span of a time column from queries of one row each (with `args`): the earliest
    /// and the latest value in unix milliseconds (no row, or `NULL`: no data).
    fn span(
        &self,
        queries: &[&str],
        args: &[&dyn rusqlite::ToSql],
        whose: &str,
    ) -> Result<Option<TimeSpan>, Fail> {
        let mut times = Vec::new();
        for sql in queries {
            let ms: Option<i64> = self
                .conn
                .prepare_cached(sql)?
                .query_row(args, |r| r.get(0))
                .optional()?
                .flatten();
            if let Some(ms) = ms {
                times.push(millis(ms, whose)?);
            }
        }
        Ok(TimeSpan::of(times))
    }
}

/// Unix milliseconds as a time.
fn millis(ms: i64, whose: &str) -> Result<DateTime<Utc>, Fail> {
    DateTime::from_timestamp_millis(ms)
        .ok_or_else(|| Fail::Corrupt(format!("time {ms} ms out of range ({whose})")))
}

/// The [`StoreError`] of the store named `name` for `e` during `operation`.
fn error(name: &str, operation: Operation, e: Fail) -> StoreError {
    match e {
        Fail::Sql(e) => {
            StoreError::new(name, operation, sql_kind(&e), e.to_string()).with_source(e)
        }
        Fail::Rejected(what) => StoreError::new(name, operation, ErrorKind::Rejected, what),
        Fail::Corrupt(reason) => StoreError::new(name, operation, ErrorKind::Corrupt, reason),
        Fail::Unusable(reason) => StoreError::new(name, operation, ErrorKind::Unusable, reason),
        Fail::Conflict(what) => StoreError::new(name, operation, ErrorKind::Conflict, what),
        Fail::Page(e) => e,
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

/// Appends ` AND column IN (?, …)` with a placeholder per item `filter` lists to `sql`
/// (nothing for all), and the items to `args`.
fn push_in_list<T: rusqlite::ToSql + Clone + 'static>(
    sql: &mut String,
    args: &mut Vec<Box<dyn rusqlite::ToSql>>,
    column: &str,
    filter: &Filter<T>,
) {
    if let Some(items) = filter.listed() {
        sql.push_str(" AND ");
        sql.push_str(column);
        sql.push_str(" IN (");
        sql.push_str(&vec!["?"; items.len()].join(","));
        sql.push(')');
        args.extend(
            items
                .iter()
                .map(|i| Box::new(i.clone()) as Box<dyn rusqlite::ToSql>),
        );
    }
}

#[cfg(test)]
mod schema_tests;
#[cfg(test)]
mod tests;
