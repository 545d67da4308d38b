//! `assess::rank_store` over a SQLite store: local days per station time zone, districts,
//! missing metadata, year-to-date resolution, last year's change.

use std::sync::Arc;

use chrono::{NaiveDate, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use lantian::assess::run::fill_hours;
use lantian::assess::{
    AssessConfig, AssessError, DateRange, GroupBy, Period, Pollutant, Rounding, rank_store,
};
use lantian::quality::Flag;
use lantian::store::sqlite::SqliteStore;
use lantian::store::{ReadingStore, Record, Resolution, StationInfo, StationRole, StationStore};

/// A real SQLite store in a temporary folder (kept alive by the returned guard).
fn temp_store() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(dir.path().join("assess.db")).expect("open");
    (dir, store)
}

fn info(id: &str, district: &str, tz: Tz) -> StationInfo {
    StationInfo {
        id: id.into(),
        name: format!("{id} name"),
        name_en: id.into(),
        district: district.into(),
        lat: None,
        lon: None,
        time_zone: tz,
        city: String::new(),
        role: StationRole::Assessment,
    }
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

/// Hourly records of all six pollutants, every hour of the local days `first..=last`, at
/// `level` × a typical concentration.
fn hourly(station: &str, tz: Tz, first: NaiveDate, last: NaiveDate, level: f64) -> Vec<Record> {
    let id: Arc<str> = station.into();
    let typical = [10.0, 30.0, 60.0, 35.0, 0.8, 80.0];
    let mut out = Vec::new();
    let mut day = first;
    while day <= last {
        for h in 1..=24 {
            let local = day.and_hms_opt(0, 0, 0).expect("midnight") + TimeDelta::hours(h);
            let time = tz
                .from_local_datetime(&local)
                .earliest()
                .expect("exists")
                .to_utc();
            for p in Pollutant::ALL {
                out.push(Record {
                    station: id.clone(),
                    parameter: p.parameter(),
                    resolution: Resolution::Hour,
                    time,
                    value: typical[p as usize] * level,
                    flag: Flag::Normal,
                    count: 60,
                });
            }
        }
        day = day.succ_opt().expect("next day");
    }
    out
}

#[test]
fn local_days_follow_each_station_time_zone() {
    let range = DateRange {
        first: date(2015, 12, 31),
        last: date(2016, 1, 1),
    };
    // 2015-12-31T16:00Z is 2016-01-01 00:00 in Shanghai (last hour of 2015-12-31) and
    // 16:00 in UTC (slot 15 of 2015-12-31); 2015-12-31T17:00Z is Shanghai's 01:00 of 2016-01-01.
    let t = |h| {
        Utc.with_ymd_and_hms(2015, 12, 31, h, 0, 0)
            .single()
            .expect("time")
    };
    let rec = |time, flag| Record {
        station: "a".into(),
        parameter: Pollutant::So2.parameter(),
        resolution: Resolution::Hour,
        time,
        value: 7.0,
        flag,
        count: 60,
    };
    let records = [
        rec(t(16), Flag::Normal),
        rec(t(17), Flag::Normal),
        rec(t(18), Flag::Calibration),
    ];
    let so2 = Pollutant::So2;
    let mut hours = Vec::new();
    fill_hours(&records, chrono_tz::Asia::Shanghai, range, &mut hours);
    assert_eq!(hours[0][so2][23], 7.0);
    assert_eq!(hours[1][so2][0], 7.0);
    assert!(hours[1][so2][1].is_nan(), "flagged hours are missing");
    fill_hours(&records, chrono_tz::UTC, range, &mut hours);
    assert_eq!(hours[0][so2][15], 7.0);
    assert_eq!(hours[0][so2][16], 7.0);
    assert!(hours[1][so2].iter().all(|v| v.is_nan()));
}

#[test]
fn ranks_stations_and_districts_with_last_year() {
    let sh = chrono_tz::Asia::Shanghai;
    let (_dir, mut store) = temp_store();
    store
        .put_stations(&[
            info("a", "east", sh),
            info("b", "east", sh),
            info("c", "west", sh),
        ])
        .expect("stations");
    let (f, l) = (date(2016, 1, 1), date(2016, 1, 31));
    store
        .put_readings(&hourly("a", sh, f, l, 1.0))
        .expect("write");
    store
        .put_readings(&hourly("b", sh, f, l, 2.0))
        .expect("write");
    store
        .put_readings(&hourly("c", sh, f, l, 1.0))
        .expect("write");
    store
        .put_readings(&hourly("a", sh, date(2015, 1, 1), date(2015, 1, 31), 2.0))
        .expect("write");
    let cfg = AssessConfig::default();
    let period: Period = "2016-01".parse().expect("period");
    let r = rank_store(&store, period, GroupBy::Station, &cfg).expect("ranking");
    assert_eq!(r.previous.to_string(), "2015-01");
    let got: Vec<(&str, Option<u32>)> = r.rows.iter().map(|x| (x.id.as_str(), x.rank)).collect();
    assert_eq!(got, [("a", Some(1)), ("c", Some(1)), ("b", Some(3))]);
    let a = &r.rows[0];
    // I = 10/60 + 30/40 + 60/70 + 35/35 + 0.8/4 + 80/160 → 0.17 + 0.75 + 0.86 + 1 + 0.2 + 0.5.
    assert_eq!(a.stats.total(), Some(3.48));
    assert_eq!(a.stats.valid_days.into_array(), [31; 6]);
    // ×2: 0.33 + 1.5 + 1.71 + 2 + 0.4 + 1.
    assert_eq!(a.previous_total(), Some(6.94));
    let change = a.change().expect("change");
    assert_eq!(change.difference, -3.46);
    assert!((change.percent.expect("percent") + 3.46 / 6.94 * 100.0).abs() < 1e-9);
    assert!(r.rows[1].change().is_none(), "c has no data last year");
    let r = rank_store(&store, period, GroupBy::District, &cfg).expect("ranking");
    let got: Vec<(&str, Option<u32>, usize)> = r
        .rows
        .iter()
        .map(|x| (x.id.as_str(), x.rank, x.stations))
        .collect();
    assert_eq!(got, [("west", Some(1), 1), ("east", Some(2), 2)]);
    // east = mean of a (×1) and b (×2) = ×1.5: PM2.5 35 and 70 → 52.5 a day, which HJ 663
    // reports rounded half to even (GB/T 8170) → 52; unrounded it stays 52.5.
    assert_eq!(r.rows[1].stats.concentrations[Pollutant::Pm25], Some(52.0));
    let unrounded = AssessConfig {
        rounding: Rounding::Unrounded,
        ..cfg
    };
    let r = rank_store(&store, period, GroupBy::District, &unrounded).expect("ranking");
    assert_eq!(r.rows[1].stats.concentrations[Pollutant::Pm25], Some(52.5));
    let r = rank_store(&store, period, GroupBy::Network, &cfg).expect("ranking");
    assert_eq!(r.rows.len(), 1);
    assert_eq!(r.rows[0].stations, 3);
}

#[test]
fn year_to_date_runs_to_the_last_day_with_data() {
    let sh = chrono_tz::Asia::Shanghai;
    let (_dir, mut store) = temp_store();
    store
        .put_stations(&[info("a", "east", sh)])
        .expect("stations");
    store
        .put_readings(&hourly("a", sh, date(2016, 1, 1), date(2016, 2, 10), 1.0))
        .expect("write");
    let period: Period = "2016-ytd".parse().expect("period");
    let r =
        rank_store(&store, period, GroupBy::Station, &AssessConfig::default()).expect("ranking");
    assert_eq!(r.period.range().expect("resolved").last, date(2016, 2, 10));
    assert_eq!(
        r.previous.range().expect("resolved").last,
        date(2015, 2, 10)
    );
    assert_eq!(r.rows[0].stats.valid_days.into_array(), [41; 6]);
    assert_eq!(r.rows[0].stats.aqi.valid, 41);
    assert!(r.rows[0].previous.is_none());
}

#[test]
fn stations_without_metadata_are_an_error() {
    let sh = chrono_tz::Asia::Shanghai;
    let (_dir, mut store) = temp_store();
    store
        .put_stations(&[info("a", "east", sh)])
        .expect("stations");
    store
        .put_readings(&hourly("a", sh, date(2016, 1, 1), date(2016, 1, 3), 1.0))
        .expect("write");
    store
        .put_readings(&hourly(
            "ghost",
            sh,
            date(2016, 1, 1),
            date(2016, 1, 3),
            1.0,
        ))
        .expect("write");
    let period: Period = "2016-01".parse().expect("period");
    match rank_store(&store, period, GroupBy::Station, &AssessConfig::default()) {
        Err(AssessError::MissingMetadata(ids)) => assert_eq!(ids, ["ghost"]),
        other => panic!("expected a metadata error, got {other:?}"),
    }
    // Data of that station outside both periods does not matter.
    let (_dir, mut store) = temp_store();
    store
        .put_stations(&[info("a", "east", sh)])
        .expect("stations");
    store
        .put_readings(&hourly(
            "ghost",
            sh,
            date(2013, 1, 1),
            date(2013, 1, 3),
            1.0,
        ))
        .expect("write");
    let r = rank_store(&store, period, GroupBy::Station, &AssessConfig::default()).expect("ok");
    assert_eq!(r.rows[0].rank, None);
}
