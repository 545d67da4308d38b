//! The `alarms` table: the [`Alarm`]s, keyed by rule, subject and opening time, at most one
//! open per rule and subject (a partial unique index), the open ones also indexed by opening
//! (another partial index: listing them reads only them); and the `alarm_actions` table:
//! their audit logs, keyed by alarm and `seq`.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, ToSql, params};

use super::write_counts::{Counter, bump};
use super::{Fail, SqliteStore};
use crate::store::alarm_backend::{
    AlarmColumns, Verdict, event_json, event_of, judge, may_repeat, plan_writes,
};
use crate::store::select::{PAGE_SIZE, PageFn};
use crate::store::{
    Actor, Alarm, AlarmAction, AlarmIdPrefix, AlarmKey, AlarmQuery, AlarmState, AlarmStore,
    AlarmSubject, DataKind, Operation, StoreError, TimeSpan,
};

const COLUMNS: &str = "rule, subject, opened, kind, severity, stale, assignee, updated, revision,
    actions, evidence, handling";
const INSERT: &str = "INSERT OR REPLACE INTO alarms
    (rule, subject, opened, kind, severity, stale, assignee, updated, revision, actions,
     evidence, handling, id, station, state, closed)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)";
const SELECT_KEY: &str = "SELECT rule, subject, opened, kind, severity, stale, assignee, updated,
    revision, actions, evidence, handling FROM alarms
    WHERE rule = ?1 AND subject = ?2 AND opened = ?3";
/// The open alarm of a rule and subject: a seek on the partial index `alarms_open`.
const SELECT_OPEN: &str = "SELECT rule, subject, opened, kind, severity, stale, assignee,
    updated, revision, actions, evidence, handling FROM alarms
    WHERE rule = ?1 AND subject = ?2 AND state <> 'closed'";
/// Ids starting with a prefix: a range seek on `alarms_by_id` (`g` sorts after every hex digit).
const SELECT_ID: &str = "SELECT rule, subject, opened, kind, severity, stale, assignee, updated,
    revision, actions, evidence, handling FROM alarms
    WHERE id >= ?1 AND id < ?1 || 'g' ORDER BY opened, rule, subject";
const FIRST: &str = "SELECT opened FROM alarms ORDER BY opened LIMIT 1";
const LAST: &str = "SELECT opened FROM alarms ORDER BY opened DESC LIMIT 1";

const INSERT_ACTION: &str = "INSERT OR REPLACE INTO alarm_actions
    (rule, subject, opened, seq, at, actor, action, detail)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
const SELECT_ACTIONS: &str = "SELECT seq, at, actor, detail FROM alarm_actions
    WHERE rule = ?1 AND subject = ?2 AND opened = ?3 ORDER BY seq";
const SELECT_ACTION: &str = "SELECT seq, at, actor, detail FROM alarm_actions
    WHERE rule = ?1 AND subject = ?2 AND opened = ?3 AND seq = ?4";

const READ: Operation = Operation::Read(DataKind::Alarms);

/// Unix milliseconds as a time; the error names the alarm of `rule` (formatted only then).
fn time(ms: i64, rule: &str) -> Result<DateTime<Utc>, Fail> {
    DateTime::from_timestamp_millis(ms)
        .ok_or_else(|| Fail::Corrupt(format!("time {ms} ms out of range (alarm of rule {rule})")))
}

/// Column `i` of `r` as text (`None` for `NULL`), borrowed from the row.
fn opt_text<'r>(r: &'r Row<'_>, i: usize) -> Result<Option<&'r str>, Fail> {
    r.get_ref(i)?
        .as_str_or_null()
        .map_err(|e| Fail::Corrupt(format!("alarm column {i}: {e}")))
}

/// Column `i` of `r` as text, borrowed from the row.
fn text<'r>(r: &'r Row<'_>, i: usize) -> Result<&'r str, Fail> {
    opt_text(r, i)?.ok_or_else(|| Fail::Corrupt(format!("alarm column {i} is NULL")))
}

/// One row of the [`COLUMNS`] as an alarm.
fn from_row(r: &Row<'_>) -> Result<Alarm, Fail> {
    let rule = text(r, 0)?;
    AlarmColumns {
        subject: Cow::Borrowed(text(r, 1)?),
        opened: time(r.get(2)?, rule)?,
        kind: text(r, 3)?,
        severity: text(r, 4)?,
        stale: r.get(5)?,
        assignee: opt_text(r, 6)?,
        updated: time(r.get(7)?, rule)?,
        revision: r.get(8)?,
        actions: r.get(9)?,
        evidence: Cow::Borrowed(text(r, 10)?),
        handling: Cow::Borrowed(text(r, 11)?),
        rule: Cow::Borrowed(rule),
    }
    .into_alarm()
    .map_err(Fail::Corrupt)
}

