//! Unit tests of the SQLite backend: opening, URLs, schema checks and corrupt rows.
//! Behaviour shared with other backends is in `tests/common/store_conformance.rs`.

use chrono::TimeZone;
use enum_map::EnumMap;

use super::readings::{FIRST_PAIR, LATEST_OF_PAIR, NEXT_PARAMETER, NEXT_STATION};
use super::*;
use crate::aqi::{Pollutant, Standard};
use crate::quality::Flag;
use crate::store::{
    ErrorKind, IndexQuery, IndexRecord, IndexStore, IndexTerm, JobOutcome, JobOutput, JobRun,
    JobRunStore, Jobs, ReadingQuery, ReadingStore, Record, Resolution, StationInfo, StationRole,
    StationStore, Stations, WriteCounter,
};
use crate::units::Parameter;

pub(super) fn temp() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("t.db");
    (dir, path)
}

#[test]
fn missing_directory_is_a_clear_error() {
    let (dir, _) = temp();
    let path = dir.path().join("no/such/dir/t.db");
    let err = SqliteStore::open(&path).expect_err("missing dir");
    assert!(err.kind() == ErrorKind::Unusable, "{err}");
    assert!(err.to_string().contains("does not exist"), "{err}");
    assert!(
        !dir.path().join("no").exists(),
        "must not create directories"
    );
}

#[test]
fn wal_mode_and_schema_version() {
    let (_dir, path) = temp();
    let store = SqliteStore::open(&path).expect("open");
    let mode: String = store
        .conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .expect("pragma");
    assert_eq!(mode, "wal");
    let sync: i64 = store
        .conn
        .query_row("PRAGMA synchronous", [], |r| r.get(0))
        .expect("pragma");
    assert_eq!(sync, 1, "NORMAL");
    drop(store);
    SqliteStore::open(&path).expect("reopen an existing store");
}

#[test]
fn newer_and_foreign_schemas_are_refused() {
    let (_dir, path) = temp();
    drop(SqliteStore::open(&path).expect("open"));
    let conn = Connection::open(&path).expect("raw");
    conn.execute(
        "UPDATE meta SET value = ?1 WHERE key = 'schema_version'",
        [(SCHEMA_VERSION + 1).to_string()],
    )
    .expect("bump");
    drop(conn);
    let err = SqliteStore::open(&path).expect_err("newer schema");
    assert!(err.kind() == ErrorKind::Unusable, "{err}");
    assert!(err.to_string().contains("newer"), "{err}");

    let (_dir2, foreign) = temp();
    let conn = Connection::open(&foreign).expect("raw");
    conn.execute_batch("CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT);")
        .expect("foreign table");
    drop(conn);
    let err = SqliteStore::open(&foreign).expect_err("foreign schema");
    assert!(err.to_string().contains("another application"), "{err}");
}

#[test]
fn corrupt_rows_name_the_problem() {
    let (_dir, path) = temp();
    let mut store = SqliteStore::open(&path).expect("open");
    let t = Utc.with_ymd_and_hms(2025, 1, 1, 0, 1, 0).unwrap();
    let rec = Record {
        station: "S1".into(),
        parameter: Parameter::Pm25,
        resolution: Resolution::Minute,
        time: t,
        value: 12.0,
        flag: Flag::Normal,
        count: 3,
    };
    store.put_readings(&[rec]).expect("write");
    let q = ReadingQuery::new(Resolution::Minute, t, t + chrono::TimeDelta::minutes(1));
    store
        .conn
        .execute("UPDATE readings SET flag = 'X'", [])
        .expect("corrupt flag");
    let err = store.readings(&q).expect_err("bad flag");
    assert!(err.to_string().contains("unknown flag `X`"), "{err}");
    store
        .conn
        .execute("UPDATE readings SET flag = 'N', parameter = 'pm99'", [])
        .expect("corrupt parameter");
    let err = store
        .latest_readings(Resolution::Minute, &Stations::All)
        .expect_err("bad parameter");
    assert!(err.kind() == ErrorKind::Corrupt, "{err}");
    assert!(err.to_string().contains("pm99"), "{err}");
}

