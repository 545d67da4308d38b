//! Keeping loggers' clocks and real-time cadence right, from what their real-time data (2011)
//! show:
//!
//! - **Clock (校时)**: each real-time packet gives one observation of the logger's clock
//!   offset — the later of its `QN` (when it was sent) and `DataTime` (when it was sampled),
//!   both on the logger's clock, minus the packet's arrival on the server's. The median of the
//!   last [`WINDOW`] observations (once there are [`MIN_SAMPLES`]) is the estimate: a few
//!   re-sent or backfilled packets do not move it. An estimate beyond `max_clock_drift_s`
//!   (plus 2 s of transit, scaled by the server clock's speed: [`drift_limit`]) sets the
//!   logger's clock (1012, [`LoggerCommand::SyncClock`]), at most once per
//!   [`MIN_COMMAND_SPACING`] of the server's clock; the observations start again after it.
//! - **Cadence**: the median step between consecutive real-time `DataTime`s. A logger with an
//!   `rtd_interval` in the registry gets it (1062) when it logs in on a connection, and again
//!   (at most once per [`MIN_COMMAND_SPACING`]) when its cadence differs from it by more than
//!   a tenth (and at least [`CADENCE_TOLERANCE`]).

use std::collections::VecDeque;

use chrono::{DateTime, TimeDelta, Utc};

use super::command::LoggerCommand;
use crate::registry::RtdInterval;

/// Observations kept per logger (of offsets, and of real-time steps).
pub(super) const WINDOW: usize = 9;
/// Observations needed before an estimate is trusted.
pub(super) const MIN_SAMPLES: usize = 5;
/// The least time (server's clock) between two automatic commands of one kind to one logger.
pub const MIN_COMMAND_SPACING: TimeDelta = TimeDelta::hours(1);
/// A cadence this close to the configured interval is right (besides a tenth of it).
const CADENCE_TOLERANCE: TimeDelta = TimeDelta::seconds(2);
/// Steps between real-time packets longer than this are outages, not the cadence.
const MAX_STEP: TimeDelta = TimeDelta::hours(2);
/// Real time a packet may take from its stamps to its arrival (queues, a slow link) without
/// counting as drift.
const TRANSIT_ALLOWANCE_MS: f64 = 2000.0;

/// The offset beyond which a clock is set: `max_drift` (zero: never) plus the transit
/// allowance on the server's clock, which runs `speed` times as fast as real time (a
/// simulation's clock: there, latency alone would look like drift).
pub(super) fn drift_limit(max_drift: TimeDelta, speed: f64) -> TimeDelta {
    if max_drift.is_zero() {
        return max_drift;
    }
    max_drift + TimeDelta::milliseconds((TRANSIT_ALLOWANCE_MS * speed) as i64)
}

/// What the server watches about one logger's clock and cadence.
#[derive(Debug, Default)]
pub(super) struct Watch {
    offsets: VecDeque<TimeDelta>,
    steps: VecDeque<TimeDelta>,
    last_sample: Option<DateTime<Utc>>,
    last_time_set: Option<DateTime<Utc>>,
    last_interval_set: Option<DateTime<Utc>>,
    /// The latest estimate of the clock offset (logger − server).
    pub offset: Option<TimeDelta>,
    /// The latest estimate of the real-time cadence.
    pub cadence: Option<TimeDelta>,
}

/// The median of `values` (the lower middle one of an even count).
fn median(values: &VecDeque<TimeDelta>) -> Option<TimeDelta> {
    let mut sorted: Vec<TimeDelta> = values.iter().copied().collect();
    sorted.sort_unstable();
    sorted.get(sorted.len().saturating_sub(1) / 2).copied()
}

fn push(window: &mut VecDeque<TimeDelta>, value: TimeDelta) {
    if window.len() == WINDOW {
        window.pop_front();
    }
    window.push_back(value);
}

impl Watch {
    /// The logger logged in on a connection at `now`: its configured interval, if any, is due.
    pub(super) fn logged_in(
        &mut self,
        now: DateTime<Utc>,
        configured: Option<RtdInterval>,
    ) -> Option<LoggerCommand> {
        let interval = configured?;
        self.interval_sent(now);
        Some(LoggerCommand::SetRtdInterval(interval))
    }

    fn interval_sent(&mut self, now: DateTime<Utc>) {
        self.last_interval_set = Some(now);
        self.steps.clear();
        self.last_sample = None;
        self.cadence = None;
    }

