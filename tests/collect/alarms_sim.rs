//! Simulator ground truth of the alarm rules: the real pipeline (simulator, Modbus over
//! loopback, collectors, spool, forwarder with the alarm stage) on a scaled clock.
//!
//! - Every injected fault (offline, a fault bit, a calibration longer than allowed, a stuck
//!   analyser) and a plume above a threshold raise their alarm within one evaluation interval
//!   (2 min here: not the default) of becoming detectable, and clear within one interval of
//!   their end plus the hysteresis; nothing else is raised.
//! - A fault-free day under the default rules raises no alarm (the control run).
//!
//! Latency allowances beyond the interval: the sink's 250 ms of real time before a batch is
//! spooled, at the clock's speed.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use lantian::alarms::rules::config::{AlarmRules, AlarmSettings};
use lantian::collect::CollectorConfig;
use lantian::config::Config;
use lantian::sim::server::Bind;
use lantian::store::{Alarm, AlarmQuery, AlarmSubject, Store};
use lantian::units::Parameter;

use crate::common::harness::{Run, root};

fn start() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-02T00:00:00+08:00")
        .unwrap()
        .to_utc()
}

fn collector() -> CollectorConfig {
    CollectorConfig {
        timeout: Duration::from_millis(150),
        retries: 1,
        backoff_initial: Duration::from_millis(5),
        backoff_max: Duration::from_millis(100),
        ..CollectorConfig::default()
    }
}

/// The ground truth's rules, read as a configuration file would be.
fn rules() -> (AlarmSettings, AlarmRules) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lantian.toml");
    std::fs::write(
        &path,
        r#"
[alarms]
interval = "2m"

[[alarm]]
id = "offline"
kind = "offline"
polls = 3

[[alarm]]
id = "device-fault"
kind = "device-fault"

[[alarm]]
id = "calibration-long"
kind = "calibration"
duration = "15m"

[[alarm]]
id = "stuck"
kind = "stuck"
parameters = ["so2"]
duration = "30m"

[[alarm]]
id = "no-data"
kind = "no-data"
duration = "10m"

[[alarm]]
id = "pm25-1h-high"
kind = "threshold"
parameter = "pm25"
above = 120.0
clear_below = 100.0
clear_after = "1h"
"#,
    )
    .unwrap();
    let config = Config::load(&path).expect("the rules load");
    (config.alarm_settings, config.alarms)
}

fn all_alarms(store: &dyn Store) -> Vec<Alarm> {
    store
        .alarms(&AlarmQuery::new(
            DateTime::<Utc>::MIN_UTC,
            DateTime::<Utc>::MAX_UTC,
        ))
        .unwrap()
}

