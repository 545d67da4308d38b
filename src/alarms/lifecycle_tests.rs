//! Every step of the lifecycle and every refusal.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};

use super::*;
use crate::store::{AlarmState, Averaging, Suppression};
use crate::units::Parameter;

fn t(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 1, 0, 0, 0).unwrap() + TimeDelta::minutes(minutes)
}

/// PM2.5 above 150 (clear below 115) at station A: `value` at `minutes`.
pub(in crate::alarms) fn raise(value: f64, minutes: i64, severity: Severity) -> Raise {
    Raise {
        rule: "pm25-1h".into(),
        subject: AlarmSubject::StationParameter("A".into(), Parameter::Pm25),
        kind: AlarmKind::Threshold,
        severity,
        measure: Measure::Value {
            parameter: Parameter::Pm25,
            averaging: Averaging::Hour,
        },
        direction: Direction::Above,
        threshold: 150.0,
        clear_level: 115.0,
        value: Observation {
            time: t(minutes),
            value,
        },
        warning: None,
        stale: false,
    }
}

fn opened() -> Alarm {
    open(&raise(160.0, 60, Severity::Major), t(61))
        .unwrap()
        .alarm
}

fn event(c: &Change) -> Option<&AlarmEvent> {
    c.action.as_ref().map(|a| &a.event)
}

#[test]
fn opening_records_the_value_and_audits_it() {
    let c = open(&raise(160.0, 60, Severity::Major), t(61)).unwrap();
    let a = &c.alarm;
    assert_eq!(
        (a.opened, a.state(), a.revision, a.actions),
        (t(60), AlarmState::Open, 1, 1)
    );
    assert_eq!(a.evidence.first, a.evidence.peak);
    assert_eq!(a.evidence.duration(), TimeDelta::zero());
    let action = c.action.as_ref().unwrap();
    assert_eq!(
        (action.seq, action.at, &action.actor),
        (1, t(61), &Actor::System)
    );
    assert!(matches!(
        action.event,
        AlarmEvent::Opened {
            severity: Severity::Major,
            stale: false,
            ..
        }
    ));
    // Sub-millisecond parts are dropped, as the stores drop them.
    let r = raise(160.0, 60, Severity::Major);
    let late = open(&r, t(61) + TimeDelta::nanoseconds(1_500_000)).unwrap();
    assert_eq!(late.alarm.updated, t(61) + TimeDelta::milliseconds(1));
}

#[test]
fn opening_refuses_what_is_not_an_alarm() {
    let e = open(&raise(149.9, 60, Severity::Major), t(61)).unwrap_err();
    assert!(matches!(e, AlarmError::Invalid { .. }), "{e}");
    assert!(e.to_string().contains("not above the threshold 150"), "{e}");
    let id = crate::store::AlarmKey {
        rule: "pm25-1h".into(),
        subject: AlarmSubject::StationParameter("A".into(), Parameter::Pm25),
        opened: t(60),
    }
    .id();
    assert!(
        e.to_string().contains(&id.to_string()),
        "names the alarm: {e}"
    );
    let e = open(&raise(f64::INFINITY, 60, Severity::Major), t(61)).unwrap_err();
    assert!(e.to_string().contains("inf"), "{e}");
    let mut bad = raise(160.0, 60, Severity::Major);
    bad.clear_level = 170.0;
    assert!(open(&bad, t(61)).is_err());
}

#[test]
fn updates_keep_the_peak_and_audit_only_what_notifications_act_on() {
    let a = opened();
    let c = update(&a, &raise(220.0, 120, Severity::Major), t(121))
        .unwrap()
        .unwrap();
    assert_eq!(c.action, None, "a new peak alone is not audited");
    assert_eq!(c.alarm.evidence.peak.value, 220.0);
    assert_eq!(c.alarm.evidence.last.time, t(120));
    assert_eq!(c.alarm.revision, 2);
    let c = update(&c.alarm, &raise(180.0, 180, Severity::Minor), t(181))
        .unwrap()
        .unwrap();
    assert_eq!(c.alarm.evidence.peak.value, 220.0, "the peak stays");
    assert_eq!(c.alarm.evidence.last.value, 180.0);
    assert_eq!(
        c.alarm.severity,
        Severity::Major,
        "never lowered while open"
    );
    assert_eq!(c.alarm.duration(), TimeDelta::hours(2));
    let c = update(&c.alarm, &raise(260.0, 240, Severity::Critical), t(241))
        .unwrap()
        .unwrap();
    assert!(matches!(
        event(&c),
        Some(AlarmEvent::Updated {
            severity: Severity::Critical,
            ..
        })
    ));
    assert_eq!((c.alarm.revision, c.alarm.actions), (4, 2));
    assert_eq!(c.action.as_ref().unwrap().seq, 2);
}

