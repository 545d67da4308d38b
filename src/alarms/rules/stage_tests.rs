//! The stage over a real SQLite store with hand-made data: one alarm for a value oscillating
//! around its threshold, the hysteresis, stale replays, the timer rules at their interval,
//! the state rebuilt after a restart.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeDelta, Utc};

use super::config::{AlarmRules, AlarmSettings, Check, Location, Measured, Rule, Scope, Threshold};
use super::scope::{DeviceModel, NetworkModel, StationModel};
use super::stage::AlarmStage;
use super::system::SpoolFacts;
use crate::alarms::{AlarmBook, Change, EscalationPolicy};
use crate::clock::Clock;
use crate::quality::Flag;
use crate::registry::StatusMeaning;
use crate::store::sqlite::SqliteStore;
use crate::store::{
    Alarm, AlarmEvent, AlarmQuery, AlarmStore, DeviceHealth, HealthStore, Record, Resolution,
    Severity,
};
use crate::units::Parameter;

fn origin() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-01-10T00:00:00Z")
        .unwrap()
        .to_utc()
}

fn network() -> NetworkModel {
    NetworkModel {
        stations: vec![StationModel {
            id: "S1".into(),
            district: "东城".into(),
            class: None,
            position: Some((23.0, 113.7)),
            devices: vec![DeviceModel {
                id: "S1-PM".into(),
                parameters: vec![(Parameter::Pm25, Some((0.0, 1000.0)))],
                status: vec![("zero".into(), StatusMeaning::Calibration)],
            }],
        }],
    }
}

fn rule(id: &str, clear_after: TimeDelta, check: Check) -> Rule {
    Rule {
        id: id.into(),
        severity: Severity::Minor,
        scope: Scope::default(),
        clear_after,
        check,
        at: Location::default(),
    }
}

fn pm25_rule() -> Rule {
    let t = Threshold {
        measured: Measured::Parameter(Parameter::Pm25),
        window_hours: 1,
        above: 150.0,
        clear_below: 135.0,
        category: None,
    };
    rule("pm25-high", TimeDelta::hours(2), Check::Threshold(t))
}

fn hour(h: i64, value: f64) -> Record {
    Record {
        station: "S1".into(),
        parameter: Parameter::Pm25,
        resolution: Resolution::Hour,
        time: origin() + TimeDelta::hours(h),
        value,
        flag: Flag::Normal,
        count: 60,
    }
}

fn all_alarms(store: &SqliteStore) -> Vec<Alarm> {
    store
        .alarms(&AlarmQuery::new(
            DateTime::<Utc>::MIN_UTC,
            DateTime::<Utc>::MAX_UTC,
        ))
        .unwrap()
}

struct Setup {
    store: SqliteStore,
    stage: AlarmStage,
    seen: Arc<Mutex<Vec<Change>>>,
    _dir: tempfile::TempDir,
}

fn setup(rules: Vec<Rule>, settings: AlarmSettings, clock: Clock) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("a.db")).unwrap();
    let rules = AlarmRules {
        file: "lantian.toml".into(),
        rules,
        configured: true,
    };
    let seen = Arc::new(Mutex::new(Vec::new()));
    let hook = seen.clone();
    let stage = AlarmStage::new(settings, &rules, network(), clock)
        .unwrap()
        .with_hook(move |c: &[Change]| hook.lock().unwrap().extend_from_slice(c));
    Setup {
        store,
        stage,
        seen,
        _dir: dir,
    }
}

