//! The SQLite backend against the store conformance suite (every trait, on a new store and
//! on stores migrated from every older schema version), plus crash durability.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;

use crate::common::store_conformance::{self as conformance, TestStore, at, rec};
use lantian::store::sqlite::{SCHEMA_VERSION, SqliteStore};
use lantian::store::{Parameters, ReadingQuery, ReadingStore, Record, Resolution, Stations};
use lantian::units::Parameter;

fn create() -> TestStore {
    let dir = Arc::new(tempfile::tempdir().expect("temp dir"));
    let path = dir.path().join("store.db");
    let store = Box::new(SqliteStore::open(&path).expect("open"));
    TestStore {
        store,
        reopen: Box::new(move || {
            let _keep = &dir;
            Box::new(SqliteStore::open(&path).expect("reopen"))
        }),
    }
}

#[test]
fn conformance() {
    conformance::run_all(&create);
}

/// A store created by a build of schema `version`, opened (and migrated) by this one.
fn create_migrated(version: u32) -> TestStore {
    let dir = Arc::new(tempfile::tempdir().expect("temp dir"));
    let path = dir.path().join(format!("v{version}.db"));
    drop(SqliteStore::open(&path).expect("create"));
    // Each version lacks the tables (and columns) of the later ones.
    let analysed_days = if version < 9 {
        "DROP TABLE analysed_days;"
    } else {
        ""
    };
    let forecasts = match version {
        7..=12 => "",
        6 => {
            "ALTER TABLE forecast_days DROP COLUMN aqi_low; \
             ALTER TABLE forecast_days DROP COLUMN aqi_high;"
        }
        _ => "DROP TABLE forecast_hours; DROP TABLE forecast_days;",
    };
    let job_outputs = if (4..8).contains(&version) {
        "ALTER TABLE job_runs DROP COLUMN output;"
    } else {
        ""
    };
    let later = match version {
        1 => {
            "DROP TABLE source_flags; DROP TABLE job_runs; DROP TABLE indices; DROP TABLE stations;"
        }
        2 => "DROP TABLE source_flags; DROP TABLE job_runs; DROP TABLE indices;",
        3 => "DROP TABLE source_flags; DROP TABLE job_runs;",
        4 => "DROP TABLE source_flags;",
        5..=12 => "",
        _ => unreachable!("no schema version {version} before the current"),
    };
    let alarms = if version < 10 {
        "DROP TABLE alarms; DROP TABLE alarm_actions;"
    } else {
        ""
    };
    let health = if version < 11 {
        "ALTER TABLE device_health DROP COLUMN peer; \
         ALTER TABLE device_health DROP COLUMN rejected;"
    } else {
        ""
    };
    let stations = match version {
        12 => {
            "ALTER TABLE stations DROP COLUMN role; \
             ALTER TABLE stations ADD COLUMN background INTEGER NOT NULL DEFAULT 0;"
        }
        2.. => "ALTER TABLE stations DROP COLUMN city; ALTER TABLE stations DROP COLUMN role;",
        _ => "",
    };
    let conn = rusqlite::Connection::open(&path).expect("raw");
    conn.execute_batch(&format!(
        "{stations} {health} {alarms} {analysed_days} {forecasts} {job_outputs} {later} UPDATE meta SET value = '{version}' WHERE key = 'schema_version';"
    ))
    .expect("downgrade");
    drop(conn);
    let store = Box::new(SqliteStore::open(&path).expect("open an older store"));
    TestStore {
        store,
        reopen: Box::new(move || {
            let _keep = &dir;
            Box::new(SqliteStore::open(&path).expect("reopen"))
        }),
    }
}

#[test]
fn conformance_after_migration_from_version_1() {
    conformance::run_all(&|| create_migrated(1));
}

#[test]
fn conformance_after_migration_from_version_2() {
    conformance::run_all(&|| create_migrated(2));
}

#[test]
fn conformance_after_migration_from_version_3() {
    conformance::run_all(&|| create_migrated(3));
}

#[test]
fn conformance_after_migration_from_version_4() {
    conformance::run_all(&|| create_migrated(4));
}

#[test]
fn conformance_after_migration_from_version_5() {
    conformance::run_all(&|| create_migrated(5));
}

#[test]
fn conformance_after_migration_from_version_6() {
    conformance::run_all(&|| create_migrated(6));
}

#[test]
fn conformance_after_migration_from_version_7() {
    conformance::run_all(&|| create_migrated(7));
}

#[test]
fn conformance_after_migration_from_version_8() {
    conformance::run_all(&|| create_migrated(8));
}

#[test]
fn conformance_after_migration_from_version_9() {
    conformance::run_all(&|| create_migrated(9));
}

#[test]
fn conformance_after_migration_from_version_10() {
    conformance::run_all(&|| create_migrated(10));
}

#[test]
fn conformance_after_migration_from_version_11() {
    conformance::run_all(&|| create_migrated(11));
}

