//! Issued forecasts ([`ForecastStore`](lantian::store::ForecastStore)): every field
//! round-trips, replacement by key, issues a day apart kept apart, ranges by valid and issue
//! time with the station filter, paged reads, the span of issue times, and non-finite values
//! refused whole.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use lantian::aqi::Pollutant;
use lantian::store::{
    ForecastAxis, ForecastDay, ForecastHour, ForecastParameter, ForecastQuery, Missing, Stations,
};
use lantian::units::ForecastTarget;

use super::{Check, TestStore, at, paged, stops_on_error};

/// Every check, by name.
pub(crate) const CHECKS: &[(&str, Check)] = &[
    ("forecasts_round_trip", forecasts_round_trip),
    ("forecasts_replace_by_key", forecasts_replace_by_key),
    ("forecasts_issues_a_day_apart", forecasts_issues_a_day_apart),
    ("forecasts_ranges_and_filter", forecasts_ranges_and_filter),
    ("forecasts_reject_non_finite", forecasts_reject_non_finite),
    ("forecasts_paged_and_span", forecasts_paged_and_span),
];

/// Issue time: 2025-06-01 00:00 UTC plus `hours`.
fn issue(hours: i64) -> DateTime<Utc> {
    at(hours * 60)
}

/// An hourly forecast issued at `issue(issued)` for `h` hours later.
pub(crate) fn hour(
    station: &str,
    parameter: ForecastParameter,
    issued: i64,
    h: i64,
    value: f64,
) -> ForecastHour {
    ForecastHour {
        station: station.into(),
        parameter,
        issued: issue(issued),
        valid: issue(issued + h),
        value,
        model: "elastic-net v1 trained 2013-03-01…2015-03-01".into(),
    }
}

/// A daily forecast of June `day` 2025 (Shanghai; the day starts at 16:00 UTC the day before)
/// issued at `issue(issued)`.
pub(crate) fn day(station: &str, day: u32, issued: i64, aqi: Option<u32>) -> ForecastDay {
    let date = NaiveDate::from_ymd_opt(2025, 6, day).unwrap();
    ForecastDay {
        station: station.into(),
        date,
        time: date.and_hms_opt(0, 0, 0).unwrap().and_utc() - TimeDelta::hours(8),
        issued: issue(issued),
        aqi,
        aqi_low: aqi.map(|a| a * 3 / 4),
        aqi_high: aqi.map(|a| a * 5 / 4 + 1),
        primary: if aqi.is_some_and(|a| a > 50) {
            vec![Pollutant::Pm25, Pollutant::O3_8h]
        } else {
            vec![]
        },
        pm25: aqi.map(|a| f64::from(a) * 0.6),
        pm10: aqi.map(|_| 80.25),
        o3_8h_max: None,
        model: "m".into(),
        abstained: if aqi.is_none() {
            vec![
                ForecastTarget::Pm25,
                ForecastTarget::Pm10,
                ForecastTarget::O3,
            ]
        } else {
            vec![ForecastTarget::O3]
        },
        missing: if aqi.is_none() {
            vec![
                Missing::Input("lag0".into()),
                Missing::ClimatologyFromHistory { days: 1 },
                Missing::ClimatologyTooShort { days: 1, needs: 14 },
                Missing::BeyondSkill(vec![ForecastTarget::Pm10, ForecastTarget::O3]),
            ]
        } else {
            vec![]
        },
    }
}

fn query(axis: ForecastAxis, from: DateTime<Utc>, to: DateTime<Utc>) -> ForecastQuery {
    ForecastQuery::new(axis, from, to)
}

fn everything() -> ForecastQuery {
    query(ForecastAxis::Valid, issue(-1000), issue(1000))
}

/// Every field comes back as written, in the trait's order.
pub(crate) fn forecasts_round_trip(mut t: TestStore) {
    assert!(t.store.forecast_hours(&everything()).unwrap().is_empty());
    assert_eq!(t.store.put_forecasts(&[], &[]).unwrap(), 0);
    let hours = vec![
        hour(
            "B",
            ForecastParameter::Target(ForecastTarget::Pm25),
            0,
            1,
            35.125,
        ),
        hour("A", ForecastParameter::Aqi, 0, 2, 57.0),
        hour(
            "A",
            ForecastParameter::Target(ForecastTarget::Pm25),
            0,
            2,
            41.5,
        ),
        hour(
            "A",
            ForecastParameter::Target(ForecastTarget::Pm25),
            0,
            1,
            40.0,
        ),
        hour(
            "A",
            ForecastParameter::Target(ForecastTarget::O3),
            0,
            72,
            0.0,
        ),
    ];
    let days = vec![
        day("B", 2, 0, Some(75)),
        day("A", 2, 0, None),
        day("A", 3, 0, Some(40)),
    ];
    assert_eq!(t.store.put_forecasts(&hours, &days).unwrap(), 8);
    let got = t.store.forecast_hours(&everything()).unwrap();
    let expected = vec![
        hours[3].clone(),
        hours[2].clone(),
        hours[4].clone(),
        hours[1].clone(),
        hours[0].clone(),
    ];
    assert_eq!(got, expected);
    assert_eq!(got[2].horizon(), 72);
    let reader = (t.reopen)();
    assert_eq!(
        reader.forecast_days(&everything()).unwrap(),
        [days[1].clone(), days[2].clone(), days[0].clone()]
    );
}