/// The stored alarm of `key`.
fn read_key(conn: &Connection, key: &AlarmKey) -> Result<Option<Alarm>, Fail> {
    let mut stmt = conn.prepare_cached(SELECT_KEY)?;
    let mut rows = stmt.query(params![
        key.rule,
        key.subject.code(),
        key.opened.timestamp_millis()
    ])?;
    rows.next()?.map(from_row).transpose()
}

/// The alarm of `rule` and `subject` that is not closed.
fn read_open(conn: &Connection, rule: &str, subject: &AlarmSubject) -> Result<Option<Alarm>, Fail> {
    let mut stmt = conn.prepare_cached(SELECT_OPEN)?;
    let mut rows = stmt.query(params![rule, subject.code()])?;
    rows.next()?.map(from_row).transpose()
}

/// One row of `(seq, at, actor, detail)` as an action of `alarm`.
fn action_from_row(alarm: &AlarmKey, r: &Row<'_>) -> Result<AlarmAction, Fail> {
    let seq: u32 = r.get(0)?;
    let whose = format!("action {seq} of alarm {alarm}");
    let actor: String = r.get(2)?;
    let detail: String = r.get(3)?;
    Ok(AlarmAction {
        alarm: alarm.clone(),
        seq,
        at: super::millis(r.get(1)?, &whose)?,
        actor: actor
            .parse::<Actor>()
            .map_err(|e| Fail::Corrupt(format!("{e} ({whose})")))?,
        event: event_of(&detail, alarm, seq).map_err(Fail::Corrupt)?,
    })
}

/// The stored action `seq` of `alarm`.
fn read_action(conn: &Connection, alarm: &AlarmKey, seq: u32) -> Result<Option<AlarmAction>, Fail> {
    conn.prepare_cached(SELECT_ACTION)?
        .query_row(
            params![
                alarm.rule,
                alarm.subject.code(),
                alarm.opened.timestamp_millis(),
                seq
            ],
            |r| Ok(action_from_row(alarm, r)),
        )
        .optional()?
        .transpose()
}

fn put(store: &mut SqliteStore, alarms: &[Alarm], actions: &[AlarmAction]) -> Result<usize, Fail> {
    let writes = plan_writes(alarms, actions).map_err(Fail::Rejected)?;
    let mut rows = Vec::with_capacity(writes.len());
    for w in &writes {
        let details = w
            .actions
            .iter()
            .map(|a| event_json(a))
            .collect::<Result<Vec<_>, _>>()
            .map_err(Fail::Rejected)?;
        rows.push((AlarmColumns::of(w.alarm).map_err(Fail::Rejected)?, details));
    }
    if writes.is_empty() {
        return Ok(0);
    }
    store.write_tx(|tx| -> Result<usize, Fail> {
        for (w, (c, details)) in writes.iter().zip(&rows) {
            let a = w.alarm;
            let key = a.key();
            let stored = read_key(tx, &key)?;
            let mut repeated = Vec::new();
            if let Some(s) = &stored
                && may_repeat(w, s)
            {
                for n in &w.actions {
                    repeated.extend(read_action(tx, &key, n.seq)?);
                }
            }
            match judge(w, stored.as_ref(), &repeated).map_err(Fail::Conflict)? {
                Verdict::Stored => continue,
                Verdict::Write => {}
            }
            if a.closed.is_none()
                && let Some(other) = read_open(tx, &a.rule, &a.subject)?
                && other.opened != a.opened
            {
                return Err(Fail::Conflict(format!(
                    "alarm {} is open for rule {} and subject {}: alarm {key} cannot be opened too",
                    other.key(),
                    a.rule,
                    a.subject
                )));
            }
            tx.prepare_cached(INSERT)?.execute(params![
                c.rule,
                c.subject,
                c.opened.timestamp_millis(),
                c.kind,
                c.severity,
                c.stale,
                c.assignee,
                c.updated.timestamp_millis(),
                c.revision,
                c.actions,
                c.evidence,
                c.handling,
                key.id().full(),
                a.subject.station().map(|s| s.to_string()),
                a.state().code(),
                a.closed.as_ref().map(|c| c.at.timestamp_millis()),
            ])?;
            let mut insert = tx.prepare_cached(INSERT_ACTION)?;
            for (action, detail) in w.actions.iter().zip(details) {
                insert.execute(params![
                    c.rule,
                    c.subject,
                    c.opened.timestamp_millis(),
                    action.seq,
                    action.at.timestamp_millis(),
                    action.actor.code(),
                    action.event.code(),
                    detail,
                ])?;
            }
        }
        bump(tx, Counter::Alarms)?;
        Ok(writes.len())
    })
}

