//! Schema versions: migration of every older version in place, and refusal of files whose
//! tables or columns do not match their version.

use chrono::{DateTime, TimeZone, Utc};
use rusqlite::Connection;

use super::tests::{index, job_run, station, temp};
use super::*;
use crate::aqi::Pollutant;
use crate::quality::Flag;
use crate::store::{
    ErrorKind, ForecastStore, IndexQuery, IndexStore, JobRunStore, Jobs, ReadingStore, Record,
    Resolution, SourceFlagQuery, SourceFlagStore, StationRole, StationStore, Stations,
};
use crate::units::Parameter;

fn schema_of(store: &SqliteStore) -> Vec<(String, String, Option<String>)> {
    store
        .conn
        .prepare("SELECT type, name, sql FROM sqlite_schema ORDER BY name")
        .expect("schema")
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
}

#[test]
fn older_files_are_migrated() {
    let (_fresh_dir, fresh) = temp();
    let current = schema_of(&SqliteStore::open(&fresh).expect("fresh"));
    for from in 1..SCHEMA_VERSION {
        let (_dir, path) = temp();
        let mut store = SqliteStore::open(&path).expect("open");
        let t = Utc.with_ymd_and_hms(2025, 1, 1, 1, 0, 0).unwrap();
        let rec = Record {
            station: "S1".into(),
            parameter: Parameter::Pm25,
            resolution: Resolution::Hour,
            time: t,
            value: 12.0,
            flag: Flag::Normal,
            count: 1,
        };
        store
            .put_readings(std::slice::from_ref(&rec))
            .expect("write");
        store.put_stations(&[station("S0")]).expect("put");
        let i0 = index("S0", Resolution::Hour, 0);
        store.put_indices(std::slice::from_ref(&i0)).expect("write");
        store
            .put_job_runs(std::slice::from_ref(&job_run("daily", 0)))
            .expect("record");
        // A daily forecast as version 6 stored it: no AQI range.
        let old_day = forecast_day(t, None);
        store
            .put_forecasts(&[], std::slice::from_ref(&old_day))
            .expect("write");
        drop(store);
        schema::downgrade(&path, from);

        let mut store = SqliteStore::open(&path).expect("an older store opens");
        let version: String = store
            .conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'schema_version'",
                [],
                |r| r.get(0),
            )
            .expect("version");
        assert_eq!(version, SCHEMA_VERSION.to_string(), "from {from}");
        assert_eq!(schema_of(&store), current, "from {from}: as if created new");
        let kept = if from >= 2 {
            vec![station("S0")]
        } else {
            vec![]
        };
        assert_eq!(store.stations().expect("stations"), kept, "from {from}");
        store.put_stations(&[station("S1")]).expect("put");
        assert_eq!(
            store
                .latest_readings(Resolution::Hour, &Stations::All)
                .expect("latest"),
            [rec],
            "from {from}: readings survive the migration"
        );
        let q = IndexQuery::new(
            Resolution::Hour,
            t - chrono::TimeDelta::days(1),
            t + chrono::TimeDelta::days(1),
        );
        let kept = if from >= 3 { vec![i0.clone()] } else { vec![] };
        assert_eq!(store.indices(&q).expect("indices"), kept, "from {from}");
        let i = index("S1", Resolution::Hour, 1);
        store.put_indices(std::slice::from_ref(&i)).expect("write");
        let mut all: Vec<_> = kept.into_iter().chain([i]).collect();
        all.sort_by(|a, b| a.station.cmp(&b.station));
        assert_eq!(store.indices(&q).expect("indices"), all);
        // Versions before 4 had no job runs, before 5 no source flags, before 6 no forecasts.
        let mut runs = if from >= 4 {
            vec![job_run("daily", 0)]
        } else {
            vec![]
        };
        assert_eq!(
            store.latest_job_runs(&Jobs::All, 10).expect("runs"),
            runs,
            "from {from}"
        );
        let run = job_run("daily", 1);
        store
            .put_job_runs(std::slice::from_ref(&run))
            .expect("record");
        runs.insert(0, run);
        assert_eq!(
            store
                .latest_job_runs(&Jobs::one("daily"), 10)
                .expect("runs"),
            runs
        );
        let day = (t, t + chrono::TimeDelta::days(1));
        assert!(
            store
                .source_flags(&SourceFlagQuery::new(day.0, day.1))
                .expect("flags")
                .is_empty()
        );
        // Versions before 6 had no forecasts; the tables work after the migration.
        let forecasts = crate::store::ForecastQuery::new(
            crate::store::ForecastAxis::Valid,
            t - chrono::TimeDelta::days(1),
            t + chrono::TimeDelta::days(1),
        );
        assert!(store.forecast_hours(&forecasts).expect("read").is_empty());
        let f = crate::store::ForecastHour {
            station: "S1".into(),
            parameter: crate::store::ForecastParameter::Target(crate::units::ForecastTarget::Pm25),
            issued: t,
            valid: t + chrono::TimeDelta::hours(1),
            value: 30.0,
            model: "m".into(),
        };
        store
            .put_forecasts(std::slice::from_ref(&f), &[])
            .expect("write");
        assert_eq!(store.forecast_hours(&forecasts).expect("read"), [f]);
        // Version 6's daily forecasts survive without a range; new ones keep theirs.
        let kept = if from >= 6 {
            vec![old_day.clone()]
        } else {
            vec![]
        };
        assert_eq!(
            store.forecast_days(&forecasts).expect("read"),
            kept,
            "from {from}"
        );
        let ranged = forecast_day(t, Some((60, 110)));
        store
            .put_forecasts(&[], std::slice::from_ref(&ranged))
            .expect("write");
        assert_eq!(store.forecast_days(&forecasts).expect("read"), [ranged]);
        drop(store);
        SqliteStore::open(&path).expect("reopen after the migration");
    }
}

