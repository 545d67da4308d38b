//! The store sink: the one writer that turns the collectors' record batches into store
//! transactions, through the spool (store-and-forward), and snapshots device health.
//!
//! It groups batches (up to [`MAX_BATCH`] records, or whatever arrived within
//! [`FLUSH_EVERY`] of real time) and appends each group to the [`Spool`] first — once
//! `append` returns, the group survives a kill -9. The forwarder then
//! writes it to the store, runs the index stage and acknowledges it; a failing or slow store
//! only makes the spool grow, and the backlog is replayed in order when it recovers.
//!
//! What a kill -9 can lose: batches still in the channel or in the current group (≤ 250 ms
//! of records), never an appended one.
//!
//! When the spool is full the sink keeps the group in memory and stops taking batches; the
//! collectors then wait on the channel (back-pressure) and the delay shows as skipped polls.
//! When the filesystem under the spool is full, the sink logs it, shows it in the
//! [`SpoolStatus`] (`disk_full`), goes on taking batches into memory up to
//! [`DISK_FULL_HOLD`] records (then pauses the collectors the same way) and tries the append
//! again every [`FLUSH_EVERY`] until there is room. Nothing is dropped.
//!
//! A [`Batch`] may carry a signal that fires once all its records are appended: the HJ 212
//! listener acknowledges an upload (9014) only then, so an acknowledged packet is never lost.

use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};

use super::forward::{Forwarder, SpoolConfig, SpoolStatus, Target};
use super::health::HealthBoard;
use crate::alarms::rules::stage::AlarmStage;
use crate::compute::IndexStage;
use crate::store::spool::{Spool, SpoolError};
use crate::store::{IngestStore, Record, StationInfo, StoreError};

/// Largest group the sink spools (and the forwarder writes) as one entry.
pub const MAX_BATCH: usize = 20_000;
/// Longest a record waits in the sink before it is spooled (real time).
pub const FLUSH_EVERY: Duration = Duration::from_millis(250);
/// Longest a [`Batch`] that waits for its `spooled` signal waits in the sink: an HJ 212
/// logger waits for its acknowledgement (and a backfill sends one packet per acknowledgement),
/// so such batches are spooled sooner than [`FLUSH_EVERY`]; what arrives meanwhile joins them.
pub const SIGNAL_FLUSH: Duration = Duration::from_millis(20);
/// Most records the sink holds in memory while the spool's disk is full before it stops
/// taking batches (about 10 MB): a short spell of a full disk loses nothing and pauses
/// nothing, a long one pauses the collectors (back-pressure) rather than growing without
/// bound.
pub const DISK_FULL_HOLD: usize = 5 * MAX_BATCH;
/// How often device health is written (real time).
pub const HEALTH_EVERY: Duration = Duration::from_secs(1);

/// Records for the sink, and optionally who to tell once they are durably spooled.
#[derive(Debug)]
pub struct Batch {
    /// The records.
    pub records: Vec<Record>,
    /// Fired (with `()`) once every record of the batch is appended to the spool; dropped
    /// unsent when the sink ends without spooling them.
    pub spooled: Option<oneshot::Sender<()>>,
}

impl From<Vec<Record>> for Batch {
    fn from(records: Vec<Record>) -> Batch {
        Batch {
            records,
            spooled: None,
        }
    }
}

/// Senders waiting for the records before a position of the sink's pending group to be
/// spooled.
#[derive(Default)]
struct Waiters(Vec<(usize, oneshot::Sender<()>)>);

