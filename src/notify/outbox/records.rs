//! The outbox's records: a message to enqueue, what became of it, a message read back, its
//! [`State`], and the counts the rate limits and `status` read.

use chrono::{DateTime, Utc};

use crate::notify::notification::Notification;
use crate::store::Suppression;

/// A message's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum State {
    /// To be sent (at `next_ms`).
    Pending,
    /// Held back by the per-alarm rate limit until `next_ms`; the next message about the same
    /// alarm on the channel carries it in its summary.
    Held,
    /// Sent and acknowledged by the receiver.
    Delivered,
    /// Not sent itself: counted in the summary of another, delivered message.
    Summarised,
    /// Not sent: a silence or maintenance window covered it (`note` says which).
    Suppressed,
    /// Refused by the receiver for good (`note` says why); kept, never retried.
    Failed,
}

impl State {
    /// Every state, in order.
    pub const ALL: [State; 6] = [
        State::Pending,
        State::Held,
        State::Delivered,
        State::Summarised,
        State::Suppressed,
        State::Failed,
    ];

    /// The stored code.
    pub const fn code(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Held => "held",
            State::Delivered => "delivered",
            State::Summarised => "summarised",
            State::Suppressed => "suppressed",
            State::Failed => "failed",
        }
    }

    pub(super) fn parse(code: &str) -> Option<State> {
        State::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Whether the message still waits to be sent.
    pub const fn is_open(self) -> bool {
        matches!(self, State::Pending | State::Held)
    }
}

/// A message to enqueue.
#[derive(Debug, Clone, PartialEq)]
pub struct NewMessage {
    /// Its idempotency key.
    pub key: String,
    /// The channel.
    pub channel: String,
    /// The rule and subject it is about.
    pub alarm: String,
    /// What happened.
    pub notification: Notification,
    /// `None` to send; why not, to record it as suppressed.
    pub suppressed: Option<Suppression>,
}

/// What an enqueue did with one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Written; it will be sent.
    Queued,
    /// Written as suppressed (a silence); it will not be sent.
    Suppressed,
    /// Its key is in the outbox already (in this state): nothing written.
    Duplicate(State),
}

/// A message read back.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// Its row.
    pub id: i64,
    /// Its idempotency key.
    pub key: String,
    /// The channel.
    pub channel: String,
    /// The rule and subject.
    pub alarm: String,
    /// What happened.
    pub notification: Notification,
    /// Its state.
    pub state: State,
    /// When it was enqueued.
    pub created: DateTime<Utc>,
    /// When it may be tried next (open states).
    pub next: DateTime<Utc>,
    /// Failed sends so far.
    pub attempts: u32,
    /// The last failure's error.
    pub last_error: Option<String>,
    /// Why it was refused (failed).
    pub refused: Option<String>,
    /// Why it was not sent (suppressed).
    pub suppressed: Option<Suppression>,
    /// When it reached its final state.
    pub done: Option<DateTime<Utc>>,
    /// For `summarised`: the row of the message that carried its summary.
    pub summarised_in: Option<i64>,
}

/// Messages per channel and state, for `status`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Counts {
    /// `(channel, state, messages)`, ordered by channel and state.
    pub rows: Vec<(String, State, u64)>,
}

/// How many messages the per-window limits see, and when the oldest of them leaves the
/// window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowUse {
    /// Delivered messages in the window.
    pub sent: u32,
    /// Delivery time of the oldest of them.
    pub oldest: Option<DateTime<Utc>>,
}
