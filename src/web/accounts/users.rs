//! Users: names, roles, argon2id password hashes, disabling, and logins with lock-out.

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::{DateTime, TimeDelta, Utc};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::{AccountError, Accounts, parse_role, parse_time, time_text};
use crate::web::role::Role;

/// The shortest password accepted.
pub const MIN_PASSWORD: usize = 10;

/// When failed logins lock an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginPolicy {
    /// Failures in a row that lock it.
    pub failures: u32,
    /// How long it stays locked.
    pub lock_for: TimeDelta,
}

impl Default for LoginPolicy {
    fn default() -> Self {
        LoginPolicy {
            failures: 5,
            lock_for: TimeDelta::minutes(15),
        }
    }
}

/// A user as listed (never with the hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    /// Login name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Whether the account is disabled (no login, its sessions and tokens refused).
    pub disabled: bool,
    /// When it was created.
    pub created: DateTime<Utc>,
    /// Locked by failed logins until then.
    pub locked_until: Option<DateTime<Utc>>,
}

fn check_name(name: &str) -> Result<(), AccountError> {
    let ok = (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(AccountError::BadName(name.to_string()))
    }
}

/// The argon2id hash (PHC string, random salt) of `password`.
fn hash_password(password: &str) -> Result<String, AccountError> {
    if password.chars().count() < MIN_PASSWORD {
        return Err(AccountError::WeakPassword { min: MIN_PASSWORD });
    }
    let salt = SaltString::generate(&mut rand_core_06());
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AccountError::Hash(e.to_string()))
}

/// argon2's salt generator wants rand_core 0.6's `OsRng`; `rand` 0.8 re-exports it.
fn rand_core_06() -> rand::rngs::OsRng {
    rand::rngs::OsRng
}

fn verify(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash to verify against when the user does not exist, so that a login for an unknown
/// name takes as long as one for a known name.
fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy password never used").unwrap_or_default())
}

fn user_row(
    r: &rusqlite::Row<'_>,
) -> rusqlite::Result<(String, String, bool, String, Option<String>)> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
}

fn to_user(
    (name, role, disabled, created, locked): (String, String, bool, String, Option<String>),
) -> Result<User, AccountError> {
    Ok(User {
        name,
        role: parse_role(&role)?,
        disabled,
        created: parse_time(&created).map_err(|e| AccountError::Hash(e.to_string()))?,
        locked_until: locked.map(|l| parse_time(&l)).transpose().ok().flatten(),
    })
}

const USER_COLUMNS: &str = "name, role, disabled, created, locked_until";

impl Accounts {
    /// Adds a user (hashing takes a while: call from a blocking thread). Audited as `actor`.
    pub fn add_user(
        &self,
        name: &str,
        role: Role,
        password: &str,
        actor: &str,
    ) -> Result<User, AccountError> {
        check_name(name)?;
        let hash = hash_password(password)?;
        let now = Utc::now();
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(|e| self.db(e))?;
        let exists: bool = tx
            .query_row("SELECT 1 FROM users WHERE name = ?1", [name], |_| Ok(true))
            .optional()
            .map_err(|e| self.db(e))?
            .unwrap_or(false);
        if exists {
            return Err(AccountError::UserExists(name.to_string()));
        }
        tx.execute(
            "INSERT INTO users (name, role, hash, created) VALUES (?1, ?2, ?3, ?4)",
            params![name, role.code(), hash, time_text(now)],
        )
        .map_err(|e| self.db(e))?;
        super::audit::record(&tx, now, actor, "user.add", name, &format!("role {role}"))
            .map_err(|e| self.db(e))?;
        tx.commit().map_err(|e| self.db(e))?;
        Ok(User {
            name: name.to_string(),
            role,
            disabled: false,
            created: now,
            locked_until: None,
        })
    }

    /// Every user, by name.
    pub fn users(&self) -> Result<Vec<User>, AccountError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY name"))
            .map_err(|e| self.db(e))?;
        let rows = stmt
            .query_map([], user_row)
            .map_err(|e| self.db(e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.db(e))?;
        rows.into_iter().map(to_user).collect()
    }

    /// One user.
    pub fn user(&self, name: &str) -> Result<User, AccountError> {
        let conn = self.conn();
        let row = conn
            .query_row(
                &format!("SELECT {USER_COLUMNS} FROM users WHERE name = ?1"),
                [name],
                user_row,
            )
            .optional()
            .map_err(|e| self.db(e))?
            .ok_or_else(|| AccountError::UnknownUser(name.to_string()))?;
        to_user(row)
    }

