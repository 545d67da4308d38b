//! Notifications of alarms: a durable outbox and the channels that deliver it — a JSON
//! webhook, DingTalk and WeCom robots, mail over SMTP with STARTTLS (feature `notify`).
//!
//! The flow: a change of an alarm (opened, updated, escalated, closed) becomes an
//! [`AlarmNotice`]; [`Notifier::notify`] routes it to channels by severity, scope and
//! change ([`route`]), marks the messages a silence or maintenance window (or the stale-data
//! policy) holds back, and writes one message per channel to the [`outbox`] — synced before
//! it returns, keyed by an idempotency key (alarm, change, channel) that refuses a repeat.
//! [`Notifier::start`] delivers: one task per channel, retries with back-off, rate limits
//! with summaries ([`deliver`]), messages rendered in the channel's language
//! ([`template`]). Nothing is lost on a crash or while a receiver is down; a message may be
//! sent twice (at least once), with the same key. With [`Notifier::with_audit`], what became
//! of each message — delivered, refused, held back — is recorded in its alarm's audit log
//! (`audit.rs`).
//!
//! The configuration is `[notify]` in `lantian.toml` ([`config`], [`channel_config`]);
//! secrets come from the environment or files ([`secret`]).

mod audit;
pub mod channel;
pub mod channel_config;
pub mod config;
pub mod deliver;
pub mod limits;
pub mod notification;
pub mod outbox;
pub mod route;
pub mod secret;
pub mod template;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use tokio::sync::{Notify, mpsc};

pub use channel::{ChannelError, Sender};
pub use config::{NotifyConfig, NotifyConfigError};
pub use deliver::{Delivery, DeliveryReport};
pub use notification::{AlarmNotice, Event, EventKind, Notification, Place};
pub use outbox::{Outbox, OutboxError, Outcome, State};

use crate::clock::Clock;
use crate::store::{AlarmStore, Suppression};
use outbox::NewMessage;

/// Errors of the notifier.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// The outbox failed.
    #[error(transparent)]
    Outbox(#[from] OutboxError),
    /// A channel cannot be set up (a secret missing, a CA file unreadable).
    #[error(transparent)]
    Channel(#[from] ChannelError),
    /// No channel has that name.
    #[error("no notification channel is named `{name}` (configured: {known})")]
    UnknownChannel {
        /// The name asked for.
        name: String,
        /// The configured names.
        known: String,
    },
    /// Another process delivers from the outbox.
    #[error("another lantian process delivers from the outbox {0}")]
    Busy(String),
}

/// What became of one channel's message when it was enqueued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enqueued {
    /// The channel.
    pub channel: String,
    /// The message's idempotency key.
    pub key: String,
    /// Queued, suppressed, or refused as a repeat.
    pub outcome: Outcome,
    /// Why it is not sent, when suppressed.
    pub suppressed: Option<Suppression>,
}

/// The notifier: routes and enqueues notices, and delivers them.
pub struct Notifier {
    config: Arc<NotifyConfig>,
    zone: Tz,
    outbox: deliver::Shared,
    wake: HashMap<String, Arc<Notify>>,
    audit: Option<audit::Audit>,
    audit_wake: Arc<Notify>,
}

impl std::fmt::Debug for Notifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notifier")
            .field("zone", &self.zone)
            .finish()
    }
}

impl Notifier {
    /// Opens the outbox at `path` for `config` (reads no secret, connects nowhere); `zone` is
    /// the network's, for silences and the times in messages.
    pub fn open(config: NotifyConfig, path: &Path, zone: Tz) -> Result<Notifier, NotifyError> {
        let outbox = Outbox::open(path, config.max_pending, config.retain)?;
        let wake = config
            .channels
            .iter()
            .map(|c| (c.name.clone(), Arc::new(Notify::new())))
            .collect();
        Ok(Notifier {
            config: Arc::new(config),
            zone,
            outbox: Arc::new(Mutex::new(outbox)),
            wake,
            audit: None,
            audit_wake: Arc::new(Notify::new()),
        })
    }

    /// Records what became of each message in its alarm's audit log in `store` (the alarms'
    /// store, a handle of its own), at the time `clock` read when it happened. The recording
    /// runs beside the delivery ([`Notifier::start`]), so only in the process that delivers.
    pub fn with_audit(mut self, store: Box<dyn AlarmStore>, clock: Clock) -> Notifier {
        self.audit = Some(audit::Audit {
            store: Arc::new(Mutex::new(store)),
            clock,
        });
        self
    }

