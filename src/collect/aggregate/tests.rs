//! The worked cases of the aggregation rules.

use chrono::{TimeDelta, TimeZone};

use super::*;

fn t(h: u32, m: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 1, h, m, s).unwrap()
}

fn agg(parameter: Parameter) -> Aggregator {
    Aggregator::new("S1".into(), parameter, 45)
}

fn of(out: &[Record], r: Resolution) -> Vec<&Record> {
    out.iter().filter(|x| x.resolution == r).collect()
}

/// Pushes one sample per 10 s into the minute starting at `start`, all with `flag`, values
/// `value` (or failed polls for `None`).
fn fill_minute(
    a: &mut Aggregator,
    start: DateTime<Utc>,
    value: Option<f64>,
    flag: Flag,
    out: &mut Vec<Record>,
) {
    for k in 0..6 {
        a.push(start + TimeDelta::seconds(10 * k), value, flag, out);
    }
}

/// An hour 10:00–11:00 where minute `i` gets `kind(i)`; then flushed at 11:00.
fn hour_of(kind: impl Fn(u32) -> Option<(Option<f64>, Flag)>) -> Vec<Record> {
    let mut a = agg(Parameter::Pm25);
    let mut out = Vec::new();
    for i in 0..60 {
        if let Some((v, f)) = kind(i) {
            fill_minute(&mut a, t(10, i, 0), v, f, &mut out);
        }
    }
    a.flush_until(t(11, 0, 0), &mut out);
    out
}

fn the_hour(out: &[Record]) -> &Record {
    let hours = of(out, Resolution::Hour);
    assert_eq!(hours.len(), 1, "{out:#?}");
    hours[0]
}

#[test]
fn full_valid_hour() {
    let out = hour_of(|i| Some((Some(f64::from(i)), Flag::Normal)));
    assert_eq!(of(&out, Resolution::Minute).len(), 60);
    let h = the_hour(&out);
    assert_eq!((h.time, h.flag, h.count), (t(11, 0, 0), Flag::Normal, 60));
    assert!((h.value - 29.5).abs() < 1e-12);
    let m = of(&out, Resolution::Minute)[0];
    assert_eq!(
        (m.time, m.value, m.flag, m.count),
        (t(10, 1, 0), 0.0, Flag::Normal, 6)
    );
    assert_eq!(
        out.last().map(|r| r.resolution),
        Some(Resolution::Hour),
        "hour after its minutes"
    );
}

#[test]
fn valid_minutes_boundary_44_45() {
    let h45 = hour_of(|i| (i < 45).then_some((Some(10.0), Flag::Normal)));
    let h = the_hour(&h45);
    assert_eq!((h.flag, h.count, h.value), (Flag::Normal, 45, 10.0));
    let h44 = hour_of(|i| (i < 44).then_some((Some(10.0), Flag::Normal)));
    let h = the_hour(&h44);
    assert_eq!((h.flag, h.count, h.value), (Flag::CommError, 44, 10.0));
}

#[test]
fn calibration_minutes() {
    let out = hour_of(|i| {
        Some(if i < 15 {
            (Some(500.0), Flag::Calibration)
        } else {
            (Some(20.0), Flag::Normal)
        })
    });
    let h = the_hour(&out);
    assert_eq!(
        (h.flag, h.count, h.value),
        (Flag::Normal, 45, 20.0),
        "calibration values excluded"
    );
    let c = of(&out, Resolution::Minute)[0];
    assert_eq!((c.flag, c.count, c.value), (Flag::Calibration, 0, 500.0));

    let out = hour_of(|i| {
        Some(if i < 16 {
            (Some(500.0), Flag::Calibration)
        } else {
            (Some(20.0), Flag::Normal)
        })
    });
    let h = the_hour(&out);
    assert_eq!((h.flag, h.count, h.value), (Flag::Calibration, 44, 20.0));

    // A calibrated hour with no valid minute at all keeps the flagged mean.
    let out = hour_of(|i| (i < 20).then_some((Some(400.0), Flag::Calibration)));
    let h = the_hour(&out);
    assert_eq!(
        (h.flag, h.count, h.value),
        (Flag::CommError, 0, 400.0),
        "40 missing > 20 C"
    );
}

#[test]
fn offline_half_hour_is_comm_error() {
    let out = hour_of(|i| {
        Some(if i < 30 {
            (None, Flag::Normal)
        } else {
            (Some(7.0), Flag::Normal)
        })
    });
    assert_eq!(
        of(&out, Resolution::Minute).len(),
        30,
        "failed minutes yield no record"
    );
    let h = the_hour(&out);
    assert_eq!((h.flag, h.count, h.value), (Flag::CommError, 30, 7.0));
    let out = hour_of(|_| Some((None, Flag::Normal)));
    assert!(
        out.is_empty(),
        "an hour of failed polls yields nothing: {out:?}"
    );
}

#[test]
fn minute_flag_majority_and_ties() {
    let mut a = agg(Parameter::So2);
    let mut out = Vec::new();
    a.push(t(10, 0, 0), Some(1.0), Flag::Fault, &mut out);
    a.push(t(10, 0, 10), Some(2.0), Flag::OverRange, &mut out);
    a.push(t(10, 0, 20), Some(3.0), Flag::OverRange, &mut out);
    a.push(t(10, 0, 30), None, Flag::Normal, &mut out);
    a.push(t(10, 1, 0), Some(1.0), Flag::Fault, &mut out);
    a.push(t(10, 1, 10), Some(3.0), Flag::OverRange, &mut out);
    a.push(t(10, 2, 0), Some(1.0), Flag::Fault, &mut out);
    a.push(t(10, 2, 30), Some(5.0), Flag::Normal, &mut out);
    a.flush_until(t(10, 3, 0), &mut out);
    let m: Vec<_> = out
        .iter()
        .map(|r| (r.time, r.value, r.flag, r.count))
        .collect();
    assert_eq!(
        m,
        [
            (t(10, 1, 0), 2.0, Flag::OverRange, 0),
            (t(10, 2, 0), 2.0, Flag::Fault, 0), // tie: D has the higher precedence
            (t(10, 3, 0), 5.0, Flag::Normal, 1),
        ]
    );
}

