//! Alarms ([`AlarmStore`](lantian::store::AlarmStore)), reading: every filter of a query,
//! the order, paged reads and the span of openings.

use lantian::store::{
    Actor, Alarm, AlarmAction, AlarmEvent, AlarmKind, AlarmQuery, AlarmState, AlarmSubject,
    ClosedBy, Closure, Filter, Handled, Severity, Stations, SystemComponent,
};
use lantian::units::Parameter;

use super::alarms::{alarm, everything, next};
use super::{Check, TestStore, at, paged, stops_on_error};

/// Every check, by name.
pub(crate) const CHECKS: &[(&str, Check)] = &[
    ("alarms_filters_and_order", alarms_filters_and_order),
    ("alarms_paged_and_span", alarms_paged_and_span),
];

/// Every filter of a query selects what it names (an empty list nothing), the time range
/// is by opening, and alarms come by opening time, rule, subject.
pub(crate) fn alarms_filters_and_order(mut t: TestStore) {
    let mut all = Vec::new();
    let mut actions = Vec::new();
    for (i, (rule, station)) in [("r2", "B"), ("r1", "B"), ("r1", "A"), ("r2", "A")]
        .into_iter()
        .enumerate()
    {
        let (mut a, open) = alarm(rule, station, 60 * (i as i64 % 2));
        a.severity = [
            Severity::Info,
            Severity::Minor,
            Severity::Major,
            Severity::Critical,
        ][i];
        if i == 1 {
            a.acknowledged = Some(Handled {
                by: "x".into(),
                at: at(61),
            });
        }
        if i == 2 {
            a.closed = Some(Closure {
                at: at(10),
                how: ClosedBy::Cleared { since: at(5) },
            });
        }
        all.push(a);
        actions.push(open);
    }
    let (mut system, s_open) = alarm("spool", "-", 30);
    system.subject = AlarmSubject::System(SystemComponent::Job("daily".into()));
    system.kind = AlarmKind::System;
    let s_open = AlarmAction {
        alarm: system.key(),
        ..s_open
    };
    all.push(system.clone());
    actions.push(s_open);
    t.store.put_alarms(&all, &actions).unwrap();
    let names = |q: &AlarmQuery| -> Vec<String> {
        t.store
            .alarms(q)
            .unwrap()
            .iter()
            .map(|a| format!("{} {}", a.rule, a.subject))
            .collect()
    };
    let q = everything();
    assert_eq!(
        names(&q),
        [
            "r1 station/A/pm25",
            "r2 station/B/pm25",
            "spool system/job/daily",
            "r1 station/B/pm25",
            "r2 station/A/pm25"
        ]
    );
    let only = |edit: &dyn Fn(&mut AlarmQuery)| {
        let mut q = everything();
        edit(&mut q);
        names(&q)
    };
    assert_eq!(
        only(&|q| q.states = Filter::one(AlarmState::Acknowledged)),
        ["r1 station/B/pm25"]
    );
    assert_eq!(
        only(&|q| q.states = Filter::only([AlarmState::Open, AlarmState::Acknowledged])).len(),
        4
    );
    assert_eq!(
        only(&|q| q.rules = Filter::only(["r2"])),
        ["r2 station/B/pm25", "r2 station/A/pm25"]
    );
    assert_eq!(
        only(&|q| q.subjects =
            Filter::one(AlarmSubject::StationParameter("A".into(), Parameter::Pm25))),
        ["r1 station/A/pm25", "r2 station/A/pm25"]
    );
    assert_eq!(
        only(&|q| q.stations = Stations::only(["B", "C"])),
        ["r2 station/B/pm25", "r1 station/B/pm25"],
        "alarms without a station are left out"
    );
    assert_eq!(
        only(&|q| q.severities = Filter::only([Severity::Critical, Severity::Info])),
        ["r2 station/B/pm25", "r2 station/A/pm25"]
    );
    assert_eq!(
        only(&|q| (q.from, q.to) = (at(30), at(60))),
        ["spool system/job/daily"]
    );
    for empty in [
        &(|q: &mut AlarmQuery| q.states = Filter::Only(vec![])) as &dyn Fn(&mut AlarmQuery),
        &|q| q.rules = Filter::Only(vec![]),
        &|q| q.subjects = Filter::Only(vec![]),
        &|q| q.stations = Filter::Only(vec![]),
        &|q| q.severities = Filter::Only(vec![]),
        &|q| q.to = q.from,
    ] {
        assert!(only(empty).is_empty());
    }
    // The query's own test agrees with the store.
    for a in &all {
        let mut q = everything();
        q.stations = Stations::one("A");
        q.states = Filter::only([AlarmState::Open, AlarmState::Closed]);
        assert_eq!(
            q.selects(a),
            t.store.alarms(&q).unwrap().contains(a),
            "{}",
            a.key()
        );
    }
}

/// Paged reads give every alarm once in pages of the size asked; the span is of openings.
pub(crate) fn alarms_paged_and_span(mut t: TestStore) {
    assert_eq!(t.store.alarms_span().unwrap(), None);
    let (mut alarms, mut actions) = (Vec::new(), Vec::new());
    for h in (0..7).rev() {
        for station in ["B", "A"] {
            let (a, open) = alarm("r", station, 60 * h);
            // Each opened after the previous one of its station closed.
            let (a, close) = next(
                &a,
                Some((
                    Actor::System,
                    AlarmEvent::Closed {
                        how: ClosedBy::Cleared {
                            since: at(60 * h + 10),
                        },
                    },
                )),
                |x| {
                    x.clearing_since = Some(at(60 * h + 10));
                    x.closed = Some(Closure {
                        at: at(60 * h + 40),
                        how: ClosedBy::Cleared {
                            since: at(60 * h + 10),
                        },
                    });
                },
            );
            actions.push(open);
            actions.extend(close);
            alarms.push(a);
        }
    }
    t.store.put_alarms(&alarms, &actions).unwrap();
    let span = t.store.alarms_span().unwrap().unwrap();
    assert_eq!((span.first, span.last), (at(0), at(6 * 60)));
    let q = AlarmQuery::new(span.first, span.end());
    let whole = t.store.alarms(&q).unwrap();
    assert_eq!(whole.len(), 14);
    for size in [1, 3, 14, 50] {
        let mut all = paged(size, |size, each| t.store.alarms_paged(&q, size, each)).concat();
        all.sort_by_key(|a| (a.opened, a.rule.clone(), a.subject.code()));
        assert_eq!(all, whole, "pages of {size}");
    }
    stops_on_error(|size, each| t.store.alarms_paged(&q, size, each));
    let keys: Vec<_> = whole.iter().map(Alarm::key).collect();
    assert_eq!(t.store.alarm_actions(&keys).unwrap().len(), 28);
}
