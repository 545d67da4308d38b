//! Alarms: conditions the rules found (a station above a threshold, a device offline, a
//! heavy-pollution warning…), followed by people from opening to closure, with every step
//! audited ([`AlarmAction`](super::AlarmAction)); the [`AlarmStore`] that keeps them.
//!
//! An alarm's key is (`rule`, `subject`, `opened`), `opened` being the time of the data that
//! raised it: evaluating replayed data again after a crash finds the same key, so it never
//! duplicates an alarm. People type its [`AlarmId`], derived from the key. At most one alarm
//! per rule and subject is not closed: the stores enforce it.
//!
//! Every change of an alarm is written with the actions that made it, in one call
//! ([`AlarmStore::put_alarms`]). The alarm's `revision` counts its writes: a write must follow
//! the stored revision, or it is refused as a [`Conflict`](super::ErrorKind::Conflict), so a
//! command-line acknowledgement and the rules' update of the same alarm cannot undo each
//! other. Its `actions` counts the entries of its audit log.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::StoreError;
use super::alarm_actions::AlarmAction;
use super::alarm_terms::{
    AlarmKind, AlarmState, AlarmSubject, Direction, Measure, Severity, WarningLevel, valid_name,
};
use super::select::{Filter, PAGE_SIZE, PageFn, Stations, TimeSpan, collect};

/// What identifies an alarm: the rule that raised it, its subject, and the time of the data
/// that opened it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AlarmKey {
    /// The rule's id (`[[alarm]] id`).
    pub rule: String,
    /// What it is about.
    pub subject: AlarmSubject,
    /// The time of the first value beyond the threshold (data time, UTC; kept in milliseconds).
    pub opened: DateTime<Utc>,
}

impl AlarmKey {
    /// The id people type: the first 64 bits of SHA-256 of `rule`, the subject's code and
    /// `opened` in unix milliseconds, separated by U+001F.
    pub fn id(&self) -> AlarmId {
        let mut hash = Sha256::new();
        hash.update(self.rule.as_bytes());
        hash.update([0x1f]);
        hash.update(self.subject.code().as_bytes());
        hash.update([0x1f]);
        hash.update(self.opened.timestamp_millis().to_string().as_bytes());
        let digest = hash.finalize();
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        AlarmId(u64::from_be_bytes(first))
    }
}

impl fmt::Display for AlarmKey {
    /// `rule subject opened at TIME` (the whole key, for messages).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({} {} opened {})",
            self.id(),
            self.rule,
            self.subject,
            self.opened.format("%Y-%m-%d %H:%M:%S%.3f UTC")
        )
    }
}

/// An alarm's id: 64 bits derived from its key ([`AlarmKey::id`]). Shown as its first 8 hex
/// digits (`3f9a2c1b`, [`fmt::Display`]), which is what people type; [`AlarmId::full`] is
/// all 16, for when 8 name more than one alarm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AlarmId(u64);

impl AlarmId {
    /// All 16 hex digits.
    pub fn full(self) -> String {
        format!("{:016x}", self.0)
    }

    /// Whether `prefix` is a prefix of the id.
    pub fn starts_with(self, prefix: &AlarmIdPrefix) -> bool {
        self.full().starts_with(prefix.as_str())
    }
}

impl fmt::Display for AlarmId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:08x}", self.0 >> 32)
    }
}

/// What someone typed to name an alarm: 4 to 16 hex digits, the start of its [`AlarmId`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlarmIdPrefix(String);

impl AlarmIdPrefix {
    /// The hex digits, lower case.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AlarmIdPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<AlarmId> for AlarmIdPrefix {
    /// All of the id's 16 digits: a prefix naming that alarm only.
    fn from(id: AlarmId) -> Self {
        AlarmIdPrefix(id.full())
    }
}

/// Text that is not an alarm id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an alarm id (4 to 16 hex digits, as `lantian alarms` shows them)")]
pub struct BadAlarmId(pub String);

impl FromStr for AlarmIdPrefix {
    type Err = BadAlarmId;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_lowercase();
        if (4..=16).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(AlarmIdPrefix(t))
        } else {
            Err(BadAlarmId(s.to_string()))
        }
    }
}

