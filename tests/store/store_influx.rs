//! The InfluxDB backend against real servers: InfluxDB 1.x (Debian's `influxd` 1.6.7) through
//! the v1 write path and InfluxQL reads, running the store conformance suite; and
//! VictoriaMetrics through the `/api/v2/write` path, read back with its export API.
//!
//! A missing server skips these tests, or fails them when `CI` / `LANTIAN_REQUIRE_PEERS` is
//! set (`scripts/test` installs both).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::common::store_conformance::{self as conformance, TestStore, at, rec};
use crate::common::tsdb::{Influxd, VictoriaMetrics};
use chrono::{TimeDelta, TimeZone, Utc};
use lantian::aqi::{Pollutant, Standard};
use lantian::quality::Flag;
use lantian::store::influx::InfluxStore;
use lantian::store::influx::config::InfluxConfig;
use lantian::store::{
    DeviceHealth, ErrorKind, ForecastStore, IndexQuery, IndexRecord, IndexTerm, ReadingQuery,
    ReadingStore, Record, Resolution, StationInfo, StationRole, Stations,
};
use lantian::units::Parameter;

/// The parsed test URL `url`.
fn config(url: &str) -> InfluxConfig {
    InfluxConfig::parse(url).expect("a valid InfluxDB URL")
}

fn influxd() -> Option<Influxd> {
    crate::common::peers::influxd().then(Influxd::start)
}

/// A new, empty database on `server`.
fn create(server: &Influxd) -> TestStore {
    let url = server.new_database();
    let store = Box::new(InfluxStore::open(&config(&url)).expect("open"));
    TestStore {
        store,
        reopen: Box::new(move || Box::new(InfluxStore::open(&config(&url)).expect("reopen"))),
    }
}

fn all(resolution: Resolution) -> ReadingQuery {
    ReadingQuery::new(resolution, at(-100_000), at(100_000))
}

#[test]
fn conformance_v1() {
    let Some(server) = influxd() else { return };
    conformance::run_all(&|| create(&server));
}

#[test]
fn conformance_through_store_open() {
    let Some(server) = influxd() else { return };
    let url = server.new_database();
    let mut store = lantian::store::open(&url.parse().unwrap()).expect("store::open");
    store
        .put_readings(&[rec("A", Parameter::Co, Resolution::Hour, 60, 0.4)])
        .unwrap();
    assert_eq!(store.count_readings(Resolution::Hour).unwrap(), 1);
    assert_eq!(
        lantian::store::open(&url.parse().unwrap())
            .unwrap()
            .latest_readings(Resolution::Hour, &Stations::All)
            .unwrap()[0]
            .value,
        0.4
    );
}