    /// The configuration.
    pub fn config(&self) -> &NotifyConfig {
        &self.config
    }

    /// Runs `f` on the outbox (status, inspection). Blocks on SQLite: call it outside async
    /// code or on a blocking thread.
    pub fn with_outbox<T>(&self, f: impl FnOnce(&mut Outbox) -> T) -> T {
        f(&mut self.outbox.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Routes `notice` and writes its messages to the outbox, synced, before returning
    /// (blocking: SQLite). Messages held back by a silence or the stale-data policy are
    /// written as suppressed; a message whose key is in the outbox already is refused
    /// ([`Outcome::Duplicate`]). Fails with [`OutboxError::Full`], writing nothing, when the
    /// outbox is full.
    pub fn notify(&self, notice: &AlarmNotice) -> Result<Vec<Enqueued>, NotifyError> {
        let n = Notification::Alarm(Box::new(notice.clone()));
        let planned = route::plan(&self.config, notice, self.zone);
        let messages: Vec<NewMessage> = planned
            .into_iter()
            .map(|p| NewMessage {
                key: n.key(&p.channel),
                channel: p.channel,
                alarm: n.alarm_group(),
                notification: n.clone(),
                suppressed: p.suppressed,
            })
            .collect();
        self.enqueue(messages, Utc::now())
    }

    /// Writes a test message for `channel` (no route, no silence), returning its key.
    pub fn enqueue_test(&self, channel: &str, at: DateTime<Utc>) -> Result<Enqueued, NotifyError> {
        self.check_channel(channel)?;
        let n = Notification::Test { at };
        let message = NewMessage {
            key: n.key(channel),
            channel: channel.to_string(),
            alarm: n.alarm_group(),
            notification: n,
            suppressed: None,
        };
        Ok(self.enqueue(vec![message], at)?.remove(0))
    }

    fn check_channel(&self, channel: &str) -> Result<(), NotifyError> {
        check_channel(&self.config, channel)
    }

    fn enqueue(
        &self,
        messages: Vec<NewMessage>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Enqueued>, NotifyError> {
        let outcomes = self.with_outbox(|o| o.enqueue(&messages, now))?;
        if outcomes.contains(&Outcome::Suppressed) {
            self.audit_wake.notify_one();
        }
        let mut out = Vec::with_capacity(messages.len());
        for (m, outcome) in messages.into_iter().zip(outcomes) {
            if outcome == Outcome::Queued
                && let Some(w) = self.wake.get(&m.channel)
            {
                w.notify_one();
            }
            out.push(Enqueued {
                channel: m.channel,
                key: m.key,
                outcome,
                suppressed: m.suppressed,
            });
        }
        Ok(out)
    }

    /// Starts delivering the messages of `channels` (every configured channel when `None`):
    /// reads their secrets, builds their clients, takes the outbox's delivery lock
    /// ([`NotifyError::Busy`] when another process holds it) and spawns their tasks on the
    /// current tokio runtime. `reports`, when given, hears what became of each message.
    pub fn start(
        &self,
        channels: Option<&[&str]>,
        reports: Option<mpsc::Sender<DeliveryReport>>,
    ) -> Result<Delivery, NotifyError> {
        if let Some(list) = channels {
            for c in list {
                self.check_channel(c)?;
            }
        }
        let mut senders = Vec::new();
        for spec in &self.config.channels {
            if channels.is_none_or(|list| list.contains(&spec.name.as_str())) {
                senders.push(Sender::new(spec)?);
            }
        }
        let lock = self.with_outbox(|o| o.lock_delivery())?.ok_or_else(|| {
            NotifyError::Busy(self.with_outbox(|o| o.path().display().to_string()))
        })?;
        Ok(deliver::start(
            &self.config,
            senders,
            self.zone,
            self.outbox.clone(),
            &self.wake,
            reports,
            lock,
            self.audit.clone().map(|a| (a, self.audit_wake.clone())),
        ))
    }

    /// Waits until the message `key` leaves the open states or `wait` passes, and returns
    /// it as it is then (`None` when there is no such message).
    pub async fn wait_for(
        &self,
        key: &str,
        wait: Duration,
    ) -> Result<Option<outbox::Message>, NotifyError> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let k = key.to_string();
            let m = deliver::with_outbox(&self.outbox, move |o| o.get(&k)).await?;
            let done = m.as_ref().is_none_or(|m| !m.state.is_open());
            if done || tokio::time::Instant::now() >= deadline {
                return Ok(m);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// The steps of alarms handed to a notifier: each step people hear of becomes an
/// [`AlarmNotice`] named with its station's [`Place`] and goes to the outbox. The one path for
/// every place a step is taken — the alarm stage (opened, updated, escalated, cleared), the
/// web's and the command line's steps (closed by hand) — so each has the same consequences.
#[derive(Debug, Clone)]
pub struct ChangeNotices {
    notifier: Arc<Notifier>,
    places: Arc<HashMap<String, Place>>,
}

impl ChangeNotices {
    /// Notices for `notifier`, naming the places of `stations`.
    pub fn new(notifier: Arc<Notifier>, stations: &[crate::store::StationInfo]) -> ChangeNotices {
        let places = stations
            .iter()
            .map(|s| (s.id.clone(), Place::of(s)))
            .collect();
        ChangeNotices {
            notifier,
            places: Arc::new(places),
        }
    }

    /// Routes and enqueues the notices of `changes` (blocking: SQLite); a change nobody is
    /// notified of (an acknowledgement, a comment) gives none. A notice that cannot be
    /// queued (the outbox full or failing) is logged: the step itself is already stored.
    pub fn send(&self, changes: &[crate::alarms::Change]) {
        for change in changes {
            let place = change
                .alarm
                .subject
                .station()
                .and_then(|id| self.places.get(&**id))
                .cloned()
                .unwrap_or_default();
            let Some(notice) = AlarmNotice::of_change(change, place) else {
                continue;
            };
            if let Err(e) = self.notifier.notify(&notice) {
                tracing::error!(
                    "alarm {}: its notification was not queued: {e}",
                    change.alarm.id()
                );
            }
        }
    }
}

/// [`NotifyError::UnknownChannel`] unless `config` has a channel named `channel`.
fn check_channel(config: &NotifyConfig, channel: &str) -> Result<(), NotifyError> {
    match config.channel(channel) {
        Some(_) => Ok(()),
        None => Err(NotifyError::UnknownChannel {
            name: channel.to_string(),
            known: config.channel_names(),
        }),
    }
}

/// What `lantian alarms test-notify` found.
#[derive(Debug, Clone, PartialEq)]
pub struct TestReport {
    /// The test message's key.
    pub key: String,
    /// Its state when the command stopped waiting.
    pub state: State,
    /// Failed attempts.
    pub attempts: u32,
    /// The last failure (or the refusal).
    pub last_error: Option<String>,
    /// Older messages of the channel still waiting: a channel sends in order, so these go
    /// first (and a transient failure of the oldest holds the others back).
    pub waiting_before: usize,
    /// The last failure of the oldest of them.
    pub channel_error: Option<String>,
    /// Whether this process delivered (false: another process holds the delivery lock and
    /// was left to do it).
    pub delivered_here: bool,
}

/// Sends a test message through `channel`: enqueues it in the outbox at `path`, delivers
/// that channel's messages (older ones first) unless another process does, and waits up to
/// `wait` for the test message to be delivered or refused.
pub async fn test_notify(
    config: NotifyConfig,
    path: &Path,
    zone: Tz,
    channel: &str,
    wait: Duration,
) -> Result<TestReport, NotifyError> {
    check_channel(&config, channel)?;
    let notifier = Notifier::open(config, path, zone)?;
    // Delivery first: a channel that cannot start (a secret missing) leaves no test message.
    let delivery = match notifier.start(Some(&[channel]), None) {
        Ok(d) => Some(d),
        Err(NotifyError::Busy(_)) => None,
        Err(e) => return Err(e),
    };
    let enqueued = notifier.enqueue_test(channel, Utc::now())?;
    let message = notifier.wait_for(&enqueued.key, wait).await?;
    let delivered_here = delivery.is_some();
    if let Some(d) = delivery {
        d.stop().await;
    }
    let m = message.ok_or_else(|| {
        NotifyError::Outbox(OutboxError::Corrupt {
            path: path.to_path_buf(),
            id: 0,
            reason: format!("the test message {} vanished", enqueued.key),
        })
    })?;
    let before: Vec<outbox::Message> = notifier
        .with_outbox(|o| o.messages(channel))?
        .into_iter()
        .filter(|o| o.id < m.id && o.state.is_open())
        .collect();
    Ok(TestReport {
        key: m.key,
        state: m.state,
        attempts: m.attempts,
        last_error: m.refused.or(m.last_error),
        waiting_before: before.len(),
        channel_error: before.first().and_then(|o| o.last_error.clone()),
        delivered_here,
    })
}
