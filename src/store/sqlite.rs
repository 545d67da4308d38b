//! The embedded SQLite store.
//!
//! One file in WAL mode. Tables:
//!
//! - `readings(station, parameter, resolution, time, value, flag, count)`, primary key
//!   `(station, parameter, resolution, time)`, `WITHOUT ROWID`. `parameter` is the
//!   [`Parameter`] code, `resolution` the [`Resolution`] code, `flag` the one-letter HJ 212 code.
//!   `time` is the label time in **unix milliseconds** (UTC): sub-millisecond parts of a
//!   [`Record::time`] are truncated (towards the past), so two records whose times differ by
//!   less than a millisecond share a key. A NaN `value` is stored as SQL `NULL` (SQLite has no
//!   NaN) and read back as NaN.
//! - an index `readings_by_time(resolution, time)`, so that "every station at this hour" reads
//!   and [`Store::count`] do not scan the whole table.
//! - `device_health`, one row per device; times in unix milliseconds; `status` is the list of
//!   status names, each *followed* by U+001F (unit separator): `[]` → `""`, `["a", "b"]` →
//!   `"a\u{1f}b\u{1f}"`. Names containing U+001F are rejected.
//! - `stations(id, name, name_en, district, lat, lon, time_zone)`, primary key `id`,
//!   `WITHOUT ROWID`: the [`StationInfo`] of collected and imported stations. `lat`/`lon` are
//!   `NULL` when unknown; `time_zone` is the IANA name (`Asia/Shanghai`).
//! - `meta(key, value)`: `application = lantian`, `schema_version = 2`, checked on open.
//!
//! Schema versions: **1** had no `stations` table; **2** adds it. Opening a version-1 file
//! migrates it in place (creates the table and sets `schema_version = 2` in one write
//! transaction; nothing else changes, so the migration is cheap and safe on a live store).
//! A version-2 file opened by a version-1 build is refused as "newer", as any newer schema is.
//!
//! Durability: `synchronous = NORMAL` in WAL mode. A committed [`Store::write`] survives the
//! process being killed at any point (the WAL is in the OS page cache); only an OS crash or
//! power loss can lose the last few committed transactions, and never corrupts the file. The
//! collectors re-send on restart and writes are idempotent, so that window is recoverable, while
//! `FULL` would cost an fsync per batch on the slow flash of field PCs.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OptionalExtension, ToSql, TransactionBehavior, params};

use super::{
    DeviceHealth, IndexRecord, Query, Record, Resolution, StationId, StationInfo, Store, StoreError,
};
use crate::quality::Flag;
use crate::units::Parameter;

/// The schema version this build writes and understands.
pub const SCHEMA_VERSION: u32 = 2;

/// How long a handle waits for another connection's lock before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

const APPLICATION: &str = "lantian";
const STATUS_SEP: char = '\u{1f}';

const SCHEMA: &str = "
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE readings(
    station TEXT NOT NULL,
    parameter TEXT NOT NULL,
    resolution TEXT NOT NULL,
    time INTEGER NOT NULL,
    value REAL,
    flag TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY(station, parameter, resolution, time)
) WITHOUT ROWID;
CREATE INDEX readings_by_time ON readings(resolution, time);
CREATE TABLE device_health(
    device TEXT PRIMARY KEY NOT NULL,
    station TEXT NOT NULL,
    online INTEGER NOT NULL,
    last_success INTEGER,
    last_attempt INTEGER,
    polls INTEGER NOT NULL,
    successes INTEGER NOT NULL,
    skipped INTEGER NOT NULL,
    consecutive_failures INTEGER NOT NULL,
    last_latency_ms REAL,
    status TEXT NOT NULL,
    last_error TEXT,
    last_failure INTEGER
) WITHOUT ROWID;
";

