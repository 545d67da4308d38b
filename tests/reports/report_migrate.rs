//! Reports rendered from a migrated store are byte-identical to those from the original:
//! the daily report (indices, source flags and, on a day without any, whether the `sources`
//! job ran — from the job runs —, forecasts and their skill), the ranking reports and the device-health report
//! (minute data, device health), with their charts and CSV — SQLite → SQLite and
//! SQLite → InfluxDB (a real influxd).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{TimeDelta, Timelike, Utc};
use lantian::assess::GroupBy;
use lantian::quality::Flag;
use lantian::report::{Lang, ReportConfig, daily_report, health_report, ranking_report};
use lantian::store::migrate::{MigrateOptions, migrate};
use lantian::store::sqlite::SqliteStore;
use lantian::store::{DeviceHealth, ForecastStore, HealthStore, ReadingStore, Store, StoreUrl};
use lantian::units::Parameter;

use crate::common::tsdb::Influxd;
use crate::report_flags::{day, flag};
use crate::report_forecast::forecast;
use crate::report_health::{devices, minute};

/// The store of `report_flags` (four stations, 31 days of hourly data and indices) after the
/// `sources` job ran for the report's day, the day before and a quiet day (flags and analysed
/// days), with a
/// forecast run issued each of the last days (the report's next days and its skill), the
/// day's SO2 minutes at every station and the health of two devices.
fn source(dir: &Path) -> SqliteStore {
    let mut store = crate::report_flags::store(dir);
    flag(&mut store, day() - TimeDelta::days(1));
    assert_eq!(flag(&mut store, day()), 1);
    // A day the job ran and found nothing: its report says "no flags", not "not available".
    assert_eq!(flag(&mut store, quiet_day()), 0);
    let mut forecasts = Vec::new();
    for back in 0..6 {
        let issued_on = day() - TimeDelta::days(back);
        let issued = crate::fixture::label(issued_on, 17);
        for (i, station) in ["A", "B", "C", "D"].into_iter().enumerate() {
            for lead in 1..=2 {
                let aqi = (i != 3 || back != 0).then_some(40 + 10 * i as u32 + back as u32);
                forecasts.push(forecast(
                    station,
                    issued_on + TimeDelta::days(lead),
                    issued,
                    aqi,
                ));
            }
        }
    }
    store.put_forecasts(&[], &forecasts).unwrap();
    let mut minutes = Vec::new();
    for (k, station) in ["A", "B", "C"].into_iter().enumerate() {
        for m in 1..=1440i64 {
            let value = 10.0 + ((m * 37 + k as i64 * 11) % 97) as f64 / 10.0;
            let flag = if station == "A" && (121..=140).contains(&m) {
                Flag::Calibration
            } else {
                Flag::Normal
            };
            minutes.push(minute(station, Parameter::So2, m, value, flag));
        }
    }
    store.put_readings(&minutes).unwrap();
    let mut offline = DeviceHealth::new("B-PM", "B");
    offline.polls = 100;
    offline.successes = 60;
    offline.consecutive_failures = 40;
    offline.last_error = Some("connect: connection refused".into());
    offline.last_failure = Some(crate::fixture::label(day(), 20));
    let mut ok = DeviceHealth::new("A-SO2", "A");
    ok.online = true;
    ok.polls = 100;
    ok.successes = 100;
    ok.status = vec!["calibration".into()];
    ok.last_latency_ms = Some(12.5);
    store.put_health(&[offline, ok]).unwrap();
    store
}

/// A day without episodes.
fn quiet_day() -> chrono::NaiveDate {
    day() - TimeDelta::days(5)
}

/// Every file below `dir` by its path relative to `dir`, with its bytes.
fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                out.insert(path.strip_prefix(dir).unwrap().to_path_buf(), bytes);
            }
        }
    }
    out
}

/// Renders every report of the day, the month's rankings and the health report, in both
/// languages, into `out`.
fn render(store: &dyn Store, out: &Path) {
    for lang in [Lang::Zh, Lang::En] {
        let cfg = ReportConfig {
            out_dir: out.join(lang.to_string()),
            lang,
        };
        std::fs::create_dir_all(&cfg.out_dir).unwrap();
        daily_report(store, "测试市监测网", day(), &cfg).unwrap();
        daily_report(store, "测试市监测网", day() - TimeDelta::days(1), &cfg).unwrap();
        daily_report(store, "测试市监测网", quiet_day(), &cfg).unwrap();
        for by in [GroupBy::Station, GroupBy::District] {
            let period = "2024-03".parse().unwrap();
            ranking_report(store, "测试市监测网", period, by, &cfg).unwrap();
        }
        health_report(store, "测试市监测网", day(), &devices(), &cfg).unwrap();
        health_report(store, "测试市监测网", day(), &[], &cfg).unwrap();
    }
}

/// Renders the reports of `original` and `migrated` (each into a folder of its own) and
/// requires the same files, byte for byte. The pages carry the minute they were issued, so
/// a pair rendered across a minute's turn is rendered again.
fn assert_same_reports(original: &dyn Store, migrated: &dyn Store, dir: &Path) {
    for attempt in 0..3 {
        let minute = || {
            Utc::now()
                .with_second(0)
                .unwrap()
                .with_nanosecond(0)
                .unwrap()
        };
        let started = minute();
        let (a, b) = (
            dir.join(format!("a{attempt}")),
            dir.join(format!("b{attempt}")),
        );
        render(original, &a);
        render(migrated, &b);
        if minute() != started {
            continue;
        }
        let (a, b) = (files(&a), files(&b));
        assert!(a.len() >= 20, "{} files", a.len());
        assert_eq!(
            a.keys().collect::<Vec<_>>(),
            b.keys().collect::<Vec<_>>(),
            "the same files"
        );
        for (path, bytes) in &a {
            assert!(bytes == &b[path], "{} differs", path.display());
        }
        return;
    }
    panic!("three renders straddled a minute's turn");
}

/// The analysed days made it (the daily report of a day without flags tells "no flags" from
/// "the job has not run" by them).
fn assert_analysed_days_copied(original: &dyn Store, migrated: &dyn Store) {
    let days = |s: &dyn Store| {
        s.analysed_days(chrono::NaiveDate::MIN, chrono::NaiveDate::MAX)
            .unwrap()
    };
    let copied = days(migrated);
    assert_eq!(copied.len(), 3);
    assert_eq!(copied, days(original));
}

#[test]
fn reports_from_a_migrated_sqlite_store_are_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let original = source(dir.path());
    let target_path = dir.path().join("migrated.db");
    let mut migrated = lantian::store::open(&StoreUrl::Sqlite(target_path)).unwrap();
    migrate(
        &original,
        migrated.as_mut(),
        &MigrateOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    assert_analysed_days_copied(&original, migrated.as_ref());
    assert_same_reports(&original, migrated.as_ref(), dir.path());
}

#[test]
fn reports_from_a_store_migrated_to_influxdb_are_byte_identical() {
    if !crate::common::peers::influxd() {
        return;
    }
    let server = Influxd::start();
    let dir = tempfile::tempdir().unwrap();
    let original = source(dir.path());
    let url: StoreUrl = server.url("migrated").parse().unwrap();
    let mut migrated = lantian::store::open(&url).unwrap();
    let stats = migrate(
        &original,
        migrated.as_mut(),
        &MigrateOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(
        stats.records,
        [0, 3 * 1440, 4 * 31 * 24 * 8, 0],
        "{stats:?}"
    );
    assert_analysed_days_copied(&original, migrated.as_ref());
    assert_same_reports(&original, migrated.as_ref(), dir.path());
}
