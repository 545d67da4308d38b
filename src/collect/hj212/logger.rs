//! The loggers the server knows (by MN) with their PW, and what it keeps about each: its
//! device health (last packet, gaps, packets taken and rejected by cause, peer address) and
//! what has been logged about it once.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;

use super::counters::Rejection;
use crate::collect::health::{HealthBoard, Slot};
use crate::hj212::Command;
use crate::registry::{Hj212Device, PwError, Registry};

/// A logger's PW could not be read when the server started.
#[derive(Debug, thiserror::Error)]
#[error("HJ 212 logger {device} (MN {mn}): {source}")]
pub struct LoggerPwError {
    /// The device id.
    pub device: String,
    /// Its MN.
    pub mn: String,
    /// Why.
    #[source]
    pub source: PwError,
}

/// The registry's HJ 212 loggers with their PWs read, ready to serve.
#[derive(Debug, Clone)]
pub struct Loggers {
    by_mn: HashMap<String, (Hj212Device, String)>,
    zone: Tz,
}

impl Loggers {
    /// Every `transport = "hj212"` device of `registry`, its PW read from the environment or
    /// its file now (a missing one is an error naming the device).
    pub fn from_registry(registry: &Registry) -> Result<Loggers, LoggerPwError> {
        let mut by_mn = HashMap::new();
        for d in registry.hj212_devices() {
            let pw = d.pw.read().map_err(|source| LoggerPwError {
                device: d.id.clone(),
                mn: d.mn.clone(),
                source,
            })?;
            by_mn.insert(d.mn.clone(), (d.clone(), pw));
        }
        Ok(Loggers {
            by_mn,
            zone: registry.network.time_zone,
        })
    }

    /// Loggers given with their PWs (tests, benches), in stations of `zone`.
    pub fn new(loggers: impl IntoIterator<Item = (Hj212Device, String)>, zone: Tz) -> Loggers {
        Loggers {
            by_mn: loggers
                .into_iter()
                .map(|(d, pw)| (d.mn.clone(), (d, pw)))
                .collect(),
            zone,
        }
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.by_mn.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.by_mn.is_empty()
    }

    /// The served loggers, each with a slot on `health`.
    pub(super) fn serve(self, health: &HealthBoard) -> (HashMap<String, Arc<Logger>>, Tz) {
        let mut entries: Vec<(Hj212Device, String)> = self.by_mn.into_values().collect();
        entries.sort_by(|a, b| a.0.id.cmp(&b.0.id));
        let slots = health.append(entries.iter().map(|(d, _)| (d.id.as_str(), &*d.station)));
        let served = entries
            .into_iter()
            .zip(slots)
            .map(|((device, pw), slot)| {
                let logger = Logger {
                    device,
                    pw,
                    slot,
                    state: Mutex::new(State::default()),
                };
                (logger.device.mn.clone(), Arc::new(logger))
            })
            .collect();
        (served, self.zone)
    }
}

/// One served logger.
#[derive(Debug)]
pub(super) struct Logger {
    pub device: Hj212Device,
    pub pw: String,
    slot: Slot,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// Authenticated connections open now.
    connections: usize,
    /// The latest interval start of each kind of periodic data, for gaps.
    last_start: HashMap<Command, DateTime<Utc>>,
    /// What has been logged once: unmapped codes, unreadable values, deviations, commands.
    logged: HashSet<String>,
}

impl Logger {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Checks `pw` against the logger's (in time independent of where they differ).
    pub(super) fn pw_matches(&self, pw: &str) -> bool {
        let (a, b) = (self.pw.as_bytes(), pw.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }

    /// True the first time `what` is said about this logger.
    pub(super) fn first(&self, what: String) -> bool {
        let mut state = self.state();
        state.logged.len() < 256 && state.logged.insert(what)
    }

    /// An authenticated connection from `peer` opened.
    pub(super) fn connected(&self, peer: SocketAddr) {
        self.state().connections += 1;
        let mut h = self.slot.lock();
        h.online = true;
        h.peer = Some(peer.to_string());
    }

    /// One of its connections closed.
    pub(super) fn disconnected(&self) {
        let mut state = self.state();
        state.connections = state.connections.saturating_sub(1);
        if state.connections == 0 {
            self.slot.lock().online = false;
        }
    }

    /// A packet of this logger was taken at `now`; `start` is its data's interval start for
    /// periodic data (`period` long), which counts the periods missing since the previous one.
    pub(super) fn accepted(
        &self,
        now: DateTime<Utc>,
        peer: SocketAddr,
        data: Option<(Command, DateTime<Utc>, TimeDelta)>,
    ) {
        let mut gaps = 0;
        if let Some((cn, start, period)) = data {
            let mut state = self.state();
            let last = state.last_start.entry(cn).or_insert(start);
            if start > *last && period > TimeDelta::zero() {
                let missing = (start - *last).num_milliseconds() / period.num_milliseconds() - 1;
                gaps = u64::try_from(missing).unwrap_or(0);
                *last = start;
            }
        }
        let mut h = self.slot.lock();
        h.polls += 1;
        h.successes += 1;
        h.skipped += gaps;
        h.consecutive_failures = 0;
        h.last_success = Some(now);
        h.last_attempt = Some(now);
        h.peer = Some(peer.to_string());
    }

    /// A packet that claims to be this logger's was rejected at `now`.
    pub(super) fn rejected(&self, now: DateTime<Utc>, peer: SocketAddr, cause: Rejection) {
        let mut h = self.slot.lock();
        h.polls += 1;
        h.consecutive_failures += 1;
        h.last_attempt = Some(now);
        h.last_failure = Some(now);
        h.last_error = Some(format!("{cause} packet from {peer}"));
        *h.rejected.entry(cause.name().to_string()).or_default() += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    use crate::registry::PwSource;

    fn logger(board: &HealthBoard) -> Arc<Logger> {
        let device = Hj212Device {
            id: "L1".into(),
            station: "S1".into(),
            mn: "MN1".into(),
            pw: PwSource::Env("X".into()),
            codes: BTreeMap::new(),
            minute_interval: TimeDelta::minutes(1),
        };
        let (served, _) =
            Loggers::new([(device, "123456".to_string())], chrono_tz::UTC).serve(board);
        served["MN1"].clone()
    }

    #[test]
    fn health_counts_gaps_and_rejections() {
        let board = HealthBoard::default();
        let l = logger(&board);
        assert!(l.pw_matches("123456") && !l.pw_matches("12345") && !l.pw_matches("123457"));
        let peer: SocketAddr = "127.0.0.1:4000".parse().unwrap();
        let t = |h: u32| -> DateTime<Utc> { format!("2026-03-01T{h:02}:00:00Z").parse().unwrap() };
        l.connected(peer);
        let hourly = |h| Some((Command::HourlyData, t(h), TimeDelta::hours(1)));
        l.accepted(t(9), peer, hourly(8));
        l.accepted(t(10), peer, hourly(9));
        l.accepted(t(13), peer, hourly(12)); // 10:00 and 11:00 missing
        l.accepted(t(13), peer, hourly(12)); // a re-send
        l.rejected(t(14), peer, Rejection::BadCrc);
        let h = &board.snapshot()[0];
        assert_eq!((h.polls, h.successes, h.skipped), (5, 4, 2));
        assert!(h.online);
        assert_eq!(h.consecutive_failures, 1);
        assert_eq!(h.rejected.get("bad-crc"), Some(&1));
        assert_eq!(h.peer.as_deref(), Some("127.0.0.1:4000"));
        l.disconnected();
        assert!(!board.snapshot()[0].online);
    }
}
