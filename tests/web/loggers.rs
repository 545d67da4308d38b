//! HJ 212 loggers from the platform (`/api/v1/loggers`) against the independent Python peer
//! in logger mode (`tests/peers/hj212_peer.py`, written from the standard's text): each
//! logger's connection state, a clock setting (1012) and a real-time interval (1062) sent by a
//! maintainer and executed by the peer, role and CSRF checks, the audit log; and the clear
//! refusal of a platform without an HJ 212 listener (`lantian serve` alone).

use std::path::Path;
use std::time::Duration;

use lantian::clock::Clock;
use lantian::collect::hj212::{Hj212Config, Hj212Listener, Loggers};
use lantian::collect::{CollectorConfig, Pipeline, SpoolConfig};
use lantian::compute::IndexConfig;
use lantian::registry::Registry;
use lantian::store::spool::Spool;
use lantian::store::sqlite::SqliteStore;
use lantian::store::{StationStore, StoreUrl};
use lantian::web::WebConfig;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::common::hj212_peer::{DEVICE, MN, PW, run_logger, write_network};
use crate::common::peers::python3;
use crate::harness::Web;

/// The test network's logger.
/// A network of one micro-station with an HJ 212 logger; its registry.
fn network(dir: &Path) -> Registry {
    Registry::load(&write_network(dir)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn maintainers_set_a_logger_s_clock_and_interval_from_the_platform() {
    if !python3() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let registry = network(dir.path());
    let db = dir.path().join("ingest.db");
    let mut store = SqliteStore::open(&db).unwrap();
    store.put_stations(&registry.station_infos()).unwrap();
    let spool = Spool::open_for(dir.path().join("spool"), 64 << 20, &StoreUrl::Sqlite(db)).unwrap();
    let pipeline = Pipeline::start_spooled(
        &[],
        Clock::real(),
        CollectorConfig::default(),
        IndexConfig::default(),
        Box::new(store),
        spool,
        &SpoolConfig::default(),
    );
    let listener = Hj212Listener::start(
        &Hj212Config::default(),
        "127.0.0.1:0".parse().unwrap(),
        Loggers::from_registry(&registry).unwrap(),
        Clock::real(),
        pipeline.intake(),
        pipeline.health(),
    )
    .await
    .unwrap();
    let control = listener.control();
    let web = Web::start_in(
        dir,
        WebConfig::default(),
        |_| {},
        move |parts| {
            parts.loggers = Some(control);
        },
    )
    .await;
    let (leader, maintainer) = (web.login("leader").await, web.login("maintainer").await);

    let loggers = leader.get("/api/v1/loggers").await;
    assert_eq!(loggers.status, StatusCode::OK, "{}", loggers.text);
    assert_eq!(loggers.json()[0]["device"], DEVICE);
    assert_eq!(loggers.json()[0]["connected"], false);
    let offline = maintainer
        .send(
            Method::POST,
            &format!("/api/v1/loggers/{DEVICE}/time"),
            None,
        )
        .await;
    assert_eq!(offline.status, StatusCode::CONFLICT, "{}", offline.text);
    assert!(
        offline.json()["message"]
            .as_str()
            .unwrap()
            .contains("not connected")
    );

    // The peer logs in, sends one real-time packet and stays a while for commands.
    let port = listener.local_addr().port();
    let peer = tokio::task::spawn_blocking(move || {
        let packet = json!({"cn": 2011, "datatime": "20260301083015", "values": {
            "a34004": {"Rtd": "0.0352", "Flag": "N"}}});
        run_logger(
            &format!("127.0.0.1:{port}"),
            MN,
            PW,
            &[packet],
            &["--linger", "6", "--timeout", "5"],
        )
        .unwrap()
    });
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while leader.get("/api/v1/loggers").await.json()[0]["connected"] != true {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the logger never logged in"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let path = |what: &str| format!("/api/v1/loggers/{DEVICE}/{what}");
    // Leaders read, they do not command; a session's command needs its CSRF token.
    let refused = leader.send(Method::POST, &path("time"), None).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let mut forged = web.login("maintainer").await;
    forged.csrf = None;
    let no_csrf = forged.send(Method::POST, &path("time"), None).await;
    assert_eq!(
        (no_csrf.status, no_csrf.code()),
        (StatusCode::FORBIDDEN, "csrf".into())
    );
    let bad = maintainer
        .send(Method::POST, &path("interval"), Some(json!({"seconds": 5})))
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.text);
    assert!(bad.json()["message"].as_str().unwrap().contains("30–3600"));

    let time = maintainer
        .send(
            Method::POST,
            &path("time"),
            Some(json!({"time": "2026-03-01T00:30:15Z"})),
        )
        .await;
    assert_eq!(time.status, StatusCode::OK, "{}", time.text);
    assert_eq!(time.json()["outcome"]["executed"], true, "{}", time.text);
    let interval = maintainer
        .send(
            Method::POST,
            &format!("/api/v1/loggers/{MN}/interval"),
            Some(json!({"seconds": 60})),
        )
        .await;
    assert_eq!(interval.status, StatusCode::OK, "{}", interval.text);
    let state = &interval.json()["logger"];
    assert_eq!(state["commands"]["clock_sets"], 1, "{state}");
    assert_eq!(state["commands"]["interval_sets"], 1, "{state}");
    assert_eq!(state["last_command"]["command"]["rtd_interval_seconds"], 60);

    // What the logger executed, by its own account.
    let summary = peer.await.unwrap();
    let commands = summary["commands"].as_array().unwrap();
    assert_eq!(commands[0]["cn"], 1012, "{summary}");
    assert_eq!(
        commands[0]["system_time"], "20260301083015",
        "local time: {summary}"
    );
    assert_eq!(commands[1]["cn"], 1062, "{summary}");
    assert_eq!(commands[1]["rtd_interval"], 60, "{summary}");
    let audit = web.server.state.accounts.audit_log(None, 50).unwrap();
    for action in ["logger.time", "logger.interval"] {
        assert!(
            audit
                .iter()
                .any(|e| e.action == action && e.actor == "maintainer" && e.target == MN),
            "{action} audited: {audit:?}"
        );
    }
    web.server.stop().await;
    listener.stop().await;
    pipeline.stop().await.unwrap();
}

#[tokio::test]
async fn a_platform_without_an_hj212_listener_says_so() {
    let web = Web::start().await;
    let maintainer = web.login("maintainer").await;
    for (method, path) in [
        (Method::GET, "/api/v1/loggers"),
        (Method::POST, "/api/v1/loggers/WG-1-logger/time"),
    ] {
        let reply = maintainer.send(method, path, None).await;
        assert_eq!(reply.status, StatusCode::CONFLICT, "{}", reply.text);
        assert!(
            reply.json()["message"]
                .as_str()
                .unwrap()
                .contains("`lantian serve` alone"),
            "{}",
            reply.text
        );
    }
    web.server.stop().await;
}
