//! Why a step of an alarm's life was refused ([`AlarmError`]): each error names the alarm.

use chrono::{DateTime, Utc};

use crate::store::{AlarmId, AlarmIdPrefix, AlarmSubject, BadActor, StoreError};

/// A step of an alarm's life that cannot be taken, or a store that failed.
#[derive(Debug, thiserror::Error)]
pub enum AlarmError {
    /// No alarm has an id starting so.
    #[error("no alarm has the id {0}")]
    NotFound(AlarmIdPrefix),
    /// The id names several alarms.
    #[error("{id} names {} alarms ({}): type more of the id", alarms.len(), full(alarms))]
    Ambiguous {
        /// What was typed.
        id: AlarmIdPrefix,
        /// The alarms it names.
        alarms: Vec<AlarmId>,
    },
    /// The alarm is closed: it cannot be acknowledged, assigned, escalated, updated or closed
    /// again.
    #[error("alarm {id} is closed: it cannot be {action}")]
    Closed {
        /// The alarm.
        id: AlarmId,
        /// What was asked (`acknowledged`, `assigned`…).
        action: &'static str,
    },
    /// The alarm was acknowledged already.
    #[error("alarm {id} was already acknowledged by {by} at {at}")]
    AlreadyAcknowledged {
        /// The alarm.
        id: AlarmId,
        /// By whom.
        by: String,
        /// When.
        at: DateTime<Utc>,
    },
    /// The alarm is assigned to that person already.
    #[error("alarm {id} is already assigned to {to}")]
    AlreadyAssigned {
        /// The alarm.
        id: AlarmId,
        /// To whom.
        to: String,
    },
    /// A comment or a closing note without text.
    #[error("alarm {id}: the {what} is empty")]
    EmptyText {
        /// The alarm.
        id: AlarmId,
        /// `comment` or `note`.
        what: &'static str,
    },
    /// An alarm of the rule and subject is open: a second cannot be opened.
    #[error("alarm {id} of rule {rule} and subject {subject} is open: a second cannot be opened")]
    AlreadyOpen {
        /// The open alarm.
        id: AlarmId,
        /// Its rule.
        rule: String,
        /// Its subject.
        subject: AlarmSubject,
    },
    /// What the rules found does not fit the alarm or cannot be stored.
    #[error("alarm {id}: {reason}")]
    Invalid {
        /// The alarm (the one it would open, for a new one).
        id: AlarmId,
        /// Why.
        reason: String,
    },
    /// A name that cannot be a person's.
    #[error(transparent)]
    BadActor(#[from] BadActor),
    /// Other writers kept changing the alarm while this change was being made.
    #[error("alarm {id} kept changing under this change ({attempts} attempts): try again")]
    Contended {
        /// The alarm.
        id: AlarmId,
        /// Attempts made.
        attempts: u32,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The full ids, comma-separated.
fn full(ids: &[AlarmId]) -> String {
    ids.iter()
        .map(|id| id.full())
        .collect::<Vec<_>>()
        .join(", ")
}