fn device(station: &str, id: &str) -> AlarmSubject {
    AlarmSubject::Device {
        station: station.into(),
        device: id.to_string(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_and_a_plume_raise_their_alarms_and_clear() {
    let fixture = root().join("tests/fixtures/two-stations");
    let t0 = start();
    let speed = 200.0;
    let run = Run::start_with(
        &fixture.join("network.toml"),
        &fixture.join("alarms.toml"),
        t0,
        speed,
        collector(),
        Bind::Loopback(Default::default()),
        Some(rules()),
    )
    .await;
    let done = run.finish(t0 + TimeDelta::minutes(245)).await;
    let alarms = all_alarms(done.store.as_ref());
    let m = |min: i64| t0 + TimeDelta::minutes(min);
    let interval = TimeDelta::minutes(2);
    // The sink holds a batch up to 250 ms of real time; the minute is closed by the next poll.
    let slack = TimeDelta::milliseconds((250.0 * speed) as i64) + TimeDelta::seconds(10);
    let find = |rule: &str, subject: &AlarmSubject| {
        let found: Vec<&Alarm> = alarms
            .iter()
            .filter(|a| a.rule == rule && &a.subject == subject)
            .collect();
        assert_eq!(found.len(), 1, "one {rule} alarm of {subject}: {alarms:#?}");
        found[0].clone()
    };
    // (rule, subject, detectable from, ended at, hysteresis)
    let zero = TimeDelta::zero();
    let a_nox = |p| AlarmSubject::StationParameter("T-A".into(), p);
    let expected = [
        (
            "offline",
            device("T-A", "T-A-NOX"),
            m(20) + TimeDelta::seconds(30),
            m(50),
            zero,
        ),
        ("device-fault", device("T-B", "T-B-CO"), m(20), m(50), zero),
        (
            "calibration-long",
            device("T-B", "T-B-NOX"),
            m(35),
            m(60),
            zero,
        ),
        ("stuck", a_nox(Parameter::So2), m(50), m(80), zero),
        ("no-data", a_nox(Parameter::No2), m(30), m(50), zero),
        ("no-data", a_nox(Parameter::No), m(30), m(50), zero),
        ("no-data", a_nox(Parameter::Nox), m(30), m(50), zero),
        (
            "pm25-1h-high",
            AlarmSubject::StationParameter("T-A".into(), Parameter::Pm25),
            m(120),
            m(180),
            TimeDelta::hours(1),
        ),
        (
            "pm25-1h-high",
            AlarmSubject::StationParameter("T-B".into(), Parameter::Pm25),
            m(120),
            m(180),
            TimeDelta::hours(1),
        ),
    ];
    for (rule, subject, from, end, hold) in &expected {
        let a = find(rule, subject);
        // Raised: its data time, and when it was recorded (the opening action).
        let actions = done.store.alarm_actions(&[a.key()]).unwrap();
        let opened_at = actions[0].at;
        assert!(
            a.opened >= *from - slack && opened_at <= *from + interval + slack,
            "{rule} {subject}: detectable at {from}, opened at {} (recorded {opened_at})",
            a.opened
        );
        assert!(!a.stale, "{rule} {subject}: live data");
        let closed = a
            .closed
            .as_ref()
            .unwrap_or_else(|| panic!("{rule} {subject} cleared"));
        assert!(
            closed.at >= *end + *hold - slack && closed.at <= *end + *hold + interval + slack,
            "{rule} {subject}: ended at {end} (+{hold}), closed at {}",
            closed.at
        );
    }
    let unexpected: Vec<String> = alarms
        .iter()
        .filter(|a| !expected.iter().any(|e| e.0 == a.rule && e.1 == a.subject))
        .map(|a| format!("{} {} at {}", a.rule, a.subject, a.opened))
        .collect();
    assert!(
        unexpected.is_empty(),
        "alarms without a cause: {unexpected:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fault_free_day_raises_no_alarm() {
    let fixture = root().join("tests/fixtures/two-stations");
    let t0 = start();
    let run = Run::start_with(
        &fixture.join("network.toml"),
        &fixture.join("control.toml"),
        t0,
        600.0,
        collector(),
        Bind::Loopback(Default::default()),
        Some((AlarmSettings::default(), AlarmRules::default())),
    )
    .await;
    let done = run
        .finish(t0 + TimeDelta::hours(24) + TimeDelta::minutes(2))
        .await;
    let alarms: Vec<String> = all_alarms(done.store.as_ref())
        .iter()
        .map(|a| {
            format!(
                "{} {} at {} ({:?})",
                a.rule, a.subject, a.opened, a.evidence.first
            )
        })
        .collect();
    assert!(alarms.is_empty(), "the control run raised {alarms:#?}");
    let hours = done.series("T-A", Parameter::Pm25, lantian::store::Resolution::Hour);
    assert!(
        hours.len() >= 23,
        "a day of data was evaluated: {} hours",
        hours.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_replayed_after_an_outage_raise_stale_alarms_only() {
    let fixture = root().join("tests/fixtures/two-stations");
    let t0 = start();
    let run = Run::start_with(
        &fixture.join("network.toml"),
        &fixture.join("alarms.toml"),
        t0,
        200.0,
        collector(),
        Bind::Loopback(Default::default()),
        Some(rules()),
    )
    .await;
    // The store is away through the whole plume (+1 h to +3 h): its hours wait in the spool
    // and reach the alarm stage half an hour late, when the store is back.
    run.clock.sleep_until(t0 + TimeDelta::minutes(110)).await;
    run.store_down(true);
    run.clock.sleep_until(t0 + TimeDelta::minutes(210)).await;
    run.store_down(false);
    let done = run.finish(t0 + TimeDelta::minutes(245)).await;
    let alarms = all_alarms(done.store.as_ref());
    let plume: Vec<&Alarm> = alarms.iter().filter(|a| a.rule == "pm25-1h-high").collect();
    assert_eq!(plume.len(), 2, "one per station: {alarms:#?}");
    for a in plume {
        assert!(
            a.stale,
            "{}: raised from replayed data only: {a:#?}",
            a.subject
        );
        assert_eq!(a.opened, t0 + TimeDelta::hours(2), "at its data's time");
        let actions = done.store.alarm_actions(&[a.key()]).unwrap();
        let opened = &actions[0].event;
        assert!(
            matches!(
                opened,
                lantian::store::AlarmEvent::Opened { stale: true, .. }
            ),
            "{opened:?}"
        );
        assert!(
            actions[0].at >= t0 + TimeDelta::minutes(210),
            "evaluated on replay"
        );
        assert!(
            actions.iter().all(|x| !matches!(
                x.event,
                lantian::store::AlarmEvent::Updated { stale: false, .. }
            )),
            "never freshened: no live value beyond the threshold came"
        );
    }
}
