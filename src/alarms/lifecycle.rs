//! The state machine of an alarm, as pure functions over the records: each step checks that
//! it may be taken (an [`AlarmError`] naming the alarm when not) and returns the alarm as it
//! is after it, with the action that audits it ([`Change`]).
//!
//! ```text
//!            raise                acknowledge            close (by hand, with a note)
//!   (none) ─────────► open ───────────────────► acknowledged ──────────────► closed
//!                      │ ▲  escalate (no ack in T)                              ▲
//!                      │ └─ raise again: update (peak, last value, severity)    │
//!                      └── clear: the value stayed past the clear level ────────┘
//!                          for the hysteresis time (automatically, also when acknowledged)
//! ```
//!
//! Comments and assignments are allowed in every state but closed (comments also after
//! closing); what became of notifications is recorded in every state. Times are kept in milliseconds, as the stores keep them.

use chrono::{DateTime, SubsecRound, TimeDelta, Utc};

use super::AlarmError;
use crate::store::{
    Actor, Alarm, AlarmAction, AlarmEvent, AlarmEvidence, AlarmKind, AlarmSubject, ClosedBy,
    Closure, Direction, Escalation, Handled, Measure, Observation, Severity, WarningLevel,
};

/// What a rule found: a value at or beyond its threshold.
#[derive(Debug, Clone, PartialEq)]
pub struct Raise {
    /// The rule's id.
    pub rule: String,
    /// What it found it about.
    pub subject: AlarmSubject,
    /// The rule's family.
    pub kind: AlarmKind,
    /// How serious.
    pub severity: Severity,
    /// What the value measures.
    pub measure: Measure,
    /// Above or below the threshold.
    pub direction: Direction,
    /// The rule's threshold.
    pub threshold: f64,
    /// The rule's clear level.
    pub clear_level: f64,
    /// The value and its (data) time.
    pub value: Observation,
    /// The warning colour of a heavy-pollution warning.
    pub warning: Option<WarningLevel>,
    /// The value comes from replayed data (after an outage): record, do not page.
    pub stale: bool,
}

/// An alarm after a step, and the action that audits the step (`None` for what nobody needs
/// to read in the log: a new latest value, the hysteresis starting or stopping).
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// The alarm as it is now (its `revision` one more than before).
    pub alarm: Alarm,
    /// The action, if the step is audited (its `seq` the alarm's `actions`).
    pub action: Option<AlarmAction>,
}

/// `t` as the stores keep it (milliseconds).
pub(super) fn ms(t: DateTime<Utc>) -> DateTime<Utc> {
    t.trunc_subsecs(3)
}

/// The next revision of `alarm` at `at`, audited by `event` of `actor` if given.
fn step(mut alarm: Alarm, at: DateTime<Utc>, audit: Option<(Actor, AlarmEvent)>) -> Change {
    let at = ms(at);
    alarm.revision += 1;
    alarm.updated = at;
    let action = audit.map(|(actor, event)| {
        alarm.actions += 1;
        AlarmAction {
            alarm: alarm.key(),
            seq: alarm.actions,
            at,
            actor,
            event,
        }
    });
    Change { alarm, action }
}

/// Refuses a step on a closed alarm.
fn not_closed(alarm: &Alarm, action: &'static str) -> Result<(), AlarmError> {
    match alarm.closed {
        Some(_) => Err(AlarmError::Closed {
            id: alarm.id(),
            action,
        }),
        None => Ok(()),
    }
}

/// A name that must be a person's.
fn person(name: &str) -> Result<Actor, AlarmError> {
    Ok(Actor::user(name)?)
}

/// Whether `value` is at or beyond `threshold` in `direction`.
fn beyond(direction: Direction, value: f64, threshold: f64) -> bool {
    match direction {
        Direction::Above => value >= threshold,
        Direction::Below => value <= threshold,
    }
}

