//! What a message is about: a change of an alarm ([`AlarmNotice`], made from the alarm and
//! the audit action that changed it) or a test of a channel; and the idempotency key of its
//! message to each channel.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::store::{
    Alarm, AlarmAction, AlarmEvent, AlarmEvidence, AlarmKey, AlarmKind, AlarmSubject, ClosedBy,
    Severity, StationInfo,
};

/// What happened to an alarm that a message tells of: the audit events ([`AlarmEvent`])
/// people are notified of.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// Raised.
    Opened,
    /// Raised again with a higher severity, or seen in live data after replayed data.
    Updated,
    /// Nobody acknowledged it in time.
    Escalated {
        /// 1, 2, …
        level: u32,
    },
    /// Closed.
    Closed {
        /// How.
        how: ClosedBy,
    },
}

impl Event {
    /// `opened`, `updated`, `escalated`, `closed` (routes select by it).
    pub const fn kind(&self) -> EventKind {
        match self {
            Event::Opened => EventKind::Opened,
            Event::Updated => EventKind::Updated,
            Event::Escalated { .. } => EventKind::Escalated,
            Event::Closed { .. } => EventKind::Closed,
        }
    }
}

/// The kinds of [`Event`], as routes name them (`events = ["opened", "closed"]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// [`Event::Opened`].
    Opened,
    /// [`Event::Updated`].
    Updated,
    /// [`Event::Escalated`].
    Escalated,
    /// [`Event::Closed`].
    Closed,
}

/// The names of the place an alarm is about, from the store's station record.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Place {
    /// The station's name (Chinese, or the local language).
    pub name: Option<String>,
    /// The station's English name.
    pub name_en: Option<String>,
    /// Its district (routes select by it).
    pub district: Option<String>,
}

impl Place {
    /// The names of `station`.
    pub fn of(station: &StationInfo) -> Place {
        Place {
            name: Some(station.name.clone()),
            name_en: Some(station.name_en.clone()),
            district: Some(station.district.clone()),
        }
    }
}

/// A change of an alarm, with what its message needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlarmNotice {
    /// The rule (part of the alarm's key).
    pub rule: String,
    /// What it is about (part of the key).
    pub subject: AlarmSubject,
    /// When it opened (part of the key).
    pub opened: DateTime<Utc>,
    /// What changed.
    pub event: Event,
    /// When (the audit action's time).
    pub at: DateTime<Utc>,
    /// The rule's family.
    pub kind: AlarmKind,
    /// Its severity after the change.
    pub severity: Severity,
    /// Its values and levels.
    pub evidence: AlarmEvidence,
    /// Seen only in replayed data: recorded, not sent (the stale-data policy).
    pub stale: bool,
    /// The names of its station and district.
    pub place: Place,
}

/// What a message is about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Notification {
    /// A change of an alarm (boxed: a test is small).
    Alarm(Box<AlarmNotice>),
    /// A test of a channel (`lantian alarms test-notify`).
    Test {
        /// When it was asked for.
        at: DateTime<Utc>,
    },
}

impl AlarmNotice {
    /// The notice of `action` on `alarm` (the alarm as it is after the action); `None` for
    /// actions nobody is notified of (acknowledgements, comments, assignments, the
    /// notifications themselves).
    pub fn of(alarm: &Alarm, action: &AlarmAction, place: Place) -> Option<AlarmNotice> {
        let event = match &action.event {
            AlarmEvent::Opened { .. } => Event::Opened,
            AlarmEvent::Updated { .. } => Event::Updated,
            AlarmEvent::Escalated { level } => Event::Escalated { level: *level },
            AlarmEvent::Closed { how } => Event::Closed { how: how.clone() },
            AlarmEvent::Acknowledged
            | AlarmEvent::Assigned { .. }
            | AlarmEvent::Commented { .. }
            | AlarmEvent::Suppressed { .. }
            | AlarmEvent::Notified { .. }
            | AlarmEvent::Undelivered { .. } => return None,
        };
        Some(AlarmNotice {
            rule: alarm.rule.clone(),
            subject: alarm.subject.clone(),
            opened: alarm.opened,
            event,
            at: action.at,
            kind: alarm.kind,
            severity: alarm.severity,
            evidence: alarm.evidence.clone(),
            stale: alarm.stale,
            place,
        })
    }

    /// The notice of a step of the alarm's lifecycle ([`crate::alarms::AlarmBook`]'s
    /// results); `None` when the step is not audited or not one people are notified of.
    pub fn of_change(change: &crate::alarms::Change, place: Place) -> Option<AlarmNotice> {
        AlarmNotice::of(&change.alarm, change.action.as_ref()?, place)
    }

    /// The alarm's key.
    pub fn key(&self) -> AlarmKey {
        AlarmKey {
            rule: self.rule.clone(),
            subject: self.subject.clone(),
            opened: self.opened,
        }
    }

    /// The change as a stable code: `opened`, `updated/critical/live`, `escalated/2`,
    /// `closed`. An update is told once per severity and freshness, an escalation once per
    /// level.
    fn event_code(&self) -> String {
        match &self.event {
            Event::Opened => "opened".to_string(),
            Event::Updated => format!(
                "updated/{}/{}",
                self.severity.code(),
                if self.stale { "stale" } else { "live" }
            ),
            Event::Escalated { level } => format!("escalated/{level}"),
            Event::Closed { .. } => "closed".to_string(),
        }
    }
}

