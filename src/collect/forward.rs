//! Store-and-forward: the thread that moves spooled batches into the store.
//!
//! The sink appends every batch to the [`Spool`] first (write-ahead); this forwarder, on its
//! own thread, takes the oldest pending entry (with the entries after it, up to
//! [`DELIVERY_RECORDS`] records, when a backlog waits), writes it to the store, runs the
//! index stage on it and only then acknowledges it. While the store fails (or is slow: a blocked write
//! only delays this thread, never the sink) entries accumulate in the spool and the store is
//! retried with capped exponential back-off; once it answers, the backlog is replayed oldest
//! first and the forwarder catches up. A spool left non-empty by an earlier run (a crash, or
//! a stop while the store was down) is replayed first in the same way.
//!
//! An entry whose write succeeded but whose acknowledgement was lost (a crash in between) is
//! written again on the next start: harmless, since writing the same key replaces.
//!
//! Store calls have no timeout of their own here — a blocking call cannot be abandoned —
//! so each backend bounds its calls (SQLite waits [`BUSY_TIMEOUT`](crate::store::sqlite::BUSY_TIMEOUT)
//! for a lock; HTTP backends use request timeouts).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::backoff::Backoff;
use super::health::HealthBoard;
use super::quarantine::{Quarantine, QuarantineError, isolate};
use super::sink::{HEALTH_EVERY, SinkError};
use crate::alarms::rules::stage::AlarmStage;
use crate::alarms::rules::system::SpoolFacts;
use crate::compute::IndexStage;
use crate::store::spool::{DEFAULT_MAX_BYTES, Depth, Spool, SpoolError};
use crate::store::{IngestStore, Record, StationInfo, StoreError};

/// First retry delay after a failed store write.
const RETRY_INITIAL: Duration = Duration::from_millis(100);

/// Records written in one delivery (one store transaction, one pass of the index and alarm
/// stages) when several spool entries wait: a backlog moves in fewer, larger transactions —
/// a commit and its WAL checkpoint cost about as much as the inserts, and consecutive minutes
/// of a series land on the same B-tree pages. An entry larger than this goes alone.
pub const DELIVERY_RECORDS: usize = 20_000;

fn delivery_records() -> usize {
    DELIVERY_RECORDS
}

/// Spool settings (`[spool]` in the configuration). Durations are real time.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SpoolConfig {
    /// The spool directory. Default: next to a SQLite store, `<store file>-spool`; otherwise
    /// `spool` beside the configuration file (see [`crate::config::Config::spool_dir`]).
    pub dir: Option<PathBuf>,
    /// Bound of the spool's files in bytes (default 1 GiB). When it is reached the sink stops
    /// taking batches and the collectors wait (back-pressure): nothing is dropped.
    pub max_bytes: u64,
    /// Ceiling of the back-off between store retries; `retry_max_ms` in files.
    #[serde(rename = "retry_max_ms", with = "super::millis")]
    pub retry_max: Duration,
    /// At stop, how long to keep retrying a failing store before leaving the rest in the
    /// spool for the next start; `drain_timeout_ms` in files.
    #[serde(rename = "drain_timeout_ms", with = "super::millis")]
    pub drain_timeout: Duration,
    /// Records delivered in one store transaction when a backlog waits (default
    /// [`DELIVERY_RECORDS`]; not a key of the file: `benches/forward_replay.rs` compares it
    /// with 1, one spool entry per transaction).
    #[serde(skip, default = "delivery_records")]
    pub delivery_records: usize,
}

impl Default for SpoolConfig {
    fn default() -> Self {
        SpoolConfig {
            dir: None,
            max_bytes: DEFAULT_MAX_BYTES,
            retry_max: Duration::from_secs(30),
            drain_timeout: Duration::from_secs(10),
            delivery_records: DELIVERY_RECORDS,
        }
    }
}

/// The spool and the store as the forwarder sees them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SpoolSnapshot {
    /// The spool directory (`None`: in memory, lost with the process).
    pub dir: Option<PathBuf>,
    /// Pending entries, records and bytes.
    pub depth: Depth,
    /// Time of the oldest pending reading.
    pub oldest: Option<DateTime<Utc>>,
    /// Bytes used and the bound.
    pub used_bytes: u64,
    /// The configured bound.
    pub max_bytes: u64,
    /// The spool is full: the sink waits and the collectors with it.
    pub full: bool,
    /// The filesystem under the spool is full (the append's error): the sink holds records
    /// in memory, then pauses the collectors, until there is room.
    pub disk_full: Option<String>,
    /// The collectors have stopped and everything they sent is in the spool; the forwarder
    /// is delivering what is left.
    pub draining: bool,
    /// The last store write failed.
    pub store_failing: bool,
    /// The last store error.
    pub store_error: Option<String>,
    /// Since when (wall clock) store writes fail.
    pub failing_since: Option<DateTime<Utc>>,
    /// Records the store rejected for good during this run, set aside (see
    /// [`quarantine`](super::quarantine)).
    pub quarantined: u64,
    /// Where they were set aside (`None` with an in-memory spool: only logged).
    pub quarantine_file: Option<PathBuf>,
}