/// Names with every character line protocol and InfluxQL escape, values that need every
/// digit, and text fields with quotes, backslashes and line breaks.
#[test]
fn awkward_names_and_values_round_trip() {
    let Some(server) = influxd() else { return };
    let t = create(&server);
    let mut store = t.store;
    let stations = [
        "DG GC",
        "a,b=c",
        "O'Hare \"x\"",
        "莞城=东城, 南城",
        "trailing ",
        "=lead",
    ];
    let values = [
        0.1 + 0.2,
        -1e-300,
        f64::MAX,
        f64::MIN_POSITIVE,
        123_456_789.123_456_78,
        -0.0,
    ];
    let batch: Vec<Record> = stations
        .iter()
        .zip(values)
        .enumerate()
        .map(|(i, (s, v))| Record {
            flag: Flag::ALL[i % Flag::ALL.len()],
            count: u32::MAX - i as u32,
            ..rec(s, Parameter::ALL[i], Resolution::Minute, i as i64, v)
        })
        .collect();
    store.put_readings(&batch).unwrap();
    let mut expected = batch.clone();
    expected.sort_by(|a, b| a.station.cmp(&b.station));
    let got = store.readings(&all(Resolution::Minute)).unwrap();
    assert_eq!(got, expected);
    for r in &got {
        let bits = |v: f64| v.to_bits();
        let want = batch.iter().find(|b| b.station == r.station).unwrap();
        assert_eq!(bits(r.value), bits(want.value), "{} exact", r.station);
    }
    for s in stations {
        let mut q = all(Resolution::Minute);
        q.stations = Stations::one(s);
        assert_eq!(store.readings(&q).unwrap().len(), 1, "filter on {s:?}");
        assert_eq!(
            store
                .latest_readings(Resolution::Minute, &Stations::one(s))
                .unwrap()
                .len(),
            1
        );
    }

    let station = StationInfo {
        id: "a b,c=d'e".into(),
        name: "name \"quoted\" \\ back\\slash\nsecond line".into(),
        name_en: "Guancheng, \"old\"".into(),
        district: "=,'\\".into(),
        lat: Some(-33.868_820_123_456_78),
        lon: Some(151.209_295_987_654_3),
        time_zone: chrono_tz::Australia::Sydney,
        city: String::new(),
        role: StationRole::Assessment,
    };
    store.put_stations(std::slice::from_ref(&station)).unwrap();
    assert_eq!(store.stations().unwrap(), [station]);

    let health = DeviceHealth {
        last_error: Some("Modbus: \"timeout\"\nat C:\\dev\\ttyS0, unit=3".into()),
        status: vec!["a,b".into(), "\"q\"".into(), "\\".into(), "\n".into()],
        last_latency_ms: Some(0.1 + 0.7),
        ..DeviceHealth::new("dev =1,2", "O'Hare \"x\"")
    };
    store.put_health(std::slice::from_ref(&health)).unwrap();
    assert_eq!(store.health().unwrap(), [health]);
}

/// InfluxDB merges a point into one with the same series and time: a rewrite with fewer
/// values set must still replace every one of them.
#[test]
fn rewrites_with_fewer_values_leave_nothing_stale() {
    let Some(server) = influxd() else { return };
    let mut store = create(&server).store;
    let full = DeviceHealth {
        device: "d".into(),
        station: "S".into(),
        online: true,
        last_success: Some(at(1)),
        last_attempt: Some(at(2)),
        polls: 10,
        successes: 9,
        skipped: 1,
        consecutive_failures: 0,
        last_latency_ms: Some(3.5),
        status: vec!["x".into()],
        last_error: Some("boom".into()),
        last_failure: Some(at(0)),
        peer: Some("10.1.2.3:5000".into()),
        rejected: [("wrong-pw".to_string(), 4)].into(),
    };
    let bare = DeviceHealth::new("d", "T");
    // Written one after the other, normally into the same minute slot (the case to test);
    // across a minute boundary the newer point wins anyway.
    store.put_health(std::slice::from_ref(&full)).unwrap();
    store.put_health(std::slice::from_ref(&bare)).unwrap();
    assert_eq!(store.health().unwrap(), [bare]);

    let mut terms = enum_map::EnumMap::default();
    for (i, t) in terms.values_mut().enumerate() {
        *t = Some(IndexTerm {
            concentration: i as f64 + 0.5,
            iaqi: Some(i as u32),
            valid: 24,
        });
    }
    let rich = IndexRecord {
        station: "A".into(),
        resolution: Resolution::Day,
        time: at(0),
        standard: Standard::Hj633_2026,
        aqi: Some(300),
        primary: vec![Pollutant::Pm25, Pollutant::Pm10],
        terms,
    };
    let poor = IndexRecord {
        aqi: None,
        primary: vec![],
        terms: enum_map::EnumMap::default(),
        standard: Standard::Epa2024,
        ..rich.clone()
    };
    store.put_indices(&[rich]).unwrap();
    store.put_indices(std::slice::from_ref(&poor)).unwrap();
    let days = IndexQuery::new(Resolution::Day, at(-100_000), at(100_000));
    assert_eq!(store.indices(&days).unwrap(), [poor]);

    let lat_known = StationInfo {
        id: "S".into(),
        name: "n".into(),
        name_en: "e".into(),
        district: "d".into(),
        lat: Some(1.0),
        lon: Some(2.0),
        time_zone: chrono_tz::UTC,
        city: String::new(),
        role: StationRole::Assessment,
    };
    let unknown = StationInfo {
        lat: None,
        lon: None,
        ..lat_known.clone()
    };
    store.put_stations(&[lat_known]).unwrap();
    store.put_stations(std::slice::from_ref(&unknown)).unwrap();
    assert_eq!(store.stations().unwrap(), [unknown]);
}

