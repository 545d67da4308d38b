//! `lantian demo` as a user runs it, on the two-station fixture: the collected day starts at
//! local midnight with complete hours, after the simulated history; the HJ 212 micro-stations'
//! data is stored; the scenario's faults raise their alarms and the notifications reach the
//! demo's receiver.

use std::path::Path;
use std::process::Command;

use chrono::{TimeDelta, TimeZone};
use lantian::store::sqlite::SqliteStore;
use lantian::store::{
    AlarmQuery, AlarmStore, AlarmSubject, Parameters, ReadingQuery, ReadingStore, Resolution,
    Stations,
};
use lantian::units::Parameter;

const BIN: &str = env!("CARGO_BIN_EXE_lantian");

/// Regression: the demo started its accelerated clock before computing the history, so the
/// seconds the history took (hours at ×1440) were missing from the start of the collected day.
#[test]
fn the_collected_day_starts_complete_after_the_history() {
    let dir = tempfile::tempdir().unwrap();
    // Without the alarm stage: what is checked is collection alone.
    let stdout = run_demo(
        dir.path(),
        "network.toml",
        "seed = 5\n",
        "20",
        &["--no-alarms"],
    );
    assert!(stdout.contains("history: 20 day(s)"), "{stdout}");

    let store = SqliteStore::open(dir.path().join("out/lantian.db")).unwrap();
    let midnight = chrono_tz::Asia::Shanghai
        .with_ymd_and_hms(2026, 3, 2, 0, 0, 0)
        .unwrap()
        .to_utc();
    let hours = store
        .readings(
            &ReadingQuery::new(
                Resolution::Hour,
                midnight + TimeDelta::hours(1),
                midnight + TimeDelta::hours(4),
            )
            .for_stations(Stations::one("T-B"))
            .for_parameters(Parameters::one(Parameter::Pm25)),
        )
        .unwrap();
    // Hours ending 01:00–03:00 of the collected day: 10-s polls, every minute valid but at
    // most the very first one (the connection is being opened).
    assert_eq!(hours.len(), 3, "{hours:?}");
    assert!(hours.iter().all(|h| h.count >= 59), "{hours:?}");
}

/// The demo's HJ 212 group: micro-stations of the network upload from the simulator's loggers
/// (one with a bad CRC for an hour, one disconnecting after every packet for two hours) to
/// the demo's listener; their minute and hourly data are stored beside the Modbus stations'.
#[test]
fn the_hj212_micro_stations_data_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    // No PW in the environment: the demo generates them.
    let stdout = run_demo(
        dir.path(),
        "with-micro.toml",
        "seed = 5\n[hj212]\nplatform = \"127.0.0.1:9\"\nack_timeout = \"300ms\"\n\
         realtime_interval = \"5m\"\n\
         [[fault]]\ndevice = \"T-M1-logger\"\nkind = \"bad_crc\"\nafter = \"6h\"\nduration = \"1h\"\n\
         [[fault]]\ndevice = \"T-M2-logger\"\nkind = \"disconnect\"\nafter = \"12h\"\nduration = \"2h\"\n",
        "0",
        &["--no-alarms"],
    );
    let line = stdout
        .lines()
        .find(|l| l.starts_with("HJ 212: 2 loggers sent"))
        .unwrap_or_else(|| panic!("no HJ 212 summary:\n{stdout}"));
    assert!(line.contains("rejected bad-crc"), "{line}");
    eprintln!("{line}");

    let store = SqliteStore::open(dir.path().join("out/lantian.db")).unwrap();
    let midnight = chrono_tz::Asia::Shanghai
        .with_ymd_and_hms(2026, 3, 2, 0, 0, 0)
        .unwrap()
        .to_utc();
    for station in ["T-M1", "T-M2"] {
        // 5-minute data: 288 a day, but for the last ones still waiting when the demo stops.
        for (resolution, at_least) in [(Resolution::Minute, 276), (Resolution::Hour, 23)] {
            let stored = store
                .readings(
                    &ReadingQuery::new(resolution, midnight, midnight + TimeDelta::days(1))
                        .for_stations(Stations::one(station))
                        .for_parameters(Parameters::one(Parameter::Pm25)),
                )
                .unwrap();
            assert!(
                stored.len() >= at_least,
                "{station} {resolution:?}: {} records\n{stdout}",
                stored.len()
            );
        }
    }
}