#[test]
fn nan_round_trips_and_millis_truncate() {
    let (_dir, path) = temp();
    let mut store = SqliteStore::open(&path).expect("open");
    let t = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
    let rec = Record {
        station: "S1".into(),
        parameter: Parameter::Co,
        resolution: Resolution::Sample,
        time: t + chrono::TimeDelta::microseconds(1_500),
        value: f64::NAN,
        flag: Flag::Fault,
        count: 0,
    };
    store
        .put_readings(std::slice::from_ref(&rec))
        .expect("write");
    let got = store
        .latest_readings(Resolution::Sample, &Stations::one("S1"))
        .expect("latest");
    assert_eq!(got.len(), 1);
    assert!(got[0].value.is_nan());
    assert_eq!(got[0].time, t + chrono::TimeDelta::milliseconds(1));
    assert_eq!(got[0].flag, rec.flag);
}

#[test]
fn write_counts_move_with_their_writes_for_every_handle() {
    let (_dir, path) = temp();
    let mut writer = SqliteStore::open(&path).expect("open");
    let reader = SqliteStore::open(&path).expect("open again");
    let counts = || {
        let c = reader.write_counts().unwrap().unwrap();
        (c.readings, c.hourly_indices, c.daily_indices)
    };
    assert_eq!(counts(), (0, 0, 0));
    let reading = Record {
        station: "S1".into(),
        parameter: Parameter::Pm25,
        resolution: Resolution::Minute,
        time: Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap(),
        value: 35.0,
        flag: Flag::Normal,
        count: 1,
    };
    writer.put_readings(&[reading]).unwrap();
    assert_eq!(counts(), (1, 0, 0));
    writer.put_readings(&[]).unwrap();
    assert_eq!(counts(), (1, 0, 0), "nothing written, nothing counted");
    writer
        .put_indices(&[index("S1", Resolution::Hour, 1)])
        .unwrap();
    assert_eq!(counts(), (1, 1, 0));
    writer
        .put_indices(&[index("S1", Resolution::Day, 0)])
        .unwrap();
    assert_eq!(counts(), (1, 1, 1));
    let refused = writer.put_indices(&[index("S1", Resolution::Minute, 2)]);
    assert!(refused.is_err());
    assert_eq!(counts(), (1, 1, 1), "a refused write counts nothing");
    let at = Utc.with_ymd_and_hms(2025, 1, 2, 0, 0, 0).unwrap();
    let analysed = crate::store::AnalysedDay {
        day: chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
        window: crate::store::FlagWindow {
            from: at - chrono::TimeDelta::days(3),
            to: at,
            stations: 1,
        },
        flags: 0,
        job: "sources".into(),
        job_scheduled: at,
        analysed_at: at,
    };
    crate::store::SourceFlagStore::put_analysed_days(&mut writer, &[analysed]).unwrap();
    let all = reader.write_counts().unwrap().unwrap();
    assert_eq!((all.source_flags, all.forecasts, all.alarms), (1, 0, 0));
    assert_eq!(counts(), (1, 1, 1));
}

#[test]
fn latest_uses_the_primary_key() {
    let (_dir, path) = temp();
    let store = SqliteStore::open(&path).expect("open");
    for sql in [FIRST_PAIR, NEXT_PARAMETER, NEXT_STATION, LATEST_OF_PAIR] {
        let plan: Vec<String> = store
            .conn
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .expect("plan")
            .query_map(
                rusqlite::params_from_iter(["a", "b", "1m"].iter().take(sql.matches('?').count())),
                |r| r.get::<_, String>(3),
            )
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        let plan = plan.join("; ");
        // FIRST_PAIR reads the first row in key order (a `SCAN` stopped by `LIMIT 1`).
        let seek = plan.contains("SEARCH readings USING PRIMARY KEY") || sql == FIRST_PAIR;
        assert!(seek, "{sql}: {plan}");
        assert!(!plan.contains("TEMP B-TREE"), "{sql}: {plan}");
    }
}

pub(super) fn station(id: &str) -> StationInfo {
    StationInfo {
        id: id.to_string(),
        name: "奥体中心".to_string(),
        name_en: "Olympic Sports Centre".to_string(),
        district: "朝阳区".to_string(),
        lat: Some(40.003),
        lon: Some(116.407),
        time_zone: chrono_tz::Asia::Shanghai,
        city: String::new(),
        role: StationRole::Assessment,
    }
}

