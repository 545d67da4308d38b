//! The steps people take on alarms in the web — acknowledge, assign, comment, close — one path
//! for the API (`POST /api/v1/alarms/{id}/{step}`) and the alarm page's forms: the alarm
//! book's step (audited in the alarm's log with the user as actor, in one write with the
//! alarm), then the change handed to the server's [`AlarmHook`] (the notifications: the same
//! `notify::ChangeNotices` the alarm stage and `lantian alarms` hand their steps to, so a
//! close by hand is notified whichever way it is taken), then the platform's audit log.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::error::ApiError;
use super::state::AppState;
use crate::alarms::{AlarmBook, AlarmError, Change};
use crate::store::{AlarmIdPrefix, Store};

/// What the server does with each alarm step taken in it, after it is stored (blocking: it
/// runs on the store's blocking thread). `lantian run` and `lantian serve` hand the steps to
/// the notifier when `[notify]` has channels.
pub type AlarmHook = Arc<dyn Fn(&[Change]) + Send + Sync>;

/// A person's step on an alarm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlarmStep {
    /// Acknowledge.
    Acknowledge,
    /// Assign to someone.
    Assign(String),
    /// Comment.
    Comment(String),
    /// Close with a note.
    Close(String),
}

impl AlarmStep {
    /// The action's name in the platform's audit log (`alarm.acknowledge`, …).
    pub fn audit_action(&self) -> &'static str {
        match self {
            AlarmStep::Acknowledge => "alarm.acknowledge",
            AlarmStep::Assign(_) => "alarm.assign",
            AlarmStep::Comment(_) => "alarm.comment",
            AlarmStep::Close(_) => "alarm.close",
        }
    }

    /// Its text (the assignee, the comment, the note; empty for an acknowledgement).
    pub fn text(&self) -> &str {
        match self {
            AlarmStep::Acknowledge => "",
            AlarmStep::Assign(t) | AlarmStep::Comment(t) | AlarmStep::Close(t) => t,
        }
    }
}

/// Takes `step` on the alarm `id` names, by `by`, at `at`, in `store`, and hands the change
/// to `hook`.
pub(crate) fn take_step(
    store: &mut dyn Store,
    hook: Option<&AlarmHook>,
    id: &AlarmIdPrefix,
    step: &AlarmStep,
    by: &str,
    at: DateTime<Utc>,
) -> Result<Change, AlarmError> {
    let mut book = AlarmBook::new(store);
    let change = match step {
        AlarmStep::Acknowledge => book.acknowledge(id, by, at),
        AlarmStep::Assign(to) => book.assign(id, to, by, at),
        AlarmStep::Comment(text) => book.comment(id, text, by, at),
        AlarmStep::Close(note) => book.close(id, note, by, at),
    }?;
    if let Some(hook) = hook {
        hook(std::slice::from_ref(&change));
    }
    Ok(change)
}

/// Takes `step` on the alarm `id` by the user `actor` (now, on a blocking thread), hands it
/// to the server's hook and records it in the platform's audit log.
pub(crate) async fn take(
    state: &AppState,
    actor: &str,
    id: AlarmIdPrefix,
    step: AlarmStep,
) -> Result<Change, ApiError> {
    let hook = state.alarm_hook.clone();
    let (by, taken) = (actor.to_string(), step.clone());
    let change = state
        .store
        .with(move |s| Ok(take_step(s, hook.as_ref(), &id, &taken, &by, Utc::now())?))
        .await?;
    let accounts = state.accounts.clone();
    let (actor, alarm) = (actor.to_string(), change.alarm.id().full());
    tokio::task::spawn_blocking(move || {
        accounts.audit(&actor, step.audit_action(), &alarm, step.text())
    })
    .await
    .map_err(|e| ApiError::unavailable("audit", e))??;
    Ok(change)
}
