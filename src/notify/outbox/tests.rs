use chrono::TimeDelta;

use super::*;
use crate::notify::Notification;
use crate::notify::notification::Event;
use crate::notify::notification::tests::notice;
use crate::store::Suppression;

fn message(event: Event, channel: &str) -> NewMessage {
    let n = Notification::Alarm(Box::new(notice(event)));
    NewMessage {
        key: n.key(channel),
        channel: channel.to_string(),
        alarm: n.alarm_group(),
        notification: n,
        suppressed: None,
    }
}

fn t0() -> DateTime<Utc> {
    DateTime::from_timestamp(1_780_000_000, 0).unwrap()
}

const DAY: Duration = Duration::from_secs(86_400);

#[test]
fn writes_refuses_repeats_and_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("outbox.db");
    let opened = message(Event::Opened, "duty");
    {
        let mut o = Outbox::open(&path, 10, DAY).unwrap();
        assert_eq!(
            o.enqueue(std::slice::from_ref(&opened), t0()).unwrap(),
            [Outcome::Queued]
        );
        assert_eq!(
            o.enqueue(std::slice::from_ref(&opened), t0()).unwrap(),
            [Outcome::Duplicate(State::Pending)]
        );
    }
    // Dropped without any shutdown: what was committed is there.
    let mut o = Outbox::open(&path, 10, DAY).unwrap();
    let m = o.next_due("duty", t0()).unwrap().unwrap();
    assert_eq!(m.key, opened.key);
    assert_eq!(m.notification, opened.notification);
    assert_eq!(m.state, State::Pending);
    o.delivered(m.id, &[], t0()).unwrap();
    assert_eq!(
        o.enqueue(&[opened], t0()).unwrap(),
        [Outcome::Duplicate(State::Delivered)]
    );
    assert!(o.next_due("duty", t0()).unwrap().is_none());
}

#[test]
fn a_full_outbox_refuses_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut o = Outbox::open(&dir.path().join("o.db"), 2, DAY).unwrap();
    o.enqueue(
        &[message(Event::Opened, "a"), message(Event::Opened, "b")],
        t0(),
    )
    .unwrap();
    let more = [
        message(Event::Escalated { level: 1 }, "a"),
        message(Event::Escalated { level: 1 }, "b"),
    ];
    let e = o.enqueue(&more, t0()).unwrap_err();
    assert!(
        matches!(
            e,
            OutboxError::Full {
                pending: 2,
                max: 2,
                needed: 2,
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("max_pending = 2"), "{e}");
    assert_eq!(
        o.messages("a").unwrap().len(),
        1,
        "nothing of the refused batch"
    );
    // Suppressed messages are records, not work: they are written even now.
    let mut quiet = message(Event::Escalated { level: 1 }, "a");
    quiet.suppressed = Some(Suppression::Silence {
        name: "night".into(),
    });
    assert_eq!(o.enqueue(&[quiet], t0()).unwrap(), [Outcome::Suppressed]);
    let kept = o.messages("a").unwrap();
    assert_eq!(kept[1].state, State::Suppressed);
    assert_eq!(
        kept[1].suppressed,
        Some(Suppression::Silence {
            name: "night".into()
        })
    );
}

#[test]
fn retries_holds_windows_and_compaction() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("o.db");
    let mut o = Outbox::open(&path, 100, DAY).unwrap();
    let a = message(Event::Opened, "duty");
    let b = message(Event::Escalated { level: 1 }, "duty");
    let c = message(
        Event::Closed {
            how: crate::store::ClosedBy::Cleared { since: t0() },
        },
        "duty",
    );
    o.enqueue(&[a.clone(), b.clone(), c.clone()], t0()).unwrap();
    let first = o.next_due("duty", t0()).unwrap().unwrap();
    assert_eq!(first.key, a.key, "oldest first");
    o.retry_later(first.id, &[], "HTTP 503", t0() + TimeDelta::seconds(10))
        .unwrap();
    let next = o.next_due("duty", t0()).unwrap().unwrap();
    assert_eq!(next.key, b.key, "a waits for its retry");
    let again = o.get(&a.key).unwrap().unwrap();
    assert_eq!(
        (again.attempts, again.last_error.as_deref()),
        (1, Some("HTTP 503"))
    );
    o.delivered(next.id, &[], t0()).unwrap();
    let third = o.next_due("duty", t0()).unwrap().unwrap();
    o.hold(third.id, t0() + TimeDelta::minutes(30)).unwrap();
    assert_eq!(o.held("duty", &c.alarm).unwrap().len(), 1);
    assert_eq!(
        o.next_time("duty").unwrap(),
        Some(t0() + TimeDelta::seconds(10))
    );
    let window = o
        .sent_since("duty", Some(&a.alarm), t0() - TimeDelta::hours(1))
        .unwrap();
    assert_eq!((window.sent, window.oldest), (1, Some(t0())));
    assert_eq!(
        o.sent_since("other", None, t0() - TimeDelta::hours(1))
            .unwrap()
            .sent,
        0
    );
    // a is delivered carrying the held c's summary.
    o.delivered(first.id, &[third.id], t0() + TimeDelta::minutes(1))
        .unwrap();
    let states: Vec<State> = o
        .messages("duty")
        .unwrap()
        .iter()
        .map(|m| m.state)
        .collect();
    assert_eq!(
        states,
        [State::Delivered, State::Delivered, State::Summarised]
    );
    let counts = o.counts().unwrap();
    assert_eq!(
        counts.rows,
        [
            ("duty".to_string(), State::Delivered, 2),
            ("duty".to_string(), State::Summarised, 1)
        ]
    );
    // Kept a day, then removed; open messages are never removed.
    let d = message(Event::Opened, "mail");
    o.enqueue(std::slice::from_ref(&d), t0()).unwrap();
    assert_eq!(o.compact(t0() + TimeDelta::hours(23)).unwrap(), 0);
    // Kept until their fates are in the alarms' logs.
    assert_eq!(o.compact(t0() + TimeDelta::days(2)).unwrap(), 0);
    let done: Vec<i64> = o.unaudited(10).unwrap().iter().map(|m| m.id).collect();
    assert_eq!(done.len(), 3);
    o.audited(&done).unwrap();
    assert!(o.unaudited(10).unwrap().is_empty());
    assert_eq!(o.compact(t0() + TimeDelta::days(2)).unwrap(), 3);
    assert!(o.get(&a.key).unwrap().is_none());
    assert_eq!(o.get(&d.key).unwrap().unwrap().state, State::Pending);
}