/// The alarms of `query`, by opening time, rule, subject.
fn read_paged(
    store: &SqliteStore,
    query: &AlarmQuery,
    page_size: usize,
    each: &mut PageFn<'_, Alarm>,
) -> Result<(), Fail> {
    if query.is_empty() {
        return Ok(());
    }
    let mut sql = format!("SELECT {COLUMNS} FROM alarms WHERE opened >= ? AND opened < ?");
    let mut args: Vec<Box<dyn ToSql>> = vec![
        Box::new(query.from.timestamp_millis()),
        Box::new(query.to.timestamp_millis()),
    ];
    let state = query.states.map(|s| s.code().to_string());
    super::push_in_list(&mut sql, &mut args, "state", &state);
    if !query.states.contains(&AlarmState::Closed) {
        // What `alarms_open_by_opened` holds: a read of open alarms reads that index alone,
        // however many closed ones the store keeps.
        sql.push_str(" AND state <> 'closed'");
    }
    super::push_in_list(&mut sql, &mut args, "rule", &query.rules);
    let subjects = query.subjects.map(AlarmSubject::code);
    super::push_in_list(&mut sql, &mut args, "subject", &subjects);
    super::push_in_list(&mut sql, &mut args, "station", &query.stations);
    let severities = query.severities.map(|s| s.code().to_string());
    super::push_in_list(&mut sql, &mut args, "severity", &severities);
    sql.push_str(" ORDER BY opened, rule, subject");
    store.query_paged(&sql, &args, page_size, from_row, each)
}

fn by_id(store: &SqliteStore, id: &AlarmIdPrefix) -> Result<Vec<Alarm>, Fail> {
    let mut stmt = store.conn.prepare_cached(SELECT_ID)?;
    let mut rows = stmt.query(params![id.as_str()])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(from_row(r)?);
    }
    Ok(out)
}

fn actions_of(store: &SqliteStore, alarms: &[AlarmKey]) -> Result<Vec<AlarmAction>, Fail> {
    let mut stmt = store.conn.prepare_cached(SELECT_ACTIONS)?;
    let mut out = Vec::new();
    for key in alarms {
        let mut rows = stmt.query(params![
            key.rule,
            key.subject.code(),
            key.opened.timestamp_millis()
        ])?;
        while let Some(r) = rows.next()? {
            out.push(action_from_row(key, r)?);
        }
    }
    Ok(out)
}

impl AlarmStore for SqliteStore {
    fn put_alarms(
        &mut self,
        alarms: &[Alarm],
        actions: &[AlarmAction],
    ) -> Result<usize, StoreError> {
        put(self, alarms, actions).map_err(self.fail(Operation::Put(DataKind::Alarms)))
    }

    fn alarms_paged(
        &self,
        query: &AlarmQuery,
        page_size: usize,
        each: &mut PageFn<'_, Alarm>,
    ) -> Result<(), StoreError> {
        read_paged(self, query, page_size, each).map_err(self.fail(READ))
    }

    fn alarms_span(&self) -> Result<Option<TimeSpan>, StoreError> {
        self.span(&[FIRST, LAST], &[], "alarms")
            .map_err(self.fail(READ))
    }

    fn open_alarm(&self, rule: &str, subject: &AlarmSubject) -> Result<Option<Alarm>, StoreError> {
        read_open(&self.conn, rule, subject).map_err(self.fail(READ))
    }

    fn alarms_by_id(&self, id: &AlarmIdPrefix) -> Result<Vec<Alarm>, StoreError> {
        by_id(self, id).map_err(self.fail(READ))
    }

    fn alarm_actions(&self, alarms: &[AlarmKey]) -> Result<Vec<AlarmAction>, StoreError> {
        actions_of(self, alarms).map_err(self.fail(READ))
    }

    /// The paged read's order is the documented one: nothing to sort.
    fn alarms(&self, query: &AlarmQuery) -> Result<Vec<Alarm>, StoreError> {
        let mut out = Vec::new();
        self.alarms_paged(query, PAGE_SIZE, &mut |page| {
            out.extend(page);
            Ok(())
        })?;
        Ok(out)
    }
}
