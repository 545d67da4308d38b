//! Delivery: one task per channel takes the oldest due message from the outbox, applies the
//! channel's and the per-alarm rate limits, renders it, sends it within the channel's
//! timeout, and records the outcome. A channel that fails backs off (capped exponential,
//! jittered: [`RetryPolicy`]) without holding up the others.
//!
//! **Rate limits.** A channel sends at most `rate_limit.count` messages per
//! `rate_limit.minutes`; more wait for the window (DingTalk and WeCom robots refuse more
//! than 20 a minute and then block the robot for minutes). About one rule and subject a
//! channel sends at most `per_alarm.count` messages per `per_alarm.minutes`: more are
//! *held* until the window has room, and the next message sent about that alarm — the
//! newest of those waiting — carries a summary of the others (how many, of which change,
//! from when to when); they are recorded as `summarised` in it. A flapping station thus
//! sends a few messages an hour, and nothing it raised is silently dropped.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use tokio::sync::{Notify, mpsc, watch};
use tokio::task::JoinHandle;

use super::channel::{SendError, Sender};
use super::config::{NotifyConfig, RateLimit, RetryPolicy};
use super::notification::{EventKind, Notification};
use super::outbox::{DeliveryLock, Message, Outbox, OutboxError, State};
use super::template::{Context, Summary, render};

/// How often an idle channel looks for messages other processes enqueued.
const POLL: Duration = Duration::from_secs(5);
/// How often delivered messages past their retention are removed.
const COMPACT_EVERY: Duration = Duration::from_secs(3600);

/// What became of a message, for whoever listens ([`super::Notifier::start`]'s `reports`:
/// tests, summaries); the alarms' audit log reads it from the outbox instead (`notify/audit.rs`).
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryReport {
    /// The channel.
    pub channel: String,
    /// The message's idempotency key.
    pub key: String,
    /// What it was about.
    pub notification: Notification,
    /// What became of it.
    pub state: State,
    /// For `summarised`: the key of the message that carried its summary.
    pub carried_by: Option<String>,
}

/// The outbox shared by the enqueuers and the channel tasks.
pub(super) type Shared = Arc<Mutex<Outbox>>;

/// Runs `f` on the outbox on tokio's blocking pool (SQLite syncs to disk).
pub(super) async fn with_outbox<T: Send + 'static>(
    outbox: &Shared,
    f: impl FnOnce(&mut Outbox) -> Result<T, OutboxError> + Send + 'static,
) -> Result<T, OutboxError> {
    let outbox = outbox.clone();
    tokio::task::spawn_blocking(move || {
        f(&mut outbox.lock().unwrap_or_else(PoisonError::into_inner))
    })
    .await
    .expect("an outbox call does not panic")
}

/// Delivery running in the background; stops when [`Delivery::stop`] is called (or when
/// dropped, at the tasks' next await).
#[derive(Debug)]
pub struct Delivery {
    tasks: Vec<JoinHandle<()>>,
    shutdown: watch::Sender<bool>,
    _lock: DeliveryLock,
}

impl Delivery {
    /// Stops the channel tasks, after the send in flight if any (at most its channel's
    /// timeout); what is not delivered stays pending for the next start.
    pub async fn stop(mut self) {
        let _ = self.shutdown.send(true);
        for t in std::mem::take(&mut self.tasks) {
            let _ = t.await;
        }
    }
}

