//! Sudden rises (陡升): a station's hourly value up by an absolute and a relative amount over
//! N hours, or far above the median of its network (or neighbours) at the same hour — the live
//! counterpart of source flagging, naming the station's nearest located source or its
//! dominant bearing when the source flags have one.

use chrono::{DateTime, TimeDelta, Utc};

use super::config::{Outlier, Rise};
use super::finding::{Condition, Finding};
use super::series::Hours;
use crate::store::{
    AlarmSubject, Averaging, Direction, Measure, Observation, SourceFlag, StationId,
};

/// The rise rule on `station` at the hour labelled `label`: the valid value against the one
/// `hours` before (`None` when either is missing).
pub fn sudden_rise(
    rule: usize,
    r: &Rise,
    station: &StationId,
    hours: &Hours,
    label: DateTime<Utc>,
) -> Option<Finding> {
    let now = hours.get(label)?;
    let before = hours.get(label - TimeDelta::hours(i64::from(r.hours)))?;
    let increase = now - before;
    let relative_ok = before <= 0.0 || increase / before >= r.relative;
    let condition = Condition::holds_if(increase >= r.rise && relative_ok);
    Some(Finding {
        rule,
        subject: AlarmSubject::StationParameter(station.clone(), r.parameter),
        measure: Measure::Rise {
            parameter: r.parameter,
            hours: r.hours,
        },
        direction: Direction::Above,
        threshold: r.rise,
        clear_level: r.rise,
        value: Observation {
            time: label,
            value: increase,
        },
        since: label - TimeDelta::hours(1),
        condition,
        warning: None,
        note: None,
    })
}

/// The median of `values` (sorted in place); `None` for none.
pub fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    Some(if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    })
}

/// Distance in km between two positions (local equirectangular projection: within a city's
/// few tens of kilometres it is exact to well under 1 %).
pub fn distance_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let mid = ((a.0 + b.0) / 2.0).to_radians().cos();
    let dx = (b.1 - a.1) * mid * 111.32;
    let dy = (b.0 - a.0) * 111.32;
    dx.hypot(dy)
}

/// The outlier rule on a station's valid `value` at `label`, against the `median` of the
/// valid values of its reference at the same hour (`n` of them: the network's stations in
/// the rule's scope, itself included, or its neighbours). `None` when `n` is below the
/// rule's `min_stations`.
pub fn outlier(
    rule: usize,
    o: &Outlier,
    station: &StationId,
    label: DateTime<Utc>,
    value: f64,
    m: f64,
    n: usize,
) -> Option<Finding> {
    if n < o.min_stations as usize {
        return None;
    }
    let excess = value - m;
    let condition = Condition::holds_if(excess >= o.excess && value >= o.factor * m);
    Some(Finding {
        rule,
        subject: AlarmSubject::StationParameter(station.clone(), o.parameter),
        measure: Measure::AboveMedian {
            parameter: o.parameter,
            averaging: Averaging::Hour,
        },
        direction: Direction::Above,
        threshold: o.excess,
        clear_level: o.excess,
        value: Observation {
            time: label,
            value: excess,
        },
        since: label - TimeDelta::hours(1),
        condition,
        warning: None,
        note: None,
    })
}

/// A compass point of a bearing (N, NE, E …).
fn compass(deg: f64) -> &'static str {
    const POINTS: [&str; 8] = ["N", "NE", "E", "SE", "S", "SW", "W", "NW"];
    POINTS[((deg.rem_euclid(360.0) + 22.5) / 45.0) as usize % 8]
}

/// What the station's latest source flag says about where its pollution comes from: the
/// nearest located source (distance and direction) or else its dominant bearing.
pub fn source_note(flag: &SourceFlag) -> Option<String> {
    let e = &flag.evidence;
    if let Some(l) = &e.located {
        return Some(format!(
            "nearest located source: {:.1} km {} ({:.0}°) of the station, at {:.4}, {:.4} \
             (source flag of {}, {})",
            l.distance_m / 1000.0,
            compass(l.bearing_deg),
            l.bearing_deg,
            l.lat,
            l.lon,
            flag.start.format("%Y-%m-%d %H:%M UTC"),
            flag.source_type.code()
        ));
    }
    e.bearing.as_ref().map(|b| {
        format!(
            "dominant {} bearing: {} ({:.0}° ± {:.0}°) (source flag of {})",
            b.pollutant.label(),
            compass(b.bearing_deg),
            b.bearing_deg,
            b.sigma_deg,
            flag.start.format("%Y-%m-%d %H:%M UTC"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alarms::rules::config::Reference;
    use crate::units::Parameter;

    fn t(h: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_767_225_600 + h * 3600, 0).unwrap()
    }

    #[test]
    fn a_rise_needs_both_amounts() {
        let r = Rise {
            parameter: Parameter::Pm25,
            hours: 2,
            rise: 40.0,
            relative: 0.5,
        };
        let s: StationId = "S".into();
        let mut hours = Hours::default();
        for (h, v) in [
            (0, 100.0),
            (1, 120.0),
            (2, 145.0),
            (3, 30.0),
            (4, 40.0),
            (5, 60.0),
        ] {
            hours.put(t(h), Some(v));
        }
        let c = |hours: &Hours, h| sudden_rise(0, &r, &s, hours, t(h)).map(|f| f.condition);
        assert_eq!(c(&hours, 2), Some(Condition::Clear), "+45 but only +45 %");
        assert_eq!(c(&hours, 5), Some(Condition::Clear), "+100 % but only +30");
        hours.put(t(5), Some(80.0));
        assert_eq!(c(&hours, 5), Some(Condition::Holds), "+50 and +167 %");
        assert_eq!(c(&hours, 1), None, "no value 2 hours before");
        assert_eq!(
            sudden_rise(0, &r, &s, &hours, t(5)).unwrap().value.value,
            50.0
        );
    }

    #[test]
    fn far_above_the_median() {
        let o = Outlier {
            parameter: Parameter::Pm25,
            reference: Reference::Network,
            factor: 2.0,
            excess: 40.0,
            min_stations: 5,
        };
        let s: StationId = "S".into();
        let m = median(&mut [30.0, 35.0, 40.0, 32.0, 38.0]).unwrap();
        let f = outlier(0, &o, &s, t(1), 100.0, m, 5).unwrap();
        assert_eq!(f.condition, Condition::Holds);
        assert_eq!(f.value.value, 65.0);
        assert_eq!(
            outlier(0, &o, &s, t(1), 70.0, m, 5).unwrap().condition,
            Condition::Clear
        );
        assert!(
            outlier(0, &o, &s, t(1), 100.0, m, 4).is_none(),
            "too few stations"
        );
        assert_eq!(median(&mut [3.0, 1.0, 2.0, 10.0]), Some(2.5));
    }

    #[test]
    fn distances_and_compass_points() {
        let d = distance_km((23.0437, 113.7519), (23.0437, 113.8519));
        assert!((d - 10.24).abs() < 0.05, "{d}");
        assert_eq!(compass(350.0), "N");
        assert_eq!(compass(47.0), "NE");
        assert_eq!(compass(225.0), "SW");
    }
}
