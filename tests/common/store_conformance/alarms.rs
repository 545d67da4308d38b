//! Alarms ([`AlarmStore`](lantian::store::AlarmStore)), writing: alarms and every kind of
//! action round-trip; a write must follow the stored revision (conflicts otherwise, an exact
//! repeat changes nothing); at most one open alarm per rule and subject; lookups by id and the
//! open alarm; unstorable alarms refused whole. Reads are in [`super::alarm_reads`].

use chrono::TimeDelta;
use lantian::store::{
    Actor, Alarm, AlarmAction, AlarmEvent, AlarmEvidence, AlarmIdPrefix, AlarmKind, AlarmQuery,
    AlarmState, AlarmSubject, Averaging, ClosedBy, Closure, Direction, ErrorKind, Escalation,
    Handled, Measure, Observation, Severity, Suppression, WarningLevel,
};
use lantian::units::Parameter;

use super::{Check, TestStore, at};

/// Every check, by name.
pub(crate) const CHECKS: &[(&str, Check)] = &[
    ("alarms_round_trip", alarms_round_trip),
    ("alarms_follow_their_revision", alarms_follow_their_revision),
    (
        "one_open_alarm_per_rule_and_subject",
        one_open_alarm_per_rule_and_subject,
    ),
    (
        "alarms_unstorable_are_rejected",
        alarms_unstorable_are_rejected,
    ),
];

/// A PM2.5 alarm of `rule` at `station`, opened `minutes` after [`at`]`(0)`, just opened
/// (revision 1, its opening action), with awkward text and values that need every digit.
pub(crate) fn alarm(rule: &str, station: &str, minutes: i64) -> (Alarm, AlarmAction) {
    let first = Observation {
        time: at(minutes),
        value: 151.123_456_789_012_3,
    };
    let alarm = Alarm {
        rule: rule.to_string(),
        subject: AlarmSubject::StationParameter(station.into(), Parameter::Pm25),
        opened: first.time,
        kind: AlarmKind::Threshold,
        severity: Severity::Major,
        evidence: AlarmEvidence {
            measure: Measure::Value {
                parameter: Parameter::Pm25,
                averaging: Averaging::Hour,
            },
            direction: Direction::Above,
            threshold: 150.0,
            clear_level: 115.5,
            first,
            last: first,
            peak: first,
            warning: None,
        },
        stale: false,
        acknowledged: None,
        assignee: None,
        escalation: None,
        clearing_since: None,
        closed: None,
        updated: first.time + TimeDelta::milliseconds(1_234),
        revision: 1,
        actions: 1,
    };
    let action = AlarmAction {
        alarm: alarm.key(),
        seq: 1,
        at: alarm.updated,
        actor: Actor::System,
        event: AlarmEvent::Opened {
            severity: Severity::Major,
            value: first,
            stale: false,
        },
    };
    (alarm, action)
}

/// `a`'s next revision with `event` of `actor` (or no action), changed by `edit`.
pub(crate) fn next(
    a: &Alarm,
    audit: Option<(Actor, AlarmEvent)>,
    edit: impl FnOnce(&mut Alarm),
) -> (Alarm, Vec<AlarmAction>) {
    let mut b = a.clone();
    edit(&mut b);
    b.revision += 1;
    b.updated += TimeDelta::minutes(1);
    let actions = audit
        .map(|(actor, event)| {
            b.actions += 1;
            AlarmAction {
                alarm: b.key(),
                seq: b.actions,
                at: b.updated,
                actor,
                event,
            }
        })
        .into_iter()
        .collect();
    (b, actions)
}

/// Every alarm of the checks' times.
pub(crate) fn everything() -> AlarmQuery {
    AlarmQuery::new(at(-100_000), at(100_000))
}

fn is_conflict(e: &lantian::store::StoreError) -> bool {
    e.kind() == ErrorKind::Conflict
}

