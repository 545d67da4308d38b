//! What both backends share to keep alarms: the rules of a write of alarms with their actions
//! ([`plan_writes`], [`judge`]), and the stored form of an alarm's columns ([`AlarmColumns`])
//! and of an action's detail.

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::alarm_actions::{AlarmAction, AlarmEvent};
use super::alarms::{Alarm, AlarmKey, Closure, Escalation, Handled};

/// One alarm of a write with its new actions (by `seq`), checked in themselves.
#[derive(Debug)]
pub(crate) struct AlarmWrite<'a> {
    /// The alarm.
    pub(crate) alarm: &'a Alarm,
    /// Its actions in the call, by `seq`: the last of its log, without gaps.
    pub(crate) actions: Vec<&'a AlarmAction>,
}

/// Groups a write's actions by alarm after checking every record: unique keys, at most one
/// alarm per rule and subject that is not closed, every action of an alarm of the call, each
/// alarm's actions the last of its log without gaps. The error says why (a rejection).
pub(crate) fn plan_writes<'a>(
    alarms: &'a [Alarm],
    actions: &'a [AlarmAction],
) -> Result<Vec<AlarmWrite<'a>>, String> {
    let mut index = HashMap::with_capacity(alarms.len());
    let mut open = HashMap::new();
    let mut writes = Vec::with_capacity(alarms.len());
    for (i, a) in alarms.iter().enumerate() {
        a.check()?;
        if index.insert(a.key(), i).is_some() {
            return Err(format!("alarm {} is twice in one write", a.key()));
        }
        if a.closed.is_none()
            && let Some(other) = open.insert((&a.rule, &a.subject), a)
        {
            return Err(format!(
                "alarms {} and {} of one rule and subject are both open",
                other.key(),
                a.key()
            ));
        }
        writes.push(AlarmWrite {
            alarm: a,
            actions: Vec::new(),
        });
    }
    for action in actions {
        action.check()?;
        let Some(&i) = index.get(&action.alarm) else {
            return Err(format!(
                "action {} of alarm {} is written without its alarm",
                action.seq, action.alarm
            ));
        };
        writes[i].actions.push(action);
    }
    for w in &mut writes {
        w.actions.sort_by_key(|a| a.seq);
        let n = w.actions.len() as u32;
        if n > w.alarm.actions
            || !w
                .actions
                .iter()
                .map(|a| a.seq)
                .eq((w.alarm.actions + 1 - n)..=w.alarm.actions)
        {
            let seqs: Vec<u32> = w.actions.iter().map(|a| a.seq).collect();
            return Err(format!(
                "alarm {} has {} actions, but the write brings actions {seqs:?} (the last of \
                 its log, without gaps)",
                w.alarm.key(),
                w.alarm.actions
            ));
        }
    }
    Ok(writes)
}

/// What to do with one alarm of a write, given what is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Write the alarm and append its actions.
    Write,
    /// Exactly this is stored already: nothing to write.
    Stored,
}

/// Whether a write may repeat what is stored (the stored alarm is the write's alarm), so that
/// [`judge`] needs the stored actions of the write's `seq`s.
pub(crate) fn may_repeat(write: &AlarmWrite<'_>, stored: &Alarm) -> bool {
    stored == write.alarm && !write.actions.is_empty()
}

/// Whether `write` may be written over the `stored` alarm (`None`: not stored), given the
/// stored actions of the write's `seq`s when it [`may_repeat`] them (otherwise none); the
/// error is the conflict, in words.
pub(crate) fn judge(
    write: &AlarmWrite<'_>,
    stored: Option<&Alarm>,
    stored_actions: &[AlarmAction],
) -> Result<Verdict, String> {
    let a = write.alarm;
    let Some(s) = stored else {
        if write.actions.len() as u32 == a.actions {
            return Ok(Verdict::Write);
        }
        return Err(format!(
            "alarm {} is not stored: a new alarm is written with its whole log, this write \
             brings {} of its {} actions",
            a.key(),
            write.actions.len(),
            a.actions
        ));
    };
    let first_new = a.actions + 1 - write.actions.len() as u32;
    if s.revision + 1 == a.revision && s.actions + 1 == first_new {
        return Ok(Verdict::Write);
    }
    if s == a
        && write.actions.len() == stored_actions.len()
        && write
            .actions
            .iter()
            .zip(stored_actions)
            .all(|(n, o)| *n == o)
    {
        return Ok(Verdict::Stored);
    }
    Err(format!(
        "alarm {} changed since it was read: it is at revision {} with {} actions, this write \
         follows revision {} with {} actions",
        a.key(),
        s.revision,
        s.actions,
        a.revision.saturating_sub(1),
        first_new - 1
    ))
}