/// Opens an alarm for `raise` (recorded at `at`). There must be no open alarm of its rule
/// and subject (the store refuses a second one; [`update`] is for the open one).
pub fn open(raise: &Raise, at: DateTime<Utc>) -> Result<Change, AlarmError> {
    let first = Observation {
        time: ms(raise.value.time),
        value: raise.value.value,
    };
    let alarm = Alarm {
        rule: raise.rule.clone(),
        subject: raise.subject.clone(),
        opened: first.time,
        kind: raise.kind,
        severity: raise.severity,
        evidence: AlarmEvidence {
            measure: raise.measure,
            direction: raise.direction,
            threshold: raise.threshold,
            clear_level: raise.clear_level,
            first,
            last: first,
            peak: first,
            warning: raise.warning,
        },
        stale: raise.stale,
        acknowledged: None,
        assignee: None,
        escalation: None,
        clearing_since: None,
        closed: None,
        updated: ms(at),
        revision: 0,
        actions: 0,
    };
    let id = alarm.id();
    let invalid = |reason: String| AlarmError::Invalid { id, reason };
    if !beyond(raise.direction, raise.value.value, raise.threshold) {
        return Err(invalid(format!(
            "value {} is not {} the threshold {}",
            raise.value.value, raise.direction, raise.threshold
        )));
    }
    let event = AlarmEvent::Opened {
        severity: raise.severity,
        value: first,
        stale: raise.stale,
    };
    let change = step(alarm, at, Some((Actor::System, event)));
    change.alarm.check().map_err(invalid)?;
    Ok(change)
}

/// Updates the open `alarm` with a new value of its rule: the latest value, the peak, the
/// severity (the highest given), freshness; the hysteresis stops. Audited when the severity
/// rises or the alarm becomes fresh (live data after replayed data), the changes
/// notifications act on. `None` when the value changes nothing (a value seen before).
pub fn update(
    alarm: &Alarm,
    raise: &Raise,
    at: DateTime<Utc>,
) -> Result<Option<Change>, AlarmError> {
    not_closed(alarm, "updated")?;
    let invalid = |reason: String| AlarmError::Invalid {
        id: alarm.id(),
        reason,
    };
    if (raise.rule.as_str(), &raise.subject) != (alarm.rule.as_str(), &alarm.subject) {
        return Err(invalid(format!(
            "a value of rule {} and subject {} does not update it",
            raise.rule, raise.subject
        )));
    }
    let value = Observation {
        time: ms(raise.value.time),
        value: raise.value.value,
    };
    if value.time < alarm.opened {
        return Err(invalid(format!(
            "a value of {} is before its opening",
            value.time
        )));
    }
    if !beyond(
        alarm.evidence.direction,
        value.value,
        alarm.evidence.threshold,
    ) {
        return Err(invalid(format!(
            "value {} is not {} the threshold {}",
            value.value, alarm.evidence.direction, alarm.evidence.threshold
        )));
    }
    let mut a = alarm.clone();
    let e = &mut a.evidence;
    if value.time >= e.last.time {
        e.last = value;
    }
    if e.worse(value.value, e.peak.value) {
        e.peak = value;
    }
    if raise.warning > e.warning {
        e.warning = raise.warning;
    }
    a.clearing_since = None;
    let rose = raise.severity > a.severity;
    let freshened = a.stale && !raise.stale;
    a.severity = a.severity.max(raise.severity);
    a.stale = a.stale && raise.stale;
    if a == *alarm {
        return Ok(None);
    }
    let audit = (rose || freshened).then(|| {
        let event = AlarmEvent::Updated {
            severity: a.severity,
            peak: a.evidence.peak,
            stale: a.stale,
        };
        (Actor::System, event)
    });
    let change = step(a, at, audit);
    change.alarm.check().map_err(invalid)?;
    Ok(Some(change))
}

