//! Device faults of a scenario: what goes wrong with which device, and when.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Deserialize;

use super::scenario::window;
use super::timespec::{DailyWindow, Dur, TimeSpec};

/// What goes wrong with a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FaultKind {
    /// No answer at all (connection refused / timeout).
    Offline,
    /// Answers after `delay_ms`.
    Slow,
    /// Answers with a Modbus exception.
    Exception,
    /// Keeps reporting the value it had when the fault started.
    Stuck,
    /// Zero/span check: reports calibration gas and a calibration status.
    Calibration,
    /// Maintenance visit: maintenance status, unreliable values.
    Maintenance,
    /// Raises its alarm status word.
    Alarm,
    /// Sends malformed frames (an HJ 212 logger: bytes that are no packet before each packet).
    Garbage,
    /// Modbus devices: the connection is aborted with a TCP reset at each request (a gateway
    /// rebooting, a NAT dropping its state), where `offline` closes it in order.
    Reset,
    /// HJ 212 loggers: packets go out with a wrong CRC the first time (a resend after the
    /// unanswered acknowledgement is correct, as after corruption on the line).
    #[serde(rename = "bad_crc")]
    BadCrc,
    /// HJ 212 loggers: each packet written in three pieces with pauses between them.
    Split,
    /// HJ 212 loggers: each packet sent twice.
    Resend,
    /// HJ 212 loggers: the connection closed after each packet, opened again for the next.
    Disconnect,
}

impl FaultKind {
    /// Whether a Modbus device can have this fault.
    pub const fn applies_to_modbus(self) -> bool {
        !matches!(
            self,
            FaultKind::BadCrc | FaultKind::Split | FaultKind::Resend | FaultKind::Disconnect
        )
    }

    /// Whether an HJ 212 logger can have this fault (it sends, so it cannot answer late, with
    /// a Modbus exception or with a reset of a request's connection).
    pub const fn applies_to_loggers(self) -> bool {
        !matches!(
            self,
            FaultKind::Slow | FaultKind::Exception | FaultKind::Reset
        )
    }
}

/// A fault of one device during a time window.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    /// Device id (checked against the registry when the simulation's
    /// [`Environment`](crate::sim::environment::Environment) is built).
    pub device: String,
    /// What happens.
    pub kind: FaultKind,
    /// Recurring local window.
    pub daily: Option<DailyWindow>,
    /// Start relative to the simulation start.
    pub after: Option<Dur>,
    /// Length (with `after`).
    pub duration: Option<Dur>,
    /// Absolute start.
    pub start: Option<TimeSpec>,
    /// Absolute end.
    pub end: Option<TimeSpec>,
    /// Response delay for `slow`, ms.
    pub delay_ms: Option<u64>,
    /// Free text.
    pub note: Option<String>,
}

/// A fault in effect, with the occurrence it belongs to.
#[derive(Debug, Clone, Copy)]
pub struct ActiveFault<'a> {
    /// The fault.
    pub fault: &'a Fault,
    /// Start of this occurrence (a stuck device freezes the value it had then).
    pub since: DateTime<Utc>,
    /// End of this occurrence (exclusive).
    pub until: DateTime<Utc>,
}

impl Fault {
    /// The occurrence `[since, until)` containing `t`, if any.
    pub fn occurrence(
        &self,
        t: DateTime<Utc>,
        sim_start: DateTime<Utc>,
        tz: Tz,
    ) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        if let Some(w) = &self.daily {
            return w.occurrence(t, tz);
        }
        let (s, e) = window(
            self.start,
            self.end,
            self.after,
            self.duration,
            sim_start,
            tz,
        );
        (s <= t && t < e).then_some((s, e))
    }
}
