//! The whole pipeline (simulator → Modbus → collectors → spool → SQLite) with the store
//! locked by another connection, so everything spools, then the collector killed with
//! SIGKILL. After a restart without the lock, every spooled reading lands exactly once — the
//! same readings a clean run of the same simulated period stores.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use crate::common::harness::root;
use chrono::{DateTime, TimeDelta, Utc};
use lantian::clock::Clock;
use lantian::collect::sink::SinkStats;
use lantian::collect::{CollectorConfig, Pipeline, SpoolConfig};
use lantian::compute::IndexConfig;
use lantian::registry::Registry;
use lantian::sim::environment::Environment;
use lantian::sim::scenario::Scenario;
use lantian::sim::server::{Bind, Simulator};
use lantian::store::spool::Spool;
use lantian::store::sqlite::SqliteStore;
use lantian::store::{Resolution, StationStore, Store};

const CHILD_ENV: &str = "LANTIAN_TEST_PIPELINE_CHILD";
const MODE_ENV: &str = "LANTIAN_TEST_PIPELINE_MODE";
/// ×120: a 10-s poll every 83 ms of real time.
const SPEED: f64 = 120.0;
/// Simulated minutes collected (the fixture's faults start at +20 min).
const PERIOD: i64 = 8;

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-01T00:00:00+08:00")
        .unwrap()
        .to_utc()
}

fn fixture() -> std::path::PathBuf {
    root().join("tests/fixtures/two-stations")
}

fn collect_config() -> CollectorConfig {
    CollectorConfig {
        timeout: Duration::from_millis(150),
        retries: 1,
        backoff_initial: Duration::from_millis(5),
        backoff_max: Duration::from_millis(100),
        ..CollectorConfig::default()
    }
}

