//! The forwarder's throughput on a backlog: a spool holding `--hours` of the demo network's
//! minute records (one spool entry per minute of every series, as the sink appends them at
//! ×60, plus the hourly records at each hour) is replayed into a fresh SQLite store with the
//! index stage, once delivering one entry per transaction (the forwarder before batching)
//! and once up to [`DELIVERY_RECORDS`] records per transaction. Reports records/s and
//! transactions of each.
//!
//! ```text
//! cargo bench --bench forward_replay -- [--hours 6] [--network stations/dongguan.toml]
//! ```

mod support;

use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::{DateTime, TimeDelta, Utc};
use lantian::collect::health::HealthBoard;
use lantian::collect::sink::{Batch, StoreSink};
use lantian::collect::{DELIVERY_RECORDS, SpoolConfig};
use lantian::compute::{IndexConfig, IndexStage};
use lantian::quality::Flag;
use lantian::registry::Registry;
use lantian::store::spool::Spool;
use lantian::store::sqlite::SqliteStore;
use lantian::store::{Record, Resolution, StationId, StationStore};
use lantian::units::Parameter;

/// The backlog: per minute, one entry with a minute record of every series; at each hour,
/// the hour's records too.
fn backlog(registry: &Registry, hours: i64) -> Vec<Vec<Record>> {
    let start: DateTime<Utc> = "2026-03-02T00:00:00Z".parse().expect("a time");
    let series: Vec<(StationId, Parameter)> = registry
        .devices()
        .flat_map(|d| d.profile.parameters().map(|p| (d.station.clone(), p)))
        .collect();
    let record = |(station, parameter): &(StationId, Parameter), resolution, time, i: i64| Record {
        station: station.clone(),
        parameter: *parameter,
        resolution,
        time,
        value: 20.0 + (i % 37) as f64,
        flag: Flag::Normal,
        count: 1,
    };
    (1..=hours * 60)
        .map(|m| {
            let time = start + TimeDelta::minutes(m);
            let mut entry: Vec<Record> = series
                .iter()
                .map(|s| record(s, Resolution::Minute, time, m))
                .collect();
            if m % 60 == 0 {
                entry.extend(series.iter().map(|s| record(s, Resolution::Hour, time, m)));
            }
            entry
        })
        .collect()
}

/// Replays `entries` from a new spool into a new store in `dir`, delivering up to
/// `delivery_records` per transaction: (records, transactions, seconds).
fn replay(
    dir: &Path,
    registry: &Registry,
    entries: &[Vec<Record>],
    delivery_records: usize,
) -> (u64, u64, f64) {
    let mut store = SqliteStore::open(dir.join("replay.db")).expect("store");
    store
        .put_stations(&registry.station_infos())
        .expect("stations");
    let mut spool = Spool::open(dir.join("spool"), 1 << 30).expect("spool");
    for e in entries {
        spool.append(e).expect("append");
    }
    let config = SpoolConfig {
        delivery_records,
        ..SpoolConfig::default()
    };
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let started = Instant::now();
    let stats = runtime.block_on(async {
        // Nothing new arrives: the sink replays the spool and ends.
        let (_, rx) = tokio::sync::mpsc::channel::<Batch>(1);
        StoreSink::spawn(
            Box::new(store),
            IndexStage::new(IndexConfig::default()),
            spool,
            &config,
            rx,
            HealthBoard::new([]),
        )
        .join()
        .await
        .expect("replay")
    });
    (
        stats.records,
        stats.transactions,
        started.elapsed().as_secs_f64(),
    )
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let hours: i64 =
        support::option("--hours").unwrap_or(if support::benchmarking() { 6 } else { 1 });
    let network: PathBuf =
        support::option("--network").unwrap_or_else(|| root.join("stations/dongguan.toml"));
    let registry = Registry::load(&network).expect("network");
    let entries = backlog(&registry, hours);
    let total: usize = entries.iter().map(Vec::len).sum();
    println!(
        "forward_replay: {hours} h of {} devices' minute and hourly records: {} spool entries, {total} records; load {}",
        registry.devices().count(),
        entries.len(),
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );
    for (name, delivery) in [
        ("one entry per transaction", 1),
        ("up to DELIVERY_RECORDS per transaction", DELIVERY_RECORDS),
    ] {
        let dir = tempfile::tempdir().expect("temp dir");
        let (records, transactions, seconds) = replay(dir.path(), &registry, &entries, delivery);
        assert_eq!(records as usize, total, "every record written");
        println!(
            "  {name:<40} {records} records in {transactions} transactions, {seconds:.1} s: {:.0} records/s",
            records as f64 / seconds
        );
    }
}
