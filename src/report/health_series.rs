//! Series checks of the device-health report: runs of consecutive labels (periods of a flag)
//! and stuck values (identical valid values in a row).

use chrono::{DateTime, TimeDelta, Utc};

use crate::quality::Flag;
use crate::store::Record;

/// Runs of consecutive labels (`step` apart) in sorted `times`: (first, last, count).
pub(super) fn runs(
    times: &[DateTime<Utc>],
    step: TimeDelta,
) -> Vec<(DateTime<Utc>, DateTime<Utc>, u32)> {
    let mut out: Vec<(DateTime<Utc>, DateTime<Utc>, u32)> = Vec::new();
    for &t in times {
        match out.last_mut() {
            Some(run) if t - run.1 == step => {
                run.1 = t;
                run.2 += 1;
            }
            _ => out.push((t, t, 1)),
        }
    }
    out
}

/// The length of the longest run of identical consecutive valid values.
pub(super) fn longest_repeat(series: &[Record]) -> usize {
    stuck(series, 1)
        .iter()
        .map(|(a, b)| b - a + 1)
        .max()
        .unwrap_or(0)
}

/// Stuck runs in one series (sorted by time): identical valid values ≥ `min` long.
pub(super) fn stuck(series: &[Record], min: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..=series.len() {
        let same = i < series.len()
            && series[i].flag == Flag::Normal
            && series[i - 1].flag == Flag::Normal
            && (series[i].value - series[i - 1].value).abs() <= 1e-9
            && series[i].time - series[i - 1].time
                == series[i].resolution.period().unwrap_or_default();
        if !same {
            if i - start >= min && series[start].flag == Flag::Normal {
                out.push((start, i - 1));
            }
            start = i;
        }
    }
    out
}

/// A minute record of station `S` labelled `minute` minutes after the epoch (tests).
#[cfg(test)]
pub(super) fn minute_record(
    parameter: crate::units::Parameter,
    minute: i64,
    value: f64,
    flag: Flag,
) -> Record {
    Record {
        station: "S".into(),
        parameter,
        resolution: crate::store::Resolution::Minute,
        time: DateTime::<Utc>::UNIX_EPOCH + TimeDelta::minutes(minute),
        value,
        flag,
        count: 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::Parameter;

    fn rec(minute: i64, value: f64, flag: Flag) -> Record {
        minute_record(Parameter::So2, minute, value, flag)
    }

    #[test]
    fn stuck_runs_need_consecutive_valid_equal_values() {
        let mut v: Vec<Record> = (1..=40).map(|m| rec(m, 5.0, Flag::Normal)).collect();
        v[10].flag = Flag::Calibration; // splits into 10 and 29
        assert!(stuck(&v, 30).is_empty());
        assert_eq!(stuck(&v, 29), [(11, 39)]);
        let w: Vec<Record> = (1..=31)
            .map(|m| rec(m, 1.0 + (m / 31) as f64, Flag::Normal))
            .collect();
        assert_eq!(stuck(&w, 30), [(0, 29)]);
    }

    #[test]
    fn runs_merge_consecutive_labels() {
        let t = |m| DateTime::<Utc>::UNIX_EPOCH + TimeDelta::minutes(m);
        let r = runs(&[t(1), t(2), t(3), t(7), t(8)], TimeDelta::minutes(1));
        assert_eq!(r, [(t(1), t(3), 3), (t(7), t(8), 2)]);
    }
}