#[test]
fn unstorable_records_fail_the_whole_call_before_anything_is_sent() {
    let Some(server) = influxd() else { return };
    let mut store = create(&server).store;
    let mut batch: Vec<Record> = (0..100)
        .map(|i| rec("A", Parameter::Pm10, Resolution::Minute, i, 1.0))
        .collect();
    batch[99].value = f64::NAN;
    let e = store.put_readings(&batch).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Rejected, "{e}");
    assert!(e.to_string().contains("NaN"), "{e}");
    assert_eq!(store.count_readings(Resolution::Minute).unwrap(), 0);
    batch[99].value = 1.0;
    batch[50].station = "bad\nname".into();
    assert!(store.put_readings(&batch).is_err());
    assert_eq!(store.count_readings(Resolution::Minute).unwrap(), 0);
    let minute_index = IndexRecord {
        resolution: Resolution::Minute,
        ..conformance::indices::index("A", Resolution::Hour, 0)
    };
    assert!(store.put_indices(&[minute_index]).is_err());
}

#[test]
fn large_batches_are_split_into_requests_with_and_without_gzip() {
    let Some(server) = influxd() else { return };
    for options in ["", "&gzip=false&batch=777"] {
        let url = server.new_database() + options;
        let mut store = InfluxStore::open(&config(&url)).unwrap();
        let stations = ["A", "B", "C"];
        let batch: Vec<Record> = (0..12_345)
            .map(|i| {
                rec(
                    stations[i % 3],
                    Parameter::ALL[(i / 3) % 15],
                    Resolution::Sample,
                    (i / 45) as i64,
                    i as f64 * 0.25,
                )
            })
            .collect();
        assert_eq!(store.put_readings(&batch).unwrap(), batch.len());
        assert_eq!(
            store.count_readings(Resolution::Sample).unwrap(),
            12_345,
            "{url}"
        );
        let got = store.readings(&all(Resolution::Sample)).unwrap();
        let mut expected = batch.clone();
        expected.sort_by(|a, b| {
            (&a.station, a.parameter, a.time).cmp(&(&b.station, b.parameter, b.time))
        });
        assert_eq!(got, expected, "{url}");
    }
}

#[test]
fn server_errors_carry_the_servers_message_and_are_not_retried() {
    let Some(server) = influxd() else { return };
    let mut store = InfluxStore::open(&config(&server.url("no_such_db"))).unwrap();
    let start = Instant::now();
    let e = store
        .put_readings(&[rec("A", Parameter::Co, Resolution::Hour, 0, 1.0)])
        .unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(2), "no retry on 4xx");
    let text = e.to_string();
    assert!(text.contains("HTTP 404"), "{text}");
    assert!(text.contains("database not found"), "{text}");
    let e = store
        .count_readings(Resolution::Hour)
        .unwrap_err()
        .to_string();
    assert!(e.contains("database not found"), "{e}");
}

#[test]
fn unreachable_servers_are_retried_then_reported() {
    // A port nobody listens on: connection refused, retried twice.
    let port = crate::common::peers::free_port();
    let url = format!("influx+http://127.0.0.1:{port}?db=x&retries=2&timeout=1");
    let store = InfluxStore::open(&config(&url)).unwrap();
    let start = Instant::now();
    let e = store
        .count_readings(Resolution::Hour)
        .unwrap_err()
        .to_string();
    // 100 ms + 200 ms of back-off.
    assert!(start.elapsed() >= Duration::from_millis(300), "{e}");
    assert!(e.contains("attempt 3"), "{e}");
    assert!(e.contains(&format!("127.0.0.1:{port}/query")), "{e}");
}

