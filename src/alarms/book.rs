//! [`AlarmBook`]: the alarm lifecycle over a store. Each step reads the alarm, takes the step
//! ([`super::lifecycle`]) and writes the alarm with its action in one call of
//! [`AlarmStore::put_alarms`] (one SQLite transaction: a crash leaves the step whole or not
//! at all). A write the store refuses as a conflict — someone changed the alarm meanwhile —
//! is taken again on the fresh record, so a refused step is refused for what the alarm is now.

use chrono::{DateTime, TimeDelta, Utc};

use super::AlarmError;
use super::lifecycle::{self, Change, EscalationPolicy, Raise, ms};
use crate::store::{
    Alarm, AlarmAction, AlarmEvent, AlarmId, AlarmIdPrefix, AlarmKey, AlarmQuery, AlarmState,
    AlarmStore, AlarmSubject, ErrorKind, Filter,
};

/// The whole id of `key`, as a prefix to look it up by.
fn full_id(key: &AlarmKey) -> AlarmIdPrefix {
    key.id().into()
}

/// How many times a step is taken again after a conflict.
pub const ATTEMPTS: u32 = 5;

/// What [`AlarmBook::raise`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum Raised {
    /// It opened an alarm (the action: `opened`).
    Opened(Change),
    /// It updated the open alarm (an action when the update is audited: the severity rose,
    /// or live data followed replayed data).
    Updated(Change),
    /// The value was seen already: it falls in the time of an alarm of its rule and subject
    /// (replayed data evaluated again after a crash). Nothing changed.
    Seen(Alarm),
}

impl Raised {
    /// The alarm as it is now.
    pub fn alarm(&self) -> &Alarm {
        match self {
            Raised::Opened(c) | Raised::Updated(c) => &c.alarm,
            Raised::Seen(a) => a,
        }
    }
}

/// The alarms of a store, changed only through the lifecycle's steps. The rules call
/// [`raise`](AlarmBook::raise), [`clear`](AlarmBook::clear) and
/// [`interrupt_clearing`](AlarmBook::interrupt_clearing); the escalation timer
/// [`escalate_overdue`](AlarmBook::escalate_overdue); the notifier records what became of its
/// messages ([`record_message`](AlarmBook::record_message)); people [`acknowledge`](AlarmBook::acknowledge), [`assign`](AlarmBook::assign),
/// [`comment`](AlarmBook::comment) and [`close`](AlarmBook::close), naming alarms by the id
/// they typed.
pub struct AlarmBook<'s, S: AlarmStore + ?Sized> {
    store: &'s mut S,
}

impl<'s, S: AlarmStore + ?Sized> AlarmBook<'s, S> {
    /// The alarms of `store`.
    pub fn new(store: &'s mut S) -> Self {
        AlarmBook { store }
    }

