//! `lantian hj212 listen` killed with SIGKILL after the peer's packets were acknowledged while
//! the store was locked (so that they were only in the spool): everything acknowledged is in
//! the store after a restart (the spool replays it). The restart is `lantian run` with
//! `[hj212] listen`, which starts the same listener.

use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use lantian::store::sqlite::SqliteStore;
use lantian::store::{HealthStore, ReadingStore, Resolution};

use super::ingest::{a_day_of_packets, run_peer, write_network};
use crate::common::hj212_peer::python3;
use crate::common::peers::free_port;

const BIN: &str = env!("CARGO_BIN_EXE_lantian");

fn write_config(dir: &Path, port: u16) -> std::path::PathBuf {
    write_network(dir);
    let config = dir.join("lantian.toml");
    std::fs::write(
        &config,
        format!(
            "registry = \"network.toml\"\nstore = \"sqlite:ingest.db\"\n\
             [hj212]\nlisten = \"127.0.0.1:{port}\"\n\
             [[job]]\nname = \"hourly-indices\"\nschedule = \"5 * * * *\"\nkind = \"indices\"\n"
        ),
    )
    .unwrap();
    config
}

/// Starts `lantian --config CONFIG ARGS…` and waits until `port` accepts connections.
fn start(config: &Path, args: &[&str], port: u16) -> Child {
    let child = Command::new(BIN)
        .arg("--config")
        .arg(config)
        .args(args)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "lantian never listened on {port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn everything_acknowledged_survives_a_kill_9() {
    if !python3() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let config = write_config(dir.path(), port);
    let db = dir.path().join("ingest.db");
    let mut server = start(&config, &["-q", "hj212", "listen"], port);
    // Another writer holds the store: lantian's writes wait and fail, the spool keeps all.
    let lock = rusqlite::Connection::open(&db).unwrap();
    lock.execute_batch("BEGIN IMMEDIATE").unwrap();
    let packets = a_day_of_packets();
    let summary = run_peer(port, &packets, &["--together", "9"]).await;
    assert_eq!(summary["acknowledged"], packets.len(), "{summary}");
    // SIGKILL: no chance to drain the spool into the store.
    server.kill().unwrap();
    server.wait().unwrap();
    lock.execute_batch("ROLLBACK").unwrap();
    drop(lock);
    let before = SqliteStore::open(&db).unwrap();
    assert_eq!(
        before.count_readings(Resolution::Hour).unwrap(),
        0,
        "acknowledged while the store was locked: only in the spool"
    );
    drop(before);

    let mut run = start(&config, &["-q", "run", "--duration", "3"], port);
    let status = tokio::task::spawn_blocking(move || run.wait().unwrap())
        .await
        .unwrap();
    assert!(status.success());
    let store = SqliteStore::open(&db).unwrap();
    assert_eq!(store.count_readings(Resolution::Hour).unwrap(), 96);
    assert_eq!(store.count_readings(Resolution::Sample).unwrap(), 2);
    assert_eq!(store.count_readings(Resolution::Minute).unwrap(), 1);
    assert_eq!(store.count_readings(Resolution::Day).unwrap(), 2);
    let health = store.health().unwrap();
    assert!(
        health.iter().any(|h| h.device == "WG-1-logger"),
        "lantian run keeps the logger's health: {health:?}"
    );
}
