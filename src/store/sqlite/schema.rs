//! The schema: the version-1 base, the versioned steps that bring a file to
//! [`SCHEMA_VERSION`], and the check on open that creates, migrates or refuses a file.

use rusqlite::{Connection, OptionalExtension, params};

use super::{Fail, SqliteStore};

/// The schema version this build writes and understands.
pub const SCHEMA_VERSION: u32 = 13;

const APPLICATION: &str = "lantian";

/// Schema version 1: what every store starts from.
const BASE: &str = "
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

/// One schema change, from `version - 1` to `version`. A step's SQL never changes once
/// released: later changes are new steps.
struct Step {
    /// The version the step brings a file to.
    version: u32,
    /// What it adds, for the log.
    what: &'static str,
    /// The tables it creates (a file of an earlier version must not have them).
    tables: &'static [&'static str],
    /// The columns it adds to existing tables, as (table, column) (a file of an earlier
    /// version must not have them either).
    columns: &'static [(&'static str, &'static str)],
    /// The columns it removes, as (table, column definition) (what a downgrade in tests puts
    /// back).
    #[cfg_attr(
        not(test),
        expect(
            dead_code,
            reason = "only the tests' downgrade puts dropped columns back"
        )
    )]
    dropped: &'static [(&'static str, &'static str)],
    sql: &'static str,
}

