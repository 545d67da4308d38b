//! Data anomalies (数据异常): values that cannot be right — stuck, negative beyond the noise,
//! PM2.5 above PM10, NO2 above NOx, outside the instrument's range (`T`), and hours short of
//! the 45-of-60 valid minutes.

use chrono::{DateTime, TimeDelta, Utc};

use super::finding::{Condition, Finding};
use super::series::Repeat;
use crate::quality::Flag;
use crate::store::{AlarmSubject, Averaging, Direction, Measure, Observation, StationId};
use crate::units::Parameter;

/// A finding about a station's parameter.
#[allow(clippy::too_many_arguments)]
fn finding(
    rule: usize,
    station: &StationId,
    p: Parameter,
    measure: Measure,
    direction: Direction,
    (threshold, clear_level): (f64, f64),
    (time, value): (DateTime<Utc>, f64),
    since: DateTime<Utc>,
    condition: Condition,
) -> Finding {
    Finding {
        rule,
        subject: AlarmSubject::StationParameter(station.clone(), p),
        measure,
        direction,
        threshold,
        clear_level,
        value: Observation { time, value },
        since,
        condition,
        warning: None,
        note: None,
    }
}

/// The stuck rule after the minute labelled `label`: the run of repeated valid values holds
/// once it has lasted `duration` (values: minutes of the run). A minute that ends the run
/// (another value, a flagged minute: `run` is `None` or restarted) clears.
pub fn stuck(
    rule: usize,
    station: &StationId,
    p: Parameter,
    duration: TimeDelta,
    run: Option<&Repeat>,
    label: DateTime<Utc>,
) -> Finding {
    let minutes = duration.num_minutes() as f64;
    let lasted = run.map_or(0.0, |r| r.lasted().num_minutes() as f64);
    let condition = Condition::holds_if(lasted >= minutes);
    finding(
        rule,
        station,
        p,
        Measure::Repeats { parameter: p },
        Direction::Above,
        (minutes, minutes),
        (label, lasted),
        label - TimeDelta::minutes(1),
        condition,
    )
}

/// The negative rule on a valid hourly `value`: below −`noise` holds.
pub fn negative(
    rule: usize,
    station: &StationId,
    p: Parameter,
    noise: f64,
    label: DateTime<Utc>,
    value: f64,
) -> Finding {
    let level = -noise.abs();
    finding(
        rule,
        station,
        p,
        Measure::Value {
            parameter: p,
            averaging: Averaging::Hour,
        },
        Direction::Below,
        (level, level),
        (label, value),
        label - TimeDelta::hours(1),
        Condition::of(value, Direction::Below, level, level),
    )
}

/// A pair rule (PM2.5 against PM10, NO2 against NOx): the valid hourly `part` above the valid
/// `whole` by more than `margin` holds. Values: the ratio part / whole, with the threshold 1
/// (`None` when `whole` is not positive: no ratio, and the negative rule speaks for it).
#[allow(clippy::too_many_arguments)]
pub fn part_above_whole(
    rule: usize,
    station: &StationId,
    (part_p, whole_p): (Parameter, Parameter),
    margin: f64,
    label: DateTime<Utc>,
    part: f64,
    whole: f64,
) -> Option<Finding> {
    if whole <= 0.0 {
        return None;
    }
    let condition = Condition::holds_if(part > whole + margin);
    Some(Finding {
        subject: AlarmSubject::Station(station.clone()),
        ..finding(
            rule,
            station,
            part_p,
            Measure::Ratio {
                numerator: part_p,
                denominator: whole_p,
            },
            Direction::Above,
            (1.0, 1.0),
            (label, part / whole),
            label - TimeDelta::hours(1),
            condition,
        )
    })
}

/// The over-range rule on a minute: flagged `T` holds, any other flag clears. `range` is the
/// instrument's measuring range (canonical unit) when the profile gives one: a value below it
/// is compared with its lower end, any other with its upper end (or with itself, without a
/// range).
pub fn over_range(
    rule: usize,
    station: &StationId,
    p: Parameter,
    label: DateTime<Utc>,
    flag: Flag,
    value: f64,
    range: Option<(f64, f64)>,
) -> Finding {
    let (direction, limit) = match range {
        Some((lo, _)) if value < lo => (Direction::Below, lo),
        Some((_, hi)) if flag == Flag::OverRange => (Direction::Above, hi.min(value)),
        Some((_, hi)) => (Direction::Above, hi),
        None => (Direction::Above, value),
    };
    let condition = Condition::holds_if(flag == Flag::OverRange);
    finding(
        rule,
        station,
        p,
        Measure::Value {
            parameter: p,
            averaging: Averaging::Minute,
        },
        direction,
        (limit, limit),
        (label, value),
        label - TimeDelta::minutes(1),
        condition,
    )
}