/// An alarm with every part (acknowledged, assigned, escalated, clearing, closed by hand; a
/// heavy-pollution warning of the network) and one action of every kind come back exactly
/// as put, from this handle and another; found by id (8 and 16 digits) and as the open alarm.
pub(crate) fn alarms_round_trip(mut t: TestStore) {
    assert!(t.store.alarms(&everything()).unwrap().is_empty());
    let (a, opened) = alarm("pm25-1h 超标", "DG-GC 莞城", 60);
    t.store
        .put_alarms(std::slice::from_ref(&a), std::slice::from_ref(&opened))
        .unwrap();
    let user = |n: &str| Actor::User(n.to_string());
    let events = [
        (user("王工"), AlarmEvent::Acknowledged),
        (
            user("王工"),
            AlarmEvent::Assigned {
                to: "运维一组 \"A\" \\ team".into(),
            },
        ),
        (
            user("李四"),
            AlarmEvent::Commented {
                text: "仪器校准中 — \"quotes\" \\ {x=1},\n第二行".into(),
            },
        ),
        (Actor::System, AlarmEvent::Escalated { level: 2 }),
        (
            Actor::System,
            AlarmEvent::Suppressed {
                why: Suppression::Silence {
                    name: "夜间".into(),
                },
                channel: "dingtalk-值班".into(),
                message: "lt1-0123456789abcdef0123456789abcdef".into(),
            },
        ),
        (
            Actor::System,
            AlarmEvent::Suppressed {
                why: Suppression::Stale,
                channel: "mail".into(),
                message: "lt1-1".into(),
            },
        ),
        (
            Actor::System,
            AlarmEvent::Notified {
                channel: "dingtalk-值班".into(),
                message: "lt1-2".into(),
            },
        ),
        (
            Actor::System,
            AlarmEvent::Undelivered {
                channel: "hook".into(),
                message: "lt1-3".into(),
                reason: "HTTP 400 \"bad\"".into(),
            },
        ),
        (
            Actor::System,
            AlarmEvent::Updated {
                severity: Severity::Critical,
                peak: Observation {
                    time: at(120),
                    value: 301.25,
                },
                stale: false,
            },
        ),
    ];
    let mut current = a.clone();
    let mut log = vec![opened];
    for (actor, event) in events {
        let (b, actions) = next(&current, Some((actor, event)), |_| {});
        t.store
            .put_alarms(std::slice::from_ref(&b), &actions)
            .unwrap();
        log.extend(actions);
        current = b;
    }
    let (closed, actions) = next(
        &current,
        Some((
            user("王工"),
            AlarmEvent::Closed {
                how: ClosedBy::Hand {
                    by: "王工".into(),
                    note: "已处理".into(),
                },
            },
        )),
        |b| {
            b.severity = Severity::Critical;
            b.evidence.last = Observation {
                time: at(180),
                value: 160.5,
            };
            b.evidence.peak = Observation {
                time: at(120),
                value: 301.25,
            };
            b.acknowledged = Some(Handled {
                by: "王工".into(),
                at: at(65),
            });
            b.assignee = Some("运维一组 \"A\" \\ team".into());
            b.escalation = Some(Escalation {
                level: 2,
                at: at(70),
            });
            b.clearing_since = Some(at(190));
            b.closed = Some(Closure {
                at: at(200),
                how: ClosedBy::Hand {
                    by: "王工".into(),
                    note: "已处理".into(),
                },
            });
        },
    );
    assert_eq!(
        t.store
            .put_alarms(std::slice::from_ref(&closed), &actions)
            .unwrap(),
        1
    );
    log.extend(actions);
    assert_eq!(closed.state(), AlarmState::Closed);

    // A heavy-pollution warning of the whole network, stale, cleared automatically.
    let (mut warning, w_open) = alarm("heavy-pollution", "X", 300);
    warning.subject = AlarmSubject::Network;
    warning.kind = AlarmKind::HeavyPollution;
    warning.evidence.measure = Measure::ForecastDays { above: 200 };
    warning.evidence.warning = Some(WarningLevel::Orange);
    warning.severity = WarningLevel::Orange.severity();
    warning.stale = true;
    warning.closed = Some(Closure {
        at: at(900),
        how: ClosedBy::Cleared { since: at(600) },
    });
    warning.clearing_since = Some(at(600));
    let w_open = AlarmAction {
        alarm: warning.key(),
        ..w_open
    };
    t.store
        .put_alarms(
            std::slice::from_ref(&warning),
            std::slice::from_ref(&w_open),
        )
        .unwrap();

    for store in [&*t.store, &*(t.reopen)()] {
        assert_eq!(
            store.alarms(&everything()).unwrap(),
            [closed.clone(), warning.clone()]
        );
        assert_eq!(store.alarm_actions(&[closed.key()]).unwrap(), log);
        assert_eq!(
            store.alarm_actions(&[warning.key(), closed.key()]).unwrap(),
            [vec![w_open.clone()], log.clone()].concat(),
            "by alarm in the order asked"
        );
        for digits in [
            closed.id().to_string(),
            closed.id().full(),
            closed.id().full()[..4].to_string(),
        ] {
            let prefix: AlarmIdPrefix = digits.parse().unwrap();
            let found = store.alarms_by_id(&prefix).unwrap();
            assert!(found.contains(&closed), "{digits}");
            assert!(found.iter().all(|a| a.id().starts_with(&prefix)));
        }
        assert!(
            store
                .open_alarm(&closed.rule, &closed.subject)
                .unwrap()
                .is_none()
        );
    }
    assert_eq!(t.store.put_alarms(&[], &[]).unwrap(), 0);
}

