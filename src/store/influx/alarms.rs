//! The `alarms` measurement: [`Alarm`]s as points and back; and the `alarm_actions`
//! measurement: their audit logs.
//!
//! | tags | fields | time |
//! |---|---|---|
//! | `rule`, `subject` ([`AlarmSubject::code`]: `station/DG-GC/pm25`), `station` (the subject's station; absent for the network, a district, the system) | `id` (16 hex digits of the [`AlarmId`](crate::store::AlarmId)), `kind`, `severity`, `state` (codes), `assignee` (`""`: none) (strings); `stale` (boolean); `updated`, `closed` (`-1` while open) (integers, unix ms); `revision`, `actions` (integers); `evidence`, `handling` (strings, JSON) | the alarm's opening |
//!
//! | tags | fields | time |
//! |---|---|---|
//! | `rule`, `subject`, `seq` | `at` (integer, unix ms), `actor`, `action` (the event's code), `detail` (the [`AlarmEvent`](crate::store::AlarmEvent) as JSON) (strings) | the alarm's opening |
//!
//! The tags and the time are the key, so writing an alarm again rewrites its point (every
//! field). `state`, `severity` and `assignee` change during an alarm's life: they are fields
//! (a tag would start a new series and leave the old point behind). Series: rules × the
//! subjects they alarmed on, whatever the number of alarms over the years; for actions, times
//! the longest audit log (`seq` as a tag, not the action's time: two actions of one
//! millisecond must not meet on one point).
//!
//! **No transactions.** A write reads what is stored of its alarms' series first (the stored
//! revisions, and an open alarm of each rule and subject), refuses the whole call on a
//! conflict, then sends the actions and after them the alarms. The alarm's point is the
//! commit: its `actions` count says how much of the log is written, and reads ignore
//! actions beyond it (left by a write that failed half-way; the next write of the alarm
//! replaces them). The check and the writes are separate requests, so two writers racing on
//! one alarm could both pass; lantian has one writer of new alarms (the rules' evaluation),
//! and people's commands only change existing ones, where the loser of a race is the one
//! whose change is overwritten — with SQLite the store refuses it instead.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};

use super::line_protocol::{Line, LineError};
use super::query::{Row, Series, field_list, ident, literal, time_range};
use super::{InfluxError, InfluxStore, push_filter};
use crate::store::alarm_backend::{
    AlarmColumns, AlarmWrite, Verdict, event_json, event_of, judge, may_repeat, plan_writes,
};
use crate::store::select::PageFn;
use crate::store::{
    Alarm, AlarmAction, AlarmIdPrefix, AlarmKey, AlarmQuery, AlarmStore, AlarmSubject, DataKind,
    Operation, StoreError, TimeSpan,
};

const READ: Operation = Operation::Read(DataKind::Alarms);

/// Measurement of [`Alarm`]s.
pub(super) const ALARMS: &str = "alarms";
/// Measurement of [`AlarmAction`]s.
pub(super) const ALARM_ACTIONS: &str = "alarm_actions";

/// Fields of `alarms`, in the order reads select them.
const ALARM_FIELDS: [&str; 12] = [
    "id", "kind", "severity", "state", "assignee", "stale", "updated", "closed", "revision",
    "actions", "evidence", "handling",
];
/// Fields of `alarm_actions`.
const ACTION_FIELDS: [&str; 4] = ["at", "actor", "action", "detail"];
/// Series (rule and subject) per query of a write's or a log's series.
const SERIES_PER_QUERY: usize = 50;

fn invalid(what: String) -> InfluxError {
    InfluxError::Invalid { what }
}

fn corrupt(reason: String) -> InfluxError {
    InfluxError::Corrupt { reason }
}

/// Appends the point of an alarm to `buf`.
fn encode_alarm(buf: &mut String, a: &Alarm) -> Result<(), InfluxError> {
    let key = a.key();
    let ts = super::schema::stamp(a.opened, format!("alarm {key}"))?;
    let c = AlarmColumns::of(a).map_err(invalid)?;
    let mut line = || -> Result<(), LineError> {
        let mut l = Line::new(buf, ALARMS)?;
        l.tag("rule", &c.rule)?;
        if let Some(station) = a.subject.station() {
            l.tag("station", station)?;
        }
        l.tag("subject", &c.subject)?;
        l.string("id", &key.id().full())?
            .string("kind", c.kind)?
            .string("severity", c.severity)?
            .string("state", a.state().code())?
            .string("assignee", c.assignee.unwrap_or(""))?
            .bool("stale", c.stale)?
            .int("updated", c.updated.timestamp_millis())?
            .int(
                "closed",
                a.closed
                    .as_ref()
                    .map_or(super::schema::NONE, |c| c.at.timestamp_millis()),
            )?
            .int("revision", c.revision)?
            .int("actions", c.actions)?
            .string("evidence", &c.evidence)?
            .string("handling", &c.handling)?;
        l.end(ts)
    };
    line().map_err(|e| invalid(format!("alarm {key}: {e}")))
}

