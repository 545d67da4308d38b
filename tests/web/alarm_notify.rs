//! An alarm closed by hand in the web is notified as the alarm stage's and `lantian alarms`'
//! steps are: through `notify::ChangeNotices` into the outbox, delivered to a real HTTP
//! receiver (`tests/peers/http_receiver.py`); an acknowledgement is nobody's message.

use std::io::BufRead;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use lantian::config::Config;
use lantian::notify::{ChangeNotices, Notifier, State};
use lantian::web::{AlarmHook, WebConfig};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::peers::python3;
use crate::harness::Web;
use crate::seed;

/// Polls `f` every 100 ms for up to `limit`.
async fn eventually(limit: Duration, mut f: impl FnMut() -> bool) -> bool {
    let end = tokio::time::Instant::now() + limit;
    while tokio::time::Instant::now() < end {
        if f() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    f()
}

/// `tests/peers/http_receiver.py` recording to `record`; its port.
fn receiver(record: &Path) -> (std::process::Child, u16) {
    let mut child = Command::new("python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/http_receiver.py"))
        .args(["--record"])
        .arg(record)
        .args(["--port", "0"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line.trim().strip_prefix("READY ").unwrap().parse().unwrap();
    (child, port)
}

fn requests(record: &Path) -> Vec<Value> {
    std::fs::read_to_string(record)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alarm_closed_by_hand_in_the_web_is_notified() {
    if !python3() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let record = dir.path().join("received.jsonl");
    let (mut child, port) = receiver(&record);
    let toml = format!(
        r#"store = "sqlite:lantian.db"

[notify]
retry = {{ initial_ms = 100, max_ms = 400 }}

[[notify.channel]]
name = "hook"
kind = "webhook"
url = "http://127.0.0.1:{port}/alarms"
timeout_ms = 1000

[[notify.route]]
channels = ["hook"]
"#
    );
    std::fs::write(dir.path().join("lantian.toml"), toml).unwrap();
    let config = Config::load(&dir.path().join("lantian.toml")).unwrap();
    let notifier = Arc::new(
        Notifier::open(
            config.notify.clone(),
            &config.outbox_path(),
            chrono_tz::Asia::Shanghai,
        )
        .unwrap(),
    );
    let delivery = notifier.start(None, None).unwrap();
    let hook_notifier = notifier.clone();
    let mut id = String::new();
    let web = Web::start_in(
        dir,
        WebConfig::default(),
        |s| id = seed::fill(s),
        move |parts| {
            let stations = parts.store.1.stations().unwrap();
            let notices = ChangeNotices::new(hook_notifier, &stations);
            let hook: AlarmHook = Arc::new(move |changes| notices.send(changes));
            parts.alarm_hook = Some(hook);
        },
    )
    .await;
    let maintainer = web.login("maintainer").await;

    // An acknowledgement is nobody's message; the close is.
    let ack = maintainer
        .send(Method::POST, &format!("/api/v1/alarms/{id}/ack"), None)
        .await;
    assert_eq!(ack.status, StatusCode::OK, "{}", ack.text);
    let close = maintainer
        .send(
            Method::POST,
            &format!("/api/v1/alarms/{id}/close"),
            Some(json!({"note": "传感器清洗后恢复"})),
        )
        .await;
    assert_eq!(close.status, StatusCode::OK, "{}", close.text);
    let delivered = eventually(Duration::from_secs(15), || {
        notifier.with_outbox(|o| {
            o.messages("hook")
                .unwrap()
                .iter()
                .any(|m| m.state == State::Delivered)
        })
    })
    .await;
    assert!(delivered, "the close was delivered");
    let received = requests(&record);
    assert_eq!(received.len(), 1, "only the close: {received:#?}");
    let notification = received[0]["body"]["notification"].to_string();
    assert!(
        notification.contains("closed") && notification.contains("传感器清洗后恢复"),
        "{notification}"
    );
    assert!(
        notification.contains("maintainer"),
        "closed by: {notification}"
    );
    delivery.stop().await;
    web.server.stop().await;
    let _ = child.kill();
    let _ = child.wait();
}
