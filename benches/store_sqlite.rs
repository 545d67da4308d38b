//! SQLite store throughput: batched writes and a one-day range read.

use std::hint::black_box;

use chrono::{TimeDelta, TimeZone, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use lantian::quality::Flag;
use lantian::store::sqlite::SqliteStore;
use lantian::store::{
    Parameters, ReadingQuery, ReadingStore, Record, Resolution, StationId, Stations,
};
use lantian::units::Parameter;

const BATCH: usize = 1_000;

fn minute_records(station: &StationId, parameter: Parameter, start: i64, n: usize) -> Vec<Record> {
    let t0 = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
    (0..n)
        .map(|i| Record {
            station: station.clone(),
            parameter,
            resolution: Resolution::Minute,
            time: t0 + TimeDelta::minutes(start + i as i64),
            value: 35.0 + (i % 17) as f64,
            flag: Flag::Normal,
            count: 6,
        })
        .collect()
}

fn write(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut store = SqliteStore::open(dir.path().join("w.db")).expect("open");
    let station: StationId = "S001".into();
    let mut next = 0i64;
    let mut group = c.benchmark_group("sqlite_write");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function("batch_1000_new_keys", |b| {
        b.iter_batched(
            || {
                next += BATCH as i64;
                minute_records(&station, Parameter::Pm25, next, BATCH)
            },
            |batch| store.put_readings(black_box(&batch)).expect("write"),
            criterion::BatchSize::LargeInput,
        )
    });
    let same = minute_records(&station, Parameter::Pm10, 0, BATCH);
    group.bench_function("batch_1000_replace", |b| {
        b.iter(|| store.put_readings(black_box(&same)).expect("write"))
    });
    group.finish();
}

fn read(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut store = SqliteStore::open(dir.path().join("r.db")).expect("open");
    // 10 stations × 4 parameters × 7 days of minute data = 403,200 records.
    let days = 7 * 1440;
    for s in 0..10 {
        let station: StationId = format!("S{s:03}").into();
        for p in [
            Parameter::Pm25,
            Parameter::Pm10,
            Parameter::O3,
            Parameter::No2,
        ] {
            for chunk in minute_records(&station, p, 0, days).chunks(10_000) {
                store.put_readings(chunk).expect("fill");
            }
        }
    }
    let t0 = Utc.with_ymd_and_hms(2025, 1, 3, 0, 0, 0).unwrap();
    let query = ReadingQuery::new(Resolution::Minute, t0, t0 + TimeDelta::days(1))
        .for_stations(Stations::one("S004"))
        .for_parameters(Parameters::one(Parameter::O3));
    assert_eq!(store.readings(&query).expect("read").len(), 1440);
    let mut group = c.benchmark_group("sqlite_read");
    group.throughput(Throughput::Elements(1440));
    group.bench_function("one_series_day_of_minutes", |b| {
        b.iter(|| store.readings(black_box(&query)).expect("read"))
    });
    group.throughput(Throughput::Elements(40));
    group.bench_function("latest_40_series", |b| {
        b.iter(|| {
            store
                .latest_readings(black_box(Resolution::Minute), &Stations::All)
                .expect("latest")
        })
    });
    group.finish();
}

criterion_group!(benches, write, read);
criterion_main!(benches);