/// A write must be the stored alarm's next revision with the actions after its log; a write
/// based on an older read is a conflict and changes nothing; writing again exactly what is
/// stored changes nothing.
pub(crate) fn alarms_follow_their_revision(mut t: TestStore) {
    let (a, opened) = alarm("r", "A", 0);
    let put = |t: &mut TestStore, a: &Alarm, actions: &[AlarmAction]| {
        t.store.put_alarms(std::slice::from_ref(a), actions)
    };
    put(&mut t, &a, std::slice::from_ref(&opened)).unwrap();
    // Again, as a replay: nothing changes.
    assert_eq!(put(&mut t, &a, std::slice::from_ref(&opened)).unwrap(), 1);
    // An update nobody audits, then an acknowledgement.
    let (b, none) = next(&a, None, |b| b.evidence.last.value = 160.0);
    assert!(none.is_empty());
    put(&mut t, &b, &[]).unwrap();
    let (acked, ack) = next(
        &b,
        Some((Actor::User("王工".into()), AlarmEvent::Acknowledged)),
        |x| {
            x.acknowledged = Some(Handled {
                by: "王工".into(),
                at: at(5),
            });
        },
    );
    put(&mut t, &acked, &ack).unwrap();
    // The rules' update read before the acknowledgement: refused, naming the alarm.
    let (stale_update, _) = next(&b, None, |x| x.evidence.last.value = 170.0);
    let e = put(&mut t, &stale_update, &[]).unwrap_err();
    assert!(is_conflict(&e), "{e}");
    assert!(e.to_string().contains(&a.id().to_string()), "{e}");
    // A comment written on the old read too: refused, its action not stored.
    let (commented, comment) = next(
        &b,
        Some((
            Actor::User("李四".into()),
            AlarmEvent::Commented { text: "x".into() },
        )),
        |_| {},
    );
    assert!(is_conflict(&put(&mut t, &commented, &comment).unwrap_err()));
    // Skipping a revision, or an action: refused.
    let (mut skipped, _) = next(&acked, None, |_| {});
    skipped.revision += 1;
    assert!(is_conflict(&put(&mut t, &skipped, &[]).unwrap_err()));
    let (mut gap, mut gap_actions) = next(
        &acked,
        Some((Actor::System, AlarmEvent::Escalated { level: 1 })),
        |_| {},
    );
    gap.actions += 1;
    gap_actions[0].seq += 1;
    assert!(is_conflict(&put(&mut t, &gap, &gap_actions).unwrap_err()));
    // A log that does not start after the stored one, for a new alarm: refused.
    let (new, _) = alarm("r", "B", 0);
    let (newer, later) = next(
        &new,
        Some((Actor::System, AlarmEvent::Escalated { level: 1 })),
        |_| {},
    );
    assert!(is_conflict(&put(&mut t, &newer, &later).unwrap_err()));
    // What is stored is the acknowledged alarm and its two actions.
    assert_eq!(t.store.alarms(&everything()).unwrap(), [acked]);
    assert_eq!(
        t.store.alarm_actions(&[a.key()]).unwrap(),
        [vec![opened.clone()], ack.clone()].concat()
    );
    // A whole log at once (a copy from another store): taken, and again: nothing changes.
    let (c, c_open) = alarm("r", "C", 0);
    let (c2, c_acts) = next(
        &c,
        Some((
            Actor::System,
            AlarmEvent::Notified {
                channel: "sms".into(),
                message: "lt1-4".into(),
            },
        )),
        |_| {},
    );
    let whole: Vec<AlarmAction> = [vec![c_open], c_acts].concat();
    assert_eq!(put(&mut t, &c2, &whole).unwrap(), 1);
    assert_eq!(put(&mut t, &c2, &whole).unwrap(), 1);
    assert_eq!(t.store.alarm_actions(&[c.key()]).unwrap(), whole);
}

