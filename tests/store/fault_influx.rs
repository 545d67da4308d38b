//! Fault campaign, InfluxDB (`influxd` 1.x, Debian package `influxdb`): `lantian run`
//! collects into a real server that (1) freezes (SIGSTOP: a hung server — the store's request
//! timeout must fire and the spool take over; nothing may block for good) or (2) dies, for a
//! stretch in the middle of collection, then comes back (SIGCONT / a restart on the same
//! data); and (3) answers slowly, through a proxy that delays every response. Every minute of
//! the simulator's truth is stored exactly once, and the stored hourly AQI equals the AQI
//! recomputed from the stored hourly means (so the replayed hours' AQI was computed again).
//!
//! CI length: outages of 12 s in 36-s runs at ×240 (48 simulated minutes); slow answers (2 s
//! each) for 20 s of a 30 s run. `LANTIAN_CAMPAIGN=full`: 5-minute outages in 12-minute runs at
//! ×60, slow answers (5 s) for 8 of 10 minutes.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use lantian::compute::{IndexConfig, IndexStage};
use lantian::store::spool::Spool;
use lantian::store::sqlite::SqliteStore;
use lantian::store::{
    IndexQuery, IndexStore, ReadingQuery, ReadingStore, Resolution, StationStore, Store,
};

use crate::common::campaign::{Campaign, Counts, length, rss_kib, signal, start};
use crate::common::peers;
use crate::spool_influx::Influxd;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Outage {
    Frozen,
    Killed,
}