impl Waiters {
    /// `tx` waits for the first `end` pending records (fired at once when `end` is 0).
    fn add(&mut self, end: usize, tx: oneshot::Sender<()>) {
        if end == 0 {
            let _ = tx.send(());
        } else {
            self.0.push((end, tx));
        }
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The first `appended` pending records were spooled and removed: fire the senders they
    /// cover, shift the others.
    fn spooled(&mut self, appended: usize) {
        if appended == 0 {
            return;
        }
        for (end, tx) in std::mem::take(&mut self.0) {
            if end <= appended {
                let _ = tx.send(());
            } else {
                self.0.push((end - appended, tx));
            }
        }
    }
}

/// Sleeps until `at`, or forever without one (a `select!` arm that may have no deadline).
pub(super) async fn sleep_until_some(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Errors that end the sink.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    /// The store failed in a way the sink does not retry.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The spool failed (an I/O error or damage): batches could not be made durable.
    #[error(transparent)]
    Spool(#[from] SpoolError),
    /// Records could not be made durable or delivered when the sink had to stop (a memory
    /// spool with a failing store, or a spool that was full or on a full disk): they are lost.
    #[error("{records} records could not be written before stopping: {last_error}")]
    Undelivered {
        /// Records lost.
        records: u64,
        /// The store's last error.
        last_error: String,
    },
}

/// What the sink did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SinkStats {
    /// Records written to the store (replayed ones included).
    pub records: u64,
    /// Store transactions committed.
    pub transactions: u64,
    /// Index records (hourly and daily AQI) computed and written.
    pub indices: u64,
    /// Records appended to the spool by this run.
    pub spooled: u64,
    /// Records written that an earlier run had left in the spool.
    pub replayed: u64,
    /// Failed store calls (each retried later).
    pub store_failures: u64,
    /// Records left in the spool at the end (the store was failing; sent on the next start).
    pub left_in_spool: u64,
    /// Records the store rejected for good, set aside in the quarantine (see
    /// [`quarantine`](super::quarantine)).
    pub quarantined: u64,
}

/// A running sink.
pub struct StoreSink {
    task: tokio::task::JoinHandle<Result<SinkStats, SinkError>>,
    status: SpoolStatus,
}

impl StoreSink {
    /// Starts spooling what arrives on `records` (record vectors or [`Batch`]es) and
    /// forwarding it into `store`; health from `health` is written every [`HEALTH_EVERY`] and
    /// once more at the end. The sink ends when every sender of `records` is dropped and the
    /// last batch is spooled and either written or, with a durable spool and a failing store,
    /// left in the spool after [`SpoolConfig::drain_timeout`].
    pub fn spawn<B: Into<Batch> + Send + 'static>(
        store: Box<dyn IngestStore>,
        stage: IndexStage,
        spool: Spool,
        config: &SpoolConfig,
        records: mpsc::Receiver<B>,
        health: HealthBoard,
    ) -> StoreSink {
        Self::spawn_staged(
            store,
            (stage, None),
            Vec::new(),
            spool,
            config,
            records,
            health,
        )
    }

