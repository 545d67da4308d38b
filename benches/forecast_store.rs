//! Stored forecasts in SQLite: writing one run of a 33-station network (33 × 72 h × 4 values +
//! 66 days) and scoring 30 days of twice-daily runs — the daily report's skill line (daily
//! forecasts only) and `lantian forecast skill` (every hourly value).
//!
//! `cargo bench --bench forecast_store`; under `cargo test` a 3-day smoke run.

mod support;

use std::hint::black_box;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use lantian::aqi::Standard;
use lantian::forecast::skill::{daily_skill, hourly_skill};
use lantian::quality::Flag;
use lantian::store::sqlite::SqliteStore;
use lantian::store::{
    ForecastDay, ForecastHour, ForecastParameter, ForecastStore, IndexRecord, IndexStore, Missing,
    ReadingStore, Record, Resolution, StationId, StationInfo, StationRole, StationStore, Stations,
};
use lantian::units::Parameter;

const STATIONS: usize = 33;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, 1, 16, 0, 0).unwrap()
}

fn ids() -> Vec<StationId> {
    (0..STATIONS).map(|s| format!("S{s:02}").into()).collect()
}

/// One run issued `issue` hours after [`t0`]: 72 hours × 4 values and two days per station.
fn run(issue: i64) -> (Vec<ForecastHour>, Vec<ForecastDay>) {
    let issued = t0() + TimeDelta::hours(issue);
    let mut hours = Vec::new();
    let mut days = Vec::new();
    for (s, station) in ids().into_iter().enumerate() {
        for h in 1..=72 {
            for (k, p) in ForecastParameter::ALL.into_iter().enumerate() {
                hours.push(ForecastHour {
                    station: station.clone(),
                    parameter: p,
                    issued,
                    valid: issued + TimeDelta::hours(h),
                    value: 40.0 + ((s * 7 + k * 3) as i64 + h) as f64 % 30.0,
                    model: "bench".into(),
                });
            }
        }
        for d in 1..=2 {
            let time = issued + TimeDelta::days(d) - TimeDelta::hours(issue.rem_euclid(24));
            days.push(ForecastDay {
                station: station.clone(),
                date: (time + TimeDelta::hours(8)).date_naive(),
                time,
                issued,
                aqi: Some(50 + (s as u32 * 3 + d as u32) % 60),
                aqi_low: Some(40),
                aqi_high: Some(120),
                primary: vec![],
                pm25: Some(40.0),
                pm10: Some(60.0),
                o3_8h_max: None,
                model: "bench".into(),
                abstained: vec![],
                missing: vec![Missing::Input("temp".into())],
            });
        }
    }
    (hours, days)
}

/// A store with `days` days of hourly observations, hourly and daily AQI, and twice-daily runs.
fn filled(path: &std::path::Path, days: i64) -> SqliteStore {
    let mut store = SqliteStore::open(path).expect("open");
    store
        .put_stations(
            &ids()
                .iter()
                .map(|id| StationInfo {
                    id: id.to_string(),
                    name: id.to_string(),
                    name_en: id.to_string(),
                    district: "d".into(),
                    lat: None,
                    lon: None,
                    time_zone: chrono_tz::Asia::Shanghai,
                    city: String::new(),
                    role: StationRole::Assessment,
                })
                .collect::<Vec<_>>(),
        )
        .expect("stations");
    for d in 0..days + 3 {
        let mut records = Vec::new();
        let mut indices = Vec::new();
        for (s, station) in ids().into_iter().enumerate() {
            for h in 0..24 {
                let time = t0() + TimeDelta::hours(d * 24 + h);
                for p in [Parameter::Pm25, Parameter::Pm10, Parameter::O3] {
                    records.push(Record {
                        station: station.clone(),
                        parameter: p,
                        resolution: Resolution::Hour,
                        time,
                        value: 35.0 + ((s as i64 + h) % 20) as f64,
                        flag: Flag::Normal,
                        count: 60,
                    });
                }
                indices.push(index(
                    &station,
                    Resolution::Hour,
                    time,
                    50 + (h as u32 % 40),
                ));
            }
            indices.push(index(
                &station,
                Resolution::Day,
                t0() + TimeDelta::days(d),
                60 + (s as u32 + d as u32) % 50,
            ));
        }
        store.put_readings(&records).expect("observations");
        store.put_indices(&indices).expect("indices");
    }
    for issue in 0..days * 2 {
        let (hours, days) = run(issue * 12 + 1);
        store.put_forecasts(&hours, &days).expect("forecasts");
    }
    store
}

fn index(
    station: &StationId,
    resolution: Resolution,
    time: DateTime<Utc>,
    aqi: u32,
) -> IndexRecord {
    IndexRecord {
        station: station.clone(),
        resolution,
        time,
        standard: Standard::Hj633_2012,
        aqi: Some(aqi),
        primary: vec![],
        terms: enum_map::EnumMap::default(),
    }
}

fn bench(c: &mut Criterion) {
    let days = if support::benchmarking() { 30 } else { 3 };
    let dir = tempfile::tempdir().expect("temp dir");
    let store = filled(&dir.path().join("f.db"), days);
    let (from, to) = (t0(), t0() + TimeDelta::days(days));
    let n = hourly_skill(&store, &Stations::All, from, to).expect("skill");
    assert!(n.iter().map(|s| s.n).sum::<usize>() > 0);

    let mut group = c.benchmark_group("forecast_store");
    group.sample_size(10);
    let mut writer = SqliteStore::open(dir.path().join("f.db")).expect("open");
    let (hours, day_forecasts) = run(days * 24 + 1);
    group.bench_function("write_one_run_33_stations", |b| {
        b.iter(|| {
            writer
                .put_forecasts(black_box(&hours), black_box(&day_forecasts))
                .expect("write")
        })
    });
    group.bench_function(format!("daily_skill_{days}_days"), |b| {
        b.iter(|| daily_skill(&store, &Stations::All, from, to).expect("skill"))
    });
    group.bench_function(format!("hourly_skill_{days}_days"), |b| {
        b.iter(|| hourly_skill(&store, &Stations::All, from, to).expect("skill"))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
