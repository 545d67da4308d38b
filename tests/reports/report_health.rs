//! The device-health report from known minute and hourly data: capture against the 20-hour
//! rule, calibration and alarm periods, stuck, out-of-range and inconsistent values, the
//! devices to visit first, and the charts (device states through the day, capture).

use crate::fixture;

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use fixture::{section, table_rows, text};
use lantian::quality::Flag;
use lantian::report::charts::state_colour;
use lantian::report::health::{CheckKind, HealthFindings, Reason};
use lantian::report::health_charts::health_charts;
use lantian::report::health_timeline::DeviceState;
use lantian::report::html::check_well_formed;
use lantian::report::{
    DeviceSpec, HealthRules, Lang, ReportConfig, health_findings, health_report,
};
use lantian::store::{DeviceHealth, HealthStore, ReadingStore, Record, Resolution};
use lantian::units::Parameter;

fn midnight() -> DateTime<Utc> {
    fixture::label(fixture::day(), 0)
}

pub(crate) fn minute(station: &str, p: Parameter, m: i64, value: f64, flag: Flag) -> Record {
    Record {
        station: Arc::from(station),
        parameter: p,
        resolution: Resolution::Minute,
        time: midnight() + TimeDelta::minutes(m),
        value,
        flag,
        count: 1,
    }
}

pub(crate) fn devices() -> Vec<DeviceSpec> {
    let d = |id: &str, station: &str, ps: &[Parameter]| DeviceSpec {
        id: id.into(),
        station: station.into(),
        parameters: ps.to_vec(),
        hj212: false,
    };
    let mut out = Vec::new();
    for s in ["A", "B", "C"] {
        out.push(d(&format!("{s}-SO2"), s, &[Parameter::So2]));
        out.push(d(
            &format!("{s}-PM"),
            s,
            &[Parameter::Pm25, Parameter::Pm10],
        ));
        out.push(d(
            &format!("{s}-NOX"),
            s,
            &[Parameter::No, Parameter::No2, Parameter::Nox],
        ));
    }
    out
}

/// The fixture plus, on the report day:
/// - SO2 minute data at every station (a noisy signal, never repeating): at A a calibration
///   02:00–02:20 (C), a stuck value 10:00–12:00 (120 identical minutes), five values out of
///   range (T) at 15:00–15:05;
/// - at B, PM10 missing for 6 hours (18 valid) and one hour with PM2.5 above PM10;
/// - at C, NO2 above NOx for 2 hours and an alarm (D) on NOx 08:00–08:45 (minutes);
/// - device B-PM offline now.
pub(crate) fn store(dir: &std::path::Path) -> lantian::store::sqlite::SqliteStore {
    let mut store = fixture::store(dir);
    let mut minutes = Vec::new();
    for (k, s) in ["A", "B", "C"].iter().enumerate() {
        for m in 1..=1440i64 {
            let value = 10.0 + ((m * 37 + k as i64 * 11) % 97) as f64 / 10.0;
            let flag = if *s == "A" && (1..=20).contains(&(m - 120)) {
                Flag::Calibration
            } else if *s == "A" && (900..905).contains(&m) {
                Flag::OverRange
            } else {
                Flag::Normal
            };
            let value = if *s == "A" && (601..=720).contains(&m) {
                12.345
            } else {
                value
            };
            minutes.push(minute(s, Parameter::So2, m, value, flag));
        }
    }
    for m in 481..=525 {
        minutes.push(minute("C", Parameter::Nox, m, 0.0, Flag::Fault));
    }
    store.put_readings(&minutes).unwrap();
    let day = fixture::day();
    let mut hours = Vec::new();
    for h in 1..=24 {
        // B's PM10: hours 1–6 missing (communication error), hour 12 below PM2.5 (80).
        if h <= 6 {
            hours.push(fixture::hour(
                "B",
                day,
                h,
                Parameter::Pm10,
                0.0,
                Flag::CommError,
            ));
        } else if h == 12 {
            hours.push(fixture::hour(
                "B",
                day,
                h,
                Parameter::Pm10,
                70.0,
                Flag::Normal,
            ));
        }
        let nox = if h == 3 || h == 4 { 15.0 } else { 40.0 };
        for s in ["A", "B", "C"] {
            hours.push(fixture::hour(
                s,
                day,
                h,
                Parameter::Nox,
                if s == "C" { nox } else { 40.0 },
                Flag::Normal,
            ));
            hours.push(fixture::hour(s, day, h, Parameter::No, 10.0, Flag::Normal));
        }
    }
    fixture::write(&mut store, &hours);
    let mut offline = DeviceHealth::new("B-PM", "B");
    offline.polls = 100;
    offline.successes = 60;
    offline.consecutive_failures = 40;
    offline.last_error = Some("connect: connection refused".into());
    let mut ok = DeviceHealth::new("A-SO2", "A");
    ok.online = true;
    ok.polls = 100;
    ok.successes = 100;
    store.put_health(&[offline, ok]).unwrap();
    store
}

