//! `lantian migrate` between two SQLite stores: every kind of data arrives (job runs and
//! source flags included), a page at a time; a second run changes nothing; time ranges are
//! honoured. (Reports from migrated stores, SQLite and InfluxDB, are compared byte for byte
//! in `tests/reports/report_migrate.rs`.)

use std::process::Command;

use crate::common::store_conformance::alarms::{alarm, next};
use crate::common::store_conformance::analysed_days::analysed;
use crate::common::store_conformance::forecasts::{day as forecast_day, hour as forecast_hour};
use crate::common::store_conformance::job_runs::job_run;
use crate::common::store_conformance::source_flags::{bare_flag, flag};
use crate::common::store_conformance::{at, rec};
use chrono::{NaiveDate, TimeDelta};
use lantian::aqi::Standard;
use lantian::store::migrate::{MigrateOptions, migrate};
use lantian::store::sqlite::SqliteStore;
use lantian::store::{
    Actor, AlarmEvent, AlarmQuery, AlarmStore, DeviceHealth, ForecastAxis, ForecastParameter,
    ForecastQuery, ForecastStore, Handled, HealthStore, IndexQuery, IndexRecord, IndexStore,
    JobOutcome, JobRun, JobRunQuery, JobRunStore, PAGE_SIZE, ReadingQuery, ReadingStore,
    Resolution, SourceFlagQuery, SourceFlagStore, StationInfo, StationRole, StationStore, Store,
};
use lantian::units::{ForecastTarget, Parameter};

fn station(id: &str) -> StationInfo {
    StationInfo {
        id: id.into(),
        name: format!("站{id}"),
        name_en: id.into(),
        district: "D".into(),
        lat: Some(23.0),
        lon: None,
        time_zone: chrono_tz::Asia::Shanghai,
        city: String::new(),
        role: StationRole::Assessment,
    }
}

/// A source with samples, minutes over three days (and a gap of a month), hours over a
/// year, days, indices and health.
fn source(path: &std::path::Path) -> SqliteStore {
    let mut s = SqliteStore::open(path).unwrap();
    s.put_stations(&[station("A"), station("B")]).unwrap();
    let mut records = Vec::new();
    for st in ["A", "B"] {
        for m in 0..3 * 24 * 60 {
            records.push(rec(
                st,
                Parameter::Pm25,
                Resolution::Minute,
                m,
                m as f64 * 0.25,
            ));
        }
        for m in 0..30 {
            // Minutes after a month's gap.
            records.push(rec(
                st,
                Parameter::No2,
                Resolution::Minute,
                40 * 1440 + m,
                1.0,
            ));
            records.push(rec(st, Parameter::Co, Resolution::Sample, m, f64::NAN));
        }
        for h in 0..365 * 24 {
            records.push(rec(st, Parameter::O3, Resolution::Hour, -h * 60, h as f64));
        }
        for d in 0..20 {
            records.push(rec(
                st,
                Parameter::Pm10,
                Resolution::Day,
                d * 1440,
                d as f64,
            ));
        }
    }
    s.put_readings(&records).unwrap();
    let indices: Vec<IndexRecord> = (0..48)
        .map(|h| IndexRecord {
            station: "A".into(),
            resolution: if h % 24 == 0 {
                Resolution::Day
            } else {
                Resolution::Hour
            },
            time: at(h * 60 - 8 * 60),
            standard: Standard::Hj633_2012,
            aqi: Some(h as u32),
            primary: vec![],
            terms: enum_map::EnumMap::default(),
        })
        .collect();
    s.put_indices(&indices).unwrap();
    // Flags of episodes a year apart (the hourly data span a year back from `at(0)`).
    s.put_source_flags(&[
        flag("A", &[Parameter::So2, Parameter::No2], -300 * 1440),
        bare_flag("B", &[Parameter::Pm10], 60),
    ])
    .unwrap();
    // The days the flags' job analysed: one with flags, one without.
    s.put_analysed_days(&[analysed(-300, 1), analysed(0, 0)])
        .unwrap();
    // Two forecast runs a day apart, the second the day before the newest readings.
    let hours: Vec<_> = [0, 24]
        .iter()
        .flat_map(|&issued| {
            (1..=72).map(move |h| {
                forecast_hour(
                    "A",
                    ForecastParameter::Target(ForecastTarget::Pm25),
                    issued,
                    h,
                    1.5,
                )
            })
        })
        .collect();
    let days = [
        forecast_day("A", 2, 0, Some(60)),
        forecast_day("B", 3, 24, None),
    ];
    s.put_forecasts(&hours, &days).unwrap();
    s.put_health(&[DeviceHealth::new("A-1", "A"), DeviceHealth::new("B-1", "B")])
        .unwrap();
    // Runs of two jobs over three days, a failed one among them.
    let mut runs: Vec<JobRun> = (0..3)
        .flat_map(|d| {
            [
                job_run("sources", d * 1440 + 7 * 60, 3),
                job_run("daily", d * 1440 + 8 * 60, 1),
            ]
        })
        .collect();
    runs[3].outcome = JobOutcome::Failed("no hourly data".into());
    s.put_job_runs(&runs).unwrap();
    // Alarms: one open, one acknowledged and commented on, a year apart.
    let (open, opened) = alarm("pm25-1h", "A", 0);
    s.put_alarms(std::slice::from_ref(&open), &[opened])
        .unwrap();
    let (old, old_opened) = alarm("pm25-1h", "B", -300 * 1440);
    s.put_alarms(std::slice::from_ref(&old), &[old_opened])
        .unwrap();
    let (acked, ack) = next(
        &old,
        Some((Actor::User("王工".into()), AlarmEvent::Acknowledged)),
        |a| {
            a.acknowledged = Some(Handled {
                by: "王工".into(),
                at: a.updated,
            })
        },
    );
    s.put_alarms(std::slice::from_ref(&acked), &ack).unwrap();
    let (commented, comment) = next(
        &acked,
        Some((
            Actor::User("李四".into()),
            AlarmEvent::Commented {
                text: "校准".into(),
            },
        )),
        |_| {},
    );
    s.put_alarms(std::slice::from_ref(&commented), &comment)
        .unwrap();
    s
}