/// Appends the point of an action to `buf`.
fn encode_action(buf: &mut String, a: &AlarmAction) -> Result<(), InfluxError> {
    let whose = || format!("action {} of alarm {}", a.seq, a.alarm);
    let ts = super::schema::stamp(a.alarm.opened, whose())?;
    let detail = event_json(a).map_err(invalid)?;
    let mut line = || -> Result<(), LineError> {
        let mut l = Line::new(buf, ALARM_ACTIONS)?;
        l.tag("rule", &a.alarm.rule)?
            .tag("seq", &a.seq.to_string())?
            .tag("subject", &a.alarm.subject.code())?;
        l.int("at", a.at.timestamp_millis())?
            .string("actor", a.actor.code())?
            .string("action", a.event.code())?
            .string("detail", &detail)?;
        l.end(ts)
    };
    line().map_err(|e| invalid(format!("{}: {e}", whose())))
}

/// Reads the series of an `alarms` query (grouped by rule and subject), in no particular
/// order.
pub(super) fn decode_alarms(series: &[Series], out: &mut Vec<Alarm>) -> Result<(), InfluxError> {
    for s in series {
        let (rule, subject) = (s.tag("rule")?, s.tag("subject")?);
        let t = s.column("time")?;
        let cols = s.columns(ALARM_FIELDS)?;
        for row in &s.values {
            let row = Row::new(s, row);
            let cell = |i: usize| row.at(cols[i]);
            let assignee = cell(4).str()?;
            out.push(
                AlarmColumns {
                    rule: Cow::Borrowed(rule),
                    subject: Cow::Borrowed(subject),
                    opened: row.at(t).millis()?,
                    kind: cell(1).str()?,
                    severity: cell(2).str()?,
                    stale: cell(5).bool()?,
                    assignee: (!assignee.is_empty()).then_some(assignee),
                    updated: cell(6).millis()?,
                    revision: cell(8).i64()?,
                    actions: cell(9).i64()?,
                    evidence: Cow::Borrowed(cell(10).str()?),
                    handling: Cow::Borrowed(cell(11).str()?),
                }
                .into_alarm()
                .map_err(corrupt)?,
            );
        }
    }
    Ok(())
}

/// Reads the series of an `alarm_actions` query (grouped by rule, subject and seq) into
/// `out`: the actions of the alarms in `logs` (by key: how many actions the alarm holds),
/// leaving out the actions beyond that count (of a write that failed half-way) and those of
/// other alarms.
fn decode_actions(
    series: &[Series],
    logs: &HashMap<AlarmKey, u32>,
    out: &mut Vec<AlarmAction>,
) -> Result<(), InfluxError> {
    for s in series {
        let subject: AlarmSubject = s
            .tag("subject")?
            .parse()
            .map_err(|e| corrupt(format!("{e} (alarm actions)")))?;
        let seq_text = s.tag("seq")?;
        let seq: u32 = seq_text
            .parse()
            .map_err(|_| corrupt(format!("action seq `{seq_text}` of subject {subject}")))?;
        let t = s.column("time")?;
        let cols = s.columns(ACTION_FIELDS)?;
        for row in &s.values {
            let row = Row::new(s, row);
            let alarm = AlarmKey {
                rule: s.tag("rule")?.to_string(),
                subject: subject.clone(),
                opened: row.at(t).millis()?,
            };
            if logs.get(&alarm).is_none_or(|&n| seq > n) {
                continue;
            }
            let actor = row.at(cols[1]).str()?;
            out.push(AlarmAction {
                seq,
                at: row.at(cols[0]).millis()?,
                actor: actor
                    .parse()
                    .map_err(|e| corrupt(format!("{e} (action {seq} of alarm {alarm})")))?,
                event: event_of(row.at(cols[3]).str()?, &alarm, seq).map_err(corrupt)?,
                alarm,
            });
        }
    }
    Ok(())
}

/// ` WHERE ("rule" = … AND "subject" = …) OR …` for `series`.
fn series_filter<'k>(series: impl IntoIterator<Item = (&'k str, &'k str)>) -> String {
    let conditions: Vec<String> = series
        .into_iter()
        .map(|(rule, subject)| {
            format!(
                "({} = {} AND {} = {})",
                ident("rule"),
                literal(rule),
                ident("subject"),
                literal(subject)
            )
        })
        .collect();
    format!(" WHERE ({})", conditions.join(" OR "))
}