/// Runs the simulator and a spooled pipeline into `dir/store.db` for `PERIOD` simulated
/// minutes. `watch` is called every 20 ms with the pipeline running.
async fn collect(
    dir: &Path,
    spool_config: &SpoolConfig,
    mut watch: impl FnMut(&Pipeline),
) -> SinkStats {
    let mut registry = Registry::load(&fixture().join("network.toml")).unwrap();
    let scenario = Scenario::load(fixture().join("faults.toml")).unwrap();
    let environment = Arc::new(Environment::new(scenario, &registry, t0()).unwrap());
    let clock = Clock::scaled(t0() - TimeDelta::seconds(1), SPEED);
    let sim = Simulator::start(
        &registry,
        environment,
        clock.clone(),
        Bind::Loopback(Default::default()),
    )
    .await
    .unwrap();
    sim.redirect(&mut registry);
    // Opening needs no write: the parent created the file (and may hold its write lock).
    let store = SqliteStore::open(dir.join("store.db")).unwrap();
    let spool = Spool::open(dir.join("spool"), 1 << 30).unwrap();
    let devices: Vec<_> = registry.devices().cloned().collect();
    let pipeline = Pipeline::start_spooled(
        &devices,
        clock.clone(),
        collect_config(),
        IndexConfig::default(),
        Box::new(store),
        spool,
        spool_config,
    );
    while clock.now() < t0() + TimeDelta::minutes(PERIOD) + TimeDelta::seconds(2) {
        watch(&pipeline);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let status = pipeline.spool.clone();
    let stop = tokio::spawn(pipeline.stop());
    // Keep reporting while the sink spools the last batches (and, store locked, waits).
    let stats = loop {
        if stop.is_finished() {
            break stop.await.unwrap().unwrap();
        }
        let s = status.snapshot();
        println!("durable {}", s.depth.records);
        if s.draining {
            println!("all-spooled {}", s.depth.records);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    sim.stop().await;
    stats
}

/// Child mode: collects with the store locked by the parent (so everything spools) and
/// reports what is durable, until killed. A no-op in a normal test run.
#[test]
fn pipeline_child() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let config = SpoolConfig {
        retry_max: Duration::from_millis(200),
        drain_timeout: Duration::from_secs(600),
        ..SpoolConfig::default()
    };
    runtime.block_on(collect(Path::new(&dir), &config, |p| {
        println!("durable {}", p.spool.snapshot().depth.records);
    }));
}

/// A store with the fixture's stations.
fn new_store(dir: &Path) {
    let registry = Registry::load(&fixture().join("network.toml")).unwrap();
    let mut store = SqliteStore::open(dir.join("store.db")).unwrap();
    store.put_stations(&registry.station_infos()).unwrap();
}

fn minute_keys(store: &dyn Store) -> BTreeSet<(String, String, i64)> {
    crate::common::harness::minute_keys(store, t0(), t0() + TimeDelta::minutes(PERIOD))
}

fn total(store: &dyn Store) -> u64 {
    Resolution::ALL
        .iter()
        .map(|r| store.count_readings(*r).unwrap())
        .sum()
}

/// Runs the child until `kill_when` says so, then SIGKILLs it. Returns the last durable count.
fn run_child_and_kill(dir: &Path, mode: &str, kill_when: impl Fn(&str, u64) -> bool) -> u64 {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "spool_pipeline::pipeline_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, dir)
        .env(MODE_ENV, mode)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut durable = 0;
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        let Some((what, n)) = line.split_once(' ') else {
            continue;
        };
        let Ok(n) = n.parse::<u64>() else { continue };
        durable = durable.max(n);
        if kill_when(what, n) {
            child.kill().unwrap();
            break;
        }
    }
    child.wait().unwrap();
    durable
}

/// Replays the spool of `dir` into its store with a pipeline that has no devices.
async fn replay(dir: &Path) -> SinkStats {
    let store = SqliteStore::open(dir.join("store.db")).unwrap();
    let spool = Spool::open(dir.join("spool"), 1 << 30).expect("the spool opens after kill -9");
    let pipeline = Pipeline::start_spooled(
        &[],
        Clock::real(),
        collect_config(),
        IndexConfig::default(),
        Box::new(store),
        spool,
        &SpoolConfig::default(),
    );
    pipeline.stop().await.unwrap()
}

/// Every key in the spool of `dir` (read from a copy), checking none repeats.
fn spooled_keys(dir: &Path) -> usize {
    let copy = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(dir.join("spool")).unwrap() {
        let e = e.unwrap();
        if e.file_name() != "LOCK" {
            std::fs::copy(e.path(), copy.path().join(e.file_name())).unwrap();
        }
    }
    let mut spool = Spool::open(copy.path(), 1 << 30).unwrap();
    let mut keys = BTreeSet::new();
    let mut n = 0;
    while let Some(b) = spool.peek_oldest().unwrap() {
        for r in &b.records {
            n += 1;
            assert!(
                keys.insert((r.station.clone(), r.parameter, r.resolution, r.time)),
                "{r:?} spooled twice"
            );
        }
        spool.ack(b.seq).unwrap();
    }
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_while_spooling_then_restarted_everything_lands_once() {
    // Killed run: the store is locked the whole time; killed once everything is spooled.
    let killed = tempfile::tempdir().unwrap();
    new_store(killed.path());
    let lock = rusqlite::Connection::open(killed.path().join("store.db")).unwrap();
    lock.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let durable = run_child_and_kill(killed.path(), "end", |what, _| what == "all-spooled");
    lock.execute_batch("COMMIT").unwrap();
    drop(lock);
    assert_eq!(
        total(&SqliteStore::open(killed.path().join("store.db")).unwrap()),
        0
    );
    let spooled = spooled_keys(killed.path()) as u64;
    assert_eq!(
        spooled, durable,
        "the spool holds what the child reported durable"
    );
    let stats = replay(killed.path()).await;
    assert_eq!((stats.replayed, stats.left_in_spool), (spooled, 0));
    let store = SqliteStore::open(killed.path().join("store.db")).unwrap();
    assert_eq!(total(&store), spooled, "each spooled reading once");
    // A second restart finds nothing to do.
    assert_eq!(replay(killed.path()).await.replayed, 0);

    // Clean run of the same period.
    let clean = tempfile::tempdir().unwrap();
    new_store(clean.path());
    let stats = collect(clean.path(), &SpoolConfig::default(), |_| {}).await;
    assert_eq!(stats.left_in_spool, 0);
    let clean_store = SqliteStore::open(clean.path().join("store.db")).unwrap();
    let (a, b) = (minute_keys(&store), minute_keys(&clean_store));
    // Two stations' healthy and (not yet) faulty devices: several parameters × 8 minutes.
    assert!(
        b.len() >= 8 * 10,
        "{} minute records in the clean run",
        b.len()
    );
    assert_eq!(
        a, b,
        "the outage run stored the same minutes as the clean run"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_in_the_middle_of_collection_keeps_every_durable_batch() {
    let dir = tempfile::tempdir().unwrap();
    new_store(dir.path());
    let lock = rusqlite::Connection::open(dir.path().join("store.db")).unwrap();
    lock.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let durable = run_child_and_kill(dir.path(), "mid", |_, n| n >= 150);
    lock.execute_batch("COMMIT").unwrap();
    drop(lock);
    let spooled = spooled_keys(dir.path()) as u64;
    // What was reported durable is there; a batch appended after the last report may be too.
    assert!(
        spooled >= durable && durable >= 150,
        "{spooled} spooled, {durable} reported"
    );
    let stats = replay(dir.path()).await;
    assert_eq!(stats.replayed, spooled);
    let store = SqliteStore::open(dir.path().join("store.db")).unwrap();
    assert_eq!(total(&store), spooled);
}
