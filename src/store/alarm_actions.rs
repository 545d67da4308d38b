//! The audit log of alarms: every [`AlarmAction`] — who ([`Actor`]), when, what
//! ([`AlarmEvent`]) — appended, never changed.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::alarm_terms::{Severity, valid_name};
use super::alarms::{AlarmKey, ClosedBy, Observation};

/// Who did something to an alarm: the platform (the rules, the escalation timer, the
/// notifier) or a person.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Actor {
    /// The platform. Stored as `system`.
    System,
    /// A person (or department), by name. Stored as the name; `system` is not a person's.
    User(String),
}

impl Actor {
    /// The stored form: `system`, or the name.
    pub fn code(&self) -> &str {
        match self {
            Actor::System => "system",
            Actor::User(name) => name,
        }
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A name that cannot be an actor.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` cannot name a person: empty, with control characters, or `system`")]
pub struct BadActor(pub String);

impl FromStr for Actor {
    type Err = BadActor;
    /// `system` is the platform; any other name a person.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "system" => Ok(Actor::System),
            name if valid_name(name) => Ok(Actor::User(name.to_string())),
            other => Err(BadActor(other.to_string())),
        }
    }
}

impl Actor {
    /// A person named `name`, refusing names that cannot be one.
    pub fn user(name: &str) -> Result<Actor, BadActor> {
        match name.parse()? {
            Actor::System => Err(BadActor(name.to_string())),
            user => Ok(user),
        }
    }
}

/// Why a notification of an alarm was not sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum Suppression {
    /// A silence that matched it.
    Silence {
        /// The silence's name.
        name: String,
    },
    /// A maintenance window of its station or device.
    Maintenance {
        /// The window's name.
        name: String,
    },
    /// It was raised from replayed data (the stale-data policy).
    Stale,
    /// Its rule or channel sent as many messages as it may for now: held back, and told in
    /// the summary of a later message.
    RateLimit {
        /// The idempotency key of the message whose summary told it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        summarised_in: Option<String>,
    },
}

/// What happened to an alarm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum AlarmEvent {
    /// Raised, with the value that opened it.
    Opened {
        /// The severity it opened with.
        severity: Severity,
        /// The value that opened it.
        value: Observation,
        /// Raised from replayed data.
        stale: bool,
    },
    /// The rule raised it again with a higher severity, or with live data after replayed
    /// data: the severity and the peak after the change.
    Updated {
        /// Its severity now.
        severity: Severity,
        /// Its peak now.
        peak: Observation,
        /// Still only seen in replayed data.
        stale: bool,
    },
    /// Someone took it on.
    Acknowledged,
    /// Given to a person or department.
    Assigned {
        /// To whom.
        to: String,
    },
    /// A comment.
    Commented {
        /// Its text.
        text: String,
    },
    /// Nobody acknowledged it in time: notified further.
    Escalated {
        /// The escalation's level (1, 2, …).
        level: u32,
    },
    /// A notification was not sent.
    Suppressed {
        /// Why.
        why: Suppression,
        /// Which channel would have sent it (its configured name).
        channel: String,
        /// The message's idempotency key in the outbox.
        message: String,
    },
    /// A notification was sent.
    Notified {
        /// Through which channel (its configured name).
        channel: String,
        /// The message's idempotency key in the outbox (what the receiver saw).
        message: String,
    },
    /// A notification was refused by its receiver for good (not retried).
    Undelivered {
        /// The channel.
        channel: String,
        /// The message's idempotency key in the outbox.
        message: String,
        /// The receiver's refusal.
        reason: String,
    },
    /// Closed.
    Closed {
        /// How.
        how: ClosedBy,
    },
}

impl AlarmEvent {
    /// The stored code of the action (`opened`, `acknowledged`, …).
    pub const fn code(&self) -> &'static str {
        match self {
            AlarmEvent::Opened { .. } => "opened",
            AlarmEvent::Updated { .. } => "updated",
            AlarmEvent::Acknowledged => "acknowledged",
            AlarmEvent::Assigned { .. } => "assigned",
            AlarmEvent::Commented { .. } => "commented",
            AlarmEvent::Escalated { .. } => "escalated",
            AlarmEvent::Suppressed { .. } => "suppressed",
            AlarmEvent::Notified { .. } => "notified",
            AlarmEvent::Undelivered { .. } => "undelivered",
            AlarmEvent::Closed { .. } => "closed",
        }
    }

    /// The idempotency key of the outbox message the action records (notified, undelivered,
    /// suppressed): an action per message, so that recording it again changes nothing.
    pub fn message(&self) -> Option<&str> {
        match self {
            AlarmEvent::Notified { message, .. }
            | AlarmEvent::Undelivered { message, .. }
            | AlarmEvent::Suppressed { message, .. } => Some(message),
            _ => None,
        }
    }

    /// The text and names the action carries, which must be storable.
    fn texts(&self) -> Vec<&str> {
        match self {
            AlarmEvent::Assigned { to } => vec![to],
            AlarmEvent::Notified { channel, message }
            | AlarmEvent::Undelivered {
                channel, message, ..
            } => vec![channel, message],
            AlarmEvent::Suppressed {
                why: Suppression::Silence { name } | Suppression::Maintenance { name },
                channel,
                message,
            } => vec![name, channel, message],
            AlarmEvent::Suppressed {
                channel, message, ..
            } => vec![channel, message],
            AlarmEvent::Closed {
                how: ClosedBy::Hand { by, .. },
            } => vec![by],
            _ => vec![],
        }
    }
}

/// One entry of an alarm's audit log. Keyed by the alarm and `seq`; appended, never changed.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmAction {
    /// The alarm.
    pub alarm: AlarmKey,
    /// Its place in the alarm's log: 1 for the opening, then 2, 3, …
    pub seq: u32,
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub actor: Actor,
    /// What.
    pub event: AlarmEvent,
}

impl AlarmAction {
    /// Why the action cannot be stored, if it cannot: `seq` 0, an actor or name that cannot
    /// be stored, an empty comment or note, a value that is not finite.
    pub fn check(&self) -> Result<(), String> {
        let fail = |why: String| {
            Err(format!(
                "action {} of alarm {}: {why}",
                self.seq, self.alarm
            ))
        };
        if self.seq == 0 {
            return fail("seq 0 (the log starts at 1)".into());
        }
        if let Actor::User(name) = &self.actor
            && (!valid_name(name) || name == "system")
        {
            return fail(format!("actor {name:?} cannot name a person"));
        }
        if let Some(t) = self.event.texts().into_iter().find(|t| !valid_name(t)) {
            return fail(format!("name {t:?} is empty or has control characters"));
        }
        match &self.event {
            AlarmEvent::Commented { text }
            | AlarmEvent::Closed {
                how: ClosedBy::Hand { note: text, .. },
            } if text.trim().is_empty() => fail("empty text".into()),
            AlarmEvent::Opened { value: o, .. } | AlarmEvent::Updated { peak: o, .. }
                if !o.value.is_finite() =>
            {
                fail(format!("value {}", o.value))
            }
            _ => Ok(()),
        }
    }
}
