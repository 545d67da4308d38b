//! Sustained ingest from one collector into InfluxDB 1.x (Debian's `influxd`, started here on
//! 127.0.0.1 with a temporary data folder) and into SQLite, side by side; and lantian's own
//! cost per record: line-protocol encoding alone, encoding + gzip.
//!
//! ```text
//! cargo bench --bench store_ingest -- [--records 2000000] [--stations 200]
//! ```
//! A producer thread makes minute records (stations × 15 parameters per minute, in time
//! order) in batches of 5,000 and hands them to a writer thread over a small queue, as the
//! collectors' sink does; the writer calls `put_readings` per batch. Reports records/s, and
//! CPU seconds per 100,000 records of lantian's process and of `influxd`.
//!
//! Without `--bench` (as `cargo test --all-targets` runs it) it is a quick smoke run of 20,000
//! records that skips InfluxDB when `influxd` is missing.

#[path = "../tests/common/ports.rs"]
mod ports;
mod support;
#[path = "../tests/common/tsdb.rs"]
#[allow(dead_code)]
mod tsdb;

use std::sync::Arc;
use std::sync::mpsc::sync_channel;
use std::time::Instant;

use chrono::{TimeDelta, TimeZone, Utc};
use lantian::quality::Flag;
use lantian::store::influx::InfluxStore;
use lantian::store::influx::schema::encode_record;
use lantian::store::sqlite::SqliteStore;
use lantian::store::{Record, Resolution, StationId, Store};
use lantian::units::Parameter;

const BATCH: usize = 5_000;

struct Args {
    records: usize,
    stations: usize,
    smoke: bool,
}

fn args() -> Args {
    let smoke = !support::benchmarking();
    Args {
        records: support::option("--records").unwrap_or(if smoke { 20_000 } else { 2_000_000 }),
        stations: support::option("--stations").unwrap_or(200),
        smoke,
    }
}

/// The `n`-th batch of the collector's stream: minute records of every station × parameter,
/// minute after minute.
fn batch(stations: &[StationId], n: usize) -> Vec<Record> {
    let t0 = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
    let per_minute = stations.len() * Parameter::ALL.len();
    (n * BATCH..(n + 1) * BATCH)
        .map(|k| {
            let minute = k / per_minute;
            let within = k % per_minute;
            Record {
                station: stations[within / Parameter::ALL.len()].clone(),
                parameter: Parameter::ALL[within % Parameter::ALL.len()],
                resolution: Resolution::Minute,
                time: t0 + TimeDelta::minutes(minute as i64 + 1),
                value: 20.0 + (k % 97) as f64 * 0.37,
                flag: if k % 211 == 0 {
                    Flag::Calibration
                } else {
                    Flag::Normal
                },
                count: 6,
            }
        })
        .collect()
}

struct Outcome {
    rate: f64,
    own_cpu_per_100k: f64,
    server_cpu_per_100k: Option<f64>,
}

/// Streams `records` records from a producer thread into `store` in batches.
fn ingest(mut store: Box<dyn Store>, args: &Args, server: Option<u32>) -> Outcome {
    let stations: Arc<Vec<StationId>> = Arc::new(
        (0..args.stations)
            .map(|i| StationId::from(format!("DG-{i:04}")))
            .collect(),
    );
    let batches = args.records.div_ceil(BATCH);
    let (tx, rx) = sync_channel::<Vec<Record>>(4);
    let own = std::process::id().to_string();
    let server = server.map(|p| p.to_string());
    let (own0, server0) = (
        support::cpu_seconds(&own),
        server.as_deref().map(support::cpu_seconds),
    );
    let start = Instant::now();
    let producer = std::thread::spawn(move || {
        for n in 0..batches {
            if tx.send(batch(&stations, n)).is_err() {
                return;
            }
        }
    });
    let mut written = 0usize;
    for b in rx {
        written += store.put_readings(&b).expect("write");
    }
    producer.join().expect("producer");
    let secs = start.elapsed().as_secs_f64();
    let per_100k = 100_000.0 / written as f64;
    Outcome {
        rate: written as f64 / secs,
        own_cpu_per_100k: (support::cpu_seconds(&own) - own0) * per_100k,
        server_cpu_per_100k: server
            .as_deref()
            .zip(server0)
            .map(|(pid, c0)| (support::cpu_seconds(pid) - c0) * per_100k),
    }
}