/// The same key written again replaces the entry; another issue for the same hour is kept.
pub(crate) fn forecasts_replace_by_key(mut t: TestStore) {
    let first = hour(
        "A",
        ForecastParameter::Target(ForecastTarget::Pm10),
        5,
        3,
        60.0,
    );
    t.store
        .put_forecasts(std::slice::from_ref(&first), &[day("A", 2, 5, Some(60))])
        .unwrap();
    let again = ForecastHour {
        value: 61.5,
        model: "v2".into(),
        ..first.clone()
    };
    // The range is replaced with the rest (here: by none).
    let newer_day = ForecastDay {
        aqi: Some(120),
        aqi_low: None,
        aqi_high: None,
        model: "v2".into(),
        ..day("A", 2, 5, Some(60))
    };
    t.store
        .put_forecasts(
            std::slice::from_ref(&again),
            std::slice::from_ref(&newer_day),
        )
        .unwrap();
    assert_eq!(
        t.store.forecast_hours(&everything()).unwrap(),
        std::slice::from_ref(&again)
    );
    assert_eq!(
        t.store.forecast_days(&everything()).unwrap(),
        std::slice::from_ref(&newer_day)
    );
    // A later issue for the same valid hour and day is another forecast.
    let later = hour(
        "A",
        ForecastParameter::Target(ForecastTarget::Pm10),
        6,
        2,
        70.0,
    );
    t.store
        .put_forecasts(std::slice::from_ref(&later), &[day("A", 2, 6, Some(80))])
        .unwrap();
    assert_eq!(later.valid, again.valid);
    assert_eq!(
        t.store.forecast_hours(&everything()).unwrap(),
        [again, later]
    );
    assert_eq!(t.store.forecast_days(&everything()).unwrap().len(), 2);
}

/// Issues at the same time of day, whole days apart, for the same valid hour stay apart.
pub(crate) fn forecasts_issues_a_day_apart(mut t: TestStore) {
    let hours: Vec<ForecastHour> = (0..3)
        .map(|k| {
            hour(
                "A",
                ForecastParameter::Target(ForecastTarget::O3),
                24 * k,
                72 - 24 * k,
                10.0 + k as f64,
            )
        })
        .collect();
    t.store.put_forecasts(&hours, &[]).unwrap();
    assert_eq!(t.store.forecast_hours(&everything()).unwrap(), hours);
    let days: Vec<ForecastDay> = (0..2)
        .map(|k| day("A", 4, 24 * k, Some(50 + k as u32)))
        .collect();
    t.store.put_forecasts(&[], &days).unwrap();
    assert_eq!(t.store.forecast_days(&everything()).unwrap(), days);
}

/// Valid-time and issue-time ranges are `[from, to)`; the station filter selects.
pub(crate) fn forecasts_ranges_and_filter(mut t: TestStore) {
    let mut hours = Vec::new();
    for issued in [0, 12, 24] {
        for h in 1..=3 {
            hours.push(hour(
                "A",
                ForecastParameter::Target(ForecastTarget::Pm25),
                issued,
                h,
                1.0,
            ));
            hours.push(hour(
                "B",
                ForecastParameter::Target(ForecastTarget::Pm25),
                issued,
                h,
                2.0,
            ));
        }
    }
    let days = vec![
        day("A", 2, 0, Some(50)),
        day("A", 3, 12, Some(60)),
        day("B", 3, 24, None),
    ];
    t.store.put_forecasts(&hours, &days).unwrap();
    let valid = t
        .store
        .forecast_hours(&query(ForecastAxis::Valid, issue(2), issue(13)))
        .unwrap();
    let pairs: Vec<(&str, i64)> = valid
        .iter()
        .map(|f| (&*f.station, (f.valid - issue(0)).num_hours()))
        .collect();
    assert_eq!(pairs, [("A", 2), ("A", 3), ("B", 2), ("B", 3)]);
    let by_issue = t
        .store
        .forecast_hours(
            &query(ForecastAxis::Issued, issue(12), issue(24)).for_stations(Stations::one("B")),
        )
        .unwrap();
    assert_eq!(by_issue.len(), 3);
    assert!(
        by_issue
            .iter()
            .all(|f| &*f.station == "B" && f.issued == issue(12))
    );
    assert!(
        t.store
            .forecast_hours(&query(ForecastAxis::Issued, issue(24), issue(24)))
            .unwrap()
            .is_empty()
    );
    // Days by issue time, and by valid time (the start of the local day).
    let d = t
        .store
        .forecast_days(&query(ForecastAxis::Issued, issue(12), issue(25)))
        .unwrap();
    assert_eq!(d, [days[1].clone(), days[2].clone()]);
    let d = t
        .store
        .forecast_days(&query(ForecastAxis::Valid, days[0].time, days[1].time))
        .unwrap();
    assert_eq!(d, [days[0].clone()]);
}

