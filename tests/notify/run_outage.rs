//! `lantian run` through outages, with real peers: the simulator and `lantian run` on an
//! accelerated clock (10 simulated minutes per real second), the webhook receiver started by
//! the test. The receiver is down while alarms are raised and returns; someone acknowledges
//! one station's alarm with `lantian alarms ack` while the other's is left alone; `lantian
//! run` is killed with `kill -9` while messages are pending and started again. Nothing is
//! lost, nothing is delivered twice (by idempotency key), only the unacknowledged alarm
//! escalates, and each message's fate is in its alarm's audit log once.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use lantian::config::Config;
use lantian::notify::outbox::Message;
use lantian::notify::{Event, State};
use lantian::store::sqlite::SqliteStore;
use lantian::store::{Alarm, AlarmEvent, AlarmKey, AlarmQuery, AlarmState, AlarmStore, Filter};

use crate::common::peers::{self, free_port};
use crate::common::sim_run::{BIN, Simulator, lantian_run, run_beside_simulator};
use crate::harness::{Receiver, keys_received, messages, notifier};
use crate::run_alarms::{one_simulator, write_config};

/// Where the runs' simulated time starts.
const START: &str = "2026-03-01T16:00:00Z";

fn start() -> DateTime<Utc> {
    START.parse().unwrap()
}