    /// [`StoreSink::spawn`] with the alarm stage run after the index stage (and on its timer),
    /// and `stations` registered in the store before the first write (see
    /// [`Stages::stations`](super::Stages::stations)).
    pub fn spawn_staged<B: Into<Batch> + Send + 'static>(
        store: Box<dyn IngestStore>,
        (stage, alarms): (IndexStage, Option<AlarmStage>),
        stations: Vec<StationInfo>,
        spool: Spool,
        config: &SpoolConfig,
        mut records: mpsc::Receiver<B>,
        health: HealthBoard,
    ) -> StoreSink {
        let status = SpoolStatus::default();
        let target = Target {
            store,
            stage,
            alarms,
            health,
            unregistered: stations,
        };
        let forwarder =
            std::sync::Arc::new(Forwarder::start(spool, target, config, status.clone()));
        let drain_timeout = config.drain_timeout;
        let task = tokio::spawn(async move {
            let mut stats = SinkStats::default();
            let mut pending: Vec<Record> = Vec::with_capacity(MAX_BATCH);
            let mut waiters = Waiters::default();
            // When the oldest batch still waiting for its signal arrived.
            let mut signal_since: Option<tokio::time::Instant> = None;
            let mut flush = tokio::time::interval(FLUSH_EVERY);
            let mut last_flush = Instant::now();
            let mut open = true;
            let mut full = false;
            let mut closed_at = None;
            // Records the sink takes before it stops taking batches (more while the disk is
            // full: held in memory until the append succeeds).
            let mut hold = MAX_BATCH;
            let result = loop {
                tokio::select! {
                    batch = records.recv(), if open && !full && pending.len() < hold => match batch {
                        Some(batch) => {
                            let batch: Batch = batch.into();
                            pending.extend(batch.records);
                            if let Some(tx) = batch.spooled {
                                waiters.add(pending.len(), tx);
                                if !waiters.is_empty() {
                                    signal_since.get_or_insert_with(tokio::time::Instant::now);
                                }
                            }
                        }
                        None => {
                            open = false;
                            closed_at = Some(Instant::now());
                        }
                    },
                    _ = flush.tick() => {}
                    () = sleep_until_some(signal_since.map(|t| t + SIGNAL_FLUSH)) => {}
                }
                let signalled = signal_since.is_some_and(|t| t.elapsed() >= SIGNAL_FLUSH);
                let due = pending.len() >= MAX_BATCH
                    || (!pending.is_empty()
                        && (last_flush.elapsed() >= FLUSH_EVERY || !open || signalled));
                if due {
                    let f = forwarder.clone();
                    let batch = std::mem::take(&mut pending);
                    let (batch, appended, result) = tokio::task::spawn_blocking(move || {
                        let (appended, result) = f.append(&batch);
                        (batch, appended, result)
                    })
                    .await
                    .expect("spool append task");
                    pending = batch;
                    stats.spooled += appended as u64;
                    pending.drain(..appended);
                    waiters.spooled(appended);
                    if waiters.is_empty() {
                        signal_since = None;
                    }
                    match result {
                        Ok(()) => {
                            last_flush = Instant::now();
                            if hold > MAX_BATCH {
                                hold = MAX_BATCH;
                                forwarder.status().set_disk_full(None);
                                tracing::info!(
                                    "spool: the disk has room again; the records held in memory \
                                     are spooled"
                                );
                            }
                            if full {
                                full = false;
                                forwarder.status().set_full(false);
                                tracing::info!("spool has room again; taking batches");
                            }
                        }
                        Err(SpoolError::Full { .. })
                            if closed_at.is_some_and(|t| t.elapsed() >= drain_timeout) =>
                        {
                            break Err(SinkError::Undelivered {
                                records: pending.len() as u64,
                                last_error: "spool full while stopping".into(),
                            });
                        }
                        Err(e @ SpoolError::Full { .. }) => {
                            if !full {
                                tracing::error!(
                                    "{e}; holding {} records and pausing the collectors until \
                                     the store takes the backlog",
                                    pending.len()
                                );
                                full = true;
                                forwarder.status().set_full(true);
                            }
                        }
                        Err(e)
                            if e.is_disk_full()
                                && closed_at.is_none_or(|t| t.elapsed() < drain_timeout) =>
                        {
                            if hold == MAX_BATCH {
                                tracing::error!(
                                    "{e}: the disk under the spool is full; holding up to \
                                     {DISK_FULL_HOLD} records in memory (then pausing the \
                                     collectors) and retrying until there is room"
                                );
                                hold = DISK_FULL_HOLD;
                                forwarder.status().set_disk_full(Some(e.to_string()));
                            }
                        }
                        Err(e) if e.is_disk_full() => {
                            break Err(SinkError::Undelivered {
                                records: pending.len() as u64,
                                last_error: format!("{e} while stopping"),
                            });
                        }
                        Err(e) => break Err(e.into()),
                    }
                }
                if !open && pending.is_empty() {
                    forwarder.status().set_draining();
                    break Ok(());
                }
            };
            let forwarder = std::sync::Arc::into_inner(forwarder).expect("sole owner");
            let (forwarded, left) = tokio::task::spawn_blocking(move || forwarder.finish())
                .await
                .expect("forwarder join task");
            result?;
            let f = forwarded?;
            stats.records = f.records;
            stats.transactions = f.transactions;
            stats.indices = f.indices;
            stats.replayed = f.replayed;
            stats.store_failures = f.store_failures;
            stats.quarantined = f.quarantined;
            stats.left_in_spool = left.records;
            Ok(stats)
        });
        StoreSink { task, status }
    }

    /// The live spool and store status.
    pub fn status(&self) -> &SpoolStatus {
        &self.status
    }

    /// Waits for the sink to finish (after all senders are dropped).
    pub async fn join(self) -> Result<SinkStats, SinkError> {
        self.task
            .await
            .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
    }
}
