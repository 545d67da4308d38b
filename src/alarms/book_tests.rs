//! The lifecycle over a real SQLite store: raising, replays, lookups by id, people's steps,
//! escalation, and a change that meets another writer's.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};

use super::*;
use crate::alarms::lifecycle::tests::raise;
use crate::store::sqlite::SqliteStore;
use crate::store::{
    Alarm, AlarmAction, AlarmEvent, AlarmIdPrefix, AlarmKey, AlarmQuery, AlarmState, AlarmStore,
    AlarmSubject, PageFn, Severity, StoreError, TimeSpan,
};

fn t(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 1, 0, 0, 0).unwrap() + TimeDelta::minutes(minutes)
}

fn store() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("alarms.db")).unwrap();
    (dir, store)
}

fn prefix(a: &Alarm) -> AlarmIdPrefix {
    a.id().to_string().parse().unwrap()
}

#[test]
fn raising_opens_then_updates_and_a_replay_changes_nothing() {
    let (_dir, mut s) = store();
    let mut book = AlarmBook::new(&mut s);
    let first = book
        .raise(&raise(160.0, 60, Severity::Major), t(61))
        .unwrap();
    assert!(matches!(first, Raised::Opened(_)));
    let up = book
        .raise(&raise(210.0, 120, Severity::Critical), t(121))
        .unwrap();
    let Raised::Updated(c) = &up else {
        panic!("{up:?}")
    };
    assert!(c.action.is_some(), "the severity rose");
    // The same values again (replayed after a crash): seen, nothing changes.
    for (v, m, severity) in [
        (160.0, 60, Severity::Major),
        (210.0, 120, Severity::Critical),
    ] {
        let again = book.raise(&raise(v, m, severity), t(200)).unwrap();
        assert!(
            matches!(again, Raised::Seen(ref a) if a.revision == 2),
            "{again:?}"
        );
    }
    let hold = TimeDelta::hours(1);
    book.clear("pm25-1h", &first.alarm().subject, t(180), hold)
        .unwrap()
        .unwrap();
    let closed = book
        .clear("pm25-1h", &first.alarm().subject, t(240), hold)
        .unwrap()
        .unwrap();
    assert_eq!(closed.alarm.state(), AlarmState::Closed);
    assert_eq!(
        book.clear("pm25-1h", &first.alarm().subject, t(300), hold)
            .unwrap(),
        None
    );
    // Replayed data of the closed alarm's time: seen, nothing opens.
    for m in [60, 120, 180, 240] {
        let seen = book
            .raise(&raise(160.0, m, Severity::Major), t(500))
            .unwrap();
        assert!(
            matches!(seen, Raised::Seen(ref a) if a.opened == t(60)),
            "{m}: {seen:?}"
        );
    }
    // A new exceedance after it: a second alarm.
    let second = book
        .raise(&raise(170.0, 300, Severity::Major), t(301))
        .unwrap();
    assert!(matches!(second, Raised::Opened(ref c) if c.alarm.opened == t(300)));
    let all = s.alarms(&AlarmQuery::new(t(0), t(1000))).unwrap();
    assert_eq!(all.len(), 2);
    let log = s.alarm_actions(&[all[0].key()]).unwrap();
    let codes: Vec<&str> = log.iter().map(|a| a.event.code()).collect();
    assert_eq!(codes, ["opened", "updated", "closed"]);
}

#[test]
fn people_name_alarms_by_id_and_every_step_is_audited() {
    let (_dir, mut s) = store();
    let mut book = AlarmBook::new(&mut s);
    let a = book
        .raise(&raise(160.0, 60, Severity::Major), t(61))
        .unwrap()
        .alarm()
        .clone();
    let id = prefix(&a);
    book.acknowledge(&id, "王工", t(62)).unwrap();
    book.assign(&id, "运维一组", "王工", t(63)).unwrap();
    book.comment(&id, "仪器校准中", "李四", t(64)).unwrap();
    let e = book.acknowledge(&id, "李四", t(65)).unwrap_err();
    assert!(matches!(e, AlarmError::AlreadyAcknowledged { .. }), "{e}");
    book.close(&id, "已处理", "王工", t(66)).unwrap();
    let (alarm, log) = book.history(&id).unwrap();
    assert_eq!(alarm.state(), AlarmState::Closed);
    let who: Vec<(String, &str)> = log
        .iter()
        .map(|a| (a.actor.to_string(), a.event.code()))
        .collect();
    assert_eq!(
        who,
        [
            ("system".to_string(), "opened"),
            ("王工".to_string(), "acknowledged"),
            ("王工".to_string(), "assigned"),
            ("李四".to_string(), "commented"),
            ("王工".to_string(), "closed"),
        ]
    );
    let e = book.assign(&id, "x", "王工", t(67)).unwrap_err();
    assert!(e.to_string().contains(&id.to_string()), "{e}");
    let missing: AlarmIdPrefix = "ffff0000".parse().unwrap();
    let missing = if a.id().starts_with(&missing) {
        "0000ffff".parse().unwrap()
    } else {
        missing
    };
    assert!(matches!(book.find(&missing), Err(AlarmError::NotFound(_))));
}