#[tokio::test(start_paused = true)]
async fn an_oscillating_value_gives_one_alarm_cleared_after_the_hysteresis() {
    let clock = Clock::scaled(origin(), 1.0);
    let mut s = setup(vec![pm25_rule()], AlarmSettings::default(), clock.clone());
    // Around the raise level: above, between, above, between, above; then clear for 2 hours.
    let values = [
        100.0, 155.0, 148.0, 152.0, 140.0, 151.0, 130.0, 120.0, 110.0, 100.0,
    ];
    for (h, v) in values.iter().enumerate() {
        tokio::time::advance(std::time::Duration::from_secs(3600)).await;
        let h = h as i64 + 1;
        s.stage.written(&mut s.store, &[hour(h, *v)], &[]);
    }
    let alarms = all_alarms(&s.store);
    assert_eq!(alarms.len(), 1, "{alarms:#?}");
    let a = &alarms[0];
    assert_eq!(a.opened, origin() + TimeDelta::hours(2));
    assert_eq!(a.evidence.peak.value, 155.0);
    assert_eq!(a.evidence.last.value, 151.0);
    assert!(!a.stale);
    // Clear from the start of hour 7 (labelled 7, began at 6); 2 hours later: hour 8.
    let closed = a.closed.as_ref().expect("closed after the hysteresis");
    assert_eq!(closed.at, origin() + TimeDelta::hours(8));
    let kinds: Vec<&str> = s
        .seen
        .lock()
        .unwrap()
        .iter()
        .map(|c| c.action.as_ref().unwrap().event.code())
        .collect();
    assert_eq!(kinds, ["opened", "closed"]);
}

#[tokio::test(start_paused = true)]
async fn replayed_data_raise_stale_alarms_that_live_data_freshen() {
    // The clock reads 6 hours after the data: a backlog replayed after an outage.
    let clock = Clock::scaled(origin() + TimeDelta::hours(6), 1.0);
    let mut s = setup(vec![pm25_rule()], AlarmSettings::default(), clock);
    let changes = s
        .stage
        .written(&mut s.store, &[hour(1, 160.0), hour(2, 170.0)], &[]);
    assert_eq!(changes.len(), 1);
    assert!(changes[0].alarm.stale, "recorded, not to be notified");
    // The live hour (labelled at the clock's time) makes it fresh: an audited update.
    let changes = s.stage.written(&mut s.store, &[hour(6, 165.0)], &[]);
    assert_eq!(changes.len(), 1);
    assert!(!changes[0].alarm.stale);
    assert_eq!(changes[0].action.as_ref().unwrap().event.code(), "updated");
}

#[tokio::test(start_paused = true)]
async fn replaying_the_same_data_again_opens_nothing_new() {
    let clock = Clock::scaled(origin() + TimeDelta::hours(1), 1.0);
    let mut s = setup(vec![pm25_rule()], AlarmSettings::default(), clock.clone());
    let batch = [
        hour(1, 160.0),
        hour(2, 120.0),
        hour(3, 110.0),
        hour(4, 100.0),
    ];
    s.stage.written(&mut s.store, &batch, &[]);
    assert_eq!(all_alarms(&s.store).len(), 1);
    // A restart (new stage on the same store) replays the spool again.
    let rules = AlarmRules {
        file: "lantian.toml".into(),
        rules: vec![pm25_rule()],
        configured: true,
    };
    let mut again = AlarmStage::new(AlarmSettings::default(), &rules, network(), clock).unwrap();
    let changes = again.written(&mut s.store, &batch, &[]);
    assert!(changes.is_empty(), "{changes:#?}");
    assert_eq!(all_alarms(&s.store).len(), 1);
}

