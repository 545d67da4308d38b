//! `lantian run` pages people: the simulator and `lantian run` as two processes on an
//! accelerated clock, an alarm rule every station's hourly PM2.5 exceeds, and a webhook
//! channel to the real HTTP receiver — the alarm stage's changes reach the outbox and the
//! receiver, each message once.

use std::path::Path;

use lantian::store::sqlite::SqliteStore;
use lantian::store::{AlarmQuery, AlarmStore};

use crate::common::peers::free_port;
use crate::common::sim_run::run_beside_simulator;
use crate::harness::{Receiver, keys_received};

/// The simulator serves the fixture's fixed ports: one run at a time in this binary.
static ONE_SIMULATOR: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Holds the simulator's ports until dropped.
pub(crate) fn one_simulator() -> std::sync::MutexGuard<'static, ()> {
    ONE_SIMULATOR
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The configuration of these runs: `[alarms]` settings `alarms`, the rule `pm25-any`, the
/// channel `hook` to `127.0.0.1:port`.
pub(crate) fn write_config(dir: &Path, port: u16, alarms: &str) -> std::path::PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::write(dir.join("scenario.toml"), "seed = 5\n").unwrap();
    let config = dir.join("lantian.toml");
    std::fs::write(
        &config,
        format!(
            r#"registry = "{network}"
store = "sqlite:run.db"
scenario = "scenario.toml"
[collect]
timeout_ms = 300

[alarms]
{alarms}

[[alarm]]
id = "pm25-any"
kind = "threshold"
parameter = "pm25"
window = "1h"
above = 0.5
clear_below = 0.1
severity = "major"

[notify]
retry = {{ initial_ms = 100, max_ms = 400 }}

[[notify.channel]]
name = "hook"
kind = "webhook"
url = "http://127.0.0.1:{port}/alarms"
timeout_ms = 1000

[[notify.route]]
channels = ["hook"]
"#,
            network = root
                .join("tests/fixtures/two-stations/network.toml")
                .display()
        ),
    )
    .unwrap();
    config
}

#[test]
fn run_sends_the_alarms_it_raises_through_the_outbox() {
    let _ports = one_simulator();
    let dir = tempfile::tempdir().unwrap();
    let record = dir.path().join("requests.jsonl");
    let Some(receiver) = Receiver::start(&record, free_port(), &[]) else {
        return;
    };
    let config = write_config(dir.path(), receiver.port, "");
    // 10 simulated minutes per real second: the first hours end after 6 and 12 s.
    let clock = ["--speed", "600", "--start", "2026-03-01T16:00:00Z"];
    let status = run_beside_simulator(&config, &clock, &["-q"], 15, |_| {});
    assert!(status.success());

    let store = SqliteStore::open(dir.path().join("run.db")).unwrap();
    let all = AlarmQuery::new(
        "2026-01-01T00:00:00Z".parse().unwrap(),
        "2027-01-01T00:00:00Z".parse().unwrap(),
    );
    let alarms = store.alarms(&all).unwrap();
    let opened: Vec<_> = alarms.iter().filter(|a| a.rule == "pm25-any").collect();
    assert!(!opened.is_empty(), "no pm25-any alarm in {alarms:#?}");
    let requests = receiver.requests();
    let keys = keys_received(&requests);
    let mut unique = keys.clone();
    unique.sort();
    unique.dedup();
    println!(
        "{} pm25-any alarms, {} webhook requests, {} keys",
        opened.len(),
        requests.len(),
        unique.len()
    );
    assert_eq!(unique.len(), keys.len(), "a message was delivered twice");
    // Every alarm that opened from live data was announced.
    let fresh = opened.iter().filter(|a| !a.stale).count();
    assert!(fresh > 0, "{opened:#?}");
    assert!(keys.len() >= fresh, "{requests:#?}");
    let ids: Vec<String> = opened.iter().map(|a| a.id().to_string()).collect();
    let body = serde_json::to_string(&requests).unwrap();
    assert!(
        ids.iter().any(|id| body.contains(id.as_str())),
        "no request names an alarm of {ids:?}: {body}"
    );
}