#[test]
fn findings() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path());
    let f = health_findings(&store, fixture::day(), &devices(), &HealthRules::default()).unwrap();

    let cap = |d: &str, p: Parameter| {
        f.captures
            .iter()
            .find(|c| c.device == d && c.parameter == p)
            .unwrap()
    };
    assert_eq!(cap("B-PM", Parameter::Pm10).valid_hours, 18);
    assert!(!cap("B-PM", Parameter::Pm10).meets);
    assert_eq!(cap("B-PM", Parameter::Pm10).flagged.get(&'B'), Some(&6));
    assert_eq!(cap("A-SO2", Parameter::So2).valid_hours, 24);

    let periods: Vec<(&str, char, String, String, u32)> = f
        .periods
        .iter()
        .map(|p| {
            let t = |d: DateTime<Utc>| d.with_timezone(&f.tz).format("%H:%M").to_string();
            (
                p.device.as_str(),
                p.flag.code(),
                t(p.from),
                t(p.to),
                p.minutes,
            )
        })
        .collect();
    assert_eq!(
        periods,
        [
            ("A-SO2", 'C', "02:00".into(), "02:20".into(), 20),
            ("C-NOX", 'D', "08:00".into(), "08:45".into(), 45),
        ]
    );

    let kinds: Vec<(CheckKind, &str, Parameter, u32)> = f
        .checks
        .iter()
        .map(|c| (c.kind, c.station.as_str(), c.parameter, c.count))
        .collect();
    assert_eq!(
        kinds,
        [
            (CheckKind::Stuck, "A", Parameter::So2, 120),
            (CheckKind::OutOfRange, "A", Parameter::So2, 5),
            (CheckKind::Pm25AbovePm10, "B", Parameter::Pm25, 1),
            (CheckKind::No2AboveNox, "C", Parameter::No2, 2),
        ]
    );
    let stuck = &f.checks[0];
    assert_eq!(stuck.value, 12.345);
    assert_eq!(
        stuck.from.with_timezone(&f.tz).format("%H:%M").to_string(),
        "10:00"
    );

    // Visit first: B-PM (offline 40, poll failures 20, PM10 below 20 h 15, PM2.5 > PM10 11),
    // then A-SO2 (stuck 25, out of range 5), C-NOX (alarm 10 + 45/30 = 11, NO2 > NOx 10 + 2 = 12).
    let order: Vec<(&str, u32)> = f
        .devices
        .iter()
        .filter(|d| d.score > 0)
        .map(|d| (d.spec.id.as_str(), d.score))
        .collect();
    assert_eq!(order, [("B-PM", 86), ("A-SO2", 30), ("C-NOX", 23)]);
    assert!(f.devices[0].reasons.contains(&Reason::Offline));
    let a = f.devices.iter().find(|d| d.spec.id == "A-SO2").unwrap();
    assert!((a.uptime.unwrap() - 1.0).abs() < 1e-9, "{:?}", a.uptime);
}

