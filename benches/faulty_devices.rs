//! 30 % of the devices faulty at once: does anyone else notice? One collector polls a network
//! of gateways (five devices each, each device on its own Modbus TCP connection, 1-s polls)
//! served by `lantian sim` as a separate process, first with every device healthy, then with
//! 30 % of them faulty — answers 300 ms late, answers too late (2.5 s: timeouts), Modbus
//! exceptions, garbled frames, connections closed, connections reset — alternating for
//! `--rounds` rounds. Reports the healthy devices' poll latency (p50, p99, real time) in both
//! kinds of run, the ratio, their skipped ticks and failed polls, and what the faulty ones saw.
//!
//! ```text
//! cargo bench --bench faulty_devices -- [--stations 100] [--seconds 60] [--warmup 10] [--rounds 2]
//! ```
//! Latency per device comes from the collector's `poll answered` trace events.

mod support;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lantian::clock::Clock;
use lantian::collect::{CollectorConfig, Pipeline};
use lantian::compute::IndexConfig;
use lantian::registry::Registry;
use lantian::store::StationStore;
use lantian::store::sqlite::SqliteStore;
use tracing::field::{Field, Visit};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{Layer, Registry as Subscribers};

struct Args {
    stations: usize,
    seconds: u64,
    warmup: u64,
    rounds: usize,
}

fn args() -> Args {
    let (stations, seconds, warmup, rounds) = if support::benchmarking() {
        (100, 60, 10, 2)
    } else {
        (4, 3, 2, 1)
    };
    Args {
        stations: support::option("--stations").unwrap_or(stations),
        seconds: support::option("--seconds").unwrap_or(seconds),
        warmup: support::option("--warmup").unwrap_or(warmup),
        rounds: support::option("--rounds").unwrap_or(rounds),
    }
}

/// The faults given to every tenth device's slots 0, 3 and 6 (30 %), in turn.
const FAULTS: [(&str, &str); 6] = [
    ("slow", "delay_ms = 300\n"),
    ("slow", "delay_ms = 2500\n"),
    ("exception", ""),
    ("garbage", ""),
    ("offline", ""),
    ("reset", ""),
];

fn device_ids(stations: usize) -> Vec<String> {
    (0..stations)
        .flat_map(|s| {
            support::GATEWAY_DEVICES
                .iter()
                .map(move |(suffix, _)| format!("F{s:04}-{suffix}"))
        })
        .collect()
}

/// The fault of device number `i`, if it is one of the 30 %.
fn fault_of(i: usize) -> Option<(&'static str, &'static str)> {
    matches!(i % 10, 0 | 3 | 6).then(|| FAULTS[(i / 10 * 3 + i % 10 / 3) % FAULTS.len()])
}

fn write_network(dir: &Path, stations: usize) -> PathBuf {
    let path = support::gateway_network(dir, stations, "F", 21000);
    let mut faulty = String::from("seed = 1\n");
    for (i, id) in device_ids(stations).iter().enumerate() {
        if let Some((kind, extra)) = fault_of(i) {
            faulty += &format!(
                "\n[[fault]]\ndevice = \"{id}\"\nkind = \"{kind}\"\nafter = \"0s\"\nduration = \"3650d\"\n{extra}"
            );
        }
    }
    std::fs::write(dir.join("healthy.toml"), "seed = 1\n").unwrap();
    std::fs::write(dir.join("faulty.toml"), faulty).unwrap();
    path
}

/// Per-device latencies (µs) of answered polls, from the collector's trace events, while
/// `recording`.
#[derive(Clone, Default)]
struct Latencies {
    recording: Arc<AtomicBool>,
    by_device: Arc<Mutex<HashMap<String, Vec<u64>>>>,
}

struct PollEvent {
    device: Option<String>,
    latency_us: Option<u64>,
}

impl Visit for PollEvent {
    fn record_u64(&mut self, field: &Field, value: u64) {
        if field.name() == "latency_us" {
            self.latency_us = Some(value);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "device" {
            self.device = Some(format!("{value:?}"));
        }
    }
}

impl<S: tracing::Subscriber> Layer<S> for Latencies {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        if !self.recording.load(Ordering::Relaxed) {
            return;
        }
        let mut poll = PollEvent {
            device: None,
            latency_us: None,
        };
        event.record(&mut poll);
        if let (Some(device), Some(us)) = (poll.device, poll.latency_us) {
            let mut map = self.by_device.lock().unwrap();
            map.entry(device).or_default().push(us);
        }
    }
}

/// What one run measured.
struct RunFigures {
    healthy_latencies: Vec<u64>,
    healthy_polls: u64,
    healthy_failures: u64,
    healthy_skipped: u64,
    faulty_polls: u64,
    faulty_successes: u64,
    faulty_skipped: u64,
    faulty_errors: Vec<String>,
}

fn quantile(sorted: &[u64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1] as f64 / 1000.0
}