/// The clock arguments of a run that starts `real` after [`START`] at 600×.
fn clock(real: Duration) -> Vec<String> {
    let at = start() + TimeDelta::from_std(real * 600).unwrap();
    let at = at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    vec!["--speed".into(), "600".into(), "--start".into(), at]
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// The open live alarms of `pm25-any` in the run's store (none before the store exists).
fn open_alarms(dir: &Path) -> Vec<Alarm> {
    let path = dir.join("run.db");
    if !path.exists() {
        return Vec::new();
    }
    let Ok(store) = SqliteStore::open(&path) else {
        return Vec::new();
    };
    let mut q = AlarmQuery::new(start(), start() + TimeDelta::days(2));
    q.states = Filter::one(AlarmState::Open);
    q.rules = Filter::one("pm25-any");
    let alarms = store.alarms(&q).unwrap_or_default();
    alarms.into_iter().filter(|a| !a.stale).collect()
}

/// `lantian --config CONFIG ARGS…`, checked.
fn lantian(config: &Path, args: &[&str]) -> String {
    let out = Command::new(BIN)
        .arg("--config")
        .arg(config)
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "lantian {args:?}: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The alarm each outbox message is about.
fn alarm_of(m: &Message) -> AlarmKey {
    m.notification.alarm().expect("an alarm's message").key()
}

/// Checks the audit logs of the run's store: every delivered message of `outbox` is recorded
/// as notified in its alarm's log exactly once (the restart may record again what the
/// killed run recorded, but never twice); returns how many were.
fn audited_once(dir: &Path, outbox: &[Message]) -> usize {
    let store = SqliteStore::open(dir.join("run.db")).unwrap();
    let mut keys: Vec<AlarmKey> = outbox.iter().map(alarm_of).collect();
    keys.sort_by_key(AlarmKey::id);
    keys.dedup();
    let log = store.alarm_actions(&keys).unwrap();
    let mut notified: BTreeMap<String, usize> = BTreeMap::new();
    for a in &log {
        if let AlarmEvent::Notified { channel, message } = &a.event {
            assert_eq!(channel, "hook");
            *notified.entry(message.clone()).or_default() += 1;
        }
    }
    let delivered: Vec<&Message> = outbox
        .iter()
        .filter(|m| m.state == State::Delivered)
        .collect();
    for m in &delivered {
        let events: Vec<_> = log.iter().map(|a| (a.seq, &a.event)).collect();
        assert_eq!(notified.get(&m.key), Some(&1), "{} in {events:#?}", m.key);
    }
    assert!(
        notified.values().all(|n| *n == 1),
        "recorded twice: {notified:?}"
    );
    delivered.len()
}

/// Every key received once, and the received keys are the outbox's delivered ones.
fn each_delivered_once(requests: &[serde_json::Value], outbox: &[Message]) {
    let keys = keys_received(requests);
    let mut unique = keys.clone();
    unique.dedup();
    assert_eq!(unique, keys, "a message was delivered twice");
    let mut delivered: Vec<String> = outbox
        .iter()
        .filter(|m| m.state == State::Delivered)
        .map(|m| m.key.clone())
        .collect();
    delivered.sort();
    assert_eq!(keys, delivered);
}

#[test]
fn a_receiver_outage_loses_nothing_and_only_the_unacknowledged_alarm_escalates() {
    if !peers::python3() {
        return;
    }
    let _ports = one_simulator();
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    // Escalated after an hour (6 real seconds) without acknowledgement, once. Data count as
    // live for 32 simulated minutes (3.2 real seconds), however busy the machine.
    let alarms = "escalate_after = \"60m\"\nescalate_levels = 1\ncollection_lag = \"30m\"";
    let config_path = write_config(dir.path(), port, alarms);
    let config = Config::load(&config_path).unwrap();
    let watch = {
        let (dir, config_path) = (dir.path().to_path_buf(), config_path.clone());
        std::thread::spawn(move || watch_the_run(&dir, &config_path, &config, port))
    };
    let clock = clock(Duration::ZERO);
    let status = run_beside_simulator(&config_path, &strs(&clock), &["-q"], 20, |_| {});
    assert!(status.success());
    let seen = watch.join().unwrap();

    let config = Config::load(&config_path).unwrap();
    let outbox = messages(&notifier(&config), "hook");
    let requests = seen.receiver.requests();
    each_delivered_once(&requests, &outbox);
    let waiting: Vec<&Message> = outbox.iter().filter(|m| m.state.is_open()).collect();
    println!(
        "{} messages, {} delivered ({} requests received), {} left pending at the end; the {} \
         queued during the outage delivered {:.2} s after the receiver returned",
        outbox.len(),
        outbox.len() - waiting.len(),
        requests.len(),
        waiting.len(),
        seen.queued_in_outage,
        seen.delay.as_secs_f64()
    );
    assert!(seen.queued_in_outage >= 2, "both stations' openings");
    // Escalations: the unacknowledged alarm's reached the receiver, the other has none.
    let escalations: Vec<&Message> = outbox
        .iter()
        .filter(|m| {
            m.notification
                .alarm()
                .is_some_and(|a| matches!(a.event, Event::Escalated { .. }))
        })
        .collect();
    assert!(
        escalations.iter().all(|m| alarm_of(m) != seen.acknowledged),
        "the acknowledged alarm escalated: {escalations:#?}"
    );
    let left = escalations
        .iter()
        .find(|m| alarm_of(m) == seen.left_alone)
        .unwrap_or_else(|| panic!("no escalation of the alarm nobody acknowledged: {outbox:#?}"));
    assert_eq!(left.state, State::Delivered);
    assert_eq!(escalations.len(), 1, "once per level: {escalations:#?}");
    let audited = audited_once(dir.path(), &outbox);
    assert_eq!(audited, outbox.len() - waiting.len());
    // `lantian alarms show` tells it.
    let id = seen.left_alone.id().to_string();
    let shown = lantian(&config_path, &["alarms", "show", &id, "--lang", "en"]);
    for line in ["escalated to level 1", "notified via hook (lt1-"] {
        assert!(shown.contains(line), "{line}: {shown}");
    }
}

/// What the watcher saw of the run.
struct Seen {
    receiver: Receiver,
    acknowledged: AlarmKey,
    left_alone: AlarmKey,
    queued_in_outage: usize,
    delay: Duration,
}

/// Beside the run: acknowledges station T-A's alarm as soon as it is open, starts the
/// receiver 9 real seconds (90 simulated minutes) in, after the alarms were raised and tried,
/// and measures how long the messages queued until then take to be delivered.
fn watch_the_run(dir: &Path, config_path: &Path, config: &Config, port: u16) -> Seen {
    let begun = Instant::now();
    let mut acknowledged = None;
    let mut left_alone = None;
    while begun.elapsed() < Duration::from_secs(15)
        && (acknowledged.is_none() || left_alone.is_none())
    {
        for a in open_alarms(dir) {
            let station = a.subject.station().map(|s| s.to_string());
            match station.as_deref() {
                Some("T-A") if acknowledged.is_none() => {
                    let id = a.id().to_string();
                    lantian(config_path, &["alarms", "ack", &id, "--by", "值班员"]);
                    acknowledged = Some(a.key());
                }
                Some("T-B") => left_alone = Some(a.key()),
                _ => {}
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let (acknowledged, left_alone) = (
        acknowledged.expect("T-A's alarm opened"),
        left_alone.expect("T-B's alarm opened"),
    );
    std::thread::sleep(Duration::from_secs(9).saturating_sub(begun.elapsed()));
    let n = notifier(config);
    let queued: Vec<String> = messages(&n, "hook")
        .into_iter()
        .filter(|m| m.state.is_open())
        .map(|m| m.key)
        .collect();
    assert!(
        messages(&n, "hook")
            .iter()
            .all(|m| m.state != State::Delivered),
        "nothing delivered while the receiver was down"
    );
    let receiver = Receiver::start(&dir.join("requests.jsonl"), port, &[]).unwrap();
    let back = Instant::now();
    while back.elapsed() < Duration::from_secs(8) {
        let m = messages(&n, "hook");
        let open = |k: &String| m.iter().any(|x| &x.key == k && x.state.is_open());
        if !queued.iter().any(open) {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Seen {
        receiver,
        acknowledged,
        left_alone,
        queued_in_outage: queued.len(),
        delay: back.elapsed(),
    }
}

#[test]
fn kill_9_with_messages_pending_delivers_them_after_the_restart() {
    if !peers::python3() {
        return;
    }
    let _ports = one_simulator();
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let config_path = write_config(dir.path(), port, "collection_lag = \"30m\"");
    let config = Config::load(&config_path).unwrap();
    let begun = Instant::now();
    let first_clock = clock(Duration::ZERO);
    let sim = Simulator::start(&config_path, &strs(&first_clock));
    let mut run = lantian_run(&config_path, &strs(&first_clock), &["-q"], 60)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The receiver is down: wait until the run has queued alarms' messages and tried the
    // oldest (a channel sends in order: the others wait behind it).
    let n = notifier(&config);
    let open =
        |m: Vec<Message>| -> Vec<Message> { m.into_iter().filter(|x| x.state.is_open()).collect() };
    let tried = |m: &[Message]| m.len() >= 2 && m[0].attempts >= 1;
    while !tried(&open(messages(&n, "hook"))) && begun.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(100));
    }
    run.kill().unwrap(); // SIGKILL
    run.wait().unwrap();
    drop(sim);
    let pending = open(messages(&n, "hook"));
    assert!(tried(&pending), "{pending:#?}");
    assert!(pending.iter().all(|m| m.state == State::Pending));

    let receiver = Receiver::start(&dir.path().join("requests.jsonl"), port, &[]).unwrap();
    // Started again where the simulated time had got to.
    let again = clock(begun.elapsed());
    let restarted = Instant::now();
    let status = run_beside_simulator(&config_path, &strs(&again), &["-q"], 6, |_| {});
    assert!(status.success());
    let outbox = messages(&n, "hook");
    let requests = receiver.requests();
    each_delivered_once(&requests, &outbox);
    for m in &pending {
        let now = outbox.iter().find(|x| x.key == m.key).unwrap();
        assert_eq!(now.state, State::Delivered, "{now:#?}");
    }
    let audited = audited_once(dir.path(), &outbox);
    println!(
        "killed with {} messages pending; after the restart {} delivered ({} requests) within \
         the {:.1} s run, {} audited once",
        pending.len(),
        outbox
            .iter()
            .filter(|m| m.state == State::Delivered)
            .count(),
        requests.len(),
        restarted.elapsed().as_secs_f64(),
        audited
    );
}