/// Every step after the base, in version order.
const STEPS: &[Step] = &[
    Step {
        version: 2,
        what: "stations table",
        tables: &["stations"],
        columns: &[],
        dropped: &[],
        sql: "
CREATE TABLE stations(
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    name_en TEXT NOT NULL,
    district TEXT NOT NULL,
    lat REAL,
    lon REAL,
    time_zone TEXT NOT NULL
) WITHOUT ROWID;
",
    },
    Step {
        version: 3,
        what: "indices table",
        tables: &["indices"],
        columns: &[],
        dropped: &[],
        sql: "
CREATE TABLE indices(
    station TEXT NOT NULL,
    resolution TEXT NOT NULL,
    time INTEGER NOT NULL,
    standard TEXT NOT NULL,
    aqi INTEGER,
    primary_pollutants TEXT NOT NULL,
    so2_c REAL, so2_iaqi INTEGER, so2_n INTEGER,
    no2_c REAL, no2_iaqi INTEGER, no2_n INTEGER,
    pm10_c REAL, pm10_iaqi INTEGER, pm10_n INTEGER,
    pm25_c REAL, pm25_iaqi INTEGER, pm25_n INTEGER,
    co_c REAL, co_iaqi INTEGER, co_n INTEGER,
    o3_1h_c REAL, o3_1h_iaqi INTEGER, o3_1h_n INTEGER,
    o3_8h_c REAL, o3_8h_iaqi INTEGER, o3_8h_n INTEGER,
    PRIMARY KEY(station, resolution, time)
) WITHOUT ROWID;
CREATE INDEX indices_by_time ON indices(resolution, time);
",
    },
    Step {
        version: 4,
        what: "job_runs table",
        tables: &["job_runs"],
        columns: &[],
        dropped: &[],
        sql: "
CREATE TABLE job_runs(
    job TEXT NOT NULL,
    scheduled INTEGER NOT NULL,
    started INTEGER NOT NULL,
    finished INTEGER NOT NULL,
    ok INTEGER NOT NULL,
    detail TEXT NOT NULL,
    PRIMARY KEY(job, scheduled, started)
) WITHOUT ROWID;
",
    },
    Step {
        version: 5,
        what: "source_flags table",
        tables: &["source_flags"],
        columns: &[],
        dropped: &[],
        sql: "
CREATE TABLE source_flags(
    station TEXT NOT NULL,
    pollutants TEXT NOT NULL,
    start_time INTEGER NOT NULL,
    end_time INTEGER NOT NULL,
    peak_time INTEGER NOT NULL,
    peak_parameter TEXT NOT NULL,
    peak_value REAL NOT NULL,
    peak_excess REAL NOT NULL,
    source_type TEXT NOT NULL,
    severity REAL NOT NULL,
    evidence TEXT NOT NULL,
    flagged_at INTEGER NOT NULL,
    job TEXT NOT NULL,
    job_scheduled INTEGER NOT NULL,
    PRIMARY KEY(station, pollutants, start_time)
) WITHOUT ROWID;
CREATE INDEX source_flags_by_start ON source_flags(start_time);
",
    },
    Step {
        version: 6,
        what: "forecast tables",
        tables: &["forecast_hours", "forecast_days"],
        columns: &[],
        dropped: &[],
        sql: "
CREATE TABLE forecast_hours(
    station TEXT NOT NULL,
    parameter TEXT NOT NULL,
    issued INTEGER NOT NULL,
    valid INTEGER NOT NULL,
    value REAL NOT NULL,
    model TEXT NOT NULL,
    PRIMARY KEY(station, parameter, issued, valid)
) WITHOUT ROWID;
CREATE INDEX forecast_hours_by_valid ON forecast_hours(valid);
CREATE INDEX forecast_hours_by_issued ON forecast_hours(issued);
CREATE TABLE forecast_days(
    station TEXT NOT NULL,
    time INTEGER NOT NULL,
    issued INTEGER NOT NULL,
    date TEXT NOT NULL,
    aqi INTEGER,
    primary_pollutants TEXT NOT NULL,
    pm25 REAL,
    pm10 REAL,
    o3_8h_max REAL,
    model TEXT NOT NULL,
    abstained TEXT NOT NULL,
    missing TEXT NOT NULL,
    PRIMARY KEY(station, time, issued)
) WITHOUT ROWID;
CREATE INDEX forecast_days_by_issued ON forecast_days(issued);
",
    },
    Step {
        version: 7,
        what: "AQI range of daily forecasts",
        tables: &[],
        columns: &[("forecast_days", "aqi_low"), ("forecast_days", "aqi_high")],
        dropped: &[],
        sql: "
ALTER TABLE forecast_days ADD COLUMN aqi_low INTEGER;
ALTER TABLE forecast_days ADD COLUMN aqi_high INTEGER;
",
    },
    Step {
        version: 8,
        what: "typed job outputs",
        tables: &[],
        columns: &[("job_runs", "output")],
        dropped: &[],
        sql: "
ALTER TABLE job_runs ADD COLUMN output TEXT;
",
    },
    Step {
        version: 9,
        what: "analysed_days table",
        tables: &["analysed_days"],
        columns: &[],
        dropped: &[],
        sql: "
CREATE TABLE analysed_days(
    day INTEGER PRIMARY KEY NOT NULL,
    window_from INTEGER NOT NULL,
    window_to INTEGER NOT NULL,
    stations INTEGER NOT NULL,
    flags INTEGER NOT NULL,
    job TEXT NOT NULL,
    job_scheduled INTEGER NOT NULL,
    analysed_at INTEGER NOT NULL
) WITHOUT ROWID;
",
    },
    Step {
        version: 10,
        what: "alarm tables",
        tables: &["alarms", "alarm_actions"],
        columns: &[],
        dropped: &[],
        sql: "
CREATE TABLE alarms(
    rule TEXT NOT NULL,
    subject TEXT NOT NULL,
    opened INTEGER NOT NULL,
    id TEXT NOT NULL,
    station TEXT,
    kind TEXT NOT NULL,
    severity TEXT NOT NULL,
    state TEXT NOT NULL,
    stale INTEGER NOT NULL,
    assignee TEXT,
    updated INTEGER NOT NULL,
    closed INTEGER,
    revision INTEGER NOT NULL,
    actions INTEGER NOT NULL,
    evidence TEXT NOT NULL,
    handling TEXT NOT NULL,
    PRIMARY KEY(rule, subject, opened)
) WITHOUT ROWID;
CREATE UNIQUE INDEX alarms_open ON alarms(rule, subject) WHERE state <> 'closed';
CREATE INDEX alarms_open_by_opened ON alarms(opened, rule, subject, kind, severity, stale,
    assignee, updated, revision, actions, evidence, handling, state, station, id)
    WHERE state <> 'closed';
CREATE INDEX alarms_by_opened ON alarms(opened);
CREATE INDEX alarms_by_id ON alarms(id);
CREATE TABLE alarm_actions(
    rule TEXT NOT NULL,
    subject TEXT NOT NULL,
    opened INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL,
    PRIMARY KEY(rule, subject, opened, seq)
) WITHOUT ROWID;
",
    },
    Step {
        version: 11,
        what: "peer address and rejected packets of device health (HJ 212 loggers)",
        tables: &[],
        columns: &[("device_health", "peer"), ("device_health", "rejected")],
        dropped: &[],
        sql: "
ALTER TABLE device_health ADD COLUMN peer TEXT;
ALTER TABLE device_health ADD COLUMN rejected TEXT;
",
    },
    Step {
        version: 12,
        what: "city and background-site flag of stations (national network)",
        tables: &[],
        columns: &[("stations", "city"), ("stations", "background")],
        dropped: &[],
        sql: "
ALTER TABLE stations ADD COLUMN city TEXT NOT NULL DEFAULT '';
ALTER TABLE stations ADD COLUMN background INTEGER NOT NULL DEFAULT 0;
",
    },
    Step {
        version: 13,
        what: "station roles (assessment, background, micro) in place of the background-site flag",
        tables: &[],
        columns: &[("stations", "role")],
        dropped: &[("stations", "background INTEGER NOT NULL DEFAULT 0")],
        sql: "
ALTER TABLE stations ADD COLUMN role TEXT NOT NULL DEFAULT 'assessment';
UPDATE stations SET role = 'background' WHERE background <> 0;
ALTER TABLE stations DROP COLUMN background;
",
    },
];

