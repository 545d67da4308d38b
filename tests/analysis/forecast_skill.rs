//! Live skill of stored forecasts on known forecast / observation pairs, against values
//! computed by hand.

use chrono::{DateTime, NaiveDate, TimeDelta, TimeZone, Utc};
use lantian::aqi::Standard;
use lantian::forecast::skill::live_skill;
use lantian::quality::Flag;
use lantian::store::sqlite::SqliteStore;
use lantian::store::{
    ForecastDay, ForecastHour, ForecastParameter, ForecastStore, IndexRecord, IndexStore,
    ReadingStore, Record, Resolution, StationInfo, StationRole, StationStore, Stations,
};
use lantian::units::{ForecastTarget, Parameter};

/// The issue time: 2025-06-01 09:00 UTC (17:00 in Shanghai).
fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 1, 9, 0, 0).unwrap()
}

fn at(h: i64) -> DateTime<Utc> {
    t0() + TimeDelta::hours(h)
}

fn obs(station: &str, h: i64, value: f64, flag: Flag) -> Record {
    Record {
        station: station.into(),
        parameter: Parameter::Pm25,
        resolution: Resolution::Hour,
        time: at(h),
        value,
        flag,
        count: 60,
    }
}

fn fc(station: &str, parameter: ForecastParameter, h: i64, value: f64) -> ForecastHour {
    ForecastHour {
        station: station.into(),
        parameter,
        issued: t0(),
        valid: at(h),
        value,
        model: "m".into(),
    }
}

/// Local midnight (Shanghai) starting June `day` (31: 31 May), in UTC.
fn midnight(day: u32) -> DateTime<Utc> {
    let date = if day == 31 {
        NaiveDate::from_ymd_opt(2025, 5, 31).unwrap()
    } else {
        NaiveDate::from_ymd_opt(2025, 6, day).unwrap()
    };
    date.and_hms_opt(0, 0, 0).unwrap().and_utc() - TimeDelta::hours(8)
}

fn index(station: &str, resolution: Resolution, time: DateTime<Utc>, aqi: u32) -> IndexRecord {
    IndexRecord {
        station: station.into(),
        resolution,
        time,
        standard: Standard::Hj633_2012,
        aqi: Some(aqi),
        primary: vec![],
        terms: enum_map::EnumMap::default(),
    }
}

fn day(station: &str, day: u32, aqi: Option<u32>) -> ForecastDay {
    let date = if day == 31 {
        NaiveDate::from_ymd_opt(2025, 5, 31).unwrap()
    } else {
        NaiveDate::from_ymd_opt(2025, 6, day).unwrap()
    };
    ForecastDay {
        station: station.into(),
        date,
        time: midnight(day),
        issued: t0(),
        aqi,
        aqi_low: None,
        aqi_high: None,
        primary: vec![],
        pm25: None,
        pm10: None,
        o3_8h_max: None,
        model: "m".into(),
        abstained: vec![],
        missing: vec![],
    }
}

