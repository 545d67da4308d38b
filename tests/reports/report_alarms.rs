//! The reports' alarms, from alarms in the store: the daily report's counts by kind and
//! severity with the longest and most severe (raised by the alarm stage's default rules from
//! the fixture's hourly data with a PM2.5 episode), which alarms belong to a day, and the
//! health report's device alarms and HJ 212 loggers.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use lantian::alarms::rules::config::{AlarmRules, AlarmSettings};
use lantian::alarms::rules::scope::NetworkModel;
use lantian::alarms::rules::stage::AlarmStage;
use lantian::alarms::{AlarmBook, Raise};
use lantian::clock::Clock;
use lantian::quality::Flag;
use lantian::report::html::check_well_formed;
use lantian::report::{Lang, ReportConfig, daily_figures, daily_report, health_report};
use lantian::store::{
    AlarmKind, AlarmQuery, AlarmStore, AlarmSubject, DeviceHealth, Direction, HealthStore,
    IndexQuery, IndexStore, Lasting, Measure, Observation, ReadingQuery, ReadingStore, Resolution,
    Severity, StationStore,
};
use lantian::units::Parameter;

use crate::fixture::{self, day, label, section, table_rows, text};
use crate::report_health::devices;

/// The fixture's day with station B's PM2.5 at 200 µg/m³ in the hours ending 09:00–12:00,
/// evaluated by the alarm stage with the default rules hour by hour, as the forwarder does.
#[tokio::test(start_paused = true)]
async fn the_daily_report_counts_the_alarms_the_stage_raised() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = fixture::store(dir.path());
    let episode: Vec<_> = (9..=12)
        .map(|h| fixture::hour("B", day(), h, Parameter::Pm25, 200.0, Flag::Normal))
        .collect();
    fixture::write(&mut store, &episode);

    let clock = Clock::scaled(label(day(), 0), 1.0);
    let network = NetworkModel::from_stations(&store.stations().unwrap());
    let mut stage = AlarmStage::new(
        AlarmSettings::default(),
        &AlarmRules::default(),
        network,
        clock,
    )
    .unwrap();
    for h in 1..=24 {
        tokio::time::advance(std::time::Duration::from_secs(3600)).await;
        let t = label(day(), h);
        let end = t + TimeDelta::seconds(1);
        let records = store
            .readings(&ReadingQuery::new(Resolution::Hour, t, end))
            .unwrap();
        let aqi = store
            .indices(&IndexQuery::new(Resolution::Hour, t, end))
            .unwrap();
        stage.written(&mut store, &records, &aqi);
    }
    let stored = store
        .alarms(&AlarmQuery::new(
            DateTime::<Utc>::MIN_UTC,
            DateTime::<Utc>::MAX_UTC,
        ))
        .unwrap();
    let high = stored
        .iter()
        .find(|a| a.rule == "pm25-1h-high")
        .unwrap_or_else(|| panic!("no pm25-1h-high alarm: {stored:#?}"));
    assert_eq!(
        high.subject,
        AlarmSubject::StationParameter("B".into(), Parameter::Pm25)
    );
    assert_eq!(high.evidence.peak.value, 200.0);

    let f = daily_figures(&store, day()).unwrap().alarms;
    assert_eq!(f.alarms.len(), stored.len(), "every alarm is of the day");
    assert_eq!(f.opened, stored.len());
    // Counts by kind and severity: what the store holds, grouped.
    let mut expected: BTreeMap<AlarmKind, [usize; 4]> = BTreeMap::new();
    for a in &stored {
        let i = Severity::ALL.iter().position(|s| *s == a.severity).unwrap();
        expected.entry(a.kind).or_default()[i] += 1;
    }
    assert_eq!(f.counts, expected.into_iter().collect::<Vec<_>>());
    // The heavy-pollution AQI alarm (major) is the most severe; the longest is first.
    let worst = stored.iter().map(|a| a.severity).max().unwrap();
    assert_eq!(worst, Severity::Major, "{stored:#?}");
    assert_eq!(f.most_severe[0].severity, Severity::Major);
    assert_eq!(f.most_severe[0].rule, "aqi-heavy");
    let longest = stored.iter().map(|a| a.duration()).max().unwrap();
    assert_eq!(f.longest[0].duration(), longest);

    for (lang, words) in [
        (
            Lang::Zh,
            [
                format!("当日共有{}条告警处于活动状态", stored.len()),
                "乙站 PM2.5".to_string(),
                "较重".to_string(),
            ],
        ),
        (
            Lang::En,
            [
                format!("{} alarms were active on this day", stored.len()),
                "Bravo".to_string(),
                "major".to_string(),
            ],
        ),
    ] {
        let cfg = ReportConfig {
            out_dir: dir.path().join(lang.code()),
            lang,
        };
        let files = daily_report(&store, "测试市监测网", day(), &cfg).unwrap();
        let html = std::fs::read_to_string(&files.html).unwrap();
        check_well_formed(&html).unwrap();
        let alarms = text(section(&html, "alarms"));
        for w in &words {
            assert!(alarms.contains(w.as_str()), "{lang:?} {w}: {alarms}");
        }
        // The counts table: one row per kind and the totals.
        let rows = table_rows(section(&html, "alarms"));
        let total = rows.last().unwrap();
        assert_eq!(total.last().unwrap(), &stored.len().to_string(), "{rows:?}");
        // Times are local: the PM2.5 alarm opened with the hour ending 09:00.
        assert!(alarms.contains("09:00"), "{alarms}");
    }
}

