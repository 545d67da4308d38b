//! Device health: the latest [`DeviceHealth`] of each device, as its collector sees it, and
//! the [`HealthStore`] that keeps it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::StoreError;

/// The health of one device as its collector sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceHealth {
    /// Device id (unique in the network).
    pub device: String,
    /// The station the device belongs to.
    pub station: String,
    /// Whether the last poll succeeded (an HJ 212 logger: whether it is connected).
    pub online: bool,
    /// Time (pipeline clock) of the last successful poll (an HJ 212 logger: of the last
    /// packet taken).
    pub last_success: Option<DateTime<Utc>>,
    /// Time of the last poll attempt (an HJ 212 logger: of the last packet received).
    pub last_attempt: Option<DateTime<Utc>>,
    /// Polls attempted since the collector started (an HJ 212 logger: packets received).
    pub polls: u64,
    /// Polls that succeeded (an HJ 212 logger: packets taken).
    pub successes: u64,
    /// Scheduled polls skipped because the previous one was still running (an HJ 212 logger:
    /// gaps: minute, hour and day periods skipped between consecutive ones as they arrived).
    pub skipped: u64,
    /// Failures in a row (0 when online).
    pub consecutive_failures: u32,
    /// Round-trip time of the last successful poll, in milliseconds (real time).
    pub last_latency_ms: Option<f64>,
    /// Names of the status/alarm bits currently set.
    pub status: Vec<String>,
    /// The most recent error (kept after the device recovers, with its time in
    /// `last_failure`, so that maintainers see what happened).
    pub last_error: Option<String>,
    /// Time (pipeline clock) of the most recent failed poll.
    pub last_failure: Option<DateTime<Utc>>,
    /// The address its data last came from, for devices that connect to lantian (HJ 212
    /// loggers); `None` for polled devices.
    pub peer: Option<String>,
    /// Packets rejected since the collector started, by cause (`bad-crc`, `wrong-pw`, …; HJ
    /// 212 loggers; empty for polled devices).
    pub rejected: BTreeMap<String, u64>,
}

impl DeviceHealth {
    /// A device that has not been polled yet.
    pub fn new(device: &str, station: &str) -> DeviceHealth {
        DeviceHealth {
            device: device.to_string(),
            station: station.to_string(),
            online: false,
            last_success: None,
            last_attempt: None,
            polls: 0,
            successes: 0,
            skipped: 0,
            consecutive_failures: 0,
            last_latency_ms: None,
            status: Vec::new(),
            last_error: None,
            last_failure: None,
            peer: None,
            rejected: BTreeMap::new(),
        }
    }

    /// Share of polls that succeeded (1 before the first poll).
    pub fn success_ratio(&self) -> f64 {
        if self.polls == 0 {
            1.0
        } else {
            self.successes as f64 / self.polls as f64
        }
    }

    /// Whether a maintainer should look at the device: offline, failing now, a failed or
    /// skipped poll since it started, or a status bit set.
    pub fn has_problem(&self) -> bool {
        !self.online
            || self.consecutive_failures > 0
            || self.successes < self.polls
            || self.skipped > 0
            || !self.status.is_empty()
    }
}

/// Where the latest health of each device is kept.
pub trait HealthStore: Send {
    /// Stores the current health of devices, replacing their previous entries (by device).
    /// Returns how many entries were written.
    fn put_health(&mut self, health: &[DeviceHealth]) -> Result<usize, StoreError>;

    /// The last stored health of every device, ordered by device id.
    fn health(&self) -> Result<Vec<DeviceHealth>, StoreError>;
}