/// The handling of an alarm, kept as JSON in one column (SQLite) or field (InfluxDB).
#[derive(Serialize, Deserialize)]
struct Handling {
    acknowledged: Option<Handled>,
    escalation: Option<Escalation>,
    #[serde(with = "chrono::serde::ts_milliseconds_option")]
    clearing_since: Option<DateTime<Utc>>,
    closed: Option<Closure>,
}

/// An alarm as both backends store it: its key, its terms as their codes, its counters, and
/// two JSON texts (the evidence; the handling: acknowledgement, escalation, clearing, closure).
/// The state, the station and the id are derived, kept for queries only. Texts are borrowed
/// where they can be (from the alarm when writing, from the row when reading).
pub(crate) struct AlarmColumns<'a> {
    /// The rule.
    pub(crate) rule: Cow<'a, str>,
    /// The subject's code.
    pub(crate) subject: Cow<'a, str>,
    /// The opening time.
    pub(crate) opened: DateTime<Utc>,
    /// The kind's code.
    pub(crate) kind: &'a str,
    /// The severity's code.
    pub(crate) severity: &'a str,
    /// Raised from replayed data only.
    pub(crate) stale: bool,
    /// The assignee.
    pub(crate) assignee: Option<&'a str>,
    /// The last change.
    pub(crate) updated: DateTime<Utc>,
    /// Writes so far.
    pub(crate) revision: i64,
    /// Actions so far.
    pub(crate) actions: i64,
    /// The evidence as JSON.
    pub(crate) evidence: Cow<'a, str>,
    /// The handling as JSON.
    pub(crate) handling: Cow<'a, str>,
}

impl<'a> AlarmColumns<'a> {
    /// The columns of `a` (checked before: its JSON cannot fail).
    pub(crate) fn of(a: &'a Alarm) -> Result<AlarmColumns<'a>, String> {
        let json = |what: &str, r: Result<String, serde_json::Error>| {
            r.map(Cow::Owned)
                .map_err(|e| format!("{what} of alarm {}: {e}", a.key()))
        };
        let handling = Handling {
            acknowledged: a.acknowledged.clone(),
            escalation: a.escalation,
            clearing_since: a.clearing_since,
            closed: a.closed.clone(),
        };
        Ok(AlarmColumns {
            rule: Cow::Borrowed(&a.rule),
            subject: Cow::Owned(a.subject.code()),
            opened: a.opened,
            kind: a.kind.code(),
            severity: a.severity.code(),
            stale: a.stale,
            assignee: a.assignee.as_deref(),
            updated: a.updated,
            revision: i64::from(a.revision),
            actions: i64::from(a.actions),
            evidence: json("evidence", serde_json::to_string(&a.evidence))?,
            handling: json("handling", serde_json::to_string(&handling))?,
        })
    }

    /// The alarm these columns hold; the error names the row.
    pub(crate) fn into_alarm(self) -> Result<Alarm, String> {
        let whose = || {
            format!(
                "alarm {} {} opened {}",
                self.rule, self.subject, self.opened
            )
        };
        let bad = |what: &str, e: &dyn std::fmt::Display| format!("{what}: {e} ({})", whose());
        let count =
            |what: &str, n: i64| u32::try_from(n).map_err(|e| bad(&format!("{what} {n}"), &e));
        let handling: Handling =
            serde_json::from_str(&self.handling).map_err(|e| bad("handling", &e))?;
        Ok(Alarm {
            subject: self.subject.parse().map_err(|e| bad("subject", &e))?,
            kind: self.kind.parse().map_err(|e| bad("kind", &e))?,
            severity: self.severity.parse().map_err(|e| bad("severity", &e))?,
            evidence: serde_json::from_str(&self.evidence).map_err(|e| bad("evidence", &e))?,
            revision: count("revision", self.revision)?,
            actions: count("actions", self.actions)?,
            stale: self.stale,
            acknowledged: handling.acknowledged,
            assignee: self.assignee.map(str::to_string),
            escalation: handling.escalation,
            clearing_since: handling.clearing_since,
            closed: handling.closed,
            updated: self.updated,
            opened: self.opened,
            rule: self.rule.into_owned(),
        })
    }
}

/// An action's detail as stored: the event as JSON (tagged by `action`, its code).
pub(crate) fn event_json(action: &AlarmAction) -> Result<String, String> {
    serde_json::to_string(&action.event)
        .map_err(|e| format!("action {} of alarm {}: {e}", action.seq, action.alarm))
}

/// The event of a stored detail; the error names the action.
pub(crate) fn event_of(json: &str, alarm: &AlarmKey, seq: u32) -> Result<AlarmEvent, String> {
    serde_json::from_str(json).map_err(|e| format!("action {seq} of alarm {alarm}: {e}"))
}
