//! The index stage over a real SQLite store: hourly means in, hourly and daily AQI out, on the
//! station's local days, recomputed when hours arrive late, and rule sets by date.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, TimeDelta, TimeZone, Utc};
use chrono_tz::Asia::Shanghai;
use lantian::aqi::{Pollutant as Term, Standard};
use lantian::compute::{IndexConfig, IndexStage};
use lantian::quality::Flag;
use lantian::store::sqlite::SqliteStore;
use lantian::store::{
    IndexQuery, IndexStore, ReadingStore, Record, Resolution, StationInfo, StationRole,
    StationStore,
};
use lantian::units::Parameter;

fn store() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(dir.path().join("i.db")).unwrap();
    store
        .put_stations(&[StationInfo {
            id: "S".into(),
            name: "站".into(),
            name_en: "S".into(),
            district: "D".into(),
            lat: None,
            lon: None,
            time_zone: Shanghai,
            city: String::new(),
            role: StationRole::Assessment,
        }])
        .unwrap();
    (dir, store)
}

/// The hour-ending label `hour` (1..=24) of a local day, in UTC.
fn label(date: NaiveDate, hour: i64) -> DateTime<Utc> {
    Shanghai
        .from_local_datetime(&(date.and_time(Default::default()) + TimeDelta::hours(hour)))
        .unwrap()
        .to_utc()
}

fn hour(date: NaiveDate, h: i64, p: Parameter, value: f64) -> Record {
    Record {
        station: Arc::from("S"),
        parameter: p,
        resolution: Resolution::Hour,
        time: label(date, h),
        value,
        flag: Flag::Normal,
        count: 60,
    }
}

fn indices(store: &SqliteStore, resolution: Resolution) -> Vec<lantian::store::IndexRecord> {
    let from = Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0).unwrap();
    let to = Utc.with_ymd_and_hms(2100, 1, 1, 0, 0, 0).unwrap();
    store
        .indices(&IndexQuery::new(resolution, from, to))
        .unwrap()
}

#[test]
fn a_day_of_hourly_means_gives_hourly_and_daily_aqi() {
    let (_dir, mut store) = store();
    let day = NaiveDate::from_ymd_opt(2016, 1, 10).unwrap();
    // PM2.5 120 µg/m³ all day (24-h IAQI 158 — the reference's worked example), SO2 65
    // (24-h IAQI 58; 1-h IAQI 22), O3 rising 10 per hour: 1-h max 240 at 24:00, 8-h max the
    // mean of 170..240 = 205.
    let mut hours = Vec::new();
    for h in 1..=24 {
        hours.push(hour(day, h, Parameter::Pm25, 120.0));
        hours.push(hour(day, h, Parameter::So2, 65.0));
        hours.push(hour(day, h, Parameter::O3, 10.0 * h as f64));
    }
    store.put_readings(&hours).unwrap();
    let mut stage = IndexStage::new(IndexConfig::default());
    let n = stage.update(&mut store, &hours).unwrap();
    assert_eq!(n, 25, "one daily and 24 hourly records");

    let daily = indices(&store, Resolution::Day);
    assert_eq!(daily.len(), 1);
    let d = &daily[0];
    assert_eq!(
        d.time,
        label(day, 0),
        "daily records are labelled with local midnight"
    );
    assert_eq!(d.standard, Standard::Hj633_2012);
    let term = |r: &lantian::store::IndexRecord, t: Term| r.terms[t];
    assert_eq!(term(d, Term::Pm25).unwrap().iaqi, Some(158));
    assert_eq!(term(d, Term::So2).unwrap().iaqi, Some(58));
    assert_eq!(term(d, Term::Pm25).unwrap().valid, 24);
    let o3_8h = term(d, Term::O3_8h).unwrap();
    assert!((o3_8h.concentration - 205.0).abs() < 1e-9, "{o3_8h:?}");
    assert_eq!(o3_8h.valid, 17);
    // O3 8-h 205 µg/m³: between 160 (100) and 215 (150) → ceil(100 + 45/55·50) = 141.
    assert_eq!(o3_8h.iaqi, Some(141));
    assert_eq!(d.aqi, Some(158));
    assert_eq!(d.primary, [Term::Pm25]);
    assert!(term(d, Term::No2).is_none() && term(d, Term::Co).is_none());

    let hourly = indices(&store, Resolution::Hour);
    assert_eq!(hourly.len(), 24);
    let noon = hourly.iter().find(|r| r.time == label(day, 12)).unwrap();
    // Real-time: PM2.5 hourly on the 24-h row (158); O3 1-h 120 → 38; no O3 8-h term.
    assert_eq!(noon.aqi, Some(158));
    assert_eq!(term(noon, Term::O3_1h).unwrap().iaqi, Some(38));
    assert!(term(noon, Term::O3_8h).is_none());
}

#[test]
fn late_hours_update_the_day_and_rule_sets_follow_the_date() {
    let (_dir, mut store) = store();
    let mut stage = IndexStage::new(IndexConfig::default());
    // 2026-03-01 is the first day of the 2026 rules: PM2.5 24-h 60 → IAQI 100 (2012: 82).
    for (date, expected, standard) in [
        (
            NaiveDate::from_ymd_opt(2026, 2, 28).unwrap(),
            82,
            Standard::Hj633_2012,
        ),
        (
            NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            100,
            Standard::Hj633_2026,
        ),
    ] {
        // 19 hours first: no valid 24-h mean yet; then the 20th arrives.
        let early: Vec<Record> = (1..=19)
            .map(|h| hour(date, h, Parameter::Pm25, 60.0))
            .collect();
        store.put_readings(&early).unwrap();
        stage.update(&mut store, &early).unwrap();
        let day = |store: &SqliteStore| {
            indices(store, Resolution::Day)
                .into_iter()
                .find(|r| r.time == label(date, 0))
                .unwrap()
        };
        assert_eq!(day(&store).aqi, None, "19 hours are not a valid day");
        let late = [hour(date, 24, Parameter::Pm25, 60.0)];
        store.put_readings(&late).unwrap();
        stage.update(&mut store, &late).unwrap();
        let d = day(&store);
        assert_eq!((d.aqi, d.standard), (Some(expected), standard), "{date}");
    }
}

#[test]
fn stations_without_metadata_are_skipped() {
    let (_dir, mut store) = store();
    let day = NaiveDate::from_ymd_opt(2016, 1, 10).unwrap();
    let mut r = hour(day, 5, Parameter::Pm25, 50.0);
    r.station = Arc::from("ghost");
    store.put_readings(std::slice::from_ref(&r)).unwrap();
    let n = IndexStage::new(IndexConfig::default())
        .update(&mut store, &[r])
        .unwrap();
    assert_eq!(n, 0);
}
