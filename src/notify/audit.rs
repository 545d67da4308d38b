//! What became of each message, in its alarm's audit log: "notified via dingtalk",
//! "notification refused by hook: HTTP 400", "held back on mail: silence 夜间" — written by
//! the process that delivers, after the outbox has recorded the message's final state.
//!
//! The outbox stays the source of truth: a message is sent, its state written, and only then
//! its fate recorded in the alarm's log ([`AlarmBook::record_message`], naming the message's
//! idempotency key), after which the outbox marks it `audited`. A crash in between leaves
//! the message delivered and unaudited; the next start records it then. Recording is
//! idempotent (a key already in the log is not recorded again), so a crash after the log was
//! written and before the mark writes nothing twice, and no message is ever sent again for
//! the audit's sake.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use tokio::sync::{Notify, watch};

use super::deliver::{Shared, with_outbox};
use super::outbox::{Message, State};
use crate::alarms::{AlarmBook, AlarmError};
use crate::clock::Clock;
use crate::store::{AlarmEvent, AlarmKey, AlarmStore, Suppression};

/// How many messages one pass records.
const BATCH: usize = 200;
/// How often the auditor looks when nobody wakes it, and waits after the store failed.
const POLL: Duration = Duration::from_secs(5);

/// The store the fates are recorded in, and the clock their times are told on.
#[derive(Clone)]
pub(super) struct Audit {
    pub(super) store: Arc<Mutex<Box<dyn AlarmStore>>>,
    pub(super) clock: Clock,
}

/// The alarm a message is about and the audit event of its fate (`None` for a test message
/// or a message still open).
fn fate(m: &Message, carrier: Option<String>) -> Option<(AlarmKey, AlarmEvent)> {
    let alarm = m.notification.alarm()?.key();
    let (channel, message) = (m.channel.clone(), m.key.clone());
    let event = match m.state {
        State::Delivered => AlarmEvent::Notified { channel, message },
        State::Failed => AlarmEvent::Undelivered {
            channel,
            message,
            reason: m
                .refused
                .clone()
                .or_else(|| m.last_error.clone())
                .unwrap_or_default(),
        },
        State::Suppressed => AlarmEvent::Suppressed {
            why: m.suppressed.clone().unwrap_or(Suppression::Stale),
            channel,
            message,
        },
        State::Summarised => AlarmEvent::Suppressed {
            why: Suppression::RateLimit {
                summarised_in: carrier,
            },
            channel,
            message,
        },
        State::Pending | State::Held => return None,
    };
    Some((alarm, event))
}

/// `done` (real time) on `clock`'s time line: what the clock read then.
fn on_clock(clock: &Clock, done: DateTime<Utc>) -> DateTime<Utc> {
    let ago = (Utc::now() - done).max(TimeDelta::zero());
    let scaled = TimeDelta::microseconds((ago.as_seconds_f64() * clock.speed() * 1e6) as i64);
    clock.now() - scaled
}

/// Records the fates of up to [`BATCH`] unaudited messages; how many it looked at, or the
/// store's error (the rest waits for the next pass).
async fn pass(outbox: &Shared, audit: &Audit) -> Result<usize, String> {
    let batch = with_outbox(outbox, |o| {
        let batch = o.unaudited(BATCH)?;
        batch
            .into_iter()
            .map(|m| {
                let carrier = match m.summarised_in {
                    Some(id) => o.key_of(id)?,
                    None => None,
                };
                Ok((m, carrier))
            })
            .collect::<Result<Vec<_>, _>>()
    })
    .await
    .map_err(|e| e.to_string())?;
    if batch.is_empty() {
        return Ok(0);
    }
    let n = batch.len();
    let (store, clock) = (audit.store.clone(), audit.clock.clone());
    let (done, failure) = tokio::task::spawn_blocking(move || {
        let mut store = store.lock().unwrap_or_else(PoisonError::into_inner);
        let mut book = AlarmBook::new(&mut **store);
        let mut done = Vec::new();
        for (m, carrier) in batch {
            let Some((alarm, event)) = fate(&m, carrier) else {
                done.push(m.id);
                continue;
            };
            let at = on_clock(&clock, m.done.unwrap_or_else(Utc::now));
            match book.record_message(&alarm, event, at) {
                Ok(_) => done.push(m.id),
                Err(AlarmError::Store(e)) => return (done, Some(e.to_string())),
                // An alarm no longer stored (or a record it refuses) never takes it.
                Err(e) => {
                    tracing::warn!("notify: the fate of message {} is not audited: {e}", m.key);
                    done.push(m.id);
                }
            }
        }
        (done, None)
    })
    .await
    .expect("an audit pass does not panic");
    if !done.is_empty() {
        with_outbox(outbox, move |o| o.audited(&done))
            .await
            .map_err(|e| e.to_string())?;
    }
    match failure {
        Some(e) => Err(e),
        None => Ok(n),
    }
}

/// Records fates until shut down: at once when woken (a message reached its final state),
/// every [`POLL`] otherwise; a last pass at shutdown.
pub(super) async fn run(
    outbox: Shared,
    audit: Audit,
    wake: Arc<Notify>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let wait = match pass(&outbox, &audit).await {
            Ok(n) if n == BATCH => continue,
            Ok(_) => POLL,
            Err(e) => {
                tracing::warn!("notify: audit of delivered messages waits: {e}");
                POLL
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = wake.notified() => {}
            _ = shutdown.changed() => {
                if let Err(e) = pass(&outbox, &audit).await {
                    tracing::warn!("notify: audit of delivered messages left for the next start: {e}");
                }
                return;
            }
        }
    }
}

#[cfg(test)]
#[path = "audit_tests.rs"]
mod tests;
