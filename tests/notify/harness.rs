//! What the notification tests share: the receivers as child processes, configurations
//! written to a `lantian.toml`, alarm notices, waiting for the outbox.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use lantian::config::Config;
use lantian::notify::outbox::Message;
use lantian::notify::{
    AlarmNotice, Event, Notifier, NotifyError, Place, State, TestReport, test_notify,
};
use lantian::store::{
    AlarmEvidence, AlarmKind, AlarmSubject, Averaging, Direction, Measure, Observation, Severity,
};
use lantian::units::Parameter;
use serde_json::Value;

use crate::common::peers;

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/peers")
        .join(name)
}

/// Starts `python3 SCRIPT ARGS…` and waits for its `READY <port>` line.
fn spawn_ready(script_name: &str, args: &[String]) -> (Child, u16) {
    let mut child = Command::new("python3")
        .arg(script(script_name))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("python3 runs");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("the peer prints READY");
    let port = line
        .trim()
        .strip_prefix("READY ")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("{script_name} did not start: {line:?}"));
    (child, port)
}

/// `tests/peers/http_receiver.py`, recording to a JSON-lines file; killed when dropped.
pub(crate) struct Receiver {
    /// Its port.
    pub port: u16,
    record: PathBuf,
    child: Option<Child>,
}

impl Receiver {
    /// Starts a receiver on `port` (0: any) with `args` (`--mode`, `--status`, …), recording
    /// to `record`; `None` when python3 is missing (and that is allowed).
    pub(crate) fn start(record: &Path, port: u16, args: &[&str]) -> Option<Receiver> {
        if !peers::python3() {
            return None;
        }
        let mut all = vec![
            "--record".to_string(),
            record.display().to_string(),
            "--port".into(),
            port.to_string(),
        ];
        all.extend(args.iter().map(|a| a.to_string()));
        let (child, port) = spawn_ready("http_receiver.py", &all);
        Some(Receiver {
            port,
            record: record.to_path_buf(),
            child: Some(child),
        })
    }