    /// A real-time packet sampled at `data_time` and sent at `sent` (its QN, when readable),
    /// both on the logger's clock, arrived at `arrival` (the server's). Returns the commands
    /// now due: 1012 when the clock is off by more than `max_drift` (zero: never), 1062 when
    /// the cadence is not `configured`.
    pub(super) fn realtime(
        &mut self,
        arrival: DateTime<Utc>,
        data_time: DateTime<Utc>,
        sent: Option<DateTime<Utc>>,
        max_drift: TimeDelta,
        configured: Option<RtdInterval>,
    ) -> Vec<LoggerCommand> {
        let mut due = Vec::new();
        let stamp = sent.map_or(data_time, |s| s.max(data_time));
        push(&mut self.offsets, stamp - arrival);
        if self.offsets.len() >= MIN_SAMPLES {
            self.offset = median(&self.offsets);
        }
        let spaced =
            |last: Option<DateTime<Utc>>| last.is_none_or(|t| arrival - t >= MIN_COMMAND_SPACING);
        if let Some(offset) = self.offset
            && !max_drift.is_zero()
            && offset.abs() > max_drift
            && spaced(self.last_time_set)
        {
            self.last_time_set = Some(arrival);
            self.offsets.clear();
            self.last_sample = None;
            self.steps.clear();
            due.push(LoggerCommand::SyncClock);
        }
        if let Some(last) = self.last_sample
            && data_time > last
            && data_time - last <= MAX_STEP
        {
            push(&mut self.steps, data_time - last);
            if self.steps.len() >= MIN_SAMPLES {
                self.cadence = median(&self.steps);
            }
        }
        if self.last_sample.is_none_or(|last| data_time > last) {
            self.last_sample = Some(data_time);
        }
        if let (Some(cadence), Some(interval)) = (self.cadence, configured) {
            let want = TimeDelta::seconds(i64::from(interval.seconds()));
            let tolerance = (want / 10).max(CADENCE_TOLERANCE);
            if (cadence - want).abs() > tolerance && spaced(self.last_interval_set) {
                self.interval_sent(arrival);
                due.push(LoggerCommand::SetRtdInterval(interval));
            }
        }
        due
    }

    /// True while the clock is estimated off by more than `max_drift`.
    pub(super) fn drifting(&self, max_drift: TimeDelta) -> bool {
        !max_drift.is_zero() && self.offset.is_some_and(|o| o.abs() > max_drift)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_772_300_000 + s, 0).unwrap()
    }

    #[test]
    fn a_skewed_clock_is_set_once_per_spacing_despite_backfilled_packets() {
        let mut w = Watch::default();
        let drift = TimeDelta::seconds(60);
        let mut commands = Vec::new();
        for i in 0..4 {
            // The logger's clock is 10 min ahead; one old packet among them.
            let arrival = t(30 * i);
            commands.extend(w.realtime(
                arrival,
                arrival + TimeDelta::minutes(10),
                None,
                drift,
                None,
            ));
        }
        assert!(commands.is_empty(), "not before {MIN_SAMPLES} samples");
        commands.extend(w.realtime(t(120), t(-86_400), None, drift, None));
        assert_eq!(commands, [LoggerCommand::SyncClock]);
        assert!(w.drifting(drift));
        // Still off (the command failed): not again within the hour.
        for i in 5..20 {
            let arrival = t(30 * i);
            let due = w.realtime(arrival, arrival + TimeDelta::minutes(10), None, drift, None);
            assert!(due.is_empty());
        }
        let later = t(30 * 5 + 3600);
        let again = (0..5)
            .flat_map(|i| {
                let arrival = later + TimeDelta::seconds(30 * i);
                w.realtime(arrival, arrival + TimeDelta::minutes(10), None, drift, None)
            })
            .collect::<Vec<_>>();
        assert_eq!(again, [LoggerCommand::SyncClock]);
        // A right clock, with the QN as the later stamp: no command, no drift.
        let mut w = Watch::default();
        for i in 0..10 {
            let arrival = t(30 * i);
            let sampled = arrival - TimeDelta::seconds(3);
            let due = w.realtime(arrival, sampled, Some(arrival), drift, None);
            assert!(due.is_empty());
        }
        assert_eq!(w.offset, Some(TimeDelta::zero()));
        assert!(!w.drifting(drift) && !w.drifting(TimeDelta::zero()));
    }

    #[test]
    fn the_limit_allows_for_transit_on_the_server_s_time_line() {
        let minute = TimeDelta::seconds(60);
        assert_eq!(drift_limit(minute, 1.0), TimeDelta::seconds(62));
        assert_eq!(drift_limit(minute, 60.0), TimeDelta::seconds(180));
        assert_eq!(drift_limit(TimeDelta::zero(), 60.0), TimeDelta::zero());
    }

    #[test]
    fn the_configured_interval_is_sent_at_login_and_when_the_cadence_differs() {
        let interval = RtdInterval::from_seconds(60);
        assert!(RtdInterval::from_seconds(29).is_none());
        let mut w = Watch::default();
        assert_eq!(w.logged_in(t(0), None), None);
        assert_eq!(
            w.logged_in(t(0), interval),
            interval.map(LoggerCommand::SetRtdInterval)
        );
        let drift = TimeDelta::seconds(60);
        let mut due = Vec::new();
        // Every 30 s instead of 60: a second 1062 only an hour after the first.
        for i in 0..200 {
            let at = t(30 * i);
            due.extend(w.realtime(at, at, None, drift, interval));
        }
        assert_eq!(due, [LoggerCommand::SetRtdInterval(interval.unwrap())]);
        assert_eq!(w.cadence, Some(TimeDelta::seconds(30)));
        // At 60 s (61 s with jitter) nothing is sent.
        let mut w = Watch::default();
        for i in 0..200 {
            let at = t(60 * i + i % 2);
            assert!(w.realtime(at, at, None, drift, interval).is_empty());
        }
        let cadence = w.cadence.unwrap().num_seconds();
        assert!((59..=61).contains(&cadence), "{cadence}");
    }
}
