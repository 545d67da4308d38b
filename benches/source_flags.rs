//! The `sources` job for one day of a 33-station network: read the day and its 30-day context
//! from SQLite, analyse, store the flags (target < 5 s, so it fits well before the 08:00
//! report). Under `cargo test` a small network and window (a smoke run).

#[path = "support/mod.rs"]
mod support;

use std::sync::Arc;

use chrono::{NaiveDate, TimeDelta, TimeZone};
use chrono_tz::Asia::Shanghai;
use criterion::{Criterion, criterion_group, criterion_main};
use lantian::jobs::sources::{FlagRun, flag_day, job_analysis};
use lantian::quality::Flag;
use lantian::store::sqlite::SqliteStore;
use lantian::store::{ReadingStore, Record, Resolution, StationInfo, StationRole, StationStore};
use lantian::units::Parameter;

/// A network of `stations` with `days` of hourly data ending on `last`; every tenth station
/// has a source it sees when the wind blows from the north-east.
fn network(store: &mut SqliteStore, stations: usize, days: i64, last: NaiveDate) {
    let infos: Vec<StationInfo> = (0..stations)
        .map(|i| StationInfo {
            id: format!("S{i:02}"),
            name: format!("站{i}"),
            name_en: format!("Station {i}"),
            district: format!("D{}", i % 5),
            lat: Some(22.8 + (i % 6) as f64 * 0.05),
            lon: Some(113.5 + (i / 6) as f64 * 0.06),
            time_zone: Shanghai,
            city: String::new(),
            role: StationRole::Assessment,
        })
        .collect();
    store.put_stations(&infos).unwrap();
    let start = Shanghai
        .from_local_datetime(&(last - TimeDelta::days(days - 1)).and_time(Default::default()))
        .unwrap()
        .to_utc();
    let mut state = 42u64;
    let mut r = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut records = Vec::new();
    for h in 1..=days * 24 {
        let time = start + TimeDelta::hours(h);
        let wd = (h as f64 * 37.0 + 10.0 * r()) % 360.0;
        let ws = 0.5 + 5.0 * r();
        for s in &infos {
            let station: Arc<str> = Arc::from(s.id.as_str());
            let plume = s.id.ends_with('0') && (20.0..60.0).contains(&wd);
            for (p, v) in [
                (Parameter::WindDirection, wd),
                (Parameter::WindSpeed, ws),
                (
                    Parameter::So2,
                    8.0 + 3.0 * r() + if plume { 40.0 } else { 0.0 },
                ),
                (
                    Parameter::No2,
                    25.0 + 8.0 * r() + if plume { 15.0 } else { 0.0 },
                ),
                (Parameter::Pm25, 30.0 + 10.0 * r()),
                (Parameter::Pm10, 50.0 + 15.0 * r()),
                (Parameter::Co, 0.6 + 0.2 * r()),
                (Parameter::O3, 60.0 + 20.0 * r()),
            ] {
                records.push(Record {
                    station: station.clone(),
                    parameter: p,
                    resolution: Resolution::Hour,
                    time,
                    value: v,
                    flag: Flag::Normal,
                    count: 60,
                });
            }
        }
    }
    store.put_readings(&records).unwrap();
}

fn bench(c: &mut Criterion) {
    let full = support::benchmarking();
    let (stations, context) = if full { (33, 30) } else { (6, 2) };
    let day = NaiveDate::from_ymd_opt(2024, 3, 10).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(dir.path().join("flags.db")).unwrap();
    network(&mut store, stations, i64::from(context) + 1, day);
    let run = FlagRun {
        job: "sources",
        scheduled: Shanghai
            .from_local_datetime(&(day + TimeDelta::days(1)).and_hms_opt(7, 0, 0).unwrap())
            .unwrap()
            .to_utc(),
    };
    let cfg = job_analysis(Shanghai);
    let name = format!("sources job: {stations} stations, day + {context} days");
    c.bench_function(&name, |b| {
        b.iter(|| {
            flag_day(&mut store, day, Shanghai, context, &cfg, run)
                .unwrap()
                .flags
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench
}
criterion_main!(benches);
