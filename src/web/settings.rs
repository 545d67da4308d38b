//! `[web]`: where the platform listens, its accounts database, TLS, sessions and login
//! limits.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// `lantian serve`'s address when neither `--listen` nor `[web] listen` says: loopback.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// The web platform's settings (`[web]`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebConfig {
    /// Where to listen. `lantian run` serves the platform only when it is set; `lantian
    /// serve` listens on [`DEFAULT_LISTEN`] without it.
    #[serde(default)]
    pub listen: Option<SocketAddr>,
    /// The accounts database (users, sessions, API tokens, audit log); default beside a
    /// SQLite store (`<file>-web.db`).
    #[serde(default)]
    pub accounts: Option<PathBuf>,
    /// Serve a read-only AQI map without login (`/public/…`). Off unless asked.
    #[serde(default)]
    pub public_map: bool,
    /// TLS certificate chain (PEM); with `tls_key`, the server speaks HTTPS only and marks
    /// its cookies `Secure`.
    #[serde(default)]
    pub tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    #[serde(default)]
    pub tls_key: Option<PathBuf>,
    /// Whether the platform is reached over HTTPS through a reverse proxy that terminates
    /// TLS: cookies are marked `Secure` even though this server speaks plain HTTP.
    #[serde(default)]
    pub behind_https_proxy: bool,
    /// A session ends this many hours after login.
    #[serde(default = "default_session_hours")]
    pub session_hours: u32,
    /// A session ends after this many minutes without a request.
    #[serde(default = "default_idle_minutes")]
    pub idle_minutes: u32,
    /// Failed logins in a row that lock an account.
    #[serde(default = "default_lockout_failures")]
    pub lockout_failures: u32,
    /// How long a locked account stays locked.
    #[serde(default = "default_lockout_minutes")]
    pub lockout_minutes: u32,
    /// Login attempts one client address may make per minute (more get 429).
    #[serde(default = "default_login_per_minute")]
    pub login_per_minute: u32,
    /// Open connections at most (more wait for one to close).
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
    /// Seconds between two reads of the latest values for the live updates, for a store that
    /// does not count its writes (InfluxDB); SQLite is asked for its count five times a second
    /// and read when it moved.
    #[serde(default = "default_poll_seconds")]
    pub poll_seconds: u64,
}

fn default_session_hours() -> u32 {
    12
}
fn default_idle_minutes() -> u32 {
    120
}
fn default_lockout_failures() -> u32 {
    5
}
fn default_lockout_minutes() -> u32 {
    15
}
fn default_login_per_minute() -> u32 {
    20
}
fn default_max_connections() -> usize {
    2048
}
fn default_poll_seconds() -> u64 {
    3
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            listen: None,
            accounts: None,
            public_map: false,
            tls_cert: None,
            tls_key: None,
            behind_https_proxy: false,
            session_hours: default_session_hours(),
            idle_minutes: default_idle_minutes(),
            lockout_failures: default_lockout_failures(),
            lockout_minutes: default_lockout_minutes(),
            login_per_minute: default_login_per_minute(),
            max_connections: default_max_connections(),
            poll_seconds: default_poll_seconds(),
        }
    }
}

impl WebConfig {
    /// The login lock-out of these settings (`lockout_failures` failures lock an account for
    /// `lockout_minutes`).
    pub fn login_policy(&self) -> super::LoginPolicy {
        super::LoginPolicy {
            failures: self.lockout_failures.max(1),
            lock_for: chrono::TimeDelta::minutes(i64::from(self.lockout_minutes)),
        }
    }

    /// Resolves relative paths against the configuration's folder.
    pub fn resolve_paths(&mut self, base: &Path) {
        for path in [&mut self.accounts, &mut self.tls_cert, &mut self.tls_key]
            .into_iter()
            .flatten()
        {
            *path = base.join(&*path);
        }
    }

    /// Whether cookies must be `Secure`: the server speaks TLS or sits behind an HTTPS proxy.
    pub fn secure_cookies(&self) -> bool {
        self.tls_cert.is_some() || self.behind_https_proxy
    }
}