/// The condition of the open `alarm` was found clear (its value past the clear level) at
/// `time`: the hysteresis starts, and once the condition has been clear for `hold` the alarm
/// closes by itself. `None` when nothing changes (the hysteresis is running, not yet over).
/// A clear value labelled before the alarm opened (late data that would have prevented a
/// no-data alarm) counts from the opening: an alarm never closes before it opened.
pub fn clear(
    alarm: &Alarm,
    time: DateTime<Utc>,
    hold: TimeDelta,
) -> Result<Option<Change>, AlarmError> {
    not_closed(alarm, "cleared")?;
    let time = ms(time).max(alarm.opened);
    let since = alarm.clearing_since.unwrap_or(time);
    let mut a = alarm.clone();
    if time - since >= hold {
        a.clearing_since = Some(since);
        let how = ClosedBy::Cleared { since };
        a.closed = Some(Closure {
            at: time,
            how: how.clone(),
        });
        return Ok(Some(step(
            a,
            time,
            Some((Actor::System, AlarmEvent::Closed { how })),
        )));
    }
    if alarm.clearing_since.is_some() {
        return Ok(None);
    }
    a.clearing_since = Some(since);
    Ok(Some(step(a, time, None)))
}

/// A value of the open `alarm` between its threshold and its clear level: the condition is no
/// longer clear, so the hysteresis stops. `None` when it was not running.
pub fn interrupt_clearing(alarm: &Alarm, at: DateTime<Utc>) -> Result<Option<Change>, AlarmError> {
    not_closed(alarm, "updated")?;
    if alarm.clearing_since.is_none() {
        return Ok(None);
    }
    let mut a = alarm.clone();
    a.clearing_since = None;
    Ok(Some(step(a, at, None)))
}

/// `by` acknowledges the alarm: someone has taken it on, escalation stops.
pub fn acknowledge(alarm: &Alarm, by: &str, at: DateTime<Utc>) -> Result<Change, AlarmError> {
    not_closed(alarm, "acknowledged")?;
    let actor = person(by)?;
    if let Some(h) = &alarm.acknowledged {
        return Err(AlarmError::AlreadyAcknowledged {
            id: alarm.id(),
            by: h.by.clone(),
            at: h.at,
        });
    }
    let mut a = alarm.clone();
    a.acknowledged = Some(Handled {
        by: by.to_string(),
        at: ms(at),
    });
    Ok(step(a, at, Some((actor, AlarmEvent::Acknowledged))))
}

/// `by` assigns the alarm to `to` (a person or department).
pub fn assign(alarm: &Alarm, to: &str, by: &str, at: DateTime<Utc>) -> Result<Change, AlarmError> {
    not_closed(alarm, "assigned")?;
    let actor = person(by)?;
    person(to)?;
    if alarm.assignee.as_deref() == Some(to) {
        return Err(AlarmError::AlreadyAssigned {
            id: alarm.id(),
            to: to.to_string(),
        });
    }
    let mut a = alarm.clone();
    a.assignee = Some(to.to_string());
    let event = AlarmEvent::Assigned { to: to.to_string() };
    Ok(step(a, at, Some((actor, event))))
}

/// `by` comments on the alarm (also a closed one: what was found afterwards).
pub fn comment(
    alarm: &Alarm,
    text: &str,
    by: &str,
    at: DateTime<Utc>,
) -> Result<Change, AlarmError> {
    let actor = person(by)?;
    if text.trim().is_empty() {
        return Err(AlarmError::EmptyText {
            id: alarm.id(),
            what: "comment",
        });
    }
    let event = AlarmEvent::Commented {
        text: text.to_string(),
    };
    Ok(step(alarm.clone(), at, Some((actor, event))))
}

/// `by` closes the alarm by hand, saying why in `note`.
pub fn close(alarm: &Alarm, note: &str, by: &str, at: DateTime<Utc>) -> Result<Change, AlarmError> {
    not_closed(alarm, "closed again")?;
    let actor = person(by)?;
    if note.trim().is_empty() {
        return Err(AlarmError::EmptyText {
            id: alarm.id(),
            what: "note",
        });
    }
    let how = ClosedBy::Hand {
        by: by.to_string(),
        note: note.to_string(),
    };
    let mut a = alarm.clone();
    a.closed = Some(Closure {
        at: ms(at),
        how: how.clone(),
    });
    Ok(step(a, at, Some((actor, AlarmEvent::Closed { how }))))
}