impl Drop for Delivery {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

/// One channel's task state.
struct ChannelTask {
    sender: Sender,
    lang: crate::lang::Lang,
    rate: RateLimit,
    per_alarm: RateLimit,
    retry: RetryPolicy,
    zone: Tz,
    link: Option<String>,
    outbox: Shared,
    wake: Arc<Notify>,
    shutdown: watch::Receiver<bool>,
    reports: Option<mpsc::Sender<DeliveryReport>>,
    /// Woken when a message reaches its final state (its fate goes into the audit log).
    audit: Option<Arc<Notify>>,
    failures: u32,
}

/// What one step did.
enum Step {
    /// A message was sent, held or refused: look again at once.
    Again,
    /// Nothing to do before this time (or a wake-up).
    Idle(Option<DateTime<Utc>>),
    /// The send failed: wait this long whatever happens.
    BackOff(Duration),
}

/// Starts a task per sender (and the compaction task, and the audit task with `audit`);
/// `lock` is the outbox's delivery lock.
#[allow(clippy::too_many_arguments)]
pub(super) fn start(
    config: &NotifyConfig,
    senders: Vec<Sender>,
    zone: Tz,
    outbox: Shared,
    wake: &HashMap<String, Arc<Notify>>,
    reports: Option<mpsc::Sender<DeliveryReport>>,
    lock: DeliveryLock,
    audit: Option<(super::audit::Audit, Arc<Notify>)>,
) -> Delivery {
    let (shutdown, rx) = watch::channel(false);
    let mut tasks = Vec::new();
    for sender in senders {
        let spec = config
            .channel(sender.name())
            .expect("senders are built from the configuration");
        let task = ChannelTask {
            lang: spec.lang,
            rate: spec.rate_limit,
            per_alarm: config.per_alarm,
            retry: config.retry,
            zone,
            link: config.link.clone(),
            outbox: outbox.clone(),
            wake: wake[sender.name()].clone(),
            shutdown: rx.clone(),
            reports: reports.clone(),
            audit: audit.as_ref().map(|(_, wake)| wake.clone()),
            failures: 0,
            sender,
        };
        tasks.push(tokio::spawn(task.run()));
    }
    if let Some((audit, wake)) = audit {
        let run = super::audit::run(outbox.clone(), audit, wake, rx.clone());
        tasks.push(tokio::spawn(run));
    }
    tasks.push(tokio::spawn(compact(outbox, rx)));
    Delivery {
        tasks,
        shutdown,
        _lock: lock,
    }
}

async fn compact(outbox: Shared, mut shutdown: watch::Receiver<bool>) {
    loop {
        match with_outbox(&outbox, |o| o.compact(Utc::now())).await {
            Ok(0) => {}
            Ok(n) => tracing::info!("outbox: removed {n} messages past their retention"),
            Err(e) => tracing::warn!("{e}"),
        }
        tokio::select! {
            _ = tokio::time::sleep(COMPACT_EVERY) => {}
            _ = shutdown.changed() => return,
        }
    }
}

fn delta(d: Duration) -> TimeDelta {
    TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX)
}

impl ChannelTask {
    async fn run(mut self) {
        let name = self.sender.name().to_string();
        loop {
            if *self.shutdown.borrow() {
                return;
            }
            let step = match self.step().await {
                Ok(step) => step,
                Err(e) => {
                    tracing::error!("notify channel `{name}`: {e}");
                    Step::BackOff(POLL)
                }
            };
            let (sleep, wakeable) = match step {
                Step::Again => continue,
                Step::BackOff(d) => (d, false),
                Step::Idle(until) => {
                    let d = until
                        .map(|t| (t - Utc::now()).to_std().unwrap_or_default())
                        .unwrap_or(POLL);
                    (d.min(POLL), true)
                }
            };
            tokio::select! {
                _ = tokio::time::sleep(sleep) => {}
                _ = self.wake.notified(), if wakeable => {}
                _ = self.shutdown.changed() => return,
            }
        }
    }