#[test]
fn report_shows_the_findings() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path());
    let cfg = ReportConfig {
        out_dir: dir.path().join("out"),
        lang: Lang::Zh,
    };
    let files = health_report(&store, "测试市监测网", fixture::day(), &devices(), &cfg).unwrap();
    assert_eq!(files.html, dir.path().join("out/health-2024-03-10.html"));
    let html = std::fs::read_to_string(&files.html).unwrap();
    check_well_formed(&html).unwrap();
    let visit = table_rows(section(&html, "visit"));
    assert_eq!(visit[0][1], "B-PM");
    assert!(visit[0][4].contains("当前离线"), "{:?}", visit[0]);
    assert!(
        visit[0][4].contains("有效小时不足20：pm10 18h"),
        "{:?}",
        visit[0]
    );
    assert_eq!(visit[1][1], "A-SO2");
    assert!(visit[1][4].contains("恒值 so2 (120)"), "{:?}", visit[1]);
    let capture = table_rows(section(&html, "capture"));
    let pm10 = capture
        .iter()
        .find(|r| r[0] == "B-PM" && r[2] == "pm10")
        .unwrap();
    assert_eq!(
        (pm10[3].as_str(), pm10[5].as_str(), pm10[6].as_str()),
        ("18/24", "否", "B×6")
    );
    let alarms = text(section(&html, "alarms"));
    assert!(
        alarms.contains("C 校准") && alarms.contains("02:00") && alarms.contains("20 min"),
        "{alarms}"
    );
    let checks = text(section(&html, "checks"));
    assert!(
        checks.contains("PM2.5大于PM10") && checks.contains("NO2大于NOx"),
        "{checks}"
    );

    let en = ReportConfig {
        out_dir: dir.path().join("en"),
        lang: Lang::En,
    };
    let files = health_report(&store, "Test", fixture::day(), &[], &en).unwrap();
    let html = std::fs::read_to_string(&files.html).unwrap();
    check_well_formed(&html).unwrap();
    // Without a registry each station is one device.
    let visit = table_rows(section(&html, "visit"));
    assert!(
        visit
            .iter()
            .any(|r| r[1] == "A" && r[4].contains("stuck value so2 (120)")),
        "{visit:?}"
    );
}

/// A device's bands as (state, local from, local to).
fn bands(f: &HealthFindings, device: &str) -> Vec<(DeviceState, String, String)> {
    let t = |d: DateTime<Utc>| d.with_timezone(&f.tz).format("%H:%M").to_string();
    f.devices
        .iter()
        .find(|d| d.spec.id == device)
        .unwrap()
        .states
        .iter()
        .map(|b| (b.state, t(b.from), t(b.to)))
        .collect()
}

#[test]
fn device_states_follow_the_stored_flags() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path());
    let f = health_findings(&store, fixture::day(), &devices(), &HealthRules::default()).unwrap();
    let s = |state, a: &str, b: &str| (state, a.to_string(), b.to_string());
    // Minute data: the calibration 02:00–02:20; out of range (T) and the stuck value are values.
    assert_eq!(
        bands(&f, "A-SO2"),
        [
            s(DeviceState::Online, "00:00", "02:00"),
            s(DeviceState::Calibration, "02:00", "02:20"),
            s(DeviceState::Online, "02:20", "00:00"),
        ]
    );
    // C-NOX has minute records only for its alarm: the rest of the day has no minute record.
    assert_eq!(
        bands(&f, "C-NOX"),
        [
            s(DeviceState::NoData, "00:00", "08:00"),
            s(DeviceState::Fault, "08:00", "08:45"),
            s(DeviceState::NoData, "08:45", "00:00"),
        ]
    );
    // Hourly data only: PM10's six hours without value are covered by PM2.5's values.
    assert_eq!(
        bands(&f, "B-PM"),
        [s(DeviceState::Online, "00:00", "00:00")]
    );

    let (states, capture) = health_charts(&f);
    // Stations with something to see first (A: score 30, C: 23), then B (online all day).
    let names: Vec<&str> = states.stations.iter().map(|s| s.name.en.as_str()).collect();
    assert_eq!(names, ["Alpha", "Charlie", "Bravo"]);
    let row = |station: usize, label: &str| {
        states.stations[station]
            .devices
            .iter()
            .find(|d| d.label == label)
            .unwrap()
            .bands
            .clone()
    };
    assert_eq!(
        row(0, "SO2"),
        [
            (DeviceState::Online, 0, 120),
            (DeviceState::Calibration, 120, 140),
            (DeviceState::Online, 140, 1440)
        ]
    );
    assert_eq!(
        row(1, "NOX"),
        [
            (DeviceState::NoData, 0, 480),
            (DeviceState::Fault, 480, 525),
            (DeviceState::NoData, 525, 1440)
        ]
    );
    assert_eq!(states.minutes, 1440);
    assert_eq!(states.hours.first(), Some(&(0, 0)));
    assert_eq!(states.hours.last(), Some(&(1440, 24)));
    let legend: Vec<DeviceState> = states.legend.iter().map(|l| l.0).collect();
    assert!(!legend.contains(&DeviceState::Stopped), "no F in the data");

    // Capture: the valid hours of each station and parameter, in the same station order.
    let column = |p: &str| capture.parameters.iter().position(|x| x == p).unwrap();
    let stations: Vec<&str> = capture
        .stations
        .iter()
        .map(|s| s.name.en.as_str())
        .collect();
    assert_eq!(stations, ["Alpha", "Charlie", "Bravo"]);
    assert_eq!(capture.stations[2].hours[column("PM10")], Some(18));
    assert_eq!(capture.stations[0].hours[column("SO2")], Some(24));
    assert_eq!(capture.stations[1].hours[column("NOx")], Some(24));
    assert_eq!(capture.min_hours, 20);
    // The devices' parameters (the fixture's CO and O3 belong to no device).
    assert_eq!(
        capture.parameters,
        ["PM2.5", "PM10", "SO2", "NO2", "NO", "NOx"]
    );
}