#[test]
fn one_deliverer_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("o.db");
    let o1 = Outbox::open(&path, 10, DAY).unwrap();
    let o2 = Outbox::open(&path, 10, DAY).unwrap();
    let lock = o1.lock_delivery().unwrap();
    assert!(lock.is_some());
    assert!(o2.lock_delivery().unwrap().is_none());
    drop(lock);
    assert!(o2.lock_delivery().unwrap().is_some());
}

#[test]
fn a_newer_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("o.db");
    drop(Outbox::open(&path, 10, DAY).unwrap());
    let db = Connection::open(&path).unwrap();
    db.pragma_update(None, "user_version", 7).unwrap();
    drop(db);
    let e = Outbox::open(&path, 10, DAY).unwrap_err();
    assert!(matches!(e, OutboxError::Version { found: 7, .. }), "{e}");
}

#[test]
fn a_version_1_file_gains_the_audit_mark() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("o.db");
    {
        let db = Connection::open(&path).unwrap();
        db.execute_batch(
            "CREATE TABLE messages (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE,
             channel TEXT NOT NULL, alarm TEXT NOT NULL, notification TEXT NOT NULL,
             state TEXT NOT NULL, created_ms INTEGER NOT NULL, next_ms INTEGER NOT NULL,
             attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT, done_ms INTEGER,
             summarised_in INTEGER, note TEXT);
             PRAGMA user_version = 1;",
        )
        .unwrap();
        let m = message(Event::Opened, "duty");
        db.execute(
            "INSERT INTO messages (key, channel, alarm, notification, state, created_ms, next_ms, done_ms)
             VALUES (?1, 'duty', ?2, ?3, 'delivered', 0, 0, 5)",
            params![m.key, m.alarm, serde_json::to_string(&m.notification).unwrap()],
        )
        .unwrap();
    }
    let o = Outbox::open(&path, 10, DAY).unwrap();
    let waiting = o.unaudited(10).unwrap();
    assert_eq!(
        waiting.len(),
        1,
        "delivered before the upgrade: recorded after it"
    );
    assert_eq!(waiting[0].done, DateTime::from_timestamp_millis(5));
}