/// A non-finite value fails the whole call before anything is written.
pub(crate) fn forecasts_reject_non_finite(mut t: TestStore) {
    let good = hour(
        "A",
        ForecastParameter::Target(ForecastTarget::Pm25),
        0,
        1,
        10.0,
    );
    let bad = hour(
        "A",
        ForecastParameter::Target(ForecastTarget::Pm25),
        0,
        2,
        f64::NAN,
    );
    assert!(t.store.put_forecasts(&[good.clone(), bad], &[]).is_err());
    let bad_day = ForecastDay {
        pm25: Some(f64::INFINITY),
        ..day("A", 2, 0, Some(50))
    };
    assert!(
        t.store
            .put_forecasts(std::slice::from_ref(&good), &[bad_day])
            .is_err()
    );
    // An AQI range must hold its AQI, and have both ends.
    for (low, high) in [(Some(60), Some(90)), (Some(30), None)] {
        let bad_range = ForecastDay {
            aqi_low: low,
            aqi_high: high,
            ..day("A", 2, 0, Some(50))
        };
        assert!(
            t.store
                .put_forecasts(std::slice::from_ref(&good), &[bad_range])
                .is_err()
        );
    }
    assert!(t.store.forecast_hours(&everything()).unwrap().is_empty());
    assert!(t.store.forecast_days(&everything()).unwrap().is_empty());
}

/// Paged reads of hours and days across page boundaries give what the collecting reads give;
/// the span of issue times covers hourly and daily forecasts; an empty station list selects
/// nothing.
pub(crate) fn forecasts_paged_and_span(mut t: TestStore) {
    assert_eq!(t.store.forecasts_span().unwrap(), None);
    let mut hours = Vec::new();
    for issued in [0, 12, 24] {
        for station in ["B", "A"] {
            for h in 1..=6 {
                hours.push(hour(
                    station,
                    ForecastParameter::Target(ForecastTarget::Pm25),
                    issued,
                    h,
                    h as f64,
                ));
            }
        }
    }
    let days = vec![
        day("A", 2, 36, Some(60)),
        day("B", 2, -12, Some(40)),
        day("A", 3, 36, None),
    ];
    t.store.put_forecasts(&hours, &days).unwrap();
    let span = t.store.forecasts_span().unwrap().unwrap();
    assert_eq!((span.first, span.last), (issue(-12), issue(36)));
    let q = query(ForecastAxis::Issued, span.first, span.end());
    let whole = t.store.forecast_hours(&q).unwrap();
    assert_eq!(whole.len(), 36);
    for size in [1, 5, 36] {
        let mut all = paged(size, |size, each| {
            t.store.forecast_hours_paged(&q, size, each)
        })
        .concat();
        all.sort_by(|a, b| {
            (&a.station, a.parameter, a.issued, a.valid).cmp(&(
                &b.station,
                b.parameter,
                b.issued,
                b.valid,
            ))
        });
        assert_eq!(all, whole, "hours in pages of {size}");
    }
    let whole_days = t.store.forecast_days(&q).unwrap();
    assert_eq!(whole_days.len(), 3);
    let mut all = paged(2, |size, each| t.store.forecast_days_paged(&q, size, each)).concat();
    all.sort_by(|a, b| (&a.station, a.time, a.issued).cmp(&(&b.station, b.time, b.issued)));
    assert_eq!(all, whole_days);
    stops_on_error(|size, each| t.store.forecast_hours_paged(&q, size, each));
    let none = q.clone().for_stations(Stations::Only(vec![]));
    assert!(t.store.forecast_hours(&none).unwrap().is_empty());
    assert!(t.store.forecast_days(&none).unwrap().is_empty());
}