/// One value of an alarm's evidence, in its measure's unit. Its time is kept as unix
/// milliseconds in JSON too, like every time of the store (and faster to read back than text).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    /// Its time (data time, UTC; an hourly value's hour-ending label).
    #[serde(with = "chrono::serde::ts_milliseconds")]
    pub time: DateTime<Utc>,
    /// The value.
    pub value: f64,
}

/// What an alarm rests on: the values beyond the threshold, and the levels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlarmEvidence {
    /// What the values measure, and so their unit ([`Measure::unit`]).
    pub measure: Measure,
    /// Whether the condition is a value above or below the threshold.
    pub direction: Direction,
    /// The level at which the rule raises.
    pub threshold: f64,
    /// The level the value must pass back (for the hysteresis time) for the alarm to clear:
    /// at or below the threshold for [`Direction::Above`], at or above it for `Below`.
    pub clear_level: f64,
    /// The value that opened the alarm (its time is the alarm's `opened`).
    pub first: Observation,
    /// The latest value beyond the threshold.
    pub last: Observation,
    /// The worst value beyond the threshold (the highest for `Above`, the lowest for `Below`).
    pub peak: Observation,
    /// The colour of a heavy-pollution warning ([`AlarmKind::HeavyPollution`] alarms only).
    pub warning: Option<WarningLevel>,
}

impl AlarmEvidence {
    /// How long the condition has been seen: from the first to the last value beyond the
    /// threshold.
    pub fn duration(&self) -> TimeDelta {
        self.last.time - self.first.time
    }

    /// Whether `a` is worse than `b` in the evidence's direction.
    pub fn worse(&self, a: f64, b: f64) -> bool {
        match self.direction {
            Direction::Above => a > b,
            Direction::Below => a < b,
        }
    }
}

/// Who did something and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handled {
    /// A person's (or department's) name.
    pub by: String,
    /// When.
    #[serde(with = "chrono::serde::ts_milliseconds")]
    pub at: DateTime<Utc>,
}

/// How far an unacknowledged alarm has been escalated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Escalation {
    /// 1 for the first escalation, 2 for the next…
    pub level: u32,
    /// When the latest happened.
    #[serde(with = "chrono::serde::ts_milliseconds")]
    pub at: DateTime<Utc>,
}

/// How an alarm was closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "how", rename_all = "snake_case")]
pub enum ClosedBy {
    /// Automatically: the condition cleared at `since` and stayed clear for the rule's
    /// hysteresis time.
    Cleared {
        /// When the value first passed back the clear level.
        #[serde(with = "chrono::serde::ts_milliseconds")]
        since: DateTime<Utc>,
    },
    /// By a person, with a note.
    Hand {
        /// Who.
        by: String,
        /// Why, what was done.
        note: String,
    },
}

/// When and how an alarm was closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Closure {
    /// When.
    #[serde(with = "chrono::serde::ts_milliseconds")]
    pub at: DateTime<Utc>,
    /// How.
    pub how: ClosedBy,
}

/// An alarm: what was found, and where it is in its life. See the module's documentation.
#[derive(Debug, Clone, PartialEq)]
pub struct Alarm {
    /// The rule's id (part of the key).
    pub rule: String,
    /// What it is about (part of the key).
    pub subject: AlarmSubject,
    /// The time of the data that opened it (part of the key; `evidence.first.time`).
    pub opened: DateTime<Utc>,
    /// The rule's family.
    pub kind: AlarmKind,
    /// How serious: the highest the rule gave it while open.
    pub severity: Severity,
    /// What it rests on.
    pub evidence: AlarmEvidence,
    /// Raised from replayed data (after an outage) and seen only in it: recorded without
    /// paging anyone. A live value of the condition makes it fresh.
    pub stale: bool,
    /// Who acknowledged it and when.
    pub acknowledged: Option<Handled>,
    /// The person or department it is assigned to.
    pub assignee: Option<String>,
    /// How far it was escalated for want of an acknowledgement.
    pub escalation: Option<Escalation>,
    /// Since when the condition has been clear (the hysteresis running); `None` while it
    /// holds.
    pub clearing_since: Option<DateTime<Utc>>,
    /// When and how it was closed; `None` while open.
    pub closed: Option<Closure>,
    /// When it last changed.
    pub updated: DateTime<Utc>,
    /// How many times it was written: 1 when opened, one more for every change.
    pub revision: u32,
    /// How many actions its audit log holds: the `seq` of the latest.
    pub actions: u32,
}

