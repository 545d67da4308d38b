//! The loggers the server knows (by MN) with their PW, and what it keeps about each: its
//! device health (last packet, gaps, packets taken and rejected by cause, peer address) and
//! what has been logged about it once.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;

use super::calibrate::Watch;
use super::command::{CommandOutcome, LoggerCommand};
use super::counters::Rejection;
use crate::collect::health::{HealthBoard, Slot};
use crate::hj212::{Command, ExeRtn};
use crate::registry::{Hj212Device, PwError, Registry, RtdInterval};

/// The status a logger shows in its device health while its clock is off by more than
/// `max_clock_drift_s`.
pub const CLOCK_DRIFT_STATUS: &str = "clock drift";

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
    /// Its clock and real-time cadence.
    watch: Watch,
    /// The commands sent to it.
    commands: CommandCounts,
    last_command: Option<CommandRecord>,
}

/// Commands sent to one logger since the server started (by the server's clock calibration,
/// the registry's `rtd_interval` or a caller of [`super::LoggerControl::send`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CommandCounts {
    /// Clock settings (1012) the logger executed.
    pub clock_sets: u64,
    /// Real-time interval settings (1062) the logger executed.
    pub interval_sets: u64,
    /// Commands that were not executed (refused, failed, unanswered, connection lost).
    pub failed: u64,
}

/// A command and what came of it.
#[derive(Debug, Clone, PartialEq)]
pub struct CommandRecord {
    /// When its outcome was known (server's clock).
    pub at: DateTime<Utc>,
    /// The command.
    pub command: LoggerCommand,
    /// The logger's execution result, or why there is none.
    pub outcome: CommandOutcome,
}

/// What the server knows about one logger now (see [`super::LoggerControl::loggers`]).
#[derive(Debug, Clone, PartialEq)]
pub struct LoggerStatus {
    /// Its device id.
    pub device: String,
    /// Its MN.
    pub mn: String,
    /// At least one authenticated connection of it is open.
    pub connected: bool,
    /// Its clock's offset from the server's (logger − server), estimated from its real-time
    /// data; `None` before enough have arrived since it was last set.
    pub clock_offset: Option<TimeDelta>,
    /// The step between its real-time data, estimated likewise.
    pub rtd_cadence: Option<TimeDelta>,
    /// The real-time interval the registry sets in it.
    pub rtd_interval: Option<RtdInterval>,
    /// The commands sent to it.
    pub commands: CommandCounts,
    /// The latest command and its outcome.
    pub last_command: Option<CommandRecord>,
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

    /// It logged in on a connection at `now`: the command then due (its configured interval).
    pub(super) fn logged_in(&self, now: DateTime<Utc>) -> Option<LoggerCommand> {
        self.state().watch.logged_in(now, self.device.rtd_interval)
    }

    /// A real-time packet sampled at `data_time` and sent at `sent` (its QN) arrived at
    /// `now`: the commands now due (see [`Watch::realtime`]); its health shows
    /// [`CLOCK_DRIFT_STATUS`] while the clock is off by more than `max_drift`.
    pub(super) fn realtime(
        &self,
        now: DateTime<Utc>,
        data_time: DateTime<Utc>,
        sent: Option<DateTime<Utc>>,
        max_drift: TimeDelta,
    ) -> Vec<LoggerCommand> {
        let mut state = self.state();
        let configured = self.device.rtd_interval;
        let due = state
            .watch
            .realtime(now, data_time, sent, max_drift, configured);
        if let Some(offset) = state.watch.offset
            && due.contains(&LoggerCommand::SyncClock)
        {
            tracing::warn!(
                "HJ 212 logger {}: clock {} s off the server's (limit {} s): setting it (1012)",
                self.device.id,
                offset.num_seconds(),
                max_drift.num_seconds()
            );
        }
        let drifting = state.watch.drifting(max_drift);
        drop(state);
        let mut h = self.slot.lock();
        let shown = h.status.iter().position(|s| s == CLOCK_DRIFT_STATUS);
        match (drifting, shown) {
            (true, None) => h.status.push(CLOCK_DRIFT_STATUS.to_string()),
            (false, Some(i)) => {
                h.status.remove(i);
            }
            _ => {}
        }
        due
    }

    /// `command` came to `outcome` at `now`: counted, logged, a failure kept in health.
    pub(super) fn command_done(
        &self,
        now: DateTime<Utc>,
        command: LoggerCommand,
        outcome: &CommandOutcome,
    ) {
        let mut state = self.state();
        match (outcome, command.command()) {
            (Ok(ExeRtn::Success), Command::SetTime) => state.commands.clock_sets += 1,
            (Ok(ExeRtn::Success), _) => state.commands.interval_sets += 1,
            _ => state.commands.failed += 1,
        }
        state.last_command = Some(CommandRecord {
            at: now,
            command,
            outcome: outcome.clone(),
        });
        drop(state);
        let failure = match outcome {
            Ok(ExeRtn::Success) => return,
            Ok(exe) => format!("{command}: ExeRtn {}", exe.code()),
            Err(e) => format!("{command}: {e}"),
        };
        tracing::warn!("HJ 212 logger {}: {failure}", self.device.id);
        let mut h = self.slot.lock();
        h.last_error = Some(failure);
        h.last_failure = Some(now);
    }

    /// What the server knows about it now.
    pub(super) fn status(&self) -> LoggerStatus {
        let state = self.state();
        LoggerStatus {
            device: self.device.id.clone(),
            mn: self.device.mn.clone(),
            connected: state.connections > 0,
            clock_offset: state.watch.offset,
            rtd_cadence: state.watch.cadence,
            rtd_interval: self.device.rtd_interval,
            commands: state.commands,
            last_command: state.last_command.clone(),
        }
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
            rtd_interval: None,
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
