//! Outage of a real InfluxDB in the middle of collection: the server is killed at +3 min
//! and restarted (same data) at +6 min of an 8-minute simulated run. Every reading must
//! arrive exactly once: the same minute records as a SQLite run of the same scenario.
//!
//! Needs `influxd` (Debian package `influxdb`, 1.x) and the InfluxDB backend
//! (`influx+http://HOST:PORT?db=NAME` in `lantian::store::open`); without either it skips
//! with a message (fails when `LANTIAN_REQUIRE_PEERS` is set).

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::harness::root;
use chrono::{DateTime, TimeDelta, Utc};
use lantian::clock::Clock;
use lantian::collect::sink::SinkStats;
use lantian::collect::{CollectorConfig, Pipeline, SpoolConfig, SpoolSnapshot};
use lantian::compute::IndexConfig;
use lantian::registry::Registry;
use lantian::sim::environment::Environment;
use lantian::sim::scenario::Scenario;
use lantian::sim::server::{Bind, Simulator};
use lantian::store::spool::Spool;
use lantian::store::{Resolution, Store, StoreUrl};

const SPEED: f64 = 120.0;
const PERIOD: i64 = 8;

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-01T00:00:00+08:00")
        .unwrap()
        .to_utc()
}

fn skip(why: &str) {
    assert!(
        std::env::var_os("LANTIAN_REQUIRE_PEERS").is_none(),
        "required: {why}"
    );
    eprintln!("skipped: {why}");
}

/// `influxd` 1.x on fixed ports with its data in `dir`, restartable (also the fault
/// campaign's server, `fault_influx.rs`).
pub(crate) struct Influxd {
    child: Option<Child>,
    config: std::path::PathBuf,
    pub(crate) port: u16,
}

impl Influxd {
    pub(crate) fn new(dir: &Path) -> Influxd {
        let (rpc, port) = (
            crate::common::peers::free_port(),
            crate::common::peers::free_port(),
        );
        let d = dir.display();
        let config = dir.join("influxdb.conf");
        std::fs::write(
            &config,
            format!(
                "reporting-disabled = true\nbind-address = \"127.0.0.1:{rpc}\"\n\
                 [meta]\n  dir = \"{d}/meta\"\n  logging-enabled = false\n\
                 [data]\n  dir = \"{d}/data\"\n  wal-dir = \"{d}/wal\"\n  query-log-enabled = false\n\
                 [monitor]\n  store-enabled = false\n\
                 [http]\n  enabled = true\n  bind-address = \"127.0.0.1:{port}\"\n  log-enabled = false\n"
            ),
        )
        .unwrap();
        Influxd {
            child: None,
            config,
            port,
        }
    }

