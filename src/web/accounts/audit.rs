//! The audit log: every change to accounts, sessions, tokens, and every change made through
//! the platform (alarm steps, reports generated), with who, when and what.

use chrono::{DateTime, Utc};
use rusqlite::params;
use serde::Serialize;

use super::{AccountError, Accounts, parse_time, time_text};

/// One entry of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    /// Its number (increasing).
    pub seq: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// Who (a user name, or `cli:<login>` for the command line).
    pub actor: String,
    /// What (`user.add`, `login.failed`, `alarm.ack`, …).
    pub action: String,
    /// On what (a user, a token id, an alarm id).
    pub target: String,
    /// Details.
    pub detail: String,
}

/// Appends an entry inside a transaction.
pub(super) fn record(
    conn: &rusqlite::Connection,
    at: DateTime<Utc>,
    actor: &str,
    action: &str,
    target: &str,
    detail: &str,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO audit (at, actor, action, target, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![time_text(at), actor, action, target, detail],
    )
    .map(|_| ())
}

impl Accounts {
    /// Appends an entry to the audit log.
    pub fn audit(
        &self,
        actor: &str,
        action: &str,
        target: &str,
        detail: &str,
    ) -> Result<(), AccountError> {
        record(&self.conn(), Utc::now(), actor, action, target, detail).map_err(|e| self.db(e))
    }

    /// The newest `limit` entries before `before` (all with `None`), newest first.
    pub fn audit_log(
        &self,
        before: Option<i64>,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, AccountError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(
                "SELECT seq, at, actor, action, target, detail FROM audit \
                 WHERE ?1 IS NULL OR seq < ?1 ORDER BY seq DESC LIMIT ?2",
            )
            .map_err(|e| self.db(e))?;
        stmt.query_map(params![before, limit as i64], |r| {
            Ok(AuditEntry {
                seq: r.get(0)?,
                at: parse_time(&r.get::<_, String>(1)?)?,
                actor: r.get(2)?,
                action: r.get(3)?,
                target: r.get(4)?,
                detail: r.get(5)?,
            })
        })
        .map_err(|e| self.db(e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| self.db(e))
    }
}