/// Encoding alone (and with gzip), on the calling thread: records/s and CPU s per 100k.
fn encoding(args: &Args) -> (f64, f64) {
    let stations: Vec<StationId> = (0..args.stations)
        .map(|i| StationId::from(format!("DG-{i:04}")))
        .collect();
    let batches: Vec<Vec<Record>> = (0..args.records.div_ceil(BATCH).min(100))
        .map(|n| batch(&stations, n))
        .collect();
    let n: usize = batches.iter().map(Vec::len).sum();
    let mut buf = String::with_capacity(BATCH * 128);
    let time = |gzip: bool, buf: &mut String| {
        let start = Instant::now();
        let mut bytes = 0usize;
        for b in &batches {
            buf.clear();
            for r in b {
                encode_record(buf, r).expect("encode");
            }
            if gzip {
                use std::io::Write as _;
                let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                gz.write_all(buf.as_bytes()).expect("gzip");
                bytes += gz.finish().expect("gzip").len();
            } else {
                bytes += buf.len();
            }
        }
        std::hint::black_box(bytes);
        n as f64 / start.elapsed().as_secs_f64()
    };
    time(false, &mut buf); // warm-up
    (time(false, &mut buf), time(true, &mut buf))
}

fn report(name: &str, o: &Outcome) {
    let server = o
        .server_cpu_per_100k
        .map_or("—".to_string(), |c| format!("{c:.3}"));
    println!(
        "{name:<32} {:>12.0} {:>18.3} {:>18}",
        o.rate, o.own_cpu_per_100k, server
    );
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo bench -- --list` asks for criterion-style names; there are none.
    }
    let args = args();
    println!(
        "store ingest: {} minute records, {} stations × {} parameters, batches of {BATCH}{}",
        args.records,
        args.stations,
        Parameter::ALL.len(),
        if args.smoke { " (smoke run)" } else { "" }
    );
    let (plain, gz) = encoding(&args);
    println!(
        "line-protocol encoding alone: {plain:.0} records/s ({:.3} CPU s per 100k); with gzip: {gz:.0} records/s ({:.3} CPU s per 100k)",
        100_000.0 / plain,
        100_000.0 / gz
    );
    println!(
        "{:<32} {:>12} {:>18} {:>18}",
        "target", "records/s", "lantian CPU s/100k", "server CPU s/100k"
    );

    let dir = tempfile::tempdir().expect("temp dir");
    let sqlite = SqliteStore::open(dir.path().join("ingest.db")).expect("SQLite");
    report(
        "SQLite (WAL, synchronous=NORMAL)",
        &ingest(Box::new(sqlite), &args, None),
    );

    if !tsdb::Influxd::available() {
        let required = std::env::var_os("LANTIAN_REQUIRE_PEERS").is_some() && !args.smoke;
        assert!(!required, "influxd is missing (scripts/test installs it)");
        println!("InfluxDB: SKIPPED, influxd is missing (Debian package influxdb)");
        return;
    }
    let server = tsdb::Influxd::start();
    for (name, options) in [
        ("InfluxDB 1.x (gzip)", ""),
        ("InfluxDB 1.x (no gzip)", "&gzip=false"),
    ] {
        let url = server.new_database() + options;
        let store = InfluxStore::open(
            &lantian::store::influx::config::InfluxConfig::parse(&url).expect("URL"),
        )
        .expect("InfluxDB store");
        report(name, &ingest(Box::new(store), &args, Some(server.pid())));
    }
}
