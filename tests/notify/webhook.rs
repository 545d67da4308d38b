//! The generic webhook through a receiver that is down, failing, stuck; repeats refused;
//! flapping summarised; silences recorded.

use std::time::Duration;

use chrono::{TimeDelta, Utc};
use lantian::notify::{Event, Outcome, State};
use lantian::store::{ClosedBy, Suppression};

use crate::common::peers::free_port;
use crate::harness::{
    Receiver, all_in, an_hour_ago, config, delivered_all, eventually, hook_config, keys_received,
    messages, minutes, notice, notifier, tried,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_down_then_failing_gets_everything_once_when_it_returns() {
    let dir = tempfile::tempdir().unwrap();
    let record = dir.path().join("requests.jsonl");
    let port = free_port();
    let config = config(dir.path(), &hook_config(port, ""));
    assert_eq!(
        config.outbox_path(),
        dir.path().join("lantian.db-outbox.db")
    );
    let n = notifier(&config);
    let t = an_hour_ago();
    let mut keys = Vec::new();
    for s in ["DG01", "DG02", "DG03", "DG04", "DG05"] {
        let e = n.notify(&notice(s, t, Event::Opened, t)).unwrap();
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].outcome, Outcome::Queued);
        keys.push(e[0].key.clone());
    }
    keys.sort();
    let delivery = n.start(None, None).unwrap();
    // Down: nothing listens; the channel backs off and keeps everything.
    assert!(tried(&n, "hook", 2).await);
    // Up but failing: 500s are retried.
    let Some(mut receiver) = Receiver::start(&record, port, &["--status", "500"]) else {
        return;
    };
    assert!(
        eventually(Duration::from_secs(10), || messages(&n, "hook").iter().any(
            |m| m
                .last_error
                .as_deref()
                .is_some_and(|e| e.contains("HTTP 500"))
        ))
        .await,
        "{:#?}",
        messages(&n, "hook")
    );
    receiver.stop();
    assert!(
        messages(&n, "hook")
            .iter()
            .all(|m| m.state == State::Pending)
    );
    // Back: all delivered, each key once.
    let receiver = Receiver::start(&record, port, &[]).unwrap();
    delivered_all(&n, "hook").await;
    delivery.stop().await;
    let requests = receiver.requests();
    assert_eq!(
        keys_received(&requests),
        keys,
        "each key delivered exactly once"
    );
    let ok: Vec<_> = requests.iter().filter(|r| r["status"] == 200).collect();
    for r in &ok {
        assert_eq!(r["path"], "/alarms");
        assert_eq!(r["headers"]["idempotency-key"], r["body"]["key"]);
        assert_eq!(r["body"]["notification"]["type"], "alarm");
        assert_eq!(r["body"]["notification"]["rule"], "pm25_1h");
        assert_eq!(r["body"]["lang"], "zh");
        assert!(
            r["body"]["title"]
                .as_str()
                .unwrap()
                .starts_with("【较重】超标告警开启"),
            "{r}"
        );
    }
    assert!(requests.iter().any(|r| r["status"] == 500));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_that_never_answers_holds_up_no_other_channel() {
    let dir = tempfile::tempdir().unwrap();
    let Some(stuck) = Receiver::start(&dir.path().join("stuck.jsonl"), 0, &["--hang"]) else {
        return;
    };
    let good = Receiver::start(&dir.path().join("good.jsonl"), 0, &[]).unwrap();
    let toml = format!(
        r#"[notify]
retry = {{ initial_ms = 100, max_ms = 200 }}

[[notify.channel]]
name = "stuck"
kind = "webhook"
url = "{}"
timeout_ms = 300

[[notify.channel]]
name = "good"
kind = "webhook"
url = "{}"

[[notify.route]]
channels = ["stuck", "good"]
"#,
        stuck.url("hook"),
        good.url("hook")
    );
    let config = config(dir.path(), &toml);
    let n = notifier(&config);
    let delivery = n.start(None, None).unwrap();
    let t = an_hour_ago();
    for s in ["DG01", "DG02", "DG03"] {
        n.notify(&notice(s, t, Event::Opened, t)).unwrap();
    }
    assert!(
        eventually(Duration::from_secs(5), || all_in(
            &n,
            "good",
            State::Delivered
        ))
        .await
    );
    assert_eq!(good.requests().len(), 3);
    assert!(tried(&n, "stuck", 2).await);
    let stuck_messages = messages(&n, "stuck");
    assert!(stuck_messages.iter().all(|m| m.state == State::Pending));
    assert!(
        stuck_messages
            .iter()
            .filter_map(|m| m.last_error.as_deref())
            .all(|e| e.contains("no answer within 300 ms") || e.contains("timed out")),
        "{stuck_messages:#?}"
    );
    delivery.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeats_are_refused_and_a_flapping_station_is_summarised() {
    let dir = tempfile::tempdir().unwrap();
    let Some(receiver) = Receiver::start(&dir.path().join("requests.jsonl"), 0, &[]) else {
        return;
    };
    let config = config(
        dir.path(),
        &hook_config(receiver.port, "per_alarm = { count = 2, seconds = 3 }"),
    );
    let n = notifier(&config);
    let t = an_hour_ago();
    let first = notice("DG07", t, Event::Opened, t);
    assert_eq!(n.notify(&first).unwrap()[0].outcome, Outcome::Queued);
    // Raised again (a replay after a crash): the same key, refused.
    assert_eq!(
        n.notify(&first).unwrap()[0].outcome,
        Outcome::Duplicate(State::Pending)
    );
    // The station flaps: closed, opened, closed, opened, closed.
    let mut changes = vec![];
    for i in 0..3 {
        let opened = minutes(t, 10 * i);
        if i > 0 {
            changes.push(notice("DG07", opened, Event::Opened, opened));
        }
        let closed = minutes(opened, 5);
        changes.push(notice(
            "DG07",
            opened,
            Event::Closed {
                how: ClosedBy::Cleared { since: closed },
            },
            closed,
        ));
    }
    for c in &changes {
        assert_eq!(n.notify(c).unwrap()[0].outcome, Outcome::Queued);
    }
    let delivery = n.start(None, None).unwrap();
    assert!(eventually(Duration::from_secs(5), || receiver.requests().len() >= 2).await);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.requests().len(), 2, "the limit: 2 per 3 s");
    assert!(
        eventually(Duration::from_secs(10), || {
            messages(&n, "hook").iter().all(|m| !m.state.is_open())
        })
        .await,
        "{:#?}",
        messages(&n, "hook")
    );
    delivery.stop().await;
    let requests = receiver.requests();
    assert_eq!(requests.len(), 3, "two, then one carrying the summary");
    let last = &requests[2]["body"];
    assert_eq!(last["held_back"]["count"], 3, "{last}");
    assert_eq!(last["held_back"]["by_event"]["opened"], 2);
    assert_eq!(last["held_back"]["by_event"]["closed"], 1);
    assert!(
        last["text"].as_str().unwrap().contains("另有 3 条"),
        "{last}"
    );
    let states: Vec<State> = messages(&n, "hook").iter().map(|m| m.state).collect();
    assert_eq!(
        states.iter().filter(|s| **s == State::Delivered).count(),
        3,
        "{states:?}"
    );
    assert_eq!(
        states.iter().filter(|s| **s == State::Summarised).count(),
        3,
        "{states:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silenced_changes_are_recorded_not_sent() {
    let dir = tempfile::tempdir().unwrap();
    let Some(receiver) = Receiver::start(&dir.path().join("requests.jsonl"), 0, &[]) else {
        return;
    };
    let local = |t: chrono::DateTime<Utc>| {
        t.with_timezone(&chrono_tz::Asia::Shanghai)
            .format("%Y-%m-%d %H:%M")
            .to_string()
    };
    let now = Utc::now();
    let toml = hook_config(receiver.port, "")
        + &format!(
            "\n[[notify.silence]]\nname = \"calibration DG08\"\nmaintenance = true\nfrom = \"{}\"\nuntil = \"{}\"\nstations = [\"DG08\"]\n",
            local(now - TimeDelta::days(1)),
            local(now + TimeDelta::days(1))
        );
    let config = config(dir.path(), &toml);
    let n = notifier(&config);
    let delivery = n.start(None, None).unwrap();
    let t = an_hour_ago();
    let quiet = n.notify(&notice("DG08", t, Event::Opened, t)).unwrap();
    assert_eq!(quiet[0].outcome, Outcome::Suppressed);
    let why = Suppression::Maintenance {
        name: "calibration DG08".into(),
    };
    assert_eq!(quiet[0].suppressed, Some(why.clone()));
    let loud = n.notify(&notice("DG09", t, Event::Opened, t)).unwrap();
    assert!(eventually(Duration::from_secs(5), || receiver.requests().len() == 1).await);
    tokio::time::sleep(Duration::from_millis(300)).await;
    delivery.stop().await;
    assert_eq!(keys_received(&receiver.requests()), [loud[0].key.clone()]);
    let kept = n.with_outbox(|o| o.get(&quiet[0].key)).unwrap().unwrap();
    assert_eq!(kept.state, State::Suppressed);
    assert_eq!(kept.suppressed, Some(why));
}