/// The fixture's faults (every kind on its own device, 00:20–00:50): the offline device and the
/// one in alarm raise their device alarms, the demo lists them, and every notification the
/// receiver took is a line of `notifications.jsonl`, among them the offline alarm's opening.
#[test]
fn the_faults_raise_alarms_whose_notifications_reach_the_receiver() {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let faults =
        std::fs::read_to_string(root.join("tests/fixtures/two-stations/faults.toml")).unwrap();
    let stdout = run_demo(dir.path(), "network.toml", &faults, "0", &[]);
    let raised = stdout
        .lines()
        .find(|l| l.starts_with("alarms raised: "))
        .unwrap_or_else(|| panic!("no alarms line:\n{stdout}"));
    assert!(raised.contains("设备状态"), "{raised}");

    let store = SqliteStore::open(dir.path().join("out/lantian.db")).unwrap();
    let alarms = store
        .alarms(&AlarmQuery::new(
            chrono::DateTime::<chrono::Utc>::MIN_UTC,
            chrono::DateTime::<chrono::Utc>::MAX_UTC,
        ))
        .unwrap();
    let offline = AlarmSubject::Device {
        station: "T-A".into(),
        device: "T-A-NOX".into(),
    };
    let opened = alarms
        .iter()
        .find(|a| a.rule == "offline" && a.subject == offline)
        .unwrap_or_else(|| panic!("no offline alarm of T-A-NOX:\n{stdout}"));

    let line = stdout
        .lines()
        .find(|l| l.starts_with("notifications: "))
        .unwrap_or_else(|| panic!("no notifications line:\n{stdout}"));
    let received: usize = line["notifications: ".len()..]
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let text = std::fs::read_to_string(dir.path().join("out/notifications.jsonl")).unwrap();
    let messages: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(messages.len(), received, "{line}");
    let id = opened.id().to_string();
    assert!(
        messages
            .iter()
            .any(|m| m["message"]["alarm_id"] == id.as_str()
                && m["message"]["notification"]["event"]["event"] == "opened"),
        "no opening message of {id} among {} messages",
        messages.len()
    );
}

/// Runs `lantian demo` on 2 March 2026 at ×2880 in `dir` with the two-station fixture's
/// `network` file and `scenario`, after `history_days` of history, with `extra` options; its
/// standard output.
fn run_demo(
    dir: &Path,
    network: &str,
    scenario: &str,
    history_days: &str,
    extra: &[&str],
) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::write(dir.join("scenario.toml"), scenario).unwrap();
    let config = dir.join("lantian.toml");
    std::fs::write(
        &config,
        format!(
            "registry = \"{}\"\nscenario = \"scenario.toml\"\n",
            root.join("tests/fixtures/two-stations")
                .join(network)
                .display()
        ),
    )
    .unwrap();
    let out = Command::new(BIN)
        .current_dir(dir)
        .arg("--config")
        .arg(&config)
        .args(["-q", "demo", "--out", "out", "--date", "2026-03-02"])
        .args(["--speed", "2880", "--history-days", history_days])
        .args(extra)
        .env_remove("LT_TEST_MICRO1_PW")
        .env_remove("LT_TEST_MICRO2_PW")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// `lantian demo --serve` prints the platform's address and a login made for the run, and
/// keeps serving after the demo: the printed login works against the printed address (and a
/// wrong password does not), until the process is told to stop.
#[cfg(feature = "web")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_serves_the_platform_with_the_login_it_prints() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;

    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::write(dir.path().join("scenario.toml"), "seed = 5\n").unwrap();
    let config = dir.path().join("lantian.toml");
    std::fs::write(
        &config,
        format!(
            "registry = \"{}\"\nscenario = \"scenario.toml\"\n",
            root.join("tests/fixtures/two-stations/network.toml")
                .display()
        ),
    )
    .unwrap();
    let mut child = Command::new(BIN)
        .current_dir(dir.path())
        .arg("--config")
        .arg(&config)
        .args(["-q", "demo", "--out", "out", "--date", "2026-03-02"])
        .args([
            "--speed",
            "5760",
            "--history-days",
            "0",
            "--no-alarms",
            "--serve",
        ])
        .env_remove("LT_TEST_MICRO1_PW")
        .env_remove("LT_TEST_MICRO2_PW")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // The demo's output up to the line after the run says it keeps serving.
    let stdout = child.stdout.take().unwrap();
    let lines = tokio::task::spawn_blocking(move || {
        let mut seen = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let line = line.unwrap();
            let done = line.starts_with("serving until Ctrl-C");
            seen.push(line);
            if done {
                break;
            }
        }
        seen
    })
    .await
    .unwrap();
    let all = lines.join("\n");
    assert!(all.contains("serving until Ctrl-C"), "{all}");
    // The address and login printed last (after the demo's summary).
    let last = |prefix: &str| {
        lines
            .iter()
            .rev()
            .find_map(|l| l.strip_prefix(prefix))
            .unwrap_or_else(|| panic!("no `{prefix}` line:\n{all}"))
            .to_string()
    };
    let url = last("platform: ");
    let login = last("login: ");
    let (user, password) = login.split_once(" / ").unwrap();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    assert!(
        dir.path().join("out/lantian.db-web.db").exists(),
        "the accounts beside the store"
    );

    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::new();
    let session = |password: &str| {
        http.post(format!("{url}api/v1/session"))
            .header("content-type", "application/json")
            .body(serde_json::json!({"username": user, "password": password}).to_string())
            .send()
    };
    let wrong = session("not the password").await.unwrap();
    assert_eq!(wrong.status(), reqwest::StatusCode::UNAUTHORIZED);
    let ok = session(password).await.unwrap();
    assert_eq!(ok.status(), reqwest::StatusCode::OK);
    let cookie = ok
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("lantian_session="))
        .map(|v| v.split(';').next().unwrap().to_string())
        .expect("a session cookie");
    let stations = http
        .get(format!("{url}api/v1/stations"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(stations.status(), reqwest::StatusCode::OK);
    let stations: serde_json::Value =
        serde_json::from_str(&stations.text().await.unwrap()).unwrap();
    assert_eq!(stations.as_array().unwrap().len(), 2, "{stations}");

    // Ctrl-C (SIGINT) ends it.
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exited = child.wait().unwrap();
    assert!(exited.success(), "{exited:?}");
}