impl InfluxStore {
    /// Every stored alarm of the series (rule, subject code) of `keys`, a few series per query.
    fn alarms_of_series(&self, series: &[(String, String)]) -> Result<Vec<Alarm>, InfluxError> {
        let mut out = Vec::new();
        for chunk in series.chunks(SERIES_PER_QUERY) {
            let q = format!(
                "SELECT {} FROM {}{} GROUP BY \"rule\", \"subject\"",
                field_list(&ALARM_FIELDS),
                ident(ALARMS),
                series_filter(chunk.iter().map(|(r, s)| (r.as_str(), s.as_str())))
            );
            decode_alarms(&self.select(&q)?, &mut out)?;
        }
        Ok(out)
    }

    /// The stored actions of the alarms of `logs` (key: how many actions the alarm holds).
    fn actions_of(&self, logs: &HashMap<AlarmKey, u32>) -> Result<Vec<AlarmAction>, InfluxError> {
        let series: Vec<(String, String)> = distinct_series(logs.keys());
        let mut out = Vec::new();
        for chunk in series.chunks(SERIES_PER_QUERY) {
            let q = format!(
                "SELECT {} FROM {}{} GROUP BY \"rule\", \"subject\", \"seq\"",
                field_list(&ACTION_FIELDS),
                ident(ALARM_ACTIONS),
                series_filter(chunk.iter().map(|(r, s)| (r.as_str(), s.as_str())))
            );
            decode_actions(&self.select(&q)?, logs, &mut out)?;
        }
        Ok(out)
    }

    fn put(&self, alarms: &[Alarm], actions: &[AlarmAction]) -> Result<usize, StoreError> {
        let put = Operation::Put(DataKind::Alarms);
        let fail = self.fail(put);
        let writes = plan_writes(alarms, actions).map_err(|e| fail(invalid(e)))?;
        let keys: Vec<AlarmKey> = writes.iter().map(|w| w.alarm.key()).collect();
        let series = distinct_series(&keys);
        let stored = self.alarms_of_series(&series).map_err(&fail)?;
        let by_key: HashMap<AlarmKey, &Alarm> = stored.iter().map(|a| (a.key(), a)).collect();
        let repeats: HashMap<AlarmKey, u32> = writes
            .iter()
            .filter(|w| by_key.get(&w.alarm.key()).is_some_and(|s| may_repeat(w, s)))
            .map(|w| (w.alarm.key(), w.alarm.actions))
            .collect();
        let stored_actions = if repeats.is_empty() {
            Vec::new()
        } else {
            self.actions_of(&repeats).map_err(&fail)?
        };
        let closing: HashSet<AlarmKey> = writes
            .iter()
            .filter(|w| w.alarm.closed.is_some())
            .map(|w| w.alarm.key())
            .collect();
        let mut to_write: Vec<&AlarmWrite<'_>> = Vec::new();
        for w in &writes {
            let a = w.alarm;
            let key = a.key();
            let seqs: HashSet<u32> = w.actions.iter().map(|n| n.seq).collect();
            let repeated: Vec<AlarmAction> = stored_actions
                .iter()
                .filter(|s| s.alarm == key && seqs.contains(&s.seq))
                .cloned()
                .collect();
            let conflict = |what: String| {
                StoreError::new(&self.name, put, crate::store::ErrorKind::Conflict, what)
            };
            match judge(w, by_key.get(&key).copied(), &repeated).map_err(conflict)? {
                Verdict::Stored => continue,
                Verdict::Write => {}
            }
            if a.closed.is_none()
                && let Some(other) = stored.iter().find(|s| {
                    s.rule == a.rule
                        && s.subject == a.subject
                        && s.opened != a.opened
                        && s.closed.is_none()
                        && !closing.contains(&s.key())
                })
            {
                return Err(conflict(format!(
                    "alarm {} is open for rule {} and subject {}: alarm {key} cannot be opened too",
                    other.key(),
                    a.rule,
                    a.subject
                )));
            }
            to_write.push(w);
        }
        let new_actions: Vec<&AlarmAction> = to_write
            .iter()
            .flat_map(|w| w.actions.iter().copied())
            .collect();
        self.send(&new_actions, |buf, a| encode_action(buf, a))
            .map_err(&fail)?;
        let alarms: Vec<&Alarm> = to_write.iter().map(|w| w.alarm).collect();
        self.send(&alarms, |buf, a| encode_alarm(buf, a))
            .map_err(&fail)?;
        Ok(writes.len())
    }
}

/// The distinct (rule, subject code) of `keys`, in order.
fn distinct_series<'k>(keys: impl IntoIterator<Item = &'k AlarmKey>) -> Vec<(String, String)> {
    let set: BTreeMap<(String, String), ()> = keys
        .into_iter()
        .map(|k| ((k.rule.clone(), k.subject.code()), ()))
        .collect();
    set.into_keys().collect()
}