/// Commands call the store from `async fn`s; the sink from tokio's blocking pool. (The
/// server is started outside the runtimes: the test helper's own HTTP client is not
/// runtime-safe.)
#[test]
fn usable_inside_and_beside_tokio_runtimes() {
    let Some(server) = influxd() else { return };
    let url = server.new_database();
    let multi = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let in_multi = url.clone();
    multi.block_on(async move {
        let mut store = lantian::store::open(&in_multi.parse().unwrap()).unwrap();
        store
            .put_readings(&[rec("A", Parameter::O3, Resolution::Hour, 60, 80.0)])
            .unwrap();
        assert_eq!(store.count_readings(Resolution::Hour).unwrap(), 1);
        let store = tokio::task::spawn_blocking(move || {
            store
                .put_readings(&[rec("A", Parameter::O3, Resolution::Hour, 120, 90.0)])
                .unwrap();
            store
        })
        .await
        .unwrap();
        assert_eq!(store.count_readings(Resolution::Hour).unwrap(), 2);
        drop(store);
    });
    let current = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    current.block_on(async move {
        let mut store = lantian::store::open(&url.parse().unwrap()).unwrap();
        store
            .put_stations(&[conformance::stations::station("X")])
            .unwrap();
        assert_eq!(store.stations().unwrap().len(), 1);
        assert_eq!(store.count_readings(Resolution::Hour).unwrap(), 2);
    });
}

/// One exported series of VictoriaMetrics.
#[derive(serde::Deserialize)]
struct Exported {
    metric: BTreeMap<String, String>,
    values: Vec<f64>,
    timestamps: Vec<i64>,
}

fn export(vm: &VictoriaMetrics, selector: &str) -> Vec<Exported> {
    lantian::store::influx::client::install_crypto_provider();
    let http = reqwest::blocking::Client::new();
    http.get(format!("{}/internal/force_flush", vm.http()))
        .send()
        .expect("force_flush");
    let body = http
        .get(format!(
            "{}/api/v1/export?match[]={}",
            vm.http(),
            url::form_urlencoded::byte_serialize(selector.as_bytes()).collect::<String>()
        ))
        .send()
        .and_then(|r| r.error_for_status())
        .and_then(|r| r.text())
        .expect("export");
    let mut out: Vec<Exported> = body
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("export line"))
        .collect();
    out.sort_by(|a, b| a.metric.cmp(&b.metric));
    out
}