/// The tables, indexes and their SQL, by name.
pub(super) fn index(station: &str, resolution: Resolution, hour: u32) -> IndexRecord {
    let mut terms = EnumMap::default();
    terms[Pollutant::Pm25] = Some(IndexTerm {
        concentration: 80.5,
        iaqi: Some(107),
        valid: 1,
    });
    terms[Pollutant::O3_1h] = Some(IndexTerm {
        concentration: 1200.0,
        iaqi: None,
        valid: 1,
    });
    IndexRecord {
        station: station.into(),
        resolution,
        time: Utc.with_ymd_and_hms(2025, 1, 1, hour, 0, 0).unwrap(),
        standard: Standard::Hj633_2012,
        aqi: Some(107),
        primary: vec![Pollutant::Pm25, Pollutant::O3_1h],
        terms,
    }
}

#[test]
fn index_columns_follow_the_pollutant_order() {
    let (_dir, path) = temp();
    let store = SqliteStore::open(&path).expect("open");
    let names: Vec<String> = store
        .conn
        .prepare("SELECT name FROM pragma_table_info('indices') ORDER BY cid")
        .expect("columns")
        .query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    let terms: Vec<String> = Pollutant::ALL
        .iter()
        .flat_map(|p| ["c", "iaqi", "n"].map(|s| format!("{}_{s}", p.code())))
        .collect();
    assert_eq!(
        names[..6],
        [
            "station",
            "resolution",
            "time",
            "standard",
            "aqi",
            "primary_pollutants"
        ]
    );
    assert_eq!(names[6..], terms);
    assert_eq!(indices::TERM_COLUMNS, terms.join(", "));
}

#[test]
fn index_writes_are_checked() {
    let (_dir, path) = temp();
    let mut store = SqliteStore::open(&path).expect("open");
    let good = index("S1", Resolution::Day, 0);
    let minute = index("S1", Resolution::Minute, 1);
    let err = store
        .put_indices(&[good.clone(), minute])
        .expect_err("minute index");
    assert!(err.kind() == ErrorKind::Rejected, "{err}");
    assert!(err.to_string().contains("1m"), "{err}");
    let mut nan = index("S2", Resolution::Hour, 1);
    nan.terms[Pollutant::So2] = Some(IndexTerm {
        concentration: f64::NAN,
        iaqi: None,
        valid: 0,
    });
    let err = store.put_indices(&[good, nan]).expect_err("NaN");
    assert!(err.kind() == ErrorKind::Rejected, "{err}");
    assert!(err.to_string().contains("so2"), "{err}");
    let n: i64 = store
        .conn
        .query_row("SELECT count(*) FROM indices", [], |r| r.get(0))
        .expect("count");
    assert_eq!(n, 0, "a rejected batch writes nothing");
    assert_eq!(store.put_indices(&[]).expect("empty"), 0);
}

#[test]
fn corrupt_index_rows_name_the_problem() {
    let (_dir, path) = temp();
    let mut store = SqliteStore::open(&path).expect("open");
    let i = index("S1", Resolution::Hour, 3);
    store.put_indices(std::slice::from_ref(&i)).expect("write");
    let q = IndexQuery::new(
        Resolution::Hour,
        i.time,
        i.time + chrono::TimeDelta::hours(1),
    )
    .for_stations(Stations::one("S1"));
    assert_eq!(store.indices(&q).expect("read"), [i]);
    for (corruption, named) in [
        ("standard = 'cn-1996'", "cn-1996"),
        ("primary_pollutants = 'pm25;pm99'", "pm99"),
        ("primary_pollutants = 'pm25;'", "``"),
        ("aqi = -1", "AQI -1"),
        ("pm25_n = NULL", "incomplete pm25 term"),
        ("so2_iaqi = 3", "incomplete so2 term"),
        ("o3_1h_iaqi = -5", "o3_1h IAQI -5"),
        ("pm25_n = 300", "pm25 valid count 300"),
    ] {
        let tx = store.conn.unchecked_transaction().expect("tx");
        tx.execute(&format!("UPDATE indices SET {corruption}"), [])
            .expect("corrupt");
        let err = store.indices(&q).expect_err(corruption);
        assert!(err.kind() == ErrorKind::Corrupt, "{err}");
        assert!(err.to_string().contains(named), "{corruption}: {err}");
        assert!(err.to_string().contains("S1"), "{corruption}: {err}");
        drop(tx); // rolls back
    }
}