/// How many pixels of `png` below its first `skip` rows have exactly `colour`.
fn pixels_of(png: &std::path::Path, skip: usize, colour: (u8, u8, u8)) -> usize {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(png).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb, "{}", png.display());
    buf[info.line_size * skip..info.buffer_size()]
        .chunks_exact(3)
        .filter(|p| (p[0], p[1], p[2]) == colour)
        .count()
}

#[test]
fn report_draws_the_charts_inline_and_as_png() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path());
    for lang in [Lang::Zh, Lang::En] {
        let cfg = ReportConfig {
            out_dir: dir.path().join(lang.code()),
            lang,
        };
        let files =
            health_report(&store, "测试市监测网", fixture::day(), &devices(), &cfg).unwrap();
        let html = std::fs::read_to_string(&files.html).unwrap();
        check_well_formed(&html).unwrap();
        let out = dir.path().join(lang.code()).join("health-2024-03-10");
        assert_eq!(
            files.images,
            [out.join("device-states.png"), out.join("capture.png")]
        );
        assert_eq!(section(&html, "uptime").matches("<svg").count(), 1);
        assert_eq!(section(&html, "capture").matches("<svg").count(), 1);
        // The SVGs keep the report's language; the PNGs are English.
        let (alpha, calibration) = match lang {
            Lang::Zh => ("甲站", "C 校准"),
            Lang::En => ("Alpha", "C calibration"),
        };
        assert!(section(&html, "uptime").contains(alpha));
        assert!(section(&html, "uptime").contains(calibration));
        for png in &files.images {
            fixture::assert_png(png);
        }
        // Below the legend, the timeline shows the fixture's states and no others: the
        // calibration (20 min ≈ 11 px × 10 px), the alarm (45 min), no data and online.
        let rgb = |s| {
            let c = state_colour(s);
            (c.0, c.1, c.2)
        };
        let states = &files.images[0];
        let below_legend = 70;
        for (state, least) in [
            (DeviceState::Online, 10_000),
            (DeviceState::Calibration, 80),
            (DeviceState::Fault, 200),
            (DeviceState::NoData, 5_000),
        ] {
            let n = pixels_of(states, below_legend, rgb(state));
            assert!(n >= least, "{state:?}: {n} pixels");
        }
        assert_eq!(
            pixels_of(states, below_legend, rgb(DeviceState::Maintenance)),
            0
        );
        assert!(
            pixels_of(states, 0, rgb(DeviceState::Maintenance)) > 0,
            "legend"
        );
    }
}