// The steps go from version 2 to the current one without gaps.
const _: () = {
    let mut i = 0;
    while i < STEPS.len() {
        assert!(STEPS[i].version == i as u32 + 2);
        i += 1;
    }
    assert!(STEPS.len() as u32 + 1 == SCHEMA_VERSION);
};

/// What [`classify`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// No tables at all: a new file.
    Empty,
    /// The current schema.
    Current,
    /// An older lantian schema, of this version.
    Old(u32),
}

/// The steps a file of `version` lacks.
fn steps_after(version: u32) -> impl Iterator<Item = &'static Step> {
    STEPS.iter().filter(move |s| s.version > version)
}

/// Checks the schema of a newly opened store, creating it in an empty file and migrating an
/// older version; refuses foreign and newer files.
pub(super) fn prepare(store: &mut SqliteStore) -> Result<(), Fail> {
    if classify(&store.conn)? == State::Current {
        return Ok(());
    }
    // Empty or old file: create / migrate under the write lock, classifying again in case
    // another handle did it first.
    let path = store.path.clone();
    let state = store.write_tx(|tx| -> Result<State, Fail> {
        let state = classify(tx)?;
        let from = match state {
            State::Current => return Ok(state),
            State::Empty => {
                tx.execute_batch(BASE)?;
                tx.execute(
                    "INSERT INTO meta(key, value) VALUES ('application', ?1), ('schema_version', '1')",
                    params![APPLICATION],
                )?;
                1
            }
            State::Old(version) => version,
        };
        for step in steps_after(from) {
            tx.execute_batch(step.sql)?;
        }
        tx.execute(
            "UPDATE meta SET value = ?1 WHERE key = 'schema_version'",
            [SCHEMA_VERSION.to_string()],
        )?;
        Ok(state)
    })?;
    match state {
        State::Empty => tracing::debug!(path = %path.display(), "created SQLite store"),
        State::Old(version) => {
            let what: Vec<&str> = steps_after(version).map(|s| s.what).collect();
            tracing::info!(
                path = %path.display(),
                "migrated SQLite store from schema version {version} to {SCHEMA_VERSION} ({})",
                what.join(", ")
            );
        }
        State::Current => {}
    }
    Ok(())
}