/// Schema version 2: station metadata. Part of a new store, and the migration from version 1.
const STATIONS_TABLE: &str = "
CREATE TABLE stations(
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    name_en TEXT NOT NULL,
    district TEXT NOT NULL,
    lat REAL,
    lon REAL,
    time_zone TEXT NOT NULL
) WITHOUT ROWID;
";
const INSERT_STATION: &str = "INSERT OR REPLACE INTO stations
    (id, name, name_en, district, lat, lon, time_zone) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
const SELECT_STATIONS: &str =
    "SELECT id, name, name_en, district, lat, lon, time_zone FROM stations ORDER BY id";

/// What [`SqliteStore::verify_schema_on`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SchemaState {
    /// No tables at all: a new file.
    Empty,
    /// The current schema.
    Current,
    /// Version 1: lacks the `stations` table.
    Version1,
}

const INSERT_READING: &str = "INSERT OR REPLACE INTO readings
    (station, parameter, resolution, time, value, flag, count) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
const FIRST_PAIR: &str =
    "SELECT station, parameter FROM readings ORDER BY station, parameter LIMIT 1";
const NEXT_PARAMETER: &str = "SELECT station, parameter FROM readings
    WHERE station = ?1 AND parameter > ?2 ORDER BY parameter LIMIT 1";
const NEXT_STATION: &str = "SELECT station, parameter FROM readings
    WHERE station > ?1 ORDER BY station, parameter LIMIT 1";
const LATEST_OF_PAIR: &str = "SELECT station, parameter, time, value, flag, count FROM readings
    WHERE station = ?1 AND parameter = ?2 AND resolution = ?3 ORDER BY time DESC LIMIT 1";
const INSERT_HEALTH: &str = "INSERT OR REPLACE INTO device_health
    (device, station, online, last_success, last_attempt, polls, successes, skipped,
     consecutive_failures, last_latency_ms, status, last_error, last_failure)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";
const SELECT_HEALTH: &str = "SELECT device, station, online, last_success, last_attempt, polls,
    successes, skipped, consecutive_failures, last_latency_ms, status, last_error,
    last_failure FROM device_health ORDER BY device";

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

impl SqliteStore {
    /// Opens (creating if needed) the store at `path`. The parent directory must exist.
    ///
    /// Fails with [`StoreError::Unusable`] when the directory is missing or the file holds
    /// another application's tables or a newer schema version.
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
        let store = SqliteStore { conn, path };
        store.configure().map_err(|e| store.sql(e))?;
        store.check_schema()?;
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

