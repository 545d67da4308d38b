//! Daily data (2031) from the stored hourly means of a station's local day.
//!
//! lantian stores no daily readings: its daily records are AQI indices, with HJ 663's
//! statistics of six pollutants only (O3 as its maximum 8-h mean). A platform's daily data
//! holds every factor's statistics of the day, as a data logger computes them from its hourly
//! data, and the platform computes its own AQI. So a day is made from the day's hourly means
//! (labelled 01:00 … 24:00 local time), per parameter:
//! - `-Avg`: the mean of the valid (`N`) hours; `N` with at least 20 of them (GB 3095-2012
//!   §7.3 and HJ 663's [`DailyRules::min_hours_24h`]); with fewer, the mean of the valid hours
//!   if any, else of all hours, flagged with the most frequent cause among the day's hours, a
//!   missing hour counting as `B` — the rule of the collectors' hours from minutes;
//! - `-Min`, `-Max`: the lowest and highest of the hourly means the average is made of (none
//!   for wind direction, averaged as vectors);
//! - a parameter without any hourly record that day has no value (never invented).

use chrono::{DateTime, Days, Utc};
use chrono_tz::Tz;

use crate::assess::{DailyRules, local_midnight};
use crate::collect::aggregate::{FlagCounts, Mean, dominant};
use crate::quality::Flag;
use crate::store::Record;
use crate::units::Parameter;

/// One parameter's statistics of a day.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DayStatistics {
    /// The parameter.
    pub(crate) parameter: Parameter,
    /// The daily mean.
    pub(crate) avg: f64,
    /// The lowest and highest hourly mean in it (`None` for angles).
    pub(crate) range: Option<(f64, f64)>,
    /// `N` when valid, else the dominant cause.
    pub(crate) flag: Flag,
}

/// The local midnight that starts the day ending at the local midnight `end` in `tz`.
pub(crate) fn day_before(end: DateTime<Utc>, tz: Tz) -> DateTime<Utc> {
    let date = end.with_timezone(&tz).date_naive();
    local_midnight(date - Days::new(1), tz)
}

/// The local midnights in `tz` in `(after, through]`, in order.
pub(crate) fn midnights(
    tz: Tz,
    after: DateTime<Utc>,
    through: DateTime<Utc>,
) -> Vec<DateTime<Utc>> {
    let mut out = Vec::new();
    let mut date = after.with_timezone(&tz).date_naive();
    loop {
        let m = local_midnight(date, tz);
        if m > through {
            return out;
        }
        if m > after {
            out.push(m);
        }
        date = date + Days::new(1);
    }
}

/// The statistics of the day `[start, end)` from its hourly records (one station, any
/// parameters, labels in `(start, end]`), one per parameter that has any, in
/// [`Parameter`] order.
pub(crate) fn day_statistics(
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    hours: &[Record],
) -> Vec<DayStatistics> {
    let expected = u32::try_from((end - start).num_hours()).unwrap_or(24);
    let min_valid = u32::from(DailyRules::default().min_hours_24h);
    let mut sorted: Vec<&Record> = hours
        .iter()
        .filter(|r| r.time > start && r.time <= end)
        .collect();
    sorted.sort_by_key(|r| r.parameter);
    sorted
        .chunk_by(|a, b| a.parameter == b.parameter)
        .filter_map(|group| statistics(group, expected, min_valid))
        .collect()
}

