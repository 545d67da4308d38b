//! The pages in a real browser: log in; the overview's map shows the simulator's stations in
//! their AQI categories' official colours; a new hourly value arrives and the map changes
//! without a reload (server-sent events); device health and its problems filter; a maintainer
//! acknowledges an alarm (in the audit log the administrator reads); a leader cannot handle
//! alarms or reach the admin page; a logged-out
//! browser is sent to the login page; no page logs a JavaScript error. Screenshots (wall,
//! phone) are kept in `target/web-screenshots/`.
//!
//! `browser.py` (selenium) does what a person does and checks what they see; this side fills
//! the store, starts the server, and writes the new hour when the browser is ready. Skipped
//! with a message without chromium, chromedriver or selenium; fails instead under `CI` or
//! `LANTIAN_REQUIRE_PEERS` (`scripts/test` installs them).

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use lantian::alarms::{AlarmBook, Raise};
use lantian::assess::DateRange;
use lantian::compute::{IndexConfig, recompute_days};
use lantian::quality::Flag;
use lantian::registry::Registry;
use lantian::sim::environment::Environment;
use lantian::sim::scenario::Scenario;
use lantian::store::sqlite::SqliteStore;
use lantian::store::{
    AlarmKind, AlarmSubject, Averaging, Direction, IndexQuery, Measure, Observation, ReadingStore,
    Record, Resolution, Severity, StationStore, Store, StoreUrl,
};
use lantian::units::Parameter;
use lantian::web::{Accounts, LoginPolicy, Role, Server, ServerParts, WebConfig};
use serde_json::{Value, json};

use crate::common::peers;

/// The hour the simulated history ends (a UTC hour label).
pub(crate) fn end() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 10, 4, 0, 0).unwrap()
}

/// The simulator's network with two days of hourly history and their indices.
pub(crate) fn fill_store(path: &Path, registry: &Registry) -> SqliteStore {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let scenario = Scenario::load(root.join("stations/scenarios/dongguan-demo.toml")).unwrap();
    let from = end() - TimeDelta::days(2);
    let environment = Environment::new(scenario, registry, from).unwrap();
    let records = lantian::sim::history::hourly_history(&environment, registry, from, end(), 45);
    let mut store = SqliteStore::open(path).unwrap();
    store.put_stations(&registry.station_infos()).unwrap();
    store.put_readings(&records).unwrap();
    recompute(&mut store, registry, from, end());
    store
}

/// Recomputes the indices of the local days from `from` to `to`.
fn recompute(store: &mut dyn Store, registry: &Registry, from: DateTime<Utc>, to: DateTime<Utc>) {
    let tz = registry.network.time_zone;
    let days = DateRange {
        first: from.with_timezone(&tz).date_naive(),
        last: to.with_timezone(&tz).date_naive(),
    };
    let stations: Vec<String> = registry.stations.iter().map(|s| s.id.to_string()).collect();
    recompute_days(store, IndexConfig::default(), &stations, days).unwrap();
}

/// Each station's stored AQI of the hour `label`.
pub(crate) fn aqi_of_hour(store: &dyn Store, label: DateTime<Utc>) -> Value {
    let records = store
        .indices(&IndexQuery::new(
            Resolution::Hour,
            label,
            label + TimeDelta::seconds(1),
        ))
        .unwrap();
    let mut out = serde_json::Map::new();
    for station in store.stations().unwrap() {
        let aqi = records
            .iter()
            .find(|r| *r.station == *station.id)
            .and_then(|r| r.aqi);
        out.insert(station.id.clone(), json!(aqi));
    }
    Value::Object(out)
}

/// An open PM2.5 alarm at the first station.
fn open_alarm(store: &mut SqliteStore, station: &str) -> String {
    let raise = Raise {
        rule: "pm25-1h".into(),
        subject: AlarmSubject::StationParameter(station.into(), Parameter::Pm25),
        kind: AlarmKind::Threshold,
        severity: Severity::Major,
        measure: Measure::Value {
            parameter: Parameter::Pm25,
            averaging: Averaging::Hour,
        },
        direction: Direction::Above,
        threshold: 150.0,
        clear_level: 115.0,
        value: Observation {
            time: end(),
            value: 162.5,
        },
        warning: None,
        stale: false,
    };
    let raised = AlarmBook::new(store).raise(&raise, end()).unwrap();
    raised.alarm().id().to_string()
}