    /// Checks the schema, creating it in an empty file and migrating an older version.
    fn check_schema(&self) -> Result<(), StoreError> {
        if SqliteStore::verify_schema_on(&self.conn, &self.path)? == SchemaState::Current {
            return Ok(());
        }
        // Empty or old file: create / migrate under a write lock, re-checking in case another
        // process did it first.
        let tx = rusqlite::Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)
            .map_err(|e| self.sql(e))?;
        let state = SqliteStore::verify_schema_on(&tx, &self.path)?;
        match state {
            SchemaState::Current => {}
            SchemaState::Empty => {
                tx.execute_batch(SCHEMA).map_err(|e| self.sql(e))?;
                tx.execute_batch(STATIONS_TABLE).map_err(|e| self.sql(e))?;
                tx.execute(
                    "INSERT INTO meta(key, value) VALUES ('application', ?1), ('schema_version', ?2)",
                    params![APPLICATION, SCHEMA_VERSION.to_string()],
                )
                .map_err(|e| self.sql(e))?;
            }
            SchemaState::Version1 => {
                tx.execute_batch(STATIONS_TABLE).map_err(|e| self.sql(e))?;
                tx.execute(
                    "UPDATE meta SET value = ?1 WHERE key = 'schema_version'",
                    [SCHEMA_VERSION.to_string()],
                )
                .map_err(|e| self.sql(e))?;
            }
        }
        tx.commit().map_err(|e| self.sql(e))?;
        match state {
            SchemaState::Empty => {
                tracing::debug!(path = %self.path.display(), "created SQLite store");
            }
            SchemaState::Version1 => tracing::info!(
                path = %self.path.display(),
                "migrated SQLite store from schema version 1 to {SCHEMA_VERSION} (stations table)"
            ),
            SchemaState::Current => {}
        }
        Ok(())
    }

    /// Classifies the file: empty, current, or an older lantian schema this build migrates.
    /// Foreign and newer schemas are errors.
    fn verify_schema_on(conn: &Connection, path: &Path) -> Result<SchemaState, StoreError> {
        let sql = |source| StoreError::Sqlite {
            path: path.to_path_buf(),
            source,
        };
        let unusable = |reason: String| StoreError::Unusable {
            path: path.to_path_buf(),
            reason,
        };
        let tables: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
                [],
                |r| r.get(0),
            )
            .map_err(sql)?;
        if tables == 0 {
            return Ok(SchemaState::Empty);
        }
        let has_table = |name: &str| -> Result<bool, StoreError> {
            conn.query_row(
                "SELECT count(*) > 0 FROM sqlite_schema WHERE type = 'table' AND name = ?1",
                [name],
                |r| r.get(0),
            )
            .map_err(sql)
        };
        let get = |key: &str| -> Result<Option<String>, StoreError> {
            conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| {
                r.get::<_, String>(0)
            })
            .optional()
            .map_err(sql)
        };
        if !has_table("meta")? || get("application")?.as_deref() != Some(APPLICATION) {
            return Err(unusable(
                "the file holds tables of another application (no lantian `meta` table)"
                    .to_string(),
            ));
        }
        let version = get("schema_version")?;
        match version.as_deref().map(str::parse::<u32>) {
            Some(Ok(SCHEMA_VERSION)) => Ok(SchemaState::Current),
            // Version 1 never had a `stations` table; if one exists, something else made it.
            Some(Ok(1)) if !has_table("stations")? => Ok(SchemaState::Version1),
            Some(Ok(v)) if v > SCHEMA_VERSION => Err(unusable(format!(
                "schema version {v} is newer than this build understands ({SCHEMA_VERSION}); \
                 upgrade lantian"
            ))),
            _ => Err(unusable(format!(
                "unsupported schema version {version:?} (expected 1 or {SCHEMA_VERSION})"
            ))),
        }
    }

    /// Reads rows of `(station, parameter, time, value, flag, count)` into records.
    fn collect_rows(
        &self,
        rows: &mut rusqlite::Rows<'_>,
        resolution: Resolution,
        out: &mut Vec<Record>,
    ) -> Result<(), StoreError> {
        let mut station: Option<StationId> = None;
        while let Some(row) = rows.next().map_err(|e| self.sql(e))? {
            let text = |i: usize| -> Result<&str, StoreError> {
                match row.get_ref(i).map_err(|e| self.sql(e))? {
                    ValueRef::Text(t) => std::str::from_utf8(t)
                        .map_err(|_| self.corrupt(format!("column {i} is not UTF-8"))),
                    other => Err(self.corrupt(format!(
                        "column {i} is {:?}, expected text",
                        other.data_type()
                    ))),
                }
            };
            let name = text(0)?;
            let station_id = match &station {
                Some(s) if &**s == name => s.clone(),
                _ => {
                    let s: StationId = Arc::from(name);
                    station = Some(s.clone());
                    s
                }
            };
            let code = text(1)?;
            let parameter = parameter_from_code(code).ok_or_else(|| {
                self.corrupt(format!("unknown parameter code `{code}` (station {name})"))
            })?;
            let ms: i64 = row.get(2).map_err(|e| self.sql(e))?;
            let time = from_millis(ms)
                .ok_or_else(|| self.corrupt(format!("time {ms} ms out of range ({name})")))?;
            let value: Option<f64> = row.get(3).map_err(|e| self.sql(e))?;
            let flag_code = text(4)?;
            let flag: Flag = flag_code.parse().map_err(|_| {
                self.corrupt(format!(
                    "unknown flag `{flag_code}` ({name} {code} at {time})"
                ))
            })?;
            let count: i64 = row.get(5).map_err(|e| self.sql(e))?;
            let count = u32::try_from(count).map_err(|_| {
                self.corrupt(format!(
                    "count {count} out of range ({name} {code} at {time})"
                ))
            })?;
            out.push(Record {
                station: station_id,
                parameter,
                resolution,
                time,
                value: value.unwrap_or(f64::NAN),
                flag,
                count,
            });
        }
        Ok(())
    }
}

