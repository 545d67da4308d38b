//! The store sink: the one writer that turns the collectors' record batches into store
//! transactions, and snapshots device health.
//!
//! It groups batches into larger transactions (up to [`MAX_BATCH`] records, or whatever
//! arrived within [`FLUSH_EVERY`] of real time), and never drops a record: a failed write is
//! retried with back-off; when it keeps failing the sink stops with the error, and the records
//! of the failed transaction are not marked as written.

use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::health::HealthBoard;
use crate::compute::IndexStage;
use crate::store::{DeviceHealth, Record, Store, StoreError};

/// Largest transaction the sink builds.
pub const MAX_BATCH: usize = 20_000;
/// Longest a record waits in the sink before it is written (real time).
pub const FLUSH_EVERY: Duration = Duration::from_millis(250);
/// How often device health is written (real time).
pub const HEALTH_EVERY: Duration = Duration::from_secs(1);

/// What the sink did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SinkStats {
    /// Records written.
    pub records: u64,
    /// Transactions committed.
    pub transactions: u64,
    /// Index records (hourly and daily AQI) computed and written.
    pub indices: u64,
}

/// The store and the stages that follow each write, moved to the blocking pool for each
/// flush.
struct Writer {
    store: Box<dyn Store>,
    stage: IndexStage,
    stats: SinkStats,
}

impl Writer {
    /// Writes `batch` (then clears it), updates the indices it touches, and stores `health`.
    fn flush(
        &mut self,
        batch: &mut Vec<Record>,
        health: Option<Vec<DeviceHealth>>,
    ) -> Result<(), StoreError> {
        write_all(self.store.as_mut(), batch, &mut self.stats)?;
        self.stats.indices += self.stage.update(self.store.as_mut(), batch)? as u64;
        batch.clear();
        if let Some(h) = health {
            self.store.put_health(&h)?;
        }
        Ok(())
    }
}

/// A running sink.
pub struct StoreSink {
    task: tokio::task::JoinHandle<Result<SinkStats, StoreError>>,
}

impl StoreSink {
    /// Starts writing what arrives on `records` into `store`; health from `health` is written
    /// every [`HEALTH_EVERY`] and once more at the end. The sink ends when every sender of
    /// `records` is dropped and the last batch is written. Store calls run on tokio's blocking
    /// pool, one at a time.
    pub fn spawn(
        store: Box<dyn Store>,
        stage: IndexStage,
        mut records: mpsc::Receiver<Vec<Record>>,
        health: HealthBoard,
    ) -> StoreSink {
        let task = tokio::spawn(async move {
            let mut writer = Some(Writer {
                store,
                stage,
                stats: SinkStats::default(),
            });
            let mut pending: Vec<Record> = Vec::with_capacity(MAX_BATCH);
            let mut flush = tokio::time::interval(FLUSH_EVERY);
            let mut last_health = Instant::now();
            let mut last_flush = Instant::now();
            let mut open = true;
            while open {
                tokio::select! {
                    batch = records.recv() => match batch {
                        Some(batch) => pending.extend(batch),
                        None => open = false,
                    },
                    _ = flush.tick() => {}
                }
                let due = pending.len() >= MAX_BATCH
                    || (!pending.is_empty() && last_flush.elapsed() >= FLUSH_EVERY)
                    || !open;
                let health_due = last_health.elapsed() >= HEALTH_EVERY || !open;
                if due || health_due {
                    let snapshot = health_due.then(|| health.snapshot());
                    let mut w = writer.take().expect("writer present");
                    let mut batch = std::mem::take(&mut pending);
                    let (w, batch, result) = tokio::task::spawn_blocking(move || {
                        let result = w.flush(&mut batch, snapshot);
                        (w, batch, result)
                    })
                    .await
                    .expect("store write task");
                    result?;
                    writer = Some(w);
                    pending = batch;
                    last_flush = Instant::now();
                    if health_due {
                        last_health = Instant::now();
                    }
                }
            }
            Ok(writer.expect("writer present").stats)
        });
        StoreSink { task }
    }

    /// Waits for the sink to finish (after all senders are dropped).
    pub async fn join(self) -> Result<SinkStats, StoreError> {
        self.task
            .await
            .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
    }
}

/// Writes `pending`, retrying a failed transaction a few times with back-off.
fn write_all(
    store: &mut dyn Store,
    pending: &[Record],
    stats: &mut SinkStats,
) -> Result<(), StoreError> {
    if pending.is_empty() {
        return Ok(());
    }
    let mut delay = Duration::from_millis(50);
    let mut attempts = 0;
    loop {
        match store.write(pending) {
            Ok(n) => {
                stats.records += n as u64;
                stats.transactions += 1;
                return Ok(());
            }
            Err(e) if attempts < 5 => {
                tracing::warn!("store write failed, retrying in {delay:?}: {e}");
                std::thread::sleep(delay);
                delay *= 2;
                attempts += 1;
            }
            Err(e) => return Err(e),
        }
    }
}