/// The live [`SpoolSnapshot`], shared like [`HealthBoard`].
#[derive(Debug, Clone, Default)]
pub struct SpoolStatus(Arc<Mutex<SpoolSnapshot>>);

impl SpoolStatus {
    /// A copy of the current state.
    pub fn snapshot(&self) -> SpoolSnapshot {
        self.lock().clone()
    }

    fn lock(&self) -> MutexGuard<'_, SpoolSnapshot> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn update_spool(&self, spool: &Spool) {
        let mut s = self.lock();
        s.dir = spool.dir().map(Into::into);
        s.depth = spool.depth();
        s.oldest = spool.oldest_time();
        s.used_bytes = spool.used_bytes();
        s.max_bytes = spool.max_bytes();
    }

    pub(super) fn set_full(&self, full: bool) {
        self.lock().full = full;
    }

    pub(super) fn set_disk_full(&self, error: Option<String>) {
        self.lock().disk_full = error;
    }

    pub(super) fn set_draining(&self) {
        self.lock().draining = true;
    }
}

/// What the forwarder did.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct ForwardStats {
    pub records: u64,
    pub transactions: u64,
    pub indices: u64,
    pub replayed: u64,
    pub store_failures: u64,
    pub quarantined: u64,
}

struct State {
    spool: Spool,
    closing: bool,
}

struct Shared {
    state: Mutex<State>,
    wake: Condvar,
    status: SpoolStatus,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The sink's side: appends, and the forwarder thread.
pub(super) struct Forwarder {
    shared: Arc<Shared>,
    thread: std::thread::JoinHandle<Result<ForwardStats, SinkError>>,
}

/// What moves into the forwarder thread.
pub(super) struct Target {
    pub store: Box<dyn IngestStore>,
    pub stage: IndexStage,
    /// The alarm stage: after each write, and on its timer.
    pub alarms: Option<AlarmStage>,
    pub health: HealthBoard,
    /// Stations still to register in the store: before anything else is written.
    pub unregistered: Vec<StationInfo>,
}

impl Target {
    /// Registers the stations still to register (none: nothing to do).
    fn register(&mut self) -> Result<(), StoreError> {
        if !self.unregistered.is_empty() {
            let n = self.store.put_stations(&self.unregistered)?;
            tracing::info!("{n} stations registered in the store");
            self.unregistered.clear();
        }
        Ok(())
    }

    /// Runs the alarm stage on what was written (after the index stage).
    fn alarms_after(&mut self, written: &[Record]) {
        if let Some(alarms) = &mut self.alarms {
            alarms.written(self.store.as_mut(), written, self.stage.hourly());
        }
    }