impl Alarm {
    /// The key.
    pub fn key(&self) -> AlarmKey {
        AlarmKey {
            rule: self.rule.clone(),
            subject: self.subject.clone(),
            opened: self.opened,
        }
    }

    /// The id people type.
    pub fn id(&self) -> AlarmId {
        self.key().id()
    }

    /// Where it is in its life: closed, else acknowledged, else open.
    pub fn state(&self) -> AlarmState {
        match (&self.closed, &self.acknowledged) {
            (Some(_), _) => AlarmState::Closed,
            (None, Some(_)) => AlarmState::Acknowledged,
            (None, None) => AlarmState::Open,
        }
    }

    /// How long it has lasted: to its closure, or to the latest value beyond the threshold.
    pub fn duration(&self) -> TimeDelta {
        match &self.closed {
            Some(c) => c.at - self.opened,
            None => self.evidence.duration(),
        }
    }

    /// Why the alarm cannot be stored, if it cannot: an empty rule or name, a subject that
    /// cannot be stored, `opened` not the first value's time, values that are not finite,
    /// evidence out of order, a clear level on the wrong side of the threshold, a warning
    /// colour on an alarm of another kind (or none on a heavy-pollution one), no revision.
    pub fn check(&self) -> Result<(), String> {
        let fail = |why: String| Err(format!("alarm {}: {why}", self.key()));
        if !valid_name(&self.rule) {
            return fail("the rule id is empty or has control characters".into());
        }
        self.subject.check().or_else(&fail)?;
        let e = &self.evidence;
        if e.first.time != self.opened {
            return fail(format!(
                "the first value is at {}, not at opening",
                e.first.time
            ));
        }
        if e.last.time < e.first.time || e.peak.time < e.first.time || e.peak.time > e.last.time {
            return fail("first, peak and last values out of order".into());
        }
        let numbers = [
            ("threshold", e.threshold),
            ("clear level", e.clear_level),
            ("first value", e.first.value),
            ("last value", e.last.value),
            ("peak", e.peak.value),
        ];
        if let Some((name, v)) = numbers.iter().find(|(_, v)| !v.is_finite()) {
            return fail(format!("{name} is {v}"));
        }
        if e.worse(e.clear_level, e.threshold) {
            return fail(format!(
                "clear level {} is beyond the threshold {} ({})",
                e.clear_level, e.threshold, e.direction
            ));
        }
        if (self.kind == AlarmKind::HeavyPollution) != e.warning.is_some() {
            return fail(
                "a warning colour belongs to heavy-pollution alarms, and only to them".into(),
            );
        }
        let names = [
            self.acknowledged.as_ref().map(|h| h.by.as_str()),
            self.assignee.as_deref(),
            match &self.closed {
                Some(Closure {
                    how: ClosedBy::Hand { by, .. },
                    ..
                }) => Some(by.as_str()),
                _ => None,
            },
        ];
        if let Some(n) = names.into_iter().flatten().find(|n| !valid_name(n)) {
            return fail(format!("name {n:?} is empty or has control characters"));
        }
        if self.actions == 0 || self.actions > self.revision {
            return fail(format!(
                "{} actions in {} revisions: an alarm is opened with an action, and each write \
                 adds at most one",
                self.actions, self.revision
            ));
        }
        Ok(())
    }
}

/// A read of alarms: those opened in `[from, to)` that every filter selects.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmQuery {
    /// Inclusive start (opening time).
    pub from: DateTime<Utc>,
    /// Exclusive end.
    pub to: DateTime<Utc>,
    /// States to include.
    pub states: Filter<AlarmState>,
    /// Rules to include.
    pub rules: Filter<String>,
    /// Subjects to include.
    pub subjects: Filter<AlarmSubject>,
    /// Stations whose alarms (of the station, its parameters, its devices) to include; with
    /// a list, alarms without a station (network, district, system) are left out.
    pub stations: Stations,
    /// Severities to include.
    pub severities: Filter<Severity>,
}