/// The new hour: heavy pollution at `station` (every pollutant the AQI needs, flagged valid).
fn heavy_hour(station: &str, label: DateTime<Utc>) -> Vec<Record> {
    [
        (Parameter::Pm25, 180.0),
        (Parameter::Pm10, 260.0),
        (Parameter::So2, 12.0),
        (Parameter::No2, 60.0),
        (Parameter::Co, 1.1),
        (Parameter::O3, 40.0),
    ]
    .into_iter()
    .map(|(parameter, value)| Record {
        station: station.into(),
        parameter,
        resolution: Resolution::Hour,
        time: label,
        value,
        flag: Flag::Normal,
        count: 60,
    })
    .collect()
}

/// Debian's Python, which has Debian's selenium (`python3-selenium`; a `python3` earlier on the
/// PATH may be another installation).
pub(crate) const PYTHON: &str = "/usr/bin/python3";

pub(crate) fn selenium() -> bool {
    let found = Command::new(PYTHON)
        .args(["-c", "import selenium"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    peers::require("python3-selenium", found)
        && peers::require(
            "chromedriver",
            peers::runs("/usr/bin/chromedriver", &["--version"]),
        )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_in_a_real_browser() {
    if peers::chromium().is_none() || !selenium() {
        return;
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let registry = Registry::load(&root.join("stations/dongguan.toml")).unwrap();
    let db = dir.path().join("web.db");
    let mut store = fill_store(&db, &registry);
    let first = registry.stations[0].id.to_string();
    let alarm = open_alarm(&mut store, &first);
    let expected = aqi_of_hour(&store, end());

    let accounts_path = dir.path().join("accounts.db");
    {
        let accounts = Accounts::open(&accounts_path, LoginPolicy::default()).unwrap();
        accounts
            .add_user("wang", Role::Maintainer, "maintainer-pass-1", "test")
            .unwrap();
        accounts
            .add_user("li", Role::Leader, "leader-pass-1", "test")
            .unwrap();
        accounts
            .add_user("zhao", Role::Admin, "admin-pass-1", "test")
            .unwrap();
    }
    let url: StoreUrl = format!("sqlite:{}", db.display()).parse().unwrap();
    let settings = WebConfig {
        poll_seconds: 1,
        ..WebConfig::default()
    };
    let server = Server::start(
        ServerParts {
            settings,
            store: (url, Box::new(SqliteStore::open(&db).unwrap())),
            registry: Some(Arc::new(registry.clone())),
            accounts: accounts_path,
            report_dir: dir.path().join("reports"),
            alarm_hook: None,
            loggers: None,
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let base = format!("http://{}", server.addr);

    let shots = root.join("target/web-screenshots");
    let profile = dir.path().join("chromium-profile");
    std::fs::create_dir_all(&profile).unwrap();
    let mut child = Command::new(PYTHON)
        .arg(root.join("tests/web/browser.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start browser.py");
    let mut to_script = child.stdin.take().unwrap();
    let mut from_script = BufReader::new(child.stdout.take().unwrap());
    let setup = json!({
        "base": base,
        "screenshots": shots,
        "profile": profile,
        "maintainer": {"name": "wang", "password": "maintainer-pass-1"},
        "leader": {"name": "li", "password": "leader-pass-1"},
        "admin": {"name": "zhao", "password": "admin-pass-1"},
        "aqi": expected,
        "alarm": alarm,
        "admin_pages": ["/admin"],
    });
    writeln!(to_script, "{setup}").unwrap();

    let mut done = None;
    let mut line = String::new();
    while tokio::task::block_in_place(|| from_script.read_line(&mut line)).unwrap() > 0 {
        let message: Value = serde_json::from_str(line.trim()).expect("a JSON line");
        line.clear();
        if message["ready"] == "hour" {
            let label = end() + TimeDelta::hours(1);
            store.put_readings(&heavy_hour(&first, label)).unwrap();
            recompute(&mut store, &registry, label, label);
            let aqi = aqi_of_hour(&store, label)[&first].clone();
            assert!(
                aqi.as_u64().is_some_and(|a| a > 150),
                "the heavy hour's AQI: {aqi}"
            );
            writeln!(to_script, "{}", json!({"station": first, "aqi": aqi})).unwrap();
        } else if message["done"] == true {
            done = Some(message);
        }
    }
    let status = tokio::task::block_in_place(|| child.wait()).unwrap();
    server.stop().await;
    assert!(
        status.success(),
        "browser.py failed (see its message above)"
    );
    let done = done.expect("browser.py said it was done");
    let checks = done["checks"].as_array().unwrap();
    assert!(checks.len() >= 20, "checks: {checks:?}");
    for shot in [
        "login",
        "overview-1920x1080",
        "overview-after-new-hour",
        "health",
        "alarm-acknowledged",
        "overview-phone",
        "admin",
    ] {
        assert!(
            shots.join(format!("{shot}.png")).is_file(),
            "screenshot {shot}"
        );
    }
}