fn raise(rule: &str, subject: AlarmSubject, kind: AlarmKind, measure: Measure) -> Raise {
    Raise {
        rule: rule.into(),
        subject,
        kind,
        severity: Severity::Minor,
        measure,
        direction: Direction::Above,
        threshold: 5.0,
        clear_level: 5.0,
        value: Observation {
            time: label(day(), 1),
            value: 6.0,
        },
        warning: None,
        stale: false,
    }
}

/// Raises `r` at `from` (local hour label of the fixture's day, negative: the day before) and
/// closes it at `to` (`None`: left open).
fn episode(store: &mut impl AlarmStore, mut r: Raise, from: i64, to: Option<i64>) {
    let mut book = AlarmBook::new(store);
    r.value.time = label(day(), from);
    book.raise(&r, r.value.time).unwrap();
    if let Some(to) = to {
        let at = label(day(), to);
        book.clear(&r.rule, &r.subject, at, TimeDelta::zero())
            .unwrap()
            .expect("closed");
    }
}

#[test]
fn alarms_belong_to_the_days_they_were_active_and_device_alarms_reach_the_health_report() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = fixture::store(dir.path());
    let device = |d: &str| AlarmSubject::Device {
        station: "B".into(),
        device: d.into(),
    };
    let offline = Measure::Lasting {
        what: Lasting::Offline,
    };
    // Offline from the evening before until 02:00: active on the day.
    let overnight = raise("offline", device("B-PM"), AlarmKind::DeviceState, offline);
    episode(&mut store, overnight, -2, Some(2));
    // Closed before the day began: not of the day.
    let before = raise("offline", device("B-SO2"), AlarmKind::DeviceState, offline);
    episode(&mut store, before, -10, Some(-5));
    // Opened 40 days before and still open: of the day (beyond the look-back of closed ones).
    let mut old = raise(
        "no-data",
        AlarmSubject::StationParameter("C".into(), Parameter::So2),
        AlarmKind::NoData,
        Measure::Lasting {
            what: Lasting::NoData,
        },
    );
    old.severity = Severity::Major;
    episode(&mut store, old, -40 * 24, None);
    // Opened the next day: not of the day.
    let next = raise("offline", device("B-MET"), AlarmKind::DeviceState, offline);
    episode(&mut store, next, 30, None);
    // A threshold alarm of the day: in the daily report, not in the health report.
    let pm = raise(
        "pm25-1h-high",
        AlarmSubject::StationParameter("B".into(), Parameter::Pm25),
        AlarmKind::Threshold,
        Measure::Value {
            parameter: Parameter::Pm25,
            averaging: lantian::store::Averaging::Hour,
        },
    );
    episode(&mut store, pm, 9, Some(12));

    let f = daily_figures(&store, day()).unwrap().alarms;
    let rules: Vec<(&str, String)> = f
        .alarms
        .iter()
        .map(|a| (a.rule.as_str(), a.subject.to_string()))
        .collect();
    assert_eq!(
        rules,
        [
            ("no-data", "station/C/so2".to_string()),
            ("offline", "device/B/B-PM".to_string()),
            ("pm25-1h-high", "station/B/pm25".to_string()),
        ]
    );
    assert_eq!((f.opened, f.open), (1, 1));
    assert_eq!(f.most_severe[0].rule, "no-data");
    // An alarm not closed lasts to its latest value: the open no-data alarm (never updated)
    // is shorter than the night's 4 hours offline.
    assert_eq!(f.longest[0].rule, "offline");

    // An HJ 212 logger's health: its peer and rejected packets.
    let mut logger = DeviceHealth::new("B-M1-logger", "B");
    logger.online = true;
    logger.polls = 2900;
    logger.successes = 2880;
    logger.skipped = 3;
    logger.last_success = Some(label(day(), 24));
    logger.peer = Some("127.0.0.1:40001".into());
    logger.rejected = [("bad-crc".to_string(), 20)].into();
    store.put_health(&[logger]).unwrap();
    let mut specs = devices();
    specs.push(lantian::report::DeviceSpec {
        id: "B-M1-logger".into(),
        station: "B".into(),
        parameters: vec![Parameter::Pm25],
        hj212: true,
    });
    let cfg = ReportConfig {
        out_dir: dir.path().join("out"),
        lang: Lang::Zh,
    };
    let files = health_report(&store, "测试市监测网", day(), &specs, &cfg).unwrap();
    let html = std::fs::read_to_string(&files.html).unwrap();
    check_well_formed(&html).unwrap();
    let rows = table_rows(section(&html, "device-alarms"));
    let listed: Vec<(&str, &str, &str, &str)> = rows
        .iter()
        .map(|r| (r[2].as_str(), r[3].as_str(), r[4].as_str(), r[5].as_str()))
        .collect();
    assert_eq!(
        listed,
        [
            ("丙站（C） SO2", "no-data", "01-30 00:00", "未确认"),
            ("乙站（B） 设备 B-PM", "offline", "03-09 22:00", "02:00"),
        ]
    );
    let loggers = table_rows(section(&html, "loggers"));
    assert_eq!(loggers.len(), 1, "{loggers:?}");
    let row = &loggers[0];
    assert_eq!(row[0], "B-M1-logger");
    assert_eq!(row[3], "03-11 00:00");
    assert_eq!(row[4], "2900/2880");
    assert_eq!(row[5], "3");
    assert_eq!(row[6], "bad-crc 20");
    assert_eq!(row[7], "127.0.0.1:40001");
}