/// The query plan of `sql` with `args`, one step a line.
fn plan(store: &SqliteStore, sql: &str, args: &[Box<dyn rusqlite::ToSql>]) -> String {
    let steps: Vec<String> = store
        .conn
        .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
        .expect("plan")
        .query_map(rusqlite::params_from_iter(args.iter()), |r| {
            r.get::<_, String>(3)
        })
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    steps.join("; ")
}

#[test]
fn paged_reading_reads_never_sort_the_whole_range() {
    let (_dir, path) = temp();
    let store = SqliteStore::open(&path).expect("open");
    let (from, to) = (
        Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap(),
    );
    // Every station: rows stream in time order from the index on (resolution, time).
    let everything = ReadingQuery::new(Resolution::Hour, from, to);
    let (sql, args) = readings::select(&everything);
    let p = plan(&store, &sql, &args);
    assert!(p.contains("readings_by_time"), "{p}");
    assert!(!p.contains("TEMP B-TREE"), "sorts the range: {p}");
    // One station's pollutants (the index stage, the assessment): seeks on the primary key.
    let one = everything
        .clone()
        .for_stations(Stations::one("S1"))
        .for_parameters(crate::store::Parameters::only([
            Parameter::Pm25,
            Parameter::O3,
        ]));
    let (sql, args) = readings::select(&one);
    let p = plan(&store, &sql, &args);
    assert!(p.contains("USING PRIMARY KEY"), "{p}");
    assert!(!p.contains("TEMP B-TREE"), "{p}");
    // One station's every parameter (the health report, a station's page): the primary key
    // too, not every station's range from `readings_by_time`.
    let station = everything.for_stations(Stations::one("S1"));
    let (sql, args) = readings::select(&station);
    let p = plan(&store, &sql, &args);
    assert!(p.contains("USING PRIMARY KEY"), "{p}");
    assert!(!p.contains("TEMP B-TREE"), "{p}");
}

#[test]
fn index_reads_use_an_index() {
    let (_dir, path) = temp();
    let store = SqliteStore::open(&path).expect("open");
    for (sql, args) in [
        (format!("{} ORDER BY time", indices::SELECT), 3),
        (
            format!(
                "{} AND station IN (?, ?) ORDER BY station, time",
                indices::SELECT
            ),
            5,
        ),
    ] {
        let plan: Vec<String> = store
            .conn
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .expect("plan")
            .query_map(
                rusqlite::params_from_iter(["1h", "0", "1", "a", "b"].iter().take(args)),
                |r| r.get::<_, String>(3),
            )
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        let plan = plan.join("; ");
        assert!(plan.contains("SEARCH indices USING"), "{sql}: {plan}");
    }
}

#[test]
fn station_coordinates_and_zones_are_checked() {
    let (_dir, path) = temp();
    let mut store = SqliteStore::open(&path).expect("open");
    for (lat, lon) in [
        (Some(f64::NAN), None),
        (Some(91.0), None),
        (None, Some(-181.0)),
    ] {
        let s = StationInfo {
            lat,
            lon,
            ..station("bad")
        };
        let err = store.put_stations(&[s]).expect_err("invalid coordinate");
        assert!(err.kind() == ErrorKind::Rejected, "{err}");
        assert!(err.to_string().contains("bad"), "{err}");
    }
    assert!(store.stations().expect("stations").is_empty());
    store.put_stations(&[station("S1")]).expect("put");
    store
        .conn
        .execute("UPDATE stations SET time_zone = 'Mars/Olympus'", [])
        .expect("corrupt");
    let err = store.stations().expect_err("bad zone");
    assert!(err.kind() == ErrorKind::Corrupt, "{err}");
    assert!(err.to_string().contains("Mars/Olympus"), "{err}");
}

/// A successful run of `job` for `day` (days after 2025-01-01, 08:00 local = 00:00 UTC), with
/// a text output as every schema version keeps it.
pub(super) fn job_run(job: &str, day: i64) -> JobRun {
    let scheduled =
        Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap() + chrono::TimeDelta::days(day);
    JobRun {
        job: job.to_string(),
        scheduled,
        started: scheduled + chrono::TimeDelta::seconds(2),
        finished: scheduled + chrono::TimeDelta::seconds(5),
        outcome: text_output(vec![format!("report-{day}.pdf")]),
    }
}