    /// Runs the alarm stage's timer rules when due; returns the real time until the next
    /// evaluation.
    fn alarms_timer(&mut self, status: &SpoolStatus) -> Option<Duration> {
        let alarms = self.alarms.as_mut()?;
        if alarms.until_next_tick().is_zero() {
            // The device rules read the store's health: bring it up to this instant first.
            if let Err(e) = self.store.put_health(&self.health.snapshot()) {
                tracing::debug!("health before the alarm evaluation not stored: {e}");
            }
            let s = status.snapshot();
            let facts = SpoolFacts {
                failing_since: s.failing_since,
                oldest: s.oldest,
            };
            alarms.tick(self.store.as_mut(), facts);
        }
        Some(alarms.until_next_tick())
    }
}

impl Forwarder {
    /// Starts forwarding what is (and will be) in `spool` into `target.store`.
    pub(super) fn start(
        spool: Spool,
        target: Target,
        config: &SpoolConfig,
        status: SpoolStatus,
    ) -> Forwarder {
        status.update_spool(&spool);
        // What an earlier run left, counted before the sink can append anything.
        let earlier = spool.depth().records;
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                spool,
                closing: false,
            }),
            wake: Condvar::new(),
            status,
        });
        let config = config.clone();
        let s = shared.clone();
        let thread = std::thread::Builder::new()
            .name("lantian-forward".into())
            .spawn(move || run(&s, target, &config, earlier))
            .expect("spawn the forwarder thread");
        Forwarder { shared, thread }
    }

    /// Appends `records` durably (blocking: call it off the async workers) and returns how
    /// many were appended: all of them, or — when the spool is full — a prefix. A group too
    /// large for an empty spool is split into smaller entries.
    pub(super) fn append(&self, records: &[Record]) -> (usize, Result<(), SpoolError>) {
        let mut st = self.shared.lock();
        let mut done = 0;
        let mut chunk = records.len();
        let mut result = Ok(());
        while done < records.len() {
            let end = (done + chunk).min(records.len());
            match st.spool.append(&records[done..end]) {
                Ok(_) => done = end,
                Err(SpoolError::Full { .. }) if st.spool.depth().entries == 0 && end - done > 1 => {
                    chunk = (end - done) / 2;
                }
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        self.shared.status.update_spool(&st.spool);
        if done > 0 {
            self.shared.wake.notify_one();
        }
        (done, result)
    }

    /// The shared status.
    pub(super) fn status(&self) -> &SpoolStatus {
        &self.shared.status
    }

    /// Tells the forwarder no more batches come and waits for it (blocking). Returns its
    /// stats and what was left in the spool.
    pub(super) fn finish(self) -> (Result<ForwardStats, SinkError>, Depth) {
        self.shared.lock().closing = true;
        self.shared.wake.notify_one();
        let result = self
            .thread
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e));
        let left = self.shared.lock().spool.depth();
        (result, left)
    }
}

/// What one delivery did.
struct Delivered {
    /// Index records written.
    indices: u64,
    /// Records the store rejected for good, now in the quarantine.
    quarantined: u64,
}

/// Why a delivery failed; either way the batch stays at the spool's head and is tried again
/// after a back-off.
#[derive(Debug, thiserror::Error)]
enum DeliverError {
    /// The store failed (not a rejection: those are quarantined).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The records the store rejected could not be set aside.
    #[error(transparent)]
    Quarantine(#[from] QuarantineError),
}

/// Writes `records`, then the indices they touch. When the store rejects the batch for
/// good, the records it cannot take are isolated and quarantined and the rest written (see
/// [`quarantine`](super::quarantine)).
fn deliver(
    target: &mut Target,
    quarantine: &Quarantine,
    records: &[Record],
) -> Result<Delivered, DeliverError> {
    let rejection = match target.store.put_readings(records) {
        Ok(_) => None,
        Err(e) if e.is_rejection() => Some(e),
        Err(e) => return Err(e.into()),
    };
    let Some(rejection) = rejection else {
        let indices = target.stage.update(target.store.as_mut(), records)? as u64;
        target.alarms_after(records);
        return Ok(Delivered {
            indices,
            quarantined: 0,
        });
    };
    tracing::warn!(
        "the store rejected a batch of {}: {rejection}; isolating the records it refuses",
        records.len()
    );
    let store = target.store.as_mut();
    let (accepted, rejected) = isolate(records, &mut |part| store.put_readings(part).map(drop))?;
    quarantine.put(&rejected)?;
    let indices = target.stage.update(target.store.as_mut(), &accepted)? as u64;
    target.alarms_after(&accepted);
    Ok(Delivered {
        indices,
        quarantined: rejected.len() as u64,
    })
}

/// The store's state as the forwarder sees it: back-off after failures.
struct Retry {
    backoff: Backoff,
    /// No attempt before this.
    at: Option<Instant>,
    /// Since when writes fail (`None`: the last one succeeded).
    failing_since: Option<Instant>,
    last_error: String,
}

impl Retry {
    fn waiting(&self, now: Instant) -> bool {
        self.at.is_some_and(|t| now < t)
    }

    fn failed(&mut self, e: impl std::fmt::Display, shared: &Shared, stats: &mut ForwardStats) {
        let delay = self.backoff.next_delay();
        stats.store_failures += 1;
        self.at = Some(Instant::now() + delay);
        self.last_error = e.to_string();
        if self.failing_since.is_none() {
            self.failing_since = Some(Instant::now());
            tracing::warn!(
                "store write failed; spooling until it recovers (retry in {delay:.1?}): {e}"
            );
        } else {
            tracing::debug!("store still failing (retry in {delay:.1?}): {e}");
        }
        let mut s = shared.status.lock();
        s.store_failing = true;
        s.store_error = Some(self.last_error.clone());
        s.failing_since.get_or_insert_with(Utc::now);
    }