impl Notification {
    /// The idempotency key of its message to `channel`: `lt1-` and 32 hex digits of SHA-256
    /// of the alarm's key (rule, subject, opening time in ms), the change and the channel —
    /// the same whenever the same change of the same alarm is raised again (after a crash,
    /// in a replay), so that the outbox refuses the repeat. A test's key has its time.
    pub fn key(&self, channel: &str) -> String {
        let parts: Vec<String> = match self {
            Notification::Alarm(a) => vec![
                a.rule.clone(),
                a.subject.code(),
                a.opened.timestamp_millis().to_string(),
                a.event_code(),
            ],
            Notification::Test { at } => vec![
                "test".into(),
                at.timestamp_nanos_opt().unwrap_or_default().to_string(),
            ],
        };
        let mut hash = Sha256::new();
        for p in parts.iter().map(String::as_str).chain([channel]) {
            hash.update(p.as_bytes());
            hash.update([0x1f]);
        }
        let digest = hash.finalize();
        let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        format!("lt1-{hex}")
    }

    /// What the per-alarm rate limit counts by: the rule and subject (`rule subject`), `test`
    /// for tests.
    pub fn alarm_group(&self) -> String {
        match self {
            Notification::Alarm(a) => format!("{} {}", a.rule, a.subject.code()),
            Notification::Test { .. } => "test".to_string(),
        }
    }

    /// When it happened.
    pub fn at(&self) -> DateTime<Utc> {
        match self {
            Notification::Alarm(a) => a.at,
            Notification::Test { at } => *at,
        }
    }

    /// The alarm change it tells of (`None` for a test).
    pub fn alarm(&self) -> Option<&AlarmNotice> {
        match self {
            Notification::Alarm(a) => Some(a),
            Notification::Test { .. } => None,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::alarms::lifecycle::{self, Raise};
    use crate::store::{Direction, Measure, Observation};
    use crate::units::Parameter;
    use chrono::TimeZone;

    pub(crate) fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 6, 1, 6, 0, 0).unwrap()
    }

    /// PM2.5 186 µg/m³ at DG01 (1-h, threshold 150) at 2025-06-01 06:00 UTC.
    pub(crate) fn raise() -> Raise {
        Raise {
            rule: "pm25_1h".into(),
            subject: AlarmSubject::Station("DG01".into()),
            kind: AlarmKind::Threshold,
            severity: Severity::Major,
            measure: Measure::Value {
                parameter: Parameter::Pm25,
                averaging: crate::store::Averaging::Hour,
            },
            direction: Direction::Above,
            threshold: 150.0,
            clear_level: 115.0,
            value: Observation {
                time: t0(),
                value: 186.0,
            },
            warning: None,
            stale: false,
        }
    }

    /// The alarm [`raise`] opens, told as `event`.
    pub(crate) fn notice(event: Event) -> AlarmNotice {
        let opened = lifecycle::open(&raise(), t0()).unwrap();
        AlarmNotice {
            event,
            ..AlarmNotice::of_change(&opened, Place::default()).unwrap()
        }
    }

    #[test]
    fn the_lifecycle_steps_people_hear_of() {
        let t = t0();
        let opened = lifecycle::open(&raise(), t).unwrap();
        let n = AlarmNotice::of_change(&opened, Place::default()).unwrap();
        assert_eq!(
            (n.event.clone(), n.key()),
            (Event::Opened, opened.alarm.key())
        );
        let later = t + chrono::TimeDelta::minutes(30);
        let escalated = lifecycle::escalate(&opened.alarm, later).unwrap();
        let n = AlarmNotice::of_change(&escalated, Place::default()).unwrap();
        assert_eq!(
            (n.event.clone(), n.at),
            (Event::Escalated { level: 1 }, later)
        );
        let acked = lifecycle::acknowledge(&escalated.alarm, "王工", later).unwrap();
        assert!(AlarmNotice::of_change(&acked, Place::default()).is_none());
        let closed = lifecycle::close(&acked.alarm, "校准后恢复", "王工", later).unwrap();
        let n = AlarmNotice::of_change(&closed, Place::default()).unwrap();
        assert!(matches!(
            n.event,
            Event::Closed {
                how: ClosedBy::Hand { .. }
            }
        ));
    }

    #[test]
    fn keys_are_stable_and_distinct() {
        let a = Notification::Alarm(Box::new(notice(Event::Opened)));
        let k = a.key("duty");
        assert_eq!(k, a.clone().key("duty"));
        assert!(k.starts_with("lt1-") && k.len() == 36, "{k}");
        assert_ne!(k, a.key("mail"));
        let closed = Notification::Alarm(Box::new(notice(Event::Closed {
            how: ClosedBy::Cleared { since: a.at() },
        })));
        assert_ne!(k, closed.key("duty"));
        let e1 = Notification::Alarm(Box::new(notice(Event::Escalated { level: 1 })));
        let e2 = Notification::Alarm(Box::new(notice(Event::Escalated { level: 2 })));
        assert_ne!(e1.key("duty"), e2.key("duty"));
        // Round trip through the outbox's JSON keeps the key.
        let json = serde_json::to_string(&a).unwrap();
        let back: Notification = serde_json::from_str(&json).unwrap();
        assert_eq!(back.key("duty"), k);
    }
}
