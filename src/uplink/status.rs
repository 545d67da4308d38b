//! A target's live state, for `lantian health` and `lantian uplink status`.
//!
//! The sending task keeps an [`UplinkStatus`] and writes it to `<name>.state.json` in the
//! uplink folder whenever it changes (at most once a second) and every 10 s besides — a
//! small file rather than the store, because it is one process's view of one link (like the
//! spool, which `lantian health` also reads from its folder), it changes with every packet,
//! and a store that is down must not hide the uplink's state. It is written by rename (never
//! half-written) but not synced: losing its last update in a power cut loses nothing, the
//! cursor is the durable record. A file whose `updated` time is old belongs to a process
//! that is no longer running ([`UplinkStatus::is_stale`]).

use std::fs;
use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::UplinkError;

/// How often a running target rewrites its state file even when nothing changes.
pub const REFRESH: std::time::Duration = std::time::Duration::from_secs(10);

/// The state of one target's link and backlog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UplinkStatus {
    /// The target.
    pub target: String,
    /// The platform's address.
    pub address: String,
    /// The process sending.
    pub pid: u32,
    /// When this state was written (wall clock).
    pub updated: DateTime<Utc>,
    /// Whether a connection to the platform is open.
    pub connected: bool,
    /// Since when the connection is open, or since when it is down (wall clock).
    pub since: Option<DateTime<Utc>>,
    /// When the last acknowledgement (9014) arrived (wall clock).
    pub last_ack: Option<DateTime<Utc>>,
    /// The oldest station position: every interval ending before it has been sent
    /// (monitoring time).
    pub sent_through: Option<DateTime<Utc>>,
    /// How far the oldest station lags behind what is due, in hours of data.
    pub backlog_hours: f64,
    /// The intervals due but not yet sent, over every station and stream (2011 samples not
    /// counted): an upper bound of the packets to send, as intervals without data send none.
    pub backlog_intervals: u64,
    /// Packets acknowledged by the platform since the process started.
    pub acknowledged: u64,
    /// Re-sends after an acknowledgement did not come in time.
    pub resent: u64,
    /// Connections opened since the process started.
    pub connections: u64,
    /// The last error (connecting, sending, the platform's refusal, the store).
    pub last_error: Option<String>,
    /// When it happened (wall clock).
    pub last_error_at: Option<DateTime<Utc>>,
}

impl UplinkStatus {
    /// A target that has not connected yet.
    pub fn new(target: &str, address: &str) -> UplinkStatus {
        UplinkStatus {
            target: target.to_string(),
            address: address.to_string(),
            pid: std::process::id(),
            updated: Utc::now(),
            connected: false,
            since: None,
            last_ack: None,
            sent_through: None,
            backlog_hours: 0.0,
            backlog_intervals: 0,
            acknowledged: 0,
            resent: 0,
            connections: 0,
            last_error: None,
            last_error_at: None,
        }
    }

    /// True when the file was not refreshed for three refresh periods: its process is gone
    /// (or hangs), and `connected` is no longer true.
    pub fn is_stale(&self, now: DateTime<Utc>) -> bool {
        now - self.updated > TimeDelta::from_std(REFRESH * 3).unwrap_or(TimeDelta::MAX)
    }
}

/// The state file of `target` in the uplink folder `dir`.
pub fn state_path(dir: &Path, target: &str) -> PathBuf {
    dir.join(format!("{target}.state.json"))
}

/// Writes `status` (by rename: never half-written).
pub(crate) fn write(dir: &Path, status: &UplinkStatus) -> Result<(), UplinkError> {
    let path = state_path(dir, &status.target);
    let tmp = path.with_extension("json.tmp");
    let text = serde_json::to_string_pretty(status).expect("a status serializes");
    fs::write(&tmp, text + "\n")
        .and_then(|()| fs::rename(&tmp, &path))
        .map_err(UplinkError::io(&path))
}

/// Reads the state of `target` (`None` when it never ran here).
pub fn read(dir: &Path, target: &str) -> Result<Option<UplinkStatus>, UplinkError> {
    let path = state_path(dir, target);
    match fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| UplinkError::BadState {
                path,
                reason: e.to_string(),
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(UplinkError::io(&path)(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_staleness() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read(dir.path(), "prov").unwrap(), None);
        let mut s = UplinkStatus::new("prov", "127.0.0.1:9");
        s.connected = true;
        s.backlog_hours = 3.5;
        write(dir.path(), &s).unwrap();
        let back = read(dir.path(), "prov").unwrap().unwrap();
        assert_eq!(back, s);
        assert!(!back.is_stale(back.updated + TimeDelta::seconds(29)));
        assert!(back.is_stale(back.updated + TimeDelta::seconds(31)));
    }
}