#[test]
fn conformance_after_migration_from_version_12() {
    conformance::run_all(&|| create_migrated(12));
}

#[test]
fn the_current_schema_version_is_13() {
    // `create_migrated` knows the tables of every older version; a new version needs a case.
    assert_eq!(SCHEMA_VERSION, 13);
}

const WRITER_ENV: &str = "LANTIAN_TEST_SQLITE_WRITER";
const BATCH: i64 = 500;

fn batch(n: i64) -> Vec<Record> {
    (0..BATCH)
        .map(|i| {
            rec(
                "K",
                Parameter::Pm25,
                Resolution::Sample,
                n * BATCH + i,
                n as f64,
            )
        })
        .collect()
}

/// Child mode of [`killed_writer_loses_no_committed_batch`]: writes batches forever,
/// announcing each commit on stdout. A no-op in a normal test run.
#[test]
fn sqlite_writer_child() {
    let Ok(path) = std::env::var(WRITER_ENV) else {
        return;
    };
    let mut store = SqliteStore::open(&path).expect("child open");
    for n in 0.. {
        store.put_readings(&batch(n)).expect("child write");
        println!("committed {n}");
    }
}

#[test]
fn killed_writer_loses_no_committed_batch() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("killed.db");
    let mut child = Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "store_sqlite::sqlite_writer_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(WRITER_ENV, &path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn writer");
    let stdout = child.stdout.take().expect("stdout");
    let mut last = None;
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("read child");
        if let Some(n) = line.strip_prefix("committed ") {
            last = Some(n.parse::<i64>().expect("batch number"));
            if last == Some(30) {
                child.kill().expect("SIGKILL"); // Child::kill sends SIGKILL on Unix
                break;
            }
        }
    }
    child.wait().expect("reap");
    let last = last.expect("the child committed batches");
    let store = SqliteStore::open(&path).expect("open after kill");
    let n = store.count_readings(Resolution::Sample).expect("count") as i64;
    assert!(
        n >= (last + 1) * BATCH,
        "{n} records, {last} batches committed"
    );
    assert_eq!(n % BATCH, 0, "batches are atomic");
    for k in 0..=last {
        let q = ReadingQuery::new(
            Resolution::Sample,
            conformance::at(k * BATCH),
            conformance::at((k + 1) * BATCH),
        )
        .for_stations(Stations::one("K"))
        .for_parameters(Parameters::one(Parameter::Pm25));
        assert_eq!(store.readings(&q).expect("read"), batch(k), "batch {k}");
    }
}

/// Source types and the pollutants of a located source are stored as their codes (as when they
/// were strings); an unknown code in a stored row is a `Corrupt` error naming the flag.
#[test]
fn source_flag_codes_are_stored_as_text_and_unknown_codes_are_corrupt() {
    use crate::common::store_conformance::source_flags::flag;
    use lantian::store::{ErrorKind, SourceFlagQuery, SourceFlagStore};
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("store.db");
    let mut store = SqliteStore::open(&path).expect("open");
    let f = flag("S1", &[Parameter::So2, Parameter::No2], 0);
    store.put_source_flags(&[f]).expect("put");
    let conn = rusqlite::Connection::open(&path).expect("raw");
    let (source_type, evidence): (String, String) = conn
        .query_row("SELECT source_type, evidence FROM source_flags", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .expect("row");
    assert_eq!(source_type, "coal_industrial");
    assert!(
        evidence.contains(r#""label":"coal_industrial""#),
        "{evidence}"
    );
    assert!(
        evidence.contains(r#""pollutants":["so2","pm25"]"#),
        "{evidence}"
    );
    let query = SourceFlagQuery::new(at(-10_000), at(10_000));
    let label = evidence.replace(r#""label":"coal_industrial""#, r#""label":"volcano""#);
    let located = evidence.replace(r#"["so2","pm25"]"#, r#"["so2","pm99"]"#);
    for (update, named) in [
        ("source_type = 'smoke'".to_string(), "smoke"),
        (format!("evidence = '{label}'"), "volcano"),
        (format!("evidence = '{located}'"), "pm99"),
    ] {
        let tx = conn.unchecked_transaction().expect("tx");
        tx.execute(&format!("UPDATE source_flags SET {update}"), [])
            .expect("corrupt");
        tx.commit().expect("commit");
        let err = store.source_flags(&query).expect_err(named);
        assert!(err.kind() == ErrorKind::Corrupt, "{err}");
        let text = err.to_string();
        assert!(
            text.contains(named) && text.contains("S1 so2,no2 at"),
            "{text}"
        );
        conn.execute(
            "UPDATE source_flags SET source_type = 'coal_industrial', evidence = ?1",
            [&evidence],
        )
        .expect("restore");
    }
    assert_eq!(store.source_flags(&query).expect("restored").len(), 1);
}