#[test]
fn a_short_id_naming_several_alarms_is_ambiguous() {
    let (_dir, mut s) = store();
    let mut book = AlarmBook::new(&mut s);
    // Alarms of many subjects until two share the first 4 hex digits (birthday: ~300).
    let mut seen = std::collections::HashMap::new();
    for n in 0.. {
        let mut r = raise(160.0, 60, Severity::Major);
        r.subject = AlarmSubject::Station(format!("S{n}").into());
        let a = book.raise(&r, t(61)).unwrap().alarm().clone();
        let four = a.id().full()[..4].to_string();
        if let Some(other) = seen.insert(four.clone(), a.id()) {
            let e = book.find(&four.parse().unwrap()).unwrap_err();
            let AlarmError::Ambiguous { alarms, .. } = &e else {
                panic!("{e}")
            };
            assert!(alarms.contains(&other) && alarms.contains(&a.id()), "{e}");
            assert!(e.to_string().contains("type more of the id"), "{e}");
            assert_eq!(
                book.find(&a.id().to_string().parse().unwrap())
                    .unwrap()
                    .id(),
                a.id()
            );
            break;
        }
    }
}

#[test]
fn escalation_of_what_nobody_acknowledged() {
    let (_dir, mut s) = store();
    let mut book = AlarmBook::new(&mut s);
    let a = book
        .raise(&raise(160.0, 60, Severity::Major), t(61))
        .unwrap()
        .alarm()
        .clone();
    let mut other = raise(160.0, 60, Severity::Major);
    other.subject = AlarmSubject::Station("B".into());
    let b = book.raise(&other, t(61)).unwrap().alarm().clone();
    book.acknowledge(&prefix(&b), "王工", t(70)).unwrap();
    let after = EscalationPolicy::every_severity(TimeDelta::minutes(15), 2);
    let after = &after;
    assert!(book.escalate_overdue(t(70), after).unwrap().is_empty());
    let up = book.escalate_overdue(t(75), after).unwrap();
    assert_eq!(up.len(), 1);
    assert_eq!(up[0].alarm.key(), a.key());
    assert!(
        book.escalate_overdue(t(80), after).unwrap().is_empty(),
        "not again before T"
    );
    assert_eq!(
        book.escalate_overdue(t(90), after).unwrap()[0]
            .alarm
            .escalation
            .unwrap()
            .level,
        2
    );
    assert!(
        book.escalate_overdue(t(200), after).unwrap().is_empty(),
        "not past the highest level"
    );
    let minor_only = EscalationPolicy {
        after: [(Severity::Minor, TimeDelta::minutes(1))].into(),
        levels: 3,
    };
    assert!(
        book.escalate_overdue(t(300), &minor_only)
            .unwrap()
            .is_empty(),
        "a major alarm is not escalated by a policy for minor ones"
    );
}

/// A store whose first write meets another writer's change: before it, someone comments on
/// the alarm through another handle.
struct Interleaved {
    inner: SqliteStore,
    other: Option<SqliteStore>,
}

impl AlarmStore for Interleaved {
    fn put_alarms(
        &mut self,
        alarms: &[Alarm],
        actions: &[AlarmAction],
    ) -> Result<usize, StoreError> {
        if let Some(mut other) = self.other.take() {
            let id = alarms[0].id().to_string().parse().unwrap();
            AlarmBook::new(&mut other)
                .comment(&id, "checked on site", "李四", t(100))
                .unwrap();
        }
        self.inner.put_alarms(alarms, actions)
    }
    fn alarms_paged(
        &self,
        q: &AlarmQuery,
        size: usize,
        each: &mut PageFn<'_, Alarm>,
    ) -> Result<(), StoreError> {
        self.inner.alarms_paged(q, size, each)
    }
    fn alarms_span(&self) -> Result<Option<TimeSpan>, StoreError> {
        self.inner.alarms_span()
    }
    fn open_alarm(&self, rule: &str, subject: &AlarmSubject) -> Result<Option<Alarm>, StoreError> {
        self.inner.open_alarm(rule, subject)
    }
    fn alarms_by_id(&self, id: &AlarmIdPrefix) -> Result<Vec<Alarm>, StoreError> {
        self.inner.alarms_by_id(id)
    }
    fn alarm_actions(&self, alarms: &[AlarmKey]) -> Result<Vec<AlarmAction>, StoreError> {
        self.inner.alarm_actions(alarms)
    }
}

#[test]
fn a_step_that_meets_another_writer_is_taken_again_on_the_fresh_alarm() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("alarms.db");
    let mut first = SqliteStore::open(&path).unwrap();
    AlarmBook::new(&mut first)
        .raise(&raise(160.0, 60, Severity::Major), t(61))
        .unwrap();
    let mut store = Interleaved {
        inner: first,
        other: Some(SqliteStore::open(&path).unwrap()),
    };
    // The rules' update read the alarm before the comment; its write is refused, read again
    // and taken on the commented alarm: neither change is lost.
    let up = AlarmBook::new(&mut store)
        .raise(&raise(230.0, 120, Severity::Critical), t(121))
        .unwrap();
    assert_eq!(up.alarm().evidence.peak.value, 230.0);
    let log = store.alarm_actions(&[up.alarm().key()]).unwrap();
    let codes: Vec<&str> = log.iter().map(|a| a.event.code()).collect();
    assert_eq!(codes, ["opened", "commented", "updated"]);
    assert!(matches!(
        log[2].event,
        AlarmEvent::Updated {
            severity: Severity::Critical,
            ..
        }
    ));
}