    fn succeeded(&mut self, shared: &Shared) {
        if let Some(since) = self.failing_since.take() {
            tracing::info!(
                "store is back after {:.1?}; replaying the spooled backlog",
                since.elapsed()
            );
            let mut s = shared.status.lock();
            s.store_failing = false;
            s.failing_since = None;
        }
        self.backoff.reset();
        self.at = None;
    }
}

/// The forwarder thread.
fn run(
    shared: &Shared,
    mut target: Target,
    config: &SpoolConfig,
    mut replay_left: u64,
) -> Result<ForwardStats, SinkError> {
    let mut stats = ForwardStats::default();
    let mut retry = Retry {
        backoff: Backoff::new(RETRY_INITIAL, config.retry_max),
        at: None,
        failing_since: None,
        last_error: String::new(),
    };
    let mut last_health: Option<Instant> = None;
    let mut deadline: Option<Instant> = None;
    let durable = shared.lock().spool.is_durable();
    let quarantine = Quarantine::new(shared.lock().spool.dir());
    if replay_left > 0 {
        tracing::info!("replaying {replay_left} spooled records into the store first");
    }
    loop {
        let until_alarms = target.alarms_timer(&shared.status);
        let now = Instant::now();
        let mut st = shared.lock();
        if st.closing && deadline.is_none() {
            deadline = Some(now + config.drain_timeout);
        }
        let waiting = retry.waiting(now);
        // The stations first: the index stage reads their zones, and readings of stations
        // the store does not know would have no name in it.
        if !waiting && !target.unregistered.is_empty() {
            drop(st);
            match target.register() {
                Ok(()) => retry.succeeded(shared),
                Err(e) => retry.failed(e, shared, &mut stats),
            }
            continue;
        }
        let pending = st.spool.depth().entries;
        let gave_up = retry.failing_since.is_some() && deadline.is_some_and(|d| now >= d);
        if st.closing && (pending == 0 || gave_up) {
            break;
        }
        let run = if waiting {
            Vec::new()
        } else {
            st.spool.peek_oldest_run(config.delivery_records)?
        };
        if run.is_empty() {
            let health_due = last_health.is_none_or(|t| now >= t + HEALTH_EVERY);
            if !waiting && health_due {
                drop(st);
                last_health = Some(now);
                if let Err(e) = target.store.put_health(&target.health.snapshot()) {
                    retry.failed(e, shared, &mut stats);
                }
                continue;
            }
            let mut wake = now + Duration::from_secs(1);
            let alarms_due = until_alarms.map(|d| now + d);
            let times = [
                retry.at,
                last_health.map(|t| t + HEALTH_EVERY),
                deadline,
                alarms_due,
            ];
            for t in times.into_iter().flatten() {
                wake = wake.min(t.max(now));
            }
            drop(shared.wake.wait_timeout(st, wake - now));
            continue;
        }
        drop(st);
        let seqs: Vec<u64> = run.iter().map(|b| b.seq).collect();
        let records: Vec<Record> = run.into_iter().flat_map(|b| b.records).collect();
        let n = records.len() as u64;
        match deliver(&mut target, &quarantine, &records) {
            Ok(done) => {
                let mut st = shared.lock();
                for seq in seqs {
                    st.spool.ack(seq)?;
                }
                shared.status.update_spool(&st.spool);
                drop(st);
                if done.quarantined > 0 {
                    let mut s = shared.status.lock();
                    s.quarantined += done.quarantined;
                    s.quarantine_file = quarantine.path().map(Path::to_path_buf);
                }
                stats.records += n - done.quarantined;
                stats.quarantined += done.quarantined;
                stats.transactions += 1;
                stats.indices += done.indices;
                let replayed = n.min(replay_left);
                stats.replayed += replayed;
                replay_left -= replayed;
                retry.succeeded(shared);
            }
            Err(e) => retry.failed(e, shared, &mut stats),
        }
    }
    // The last health, once (while the store fails it keeps the previous one).
    if retry.failing_since.is_none()
        && let Err(e) = target.store.put_health(&target.health.snapshot())
    {
        tracing::warn!("could not store the final device health: {e}");
    }
    let left = shared.lock().spool.depth().records;
    if left > 0 {
        if !durable {
            return Err(SinkError::Undelivered {
                records: left,
                last_error: format!("{} (no spool directory)", retry.last_error),
            });
        }
        tracing::warn!(
            "{left} records remain in the spool (store: {}); they are sent on the next start",
            retry.last_error
        );
    }
    Ok(stats)
}