/// Nobody acknowledged the alarm in time: it goes one level further.
pub fn escalate(alarm: &Alarm, at: DateTime<Utc>) -> Result<Change, AlarmError> {
    not_closed(alarm, "escalated")?;
    if let Some(h) = &alarm.acknowledged {
        return Err(AlarmError::AlreadyAcknowledged {
            id: alarm.id(),
            by: h.by.clone(),
            at: h.at,
        });
    }
    let level = alarm.escalation.map_or(1, |e| e.level + 1);
    let mut a = alarm.clone();
    a.escalation = Some(Escalation { level, at: ms(at) });
    Ok(step(
        a,
        at,
        Some((Actor::System, AlarmEvent::Escalated { level })),
    ))
}

/// What became of a message about the alarm (a notification sent, refused for good or held
/// back), recorded in its log; also on a closed alarm (its closing is told after it).
/// `event` must be one of [`AlarmEvent::Notified`], [`AlarmEvent::Undelivered`] and
/// [`AlarmEvent::Suppressed`].
pub fn message_fate(
    alarm: &Alarm,
    event: AlarmEvent,
    at: DateTime<Utc>,
) -> Result<Change, AlarmError> {
    if event.message().is_none() {
        return Err(AlarmError::Invalid {
            id: alarm.id(),
            reason: format!("`{}` is not what became of a message", event.code()),
        });
    }
    Ok(step(alarm.clone(), at, Some((Actor::System, event))))
}

/// The platform notes `text` in the alarm's log: what the rules know beside the values (the
/// nearest located source of an outlier, a device's last error, what a forecast cannot decide).
pub fn note(alarm: &Alarm, text: &str, at: DateTime<Utc>) -> Change {
    let event = AlarmEvent::Commented {
        text: text.to_string(),
    };
    step(alarm.clone(), at, Some((Actor::System, event)))
}

/// When alarms nobody acknowledged are escalated (`[alarms] escalate_after`,
/// `escalate_levels`): after a time per severity (severities without one are never
/// escalated), counted from the opening and then from each escalation, at most `levels` times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscalationPolicy {
    /// The time without acknowledgement after which an alarm of each severity goes one level
    /// further (`None`: never).
    pub after: std::collections::BTreeMap<Severity, TimeDelta>,
    /// The highest level.
    pub levels: u32,
}

impl Default for EscalationPolicy {
    /// Nothing is escalated (escalation is configured with `escalate_after`); 3 levels.
    fn default() -> Self {
        EscalationPolicy {
            after: std::collections::BTreeMap::new(),
            levels: 3,
        }
    }
}

impl EscalationPolicy {
    /// The same time for every severity.
    pub fn every_severity(after: TimeDelta, levels: u32) -> EscalationPolicy {
        EscalationPolicy {
            after: Severity::ALL.iter().map(|s| (*s, after)).collect(),
            levels,
        }
    }

    /// Whether any alarm is ever escalated.
    pub fn is_off(&self) -> bool {
        self.after.is_empty() || self.levels == 0
    }

    /// Whether the open `alarm` is due for its next escalation at `now`: not acknowledged,
    /// live (not stale), below the highest level, and its severity's time has passed since
    /// its opening or its latest escalation.
    pub fn due(&self, alarm: &Alarm, now: DateTime<Utc>) -> bool {
        let Some(after) = self.after.get(&alarm.severity) else {
            return false;
        };
        alarm.closed.is_none()
            && alarm.acknowledged.is_none()
            && !alarm.stale
            && alarm.escalation.map_or(0, |e| e.level) < self.levels
            && now - alarm.escalation.map_or(alarm.opened, |e| e.at) >= *after
    }
}

#[cfg(test)]
#[path = "lifecycle_tests.rs"]
pub(super) mod tests;