fn statistics(hours: &[&Record], expected: u32, min_valid: u32) -> Option<DayStatistics> {
    let parameter = hours.first()?.parameter;
    let angle = parameter.is_angle();
    let (mut valid, mut all) = (Mean::default(), Mean::default());
    let mut causes: FlagCounts = Default::default();
    for r in hours {
        all.add(r.value, angle);
        if r.flag.is_valid() {
            valid.add(r.value, angle);
        } else {
            causes[r.flag as usize] += 1;
        }
    }
    let (avg, flag, from_valid) = match valid.get(angle) {
        Some(v) if valid.count() >= min_valid => (v, Flag::Normal, true),
        mean => {
            causes[Flag::CommError as usize] += expected.saturating_sub(all.count());
            let flag = dominant(&causes).unwrap_or(Flag::CommError);
            match mean {
                Some(v) => (v, flag, true),
                None => (all.get(angle)?, flag, false),
            }
        }
    };
    let range = (!angle).then(|| {
        hours
            .iter()
            .filter(|r| !from_valid || r.flag.is_valid())
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), r| {
                (lo.min(r.value), hi.max(r.value))
            })
    });
    Some(DayStatistics {
        parameter,
        avg,
        range,
        flag,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Resolution;
    use chrono::{NaiveDate, TimeDelta};

    const TZ: Tz = chrono_tz::Asia::Shanghai;

    fn hour(start: DateTime<Utc>, n: i64, p: Parameter, value: f64, flag: Flag) -> Record {
        Record {
            station: "S1".into(),
            parameter: p,
            resolution: Resolution::Hour,
            time: start + TimeDelta::hours(n),
            value,
            flag,
            count: 60,
        }
    }

    #[test]
    fn days_are_local() {
        let start = local_midnight(NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(), TZ);
        assert_eq!(start.to_rfc3339(), "2026-02-28T16:00:00+00:00");
        let end = start + TimeDelta::days(1);
        assert_eq!(day_before(end, TZ), start);
        assert_eq!(midnights(TZ, start, end), vec![end]);
        assert_eq!(
            midnights(TZ, start - TimeDelta::hours(1), end),
            vec![start, end]
        );
        assert!(midnights(TZ, start, end - TimeDelta::seconds(1)).is_empty());
    }

    #[test]
    fn valid_with_twenty_hours_otherwise_the_dominant_cause() {
        let start = local_midnight(NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(), TZ);
        let end = start + TimeDelta::days(1);
        let mut hours: Vec<Record> = (1..=20)
            .map(|n| hour(start, n, Parameter::Pm25, n as f64, Flag::Normal))
            .collect();
        hours.push(hour(start, 21, Parameter::Pm25, 500.0, Flag::Calibration));
        // The hour labelled `start` belongs to the day before.
        hours.push(hour(start, 0, Parameter::Pm25, 900.0, Flag::Normal));
        for n in 1..=19 {
            hours.push(hour(start, n, Parameter::So2, 10.0, Flag::Normal));
        }
        hours.push(hour(start, 20, Parameter::So2, 40.0, Flag::Maintenance));
        hours.push(hour(
            start,
            1,
            Parameter::WindDirection,
            350.0,
            Flag::Normal,
        ));
        hours.push(hour(start, 2, Parameter::WindDirection, 10.0, Flag::Normal));
        let days = day_statistics(start, end, &hours);
        assert_eq!(days.len(), 3);
        let pm25 = &days[0];
        assert_eq!(pm25.parameter, Parameter::Pm25);
        assert_eq!((pm25.avg, pm25.flag), (10.5, Flag::Normal));
        assert_eq!(pm25.range, Some((1.0, 20.0)));
        // 19 valid hours, one in maintenance, four missing: B dominates.
        let so2 = &days[1];
        assert_eq!((so2.avg, so2.flag), (10.0, Flag::CommError));
        assert_eq!(so2.range, Some((10.0, 10.0)));
        let wd = &days[2];
        assert!(
            wd.avg.abs() < 1e-9 || (wd.avg - 360.0).abs() < 1e-9,
            "{}",
            wd.avg
        );
        assert_eq!((wd.range, wd.flag), (None, Flag::CommError));
    }

    #[test]
    fn only_flagged_hours_give_their_mean_and_cause() {
        let start = local_midnight(NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(), TZ);
        let hours: Vec<Record> = (1..=24)
            .map(|n| hour(start, n, Parameter::O3, 2.0 * n as f64, Flag::Maintenance))
            .collect();
        let days = day_statistics(start, start + TimeDelta::days(1), &hours);
        assert_eq!(days[0].avg, 25.0);
        assert_eq!(days[0].flag, Flag::Maintenance);
        assert_eq!(days[0].range, Some((2.0, 48.0)));
    }
}
