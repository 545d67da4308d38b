//! What the stage keeps of each station × parameter between evaluations: the last day of
//! valid hourly values (for running means and rises), the run of repeated minute values (for
//! stuck analysers) and when data last arrived (for no-data rules).

use chrono::{DateTime, TimeDelta, Utc};

/// Hours kept: a running 24-h mean and a rise over up to 24 hours need 25.
pub const HOURS_KEPT: usize = 25;

/// The last [`HOURS_KEPT`] hourly values of a series by hour-ending label, in a ring indexed by
/// the hour: out-of-order hours land in their place, older ones are dropped.
#[derive(Debug, Clone)]
pub struct Hours {
    labels: [i64; HOURS_KEPT],
    values: [f64; HOURS_KEPT],
}

impl Default for Hours {
    fn default() -> Self {
        Hours {
            labels: [i64::MIN; HOURS_KEPT],
            values: [f64::NAN; HOURS_KEPT],
        }
    }
}

/// Hours since the epoch of a label.
fn hour_number(t: DateTime<Utc>) -> i64 {
    t.timestamp().div_euclid(3600)
}

impl Hours {
    /// Keeps the valid value of the hour labelled `label` (`None`: the hour is not valid).
    /// An hour older than those kept is ignored.
    pub fn put(&mut self, label: DateTime<Utc>, value: Option<f64>) {
        let h = hour_number(label);
        let slot = h.rem_euclid(HOURS_KEPT as i64) as usize;
        if self.labels[slot] > h {
            return;
        }
        self.labels[slot] = h;
        self.values[slot] = value.filter(|v| v.is_finite()).unwrap_or(f64::NAN);
    }

    /// The valid value of the hour labelled `label`, if kept.
    pub fn get(&self, label: DateTime<Utc>) -> Option<f64> {
        let h = hour_number(label);
        let slot = h.rem_euclid(HOURS_KEPT as i64) as usize;
        (self.labels[slot] == h && self.values[slot].is_finite()).then_some(self.values[slot])
    }

    /// The mean of the valid values of the `hours` hours ending with `label`, when at least
    /// `min_valid` of them are valid.
    pub fn mean(&self, label: DateTime<Utc>, hours: u32, min_valid: u32) -> Option<f64> {
        let (mut sum, mut n) = (0.0, 0u32);
        for back in 0..i64::from(hours) {
            if let Some(v) = self.get(label - TimeDelta::hours(back)) {
                sum += v;
                n += 1;
            }
        }
        (n >= min_valid.max(1)).then(|| sum / f64::from(n))
    }
}

/// The valid hours a running mean needs (HJ 663: 6 of 8 for the 8-h mean, 20 of 24 for a
/// 24-h mean; the hour itself for hourly values).
pub fn min_valid_hours(window_hours: u32) -> u32 {
    match window_hours {
        1 => 1,
        8 => 6,
        24 => 20,
        h => h * 3 / 4,
    }
}

/// A run of the same valid minute value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Repeat {
    /// The value.
    pub value: f64,
    /// The start of its first minute.
    pub since: DateTime<Utc>,
    /// The label of its latest minute.
    pub last: DateTime<Utc>,
    /// Minutes with it.
    pub count: u32,
}

impl Repeat {
    /// The run after the valid minute `value` labelled `label` (`None`: the minute is not
    /// valid, which ends any run). A minute must follow the run's last one directly to
    /// continue it.
    pub fn next(run: Option<Repeat>, label: DateTime<Utc>, value: Option<f64>) -> Option<Repeat> {
        let value = value?;
        match run {
            Some(r) if r.value == value && label - r.last == TimeDelta::minutes(1) => {
                Some(Repeat {
                    last: label,
                    count: r.count + 1,
                    ..r
                })
            }
            Some(r) if label <= r.last => Some(r),
            _ => Some(Repeat {
                value,
                since: label - TimeDelta::minutes(1),
                last: label,
                count: 1,
            }),
        }
    }

    /// How long the value has repeated.
    pub fn lasted(&self) -> TimeDelta {
        self.last - self.since
    }
}

/// The state of one station × parameter.
#[derive(Debug, Clone, Default)]
pub struct Series {
    /// Its hourly values.
    pub hours: Hours,
    /// Its current run of repeated minute values.
    pub repeat: Option<Repeat>,
    /// The label of its latest stored record (any resolution, any flag).
    pub last_seen: Option<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(h: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_767_225_600 + h * 3600, 0).unwrap()
    }

    #[test]
    fn hours_ring_keeps_a_day_in_place() {
        let mut hours = Hours::default();
        for h in 0..30 {
            hours.put(t(h), Some(h as f64));
        }
        assert_eq!(hours.get(t(29)), Some(29.0));
        assert_eq!(hours.get(t(5)), Some(5.0));
        assert_eq!(hours.get(t(4)), None, "older than 25 hours");
        hours.put(t(3), Some(100.0));
        assert_eq!(
            hours.get(t(28)),
            Some(28.0),
            "a late old hour overwrites nothing"
        );
        hours.put(t(28), None);
        assert_eq!(
            hours.get(t(28)),
            None,
            "an invalid hour replaces the valid one"
        );
        // 8 hours ending at 29: 22..=29 without 28 → 7 valid.
        assert_eq!(
            hours.mean(t(29), 8, 6),
            Some((22 + 23 + 24 + 25 + 26 + 27 + 29) as f64 / 7.0)
        );
        assert_eq!(hours.mean(t(29), 8, 8), None);
    }

    #[test]
    fn repeats_need_consecutive_valid_minutes() {
        let m = |i: i64| DateTime::from_timestamp(1_767_225_600 + i * 60, 0).unwrap();
        let mut run = None;
        for i in 1..=30 {
            run = Repeat::next(run, m(i), Some(7.5));
        }
        let r = run.unwrap();
        assert_eq!((r.count, r.lasted()), (30, TimeDelta::minutes(30)));
        assert_eq!(
            Repeat::next(run, m(31), None),
            None,
            "a flagged minute ends the run"
        );
        let gap = Repeat::next(run, m(33), Some(7.5)).unwrap();
        assert_eq!(gap.count, 1, "a gap restarts the run");
        let changed = Repeat::next(run, m(31), Some(7.6)).unwrap();
        assert_eq!(changed.count, 1);
    }
}