/// Classifies the file: empty, current, or an older lantian schema this build migrates.
/// Foreign and newer schemas are errors.
fn classify(conn: &Connection) -> Result<State, Fail> {
    let sql = Fail::Sql;
    let unusable = Fail::Unusable;
    let tables: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            [],
            |r| r.get(0),
        )
        .map_err(sql)?;
    if tables == 0 {
        return Ok(State::Empty);
    }
    let has_table = |name: &str| -> Result<bool, Fail> {
        conn.query_row(
            "SELECT count(*) > 0 FROM sqlite_schema WHERE type = 'table' AND name = ?1",
            [name],
            |r| r.get(0),
        )
        .map_err(sql)
    };
    let has_column = |table: &str, column: &str| -> Result<bool, Fail> {
        conn.query_row(
            "SELECT count(*) > 0 FROM pragma_table_info(?1) WHERE name = ?2",
            [table, column],
            |r| r.get(0),
        )
        .map_err(sql)
    };
    let get = |key: &str| -> Result<Option<String>, Fail> {
        conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| {
            r.get::<_, String>(0)
        })
        .optional()
        .map_err(sql)
    };
    if !has_table("meta")? || get("application")?.as_deref() != Some(APPLICATION) {
        return Err(unusable(
            "the file holds tables of another application (no lantian `meta` table)".to_string(),
        ));
    }
    let version = get("schema_version")?;
    match version.as_deref().map(str::parse::<u32>) {
        Some(Ok(SCHEMA_VERSION)) => Ok(State::Current),
        Some(Ok(v)) if v > SCHEMA_VERSION => Err(unusable(format!(
            "schema version {v} is newer than this build understands ({SCHEMA_VERSION}); \
             upgrade lantian"
        ))),
        Some(Ok(v)) if v >= 1 => {
            // An older file lacks the tables of later steps; if one exists, something else
            // made it, and migrating would fail or mix foreign data in.
            for step in steps_after(v) {
                for table in step.tables {
                    if has_table(table)? {
                        return Err(unusable(format!(
                            "schema version {v}, but it has the `{table}` table of version {}",
                            step.version
                        )));
                    }
                }
                for (table, column) in step.columns {
                    if has_column(table, column)? {
                        return Err(unusable(format!(
                            "schema version {v}, but its `{table}` table has the `{column}` \
                             column of version {}",
                            step.version
                        )));
                    }
                }
            }
            Ok(State::Old(v))
        }
        _ => Err(unusable(format!(
            "unsupported schema version {version:?} (expected 1 to {SCHEMA_VERSION})"
        ))),
    }
}

/// Turns the store at `path` into what a build of schema `version` wrote: undoes the later
/// steps, latest first (drops their columns, then their tables with their indexes), and sets
/// `schema_version`.
#[cfg(test)]
pub(super) fn downgrade(path: &std::path::Path, version: u32) {
    let conn = Connection::open(path).expect("open raw");
    let later: Vec<&Step> = steps_after(version).collect();
    for step in later.into_iter().rev() {
        for (table, column) in step.columns {
            conn.execute_batch(&format!("ALTER TABLE {table} DROP COLUMN {column}"))
                .expect("drop column");
        }
        for (table, definition) in step.dropped {
            conn.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {definition}"))
                .expect("add column");
        }
        for table in step.tables {
            conn.execute_batch(&format!("DROP TABLE {table}"))
                .expect("drop");
        }
    }
    conn.execute(
        "UPDATE meta SET value = ?1 WHERE key = 'schema_version'",
        [version.to_string()],
    )
    .expect("set version");
}
