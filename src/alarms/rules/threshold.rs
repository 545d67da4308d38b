//! Threshold rules: an hourly value, a running 8-h or 24-h mean, or the hourly AQI above a
//! level, with a lower clear level (hysteresis).

use chrono::{DateTime, TimeDelta, Utc};

use super::config::Threshold;
use super::finding::{Condition, Finding};
use super::series::{Hours, min_valid_hours};
use crate::store::{AlarmSubject, Averaging, Direction, Measure, Observation, StationId};
use crate::units::Parameter;

/// The averaging of a window of hours.
fn averaging(window_hours: u32) -> Averaging {
    match window_hours {
        8 => Averaging::Running8h,
        24 => Averaging::Running24h,
        _ => Averaging::Hour,
    }
}

/// A finding about `value` at the hour labelled `label`.
fn finding(
    rule: usize,
    t: &Threshold,
    subject: AlarmSubject,
    measure: Measure,
    label: DateTime<Utc>,
    value: f64,
) -> Finding {
    Finding {
        rule,
        subject,
        measure,
        direction: Direction::Above,
        threshold: t.above,
        clear_level: t.clear_below,
        value: Observation { time: label, value },
        since: label - TimeDelta::hours(1),
        condition: Condition::of(value, Direction::Above, t.above, t.clear_below),
        warning: None,
        note: None,
    }
}

/// The rule on parameter `p` of `station` at the hour labelled `label`: the hour's valid value
/// or the running mean ending with it (`None` without enough valid hours).
pub fn on_hours(
    rule: usize,
    t: &Threshold,
    p: Parameter,
    station: &StationId,
    hours: &Hours,
    label: DateTime<Utc>,
) -> Option<Finding> {
    let value = hours.mean(label, t.window_hours, min_valid_hours(t.window_hours))?;
    let measure = Measure::Value {
        parameter: p,
        averaging: averaging(t.window_hours),
    };
    let subject = AlarmSubject::StationParameter(station.clone(), p);
    Some(finding(rule, t, subject, measure, label, value))
}

/// The rule on the hourly AQI `aqi` of `station` at `label`.
pub fn on_aqi(
    rule: usize,
    t: &Threshold,
    station: &StationId,
    label: DateTime<Utc>,
    aqi: u32,
) -> Finding {
    let measure = Measure::Aqi {
        averaging: Averaging::Hour,
    };
    let subject = AlarmSubject::Station(station.clone());
    finding(rule, t, subject, measure, label, f64::from(aqi))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alarms::rules::config::Measured;

    fn t(h: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_767_225_600 + h * 3600, 0).unwrap()
    }

    fn rule(window_hours: u32, above: f64, clear_below: f64) -> Threshold {
        Threshold {
            measured: Measured::Parameter(Parameter::O3),
            window_hours,
            above,
            clear_below,
            category: None,
        }
    }

    #[test]
    fn hourly_values_against_the_levels() {
        let station: StationId = "S".into();
        let mut hours = Hours::default();
        let r = rule(1, 200.0, 180.0);
        let mut conditions = Vec::new();
        for (h, v) in [(0, 150.0), (1, 210.0), (2, 190.0), (3, 175.0)] {
            hours.put(t(h), Some(v));
            conditions.push(
                on_hours(0, &r, Parameter::O3, &station, &hours, t(h))
                    .unwrap()
                    .condition,
            );
        }
        use Condition::*;
        assert_eq!(conditions, [Clear, Holds, Between, Clear]);
        hours.put(t(4), None);
        assert!(
            on_hours(0, &r, Parameter::O3, &station, &hours, t(4)).is_none(),
            "an invalid hour says nothing"
        );
        let f = on_hours(0, &r, Parameter::O3, &station, &hours, t(1)).unwrap();
        assert_eq!(f.since, t(0), "the hour labelled 1 began at 0");
        assert_eq!(
            f.subject,
            AlarmSubject::StationParameter(station, Parameter::O3)
        );
    }

    #[test]
    fn running_means_need_their_valid_hours() {
        let station: StationId = "S".into();
        let mut hours = Hours::default();
        let r = rule(8, 160.0, 144.0);
        for h in 0..5 {
            hours.put(t(h), Some(200.0));
        }
        assert!(
            on_hours(0, &r, Parameter::O3, &station, &hours, t(4)).is_none(),
            "5 of 8 hours"
        );
        hours.put(t(5), Some(140.0));
        let f = on_hours(0, &r, Parameter::O3, &station, &hours, t(5)).unwrap();
        assert!((f.value.value - (200.0 * 5.0 + 140.0) / 6.0).abs() < 1e-9);
        assert_eq!(f.condition, Condition::Holds);
        assert_eq!(
            f.measure,
            Measure::Value {
                parameter: Parameter::O3,
                averaging: Averaging::Running8h
            }
        );
    }

    #[test]
    fn the_aqi_by_category() {
        let r = Threshold {
            measured: Measured::Aqi,
            window_hours: 1,
            above: 200.0,
            clear_below: 200.0,
            category: Some(crate::aqi::Category::Heavy),
        };
        let s: StationId = "S".into();
        assert_eq!(on_aqi(0, &r, &s, t(1), 201).condition, Condition::Holds);
        assert_eq!(on_aqi(0, &r, &s, t(1), 200).condition, Condition::Clear);
    }
}