/// Two alarms of one rule and subject cannot both be open, whoever writes them; after one is
/// closed another opens; other subjects and rules are independent.
pub(crate) fn one_open_alarm_per_rule_and_subject(mut t: TestStore) {
    let (a, a_open) = alarm("r", "A", 0);
    t.store
        .put_alarms(std::slice::from_ref(&a), std::slice::from_ref(&a_open))
        .unwrap();
    let (b, b_open) = alarm("r", "A", 60);
    let e = t
        .store
        .put_alarms(std::slice::from_ref(&b), std::slice::from_ref(&b_open))
        .unwrap_err();
    assert!(is_conflict(&e), "{e}");
    assert!(
        e.to_string().contains(&a.id().to_string()),
        "names the open alarm: {e}"
    );
    // Both in one write: refused as unstorable.
    let (c, c_open) = alarm("q", "A", 0);
    let (d, d_open) = alarm("q", "A", 60);
    let e = t.store.put_alarms(&[c, d], &[c_open, d_open]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Rejected, "{e}");
    assert_eq!(
        t.store.open_alarm("r", &a.subject).unwrap(),
        Some(a.clone())
    );
    assert_eq!(t.store.open_alarm("q", &a.subject).unwrap(), None);
    // Another subject, another rule: fine.
    let (other_station, o1) = alarm("r", "B", 60);
    let (other_rule, o2) = alarm("s", "A", 60);
    t.store
        .put_alarms(&[other_station, other_rule], &[o1, o2])
        .unwrap();
    // Close the first: the second opens.
    let (closed, close) = next(
        &a,
        Some((
            Actor::System,
            AlarmEvent::Closed {
                how: ClosedBy::Cleared { since: at(30) },
            },
        )),
        |x| {
            x.clearing_since = Some(at(30));
            x.closed = Some(Closure {
                at: at(50),
                how: ClosedBy::Cleared { since: at(30) },
            });
        },
    );
    t.store
        .put_alarms(std::slice::from_ref(&closed), &close)
        .unwrap();
    assert_eq!(t.store.open_alarm("r", &a.subject).unwrap(), None);
    t.store
        .put_alarms(std::slice::from_ref(&b), std::slice::from_ref(&b_open))
        .unwrap();
    assert_eq!(
        t.store.open_alarm("r", &a.subject).unwrap(),
        Some(b.clone())
    );
    assert_eq!((t.reopen)().open_alarm("r", &a.subject).unwrap(), Some(b));
}

/// An alarm or action that cannot be stored fails the whole call, which writes nothing.
pub(crate) fn alarms_unstorable_are_rejected(mut t: TestStore) {
    let (good, good_open) = alarm("r", "A", 0);
    let bad_cases: Vec<(&str, Alarm, Vec<AlarmAction>)> = vec![
        (
            "NaN value",
            {
                let (mut a, _) = alarm("r", "B", 0);
                a.evidence.peak.value = f64::NAN;
                a
            },
            vec![],
        ),
        ("empty rule", alarm(" ", "B", 0).0, vec![]),
        ("line break in a station", alarm("r", "B\nC", 0).0, vec![]),
        (
            "no revision",
            {
                let mut a = alarm("r", "B", 0).0;
                a.revision = 0;
                a.actions = 0;
                a
            },
            vec![],
        ),
        (
            "clear level beyond the threshold",
            {
                let mut a = alarm("r", "B", 0).0;
                a.evidence.clear_level = 200.0;
                a
            },
            vec![],
        ),
        (
            "a warning colour on a threshold alarm",
            {
                let mut a = alarm("r", "B", 0).0;
                a.evidence.warning = Some(WarningLevel::Red);
                a
            },
            vec![],
        ),
        (
            "opened is not the first value",
            {
                let mut a = alarm("r", "B", 0).0;
                a.opened = at(1);
                a
            },
            vec![],
        ),
    ];
    for (why, bad, mut bad_actions) in bad_cases {
        if bad_actions.is_empty() {
            bad_actions.push(AlarmAction {
                alarm: bad.key(),
                ..good_open.clone()
            });
        }
        let e = t
            .store
            .put_alarms(
                &[good.clone(), bad],
                &[vec![good_open.clone()], bad_actions].concat(),
            )
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Rejected, "{why}: {e}");
    }
    // Actions without their alarm, with a gap, an empty comment, a person called `system`.
    let orphan = AlarmAction {
        alarm: alarm("r", "Z", 0).0.key(),
        ..good_open.clone()
    };
    let gap = AlarmAction {
        seq: 2,
        ..good_open.clone()
    };
    let empty = AlarmAction {
        event: AlarmEvent::Commented { text: " ".into() },
        ..good_open.clone()
    };
    let system = AlarmAction {
        actor: Actor::User("system".into()),
        ..good_open.clone()
    };
    for (why, actions) in [
        ("without its alarm", vec![good_open.clone(), orphan]),
        ("with a gap", vec![gap]),
        ("an empty comment", vec![empty]),
        ("a person called system", vec![system]),
    ] {
        let e = t
            .store
            .put_alarms(std::slice::from_ref(&good), &actions)
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Rejected, "{why}: {e}");
    }
    assert!(t.store.alarms(&everything()).unwrap().is_empty());
    assert_eq!(t.store.alarms_span().unwrap(), None);
}