    /// Sends (or holds, or refuses) the oldest due message, or says how long to wait.
    async fn step(&mut self) -> Result<Step, OutboxError> {
        let now = Utc::now();
        let name = self.sender.name().to_string();
        let (rate, per_alarm) = (self.rate, self.per_alarm);
        let used = {
            let name = name.clone();
            with_outbox(&self.outbox, move |o| {
                o.sent_since(&name, None, now - delta(rate.window))
            })
            .await?
        };
        if used.sent >= rate.count {
            return Ok(Step::Idle(used.oldest.map(|t| t + delta(rate.window))));
        }
        let due = {
            let name = name.clone();
            with_outbox(&self.outbox, move |o| {
                let Some(m) = o.next_due(&name, now)? else {
                    return Ok(Err(o.next_time(&name)?));
                };
                let group = o.sent_since(&name, Some(&m.alarm), now - delta(per_alarm.window))?;
                if group.sent >= per_alarm.count {
                    let until = group.oldest.unwrap_or(now) + delta(per_alarm.window);
                    o.hold(m.id, until)?;
                    return Ok(Ok(None));
                }
                let mut set = o.held(&name, &m.alarm)?;
                if !set.iter().any(|h| h.id == m.id) {
                    set.push(m);
                }
                set.sort_by_key(|h| h.id);
                Ok(Ok(Some(set)))
            })
            .await?
        };
        let mut set = match due {
            Err(next) => return Ok(Step::Idle(next)),
            Ok(None) => return Ok(Step::Again),
            Ok(Some(set)) => set,
        };
        let main = set.pop().expect("at least the due message");
        let summary = summary(&set);
        let cx = Context {
            lang: self.lang,
            zone: self.zone,
            link: self.link.as_deref(),
            channel: &name,
        };
        let out = render(&main.notification, &main.key, summary.as_ref(), cx);
        let folded: Vec<i64> = set.iter().map(|m| m.id).collect();
        match self.sender.send(&out).await {
            Ok(()) => {
                self.failures = 0;
                let (id, ids) = (main.id, folded.clone());
                with_outbox(&self.outbox, move |o| o.delivered(id, &ids, Utc::now())).await?;
                tracing::info!(
                    "notify channel `{name}`: delivered {}{}",
                    main.key,
                    if folded.is_empty() {
                        String::new()
                    } else {
                        format!(" with the summary of {} held back", folded.len())
                    }
                );
                self.report(&main, State::Delivered, None).await;
                for m in &set {
                    self.report(m, State::Summarised, Some(main.key.clone()))
                        .await;
                }
                Ok(Step::Again)
            }
            Err(SendError::Transient(e)) => {
                self.failures = self.failures.saturating_add(1);
                let wait = self.retry.delay(self.failures);
                tracing::warn!(
                    "notify channel `{name}`: {} not delivered ({e}); trying again in {:.1} s",
                    main.key,
                    wait.as_secs_f64()
                );
                let (id, ids) = (main.id, folded);
                let next = Utc::now() + delta(wait);
                with_outbox(&self.outbox, move |o| o.retry_later(id, &ids, &e, next)).await?;
                Ok(Step::BackOff(wait))
            }
            Err(SendError::Rejected(e)) => {
                tracing::error!(
                    "notify channel `{name}`: {} refused for good, kept as failed: {e}",
                    main.key
                );
                let id = main.id;
                with_outbox(&self.outbox, move |o| o.failed(id, &e, Utc::now())).await?;
                self.report(&main, State::Failed, None).await;
                Ok(Step::Again)
            }
        }
    }

    async fn report(&self, m: &Message, state: State, carried_by: Option<String>) {
        if let Some(wake) = &self.audit {
            wake.notify_one();
        }
        if let Some(tx) = &self.reports {
            let report = DeliveryReport {
                channel: m.channel.clone(),
                key: m.key.clone(),
                notification: m.notification.clone(),
                state,
                carried_by,
            };
            if tx.send(report).await.is_err() {
                tracing::debug!("delivery reports: nobody listens any more");
            }
        }
    }
}

/// The summary of the messages a sent one stands for (`None` for none).
fn summary(folded: &[Message]) -> Option<Summary> {
    let first = folded.first()?;
    let mut by_event: Vec<(EventKind, u32)> = Vec::new();
    for m in folded {
        if let Some(a) = m.notification.alarm() {
            let k = a.event.kind();
            match by_event.iter_mut().find(|(c, _)| *c == k) {
                Some((_, n)) => *n += 1,
                None => by_event.push((k, 1)),
            }
        }
    }
    by_event.sort();
    Some(Summary {
        held: folded.len() as u32,
        by_event,
        first: first.notification.at(),
        last: folded
            .iter()
            .map(|m| m.notification.at())
            .max()
            .unwrap_or(first.notification.at()),
    })
}
