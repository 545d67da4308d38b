//! Collectors: polling devices over Modbus, flagging and aggregating their samples.
//!
//! [`Collector::start`] spawns one task per device connection — one per Modbus TCP device, one
//! per serial bus or serial gateway (whose devices must take turns) — so a slow or dead device
//! never delays the others. Each task polls on the shared [`crate::clock::Clock`],
//! aligned to whole multiples of the poll interval, and sends completed minute and hour
//! records (and optionally every sample) to the store sink.

pub mod aggregate;
pub(crate) mod backoff;
mod clock_watch;
mod forward;
pub mod health;
pub mod hj212;
mod metrics;
mod poller;
pub mod probe;
pub mod quarantine;
mod read;
pub mod sink;
mod transport;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::alarms::rules::stage::AlarmStage;
use crate::clock::Clock;
use crate::compute::{IndexConfig, IndexStage};
use crate::registry::Device;
use crate::store::spool::Spool;
use crate::store::{IngestStore, StationInfo};
use health::HealthBoard;
use metrics::LatencyHistogram;
use poller::{Connection, PolledDevice, Shared};
use sink::{Batch, SinkError, SinkStats, StoreSink};

pub use forward::{DELIVERY_RECORDS, SpoolConfig, SpoolSnapshot, SpoolStatus};
pub use read::{Block, ReadError, Refusal, Sample, interpret, read_plan};
pub use transport::{Link, connect};

/// Collector settings (`[collect]` in the configuration). Durations are real time.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CollectorConfig {
    /// Time allowed for one request (and for connecting); `timeout_ms` in files.
    #[serde(rename = "timeout_ms", with = "millis")]
    pub timeout: Duration,
    /// Retries of a failed poll within its interval.
    pub retries: u32,
    /// First back-off delay (doubles per failure, with jitter); `backoff_initial_ms` in files.
    #[serde(rename = "backoff_initial_ms", with = "millis")]
    pub backoff_initial: Duration,
    /// Back-off ceiling, also for reconnecting to a dead device; `backoff_max_ms` in files.
    #[serde(rename = "backoff_max_ms", with = "millis")]
    pub backoff_max: Duration,
    /// Valid minutes needed for a valid hour (HJ 212 practice: 45 of 60).
    pub min_valid_minutes: u32,
    /// Also store every poll's sample (minute and hour means are always stored).
    pub store_samples: bool,
    /// Spreads the connections' polls over this fraction of their interval (0 ≤ f < 1;
    /// 0 = every connection polls at the aligned tick). Connection k waits
    /// `interval × f × frac(k φ)` (φ the golden ratio: evenly spread, the same at every start)
    /// after each tick; samples keep the tick's timestamp. Large networks set it to flatten
    /// the burst of thousands of requests in one millisecond.
    #[serde(deserialize_with = "spread_fraction")]
    pub poll_spread: f64,
}

impl Default for CollectorConfig {
    fn default() -> Self {
        CollectorConfig {
            timeout: Duration::from_millis(1000),
            retries: 2,
            backoff_initial: Duration::from_millis(100),
            backoff_max: Duration::from_secs(30),
            min_valid_minutes: 45,
            store_samples: false,
            poll_spread: 0.0,
        }
    }
}

/// The k-th point of the golden-ratio sequence in [0, 1): successive connections' phases fill
/// the interval evenly whatever their number.
fn spread_phase(k: usize) -> f64 {
    const INVERSE_GOLDEN_RATIO: f64 = 0.618_033_988_749_894_8;
    (k as f64 * INVERSE_GOLDEN_RATIO).fract()
}

fn spread_fraction<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    let f = f64::deserialize(d)?;
    if (0.0..1.0).contains(&f) {
        Ok(f)
    } else {
        Err(serde::de::Error::custom(format!(
            "poll_spread must be at least 0 and below 1 (a fraction of the poll interval), not {f}"
        )))
    }
}

pub(crate) mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer};

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_millis(u64::deserialize(d)?))
    }
}

/// Running collectors.
pub struct Collector {
    tasks: JoinSet<()>,
    /// Live health of every device, in the order the devices were given.
    pub health: HealthBoard,
    /// Latency of successful polls (real time).
    pub latency: LatencyHistogram,
    shutdown: CancellationToken,
}

impl Collector {
    /// Starts polling `devices`, sending records to `records`.
    pub fn start(
        devices: &[Device],
        clock: Clock,
        config: CollectorConfig,
        records: mpsc::Sender<Batch>,
    ) -> Collector {
        let health = HealthBoard::new(devices.iter().map(|d| (d.id.as_str(), &*d.station)));
        let latency = LatencyHistogram::default();
        let shutdown = CancellationToken::new();
        let mut connections: BTreeMap<_, Vec<PolledDevice>> = BTreeMap::new();
        for (i, device) in devices.iter().enumerate() {
            // TCP devices get a connection each; devices on one serial line share one.
            let key = if device.transport.is_shared_bus() {
                (device.transport.clone(), String::new())
            } else {
                (device.transport.clone(), device.id.clone())
            };
            let polled =
                PolledDevice::new(device.clone(), health.slot(i), config.min_valid_minutes);
            connections.entry(key).or_default().push(polled);
        }
        let mut tasks = JoinSet::new();
        tasks.spawn(clock_watch::watch(clock.clone(), shutdown.clone()));
        let shared = Arc::new(Shared {
            clock,
            config: config.clone(),
            health: health.clone(),
            latency: latency.clone(),
            records,
            shutdown: shutdown.clone(),
        });
        for (k, ((transport, _), devices)) in connections.into_iter().enumerate() {
            let phase = config.poll_spread * spread_phase(k);
            let connection = Connection::new(transport, devices, phase, &config);
            let shared = shared.clone();
            tasks.spawn(async move { connection.run(&shared).await });
        }
        Collector {
            tasks,
            health,
            latency,
            shutdown,
        }
    }