fn text_output(lines: Vec<String>) -> JobOutcome {
    JobOutcome::Succeeded(JobOutput::Text { lines })
}

#[test]
fn job_outputs_read_back_typed_and_old_rows_as_text() {
    let (_dir, path) = temp();
    let mut store = SqliteStore::open(&path).expect("open");
    let day = chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
    let typed = JobRun {
        outcome: JobOutcome::Succeeded(JobOutput::SourceFlags { day, flags: 3 }),
        ..job_run("sources", 0)
    };
    store
        .put_job_runs(std::slice::from_ref(&typed))
        .expect("record");
    assert_eq!(
        store
            .latest_job_runs(&Jobs::one("sources"), 1)
            .expect("runs"),
        [typed]
    );
    // A row as schema version 7 wrote it: its line reads back as text, never parsed.
    store
        .conn
        .execute(
            "UPDATE job_runs SET output = NULL, detail = ?1",
            ["source flags for 2025-01-01: 3 new\u{1f}"],
        )
        .expect("old row");
    assert_eq!(
        store
            .latest_job_runs(&Jobs::one("sources"), 1)
            .expect("runs")[0]
            .outcome,
        text_output(vec!["source flags for 2025-01-01: 3 new".into()])
    );
    store
        .conn
        .execute("UPDATE job_runs SET output = '{\"kind\":\"later\"}'", [])
        .expect("foreign row");
    let err = store
        .latest_job_runs(&Jobs::one("sources"), 1)
        .expect_err("an unknown output kind");
    assert_eq!(err.kind(), ErrorKind::Corrupt, "{err}");
    assert!(err.to_string().contains("sources"), "{err}");
}

#[test]
fn job_run_outputs_are_checked_and_corrupt_rows_named() {
    let (_dir, path) = temp();
    let mut store = SqliteStore::open(&path).expect("open");
    let bad = JobRun {
        outcome: text_output(vec!["a\u{1f}b".to_string()]),
        ..job_run("daily", 0)
    };
    let err = store
        .put_job_runs(std::slice::from_ref(&bad))
        .expect_err("separator in an output");
    assert!(err.kind() == ErrorKind::Rejected, "{err}");
    assert!(err.to_string().contains("daily"), "{err}");
    assert!(
        store
            .latest_job_runs(&Jobs::All, 10)
            .expect("runs")
            .is_empty()
    );

    // An empty output and no outputs at all are told apart.
    for outputs in [vec![], vec![String::new()], vec![String::new(), "x".into()]] {
        let run = JobRun {
            outcome: text_output(outputs),
            ..job_run("daily", 0)
        };
        store
            .put_job_runs(std::slice::from_ref(&run))
            .expect("record");
        assert_eq!(
            store.latest_job_runs(&Jobs::one("daily"), 1).expect("runs"),
            [run]
        );
    }

    for (corruption, named) in [
        ("detail = 'no terminator'", "no terminator"),
        ("scheduled = 9223372036854775807", "out of range"),
        ("detail = x'ff'", "expected text"),
    ] {
        let tx = store.conn.unchecked_transaction().expect("tx");
        tx.execute(&format!("UPDATE job_runs SET {corruption}"), [])
            .expect("corrupt");
        let err = store.latest_job_runs(&Jobs::All, 10).expect_err(corruption);
        assert!(err.kind() == ErrorKind::Corrupt, "{err}");
        assert!(err.to_string().contains(named), "{corruption}: {err}");
        drop(tx); // rolls back
    }
}

#[test]
fn the_last_run_of_a_job_is_a_primary_key_seek() {
    let (_dir, path) = temp();
    let store = SqliteStore::open(&path).expect("open");
    let plan: Vec<String> = store
        .conn
        .prepare(&format!("EXPLAIN QUERY PLAN {}", job_runs::SELECT_JOB))
        .expect("plan")
        .query_map(rusqlite::params![1, "daily"], |r| r.get::<_, String>(3))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    let plan = plan.join("; ");
    assert!(plan.contains("SEARCH job_runs USING PRIMARY KEY"), "{plan}");
    assert!(
        !plan.contains("TEMP B-TREE"),
        "sorts instead of seeking: {plan}"
    );
}