/// Sorts records by station, then [`Parameter`] order, keeping time order within each series.
fn sort_series(records: &mut [Record]) {
    records.sort_by(|a, b| {
        a.station
            .cmp(&b.station)
            .then(a.parameter.cmp(&b.parameter))
    });
}

fn parameter_from_code(code: &str) -> Option<Parameter> {
    Parameter::ALL.into_iter().find(|p| p.code() == code)
}

fn from_millis(ms: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_millis(ms)
}

impl Store for SqliteStore {
    fn write(&mut self, records: &[Record]) -> Result<usize, StoreError> {
        if records.is_empty() {
            return Ok(0);
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| StoreError::Sqlite {
                path: self.path.clone(),
                source: e,
            })?;
        let result = (|| {
            let mut stmt = tx.prepare_cached(INSERT_READING)?;
            for r in records {
                let value = (!r.value.is_nan()).then_some(r.value);
                stmt.execute(params![
                    &*r.station,
                    r.parameter.code(),
                    r.resolution.code(),
                    r.time.timestamp_millis(),
                    value,
                    flag_str(r.flag),
                    r.count,
                ])?;
            }
            drop(stmt);
            tx.commit()
        })();
        result.map_err(|e| self.sql(e))?;
        Ok(records.len())
    }

    fn read(&self, query: &Query) -> Result<Vec<Record>, StoreError> {
        let mut out = Vec::new();
        if query.from >= query.to {
            return Ok(out);
        }
        let mut sql = String::from(
            "SELECT station, parameter, time, value, flag, count FROM readings
             WHERE resolution = ?1 AND time >= ?2 AND time < ?3",
        );
        let res = query.resolution.code();
        let (from, to) = (query.from.timestamp_millis(), query.to.timestamp_millis());
        let mut args: Vec<&dyn ToSql> = vec![&res, &from, &to];
        let mut in_list = |column: &str, n: usize| {
            if n > 0 {
                sql.push_str(&format!(" AND {column} IN ("));
                sql.push_str(&vec!["?"; n].join(","));
                sql.push(')');
            }
        };
        in_list("station", query.stations.len());
        in_list("parameter", query.parameters.len());
        sql.push_str(" ORDER BY station, parameter, time");
        let codes: Vec<&'static str> = query.parameters.iter().map(|p| p.code()).collect();
        args.extend(query.stations.iter().map(|s| s as &dyn ToSql));
        args.extend(codes.iter().map(|c| c as &dyn ToSql));
        let mut stmt = self.conn.prepare_cached(&sql).map_err(|e| self.sql(e))?;
        let mut rows = stmt.query(&args[..]).map_err(|e| self.sql(e))?;
        self.collect_rows(&mut rows, query.resolution, &mut out)?;
        sort_series(&mut out);
        Ok(out)
    }

    /// Skip-scans the distinct station × parameter pairs of the primary key and fetches the
    /// newest record of each with one index seek: O(pairs · log n), not O(n).
    fn latest(
        &self,
        resolution: Resolution,
        station: Option<&str>,
    ) -> Result<Vec<Record>, StoreError> {
        let mut out = Vec::new();
        let prepare = |sql| self.conn.prepare_cached(sql).map_err(|e| self.sql(e));
        let (mut first, mut next_parameter, mut next_station, mut one) = (
            prepare(FIRST_PAIR)?,
            prepare(NEXT_PARAMETER)?,
            prepare(NEXT_STATION)?,
            prepare(LATEST_OF_PAIR)?,
        );
        let pair = |r: &rusqlite::Row<'_>| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?));
        let mut next = match station {
            Some(s) => next_parameter.query_row(params![s, ""], pair),
            None => first.query_row([], pair),
        }
        .optional()
        .map_err(|e| self.sql(e))?;
        while let Some((s, p)) = next {
            let mut rows = one
                .query(params![s, p, resolution.code()])
                .map_err(|e| self.sql(e))?;
            self.collect_rows(&mut rows, resolution, &mut out)?;
            next = next_parameter
                .query_row(params![s, p], pair)
                .optional()
                .map_err(|e| self.sql(e))?;
            if next.is_none() && station.is_none() {
                next = next_station
                    .query_row(params![s], pair)
                    .optional()
                    .map_err(|e| self.sql(e))?;
            }
        }
        sort_series(&mut out);
        Ok(out)
    }

