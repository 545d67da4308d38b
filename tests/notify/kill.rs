//! `kill -9` with notifications pending: a child process enqueues alarm notices and starts
//! delivering to a receiver that is down; the parent kills it, brings the receiver up and
//! delivers from the same outbox. Every message arrives, each key once.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use lantian::config::Config;
use lantian::notify::{Event, Outcome, State};

use crate::common::peers::{self, free_port};
use crate::harness::{
    Receiver, all_in, config, delivered_all, hook_config, keys_received, messages, notice,
    notifier, tried,
};

const CHILD_ENV: &str = "LANTIAN_TEST_NOTIFY_CHILD";
const STATIONS: [&str; 6] = ["DG11", "DG12", "DG13", "DG14", "DG15", "DG16"];

/// When the alarms opened: the same in both processes, as the store keeps it.
fn opened() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(1_780_000_000, 0).unwrap()
}

/// Child mode: enqueues a notice per station (printing each key once it is synced), starts
/// delivering and waits to be killed. A no-op in a normal test run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notify_child() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return;
    };
    let config = Config::load(&std::path::Path::new(&dir).join("lantian.toml")).unwrap();
    let n = notifier(&config);
    let t = opened();
    for s in STATIONS {
        let e = n.notify(&notice(s, t, Event::Opened, t)).unwrap();
        println!("enqueued {}", e[0].key);
    }
    let _delivery = n.start(None, None).unwrap();
    println!("delivering");
    tokio::time::sleep(Duration::from_secs(600)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_with_notifications_pending_delivers_them_after_restart() {
    if !peers::python3() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let config = config(dir.path(), &hook_config(port, ""));
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "kill::notify_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut keys = Vec::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        // libtest may print the test's name on the same line.
        if let Some((_, k)) = line.split_once("enqueued ") {
            keys.push(k.to_string());
        } else if line.ends_with("delivering") {
            break;
        }
    }
    assert_eq!(keys.len(), STATIONS.len());
    let n = notifier(&config);
    // The child tries (the receiver is down) before it dies.
    assert!(tried(&n, "hook", 1).await);
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(
        messages(&n, "hook")
            .iter()
            .all(|m| m.state == State::Pending)
    );

    // Raised again after the crash (the rules re-evaluate replayed data): refused.
    let t = opened();
    for s in STATIONS {
        let e = n.notify(&notice(s, t, Event::Opened, t)).unwrap();
        assert_eq!(e[0].outcome, Outcome::Duplicate(State::Pending));
    }

    let Some(receiver) = Receiver::start(&dir.path().join("requests.jsonl"), port, &[]) else {
        return;
    };
    // The restarted process delivers what the killed one left.
    let delivery = n.start(None, None).unwrap();
    delivered_all(&n, "hook").await;
    delivery.stop().await;
    keys.sort();
    assert_eq!(keys_received(&receiver.requests()), keys, "each once");
}

/// The same through the command line: `lantian alarms test-notify` is killed while its
/// receiver is down; the next one delivers both messages, in order, each once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_test_notify_is_delivered_by_the_next() {
    if !peers::python3() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let config = config(dir.path(), &hook_config(port, ""));
    let lantian = |wait: &str| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_lantian"));
        c.arg("--config")
            .arg(dir.path().join("lantian.toml"))
            .args(["-q", "alarms", "test-notify", "hook", "--wait", wait]);
        c
    };
    let mut first = lantian("600")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let n = notifier(&config);
    assert!(tried(&n, "hook", 1).await);
    first.kill().unwrap(); // SIGKILL
    first.wait().unwrap();
    let pending = messages(&n, "hook");
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].state, State::Pending);

    let Some(receiver) = Receiver::start(&dir.path().join("requests.jsonl"), port, &[]) else {
        return;
    };
    let out = lantian("20").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.starts_with("delivered through `hook` (message lt1-"),
        "{stdout}"
    );
    assert!(all_in(&n, "hook", State::Delivered));
    let mut keys: Vec<String> = messages(&n, "hook").into_iter().map(|m| m.key).collect();
    let requests = receiver.requests();
    assert_eq!(
        requests
            .iter()
            .map(|r| r["key"].as_str().unwrap())
            .collect::<Vec<_>>(),
        keys,
        "the killed command's message first, then the new one"
    );
    keys.sort();
    assert_eq!(keys_received(&requests), keys);
}