    /// Reads with `read`, takes `step` on what it read, writes the change; again on a
    /// conflict. `None` when the step changes nothing.
    fn apply(
        &mut self,
        id: AlarmId,
        read: impl Fn(&S) -> Result<Option<Alarm>, AlarmError>,
        step: impl Fn(Option<&Alarm>) -> Result<Option<Change>, AlarmError>,
    ) -> Result<Option<Change>, AlarmError> {
        for attempt in 1..=ATTEMPTS {
            let current = read(self.store)?;
            let Some(change) = step(current.as_ref())? else {
                return Ok(None);
            };
            let actions: Vec<AlarmAction> = change.action.iter().cloned().collect();
            match self
                .store
                .put_alarms(std::slice::from_ref(&change.alarm), &actions)
            {
                Ok(_) => return Ok(Some(change)),
                Err(e) if e.kind() == ErrorKind::Conflict => {
                    tracing::debug!("alarm {id}, attempt {attempt}: {e}");
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(AlarmError::Contended {
            id,
            attempts: ATTEMPTS,
        })
    }

    /// The stored alarm of `key`.
    fn by_key(store: &S, key: &AlarmKey) -> Result<Option<Alarm>, AlarmError> {
        let found = store.alarms_by_id(&full_id(key))?;
        Ok(found.into_iter().find(|a| &a.key() == key))
    }

    /// The stored alarm of `key`, or [`AlarmError::NotFound`].
    fn existing(store: &S, key: &AlarmKey) -> Result<Option<Alarm>, AlarmError> {
        match Self::by_key(store, key)? {
            Some(a) => Ok(Some(a)),
            None => Err(AlarmError::NotFound(full_id(key))),
        }
    }

    /// The closed alarm of `rule` and `subject` whose time holds `time`: opened at or before
    /// it, closed at or after it.
    fn covering(
        store: &S,
        rule: &str,
        subject: &AlarmSubject,
        time: DateTime<Utc>,
    ) -> Result<Option<Alarm>, AlarmError> {
        let mut query =
            AlarmQuery::new(DateTime::<Utc>::MIN_UTC, time + TimeDelta::milliseconds(1));
        query.rules = Filter::one(rule);
        query.subjects = Filter::one(subject.clone());
        query.states = Filter::one(AlarmState::Closed);
        let alarms = store.alarms(&query)?;
        Ok(alarms
            .into_iter()
            .rev()
            .find(|a| a.closed.as_ref().is_some_and(|c| c.at >= time)))
    }

    /// The rules found `raise` (recorded at `at`): opens an alarm of its rule and subject, or
    /// updates the open one; nothing when its value falls in the time of an alarm of theirs
    /// already (data evaluated again), is older than the open alarm, or changes nothing.
    pub fn raise(&mut self, raise: &Raise, at: DateTime<Utc>) -> Result<Raised, AlarmError> {
        let time = ms(raise.value.time);
        let key = AlarmKey {
            rule: raise.rule.clone(),
            subject: raise.subject.clone(),
            opened: time,
        };
        let store = &*self.store;
        if store.open_alarm(&raise.rule, &raise.subject)?.is_none()
            && let Some(seen) = Self::covering(store, &raise.rule, &raise.subject, time)?
        {
            return Ok(Raised::Seen(seen));
        }
        let change = self.apply(
            key.id(),
            |s| Ok(s.open_alarm(&raise.rule, &raise.subject)?),
            |current| match current {
                None => lifecycle::open(raise, at).map(Some),
                Some(a) if time < a.opened => Ok(None),
                Some(a) => lifecycle::update(a, raise, at),
            },
        )?;
        let opening = |c: &Change| {
            c.action
                .as_ref()
                .is_some_and(|a| matches!(a.event, AlarmEvent::Opened { .. }))
        };
        Ok(match change {
            Some(c) if opening(&c) => Raised::Opened(c),
            Some(c) => Raised::Updated(c),
            None => match self.store.open_alarm(&raise.rule, &raise.subject)? {
                Some(a) => Raised::Seen(a),
                None => return Err(AlarmError::NotFound(full_id(&key))),
            },
        })
    }

    /// The condition of `rule` and `subject` was found clear at `time`: the open alarm's
    /// hysteresis starts, or, once it has lasted `hold`, the alarm closes. `None` when no alarm
    /// is open or nothing changed.
    pub fn clear(
        &mut self,
        rule: &str,
        subject: &AlarmSubject,
        time: DateTime<Utc>,
        hold: TimeDelta,
    ) -> Result<Option<Change>, AlarmError> {
        let Some(open) = self.store.open_alarm(rule, subject)? else {
            return Ok(None);
        };
        self.apply(
            open.id(),
            |s| Ok(s.open_alarm(rule, subject)?),
            |current| match current {
                Some(a) => lifecycle::clear(a, time, hold),
                None => Ok(None),
            },
        )
    }

    /// A value of `rule` and `subject` between the threshold and the clear level: the open
    /// alarm's hysteresis stops. `None` when none was running.
    pub fn interrupt_clearing(
        &mut self,
        rule: &str,
        subject: &AlarmSubject,
        at: DateTime<Utc>,
    ) -> Result<Option<Change>, AlarmError> {
        let Some(open) = self.store.open_alarm(rule, subject)? else {
            return Ok(None);
        };
        self.apply(
            open.id(),
            |s| Ok(s.open_alarm(rule, subject)?),
            |current| match current {
                Some(a) => lifecycle::interrupt_clearing(a, at),
                None => Ok(None),
            },
        )
    }

    /// The open alarm of `rule` and `subject`, if there is one.
    pub fn open_alarm(
        &self,
        rule: &str,
        subject: &AlarmSubject,
    ) -> Result<Option<Alarm>, AlarmError> {
        Ok(self.store.open_alarm(rule, subject)?)
    }

    /// The alarm `id` names (the start of its id, as people type it).
    pub fn find(&self, id: &AlarmIdPrefix) -> Result<Alarm, AlarmError> {
        let mut found = self.store.alarms_by_id(id)?;
        match found.len() {
            0 => Err(AlarmError::NotFound(id.clone())),
            1 => Ok(found.remove(0)),
            _ => Err(AlarmError::Ambiguous {
                id: id.clone(),
                alarms: found.iter().map(Alarm::id).collect(),
            }),
        }
    }

    /// The alarm `id` names with its audit log.
    pub fn history(&self, id: &AlarmIdPrefix) -> Result<(Alarm, Vec<AlarmAction>), AlarmError> {
        let alarm = self.find(id)?;
        let actions = self.store.alarm_actions(&[alarm.key()])?;
        Ok((alarm, actions))
    }

    /// Takes a person's `step` on the alarm `id` names.
    fn by_hand(
        &mut self,
        id: &AlarmIdPrefix,
        step: impl Fn(&Alarm) -> Result<Change, AlarmError>,
    ) -> Result<Change, AlarmError> {
        let key = self.find(id)?.key();
        let change = self.apply(
            key.id(),
            |s| Self::existing(s, &key),
            |current| current.map(&step).transpose(),
        )?;
        change.ok_or_else(|| AlarmError::NotFound(full_id(&key)))
    }

    /// `by` acknowledges the alarm `id` names.
    pub fn acknowledge(
        &mut self,
        id: &AlarmIdPrefix,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<Change, AlarmError> {
        self.by_hand(id, |a| lifecycle::acknowledge(a, by, at))
    }

    /// `by` assigns the alarm `id` names to `to`.
    pub fn assign(
        &mut self,
        id: &AlarmIdPrefix,
        to: &str,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<Change, AlarmError> {
        self.by_hand(id, |a| lifecycle::assign(a, to, by, at))
    }

    /// `by` comments on the alarm `id` names.
    pub fn comment(
        &mut self,
        id: &AlarmIdPrefix,
        text: &str,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<Change, AlarmError> {
        self.by_hand(id, |a| lifecycle::comment(a, text, by, at))
    }

    /// `by` closes the alarm `id` names, with a note.
    pub fn close(
        &mut self,
        id: &AlarmIdPrefix,
        note: &str,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<Change, AlarmError> {
        self.by_hand(id, |a| lifecycle::close(a, note, by, at))
    }

    /// Escalates every open alarm that `policy` says is due at `now` (nobody acknowledged it
    /// in its severity's time since its opening or its latest escalation; stale alarms, never
    /// paged, are left alone). Returns the escalations. The level is in the alarm's record, so
    /// each level is reached once, also across restarts.
    pub fn escalate_overdue(
        &mut self,
        now: DateTime<Utc>,
        policy: &EscalationPolicy,
    ) -> Result<Vec<Change>, AlarmError> {
        if policy.is_off() {
            return Ok(Vec::new());
        }
        let Some(span) = self.store.alarms_span()? else {
            return Ok(Vec::new());
        };
        let mut query = AlarmQuery::new(span.first, span.end());
        query.states = Filter::one(AlarmState::Open);
        let due: Vec<AlarmKey> = self
            .store
            .alarms(&query)?
            .iter()
            .filter(|a| policy.due(a, now))
            .map(Alarm::key)
            .collect();
        let mut out = Vec::new();
        for key in due {
            let change = self.apply(
                key.id(),
                |s| Self::existing(s, &key),
                |current| match current {
                    Some(a) if policy.due(a, now) => lifecycle::escalate(a, now).map(Some),
                    _ => Ok(None),
                },
            )?;
            out.extend(change);
        }
        Ok(out)
    }

    /// Records in the log of the alarm `key` what became of a message about it (`event`:
    /// notified, undelivered or suppressed, naming the message). Idempotent: a message
    /// recorded already is not recorded again (`None`), so that the notifier may record again
    /// after a crash what it cannot know it recorded.
    pub fn record_message(
        &mut self,
        key: &AlarmKey,
        event: AlarmEvent,
        at: DateTime<Utc>,
    ) -> Result<Option<Change>, AlarmError> {
        let recorded = |s: &S| -> Result<bool, AlarmError> {
            Ok(s.alarm_actions(std::slice::from_ref(key))?
                .iter()
                .any(|a| a.event.message().is_some() && a.event.message() == event.message()))
        };
        if recorded(self.store)? {
            return Ok(None);
        }
        self.apply(
            key.id(),
            |s| Self::existing(s, key),
            |current| {
                current
                    .map(|a| lifecycle::message_fate(a, event.clone(), at))
                    .transpose()
            },
        )
    }

    /// The platform notes `text` in the log of the alarm `key` ([`lifecycle::note`]).
    pub fn note(
        &mut self,
        key: &AlarmKey,
        text: &str,
        at: DateTime<Utc>,
    ) -> Result<Change, AlarmError> {
        let change = self.apply(
            key.id(),
            |s| Self::existing(s, key),
            |current| Ok(current.map(|a| lifecycle::note(a, text, at))),
        )?;
        Ok(change.expect("a note always changes the alarm"))
    }
}

#[cfg(test)]
#[path = "book_tests.rs"]
mod tests;