/// The capture rule on an hourly record: an hour that is not valid for want of minutes
/// (flagged `B`: missing minutes are its dominant reason) with fewer than `min_valid` valid
/// minutes holds; a valid hour clears. Hours flagged for another reason (calibration,
/// maintenance, fault) are not a capture problem: `None`.
pub fn low_capture(
    rule: usize,
    station: &StationId,
    p: Parameter,
    min_valid: u32,
    label: DateTime<Utc>,
    flag: Flag,
    count: u32,
) -> Option<Finding> {
    let condition = match flag {
        Flag::CommError if count < min_valid => Condition::Holds,
        Flag::Normal => Condition::Clear,
        _ => return None,
    };
    let level = f64::from(min_valid);
    Some(finding(
        rule,
        station,
        p,
        Measure::ValidMinutes { parameter: p },
        Direction::Below,
        (level, level),
        (label, f64::from(count)),
        label - TimeDelta::hours(1),
        condition,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(i: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_767_225_600 + i * 60, 0).unwrap()
    }

    #[test]
    fn stuck_after_the_duration() {
        let s: StationId = "S".into();
        let mut run = None;
        let mut first_hold = None;
        for i in 1..=200 {
            run = Repeat::next(run, m(i), Some(12.0));
            let f = stuck(
                0,
                &s,
                Parameter::So2,
                TimeDelta::hours(2),
                run.as_ref(),
                m(i),
            );
            if f.condition == Condition::Holds && first_hold.is_none() {
                first_hold = Some(i);
            }
        }
        assert_eq!(first_hold, Some(120), "120 minutes of one value");
        run = Repeat::next(run, m(201), Some(12.5));
        let f = stuck(
            0,
            &s,
            Parameter::So2,
            TimeDelta::hours(2),
            run.as_ref(),
            m(201),
        );
        assert_eq!(f.condition, Condition::Clear);
    }

    #[test]
    fn negative_beyond_the_noise() {
        let s: StationId = "S".into();
        assert_eq!(
            negative(0, &s, Parameter::Pm25, 10.0, m(60), -3.0).condition,
            Condition::Clear
        );
        assert_eq!(
            negative(0, &s, Parameter::Pm25, 10.0, m(60), -12.0).condition,
            Condition::Holds
        );
    }

    #[test]
    fn parts_above_their_whole() {
        let s: StationId = "S".into();
        let pair = (Parameter::Pm25, Parameter::Pm10);
        let f = part_above_whole(0, &s, pair, 10.0, m(60), 80.0, 60.0).unwrap();
        assert_eq!(f.condition, Condition::Holds);
        assert!((f.value.value - 80.0 / 60.0).abs() < 1e-12);
        assert_eq!(f.subject, AlarmSubject::Station(s.clone()));
        assert_eq!(
            part_above_whole(0, &s, pair, 10.0, m(60), 65.0, 60.0)
                .unwrap()
                .condition,
            Condition::Clear
        );
        assert!(part_above_whole(0, &s, pair, 10.0, m(60), 5.0, 0.0).is_none());
    }

    #[test]
    fn over_range_and_capture_follow_the_flags() {
        let s: StationId = "S".into();
        let p = Parameter::Co;
        assert_eq!(
            over_range(0, &s, p, m(1), Flag::OverRange, 60.0, Some((0.0, 50.0))).condition,
            Condition::Holds
        );
        assert_eq!(
            over_range(0, &s, p, m(2), Flag::Normal, 4.0, Some((0.0, 50.0))).condition,
            Condition::Clear
        );
        let c = |flag, count| low_capture(0, &s, p, 45, m(60), flag, count).map(|f| f.condition);
        assert_eq!(c(Flag::CommError, 30), Some(Condition::Holds));
        assert_eq!(c(Flag::Normal, 58), Some(Condition::Clear));
        assert_eq!(
            c(Flag::Calibration, 20),
            None,
            "a calibration hour is not a capture problem"
        );
    }
}