#[tokio::test(start_paused = true)]
async fn timer_rules_run_at_a_non_default_interval() {
    let clock = Clock::scaled(origin(), 1.0);
    let settings = AlarmSettings {
        interval: TimeDelta::minutes(5),
        ..AlarmSettings::default()
    };
    let rules = vec![
        rule(
            "calibration-long",
            TimeDelta::zero(),
            Check::Calibration {
                duration: TimeDelta::minutes(30),
            },
        ),
        rule(
            "no-data",
            TimeDelta::zero(),
            Check::NoData {
                parameters: vec![],
                duration: TimeDelta::minutes(15),
            },
        ),
    ];
    let mut s = setup(rules, settings, clock.clone());
    assert_eq!(s.stage.next_tick(), origin() + TimeDelta::minutes(5));
    let mut health = DeviceHealth::new("S1-PM", "S1");
    health.online = true;
    health.status = vec!["zero".into()];
    s.store.put_health(&[health]).unwrap();
    let mut raised = Vec::new();
    let mut minute = 0;
    while minute < 60 {
        let until = s.stage.until_next_tick();
        tokio::time::advance(until).await;
        minute = (clock.now() - origin()).num_minutes();
        // Minute data keep coming for the first 20 minutes.
        if minute <= 20 {
            let r = Record {
                resolution: Resolution::Minute,
                ..hour(0, 30.0)
            };
            let r = Record {
                time: origin() + TimeDelta::minutes(minute),
                ..r
            };
            // PM10 too, which no device of the model measures (as an HJ 212 logger's code
            // map names more than it sends): watched for no data once it has reported.
            let pm10 = Record {
                parameter: Parameter::Pm10,
                ..r.clone()
            };
            s.stage.written(&mut s.store, &[r, pm10], &[]);
        }
        for c in s.stage.tick(&mut s.store, SpoolFacts::default()) {
            raised.push((minute, c.alarm.rule.clone(), c.action.unwrap().event.code()));
        }
        assert_eq!(
            s.stage.next_tick(),
            origin() + TimeDelta::minutes(minute + 5),
            "ticks every 5 min"
        );
    }
    // Calibration seen from minute 5; over 30 min at 35. Data stop after 20; 15 min later: 35.
    assert!(
        raised.contains(&(35, "calibration-long".into(), "opened")),
        "{raised:?}"
    );
    assert!(
        raised.contains(&(35, "no-data".into(), "opened")),
        "{raised:?}"
    );
    assert_eq!(
        raised.iter().filter(|r| r.2 == "opened").count(),
        3,
        "calibration, no PM2.5, no PM10: {raised:?}"
    );
}

/// Opens a PM2.5 alarm from live data an hour into `clock`'s time line, then ticks every
/// minute for `minutes`, acknowledging the alarm at minute `ack` if given; the escalations
/// the hook heard of, as (minutes after the opening, level).
async fn escalations(minutes: i64, ack: Option<i64>) -> Vec<(i64, u32)> {
    let clock = Clock::scaled(origin(), 1.0);
    let settings = AlarmSettings {
        escalation: EscalationPolicy::every_severity(TimeDelta::minutes(30), 2),
        ..AlarmSettings::default()
    };
    let mut s = setup(vec![pm25_rule()], settings, clock.clone());
    tokio::time::advance(std::time::Duration::from_secs(3600)).await;
    s.stage.written(&mut s.store, &[hour(1, 160.0)], &[]);
    let opened = all_alarms(&s.store)[0].clone();
    assert!(!opened.stale);
    for minute in 1..=minutes {
        tokio::time::advance(std::time::Duration::from_secs(60)).await;
        if Some(minute) == ack {
            let id = opened.id().to_string().parse().unwrap();
            AlarmBook::new(&mut s.store)
                .acknowledge(&id, "王工", clock.now())
                .unwrap();
        }
        s.stage.tick(&mut s.store, SpoolFacts::default());
    }
    let seen = s.seen.lock().unwrap();
    seen.iter()
        .filter_map(|c| match c.action.as_ref()?.event {
            AlarmEvent::Escalated { level } => {
                Some(((c.action.as_ref()?.at - opened.opened).num_minutes(), level))
            }
            _ => None,
        })
        .collect()
}

#[tokio::test(start_paused = true)]
async fn the_timer_escalates_what_nobody_acknowledges_once_per_level() {
    assert_eq!(escalations(120, None).await, [(30, 1), (60, 2)]);
}

#[tokio::test(start_paused = true)]
async fn an_acknowledged_alarm_is_not_escalated() {
    assert_eq!(escalations(120, Some(20)).await, []);
    assert_eq!(
        escalations(120, Some(45)).await,
        [(30, 1)],
        "no further level"
    );
}
