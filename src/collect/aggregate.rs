//! Aggregation of one station × parameter's poll samples into 1-minute and hourly records.
//!
//! Labels are period *ends*: a sample at 10:59:59 belongs to the minute 10:59–11:00, labelled
//! 11:00, and to the hour 10:00–11:00, also labelled 11:00 (hour-ending).
//!
//! **Minute**: the mean of its valid (`N`) samples, flag `N`, count = valid samples. With no
//! valid sample but flagged ones: the mean of the flagged values, the most frequent flag among
//! them (ties → higher [`Flag::precedence`]), count 0. With only failed polls, or no poll at
//! all: no record — values are never invented.
//!
//! **Hour**, from its minute records: valid when at least `min_valid_minutes` minutes are `N`
//! → the mean of the valid minute values, flag `N`. Otherwise the mean of the valid minutes if
//! any, else of all minutes, flagged with the most frequent non-`N` cause among the 60 minutes,
//! a minute without record counting as [`Flag::CommError`] (ties → precedence). The count is the
//! number of valid minutes. An hour without any minute record yields no record.
//!
//! Wind direction ([`Parameter::is_angle`]) is averaged as unit vectors, giving a result in
//! `[0, 360)` (0 when the vectors cancel out); everything else is an arithmetic mean.

use chrono::{DateTime, Utc};

use crate::quality::Flag;
use crate::store::{Record, Resolution, StationId};
use crate::units::Parameter;

const MINUTE: i64 = 60;
const HOUR: i64 = 3600;
const MINUTES_PER_HOUR: u32 = 60;

/// Aggregates one station × parameter. Feed it every poll outcome in time order with
/// [`push`](Aggregator::push) and call [`flush_until`](Aggregator::flush_until) regularly so
/// that the periods of a silent device still close.
///
/// A sample older than the open minute (or older than a period already closed by
/// `flush_until`) cannot be merged any more: it is ignored and counted in
/// [`dropped`](Aggregator::dropped). Nothing is allocated per sample.
#[derive(Debug, Clone)]
pub struct Aggregator {
    station: StationId,
    parameter: Parameter,
    min_valid_minutes: u32,
    /// Minute starts (unix seconds) below this are closed.
    open_from: i64,
    minute: Option<MinuteAcc>,
    hour: Option<HourAcc>,
    dropped: u64,
}

/// A running mean: a plain sum, or the sum of unit vectors for angles (also the simulated HJ
/// 212 loggers' statistics).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Mean {
    n: u32,
    sum: f64,
    sin: f64,
    cos: f64,
}

impl Mean {
    /// Adds `value` (an angle in degrees when `angle`).
    pub(crate) fn add(&mut self, value: f64, angle: bool) {
        self.n += 1;
        if angle {
            let (s, c) = value.to_radians().sin_cos();
            self.sin += s;
            self.cos += c;
        } else {
            self.sum += value;
        }
    }

    /// The mean (`None` of nothing), in `[0, 360)` for angles.
    pub(crate) fn get(&self, angle: bool) -> Option<f64> {
        if self.n == 0 {
            None
        } else if angle {
            let deg = self.sin.atan2(self.cos).to_degrees().rem_euclid(360.0);
            // rem_euclid of a tiny negative angle rounds up to exactly 360.
            Some(if deg >= 360.0 { 0.0 } else { deg })
        } else {
            Some(self.sum / f64::from(self.n))
        }
    }

    /// How many values were added (the uplink's daily data count valid hours).
    pub(crate) fn count(&self) -> u32 {
        self.n
    }
}

/// Per-flag counters, indexed by declaration order (that of [`Flag::ALL`]).
pub(crate) type FlagCounts = [u32; Flag::ALL.len()];

/// The most frequent non-`N` flag with a non-zero count; ties go to the higher precedence.
pub(crate) fn dominant(counts: &FlagCounts) -> Option<Flag> {
    Flag::ALL
        .into_iter()
        .filter(|f| !f.is_valid() && counts[*f as usize] > 0)
        .max_by_key(|f| (counts[*f as usize], f.precedence()))
}

#[derive(Debug, Clone, Copy)]
struct MinuteAcc {
    start: i64,
    valid: Mean,
    flagged: Mean,
    flags: FlagCounts,
}

#[derive(Debug, Clone, Copy)]
struct HourAcc {
    start: i64,
    records: u32,
    valid: Mean,
    all: Mean,
    flags: FlagCounts,
}

fn floor(secs: i64, period: i64) -> i64 {
    secs - secs.rem_euclid(period)
}

