//! What the simulator served: for each device, the minutes in which it answered a request with
//! its registers. This is the truth that collection is checked against: each such minute
//! should be one stored minute record of each of the device's parameters, each hour holding
//! one an hourly record (`lantian sim --served FILE` writes it when the simulator stops).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::registry::Registry;
use crate::store::StationId;
use crate::units::Parameter;

const MINUTE: i64 = 60;
const HOUR: i64 = 3600;

/// A set of minutes, as sorted runs `[first, last]` of consecutive minute labels (the end of
/// each minute, unix seconds, as the collectors label minute records).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MinuteRuns(Vec<(i64, i64)>);

/// The label of the minute holding `t`: its end.
fn minute_label(t: DateTime<Utc>) -> i64 {
    t.timestamp().div_euclid(MINUTE) * MINUTE + MINUTE
}

/// The label of the hour holding the minute labelled `minute`: the hour's end.
fn hour_label(minute: i64) -> i64 {
    (minute - MINUTE).div_euclid(HOUR) * HOUR + HOUR
}

impl MinuteRuns {
    /// Adds the minute holding `t`. Minutes come in time order but for clock steps back,
    /// which are merged in.
    pub fn add(&mut self, t: DateTime<Utc>) {
        let label = minute_label(t);
        match self.0.last_mut() {
            Some((_, last)) if *last == label => {}
            Some((_, last)) if *last + MINUTE == label => *last = label,
            Some((_, last)) if *last > label => self.insert(label),
            _ => self.0.push((label, label)),
        }
    }

    /// Inserts a minute before the last one, keeping the runs sorted and merged.
    fn insert(&mut self, label: i64) {
        if !self.0.iter().any(|&(a, b)| a <= label && label <= b) {
            *self = self.union(&MinuteRuns(vec![(label, label)]));
        }
    }

    /// The minutes of `self` and of `other`.
    pub fn union(&self, other: &MinuteRuns) -> MinuteRuns {
        let mut out = self.clone();
        for &(a, b) in &other.0 {
            out.0.push((a, b));
        }
        out.0.sort_unstable();
        let mut merged: Vec<(i64, i64)> = Vec::with_capacity(out.0.len());
        for &(a, b) in &out.0 {
            match merged.last_mut() {
                Some((_, end)) if *end + MINUTE >= a => *end = (*end).max(b),
                _ => merged.push((a, b)),
            }
        }
        MinuteRuns(merged)
    }

    /// The runs, `[first, last]` minute labels.
    pub fn runs(&self) -> &[(i64, i64)] {
        &self.0
    }

    /// How many minutes labelled at or before `until` (unix seconds).
    pub fn minutes_until(&self, until: i64) -> u64 {
        self.0
            .iter()
            .filter(|(a, _)| *a <= until)
            .map(|&(a, b)| ((b.min(until) - a) / MINUTE + 1) as u64)
            .sum()
    }

    /// How many hours labelled at or before `until` hold at least one of the minutes.
    pub fn hours_until(&self, until: i64) -> u64 {
        let mut hours = 0;
        let mut last = i64::MIN;
        for &(a, b) in &self.0 {
            let (first, end) = (hour_label(a), hour_label(b).min(until));
            let first = first.max(last + HOUR);
            if end >= first {
                hours += ((end - first) / HOUR + 1) as u64;
                last = end;
            }
        }
        hours
    }
}

/// What one device served.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Served {
    /// Minutes in which it answered a request at once with its registers.
    pub answered: MinuteRuns,
    /// Minutes in which it answered only late (a `slow` fault): whether the collector still
    /// waited is the collector's business, so these are neither expected nor excluded.
    pub late: MinuteRuns,
}

/// The simulator's tally: device id → what it served.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServedTally {
    /// By device id.
    pub devices: BTreeMap<String, Served>,
}

/// What the store should hold of one station's parameter, from what its device served.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Expected {
    /// Minute records: the minutes answered at once.
    pub minutes: u64,
    /// Hourly records: the hours holding one of them.
    pub hours: u64,
    /// Minutes answered only late, which may or may not have been stored.
    pub late_minutes: u64,
}

impl ServedTally {
    /// Per station and parameter of `registry`'s polled devices, the records collection should
    /// have stored from what was served: minutes labelled up to `until`, and hours labelled up
    /// to the last whole hour at or before it (the periods complete when collection stopped
    /// at `until`). Two devices of a station measuring one parameter count together.
    pub fn expected(
        &self,
        registry: &Registry,
        until: DateTime<Utc>,
    ) -> BTreeMap<(StationId, Parameter), Expected> {
        let mut served: BTreeMap<(StationId, Parameter), Served> = BTreeMap::new();
        for device in registry.devices() {
            let Some(of_device) = self.devices.get(&device.id) else {
                continue;
            };
            for parameter in device.profile.parameters() {
                let entry = served
                    .entry((device.station.clone(), parameter))
                    .or_default();
                entry.answered = entry.answered.union(&of_device.answered);
                entry.late = entry.late.union(&of_device.late);
            }
        }
        let until = until.timestamp();
        let last_hour = until.div_euclid(HOUR) * HOUR;
        served
            .into_iter()
            .map(|(key, s)| {
                let expected = Expected {
                    minutes: s.answered.minutes_until(until),
                    hours: s.answered.hours_until(last_hour),
                    late_minutes: s.late.minutes_until(until),
                };
                (key, expected)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(secs, 0).unwrap()
    }

    #[test]
    fn runs_count_minutes_and_hours() {
        let mut runs = MinuteRuns::default();
        // 10:00:00 … 10:59:30 every 30 s, then a gap, then 12:10 … 12:11.
        let ten = 36_000;
        for k in 0..120 {
            runs.add(at(ten + 30 * k));
        }
        runs.add(at(ten + 2 * HOUR + 600));
        runs.add(at(ten + 2 * HOUR + 660));
        assert_eq!(
            runs.runs(),
            &[
                (ten + 60, ten + HOUR),
                (ten + 2 * HOUR + 660, ten + 2 * HOUR + 720)
            ]
        );
        assert_eq!(runs.minutes_until(i64::MAX), 62);
        assert_eq!(runs.minutes_until(ten + 120), 2);
        assert_eq!(runs.hours_until(i64::MAX), 2);
        assert_eq!(runs.hours_until(ten + HOUR), 1);
        // A clock stepped back: minutes already there change nothing, new ones merge.
        runs.add(at(ten + 5));
        runs.add(at(ten + HOUR + 10));
        assert_eq!(runs.minutes_until(i64::MAX), 63);
        assert_eq!(runs.runs()[0], (ten + 60, ten + HOUR + 60));
        assert_eq!(runs.hours_until(i64::MAX), 3);
    }
}
