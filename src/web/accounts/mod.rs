//! The accounts database: users with argon2id password hashes, login sessions, API tokens
//! and the audit log, in a SQLite file of their own (accounts are not time-series data and
//! move with no store). Secrets (session ids, tokens) are kept only as SHA-256 hashes.

mod audit;
mod sessions;
mod tokens;
mod users;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use rusqlite::Connection;

pub use audit::AuditEntry;
pub use sessions::Session;
pub use tokens::{IssuedToken, TokenInfo, TokenUse};
pub use users::{LoginPolicy, MIN_PASSWORD, User};

use super::role::{Permission, Role, UnknownName};

/// The schema version this build writes.
const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    hash TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    created TEXT NOT NULL,
    failures INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT
);
CREATE TABLE sessions (
    id_hash BLOB PRIMARY KEY,
    user TEXT NOT NULL REFERENCES users(name),
    csrf TEXT NOT NULL,
    created TEXT NOT NULL,
    expires TEXT NOT NULL,
    last_seen TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user);
CREATE TABLE tokens (
    id TEXT PRIMARY KEY,
    user TEXT NOT NULL REFERENCES users(name),
    name TEXT NOT NULL,
    scopes TEXT NOT NULL,
    hash BLOB NOT NULL,
    created TEXT NOT NULL,
    expires TEXT,
    revoked TEXT,
    last_used TEXT
);
CREATE TABLE audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL
);
";

/// Error of the accounts database.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// The database could not be opened, read or written.
    #[error("accounts database {}: {source}", path.display())]
    Database {
        /// The file.
        path: PathBuf,
        /// SQLite's error.
        #[source]
        source: rusqlite::Error,
    },
    /// The file was written by a newer lantian, or is not an accounts database.
    #[error("accounts database {}: schema version {found}, this build knows {SCHEMA_VERSION}", path.display())]
    Schema {
        /// The file.
        path: PathBuf,
        /// Its version.
        found: i64,
    },
    /// No such user.
    #[error("no user `{0}`")]
    UnknownUser(String),
    /// The name is taken.
    #[error("user `{0}` exists already")]
    UserExists(String),
    /// A user name that cannot be used.
    #[error("bad user name `{0}`: 1–64 letters, digits, `.`, `_`, `-`")]
    BadName(String),
    /// A password too weak to accept.
    #[error("the password is too short: at least {min} characters")]
    WeakPassword {
        /// The least length.
        min: usize,
    },
    /// Wrong name or password (which one is not said), or a disabled account.
    #[error("wrong user name or password")]
    BadCredentials,
    /// Too many failures in a row: locked until then.
    #[error("account locked after repeated failed logins until {until}")]
    Locked {
        /// When it opens again.
        until: DateTime<Utc>,
    },
    /// No token with this id.
    #[error("no API token `{0}`")]
    UnknownToken(String),
    /// A stored row that does not read (a role or scope this build does not know).
    #[error("accounts database: {0}")]
    Corrupt(#[from] UnknownName),
    /// Hashing failed (argon2's own error).
    #[error("password hashing: {0}")]
    Hash(String),
}

/// The accounts database (one connection; every call is short).
#[derive(Debug)]
pub struct Accounts {
    path: PathBuf,
    conn: Mutex<Connection>,
    policy: LoginPolicy,
}

impl Accounts {
    /// Opens (creating when missing) the accounts database at `path`.
    pub fn open(path: &Path, policy: LoginPolicy) -> Result<Accounts, AccountError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| AccountError::Database {
                path: path.to_path_buf(),
                source: rusqlite::Error::ToSqlConversionFailure(Box::new(e)),
            })?;
        }
        let db = |source| AccountError::Database {
            path: path.to_path_buf(),
            source,
        };
        let conn = Connection::open(path).map_err(db)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(db)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(db)?;
        conn.pragma_update(None, "foreign_keys", "ON").map_err(db)?;
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(db)?;
        match version {
            0 => {
                let tables: i64 = conn
                    .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
                    .map_err(db)?;
                if tables > 0 {
                    return Err(AccountError::Schema {
                        path: path.to_path_buf(),
                        found: 0,
                    });
                }
                conn.execute_batch(&format!(
                    "BEGIN; {SCHEMA} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
                ))
                .map_err(db)?;
            }
            SCHEMA_VERSION => {}
            found => {
                return Err(AccountError::Schema {
                    path: path.to_path_buf(),
                    found,
                });
            }
        }
        Ok(Accounts {
            path: path.to_path_buf(),
            conn: Mutex::new(conn),
            policy,
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves SQLite consistent (transactions roll back).
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn db(&self, source: rusqlite::Error) -> AccountError {
        AccountError::Database {
            path: self.path.clone(),
            source,
        }
    }
}

/// A fresh random secret: 32 bytes from the OS, hex.
fn new_secret() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex(&bytes)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of a secret, as stored.
fn secret_hash(secret: &str) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(secret.as_bytes()).to_vec()
}

fn time_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn parse_time(s: &str) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
        })
}

fn parse_scopes(s: &str) -> Result<Vec<Permission>, UnknownName> {
    s.split(',')
        .filter(|p| !p.is_empty())
        .map(str::parse)
        .collect()
}

fn parse_role(s: &str) -> Result<Role, UnknownName> {
    s.parse()
}

#[cfg(test)]
mod tests;