impl AlarmStore for InfluxStore {
    /// Also rejects what InfluxDB cannot store: an opening outside 1677–2262. Not atomic: see
    /// the module's documentation.
    fn put_alarms(
        &mut self,
        alarms: &[Alarm],
        actions: &[AlarmAction],
    ) -> Result<usize, StoreError> {
        self.put(alarms, actions)
    }

    fn alarms_paged(
        &self,
        query: &AlarmQuery,
        page_size: usize,
        each: &mut PageFn<'_, Alarm>,
    ) -> Result<(), StoreError> {
        if query.is_empty() {
            return Ok(());
        }
        let mut q = format!(
            "SELECT {} FROM {} WHERE {}",
            field_list(&ALARM_FIELDS),
            ident(ALARMS),
            time_range(query.from, query.to)
        );
        push_filter(&mut q, "rule", &query.rules);
        push_filter(&mut q, "subject", &query.subjects.map(AlarmSubject::code));
        push_filter(&mut q, "station", &query.stations);
        push_filter(&mut q, "state", &query.states.map(|s| s.code().to_string()));
        push_filter(
            &mut q,
            "severity",
            &query.severities.map(|s| s.code().to_string()),
        );
        q.push_str(" GROUP BY \"rule\", \"subject\"");
        self.select_paged(READ, &q, page_size, decode_alarms, each)
    }

    fn alarms_span(&self) -> Result<Option<TimeSpan>, StoreError> {
        let [first, last] = ["first", "last"].map(|f| {
            let q = format!("SELECT {f}({}) FROM {}", ident("revision"), ident(ALARMS));
            (q, "time")
        });
        self.span([first, last], READ)
    }

    /// More than one open alarm of `rule` and `subject` (two writers raced, see the
    /// module's documentation) is [`ErrorKind::Corrupt`](crate::store::ErrorKind::Corrupt), naming
    /// them: someone closes one by hand.
    fn open_alarm(&self, rule: &str, subject: &AlarmSubject) -> Result<Option<Alarm>, StoreError> {
        let q = format!(
            "SELECT {} FROM {}{} AND {} <> 'closed' GROUP BY \"rule\", \"subject\"",
            field_list(&ALARM_FIELDS),
            ident(ALARMS),
            series_filter([(rule, subject.code().as_str())]),
            ident("state")
        );
        let mut open = Vec::new();
        self.select(&q)
            .and_then(|series| decode_alarms(&series, &mut open))
            .map_err(self.fail(READ))?;
        if open.len() > 1 {
            let keys: Vec<String> = open.iter().map(|a| a.key().to_string()).collect();
            return Err(corrupt(format!(
                "{} alarms of rule {rule} and subject {subject} are open: {}; close all but one",
                open.len(),
                keys.join(", ")
            ))
            .into_store(&self.name, READ));
        }
        Ok(open.pop())
    }

    fn alarms_by_id(&self, id: &AlarmIdPrefix) -> Result<Vec<Alarm>, StoreError> {
        // The prefix is hex digits only: nothing to escape in the regular expression.
        let q = format!(
            "SELECT {} FROM {} WHERE {} =~ /^{}/ GROUP BY \"rule\", \"subject\"",
            field_list(&ALARM_FIELDS),
            ident(ALARMS),
            ident("id"),
            id.as_str()
        );
        let mut out = Vec::new();
        self.select(&q)
            .and_then(|series| decode_alarms(&series, &mut out))
            .map_err(self.fail(READ))?;
        crate::store::alarms::sort_by_opening(&mut out);
        Ok(out)
    }

    fn alarm_actions(&self, alarms: &[AlarmKey]) -> Result<Vec<AlarmAction>, StoreError> {
        let read = || -> Result<Vec<AlarmAction>, InfluxError> {
            let wanted: HashSet<&AlarmKey> = alarms.iter().collect();
            let logs: HashMap<AlarmKey, u32> = self
                .alarms_of_series(&distinct_series(alarms))?
                .into_iter()
                .filter(|a| wanted.contains(&a.key()))
                .map(|a| (a.key(), a.actions))
                .collect();
            let mut actions = self.actions_of(&logs)?;
            let order: HashMap<&AlarmKey, usize> =
                alarms.iter().enumerate().map(|(i, k)| (k, i)).collect();
            actions.sort_by_key(|a| (order.get(&a.alarm).copied(), a.seq));
            Ok(actions)
        };
        read().map_err(self.fail(READ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_series_filter_quotes_its_names() {
        assert_eq!(
            series_filter([("pm25-1h", "station/A'B")]),
            " WHERE ((\"rule\" = 'pm25-1h' AND \"subject\" = 'station/A\\'B'))"
        );
    }
}