#[test]
fn labels_across_midnight() {
    let mut a = agg(Parameter::O3);
    let mut out = Vec::new();
    let late = Utc.with_ymd_and_hms(2025, 12, 31, 23, 59, 59).unwrap();
    a.push(late, Some(50.0), Flag::Normal, &mut out);
    assert!(out.is_empty());
    let next_day = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    a.push(next_day, Some(60.0), Flag::Normal, &mut out);
    assert_eq!(out.len(), 2, "{out:#?}");
    assert_eq!(
        (out[0].resolution, out[0].time),
        (Resolution::Minute, next_day)
    );
    assert_eq!(
        (out[1].resolution, out[1].time, out[1].flag),
        (Resolution::Hour, next_day, Flag::CommError)
    );
    out.clear();
    a.flush_until(next_day + TimeDelta::hours(1), &mut out);
    assert_eq!(out[0].time, next_day + TimeDelta::minutes(1));
    assert_eq!(out[1].time, next_day + TimeDelta::hours(1));
}

#[test]
fn wind_direction_is_a_vector_mean() {
    let mut a = agg(Parameter::WindDirection);
    let mut out = Vec::new();
    a.push(t(10, 0, 0), Some(350.0), Flag::Normal, &mut out);
    a.push(t(10, 0, 30), Some(10.0), Flag::Normal, &mut out);
    a.push(t(10, 1, 0), Some(80.0), Flag::Normal, &mut out);
    a.push(t(10, 1, 30), Some(100.0), Flag::Normal, &mut out);
    a.flush_until(t(10, 2, 0), &mut out);
    let circ = |x: f64, y: f64| ((x - y + 180.0).rem_euclid(360.0) - 180.0).abs();
    assert!((0.0..360.0).contains(&out[0].value));
    assert!(circ(out[0].value, 0.0) < 1e-9, "{}", out[0].value);
    assert!(circ(out[1].value, 90.0) < 1e-9, "{}", out[1].value);
    // Linear parameters are plain means.
    let mut a = agg(Parameter::WindSpeed);
    out.clear();
    a.push(t(10, 0, 0), Some(350.0), Flag::Normal, &mut out);
    a.push(t(10, 0, 30), Some(10.0), Flag::Normal, &mut out);
    a.flush_until(t(10, 1, 0), &mut out);
    assert_eq!(out[0].value, 180.0);
}

#[test]
fn flush_closes_a_silent_devices_hour() {
    let mut a = agg(Parameter::Pm10);
    let mut out = Vec::new();
    for i in 0..50 {
        fill_minute(&mut a, t(10, i, 0), Some(30.0), Flag::Normal, &mut out);
    }
    assert_eq!(out.len(), 49, "the 50th minute is still open");
    a.flush_until(t(10, 59, 59), &mut out);
    assert_eq!(out.len(), 50);
    a.flush_until(t(11, 0, 0), &mut out);
    let h = the_hour(&out);
    assert_eq!((h.time, h.flag, h.count), (t(11, 0, 0), Flag::Normal, 50));
    out.clear();
    a.flush_until(t(15, 0, 0), &mut out);
    assert!(out.is_empty(), "no invented hours");
}

#[test]
fn samples_on_boundaries_and_out_of_order() {
    let mut a = agg(Parameter::No2);
    let mut out = Vec::new();
    a.push(t(10, 0, 0), Some(1.0), Flag::Normal, &mut out); // first second of 10:00–10:01
    a.push(
        t(10, 0, 59) + TimeDelta::milliseconds(999),
        Some(3.0),
        Flag::Normal,
        &mut out,
    );
    a.push(t(10, 1, 0), Some(100.0), Flag::Normal, &mut out); // opens 10:01–10:02
    assert_eq!(out.len(), 1);
    assert_eq!(
        (out[0].time, out[0].value, out[0].count),
        (t(10, 1, 0), 2.0, 2)
    );
    a.push(t(10, 0, 30), Some(1e9), Flag::Normal, &mut out); // late: ignored
    assert_eq!(a.dropped(), 1);
    a.push(t(10, 1, 30), Some(200.0), Flag::Normal, &mut out);
    a.flush_until(t(10, 1, 59), &mut out);
    assert_eq!(out.len(), 1, "10:01–10:02 has not ended at 10:01:59");
    a.flush_until(t(10, 2, 0), &mut out);
    assert_eq!((out[1].time, out[1].value), (t(10, 2, 0), 150.0));
    a.push(t(10, 1, 59), Some(1e9), Flag::Normal, &mut out); // in a flushed minute
    assert_eq!(a.dropped(), 2);
    // A jump of several hours closes the open periods once, with the right labels.
    a.push(t(10, 2, 0), Some(5.0), Flag::Normal, &mut out);
    a.push(t(14, 30, 0), Some(9.0), Flag::Normal, &mut out);
    let tail: Vec<_> = out[2..]
        .iter()
        .map(|r| (r.resolution, r.time, r.count))
        .collect();
    assert_eq!(
        tail,
        [
            (Resolution::Minute, t(10, 3, 0), 1),
            (Resolution::Hour, t(11, 0, 0), 3)
        ]
    );
}