fn run_once(
    dir: &Path,
    network: &Path,
    scenario: &str,
    args: &Args,
    latencies: &Latencies,
) -> RunFigures {
    let mut sim = Command::new(env!("CARGO_BIN_EXE_lantian"))
        .args(["--registry"])
        .arg(network)
        .args(["--store", "sqlite:/dev/null/unused.db", "sim", "--scenario"])
        .arg(dir.join(scenario))
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the simulator");
    let mut line = String::new();
    let mut stderr = BufReader::new(sim.stderr.take().unwrap());
    while !line.contains("simulating") {
        line.clear();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "simulator exited");
    }
    std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
    let ids = device_ids(args.stations);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let figures = runtime.block_on(async {
        let registry = Registry::load(network).unwrap();
        let devices: Vec<_> = registry.devices().cloned().collect();
        let db = dir.join(format!("{scenario}.db"));
        let _ = std::fs::remove_file(&db);
        let mut store = SqliteStore::open(&db).unwrap();
        store.put_stations(&registry.station_infos()).unwrap();
        let pipeline = Pipeline::start(
            &devices,
            Clock::real(),
            CollectorConfig::default(),
            IndexConfig::default(),
            Box::new(store),
        );
        tokio::time::sleep(Duration::from_secs(args.warmup)).await;
        latencies.by_device.lock().unwrap().clear();
        let before = pipeline.collector.health.snapshot();
        latencies.recording.store(true, Ordering::Relaxed);
        tokio::time::sleep(Duration::from_secs(args.seconds)).await;
        latencies.recording.store(false, Ordering::Relaxed);
        let after = pipeline.collector.health.snapshot();
        pipeline.stop().await.unwrap();
        let by_device = std::mem::take(&mut *latencies.by_device.lock().unwrap());
        let mut f = RunFigures {
            healthy_latencies: Vec::new(),
            healthy_polls: 0,
            healthy_failures: 0,
            healthy_skipped: 0,
            faulty_polls: 0,
            faulty_successes: 0,
            faulty_skipped: 0,
            faulty_errors: Vec::new(),
        };
        for (i, (b, a)) in before.iter().zip(&after).enumerate() {
            assert_eq!(a.device, ids[i]);
            let (polls, ok, skipped) = (
                a.polls - b.polls,
                a.successes - b.successes,
                a.skipped - b.skipped,
            );
            if fault_of(i).is_some() && scenario == "faulty.toml" {
                f.faulty_polls += polls;
                f.faulty_successes += ok;
                f.faulty_skipped += skipped;
                if let Some(e) = &a.last_error {
                    f.faulty_errors
                        .push(format!("{}: {e}", fault_of(i).unwrap().0));
                }
            } else if fault_of(i).is_none() {
                f.healthy_polls += polls;
                f.healthy_failures += polls - ok;
                f.healthy_skipped += skipped;
                if let Some(l) = by_device.get(&a.device) {
                    f.healthy_latencies.extend(l);
                }
            }
        }
        f
    });
    let _ = sim.kill();
    let _ = sim.wait();
    figures
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let args = args();
    rlimit::increase_nofile_limit(u64::MAX).expect("raise the open-files limit");
    let latencies = Latencies::default();
    Subscribers::default()
        .with(latencies.clone().with_filter(
            Targets::new().with_target("lantian::collect::poller", tracing::Level::TRACE),
        ))
        .init();
    let dir = tempfile::tempdir().unwrap();
    let network = write_network(dir.path(), args.stations);
    let devices = args.stations * support::GATEWAY_DEVICES.len();
    let faulty = (0..devices).filter(|&i| fault_of(i).is_some()).count();
    eprintln!(
        "faulty devices: {} stations × 5 = {devices} devices at 1 s, {faulty} of them faulty in the faulty runs; \
         {} round(s) of {} s after {} s warm-up",
        args.stations, args.rounds, args.seconds, args.warmup
    );
    let (mut healthy_runs, mut faulty_runs) = (Vec::new(), Vec::new());
    for _ in 0..args.rounds {
        healthy_runs.push(run_once(
            dir.path(),
            &network,
            "healthy.toml",
            &args,
            &latencies,
        ));
        faulty_runs.push(run_once(
            dir.path(),
            &network,
            "faulty.toml",
            &args,
            &latencies,
        ));
    }
    let mut text = String::new();
    let mut p99 = [0.0; 2];
    for (k, (name, runs)) in [
        ("all healthy", &healthy_runs),
        ("30 % faulty", &faulty_runs),
    ]
    .into_iter()
    .enumerate()
    {
        let mut all: Vec<u64> = runs
            .iter()
            .flat_map(|r| r.healthy_latencies.clone())
            .collect();
        all.sort_unstable();
        let polls: u64 = runs.iter().map(|r| r.healthy_polls).sum();
        let failures: u64 = runs.iter().map(|r| r.healthy_failures).sum();
        let skipped: u64 = runs.iter().map(|r| r.healthy_skipped).sum();
        p99[k] = quantile(&all, 0.99);
        let per_round: Vec<String> = runs
            .iter()
            .map(|r| {
                let mut l = r.healthy_latencies.clone();
                l.sort_unstable();
                format!("{:.2}", quantile(&l, 0.99))
            })
            .collect();
        writeln!(
            text,
            "{name:<12} healthy devices ({}): p50 {:.2} ms, p99 {:.2} ms (rounds: {} ms); {polls} polls, {failures} failed, {skipped} ticks skipped",
            devices - faulty,
            quantile(&all, 0.5),
            p99[k],
            per_round.join(", "),
        )
        .unwrap();
    }
    let faulty_polls: u64 = faulty_runs.iter().map(|r| r.faulty_polls).sum();
    let faulty_ok: u64 = faulty_runs.iter().map(|r| r.faulty_successes).sum();
    let faulty_skipped: u64 = faulty_runs.iter().map(|r| r.faulty_skipped).sum();
    writeln!(
        text,
        "faulty devices ({faulty}): {faulty_polls} polls, {faulty_ok} answered (the 300-ms ones), {faulty_skipped} ticks skipped"
    )
    .unwrap();
    let mut kinds: Vec<&String> = faulty_runs.last().unwrap().faulty_errors.iter().collect();
    kinds.sort();
    kinds.dedup_by(|a, b| a.split(':').next() == b.split(':').next());
    for e in kinds {
        writeln!(text, "  last error, {e}").unwrap();
    }
    writeln!(
        text,
        "ratio of the healthy devices' p99, faulty / healthy: {:.2} (target ≤ 1.2); load {}",
        p99[1] / p99[0],
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    )
    .unwrap();
    print!("{text}");
}
