//! Login sessions: a random id in the browser's cookie, its SHA-256 here, with the user, a
//! per-session CSRF token, an absolute expiry and an idle limit.

use chrono::{DateTime, TimeDelta, Utc};
use rusqlite::{OptionalExtension, params};

use super::{AccountError, Accounts, new_secret, parse_role, parse_time, secret_hash, time_text};
use crate::web::role::Role;

/// A live session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The user.
    pub user: String,
    /// Their role (read at each request: a changed role applies at once).
    pub role: Role,
    /// The token every state-changing request of this session must carry.
    pub csrf: String,
    /// When it ends at the latest.
    pub expires: DateTime<Utc>,
}

/// Touching `last_seen` at most this often (a write per request would be most of its cost).
const TOUCH_EVERY: TimeDelta = TimeDelta::seconds(60);

impl Accounts {
    /// Starts a session for `user`, ending at `now + lifetime`; returns the cookie's secret
    /// and the session. Audited as a login.
    pub fn start_session(
        &self,
        user: &str,
        now: DateTime<Utc>,
        lifetime: TimeDelta,
    ) -> Result<(String, Session), AccountError> {
        let secret = new_secret();
        let csrf = new_secret();
        // As stored (milliseconds), so that the session read back is this one.
        let expires = super::parse_time(&time_text(now + lifetime)).map_err(|e| self.db(e))?;
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(|e| self.db(e))?;
        tx.execute("DELETE FROM sessions WHERE expires <= ?1", [time_text(now)])
            .map_err(|e| self.db(e))?;
        let role: String = tx
            .query_row("SELECT role FROM users WHERE name = ?1", [user], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| self.db(e))?
            .ok_or_else(|| AccountError::UnknownUser(user.to_string()))?;
        tx.execute(
            "INSERT INTO sessions (id_hash, user, csrf, created, expires, last_seen) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?4)",
            params![
                secret_hash(&secret),
                user,
                csrf,
                time_text(now),
                time_text(expires)
            ],
        )
        .map_err(|e| self.db(e))?;
        super::audit::record(&tx, now, user, "login", user, "session started")
            .map_err(|e| self.db(e))?;
        tx.commit().map_err(|e| self.db(e))?;
        Ok((
            secret,
            Session {
                user: user.to_string(),
                role: parse_role(&role)?,
                csrf,
                expires,
            },
        ))
    }

    /// The live session of a cookie's secret: not expired, used within `idle`, of an enabled
    /// user.
    pub fn session(
        &self,
        secret: &str,
        now: DateTime<Utc>,
        idle: TimeDelta,
    ) -> Result<Option<Session>, AccountError> {
        let hash = secret_hash(secret);
        let conn = self.conn();
        let row = conn
            .query_row(
                "SELECT s.user, u.role, s.csrf, s.expires, s.last_seen FROM sessions s \
                 JOIN users u ON u.name = s.user WHERE s.id_hash = ?1 AND u.disabled = 0",
                [&hash],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        parse_time(&r.get::<_, String>(3)?)?,
                        parse_time(&r.get::<_, String>(4)?)?,
                    ))
                },
            )
            .optional()
            .map_err(|e| self.db(e))?;
        let Some((user, role, csrf, expires, last_seen)) = row else {
            return Ok(None);
        };
        if expires <= now || last_seen + idle <= now {
            conn.execute("DELETE FROM sessions WHERE id_hash = ?1", [&hash])
                .map_err(|e| self.db(e))?;
            return Ok(None);
        }
        if now - last_seen >= TOUCH_EVERY {
            conn.execute(
                "UPDATE sessions SET last_seen = ?2 WHERE id_hash = ?1",
                params![hash, time_text(now)],
            )
            .map_err(|e| self.db(e))?;
        }
        Ok(Some(Session {
            user,
            role: parse_role(&role)?,
            csrf,
            expires,
        }))
    }

    /// Ends the session of a cookie's secret (a logout; audited when there was one).
    pub fn end_session(&self, secret: &str, now: DateTime<Utc>) -> Result<(), AccountError> {
        let hash = secret_hash(secret);
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(|e| self.db(e))?;
        let user: Option<String> = tx
            .query_row(
                "SELECT user FROM sessions WHERE id_hash = ?1",
                [&hash],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.db(e))?;
        if let Some(user) = user {
            tx.execute("DELETE FROM sessions WHERE id_hash = ?1", [&hash])
                .map_err(|e| self.db(e))?;
            super::audit::record(&tx, now, &user, "logout", &user, "session ended")
                .map_err(|e| self.db(e))?;
        }
        tx.commit().map_err(|e| self.db(e))
    }
}