    /// Sets a new password (and unlocks); ends the user's sessions. Audited.
    pub fn set_password(
        &self,
        name: &str,
        password: &str,
        actor: &str,
    ) -> Result<(), AccountError> {
        let hash = hash_password(password)?;
        self.change(name, actor, "user.passwd", "", |tx| {
            tx.execute(
                "UPDATE users SET hash = ?2, failures = 0, locked_until = NULL WHERE name = ?1",
                params![name, hash],
            )?;
            tx.execute("DELETE FROM sessions WHERE user = ?1", [name])
        })
    }

    /// Disables (or enables again) a user; disabling ends their sessions. Audited.
    pub fn set_disabled(
        &self,
        name: &str,
        disabled: bool,
        actor: &str,
    ) -> Result<(), AccountError> {
        let action = if disabled {
            "user.disable"
        } else {
            "user.enable"
        };
        self.change(name, actor, action, "", |tx| {
            tx.execute(
                "UPDATE users SET disabled = ?2, failures = 0, locked_until = NULL WHERE name = ?1",
                params![name, disabled],
            )?;
            if disabled {
                tx.execute("DELETE FROM sessions WHERE user = ?1", [name])?;
            }
            Ok(0)
        })
    }

    /// Changes a user's role. Audited.
    pub fn set_role(&self, name: &str, role: Role, actor: &str) -> Result<(), AccountError> {
        self.change(name, actor, "user.role", &format!("role {role}"), |tx| {
            tx.execute(
                "UPDATE users SET role = ?2 WHERE name = ?1",
                params![name, role.code()],
            )
        })
    }

    /// One audited change of an existing user in a transaction.
    fn change(
        &self,
        name: &str,
        actor: &str,
        action: &str,
        detail: &str,
        apply: impl FnOnce(&rusqlite::Transaction<'_>) -> rusqlite::Result<usize>,
    ) -> Result<(), AccountError> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(|e| self.db(e))?;
        let exists = tx
            .query_row("SELECT 1 FROM users WHERE name = ?1", [name], |_| Ok(()))
            .optional()
            .map_err(|e| self.db(e))?
            .is_some();
        if !exists {
            return Err(AccountError::UnknownUser(name.to_string()));
        }
        apply(&tx).map_err(|e| self.db(e))?;
        super::audit::record(&tx, Utc::now(), actor, action, name, detail)
            .map_err(|e| self.db(e))?;
        tx.commit().map_err(|e| self.db(e))
    }

    /// Checks a login (call from a blocking thread: argon2 takes a while). A wrong password
    /// counts a failure; the policy's number of failures in a row locks the account. Failures
    /// and lock-outs are audited; a locked or disabled account is refused even with the right
    /// password.
    pub fn check_login(
        &self,
        name: &str,
        password: &str,
        now: DateTime<Utc>,
    ) -> Result<User, AccountError> {
        let stored = {
            let conn = self.conn();
            conn.query_row(
                "SELECT hash, disabled, failures, locked_until FROM users WHERE name = ?1",
                [name],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, bool>(1)?,
                        r.get::<_, u32>(2)?,
                        r.get::<_, Option<String>>(3)?,
                    ))
                },
            )
            .optional()
            .map_err(|e| self.db(e))?
        };
        let Some((hash, disabled, failures, locked)) = stored else {
            verify(password, decoy_hash());
            return Err(AccountError::BadCredentials);
        };
        if let Some(until) = locked.and_then(|l| parse_time(&l).ok())
            && until > now
        {
            return Err(AccountError::Locked { until });
        }
        let good = verify(password, &hash);
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(|e| self.db(e))?;
        let result = if good && !disabled {
            tx.execute(
                "UPDATE users SET failures = 0, locked_until = NULL WHERE name = ?1",
                [name],
            )
            .map_err(|e| self.db(e))?;
            Ok(())
        } else if good {
            super::audit::record(&tx, now, name, "login.refused", name, "account disabled")
                .map_err(|e| self.db(e))?;
            Err(AccountError::BadCredentials)
        } else {
            let failures = failures + 1;
            let until = (failures >= self.policy.failures).then(|| now + self.policy.lock_for);
            tx.execute(
                "UPDATE users SET failures = ?2, locked_until = ?3 WHERE name = ?1",
                params![
                    name,
                    if until.is_some() { 0 } else { failures },
                    until.map(time_text)
                ],
            )
            .map_err(|e| self.db(e))?;
            let (action, detail) = match until {
                Some(until) => (
                    "login.locked",
                    format!("{failures} failures, locked until {}", time_text(until)),
                ),
                None => ("login.failed", format!("{failures} failures in a row")),
            };
            super::audit::record(&tx, now, name, action, name, &detail).map_err(|e| self.db(e))?;
            Err(match until {
                Some(until) => AccountError::Locked { until },
                None => AccountError::BadCredentials,
            })
        };
        tx.commit().map_err(|e| self.db(e))?;
        result?;
        drop(conn);
        self.user(name)
    }
}