    pub(crate) fn start(&mut self) {
        let child = Command::new("influxd")
            .arg("run")
            .arg("-config")
            .arg(&self.config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("influxd");
        self.child = Some(child);
        let t = Instant::now();
        while self.http("GET", "/ping").is_none() {
            assert!(
                t.elapsed() < Duration::from_secs(30),
                "influxd did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub(crate) fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().unwrap();
            c.wait().unwrap();
        }
    }

    /// The running server's process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.as_ref().expect("influxd running").id()
    }

    /// A bare HTTP/1.0 request; the status line, or `None` when nobody answers.
    fn http(&self, method: &str, path: &str) -> Option<String> {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        write!(
            s,
            "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n"
        )
        .ok()?;
        let mut out = String::new();
        s.read_to_string(&mut out).ok()?;
        let status = out.lines().next()?.to_string();
        status.contains(" 20").then_some(status)
    }
}

impl Drop for Influxd {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Collects `PERIOD` simulated minutes into `store`, calling `at(minute)` once per
/// simulated minute.
async fn collect(
    store: Box<dyn Store>,
    spool_dir: &Path,
    mut at: impl FnMut(i64, &SpoolSnapshot),
) -> SinkStats {
    let fixture = root().join("tests/fixtures/two-stations");
    let mut registry = Registry::load(&fixture.join("network.toml")).unwrap();
    let scenario = Scenario::load(fixture.join("faults.toml")).unwrap();
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
    let mut store = store;
    store.put_stations(&registry.station_infos()).unwrap();
    let config = CollectorConfig {
        timeout: Duration::from_millis(150),
        retries: 1,
        backoff_initial: Duration::from_millis(5),
        backoff_max: Duration::from_millis(100),
        ..CollectorConfig::default()
    };
    let spool_config = SpoolConfig {
        retry_max: Duration::from_millis(500),
        drain_timeout: Duration::from_secs(30),
        ..SpoolConfig::default()
    };
    let devices: Vec<_> = registry.devices().cloned().collect();
    let pipeline = Pipeline::start_spooled(
        &devices,
        clock.clone(),
        config,
        IndexConfig::default(),
        store,
        Spool::open(spool_dir, 1 << 30).unwrap(),
        &spool_config,
    );
    for m in 1..=PERIOD {
        clock.sleep_until(t0() + TimeDelta::minutes(m)).await;
        at(m, &pipeline.spool.snapshot());
    }
    clock
        .sleep_until(t0() + TimeDelta::minutes(PERIOD) + TimeDelta::seconds(2))
        .await;
    let stats = pipeline.stop().await.expect("pipeline");
    sim.stop().await;
    stats
}

fn minute_keys(store: &dyn Store) -> BTreeSet<(String, String, i64)> {
    crate::common::harness::minute_keys(store, t0(), t0() + TimeDelta::minutes(PERIOD))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn influxdb_outage_mid_collection_loses_and_duplicates_nothing() {
    if !Command::new("influxd")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        return skip("influxd (Debian package influxdb) is not installed");
    }
    let dir = tempfile::tempdir().unwrap();
    let mut server = Influxd::new(dir.path());
    server.start();
    assert!(
        server
            .http("POST", "/query?q=CREATE%20DATABASE%20outage")
            .is_some()
    );
    let url = format!("influx+http://127.0.0.1:{}?db=outage", server.port);
    let store = lantian::store::open(&url.parse().unwrap()).unwrap();
    let server = std::sync::Mutex::new(server);
    let mut during = None;
    let stats = collect(store, &dir.path().join("spool"), |m, spool| match m {
        3 => server.lock().unwrap().stop(),
        6 => {
            during = Some(spool.clone());
            server.lock().unwrap().start();
        }
        _ => {}
    })
    .await;
    // While the server was down, readings waited in the spool (the store's writes failed or
    // were still blocked on the dead server).
    let during = during.unwrap();
    assert!(
        during.depth.records > 0,
        "nothing spooled during the outage: {during:?}"
    );
    eprintln!("during the outage: {during:?}\nafter: {stats:?}");
    assert_eq!(stats.left_in_spool, 0);
    assert_eq!(
        stats.records, stats.spooled,
        "every spooled record written once"
    );

    let sqlite_dir = tempfile::tempdir().unwrap();
    let sqlite = lantian::store::open(&StoreUrl::Sqlite(sqlite_dir.path().join("s.db"))).unwrap();
    collect(sqlite, &sqlite_dir.path().join("spool"), |_, _| {}).await;
    let sqlite = lantian::store::open(&StoreUrl::Sqlite(sqlite_dir.path().join("s.db"))).unwrap();
    let influx = lantian::store::open(&url.parse().unwrap()).unwrap();
    let (a, b) = (minute_keys(influx.as_ref()), minute_keys(sqlite.as_ref()));
    eprintln!("{} minute records in both", b.len());
    assert!(b.len() >= 80, "{}", b.len());
    assert_eq!(
        a, b,
        "InfluxDB after the outage holds the minutes of the SQLite run"
    );
    for r in [Resolution::Minute, Resolution::Hour] {
        assert_eq!(
            influx.count_readings(r).unwrap(),
            sqlite.count_readings(r).unwrap(),
            "{r} count"
        );
    }
}
