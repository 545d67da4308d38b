//! Fates of messages recorded in a real SQLite store's audit log: each kind once, again after
//! a crash between the log and the outbox's mark without a second entry.

use std::time::Duration;

use super::*;
use crate::notify::Notification;
use crate::notify::notification::tests::{raise, t0};
use crate::notify::notification::{AlarmNotice, Event, Place};
use crate::notify::outbox::{NewMessage, Outbox};
use crate::store::AlarmAction;
use crate::store::sqlite::SqliteStore;

fn message(notice: &AlarmNotice, channel: &str, suppressed: Option<Suppression>) -> NewMessage {
    let n = Notification::Alarm(Box::new(notice.clone()));
    NewMessage {
        key: n.key(channel),
        channel: channel.to_string(),
        alarm: n.alarm_group(),
        notification: n,
        suppressed,
    }
}

fn log(store: &Arc<Mutex<Box<dyn AlarmStore>>>, key: &AlarmKey) -> Vec<AlarmAction> {
    store
        .lock()
        .unwrap()
        .alarm_actions(std::slice::from_ref(key))
        .unwrap()
}

#[tokio::test]
async fn every_fate_is_recorded_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut sqlite = SqliteStore::open(dir.path().join("a.db")).unwrap();
    let opened = AlarmBook::new(&mut sqlite).raise(&raise(), t0()).unwrap();
    let crate::alarms::Raised::Opened(change) = opened else {
        panic!("{opened:?}")
    };
    let notice = AlarmNotice::of_change(&change, Place::default()).unwrap();
    let closed = AlarmNotice {
        event: Event::Closed {
            how: crate::store::ClosedBy::Cleared { since: t0() },
        },
        ..notice.clone()
    };
    let night = Suppression::Silence {
        name: "夜间".into(),
    };
    let path = dir.path().join("outbox.db");
    let mut o = Outbox::open(&path, 100, Duration::from_secs(3600)).unwrap();
    let sent = message(&notice, "hook", None);
    let refused = message(&notice, "robot", None);
    let held = message(&notice, "mail", None);
    let carrier = message(&closed, "mail", None);
    let silenced = message(&notice, "wecom", Some(night.clone()));
    let all = [&sent, &refused, &held, &carrier, &silenced].map(Clone::clone);
    o.enqueue(&all, t0()).unwrap();
    let id = |o: &Outbox, m: &NewMessage| o.get(&m.key).unwrap().unwrap().id;
    let (s, r, h, c) = (
        id(&o, &sent),
        id(&o, &refused),
        id(&o, &held),
        id(&o, &carrier),
    );
    let done = t0() + TimeDelta::minutes(3);
    o.delivered(s, &[], done).unwrap();
    o.failed(r, "HTTP 400: bad token", done).unwrap();
    o.hold(h, done).unwrap();
    o.delivered(c, &[h], done).unwrap();

    let outbox: Shared = Arc::new(Mutex::new(o));
    let store: Box<dyn AlarmStore> = Box::new(sqlite);
    let audit = Audit {
        store: Arc::new(Mutex::new(store)),
        clock: Clock::real(),
    };
    assert_eq!(pass(&outbox, &audit).await.unwrap(), 5);
    let key = notice.key();
    let events: Vec<AlarmEvent> = log(&audit.store, &key)
        .into_iter()
        .skip(1)
        .map(|a| a.event)
        .collect();
    let expect = [
        AlarmEvent::Notified {
            channel: "hook".into(),
            message: sent.key.clone(),
        },
        AlarmEvent::Undelivered {
            channel: "robot".into(),
            message: refused.key.clone(),
            reason: "HTTP 400: bad token".into(),
        },
        AlarmEvent::Suppressed {
            why: Suppression::RateLimit {
                summarised_in: Some(carrier.key.clone()),
            },
            channel: "mail".into(),
            message: held.key.clone(),
        },
        AlarmEvent::Notified {
            channel: "mail".into(),
            message: carrier.key.clone(),
        },
        AlarmEvent::Suppressed {
            why: night,
            channel: "wecom".into(),
            message: silenced.key.clone(),
        },
    ];
    let mut sorted = events.clone();
    let rank = |e: &AlarmEvent| expect.iter().position(|x| x == e);
    sorted.sort_by_key(rank);
    assert_eq!(sorted, expect, "{events:#?}");
    // Nothing left; the times are when the outbox recorded each fate (a real clock): the
    // silenced one when it was enqueued.
    assert_eq!(pass(&outbox, &audit).await.unwrap(), 0);
    for a in log(&audit.store, &key).iter().skip(1) {
        let silenced =
            matches!(a.event, AlarmEvent::Suppressed { ref channel, .. } if channel == "wecom");
        assert_eq!(a.at, if silenced { t0() } else { done }, "{a:?}");
    }

    // A crash after the log was written, before the outbox's mark: recorded again, once.
    let db = rusqlite::Connection::open(&path).unwrap();
    db.execute("UPDATE messages SET audited = 0", []).unwrap();
    assert_eq!(pass(&outbox, &audit).await.unwrap(), 5);
    assert_eq!(
        log(&audit.store, &key).len(),
        1 + expect.len(),
        "no entry twice"
    );
}