#[test]
fn victoria_metrics_through_the_v2_write_path() {
    if !crate::common::peers::victoria_metrics() {
        return;
    }
    let vm = VictoriaMetrics::start();
    let url = format!(
        "influx+http://127.0.0.1:{}?org=aq&bucket=lantian&api=v2",
        vm.port
    );
    let mut store = lantian::store::open(&url.parse().unwrap()).unwrap();
    let now = Utc
        .timestamp_millis_opt(Utc::now().timestamp_millis() / 60_000 * 60_000)
        .unwrap();
    let batch: Vec<Record> = (0..30)
        .map(|i| Record {
            time: now - TimeDelta::minutes(30 - i),
            count: i as u32,
            ..rec(
                "DG GC",
                Parameter::Pm25,
                Resolution::Minute,
                0,
                10.0 + i as f64 / 8.0,
            )
        })
        .chain((0..3).map(|i| Record {
            time: now - TimeDelta::hours(3 - i),
            ..rec("莞城", Parameter::No2, Resolution::Hour, 0, 40.5 + i as f64)
        }))
        .collect();
    store.put_readings(&batch).unwrap();

    // Each numeric field of measurement `readings` becomes metric `readings_<field>` with the
    // tags as labels; the string field `flag` is not a metric.
    let deadline = Instant::now() + Duration::from_secs(20);
    let values = loop {
        let got = export(&vm, r#"{__name__="readings_value"}"#);
        if got.iter().map(|e| e.values.len()).sum::<usize>() == batch.len()
            || Instant::now() > deadline
        {
            break got;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(values.len(), 2, "two series");
    for series in &values {
        let station = &series.metric["station"];
        let expected: Vec<&Record> = batch.iter().filter(|r| &*r.station == station).collect();
        let first = expected[0];
        assert_eq!(series.metric["parameter"], first.parameter.code());
        assert_eq!(series.metric["resolution"], first.resolution.code());
        assert_eq!(
            series.timestamps,
            expected
                .iter()
                .map(|r| r.time.timestamp_millis())
                .collect::<Vec<_>>(),
            "{station}"
        );
        assert_eq!(
            series.values,
            expected.iter().map(|r| r.value).collect::<Vec<_>>(),
            "{station}"
        );
    }
    let counts = export(&vm, r#"{__name__="readings_count",station="DG GC"}"#);
    assert_eq!(counts[0].values, (0..30).map(f64::from).collect::<Vec<_>>());
}

/// Writes `line` (line protocol, ms precision) straight to the v1 database of store `url`,
/// past the store's checks: what another writer (or an older build) may have left.
fn write_raw(url: &str, line: &str) {
    let (base, db) = url
        .trim_start_matches("influx+")
        .split_once("?db=")
        .expect("v1 URL");
    let response = reqwest::blocking::Client::new()
        .post(format!("{base}/write?db={db}&precision=ms"))
        .body(line.to_string())
        .send()
        .expect("write");
    assert!(response.status().is_success(), "{:?}", response.text());
}

#[test]
fn daily_forecasts_written_before_the_aqi_range_read_without_one() {
    let Some(server) = influxd() else { return };
    let url = server.new_database();
    // A point as builds before the AQI range wrote it: no `aqi_low` / `aqi_high` fields. Issued
    // 2024-06-10 09:00 UTC for the Shanghai day starting 16:00 UTC.
    let line = "forecast_daily,issue_time=09:00,lead_day=1,station=A issued=1718010000000i,\
                date=\"2024-06-11\",aqi=80i,primary=\"pm25\",pm25=58,pm10=70,o3_8h_max=90,\
                model=\"m\",abstained=\"\",missing=\"[]\" 1718035200000";
    write_raw(&url, line);
    let store = InfluxStore::open(&config(&url)).expect("open");
    let days = store
        .forecast_days(&lantian::store::ForecastQuery::new(
            lantian::store::ForecastAxis::Valid,
            Utc.with_ymd_and_hms(2024, 6, 10, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2024, 6, 12, 0, 0, 0).unwrap(),
        ))
        .expect("read");
    assert_eq!(days.len(), 1, "{days:?}");
    let d = &days[0];
    assert_eq!((d.aqi, d.aqi_low, d.aqi_high), (Some(80), None, None));
    assert_eq!(d.range(), None);
}

/// A flag's source type is stored as its code; a point with an unknown code (written by hand)
/// reads as a `Corrupt` error naming the flag.
#[test]
fn source_flags_with_unknown_codes_are_corrupt() {
    use crate::common::store_conformance::source_flags::flag;
    use lantian::store::{SourceFlagQuery, SourceFlagStore};
    let Some(server) = influxd() else { return };
    let url = server.new_database();
    let (base, db) = url
        .trim_start_matches("influx+")
        .split_once("?db=")
        .expect("v1 URL");
    let mut store = InfluxStore::open(&config(&url)).expect("open");
    store
        .put_source_flags(&[flag("S1", &[Parameter::So2], 0)])
        .expect("put");
    let query = SourceFlagQuery::new(at(-10_000), at(10_000));
    assert_eq!(store.source_flags(&query).expect("read").len(), 1);
    let select = reqwest::blocking::Client::new()
        .get(format!(
            "{base}/query?db={db}&q=SELECT%20source_type%20FROM%20source_flags"
        ))
        .send()
        .expect("query")
        .text()
        .expect("body");
    assert!(select.contains(r#""coal_industrial""#), "{select}");
    let line = format!(
        "source_flags,pollutants=no2,station=S2 end={ms}i,peak_time={ms}i,peak_parameter=\"no2\",\
         peak_value=1,peak_excess=1,source_type=\"smoke\",severity=1,evidence=\"{{}}\",\
         flagged_at={ms}i,job=\"sources\",job_scheduled={ms}i {ms}",
        ms = at(60).timestamp_millis()
    );
    write_raw(&url, &line);
    let err = store.source_flags(&query).expect_err("unknown source type");
    assert!(err.kind() == ErrorKind::Corrupt, "{err}");
    let text = err.to_string();
    assert!(
        text.contains("smoke") && text.contains("S2 no2 at"),
        "{text}"
    );
}