    /// `http://127.0.0.1:PORT/PATH`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}/{path}", self.port)
    }

    /// Kills it (its port then refuses connections).
    pub(crate) fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Every request recorded so far.
    pub(crate) fn requests(&self) -> Vec<Value> {
        read_jsonl(&self.record)
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The records of a JSON-lines file (none when it does not exist).
pub(crate) fn read_jsonl(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

/// `tests/peers/smtp_server.py` (aiosmtpd, STARTTLS and AUTH required); killed when dropped.
pub(crate) struct SmtpServer {
    /// Its port.
    pub port: u16,
    record: PathBuf,
    child: Child,
}

impl SmtpServer {
    /// Starts it with the certificate `cert` (chain) and key `key`, accepting `user` with
    /// `password`; `None` when aiosmtpd is missing (and that is allowed).
    pub(crate) fn start(
        dir: &Path,
        cert: &Path,
        key: &Path,
        user: &str,
        password: &str,
    ) -> Option<SmtpServer> {
        if !peers::python3() || !peers::aiosmtpd() {
            return None;
        }
        let record = dir.join("mails.jsonl");
        let args: Vec<String> = [
            "--record",
            &record.display().to_string(),
            "--cert",
            &cert.display().to_string(),
            "--keyfile",
            &key.display().to_string(),
            "--user",
            user,
            "--password",
            password,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let (child, port) = spawn_ready("smtp_server.py", &args);
        Some(SmtpServer {
            port,
            record,
            child,
        })
    }

    /// The messages accepted so far.
    pub(crate) fn mails(&self) -> Vec<Value> {
        read_jsonl(&self.record)
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A configuration with one webhook channel `hook` to `127.0.0.1:port/alarms` (timeout 1 s,
/// back-off 100–400 ms), routed every notice, `extra` keys in `[notify]`.
pub(crate) fn hook_config(port: u16, extra: &str) -> String {
    format!(
        r#"store = "sqlite:lantian.db"

[notify]
retry = {{ initial_ms = 100, max_ms = 400 }}
{extra}

[[notify.channel]]
name = "hook"
kind = "webhook"
url = "http://127.0.0.1:{port}/alarms"
timeout_ms = 1000

[[notify.route]]
channels = ["hook"]
"#
    )
}

/// Waits (up to 20 s) until a message of `channel` has been tried `attempts` times.
pub(crate) async fn tried(n: &Notifier, channel: &str, attempts: u32) -> bool {
    eventually(Duration::from_secs(20), || {
        messages(n, channel).iter().any(|m| m.attempts >= attempts)
    })
    .await
}

/// Waits (up to 15 s) until every message of `channel` is delivered; fails showing them
/// otherwise.
pub(crate) async fn delivered_all(n: &Notifier, channel: &str) {
    let done = eventually(Duration::from_secs(15), || {
        all_in(n, channel, State::Delivered)
    })
    .await;
    assert!(done, "{:#?}", messages(n, channel));
}

/// `lantian alarms test-notify CHANNEL` as a library call, with `config`'s outbox.
pub(crate) async fn send_test(
    config: &Config,
    channel: &str,
    wait: Duration,
) -> Result<TestReport, NotifyError> {
    test_notify(
        config.notify.clone(),
        &config.outbox_path(),
        chrono_tz::Asia::Shanghai,
        channel,
        wait,
    )
    .await
}

/// Writes `toml` as `dir/lantian.toml` and loads it.
pub(crate) fn config(dir: &Path, toml: &str) -> Config {
    let path = dir.join("lantian.toml");
    std::fs::write(&path, toml).unwrap();
    Config::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

/// The notifier of `config` (the network in Asia/Shanghai).
pub(crate) fn notifier(config: &Config) -> Notifier {
    Notifier::open(
        config.notify.clone(),
        &config.outbox_path(),
        chrono_tz::Asia::Shanghai,
    )
    .unwrap()
}

/// A PM2.5 alarm of `station` opened at `opened`, told as `change` at `at`.
pub(crate) fn notice(
    station: &str,
    opened: DateTime<Utc>,
    event: Event,
    at: DateTime<Utc>,
) -> AlarmNotice {
    let o = |v| Observation {
        time: opened,
        value: v,
    };
    AlarmNotice {
        rule: "pm25_1h".into(),
        subject: AlarmSubject::Station(station.into()),
        opened,
        event,
        at,
        kind: AlarmKind::Threshold,
        severity: Severity::Major,
        evidence: AlarmEvidence {
            measure: Measure::Value {
                parameter: Parameter::Pm25,
                averaging: Averaging::Hour,
            },
            direction: Direction::Above,
            threshold: 150.0,
            clear_level: 115.0,
            first: o(186.0),
            last: o(186.0),
            peak: o(186.0),
            warning: None,
        },
        stale: false,
        place: Place {
            name: Some(format!("站点{station}")),
            name_en: Some(format!("Station {station}")),
            district: Some("莞城街道".into()),
        },
    }
}

/// An hour ago, to the second.
pub(crate) fn an_hour_ago() -> DateTime<Utc> {
    DateTime::from_timestamp(Utc::now().timestamp() - 3600, 0).unwrap()
}

/// Minutes after `t`.
pub(crate) fn minutes(t: DateTime<Utc>, m: i64) -> DateTime<Utc> {
    t + TimeDelta::minutes(m)
}

/// Polls `f` every 50 ms until it is true or `limit` passes; whether it became true.
pub(crate) async fn eventually(limit: Duration, mut f: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if f() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    f()
}

/// The messages of `channel` in the outbox.
pub(crate) fn messages(n: &Notifier, channel: &str) -> Vec<Message> {
    n.with_outbox(|o| o.messages(channel)).unwrap()
}

/// Whether every message of `channel` is in `state`.
pub(crate) fn all_in(n: &Notifier, channel: &str, state: State) -> bool {
    let m = messages(n, channel);
    !m.is_empty() && m.iter().all(|m| m.state == state)
}

/// The successful requests' idempotency keys, sorted (repeats kept).
pub(crate) fn keys_received(requests: &[Value]) -> Vec<String> {
    let mut keys: Vec<String> = requests
        .iter()
        .filter(|r| r["status"] == 200)
        .map(|r| r["key"].as_str().unwrap_or_default().to_string())
        .collect();
    keys.sort();
    keys
}