    /// Stops every task after its current poll, flushing completed periods, and waits.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        while let Some(result) = self.tasks.join_next().await {
            if let Err(e) = result {
                tracing::error!("collector task failed: {e}");
            }
        }
    }
}

/// The stages the forwarder runs after each store write: the index stage, and the alarm
/// stage when alarms are evaluated (its timer rules run on the forwarder's thread too).
pub struct Stages {
    /// The index stage's settings.
    pub index: IndexConfig,
    /// The alarm stage.
    pub alarms: Option<AlarmStage>,
    /// Stations the forwarder registers in the store before its first write (retried like
    /// a write while the store fails, so collection starts and spools while it is down);
    /// empty when the caller registered them.
    pub stations: Vec<StationInfo>,
}

impl From<IndexConfig> for Stages {
    /// The index stage alone.
    fn from(index: IndexConfig) -> Self {
        Stages {
            index,
            alarms: None,
            stations: Vec::new(),
        }
    }
}

/// Bound of the in-memory spool [`Pipeline::start`] uses.
pub const MEMORY_SPOOL_BYTES: u64 = 64 << 20;

/// Collectors wired to a store through a spool, with the index stage after each write: the
/// collect → spool → store → compute part of the pipeline.
pub struct Pipeline {
    /// The running collectors (health and latency are readable while running).
    pub collector: Collector,
    /// Spool depth, oldest pending reading and the store's state, live.
    pub spool: SpoolStatus,
    sink: StoreSink,
    intake: mpsc::Sender<Batch>,
}

impl Pipeline {
    /// Starts collecting `devices` into `store`, running `stages` after each write, through an
    /// in-memory spool of [`MEMORY_SPOOL_BYTES`] (outages of the store are ridden out, but
    /// what is pending dies with the process). Use [`Pipeline::start_spooled`] for a durable
    /// spool.
    pub fn start(
        devices: &[Device],
        clock: Clock,
        config: CollectorConfig,
        stages: impl Into<Stages>,
        store: Box<dyn IngestStore>,
    ) -> Pipeline {
        let spool = Spool::memory(MEMORY_SPOOL_BYTES);
        Self::start_spooled(
            devices,
            clock,
            config,
            stages,
            store,
            spool,
            &SpoolConfig::default(),
        )
    }

    /// Starts collecting `devices` into `store` through `spool` (write-ahead: every batch is
    /// appended to it before the store sees it). Entries an earlier run left in `spool` are
    /// replayed into the store first.
    pub fn start_spooled(
        devices: &[Device],
        clock: Clock,
        config: CollectorConfig,
        stages: impl Into<Stages>,
        store: Box<dyn IngestStore>,
        spool: Spool,
        spool_config: &SpoolConfig,
    ) -> Pipeline {
        let stages = stages.into();
        // Room for a few seconds of batches: pollers wait (rather than drop) when it is full.
        let (tx, rx) = mpsc::channel(4096);
        let collector = Collector::start(devices, clock, config, tx.clone());
        let sink = StoreSink::spawn_staged(
            store,
            (IndexStage::new(stages.index), stages.alarms),
            stages.stations,
            spool,
            spool_config,
            rx,
            collector.health.clone(),
        );
        Pipeline {
            collector,
            spool: sink.status().clone(),
            sink,
            intake: tx,
        }
    }

    /// Where other sources (the HJ 212 listener) send their records: the collectors' own
    /// channel into the sink. Every clone must be dropped before [`Pipeline::stop`] can finish.
    pub fn intake(&self) -> mpsc::Sender<Batch> {
        self.intake.clone()
    }

    /// The health board the sink writes to the store: the collectors' devices, and whatever
    /// other sources [`append`](HealthBoard::append) to it.
    pub fn health(&self) -> &HealthBoard {
        &self.collector.health
    }

    /// Stops the collectors, spools everything they produced, forwards what the store takes
    /// (see [`SpoolConfig::drain_timeout`]) and returns what was done. Stop other sources
    /// sending to [`Pipeline::intake`] first.
    pub async fn stop(self) -> Result<SinkStats, SinkError> {
        let Pipeline {
            collector,
            sink,
            intake,
            ..
        } = self;
        drop(intake);
        collector.stop().await;
        sink.join().await
    }
}

#[cfg(test)]
mod tests {
    use super::spread_phase;

    #[test]
    fn spread_phases_fill_the_interval_evenly() {
        for n in [2, 5, 33, 1000] {
            let mut phases: Vec<f64> = (0..n).map(spread_phase).collect();
            assert!(phases.iter().all(|p| (0.0..1.0).contains(p)));
            phases.sort_by(f64::total_cmp);
            // The largest gap (wrapping round) of n golden-ratio points stays below 2/n.
            let wrap = 1.0 - phases[n - 1] + phases[0];
            let widest = phases.windows(2).map(|w| w[1] - w[0]).fold(wrap, f64::max);
            assert!(
                widest < 2.0 / n as f64,
                "{n} connections: widest gap {widest}"
            );
        }
        assert_eq!(spread_phase(7), spread_phase(7), "the same at every start");
    }
}
