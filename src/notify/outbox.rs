//! The outbox: every message, written and synced before anything is sent, kept until it is
//! delivered (and for `retain` after, so that its idempotency key refuses a repeat).
//!
//! One SQLite file (WAL, `synchronous = FULL`: a committed enqueue survives `kill -9` and a
//! power cut), one table `messages`, one row per message to one channel:
//!
//! | column | meaning |
//! |---|---|
//! | `id` | order of enqueueing |
//! | `key` | the idempotency key, `UNIQUE`: a second enqueue of the same key is refused ([`Outcome::Duplicate`]) |
//! | `channel` | the channel's name |
//! | `alarm` | the rule and subject (`rule/subject`): the per-alarm rate limit counts by it |
//! | `notification` | the [`Notification`](super::Notification) as JSON (rendered when sent, in the channel's language) |
//! | `state` | [`State`]: `pending`, `held`, `delivered`, `summarised`, `suppressed`, `failed` |
//! | `created_ms`, `next_ms` | when it was enqueued; when it may be tried next (pending, held) |
//! | `attempts`, `last_error` | failed sends so far and the last one's error |
//! | `done_ms` | when it reached its final state |
//! | `summarised_in` | for `summarised`: the id of the message that carried its summary |
//! | `note` | for `suppressed`: why (the [`Suppression`](crate::store::Suppression), JSON); for `failed`: the refusal |
//! | `audited` | 1 once what became of it is in its alarm's audit log (`notify/audit.rs`, [`super::Notifier::with_audit`]; a test message needs none) |
//!
//! Rows in a final state are deleted `retain` after `done_ms` once audited
//! ([`Outbox::compact`]); the
//! undelivered ones (pending, held) are bounded by `max_pending`: an enqueue beyond it fails
//! with [`OutboxError::Full`] and writes nothing.
//!
//! One process delivers at a time ([`Outbox::lock_delivery`], a `flock` on `<file>.lock`,
//! released by the kernel when the process dies); any process may enqueue.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

mod error;
mod records;

pub use error::OutboxError;
pub use records::{Counts, Message, NewMessage, Outcome, State, WindowUse};

/// The outbox (see the [module documentation](self)).
pub struct Outbox {
    path: PathBuf,
    db: Connection,
    max_pending: u64,
    retain: Duration,
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbox").field("path", &self.path).finish()
    }
}

/// Holds the right to deliver from an outbox while alive.
#[derive(Debug)]
pub struct DeliveryLock {
    _file: File,
}

/// The format: 1 without `audited`, 2 with it.
const VERSION: i64 = 2;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    channel TEXT NOT NULL,
    alarm TEXT NOT NULL,
    notification TEXT NOT NULL,
    state TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    next_ms INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    done_ms INTEGER,
    summarised_in INTEGER,
    note TEXT,
    audited INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS messages_due ON messages (channel, state, next_ms);
CREATE INDEX IF NOT EXISTS messages_open ON messages (channel, id) WHERE state IN ('pending', 'held');
CREATE INDEX IF NOT EXISTS messages_sent ON messages (channel, state, done_ms);
CREATE INDEX IF NOT EXISTS messages_alarm ON messages (channel, alarm, state);
CREATE INDEX IF NOT EXISTS messages_done ON messages (done_ms) WHERE done_ms IS NOT NULL;
";

/// Version 1 → 2: whether a message is in its alarm's audit log.
const TO_VERSION_2: &str = "ALTER TABLE messages ADD COLUMN audited INTEGER NOT NULL DEFAULT 0;";

/// The final messages not in their alarms' logs yet (created after the column exists).
const AUDIT_INDEX: &str = "CREATE INDEX IF NOT EXISTS messages_unaudited ON messages (id)
    WHERE audited = 0 AND done_ms IS NOT NULL;";

const COLUMNS: &str = "id, key, channel, alarm, notification, state, created_ms, next_ms, \
    attempts, last_error, note, done_ms, summarised_in";

fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn time(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

impl Outbox {
    /// Opens (creating if needed) the outbox at `path`.
    pub fn open(path: &Path, max_pending: u64, retain: Duration) -> Result<Outbox, OutboxError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| OutboxError::Io {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let sql = |source| OutboxError::Sqlite {
            path: path.to_path_buf(),
            source,
        };
        let db = Connection::open(path).map_err(sql)?;
        db.busy_timeout(Duration::from_secs(10)).map_err(sql)?;
        db.pragma_update(None, "auto_vacuum", "INCREMENTAL")
            .map_err(sql)?;
        db.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get::<_, String>(0))
            .map_err(sql)?;
        db.pragma_update(None, "synchronous", "FULL").map_err(sql)?;
        let found: i64 = db
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(sql)?;
        if found > VERSION {
            return Err(OutboxError::Version {
                path: path.to_path_buf(),
                found,
                known: VERSION,
            });
        }
        if found == 1 {
            db.execute_batch(TO_VERSION_2).map_err(sql)?;
        }
        db.execute_batch(SCHEMA).map_err(sql)?;
        db.execute_batch(AUDIT_INDEX).map_err(sql)?;
        db.pragma_update(None, "user_version", VERSION)
            .map_err(sql)?;
        Ok(Outbox {
            path: path.to_path_buf(),
            db,
            max_pending,
            retain,
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn sql(&self) -> impl Fn(rusqlite::Error) -> OutboxError + '_ {
        |source| OutboxError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    /// Takes the right to deliver (`None` while another process has it).
    pub fn lock_delivery(&self) -> Result<Option<DeliveryLock>, OutboxError> {
        let mut name = self.path.clone().into_os_string();
        name.push(".lock");
        let path = PathBuf::from(name);
        let io = |source| OutboxError::Io {
            path: path.clone(),
            source,
        };
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => Ok(Some(DeliveryLock { _file: file })),
            Err(std::fs::TryLockError::WouldBlock) => Ok(None),
            Err(std::fs::TryLockError::Error(e)) => Err(io(e)),
        }
    }

    /// Writes `messages` in one transaction, synced before it returns; a key already present
    /// is not written again ([`Outcome::Duplicate`]). Fails with [`OutboxError::Full`],
    /// writing nothing, when the messages to send would take the undelivered ones past
    /// `max_pending`.
    pub fn enqueue(
        &mut self,
        messages: &[NewMessage],
        now: DateTime<Utc>,
    ) -> Result<Vec<Outcome>, OutboxError> {
        let path = self.path.clone();
        let sql = |source| OutboxError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self
            .db
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(sql)?;
        let pending: i64 = tx
            .query_row(
                "SELECT COUNT(*) FROM messages WHERE state IN ('pending', 'held')",
                [],
                |r| r.get(0),
            )
            .map_err(sql)?;
        let pending = pending.unsigned_abs();
        let mut outcomes = Vec::with_capacity(messages.len());
        let mut queued = 0u64;
        for m in messages {
            let existing: Option<String> = tx
                .query_row("SELECT state FROM messages WHERE key = ?1", [&m.key], |r| {
                    r.get(0)
                })
                .optional()
                .map_err(sql)?;
            if let Some(state) = existing {
                let state = State::parse(&state).ok_or_else(|| OutboxError::Corrupt {
                    path: self.path.clone(),
                    id: 0,
                    reason: format!("message {}: unknown state `{state}`", m.key),
                })?;
                outcomes.push(Outcome::Duplicate(state));
                continue;
            }
            let json = serde_json::to_string(&m.notification).expect("a notification serialises");
            let (state, done, note) = match &m.suppressed {
                None => (State::Pending, None, None),
                Some(why) => (
                    State::Suppressed,
                    Some(ms(now)),
                    Some(serde_json::to_string(why).expect("a suppression serialises")),
                ),
            };
            // Only what is about an alarm goes into an alarm's log.
            let audited = m.notification.alarm().is_none();
            tx.execute(
                "INSERT INTO messages (key, channel, alarm, notification, state, created_ms, next_ms, done_ms, note, audited)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7, ?8, ?9)",
                params![m.key, m.channel, m.alarm, json, state.code(), ms(now), done, note, audited],
            )
            .map_err(sql)?;
            if state == State::Pending {
                queued += 1;
                outcomes.push(Outcome::Queued);
            } else {
                outcomes.push(Outcome::Suppressed);
            }
        }
        if queued > 0 && pending + queued > self.max_pending {
            // Dropping the transaction rolls it back.
            return Err(OutboxError::Full {
                path: self.path.clone(),
                pending,
                max: self.max_pending,
                needed: queued,
            });
        }
        tx.commit().map_err(sql)?;
        Ok(outcomes)
    }

    fn read(row: &rusqlite::Row<'_>) -> rusqlite::Result<(i64, RawMessage)> {
        Ok((
            row.get(0)?,
            RawMessage {
                key: row.get(1)?,
                channel: row.get(2)?,
                alarm: row.get(3)?,
                notification: row.get(4)?,
                state: row.get(5)?,
                created_ms: row.get(6)?,
                next_ms: row.get(7)?,
                attempts: row.get(8)?,
                last_error: row.get(9)?,
                note: row.get(10)?,
                done_ms: row.get(11)?,
                summarised_in: row.get(12)?,
            },
        ))
    }

    fn decode(&self, (id, raw): (i64, RawMessage)) -> Result<Message, OutboxError> {
        let corrupt = |reason: String| OutboxError::Corrupt {
            path: self.path.clone(),
            id,
            reason,
        };
        let state = State::parse(&raw.state)
            .ok_or_else(|| corrupt(format!("unknown state `{}`", raw.state)))?;
        let notification = serde_json::from_str(&raw.notification)
            .map_err(|e| corrupt(format!("notification: {e}")))?;
        let (refused, suppressed) = match (state, raw.note) {
            (State::Suppressed, Some(note)) => (
                None,
                Some(
                    serde_json::from_str(&note)
                        .map_err(|e| corrupt(format!("suppression: {e}")))?,
                ),
            ),
            (_, note) => (note, None),
        };
        Ok(Message {
            id,
            key: raw.key,
            channel: raw.channel,
            alarm: raw.alarm,
            notification,
            state,
            created: time(raw.created_ms),
            next: time(raw.next_ms),
            attempts: raw.attempts,
            last_error: raw.last_error,
            refused,
            suppressed,
            done: raw.done_ms.map(time),
            summarised_in: raw.summarised_in,
        })
    }

    fn query(&self, sql: &str, params: impl rusqlite::Params) -> Result<Vec<Message>, OutboxError> {
        let mut stmt = self.db.prepare_cached(sql).map_err(self.sql())?;
        let rows = stmt
            .query_map(params, Outbox::read)
            .map_err(self.sql())?
            .collect::<Result<Vec<_>, _>>()
            .map_err(self.sql())?;
        rows.into_iter().map(|r| self.decode(r)).collect()
    }

    /// The message with idempotency key `key`.
    pub fn get(&self, key: &str) -> Result<Option<Message>, OutboxError> {
        Ok(self
            .query(
                &format!("SELECT {COLUMNS} FROM messages WHERE key = ?1"),
                [key],
            )?
            .pop())
    }

    /// The oldest open (pending or held) message of `channel` that may be tried at `now`.
    pub fn next_due(
        &self,
        channel: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Message>, OutboxError> {
        Ok(self
            .query(
                &format!(
                    "SELECT {COLUMNS} FROM messages WHERE channel = ?1 AND state IN ('pending', 'held')
                     AND next_ms <= ?2 ORDER BY id LIMIT 1"
                ),
                params![channel, ms(now)],
            )?
            .pop())
    }

    /// When the next open message of `channel` may be tried.
    pub fn next_time(&self, channel: &str) -> Result<Option<DateTime<Utc>>, OutboxError> {
        let t: Option<i64> = self
            .db
            .query_row(
                "SELECT MIN(next_ms) FROM messages WHERE channel = ?1 AND state IN ('pending', 'held')",
                [channel],
                |r| r.get(0),
            )
            .map_err(self.sql())?;
        Ok(t.map(time))
    }

    /// The held messages of `channel` about `alarm`, oldest first.
    pub fn held(&self, channel: &str, alarm: &str) -> Result<Vec<Message>, OutboxError> {
        self.query(
            &format!(
                "SELECT {COLUMNS} FROM messages WHERE channel = ?1 AND alarm = ?2 AND state = 'held' ORDER BY id"
            ),
            params![channel, alarm],
        )
    }

    /// Messages delivered on `channel` (about `alarm`, when given) since `since`.
    pub fn sent_since(
        &self,
        channel: &str,
        alarm: Option<&str>,
        since: DateTime<Utc>,
    ) -> Result<WindowUse, OutboxError> {
        let (sent, oldest): (u32, Option<i64>) = self
            .db
            .query_row(
                "SELECT COUNT(*), MIN(done_ms) FROM messages WHERE channel = ?1 AND state = 'delivered'
                 AND done_ms > ?2 AND (?3 IS NULL OR alarm = ?3)",
                params![channel, ms(since), alarm],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(self.sql())?;
        Ok(WindowUse {
            sent,
            oldest: oldest.map(time),
        })
    }

    /// Records that `id` was delivered, carrying the summary of `summarised`.
    pub fn delivered(
        &mut self,
        id: i64,
        summarised: &[i64],
        now: DateTime<Utc>,
    ) -> Result<(), OutboxError> {
        self.in_transaction(|tx| {
            tx.execute(
                "UPDATE messages SET state = 'delivered', done_ms = ?2 WHERE id = ?1",
                params![id, ms(now)],
            )?;
            for s in summarised {
                tx.execute(
                    "UPDATE messages SET state = 'summarised', done_ms = ?2, summarised_in = ?3 WHERE id = ?1",
                    params![s, ms(now), id],
                )?;
            }
            Ok(())
        })
    }

    /// Records a failed send of `id` (and that the messages `with` it wait as long): tried
    /// again at `next`.
    pub fn retry_later(
        &mut self,
        id: i64,
        with: &[i64],
        error: &str,
        next: DateTime<Utc>,
    ) -> Result<(), OutboxError> {
        self.in_transaction(|tx| {
            tx.execute(
                "UPDATE messages SET attempts = attempts + 1, last_error = ?2, next_ms = ?3 WHERE id = ?1",
                params![id, error, ms(next)],
            )?;
            for w in with {
                tx.execute("UPDATE messages SET next_ms = ?2 WHERE id = ?1", params![w, ms(next)])?;
            }
            Ok(())
        })
    }

    /// Runs `f` in one transaction and commits it.
    fn in_transaction(
        &mut self,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> rusqlite::Result<()>,
    ) -> Result<(), OutboxError> {
        let path = self.path.clone();
        self.db
            .transaction()
            .and_then(|tx| f(&tx).and_then(|()| tx.commit()))
            .map_err(|source| OutboxError::Sqlite { path, source })
    }

    /// Holds `id` back (per-alarm rate limit) until `until`.
    pub fn hold(&mut self, id: i64, until: DateTime<Utc>) -> Result<(), OutboxError> {
        self.db
            .execute(
                "UPDATE messages SET state = 'held', next_ms = ?2 WHERE id = ?1",
                params![id, ms(until)],
            )
            .map_err(self.sql())?;
        Ok(())
    }

    /// Records that the receiver refused `id` for good.
    pub fn failed(&mut self, id: i64, reason: &str, now: DateTime<Utc>) -> Result<(), OutboxError> {
        self.db
            .execute(
                "UPDATE messages SET state = 'failed', attempts = attempts + 1, last_error = ?2, note = ?2, done_ms = ?3 WHERE id = ?1",
                params![id, reason, ms(now)],
            )
            .map_err(self.sql())?;
        Ok(())
    }

    /// Up to `limit` messages in a final state whose fate is not in their alarms' logs yet,
    /// oldest first.
    pub fn unaudited(&self, limit: usize) -> Result<Vec<Message>, OutboxError> {
        self.query(
            &format!(
                "SELECT {COLUMNS} FROM messages WHERE audited = 0 AND done_ms IS NOT NULL
                 ORDER BY id LIMIT ?1"
            ),
            [i64::try_from(limit).unwrap_or(i64::MAX)],
        )
    }

    /// The idempotency key of the message `id`.
    pub fn key_of(&self, id: i64) -> Result<Option<String>, OutboxError> {
        self.db
            .query_row("SELECT key FROM messages WHERE id = ?1", [id], |r| r.get(0))
            .optional()
            .map_err(self.sql())
    }

    /// Records that the fates of the messages `ids` are in their alarms' logs.
    pub fn audited(&mut self, ids: &[i64]) -> Result<(), OutboxError> {
        self.in_transaction(|tx| {
            for id in ids {
                tx.execute("UPDATE messages SET audited = 1 WHERE id = ?1", [id])?;
            }
            Ok(())
        })
    }

    /// Deletes audited messages whose final state is older than `retain` and returns how
    /// many; frees their pages.
    pub fn compact(&mut self, now: DateTime<Utc>) -> Result<usize, OutboxError> {
        let before =
            now - chrono::TimeDelta::from_std(self.retain).unwrap_or(chrono::TimeDelta::MAX);
        let n = self
            .db
            .execute(
                "DELETE FROM messages WHERE done_ms IS NOT NULL AND done_ms < ?1 AND audited = 1",
                [ms(before)],
            )
            .map_err(self.sql())?;
        if n > 0 {
            self.db
                .execute_batch("PRAGMA incremental_vacuum;")
                .map_err(self.sql())?;
        }
        Ok(n)
    }

    /// Messages per channel and state.
    pub fn counts(&self) -> Result<Counts, OutboxError> {
        let mut stmt = self
            .db
            .prepare("SELECT channel, state, COUNT(*) FROM messages GROUP BY channel, state ORDER BY channel")
            .map_err(self.sql())?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?.unsigned_abs(),
                ))
            })
            .map_err(self.sql())?
            .collect::<Result<Vec<_>, _>>()
            .map_err(self.sql())?;
        let mut counts = Counts::default();
        for (channel, state, n) in rows {
            let state = State::parse(&state).ok_or_else(|| OutboxError::Corrupt {
                path: self.path.clone(),
                id: 0,
                reason: format!("unknown state `{state}`"),
            })?;
            counts.rows.push((channel, state, n));
        }
        counts.rows.sort();
        Ok(counts)
    }

    /// Every message of `channel`, oldest first (for tests and inspection).
    pub fn messages(&self, channel: &str) -> Result<Vec<Message>, OutboxError> {
        self.query(
            &format!("SELECT {COLUMNS} FROM messages WHERE channel = ?1 ORDER BY id"),
            [channel],
        )
    }
}

struct RawMessage {
    key: String,
    channel: String,
    alarm: String,
    notification: String,
    state: String,
    created_ms: i64,
    next_ms: i64,
    attempts: u32,
    last_error: Option<String>,
    note: Option<String>,
    done_ms: Option<i64>,
    summarised_in: Option<i64>,
}

#[cfg(test)]
mod tests;
