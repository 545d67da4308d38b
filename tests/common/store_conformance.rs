//! A conformance suite every [`Store`] backend must pass. A backend's test file provides a
//! function creating a new, empty store ([`TestStore`]) and calls [`run_all`].

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use lantian::aqi::{Pollutant, Standard};
use lantian::quality::Flag;
use lantian::store::{
    DeviceHealth, IndexRecord, IndexTerm, JobOutcome, JobRun, Query, Record, Resolution,
    StationInfo, Store,
};
use lantian::units::Parameter;

/// A new, empty store under test, and a way to open more handles on the same store.
pub struct TestStore {
    /// The writer handle.
    pub store: Box<dyn Store>,
    /// Opens another handle on the same store (a concurrent reader). Dropped after `store`,
    /// so it may own the store's temporary location.
    pub reopen: Box<dyn Fn() -> Box<dyn Store>>,
}

/// One conformance check: it gets a new, empty store.
pub type Check = fn(TestStore);

/// Every check, by name.
pub const CHECKS: &[(&str, Check)] = &[
    ("idempotent_rewrite", idempotent_rewrite),
    ("range_boundaries", range_boundaries),
    ("filters_and_order", filters_and_order),
    ("latest_per_series", latest_per_series),
    ("health_round_trip", health_round_trip),
    ("count_per_resolution", count_per_resolution),
    ("concurrent_reader", concurrent_reader),
    ("stations_round_trip", stations_round_trip),
    ("stations_replace_by_id", stations_replace_by_id),
    ("indices_round_trip", indices_round_trip),
    ("indices_replace_by_key", indices_replace_by_key),
    ("indices_range_boundaries", indices_range_boundaries),
    ("indices_filter_and_order", indices_filter_and_order),
    ("indices_resolutions_apart", indices_resolutions_apart),
    ("job_runs_round_trip", job_runs_round_trip),
    ("job_runs_order_and_limit", job_runs_order_and_limit),
    ("job_runs_filter_by_job", job_runs_filter_by_job),
    ("job_runs_replace_by_key", job_runs_replace_by_key),
];

/// Runs every check, each on a new store from `create`.
pub fn run_all(create: &dyn Fn() -> TestStore) {
    for (name, check) in CHECKS {
        eprintln!("store conformance: {name}");
        check(create());
    }
}

/// 2025-06-01 00:00 UTC plus `minutes`.
pub fn at(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 1, 0, 0, 0).unwrap() + TimeDelta::minutes(minutes)
}

/// A record.
pub fn rec(
    station: &str,
    parameter: Parameter,
    resolution: Resolution,
    minutes: i64,
    value: f64,
) -> Record {
    Record {
        station: station.into(),
        parameter,
        resolution,
        time: at(minutes),
        value,
        flag: Flag::Normal,
        count: 1,
    }
}

fn query(resolution: Resolution, from: i64, to: i64) -> Query {
    Query {
        stations: vec![],
        parameters: vec![],
        resolution,
        from: at(from),
        to: at(to),
    }
}

fn times(records: &[Record]) -> Vec<i64> {
    records
        .iter()
        .map(|r| (r.time - at(0)).num_minutes())
        .collect()
}

/// Writing the same batch twice keeps one record per key; the last value wins.
pub fn idempotent_rewrite(mut t: TestStore) {
    let batch: Vec<Record> = (0..10)
        .map(|i| rec("A", Parameter::Pm25, Resolution::Minute, i, i as f64))
        .collect();
    assert_eq!(t.store.write(&batch).unwrap(), 10);
    assert_eq!(t.store.write(&batch).unwrap(), 10);
    assert_eq!(t.store.count(Resolution::Minute).unwrap(), 10);
    let mut changed = batch[3].clone();
    changed.value = 99.5;
    changed.flag = Flag::Calibration;
    changed.count = 0;
    t.store.write(&[changed.clone()]).unwrap();
    let all = t.store.read(&query(Resolution::Minute, 0, 10)).unwrap();
    assert_eq!(all.len(), 10);
    assert_eq!(all[3], changed);
    assert_eq!(all[4], batch[4]);
}