fn all(store: &dyn Store, resolution: Resolution) -> Vec<lantian::store::Record> {
    store
        .readings(&ReadingQuery::new(
            resolution,
            at(0) - TimeDelta::days(800),
            at(0) + TimeDelta::days(800),
        ))
        .unwrap()
}

fn indices(store: &dyn Store, resolution: Resolution) -> Vec<IndexRecord> {
    store
        .indices(&IndexQuery::new(
            resolution,
            at(0) - TimeDelta::days(800),
            at(0) + TimeDelta::days(800),
        ))
        .unwrap()
}

#[test]
fn sqlite_to_sqlite_copies_everything_and_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let src = source(&dir.path().join("a.db"));
    let mut dst = SqliteStore::open(dir.path().join("b.db")).unwrap();
    let (mut calls, mut done) = (0, 0);
    let stats = migrate(&src, &mut dst, &MigrateOptions::default(), &mut |p| {
        calls += 1;
        assert!(p.done <= p.total);
        assert!(p.done - done <= PAGE_SIZE as u64, "a page at a time");
        done = p.done;
    })
    .unwrap();
    assert!(calls >= 5, "{calls} pages");
    for (i, r) in Resolution::ALL.iter().enumerate() {
        assert_eq!(
            dst.count_readings(*r).unwrap(),
            src.count_readings(*r).unwrap(),
            "{r}"
        );
        assert_eq!(stats.records[i], src.count_readings(*r).unwrap(), "{r}");
        let (a, b) = (all(&src, *r), all(&dst, *r));
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(&b).step_by(97) {
            assert_eq!(x.value.to_bits(), y.value.to_bits());
            assert_eq!(
                (&x.station, x.parameter, x.time, x.flag, x.count),
                (&y.station, y.parameter, y.time, y.flag, y.count)
            );
        }
    }
    for r in [Resolution::Hour, Resolution::Day] {
        assert_eq!(indices(&dst, r), indices(&src, r), "{r} indices");
    }
    assert_eq!(stats.indices, 48);
    let flags = |s: &dyn Store| {
        s.source_flags(&SourceFlagQuery::new(
            at(0) - TimeDelta::days(800),
            at(0) + TimeDelta::days(800),
        ))
        .unwrap()
    };
    assert_eq!(flags(&dst), flags(&src));
    assert_eq!(stats.flags, 2);
    let days = |s: &dyn Store| s.analysed_days(NaiveDate::MIN, NaiveDate::MAX).unwrap();
    assert_eq!(days(&dst), days(&src));
    assert_eq!(stats.analysed_days, 2);
    let forecasts = ForecastQuery::new(
        ForecastAxis::Issued,
        at(0) - TimeDelta::days(800),
        at(0) + TimeDelta::days(800),
    );
    assert_eq!(
        dst.forecast_hours(&forecasts).unwrap(),
        src.forecast_hours(&forecasts).unwrap()
    );
    assert_eq!(
        dst.forecast_days(&forecasts).unwrap(),
        src.forecast_days(&forecasts).unwrap()
    );
    assert_eq!(stats.forecasts, 2 * 72 + 2);
    let runs = JobRunQuery::new(at(0) - TimeDelta::days(800), at(0) + TimeDelta::days(800));
    assert_eq!(dst.job_runs(&runs).unwrap(), src.job_runs(&runs).unwrap());
    assert_eq!(stats.job_runs, 6);
    assert_eq!(dst.stations().unwrap(), src.stations().unwrap());
    assert_eq!(dst.health().unwrap(), src.health().unwrap());
    assert_eq!(stats.health, 2);
    let alarms = AlarmQuery::new(at(0) - TimeDelta::days(800), at(0) + TimeDelta::days(800));
    let copied = dst.alarms(&alarms).unwrap();
    assert_eq!(copied, src.alarms(&alarms).unwrap());
    let keys: Vec<_> = copied.iter().map(|a| a.key()).collect();
    assert_eq!(
        dst.alarm_actions(&keys).unwrap(),
        src.alarm_actions(&keys).unwrap()
    );
    assert_eq!((stats.alarms, stats.alarm_actions), (2, 4));

    // Again: same counts, same contents.
    let again = migrate(&src, &mut dst, &MigrateOptions::default(), &mut |_| {}).unwrap();
    assert_eq!(again, stats);
    for r in Resolution::ALL {
        assert_eq!(
            dst.count_readings(r).unwrap(),
            src.count_readings(r).unwrap()
        );
    }
}