/// A daily forecast of station S1 for the local day starting at `t`, with an AQI range or not.
fn forecast_day(t: DateTime<Utc>, range: Option<(u32, u32)>) -> crate::store::ForecastDay {
    crate::store::ForecastDay {
        station: "S1".into(),
        date: t.date_naive(),
        time: t,
        issued: t - chrono::TimeDelta::hours(7),
        aqi: Some(80),
        aqi_low: range.map(|r| r.0),
        aqi_high: range.map(|r| r.1),
        primary: vec![Pollutant::Pm25],
        pm25: Some(58.0),
        pm10: Some(70.0),
        o3_8h_max: Some(90.0),
        model: "m".into(),
        abstained: vec![],
        missing: vec![],
    }
}

#[test]
fn background_sites_of_version_12_become_the_background_role() {
    let (_dir, path) = temp();
    let mut store = SqliteStore::open(&path).expect("open");
    store
        .put_stations(&[station("S0"), station("S1")])
        .expect("put");
    drop(store);
    schema::downgrade(&path, 12);
    let conn = Connection::open(&path).expect("raw");
    conn.execute_batch("UPDATE stations SET background = 1 WHERE id = 'S1'")
        .expect("a background site as version 12 kept it");
    drop(conn);
    let store = SqliteStore::open(&path).expect("migrated");
    let roles: Vec<(String, StationRole)> = store
        .stations()
        .expect("stations")
        .into_iter()
        .map(|s| (s.id, s.role))
        .collect();
    assert_eq!(
        roles,
        [
            ("S0".to_string(), StationRole::Assessment),
            ("S1".to_string(), StationRole::Background)
        ]
    );
    let columns: Vec<String> = store
        .conn
        .prepare("SELECT name FROM pragma_table_info('stations')")
        .expect("columns")
        .query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    assert!(!columns.iter().any(|c| c == "background"), "{columns:?}");
}

#[test]
fn an_unknown_role_is_corrupt_naming_the_station() {
    let (_dir, path) = temp();
    let mut store = SqliteStore::open(&path).expect("open");
    store.put_stations(&[station("S0")]).expect("put");
    store
        .conn
        .execute_batch("UPDATE stations SET role = 'reference' WHERE id = 'S0'")
        .expect("a foreign role");
    let err = store.stations().expect_err("unknown role");
    assert!(
        err.to_string().contains("reference") && err.to_string().contains("S0"),
        "{err}"
    );
}

#[test]
fn columns_of_later_versions_are_refused() {
    let (_dir, path) = temp();
    drop(SqliteStore::open(&path).expect("open"));
    schema::downgrade(&path, 6);
    let conn = Connection::open(&path).expect("raw");
    conn.execute_batch("ALTER TABLE forecast_days ADD COLUMN aqi_high INTEGER")
        .expect("foreign column");
    drop(conn);
    let err = SqliteStore::open(&path).expect_err("inconsistent schema");
    assert!(err.kind() == ErrorKind::Unusable, "{err}");
    assert!(err.to_string().contains("aqi_high"), "{err}");
}

#[test]
fn tables_of_later_versions_are_refused() {
    for (version, table) in [
        (1, "stations"),
        (1, "indices"),
        (2, "indices"),
        (1, "job_runs"),
        (3, "job_runs"),
        (4, "source_flags"),
        (1, "forecast_hours"),
        (5, "forecast_days"),
        (9, "alarms"),
        (8, "alarm_actions"),
    ] {
        let (_dir, path) = temp();
        drop(SqliteStore::open(&path).expect("open"));
        schema::downgrade(&path, version);
        let conn = Connection::open(&path).expect("raw");
        conn.execute_batch(&format!("CREATE TABLE {table}(x)"))
            .expect("foreign table");
        drop(conn);
        let err = SqliteStore::open(&path).expect_err("inconsistent schema");
        assert!(err.kind() == ErrorKind::Unusable, "{err}");
        assert!(err.to_string().contains(table), "{err}");
    }
}

#[test]
fn stored_missing_inputs_read_back_or_fail_naming_the_row() {
    let (_dir, path) = temp();
    let mut store = SqliteStore::open(&path).expect("open");
    let t = Utc.with_ymd_and_hms(2024, 6, 10, 16, 0, 0).unwrap();
    store
        .put_forecasts(&[], &[forecast_day(t, None)])
        .expect("write");
    let query = crate::store::ForecastQuery::new(
        crate::store::ForecastAxis::Valid,
        t,
        t + chrono::TimeDelta::days(1),
    );
    let set_missing = |text: &str| {
        let conn = Connection::open(&path).expect("raw");
        conn.execute("UPDATE forecast_days SET missing = ?1", [text])
            .expect("update");
    };
    // A note written before the climatology's source was distinguished.
    set_missing(
        "lag0\u{1f}climatology: network unknown to the model, from 5 day(s) of stored history \
         (needs ≥ 5 values per hour × month)\u{1f}beyond_skill:o3\u{1f}",
    );
    let days = store.forecast_days(&query).expect("old forms read back");
    assert_eq!(
        days[0].missing,
        [
            crate::store::Missing::Input("lag0".into()),
            crate::store::Missing::ClimatologyFromHistory { days: 5 },
            crate::store::Missing::BeyondSkill(vec![crate::units::ForecastTarget::O3]),
        ]
    );
    set_missing("lag0\u{1f}see the log\u{1f}");
    let err = store
        .forecast_days(&query)
        .expect_err("not a missing input");
    assert_eq!(err.kind(), ErrorKind::Corrupt, "{err}");
    let text = err.to_string();
    assert!(
        text.contains("see the log") && text.contains("daily forecast of S1"),
        "{text}"
    );
}