#[test]
fn skill_matches_hand_computed_values() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(dir.path().join("s.db")).unwrap();
    let info = |id: &str| StationInfo {
        id: id.into(),
        name: id.into(),
        name_en: id.into(),
        district: "d".into(),
        lat: None,
        lon: None,
        time_zone: chrono_tz::Asia::Shanghai,
        city: String::new(),
        role: StationRole::Assessment,
    };
    store.put_stations(&[info("A"), info("B")]).unwrap();
    store
        .put_readings(&[
            obs("A", 0, 40.0, Flag::Normal),
            obs("A", 1, 50.0, Flag::Normal),
            obs("A", 2, 30.0, Flag::Normal),
            obs("A", 3, 50.0, Flag::Normal),
            // Not valid: not a pair.
            obs("A", 4, 10.0, Flag::Calibration),
            // B has no observation at the issue time: no persistence, not a pair.
            obs("B", 1, 10.0, Flag::Normal),
        ])
        .unwrap();
    store
        .put_indices(&[
            index("A", Resolution::Hour, at(0), 50),
            index("A", Resolution::Hour, at(1), 70),
            index("A", Resolution::Day, midnight(31), 110),
            index("A", Resolution::Day, midnight(2), 120),
            index("A", Resolution::Day, midnight(3), 95),
            index("B", Resolution::Day, midnight(2), 60),
        ])
        .unwrap();
    store
        .put_forecasts(
            &[
                fc(
                    "A",
                    ForecastParameter::Target(ForecastTarget::Pm25),
                    1,
                    46.0,
                ),
                fc(
                    "A",
                    ForecastParameter::Target(ForecastTarget::Pm25),
                    2,
                    36.0,
                ),
                fc(
                    "A",
                    ForecastParameter::Target(ForecastTarget::Pm25),
                    3,
                    45.0,
                ),
                fc(
                    "A",
                    ForecastParameter::Target(ForecastTarget::Pm25),
                    4,
                    12.0,
                ),
                // No observation of the valid hour.
                fc(
                    "A",
                    ForecastParameter::Target(ForecastTarget::Pm25),
                    5,
                    70.0,
                ),
                fc(
                    "B",
                    ForecastParameter::Target(ForecastTarget::Pm25),
                    1,
                    12.0,
                ),
                fc("A", ForecastParameter::Aqi, 1, 65.0),
            ],
            &[
                // Ranges 60–110 (good to lightly polluted) and 70–100 (good).
                ForecastDay {
                    aqi_low: Some(60),
                    aqi_high: Some(110),
                    ..day("A", 2, Some(80))
                },
                ForecastDay {
                    aqi_low: Some(70),
                    aqi_high: Some(100),
                    ..day("A", 3, Some(90))
                },
                day("B", 2, None),
            ],
        )
        .unwrap();

    let r = live_skill(&store, &Stations::All, at(-1), at(1)).unwrap();
    let close = |a: f64, b: f64| (a - b).abs() < 1e-9;

    // PM2.5 1 h: forecast 46, observed 50, persistence 40.
    let h1 = &r.hours[0];
    assert_eq!((h1.parameter, h1.horizons, h1.n), ("pm25", (1, 1), 1));
    assert!(close(h1.rmse, 4.0) && close(h1.mae, 4.0) && close(h1.bias, -4.0));
    assert!(close(h1.persistence_rmse, 10.0));
    assert!(close(h1.skill.unwrap(), 0.6));
    // PM2.5 2–3 h: errors +6 and −5; persistence errors +10 and −10.
    let h23 = &r.hours[1];
    assert_eq!((h23.parameter, h23.horizons, h23.n), ("pm25", (2, 3), 2));
    assert!(close(h23.rmse, 30.5f64.sqrt()));
    assert!(close(h23.mae, 5.5) && close(h23.bias, 0.5));
    assert!(close(h23.persistence_rmse, 10.0));
    assert!(close(h23.skill.unwrap(), 1.0 - 30.5f64.sqrt() / 10.0));
    // AQI 1 h: forecast 65, observed 70, persistence 50.
    let aqi = &r.hours[2];
    assert_eq!((aqi.parameter, aqi.horizons, aqi.n), ("aqi", (1, 1), 1));
    assert!(close(aqi.rmse, 5.0) && close(aqi.skill.unwrap(), 0.75));
    assert_eq!(r.hours.len(), 3, "{:?}", r.hours);

    // Daily: lead 1 — forecast 80 (good), observed 120 (lightly polluted): a miss, error 40;
    // persistence (31 May, 110, lightly polluted) right; B abstained. Lead 2 — 90 vs 95, both
    // good: a hit; persistence wrong.
    assert_eq!(r.days.len(), 2);
    let (d1, d2) = (&r.days[0], &r.days[1]);
    assert_eq!((d1.lead_day, d1.n, d1.abstained), (1, 1, 1));
    assert!(close(d1.hit_rate, 0.0) && close(d1.aqi_mae, 40.0));
    assert_eq!(d1.persistence_n, 1);
    assert!(close(d1.persistence_hit_rate, 1.0));
    assert_eq!((d2.lead_day, d2.n, d2.abstained), (2, 1, 0));
    assert!(close(d2.hit_rate, 1.0) && close(d2.aqi_mae, 5.0));
    assert!(close(d2.persistence_hit_rate, 0.0));
    // Range rules: lead 1 — 120 outside 60–110, but lightly polluted is in the span; lead 2 —
    // 95 inside 70–100 and good.
    let (r1, r2) = (&d1.range, &d2.range);
    assert_eq!((r1.n, r2.n), (1, 1));
    assert!(close(r1.aqi_hit_rate, 0.0) && close(r1.span_hit_rate, 1.0));
    assert!(close(r1.two_category_share, 1.0) && close(r1.mean_width, 50.0));
    assert!(close(r2.aqi_hit_rate, 1.0) && close(r2.span_hit_rate, 1.0));
    assert!(close(r2.two_category_share, 0.0) && close(r2.mean_width, 30.0));

    // Outside the issue window: nothing.
    let none = live_skill(&store, &Stations::All, at(1), at(5)).unwrap();
    assert!(none.hours.is_empty() && none.days.is_empty());
}