/// `from` is inclusive, `to` exclusive; an empty range reads nothing.
pub fn range_boundaries(mut t: TestStore) {
    let batch: Vec<Record> = (0..10)
        .map(|i| rec("A", Parameter::No2, Resolution::Minute, i, 1.0))
        .collect();
    t.store.write(&batch).unwrap();
    assert_eq!(
        times(&t.store.read(&query(Resolution::Minute, 2, 5)).unwrap()),
        [2, 3, 4]
    );
    assert_eq!(
        times(&t.store.read(&query(Resolution::Minute, -5, 1)).unwrap()),
        [0]
    );
    assert!(
        t.store
            .read(&query(Resolution::Minute, 4, 4))
            .unwrap()
            .is_empty()
    );
    assert!(
        t.store
            .read(&query(Resolution::Minute, 5, 2))
            .unwrap()
            .is_empty()
    );
    assert!(
        t.store
            .read(&query(Resolution::Hour, 0, 10))
            .unwrap()
            .is_empty()
    );
}

/// Station, parameter and resolution filters; order by station, parameter, time.
pub fn filters_and_order(mut t: TestStore) {
    let mut batch = Vec::new();
    for station in ["B", "A", "C"] {
        for parameter in [Parameter::WindDirection, Parameter::Co, Parameter::Pm25] {
            for i in [2, 0, 1] {
                batch.push(rec(station, parameter, Resolution::Minute, i, i as f64));
            }
            batch.push(rec(station, parameter, Resolution::Hour, 60, 5.0));
        }
    }
    t.store.write(&batch).unwrap();
    let all = t.store.read(&query(Resolution::Minute, 0, 60)).unwrap();
    assert_eq!(all.len(), 27);
    let keys: Vec<(String, Parameter, i64)> = all
        .iter()
        .map(|r| {
            (
                r.station.to_string(),
                r.parameter,
                (r.time - at(0)).num_minutes(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(
        keys, sorted,
        "ordered by station, parameter (enum order), time"
    );
    assert!(all.iter().all(|r| r.resolution == Resolution::Minute));

    let mut q = query(Resolution::Minute, 0, 60);
    q.stations = vec!["C".into(), "A".into()];
    q.parameters = vec![Parameter::Co];
    let got = t.store.read(&q).unwrap();
    let keys: Vec<(&str, Parameter)> = got.iter().map(|r| (&*r.station, r.parameter)).collect();
    assert_eq!(
        keys,
        [("A", Parameter::Co); 3]
            .into_iter()
            .chain([("C", Parameter::Co); 3])
            .collect::<Vec<_>>()
    );
    q.stations = vec!["Z".into()];
    assert!(t.store.read(&q).unwrap().is_empty());
    let hours = t.store.read(&query(Resolution::Hour, 0, 61)).unwrap();
    assert_eq!(hours.len(), 9);
}

/// The newest record of each station × parameter at a resolution.
pub fn latest_per_series(mut t: TestStore) {
    assert!(t.store.latest(Resolution::Minute, None).unwrap().is_empty());
    let mut batch = Vec::new();
    for (station, parameter, last) in [
        ("A", Parameter::Pm10, 7),
        ("A", Parameter::Pm25, 3),
        ("B", Parameter::Pm25, 5),
    ] {
        for i in 0..=last {
            batch.push(rec(station, parameter, Resolution::Minute, i, i as f64));
        }
        batch.push(rec(station, parameter, Resolution::Hour, 600, -1.0));
    }
    batch.push(rec("AB", Parameter::O3, Resolution::Hour, 60, 1.0)); // no minute data
    t.store.write(&batch).unwrap();
    let latest = t.store.latest(Resolution::Minute, None).unwrap();
    let got: Vec<(&str, Parameter, i64)> = latest
        .iter()
        .map(|r| (&*r.station, r.parameter, (r.time - at(0)).num_minutes()))
        .collect();
    assert_eq!(
        got,
        [
            ("A", Parameter::Pm25, 3),
            ("A", Parameter::Pm10, 7),
            ("B", Parameter::Pm25, 5)
        ]
    );
    assert_eq!(latest[1].value, 7.0);
    let b = t.store.latest(Resolution::Minute, Some("B")).unwrap();
    assert_eq!(b.len(), 1);
    assert_eq!(
        b[0],
        batch
            .iter()
            .find(|r| &*r.station == "B" && r.time == at(5))
            .unwrap()
            .clone()
    );
    assert!(
        t.store
            .latest(Resolution::Minute, Some("AB"))
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        t.store.latest(Resolution::Hour, Some("A")).unwrap().len(),
        2
    );
    assert!(
        t.store
            .latest(Resolution::Minute, Some("nope"))
            .unwrap()
            .is_empty()
    );
}

/// Device health round-trips every field, including `None`s and status lists.
pub fn health_round_trip(mut t: TestStore) {
    assert!(t.store.health().unwrap().is_empty());
    let fresh = DeviceHealth::new("dev-b", "S2");
    let busy = DeviceHealth {
        device: "dev-a".into(),
        station: "S1".into(),
        online: true,
        last_success: Some(at(10)),
        last_attempt: Some(at(11)),
        polls: 1_000_000_007,
        successes: 999,
        skipped: 3,
        consecutive_failures: 2,
        last_latency_ms: Some(12.75),
        status: vec!["pump_fault".into(), "flow low".into(), "温度报警".into()],
        last_error: Some("timeout after 1 s".into()),
        last_failure: Some(at(9)),
    };
    let single = DeviceHealth {
        status: vec!["span".into()],
        ..DeviceHealth::new("dev-c", "S1")
    };
    t.store
        .put_health(&[fresh.clone(), busy.clone(), single.clone()])
        .unwrap();
    assert_eq!(
        t.store.health().unwrap(),
        [busy.clone(), fresh.clone(), single.clone()]
    );
    let recovered = DeviceHealth {
        online: false,
        status: vec![],
        last_latency_ms: None,
        ..busy
    };
    t.store
        .put_health(std::slice::from_ref(&recovered))
        .unwrap();
    assert_eq!(t.store.health().unwrap(), [recovered, fresh, single]);
}

/// `count` counts one resolution only.
pub fn count_per_resolution(mut t: TestStore) {
    for r in Resolution::ALL {
        assert_eq!(t.store.count(r).unwrap(), 0);
    }
    let mut batch: Vec<Record> = (0..120)
        .map(|i| rec("A", Parameter::Temperature, Resolution::Minute, i, 20.0))
        .collect();
    batch.extend((1..=2).map(|h| rec("A", Parameter::Temperature, Resolution::Hour, 60 * h, 20.0)));
    batch.push(rec(
        "A",
        Parameter::Temperature,
        Resolution::Sample,
        0,
        20.0,
    ));
    t.store.write(&batch).unwrap();
    assert_eq!(t.store.count(Resolution::Minute).unwrap(), 120);
    assert_eq!(t.store.count(Resolution::Hour).unwrap(), 2);
    assert_eq!(t.store.count(Resolution::Sample).unwrap(), 1);
    assert_eq!(t.store.count(Resolution::Day).unwrap(), 0);
}

/// A second handle sees what the first committed while the first stays open.
pub fn concurrent_reader(mut t: TestStore) {
    let reader = (t.reopen)();
    assert_eq!(reader.count(Resolution::Minute).unwrap(), 0);
    let first: Vec<Record> = (0..5)
        .map(|i| rec("A", Parameter::Rain, Resolution::Minute, i, 0.5))
        .collect();
    t.store.write(&first).unwrap();
    assert_eq!(reader.count(Resolution::Minute).unwrap(), 5);
    assert_eq!(
        reader.read(&query(Resolution::Minute, 0, 60)).unwrap(),
        first
    );
    t.store
        .write(&[rec("A", Parameter::Rain, Resolution::Minute, 5, 0.0)])
        .unwrap();
    assert_eq!(
        reader.latest(Resolution::Minute, Some("A")).unwrap()[0].time,
        at(5)
    );
    let another = (t.reopen)();
    assert_eq!(another.count(Resolution::Minute).unwrap(), 6);
}

/// A station with every field set (Shanghai time, coordinates known).
pub fn station(id: &str) -> StationInfo {
    StationInfo {
        id: id.to_string(),
        name: "莞城".to_string(),
        name_en: "Guancheng".to_string(),
        district: "莞城街道".to_string(),
        lat: Some(23.0437),
        lon: Some(113.7519),
        time_zone: chrono_tz::Asia::Shanghai,
    }
}

/// Stations round-trip every field, including unknown coordinates and other time zones, and
/// come back ordered by id.
pub fn stations_round_trip(mut t: TestStore) {
    assert!(t.store.stations().unwrap().is_empty());
    t.store.put_stations(&[]).unwrap();
    let london = StationInfo {
        id: "MY1".to_string(),
        name: "London Marylebone Road".to_string(),
        name_en: "London Marylebone Road".to_string(),
        district: "Westminster".to_string(),
        lat: Some(51.5225),
        lon: Some(-0.1546),
        time_zone: chrono_tz::Europe::London,
    };
    let unknown = StationInfo {
        lat: None,
        lon: None,
        district: String::new(),
        time_zone: chrono_tz::America::Los_Angeles,
        ..station("B-unknown")
    };
    let half = StationInfo {
        lat: Some(-33.8688),
        lon: None,
        time_zone: chrono_tz::Asia::Kolkata,
        ..station("C")
    };
    let gc = station("DG-GC");
    t.store
        .put_stations(&[london.clone(), unknown.clone(), half.clone(), gc.clone()])
        .unwrap();
    let expected = [unknown, half, gc, london];
    assert_eq!(t.store.stations().unwrap(), expected);
    assert_eq!(
        (t.reopen)().stations().unwrap(),
        expected,
        "a second handle"
    );
}

/// Putting a station with a known id replaces it; others stay.
pub fn stations_replace_by_id(mut t: TestStore) {
    t.store.put_stations(&[station("A"), station("B")]).unwrap();
    let moved = StationInfo {
        name: "东城".to_string(),
        name_en: "Dongcheng".to_string(),
        lat: None,
        lon: Some(113.8),
        time_zone: chrono_tz::Asia::Hong_Kong,
        ..station("A")
    };
    t.store.put_stations(std::slice::from_ref(&moved)).unwrap();
    assert_eq!(t.store.stations().unwrap(), [moved.clone(), station("B")]);
    // Twice in one batch: the last wins.
    let again = StationInfo {
        district: "东城街道".to_string(),
        ..moved.clone()
    };
    t.store.put_stations(&[moved, again.clone()]).unwrap();
    assert_eq!(t.store.stations().unwrap(), [again, station("B")]);
}

/// A term.
pub fn term(concentration: f64, iaqi: Option<u32>, valid: u8) -> Option<IndexTerm> {
    Some(IndexTerm {
        concentration,
        iaqi,
        valid,
    })
}

/// An hourly or daily index at `minutes` past [`at`]`(0)`: PM2.5 and O3 1-h terms, PM2.5
/// primary.
pub fn index(station: &str, resolution: Resolution, minutes: i64) -> IndexRecord {
    let mut terms = [None; 7];
    terms[3] = term(55.0, Some(76), 1);
    terms[5] = term(90.0, Some(29), 1);
    IndexRecord {
        station: station.into(),
        resolution,
        time: at(minutes),
        standard: Standard::Hj633_2012,
        aqi: Some(76),
        primary: vec![Pollutant::Pm25],
        terms,
    }
}

fn index_times(records: &[IndexRecord]) -> Vec<i64> {
    records
        .iter()
        .map(|r| (r.time - at(0)).num_minutes())
        .collect()
}

/// Every field of an index round-trips: absent terms, no AQI, several primary pollutants, a
/// term with a concentration but no sub-index, every standard.
pub fn indices_round_trip(mut t: TestStore) {
    let all = query(Resolution::Hour, -24 * 60, 24 * 60);
    assert!(t.store.read_indices(&all).unwrap().is_empty());
    assert_eq!(t.store.write_indices(&[]).unwrap(), 0);
    let full = IndexRecord {
        standard: Standard::Hj633_2026,
        aqi: Some(231),
        primary: vec![Pollutant::Pm25, Pollutant::O3_8h, Pollutant::So2],
        terms: [
            term(0.5, Some(0), 24),
            term(40.25, Some(50), 23),
            term(350.0, Some(200), 20),
            term(181.0, Some(231), 22),
            term(2.1, Some(21), 24),
            // Above the top of the table: a concentration without a sub-index.
            term(1300.0, None, 18),
            term(231.5, Some(150), 17),
        ],
        ..index("A", Resolution::Day, -8 * 60)
    };
    let empty = IndexRecord {
        standard: Standard::Epa2024,
        aqi: None,
        primary: vec![],
        terms: [None; 7],
        ..index("A", Resolution::Day, 16 * 60)
    };
    let epa = IndexRecord {
        standard: Standard::Epa2012,
        aqi: Some(42),
        primary: vec![],
        terms: [None, None, None, term(9.8, Some(42), 3), None, None, None],
        ..index("B", Resolution::Day, -8 * 60)
    };
    let hourly = IndexRecord {
        primary: vec![Pollutant::O3_1h, Pollutant::Pm10],
        ..index("A", Resolution::Hour, 60)
    };
    let batch = [epa.clone(), empty.clone(), hourly.clone(), full.clone()];
    assert_eq!(t.store.write_indices(&batch).unwrap(), 4);
    let days = query(Resolution::Day, -24 * 60, 24 * 60);
    let expected = [full, empty, epa];
    assert_eq!(t.store.read_indices(&days).unwrap(), expected);
    assert_eq!(
        t.store.read_indices(&all).unwrap(),
        std::slice::from_ref(&hourly)
    );
    let reader = (t.reopen)();
    assert_eq!(
        reader.read_indices(&days).unwrap(),
        expected,
        "a second handle"
    );
    assert_eq!(reader.read_indices(&all).unwrap(), [hourly]);
    assert_eq!(
        t.store.count(Resolution::Day).unwrap(),
        0,
        "indices are not readings"
    );
}

/// Writing an index with the key (station, resolution, time) of a stored one replaces it,
/// across and within batches; others stay.
pub fn indices_replace_by_key(mut t: TestStore) {
    let batch: Vec<IndexRecord> = (0..5)
        .map(|h| index("A", Resolution::Hour, 60 * h))
        .collect();
    assert_eq!(t.store.write_indices(&batch).unwrap(), 5);
    assert_eq!(t.store.write_indices(&batch).unwrap(), 5);
    let q = query(Resolution::Hour, 0, 5 * 60);
    assert_eq!(t.store.read_indices(&q).unwrap(), batch);
    let changed = IndexRecord {
        standard: Standard::Hj633_2026,
        aqi: None,
        primary: vec![],
        terms: [None, term(12.0, None, 1), None, None, None, None, None],
        ..batch[2].clone()
    };
    t.store
        .write_indices(std::slice::from_ref(&changed))
        .unwrap();
    let mut expected = batch.clone();
    expected[2] = changed.clone();
    assert_eq!(t.store.read_indices(&q).unwrap(), expected);
    // Twice in one batch: the last wins.
    let again = IndexRecord {
        aqi: Some(5),
        ..changed.clone()
    };
    t.store.write_indices(&[changed, again.clone()]).unwrap();
    expected[2] = again;
    assert_eq!(t.store.read_indices(&q).unwrap(), expected);
}

/// `from` is inclusive, `to` exclusive; an empty range reads nothing.
pub fn indices_range_boundaries(mut t: TestStore) {
    let batch: Vec<IndexRecord> = (0..10)
        .map(|h| index("A", Resolution::Hour, 60 * h))
        .collect();
    t.store.write_indices(&batch).unwrap();
    let read = |from, to| {
        index_times(
            &t.store
                .read_indices(&query(Resolution::Hour, from, to))
                .unwrap(),
        )
    };
    assert_eq!(read(120, 300), [120, 180, 240]);
    assert_eq!(read(121, 300), [180, 240]);
    assert_eq!(read(-600, 1), [0]);
    assert_eq!(read(540, 541), [540]);
    assert_eq!(read(540, 540), [] as [i64; 0]);
    assert_eq!(read(300, 120), [] as [i64; 0]);
    assert_eq!(read(600, 6000), [] as [i64; 0]);
}

/// The station filter (all when empty); order by station (byte order), then time.
pub fn indices_filter_and_order(mut t: TestStore) {
    let mut batch = Vec::new();
    for station in ["B", "A", "C", "AB"] {
        for h in [2, 0, 1] {
            batch.push(index(station, Resolution::Hour, 60 * h));
        }
    }
    t.store.write_indices(&batch).unwrap();
    let keys = |q: &Query| -> Vec<(String, i64)> {
        t.store
            .read_indices(q)
            .unwrap()
            .iter()
            .map(|r| (r.station.to_string(), (r.time - at(0)).num_minutes()))
            .collect()
    };
    let mut q = query(Resolution::Hour, 0, 3 * 60);
    let all = keys(&q);
    let mut sorted = all.clone();
    sorted.sort();
    assert_eq!(all.len(), 12);
    assert_eq!(all, sorted, "ordered by station, time");
    assert_eq!(all[3], ("AB".to_string(), 0));
    q.stations = vec!["C".into(), "A".into()];
    q.parameters = vec![Parameter::Co]; // ignored
    let got = keys(&q);
    let expected: Vec<(String, i64)> = ["A", "C"]
        .iter()
        .flat_map(|s| [0, 60, 120].map(|m| (s.to_string(), m)))
        .collect();
    assert_eq!(got, expected);
    q.stations = vec!["Z".into()];
    assert!(keys(&q).is_empty());
}

/// Hourly and daily indices with the same station and time are different records.
pub fn indices_resolutions_apart(mut t: TestStore) {
    let hour = index("A", Resolution::Hour, 0);
    let day = IndexRecord {
        aqi: Some(99),
        primary: vec![Pollutant::O3_8h],
        ..index("A", Resolution::Day, 0)
    };
    t.store.write_indices(&[hour.clone(), day.clone()]).unwrap();
    assert_eq!(
        t.store
            .read_indices(&query(Resolution::Hour, 0, 1))
            .unwrap(),
        [hour]
    );
    assert_eq!(
        t.store.read_indices(&query(Resolution::Day, 0, 1)).unwrap(),
        [day]
    );
    assert!(
        t.store
            .read_indices(&query(Resolution::Minute, 0, 1))
            .unwrap()
            .is_empty()
    );
}

/// A successful run of `job` scheduled at `at(scheduled)`, started `started` seconds later
/// and lasting 90 s.
pub fn job_run(job: &str, scheduled: i64, started: i64) -> JobRun {
    let t = at(scheduled);
    JobRun {
        job: job.to_string(),
        scheduled: t,
        started: t + TimeDelta::seconds(started),
        finished: t + TimeDelta::seconds(started + 90),
        outcome: JobOutcome::Succeeded(vec![format!("reports/{job}-{scheduled}.pdf")]),
    }
}

/// (job, scheduled minute, started seconds after it) of `runs`, to compare orders.
fn run_keys(runs: &[JobRun]) -> Vec<(String, i64, i64)> {
    runs.iter()
        .map(|r| {
            (
                r.job.clone(),
                (r.scheduled - at(0)).num_minutes(),
                (r.started - r.scheduled).num_seconds(),
            )
        })
        .collect()
}

/// Both outcomes come back as recorded: outputs with spaces, commas, quotes and Chinese, an
/// empty output list, a multi-line failure reason; times to the millisecond. Another handle
/// sees them.
pub fn job_runs_round_trip(mut t: TestStore) {
    assert!(t.store.job_runs(None, 10).unwrap().is_empty());
    let ok = JobRun {
        finished: at(24 * 60) + TimeDelta::milliseconds(61_234),
        outcome: JobOutcome::Succeeded(vec![
            "reports/日报 2025-06-02.pdf".to_string(),
            "rows: 1,234, stations: 33".to_string(),
            r#"say "hi" \ {x=1}"#.to_string(),
            "东莞市环境空气质量日报".to_string(),
        ]),
        ..job_run("日报 daily", 24 * 60, 2)
    };
    let empty = JobRun {
        outcome: JobOutcome::Succeeded(vec![]),
        ..job_run("日报 daily", 0, 1)
    };
    let failed = JobRun {
        started: at(48 * 60) + TimeDelta::milliseconds(1_500),
        outcome: JobOutcome::Failed(
            "no hourly data for 莞城, \"DG-GC\"\nretry tomorrow".to_string(),
        ),
        ..job_run("日报 daily", 48 * 60, 0)
    };
    for run in [&ok, &empty, &failed] {
        t.store.record_job_run(run).unwrap();
    }
    let expected = vec![failed.clone(), ok.clone(), empty.clone()];
    assert_eq!(t.store.job_runs(Some("日报 daily"), 10).unwrap(), expected);
    assert_eq!(t.store.job_runs(None, 10).unwrap(), expected);
    assert_eq!((t.reopen)().job_runs(None, 10).unwrap(), expected);
}

/// Newest scheduled time first; for one scheduled time, the latest attempt first. A re-run
/// of an older time, started later, still sorts by its scheduled time. `limit` cuts the list.
pub fn job_runs_order_and_limit(mut t: TestStore) {
    let day = 24 * 60;
    let runs = [
        job_run("daily", 0, 5),
        // Day 1 ran twice: a failure, then a retry an hour later.
        JobRun {
            outcome: JobOutcome::Failed("database locked".to_string()),
            ..job_run("daily", day, 1)
        },
        job_run("daily", day, 3600),
        job_run("daily", 2 * day, 1),
        // Day 0 re-run by hand after day 2.
        job_run("daily", 0, 3 * 86_400),
    ];
    // Recorded out of order.
    for i in [3, 0, 4, 2, 1] {
        t.store.record_job_run(&runs[i]).unwrap();
    }
    let all = t.store.job_runs(Some("daily"), 100).unwrap();
    assert_eq!(
        run_keys(&all),
        [
            ("daily".to_string(), 2 * day, 1),
            ("daily".to_string(), day, 3600),
            ("daily".to_string(), day, 1),
            ("daily".to_string(), 0, 3 * 86_400),
            ("daily".to_string(), 0, 5),
        ]
    );
    assert_eq!(all[2], runs[1]);
    for limit in [0, 1, 2, 3, 4, 5, 6] {
        let cut = t.store.job_runs(Some("daily"), limit).unwrap();
        assert_eq!(cut, all[..limit.min(5)], "limit {limit}");
        assert_eq!(
            t.store.job_runs(None, limit).unwrap(),
            all[..limit.min(5)],
            "all jobs, limit {limit}"
        );
    }
    assert_eq!(t.store.job_runs(None, usize::MAX).unwrap(), all);
    // Where the job left off: the latest scheduled time that ran.
    assert_eq!(
        t.store.job_runs(Some("daily"), 1).unwrap()[0].scheduled,
        at(2 * day)
    );
}

/// `Some(job)` reads that job only (names are matched exactly); `None` every job, runs of
/// the same scheduled and start times ordered by job name.
pub fn job_runs_filter_by_job(mut t: TestStore) {
    let runs = [
        job_run("hourly", 60, 1),
        job_run("daily", 60, 1),
        job_run("hourly", 120, 1),
        job_run("daily", 0, 1),
        job_run("daily report", 120, 30),
        job_run("Daily", 180, 1),
    ];
    for run in &runs {
        t.store.record_job_run(run).unwrap();
    }
    assert_eq!(
        t.store.job_runs(Some("daily"), 10).unwrap(),
        [runs[1].clone(), runs[3].clone()]
    );
    assert_eq!(
        t.store.job_runs(Some("hourly"), 10).unwrap(),
        [runs[2].clone(), runs[0].clone()]
    );
    assert_eq!(
        t.store.job_runs(Some("daily report"), 10).unwrap(),
        [runs[4].clone()]
    );
    assert!(t.store.job_runs(Some("weekly"), 10).unwrap().is_empty());
    assert!(t.store.job_runs(Some("dail"), 10).unwrap().is_empty());
    assert_eq!(
        run_keys(&t.store.job_runs(None, 10).unwrap()),
        [
            ("Daily".to_string(), 180, 1),
            ("daily report".to_string(), 120, 30),
            ("hourly".to_string(), 120, 1),
            ("daily".to_string(), 60, 1),
            ("hourly".to_string(), 60, 1),
            ("daily".to_string(), 0, 1),
        ]
    );
    assert_eq!(
        run_keys(&t.store.job_runs(None, 4).unwrap()),
        [
            ("Daily".to_string(), 180, 1),
            ("daily report".to_string(), 120, 30),
            ("hourly".to_string(), 120, 1),
            ("daily".to_string(), 60, 1),
        ]
    );
}

/// Recording a run with the key (job, scheduled, started) of a stored one replaces it, also
/// when the outcome changes kind; other runs stay.
pub fn job_runs_replace_by_key(mut t: TestStore) {
    let first = job_run("daily", 0, 1);
    let other = job_run("daily", 24 * 60, 1);
    t.store.record_job_run(&first).unwrap();
    t.store.record_job_run(&other).unwrap();
    t.store.record_job_run(&first).unwrap();
    assert_eq!(
        t.store.job_runs(None, 10).unwrap(),
        [other.clone(), first.clone()]
    );
    let failed = JobRun {
        finished: first.finished + TimeDelta::seconds(30),
        outcome: JobOutcome::Failed("disk full".to_string()),
        ..first.clone()
    };
    t.store.record_job_run(&failed).unwrap();
    assert_eq!(
        t.store.job_runs(None, 10).unwrap(),
        [other.clone(), failed.clone()]
    );
    let succeeded = JobRun {
        outcome: JobOutcome::Succeeded(vec![]),
        ..failed
    };
    t.store.record_job_run(&succeeded).unwrap();
    assert_eq!(t.store.job_runs(None, 10).unwrap(), [other, succeeded]);
}