fn label(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

impl Aggregator {
    /// An aggregator for `parameter` at `station`. An hour is valid with at least
    /// `min_valid_minutes` valid minutes (45 in HJ 817 practice), clamped to `1..=60`.
    pub fn new(station: StationId, parameter: Parameter, min_valid_minutes: u32) -> Self {
        Aggregator {
            station,
            parameter,
            min_valid_minutes: min_valid_minutes.clamp(1, MINUTES_PER_HOUR),
            open_from: i64::MIN,
            minute: None,
            hour: None,
            dropped: 0,
        }
    }

    /// The station aggregated.
    pub fn station(&self) -> &StationId {
        &self.station
    }

    /// The parameter aggregated.
    pub fn parameter(&self) -> Parameter {
        self.parameter
    }

    /// How many out-of-order samples were ignored so far.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// One poll's outcome at its scheduled time `time` (UTC): `Some(value)` canonical with its
    /// flag, or `None` when the poll failed (communication error; `flag` is then ignored).
    /// Completed minutes/hours are appended to `out`.
    pub fn push(
        &mut self,
        time: DateTime<Utc>,
        value: Option<f64>,
        flag: Flag,
        out: &mut Vec<Record>,
    ) {
        let start = floor(time.timestamp(), MINUTE);
        if start < self.open_from {
            self.dropped += 1;
            tracing::debug!(
                station = %self.station, parameter = %self.parameter, %time,
                "out-of-order sample ignored"
            );
            return;
        }
        self.close_until(start, out);
        self.open_from = start;
        let Some(value) = value else { return };
        let minute = self.minute.get_or_insert(MinuteAcc {
            start,
            valid: Mean::default(),
            flagged: Mean::default(),
            flags: [0; Flag::ALL.len()],
        });
        let angle = self.parameter.is_angle();
        if flag.is_valid() {
            minute.valid.add(value, angle);
        } else {
            minute.flagged.add(value, angle);
            minute.flags[flag as usize] += 1;
        }
    }

    /// Closes every period that ended at or before `now` (so a silent device's hour still
    /// closes), appending their records to `out`. Later samples in closed periods are dropped.
    pub fn flush_until(&mut self, now: DateTime<Utc>, out: &mut Vec<Record>) {
        // A period ending at whole second E has ended iff E <= floor(now).
        let now = now.timestamp();
        self.close_until(now, out);
        self.open_from = self.open_from.max(floor(now, MINUTE));
    }

    /// Closes the open minute and hour if they end at or before `boundary` (unix seconds).
    fn close_until(&mut self, boundary: i64, out: &mut Vec<Record>) {
        if let Some(m) = self.minute.filter(|m| m.start + MINUTE <= boundary) {
            self.minute = None;
            self.close_minute(&m, out);
        }
        if let Some(h) = self.hour.filter(|h| h.start + HOUR <= boundary) {
            self.hour = None;
            self.close_hour(&h, out);
        }
    }

    fn record(
        &self,
        resolution: Resolution,
        end: i64,
        value: f64,
        flag: Flag,
        count: u32,
    ) -> Record {
        Record {
            station: self.station.clone(),
            parameter: self.parameter,
            resolution,
            time: label(end),
            value,
            flag,
            count,
        }
    }

    fn close_minute(&mut self, m: &MinuteAcc, out: &mut Vec<Record>) {
        let angle = self.parameter.is_angle();
        let (value, flag, count) = if let Some(v) = m.valid.get(angle) {
            (v, Flag::Normal, m.valid.n)
        } else if let (Some(v), Some(f)) = (m.flagged.get(angle), dominant(&m.flags)) {
            (v, f, 0)
        } else {
            return; // only failed polls: no record
        };
        out.push(self.record(Resolution::Minute, m.start + MINUTE, value, flag, count));
        let hour = self.hour.get_or_insert(HourAcc {
            start: floor(m.start, HOUR),
            records: 0,
            valid: Mean::default(),
            all: Mean::default(),
            flags: [0; Flag::ALL.len()],
        });
        hour.records += 1;
        hour.all.add(value, angle);
        if flag.is_valid() {
            hour.valid.add(value, angle);
        } else {
            hour.flags[flag as usize] += 1;
        }
    }

    fn close_hour(&self, h: &HourAcc, out: &mut Vec<Record>) {
        if h.records == 0 {
            return;
        }
        let angle = self.parameter.is_angle();
        let valid = h.valid.n;
        let (value, flag) = match h.valid.get(angle) {
            Some(v) if valid >= self.min_valid_minutes => (v, Flag::Normal),
            mean => {
                let mut causes = h.flags;
                causes[Flag::CommError as usize] += MINUTES_PER_HOUR.saturating_sub(h.records);
                let Some(value) = mean.or_else(|| h.all.get(angle)) else {
                    return;
                };
                // Not valid, so some minute is flagged or missing: a cause always exists.
                (value, dominant(&causes).unwrap_or(Flag::CommError))
            }
        };
        out.push(self.record(Resolution::Hour, h.start + HOUR, value, flag, valid));
    }
}

#[cfg(test)]
mod tests;