#[test]
fn live_data_after_replayed_data_freshens_the_alarm() {
    let mut r = raise(160.0, 60, Severity::Major);
    r.stale = true;
    let a = open(&r, t(500)).unwrap().alarm;
    assert!(a.stale);
    assert_eq!(
        update(&a, &r, t(501)).unwrap(),
        None,
        "the same value again"
    );
    r.value.time = t(120);
    let again = update(&a, &r, t(501)).unwrap().unwrap();
    assert!(again.alarm.stale && again.action.is_none());
    let live = update(&a, &raise(170.0, 120, Severity::Major), t(121))
        .unwrap()
        .unwrap();
    assert!(!live.alarm.stale);
    assert!(matches!(
        event(&live),
        Some(AlarmEvent::Updated { stale: false, .. })
    ));
}

#[test]
fn updates_refuse_other_rules_older_values_and_closed_alarms() {
    let a = opened();
    let mut other = raise(160.0, 120, Severity::Major);
    other.rule = "pm25-24h".into();
    assert!(matches!(
        update(&a, &other, t(121)),
        Err(AlarmError::Invalid { .. })
    ));
    let e = update(&a, &raise(170.0, 0, Severity::Major), t(121)).unwrap_err();
    assert!(e.to_string().contains("before its opening"), "{e}");
    let e = update(&a, &raise(140.0, 120, Severity::Major), t(121)).unwrap_err();
    assert!(e.to_string().contains("not above"), "{e}");
    let closed = close(&a, "done", "王工", t(70)).unwrap().alarm;
    let e = update(&closed, &raise(170.0, 120, Severity::Major), t(121)).unwrap_err();
    assert!(
        matches!(
            e,
            AlarmError::Closed {
                action: "updated",
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn clearing_closes_after_the_hysteresis_time_only() {
    let hold = TimeDelta::hours(2);
    let a = opened();
    let c = clear(&a, t(120), hold).unwrap().unwrap();
    assert_eq!(
        (c.alarm.clearing_since, c.action.is_none()),
        (Some(t(120)), true)
    );
    assert_eq!(
        clear(&c.alarm, t(180), hold).unwrap(),
        None,
        "still within the hold"
    );
    // A value in the band stops the hysteresis; a value beyond the threshold too.
    let band = interrupt_clearing(&c.alarm, t(190)).unwrap().unwrap();
    assert_eq!(band.alarm.clearing_since, None);
    assert_eq!(interrupt_clearing(&band.alarm, t(191)).unwrap(), None);
    let back = update(&c.alarm, &raise(155.0, 200, Severity::Major), t(200))
        .unwrap()
        .unwrap();
    assert_eq!(back.alarm.clearing_since, None);
    // Clear again from 240: closes at 360, not before.
    let c = clear(&back.alarm, t(240), hold).unwrap().unwrap();
    assert_eq!(clear(&c.alarm, t(359), hold).unwrap(), None);
    let done = clear(&c.alarm, t(360), hold).unwrap().unwrap();
    assert_eq!(done.alarm.state(), AlarmState::Closed);
    let closure = done.alarm.closed.as_ref().unwrap();
    assert_eq!(
        (closure.at, &closure.how),
        (t(360), &ClosedBy::Cleared { since: t(240) })
    );
    assert!(matches!(event(&done), Some(AlarmEvent::Closed { .. })));
    assert_eq!(done.alarm.duration(), TimeDelta::hours(5));
    let e = clear(&done.alarm, t(400), hold).unwrap_err();
    assert!(matches!(e, AlarmError::Closed { .. }), "{e}");
    // No hysteresis: the first clear value closes.
    let now = clear(&a, t(90), TimeDelta::zero()).unwrap().unwrap();
    assert_eq!(now.alarm.state(), AlarmState::Closed);
    // Late data labelled before the opening close it at the opening, never before.
    let late = clear(&a, t(30), TimeDelta::zero()).unwrap().unwrap();
    assert_eq!(late.alarm.closed.as_ref().unwrap().at, a.opened);
    assert_eq!(late.alarm.duration(), TimeDelta::zero());
    // An acknowledged alarm clears by itself too.
    let acked = acknowledge(&a, "王工", t(62)).unwrap().alarm;
    let c = clear(&acked, t(90), TimeDelta::zero()).unwrap().unwrap();
    assert_eq!(c.alarm.state(), AlarmState::Closed);
}

#[test]
fn acknowledging_once_by_a_person() {
    let a = opened();
    let c = acknowledge(&a, "王工", t(62)).unwrap();
    assert_eq!(c.alarm.state(), AlarmState::Acknowledged);
    let action = c.action.as_ref().unwrap();
    assert_eq!(action.actor, Actor::User("王工".into()));
    assert_eq!(action.event, AlarmEvent::Acknowledged);
    let e = acknowledge(&c.alarm, "李四", t(63)).unwrap_err();
    assert!(matches!(e, AlarmError::AlreadyAcknowledged { .. }), "{e}");
    assert!(e.to_string().contains("by 王工"), "{e}");
    assert!(e.to_string().contains(&a.id().to_string()), "{e}");
    for nobody in ["", "system", "a\nb"] {
        assert!(
            matches!(acknowledge(&a, nobody, t(62)), Err(AlarmError::BadActor(_))),
            "{nobody:?}"
        );
    }
    let closed = close(&a, "false alarm", "李四", t(63)).unwrap().alarm;
    let e = acknowledge(&closed, "王工", t(64)).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("alarm {} is closed: it cannot be acknowledged", a.id())
    );
}

#[test]
fn assigning_commenting_and_closing_by_hand() {
    let a = opened();
    let c = assign(&a, "运维一组", "王工", t(62)).unwrap();
    assert_eq!(c.alarm.assignee.as_deref(), Some("运维一组"));
    assert_eq!(
        c.alarm.state(),
        AlarmState::Open,
        "assigning is not acknowledging"
    );
    let e = assign(&c.alarm, "运维一组", "王工", t(63)).unwrap_err();
    assert!(matches!(e, AlarmError::AlreadyAssigned { .. }), "{e}");
    let c = assign(&c.alarm, "李四", "王工", t(63)).unwrap();
    let c = comment(&c.alarm, "仪器校准", "李四", t(64)).unwrap();
    assert!(matches!(event(&c), Some(AlarmEvent::Commented { text }) if text == "仪器校准"));
    assert!(matches!(
        comment(&c.alarm, "  ", "李四", t(65)),
        Err(AlarmError::EmptyText {
            what: "comment",
            ..
        })
    ));
    assert!(matches!(
        close(&c.alarm, "", "李四", t(65)),
        Err(AlarmError::EmptyText { what: "note", .. })
    ));
    let done = close(&c.alarm, "已更换滤膜", "李四", t(65)).unwrap();
    assert_eq!(
        done.alarm.closed.as_ref().unwrap().how,
        ClosedBy::Hand {
            by: "李四".into(),
            note: "已更换滤膜".into()
        }
    );
    assert_eq!((done.alarm.revision, done.alarm.actions), (5, 5));
    assert!(matches!(
        close(&done.alarm, "again", "李四", t(66)),
        Err(AlarmError::Closed { .. })
    ));
    assert!(matches!(
        assign(&done.alarm, "x", "李四", t(66)),
        Err(AlarmError::Closed { .. })
    ));
    // Comments after closing: what was found afterwards.
    let after = comment(&done.alarm, "root cause: a leak", "王工", t(90)).unwrap();
    assert_eq!(after.alarm.state(), AlarmState::Closed);
}

#[test]
fn escalation_until_someone_acknowledges() {
    let a = opened();
    let policy = EscalationPolicy::every_severity(TimeDelta::minutes(30), 3);
    let escalation_due = |a: &Alarm, now| policy.due(a, now);
    assert!(!escalation_due(&a, t(89)));
    assert!(escalation_due(&a, t(90)));
    let one = escalate(&a, t(90)).unwrap();
    assert!(matches!(
        event(&one),
        Some(AlarmEvent::Escalated { level: 1 })
    ));
    assert!(!escalation_due(&one.alarm, t(119)));
    let two = escalate(&one.alarm, t(120)).unwrap();
    assert_eq!(two.alarm.escalation.unwrap().level, 2);
    let acked = acknowledge(&two.alarm, "王工", t(121)).unwrap().alarm;
    assert!(!escalation_due(&acked, t(500)));
    assert!(matches!(
        escalate(&acked, t(500)),
        Err(AlarmError::AlreadyAcknowledged { .. })
    ));
    let closed = clear(&a, t(90), TimeDelta::zero()).unwrap().unwrap().alarm;
    assert!(!escalation_due(&closed, t(500)));
    assert!(matches!(
        escalate(&closed, t(500)),
        Err(AlarmError::Closed { .. })
    ));
    let mut r = raise(160.0, 60, Severity::Major);
    r.stale = true;
    let stale = open(&r, t(61)).unwrap().alarm;
    assert!(
        !escalation_due(&stale, t(500)),
        "replayed data pages nobody"
    );
}

#[test]
fn notifications_are_recorded_in_the_log() {
    let a = opened();
    let sent = AlarmEvent::Notified {
        channel: "dingtalk".into(),
        message: "lt1-00".into(),
    };
    let n = message_fate(&a, sent.clone(), t(61)).unwrap();
    assert_eq!(n.action.as_ref().unwrap().event, sent);
    let held = AlarmEvent::Suppressed {
        why: Suppression::Stale,
        channel: "mail".into(),
        message: "lt1-01".into(),
    };
    let s = message_fate(&n.alarm, held, t(62)).unwrap();
    assert_eq!((s.alarm.revision, s.alarm.actions), (3, 3));
    assert!(s.alarm.check().is_ok());
    assert!(matches!(
        message_fate(&s.alarm, AlarmEvent::Acknowledged, t(63)),
        Err(AlarmError::Invalid { .. })
    ));
    let closed = clear(&s.alarm, t(64), TimeDelta::zero()).unwrap().unwrap();
    let refused = AlarmEvent::Undelivered {
        channel: "hook".into(),
        message: "lt1-02".into(),
        reason: "HTTP 400".into(),
    };
    assert!(
        message_fate(&closed.alarm, refused, t(65)).is_ok(),
        "the closing is told after it"
    );
}