    fn count(&self, resolution: Resolution) -> Result<u64, StoreError> {
        let n: i64 = self
            .conn
            .prepare_cached("SELECT count(*) FROM readings WHERE resolution = ?1")
            .and_then(|mut s| s.query_row([resolution.code()], |r| r.get(0)))
            .map_err(|e| self.sql(e))?;
        Ok(n.max(0).unsigned_abs())
    }

    fn put_health(&mut self, health: &[DeviceHealth]) -> Result<(), StoreError> {
        let invalid = |what: String| StoreError::Invalid {
            path: self.path.clone(),
            what,
        };
        let mut rows = Vec::with_capacity(health.len());
        for h in health {
            let int = |name: &str, v: u64| {
                i64::try_from(v)
                    .map_err(|_| invalid(format!("{name} = {v} of device {}", h.device)))
            };
            let mut status = String::new();
            for s in &h.status {
                if s.contains(STATUS_SEP) {
                    return Err(invalid(format!(
                        "status name {s:?} of device {} (contains U+001F)",
                        h.device
                    )));
                }
                status.push_str(s);
                status.push(STATUS_SEP);
            }
            let counters = [
                int("polls", h.polls)?,
                int("successes", h.successes)?,
                int("skipped", h.skipped)?,
            ];
            rows.push((h, counters, status));
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| StoreError::Sqlite {
                path: self.path.clone(),
                source: e,
            })?;
        let result = (|| {
            let mut stmt = tx.prepare_cached(INSERT_HEALTH)?;
            for (h, [polls, successes, skipped], status) in &rows {
                stmt.execute(params![
                    h.device,
                    h.station,
                    h.online,
                    h.last_success.map(|t| t.timestamp_millis()),
                    h.last_attempt.map(|t| t.timestamp_millis()),
                    polls,
                    successes,
                    skipped,
                    h.consecutive_failures,
                    h.last_latency_ms,
                    status,
                    h.last_error,
                    h.last_failure.map(|t| t.timestamp_millis()),
                ])?;
            }
            drop(stmt);
            tx.commit()
        })();
        result.map_err(|e| self.sql(e))
    }