/// The stored hourly AQI against the AQI recomputed from the stored hourly means in a fresh
/// store: (hours compared, of them in `[from, to)`).
fn aqi_recomputed(
    c: &Campaign,
    store: &dyn Store,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> (usize, usize) {
    let (a, b) = (start() - TimeDelta::days(1), start() + TimeDelta::days(2));
    let hours = store
        .readings(&ReadingQuery::new(Resolution::Hour, a, b))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut fresh = SqliteStore::open(dir.path().join("fresh.db")).unwrap();
    fresh.put_stations(&c.registry.station_infos()).unwrap();
    fresh.put_readings(&hours).unwrap();
    IndexStage::new(IndexConfig::default())
        .update(&mut fresh, &hours)
        .unwrap();
    let q = IndexQuery::new(Resolution::Hour, a, b);
    let (stored, again) = (store.indices(&q).unwrap(), fresh.indices(&q).unwrap());
    assert!(!again.is_empty(), "no hourly AQI recomputed");
    assert_eq!(
        stored, again,
        "stored hourly AQI differs from the recomputed one"
    );
    let inside = stored
        .iter()
        .filter(|r| r.time >= from && r.time < to)
        .count();
    (stored.len(), inside)
}

/// The simulator and `lantian run` for `run_s` seconds at `speed` into the InfluxDB `url`
/// (store retries within a second, up to 2 minutes to deliver the backlog at the end),
/// returned once it collects.
fn collect_into(url: &str, speed: f64, run_s: u32) -> (Campaign, std::process::Child) {
    let mut c = Campaign::new(
        speed,
        |_| url.to_string(),
        "[spool]\nretry_max_ms = 1000\ndrain_timeout_ms = 120000\n",
    );
    c.start_simulator();
    let run = c.spawn_run(run_s);
    c.wait_for_log("collecting from", Duration::from_secs(60));
    (c, run)
}

/// Watches `run` for `seconds` while the store is down: it must keep running. Returns the
/// most readings its spool held.
fn spool_while_down(c: &Campaign, run: &mut std::process::Child, seconds: u64) -> u64 {
    let spool_dir = c.dir.path().join("spool");
    let t = Instant::now();
    let mut spooled_max = 0;
    while t.elapsed() < Duration::from_secs(seconds) {
        spooled_max = spooled_max.max(Spool::inspect(&spool_dir).unwrap().depth.records);
        assert!(
            run.try_wait().unwrap().is_none(),
            "lantian run ended:\n{}",
            c.logs()
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    spooled_max
}

fn outage(kind: Outage) {
    if !peers::influxd() {
        return;
    }
    let speed = length(240.0, 60.0);
    let (run_s, from, down) = length((36, 10, 12), (720, 180, 300));
    let server_dir = tempfile::tempdir().unwrap();
    let mut server = Influxd::new(server_dir.path());
    server.start();
    let url = format!(
        "influx+http://127.0.0.1:{}?db=campaign&timeout=2&retries=1",
        server.port
    );
    let (mut c, mut run) = collect_into(&url, speed, run_s);
    std::thread::sleep(Duration::from_secs(from));
    let down_at = c.now();
    match kind {
        Outage::Frozen => signal(server.pid(), "STOP"),
        Outage::Killed => server.stop(),
    }
    let spooled_max = spool_while_down(&c, &mut run, down);
    let up_at = c.now();
    match kind {
        Outage::Frozen => signal(server.pid(), "CONT"),
        Outage::Killed => server.start(),
    }
    c.finish(&mut run, Duration::from_secs(u64::from(run_s) + 150));
    let logs = c.logs();
    // A request to the frozen server timed out (to the dead one: was refused). Which call
    // meets the outage first varies — a readings write, or the alarm stage's reads on the
    // forwarder's thread — and either way the readings wait in the spool.
    assert!(
        logs.contains(": attempt 1 failed ("),
        "no request to the store failed during the outage:\n{logs}"
    );
    assert!(
        spooled_max > 0,
        "nothing waited in the spool during the outage"
    );

    let store = lantian::store::open(&url.parse().unwrap()).unwrap();
    let (from, to) = c.covered();
    let expected = c.expected(from, to);
    let counts = Counts::of(store.as_ref(), &expected);
    let (hours, outage_hours) =
        aqi_recomputed(&c, store.as_ref(), down_at, up_at + TimeDelta::hours(1));
    counts.print(
        match kind {
            Outage::Frozen => "influxdb_frozen",
            Outage::Killed => "influxdb_killed",
        },
        &format!(
            "server {} for {down} s ({} simulated min) of a {run_s} s run at ×{speed}; up to \
             {spooled_max} readings spooled; hourly AQI = recomputed for {hours} station-hours \
             ({outage_hours} in and after the outage)",
            match kind {
                Outage::Frozen => "frozen (SIGSTOP)",
                Outage::Killed => "killed",
            },
            (up_at - down_at).num_minutes()
        ),
    );
    counts.assert_stored_once(&logs);
}

#[test]
fn fault_influxdb_frozen_mid_collection_loses_nothing() {
    outage(Outage::Frozen);
}

#[test]
fn fault_influxdb_killed_mid_collection_loses_nothing() {
    outage(Outage::Killed);
}

/// `lantian run` started while InfluxDB is down (the server not yet started): collection
/// starts and spools; once the server is up the forwarder creates the database, registers the
/// stations and delivers the backlog, every minute once.
#[test]
fn fault_influxdb_down_at_start_collects_then_registers_and_loses_nothing() {
    if !peers::influxd() {
        return;
    }
    let speed = length(240.0, 60.0);
    let (run_s, down) = length((30, 12), (600, 300));
    let server_dir = tempfile::tempdir().unwrap();
    let mut server = Influxd::new(server_dir.path());
    let url = format!(
        "influx+http://127.0.0.1:{}?db=campaign&timeout=2&retries=1",
        server.port
    );
    let (mut c, mut run) = collect_into(&url, speed, run_s);
    let spooled_max = spool_while_down(&c, &mut run, down);
    assert!(
        spooled_max > 0,
        "nothing was spooled while the store was down"
    );
    server.start();
    c.finish(&mut run, Duration::from_secs(u64::from(run_s) + 150));
    let logs = c.logs();
    assert!(
        logs.contains("stations registered in the store"),
        "the stations were never registered:\n{logs}"
    );

    let store = lantian::store::open(&url.parse().unwrap()).unwrap();
    let registered: std::collections::BTreeSet<String> = store
        .stations()
        .unwrap()
        .into_iter()
        .map(|s| s.id.to_string())
        .collect();
    let network: std::collections::BTreeSet<String> = c
        .registry
        .station_infos()
        .into_iter()
        .map(|s| s.id.to_string())
        .collect();
    assert_eq!(registered, network, "stations registered");
    let (from, to) = c.covered();
    let expected = c.expected(from, to);
    let counts = Counts::of(store.as_ref(), &expected);
    let (hours, _) = aqi_recomputed(&c, store.as_ref(), from, to);
    counts.print(
        "influxdb_down_at_start",
        &format!(
            "server down for the first {down} s of a {run_s} s run at ×{speed}; up to \
             {spooled_max} readings spooled; {} stations registered once it was up; hourly AQI \
             = recomputed for {hours} station-hours",
            registered.len()
        ),
    );
    counts.assert_stored_once(&logs);
}

/// A TCP proxy to `upstream` on a free port that, while `slow` is set, holds every chunk of
/// the server's answers for `delay` before passing it on.
fn slow_proxy(
    runtime: &tokio::runtime::Runtime,
    upstream: u16,
    delay: Duration,
    slow: Arc<AtomicBool>,
) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let port = listener.local_addr().unwrap().port();
    runtime.spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let slow = slow.clone();
            tokio::spawn(async move {
                let Ok(server) = tokio::net::TcpStream::connect(("127.0.0.1", upstream)).await
                else {
                    return;
                };
                let (mut cr, mut cw) = client.into_split();
                let (mut sr, mut sw) = server.into_split();
                tokio::spawn(async move { tokio::io::copy(&mut cr, &mut sw).await });
                let mut buf = vec![0u8; 64 << 10];
                while let Ok(n @ 1..) = sr.read(&mut buf).await {
                    if slow.load(Ordering::SeqCst) {
                        tokio::time::sleep(delay).await;
                    }
                    if cw.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    port
}

#[test]
fn fault_slow_influxdb_keeps_memory_bounded_and_loses_nothing() {
    if !peers::influxd() {
        return;
    }
    let (run_s, slow_s, delay) = length((30, 20, 2), (600, 480, 5));
    let server_dir = tempfile::tempdir().unwrap();
    let mut server = Influxd::new(server_dir.path());
    server.start();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let slow = Arc::new(AtomicBool::new(false));
    let proxy = slow_proxy(
        &runtime,
        server.port,
        Duration::from_secs(delay),
        slow.clone(),
    );
    let url = format!("influx+http://127.0.0.1:{proxy}?db=campaign&timeout=30&retries=1");
    let (mut c, mut run) = collect_into(&url, 120.0, run_s);
    let spool_dir = c.dir.path().join("spool");
    // Slow from now on (a store slow at start-up delays the start: `lantian run` registers
    // the stations and opens its readers first).
    slow.store(true, Ordering::SeqCst);
    let pid = run.id();
    let rss_start = rss_kib(pid).unwrap();
    let (mut rss_max, mut spooled_max) = (rss_start, 0);
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(slow_s) {
        rss_max = rss_max.max(rss_kib(pid).unwrap_or(0));
        spooled_max = spooled_max.max(Spool::inspect(&spool_dir).unwrap().depth.records);
        std::thread::sleep(Duration::from_millis(250));
    }
    slow.store(false, Ordering::SeqCst);
    c.finish(&mut run, Duration::from_secs(u64::from(run_s) + 150));

    let store = lantian::store::open(&url.parse().unwrap()).unwrap();
    let (from, to) = c.covered();
    let expected = c.expected(from, to);
    let counts = Counts::of(store.as_ref(), &expected);
    // Ticks the collectors skipped (a poll still running, or the process not scheduled):
    // minutes without a poll are not the store's doing.
    let health = store.health().unwrap();
    let skipped: u64 = health.iter().map(|h| h.skipped).sum();
    let failed: u64 = health.iter().map(|h| h.polls - h.successes).sum();
    counts.print(
        "influxdb_slow",
        &format!(
            "every answer delayed {delay} s for {slow_s} s of a {run_s} s run at ×120: up to \
             {spooled_max} readings waited in the spool; collector RSS {:.1} MiB at the start, \
             {:.1} MiB at most; polls skipped {skipped}, failed {failed}",
            rss_start as f64 / 1024.0,
            rss_max as f64 / 1024.0
        ),
    );
    assert!(spooled_max > 0, "the slow store built no backlog");
    assert!(
        rss_max < 256 * 1024,
        "collector RSS grew to {rss_max} KiB behind a slow store"
    );
    counts.assert_stored_once(&c.logs());
}