#[test]
fn a_time_range_limits_what_is_copied() {
    let dir = tempfile::tempdir().unwrap();
    let src = source(&dir.path().join("a.db"));
    let mut dst = SqliteStore::open(dir.path().join("b.db")).unwrap();
    let options = MigrateOptions {
        from: Some(at(0)),
        to: Some(at(24 * 60)),
    };
    migrate(&src, &mut dst, &options, &mut |_| {}).unwrap();
    assert_eq!(dst.count_readings(Resolution::Minute).unwrap(), 2 * 24 * 60);
    assert_eq!(dst.count_readings(Resolution::Hour).unwrap(), 2);
    assert_eq!(dst.count_readings(Resolution::Day).unwrap(), 2);
    // Job runs by their scheduled time: the first day's two.
    let runs = dst
        .job_runs(&JobRunQuery::new(at(-100_000), at(100_000)))
        .unwrap();
    let scheduled: Vec<i64> = runs
        .iter()
        .map(|r| (r.scheduled - at(0)).num_hours())
        .collect();
    assert_eq!(scheduled, [7, 8]);
    // Analysed days by the end of their window: day 0 ends in the range.
    let days: Vec<NaiveDate> = dst
        .analysed_days(NaiveDate::MIN, NaiveDate::MAX)
        .unwrap()
        .iter()
        .map(|d| d.day)
        .collect();
    assert_eq!(days, [analysed(0, 0).day]);
}

#[test]
fn the_command_prints_a_summary() {
    let dir = tempfile::tempdir().unwrap();
    drop(source(&dir.path().join("a.db")));
    let out = Command::new(env!("CARGO_BIN_EXE_lantian"))
        .current_dir(dir.path())
        .args(["migrate", "--from", "sqlite:a.db", "--to", "b.db", "-q"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("2 stations"), "{stdout}");
    assert!(stdout.contains("48 index records"), "{stdout}");
    assert!(
        stdout.contains("2 source flags (2 analysed days)"),
        "{stdout}"
    );
    assert!(stdout.contains("6 job runs"), "{stdout}");
    assert!(stdout.contains("2 alarms (4 actions)"), "{stdout}");
    let b = SqliteStore::open(dir.path().join("b.db")).unwrap();
    assert_eq!(b.count_readings(Resolution::Hour).unwrap(), 2 * 365 * 24);

    // The same file under two spellings is the same store.
    let out = Command::new(env!("CARGO_BIN_EXE_lantian"))
        .current_dir(dir.path())
        .args(["migrate", "--from", "sqlite:a.db", "--to", "./a.db", "-q"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("the same store"), "{stderr}");
}