    fn health(&self) -> Result<Vec<DeviceHealth>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(SELECT_HEALTH)
            .map_err(|e| self.sql(e))?;
        let mut rows = stmt.query([]).map_err(|e| self.sql(e))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(|e| self.sql(e))? {
            let device: String = r.get(0).map_err(|e| self.sql(e))?;
            let time = |i: usize| -> Result<Option<DateTime<Utc>>, StoreError> {
                match r.get::<_, Option<i64>>(i).map_err(|e| self.sql(e))? {
                    None => Ok(None),
                    Some(ms) => from_millis(ms).map(Some).ok_or_else(|| {
                        self.corrupt(format!("health time {ms} ms out of range ({device})"))
                    }),
                }
            };
            let uint = |i: usize| -> Result<u64, StoreError> {
                let v: i64 = r.get(i).map_err(|e| self.sql(e))?;
                u64::try_from(v)
                    .map_err(|_| self.corrupt(format!("negative health counter {v} ({device})")))
            };
            let status: String = r.get(10).map_err(|e| self.sql(e))?;
            if !status.is_empty() && !status.ends_with(STATUS_SEP) {
                return Err(self.corrupt(format!("malformed status list {status:?} ({device})")));
            }
            out.push(DeviceHealth {
                station: r.get(1).map_err(|e| self.sql(e))?,
                online: r.get(2).map_err(|e| self.sql(e))?,
                last_success: time(3)?,
                last_attempt: time(4)?,
                polls: uint(5)?,
                successes: uint(6)?,
                skipped: uint(7)?,
                consecutive_failures: r.get(8).map_err(|e| self.sql(e))?,
                last_latency_ms: r.get(9).map_err(|e| self.sql(e))?,
                status: status
                    .split_terminator(STATUS_SEP)
                    .map(str::to_string)
                    .collect(),
                last_error: r.get(11).map_err(|e| self.sql(e))?,
                last_failure: time(12)?,
                device,
            });
        }
        Ok(out)
    }

    fn put_stations(&mut self, stations: &[StationInfo]) -> Result<(), StoreError> {
        for s in stations {
            check_coordinate(&self.path, s, "lat", s.lat, 90.0)?;
            check_coordinate(&self.path, s, "lon", s.lon, 180.0)?;
        }
        if stations.is_empty() {
            return Ok(());
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| StoreError::Sqlite {
                path: self.path.clone(),
                source: e,
            })?;
        let result = (|| {
            let mut stmt = tx.prepare_cached(INSERT_STATION)?;
            for s in stations {
                stmt.execute(params![
                    s.id,
                    s.name,
                    s.name_en,
                    s.district,
                    s.lat,
                    s.lon,
                    s.time_zone.name(),
                ])?;
            }
            drop(stmt);
            tx.commit()
        })();
        result.map_err(|e| self.sql(e))
    }

    fn stations(&self) -> Result<Vec<StationInfo>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(SELECT_STATIONS)
            .map_err(|e| self.sql(e))?;
        let mut rows = stmt.query([]).map_err(|e| self.sql(e))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(|e| self.sql(e))? {
            let id: String = r.get(0).map_err(|e| self.sql(e))?;
            let zone: String = r.get(6).map_err(|e| self.sql(e))?;
            let time_zone = zone
                .parse::<chrono_tz::Tz>()
                .map_err(|_| self.corrupt(format!("unknown time zone `{zone}` (station {id})")))?;
            out.push(StationInfo {
                name: r.get(1).map_err(|e| self.sql(e))?,
                name_en: r.get(2).map_err(|e| self.sql(e))?,
                district: r.get(3).map_err(|e| self.sql(e))?,
                lat: r.get(4).map_err(|e| self.sql(e))?,
                lon: r.get(5).map_err(|e| self.sql(e))?,
                time_zone,
                id,
            });
        }
        Ok(out)
    }
    fn write_indices(&mut self, records: &[IndexRecord]) -> Result<usize, StoreError> {
        let _ = records;
        unimplemented!("helper H")
    }

    fn read_indices(&self, query: &Query) -> Result<Vec<IndexRecord>, StoreError> {
        let _ = query;
        unimplemented!("helper H")
    }
}

/// Rejects a latitude / longitude that is not finite or beyond ±`limit` degrees (SQLite would
/// turn a NaN into `NULL`, i.e. "unknown", silently).
fn check_coordinate(
    path: &Path,
    station: &StationInfo,
    name: &str,
    value: Option<f64>,
    limit: f64,
) -> Result<(), StoreError> {
    match value {
        Some(v) if !(v.is_finite() && v.abs() <= limit) => Err(StoreError::Invalid {
            path: path.to_path_buf(),
            what: format!(
                "{name} = {v} of station {} (must be within ±{limit}°)",
                station.id
            ),
        }),
        _ => Ok(()),
    }
}

fn flag_str(flag: Flag) -> &'static str {
    match flag {
        Flag::Normal => "N",
        Flag::Stopped => "F",
        Flag::Maintenance => "M",
        Flag::Manual => "S",
        Flag::Fault => "D",
        Flag::Calibration => "C",
        Flag::OverRange => "T",
        Flag::CommError => "B",
    }
}

#[cfg(test)]
mod tests;
