//! Collection at scale: one collector process polling many devices every second, against the
//! simulator running as a separate process on the same machine.
//!
//! ```text
//! cargo bench --bench collect_load -- [--stations 2000] [--seconds 60] [--warmup 10] [--spread 0.5]
//! ```
//! Each station is a gateway endpoint with five devices (NOx, SO2, CO, O3 analyzers and a
//! PM2.5 BAM), each on its own Modbus TCP connection, polled on a 1-s interval. Reports the
//! achieved poll rate, poll latency (p50/p99, real time), CPU per 1,000 polls of the collector
//! and of the simulator, and resident memory. `--spread F` sets the collector's `poll_spread`
//! (default 0: every connection polls at the aligned tick).

mod support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use lantian::clock::Clock;
use lantian::collect::{CollectorConfig, Pipeline};
use lantian::compute::IndexConfig;
use lantian::registry::Registry;
use lantian::store::StationStore;
use lantian::store::sqlite::SqliteStore;

struct Args {
    stations: usize,
    seconds: u64,
    warmup: u64,
    spread: f64,
}

fn args() -> Args {
    // A short smoke run (100 devices, 2 s) when not benchmarking.
    let (stations, seconds, warmup) = if support::benchmarking() {
        (2000, 60, 10)
    } else {
        (20, 2, 1)
    };
    Args {
        stations: support::option("--stations").unwrap_or(stations),
        seconds: support::option("--seconds").unwrap_or(seconds),
        warmup: support::option("--warmup").unwrap_or(warmup),
        spread: support::option("--spread").unwrap_or(0.0),
    }
}

fn write_network(dir: &Path, stations: usize) -> std::path::PathBuf {
    let path = support::gateway_network(dir, stations, "L", 20000);
    std::fs::write(dir.join("scenario.toml"), "seed = 1\n").unwrap();
    path
}

fn main() {
    let args = args();
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo bench -- --list` asks for criterion-style names; there are none.
    }
    rlimit::increase_nofile_limit(u64::MAX).expect("raise the open-files limit");
    let dir = tempfile::tempdir().unwrap();
    let network = write_network(dir.path(), args.stations);
    let devices_total = args.stations * 5;
    eprintln!(
        "load test: {} stations × 5 devices = {devices_total} devices at 1 s",
        args.stations
    );

    let mut sim = Command::new(env!("CARGO_BIN_EXE_lantian"))
        .args(["--registry"])
        .arg(&network)
        .args(["--store", "sqlite:/dev/null/unused.db", "sim", "--scenario"])
        .arg(dir.path().join("scenario.toml"))
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the simulator");
    let sim_pid = sim.id().to_string();
    let mut line = String::new();
    let mut stderr = BufReader::new(sim.stderr.take().unwrap());
    while !line.contains("simulating") {
        line.clear();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "simulator exited");
    }
    std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let registry = Registry::load(&network).unwrap();
        let devices: Vec<_> = registry.devices().cloned().collect();
        let mut store = SqliteStore::open(dir.path().join("load.db")).unwrap();
        store.put_stations(&registry.station_infos()).unwrap();
        let pipeline = Pipeline::start(
            &devices,
            Clock::real(),
            CollectorConfig {
                poll_spread: args.spread,
                ..CollectorConfig::default()
            },
            IndexConfig::default(),
            Box::new(store),
        );
        let polls = || {
            pipeline
                .collector
                .health
                .snapshot()
                .iter()
                .map(|h| h.polls)
                .sum::<u64>()
        };
        let ok = || {
            pipeline
                .collector
                .health
                .snapshot()
                .iter()
                .map(|h| h.successes)
                .sum::<u64>()
        };
        tokio::time::sleep(Duration::from_secs(args.warmup)).await;
        let (p0, ok0, t0) = (polls(), ok(), Instant::now());
        let (c0, s0) = (support::cpu_seconds("self"), support::cpu_seconds(&sim_pid));
        tokio::time::sleep(Duration::from_secs(args.seconds)).await;
        let (p1, ok1, elapsed) = (polls(), ok(), t0.elapsed().as_secs_f64());
        let (c1, s1) = (support::cpu_seconds("self"), support::cpu_seconds(&sim_pid));
        let (rss, sim_rss) = (support::rss_mib("self"), support::rss_mib(&sim_pid));
        let latency = pipeline.collector.latency.clone();
        let skipped: u64 = pipeline
            .collector
            .health
            .snapshot()
            .iter()
            .map(|h| h.skipped)
            .sum();
        let stats = pipeline.stop().await.unwrap();
        let rate = (p1 - p0) as f64 / elapsed;
        let per_k = |cpu: f64| cpu / ((p1 - p0) as f64 / 1000.0) * 1000.0;
        println!(
            "devices                 {devices_total} (target poll rate {devices_total}/s, poll_spread {})",
            args.spread
        );
        println!(
            "achieved poll rate      {rate:.0} polls/s over {elapsed:.0} s ({:.2} % of target)",
            100.0 * rate / devices_total as f64
        );
        println!(
            "successful polls        {:.3} %",
            100.0 * (ok1 - ok0) as f64 / (p1 - p0).max(1) as f64
        );
        println!("skipped ticks (total)   {skipped}");
        println!(
            "poll latency            p50 {:?}  p99 {:?}",
            latency.quantile(0.5).unwrap_or_default(),
            latency.quantile(0.99).unwrap_or_default()
        );
        println!(
            "collector CPU           {:.1} ms per 1,000 polls ({:.0} % of one core)",
            per_k(c1 - c0),
            100.0 * (c1 - c0) / elapsed
        );
        println!(
            "simulator CPU           {:.1} ms per 1,000 polls ({:.0} % of one core)",
            per_k(s1 - s0),
            100.0 * (s1 - s0) / elapsed
        );
        println!("resident memory         collector {rss:.0} MiB, simulator {sim_rss:.0} MiB");
        println!(
            "records written         {} in {} transactions",
            stats.records, stats.transactions
        );
    });
    let _ = sim.kill();
    let _ = sim.wait();
}