impl AlarmQuery {
    /// Every alarm opened in `[from, to)`.
    pub fn new(from: DateTime<Utc>, to: DateTime<Utc>) -> AlarmQuery {
        AlarmQuery {
            from,
            to,
            states: Filter::All,
            rules: Filter::All,
            subjects: Filter::All,
            stations: Filter::All,
            severities: Filter::All,
        }
    }

    /// Whether the query cannot select anything.
    pub fn is_empty(&self) -> bool {
        self.from >= self.to
            || self.states.selects_nothing()
            || self.rules.selects_nothing()
            || self.subjects.selects_nothing()
            || self.stations.selects_nothing()
            || self.severities.selects_nothing()
    }

    /// Whether `alarm` is one the query selects.
    pub fn selects(&self, alarm: &Alarm) -> bool {
        (self.from..self.to).contains(&alarm.opened)
            && self.states.contains(&alarm.state())
            && self.rules.contains(alarm.rule.as_str())
            && self.subjects.contains(&alarm.subject)
            && match (&self.stations, alarm.subject.station()) {
                (Filter::All, _) => true,
                (Filter::Only(_), None) => false,
                (stations, Some(s)) => stations.contains(&**s),
            }
            && self.severities.contains(&alarm.severity)
    }
}

/// Sorts alarms by opening time, then rule, then subject code.
pub(crate) fn sort_by_opening(alarms: &mut [Alarm]) {
    alarms.sort_by_cached_key(|a| (a.opened, a.rule.clone(), a.subject.code()));
}

/// Where alarms and their audit logs are kept. Alarms are keyed by (`rule`, `subject`,
/// `opened`), actions by their alarm and `seq`. At most one alarm per rule and subject is not
/// closed.
pub trait AlarmStore: Send {
    /// Writes alarms (replacing by key) with the new actions of their audit logs, all or
    /// nothing where the backend has transactions (SQLite; see InfluxDB's module for its
    /// order of writes). Every alarm and action is checked first ([`Alarm::check`],
    /// [`AlarmAction::check`]); every action must belong to an alarm of the call, and an
    /// alarm's actions in the call are the last of its log (`seq` up to its `actions`, without
    /// gaps); all of it for an alarm not stored yet.
    ///
    /// A stored alarm is written only as its next revision (stored `revision` + 1), with the
    /// actions after the stored ones. Anything else is
    /// [`ErrorKind::Conflict`](super::ErrorKind::Conflict): another writer changed the alarm
    /// since it was read, and the caller reads it again. So is an alarm that is not closed
    /// when another alarm of its rule and subject is open. Writing again exactly what is
    /// stored (the same alarm, the same actions) changes nothing, so copying a store twice
    /// does too. Returns how many alarms the store now holds as given (an exact repeat counts).
    fn put_alarms(
        &mut self,
        alarms: &[Alarm],
        actions: &[AlarmAction],
    ) -> Result<usize, StoreError>;

    /// Hands the alarms matching `query` to `each` in pages of at most `page_size`, in the
    /// backend's order.
    fn alarms_paged(
        &self,
        query: &AlarmQuery,
        page_size: usize,
        each: &mut PageFn<'_, Alarm>,
    ) -> Result<(), StoreError>;

    /// The earliest and latest opening time of the stored alarms.
    fn alarms_span(&self) -> Result<Option<TimeSpan>, StoreError>;

    /// The alarm of `rule` and `subject` that is not closed, if there is one (there is at
    /// most one).
    fn open_alarm(&self, rule: &str, subject: &AlarmSubject) -> Result<Option<Alarm>, StoreError>;

    /// The alarms whose id starts with `id`, by opening time (more than one only when the
    /// prefix is too short to tell them apart).
    fn alarms_by_id(&self, id: &AlarmIdPrefix) -> Result<Vec<Alarm>, StoreError>;

    /// The audit logs of `alarms`: their actions, by alarm (in the order given) and `seq`.
    fn alarm_actions(&self, alarms: &[AlarmKey]) -> Result<Vec<AlarmAction>, StoreError>;

    /// Alarms matching `query`, by opening time, then rule, then subject code.
    fn alarms(&self, query: &AlarmQuery) -> Result<Vec<Alarm>, StoreError> {
        let mut out = collect(|each| self.alarms_paged(query, PAGE_SIZE, each))?;
        sort_by_opening(&mut out);
        Ok(out)
    }
}
