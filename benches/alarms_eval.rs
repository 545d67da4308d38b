//! Alarm rule evaluation for 2,000 stations × 10 parameters each minute (issue 12: under 5 %
//! of one core, i.e. under 3 s per minute), with the default rules over a SQLite store.
//!
//! One monitoring minute is: the minute records of every series written (the data rules:
//! stuck, over range, no data clearing), the timer evaluation (device health of 4,000
//! devices, no data of 20,000 series, system rules) and a sixtieth of the hourly batch (the
//! hourly rules and the network comparison of 20,000 hourly values). Values stay below every
//! threshold, as on most minutes of a real network.

use std::hint::black_box;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use lantian::alarms::rules::config::{AlarmRules, AlarmSettings};
use lantian::alarms::rules::scope::{DeviceModel, NetworkModel, StationModel};
use lantian::alarms::rules::stage::AlarmStage;
use lantian::alarms::rules::system::SpoolFacts;
use lantian::clock::Clock;
use lantian::quality::Flag;
use lantian::registry::StatusMeaning;
use lantian::store::sqlite::SqliteStore;
use lantian::store::{DeviceHealth, HealthStore, Record, Resolution, StationId};
use lantian::units::Parameter;

const STATIONS: usize = 2_000;
/// Ten parameters per station: the eight pollutants, wind speed and direction.
const PARAMETERS: &[Parameter] = Parameter::ALL.split_at(10).0;

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-01-10T00:00:00Z")
        .unwrap()
        .to_utc()
}

fn network() -> NetworkModel {
    let stations = (0..STATIONS)
        .map(|i| StationModel {
            id: format!("S{i:04}").into(),
            district: format!("D{}", i % 40),
            class: None,
            position: Some((
                22.5 + (i / 50) as f64 * 0.01,
                113.5 + (i % 50) as f64 * 0.01,
            )),
            devices: PARAMETERS
                .chunks(5)
                .enumerate()
                .map(|(d, ps)| DeviceModel {
                    id: format!("S{i:04}-{d}"),
                    parameters: ps.iter().map(|p| (*p, Some((-100.0, 10_000.0)))).collect(),
                    status: vec![("zero".into(), StatusMeaning::Calibration)],
                })
                .collect(),
        })
        .collect();
    NetworkModel { stations }
}

fn records(ids: &[StationId], resolution: Resolution, time: DateTime<Utc>, k: i64) -> Vec<Record> {
    let mut out = Vec::with_capacity(ids.len() * PARAMETERS.len());
    for (i, id) in ids.iter().enumerate() {
        for (j, p) in PARAMETERS.iter().enumerate() {
            out.push(Record {
                station: id.clone(),
                parameter: *p,
                resolution,
                time,
                value: 20.0 + ((i * 7 + j * 3) as i64 + k).rem_euclid(13) as f64,
                flag: Flag::Normal,
                count: if resolution == Resolution::Hour {
                    60
                } else {
                    6
                },
            });
        }
    }
    out
}

fn evaluation(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(dir.path().join("a.db")).unwrap();
    let network = network();
    let ids: Vec<StationId> = network.stations.iter().map(|s| s.id.clone()).collect();
    let health: Vec<DeviceHealth> = network
        .stations
        .iter()
        .flat_map(|s| s.devices.iter().map(move |d| (s, d)))
        .map(|(s, d)| {
            let mut h = DeviceHealth::new(&d.id, &s.id);
            h.online = true;
            h
        })
        .collect();
    store.put_health(&health).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    let _guard = rt.enter();
    let clock = Clock::scaled(t0(), 1.0);
    let mut stage = AlarmStage::new(
        AlarmSettings::default(),
        &AlarmRules::default(),
        network,
        clock,
    )
    .unwrap();
    let mut minute = 0i64;
    let mut group = c.benchmark_group("alarms_eval_2000x10");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.bench_function("minute_records_and_tick", |b| {
        b.iter(|| {
            minute += 1;
            rt.block_on(tokio::time::advance(Duration::from_secs(60)));
            let batch = records(
                &ids,
                Resolution::Minute,
                t0() + TimeDelta::minutes(minute),
                minute,
            );
            black_box(stage.written(&mut store, &batch, &[]));
            black_box(stage.tick(&mut store, SpoolFacts::default()));
        })
    });
    let mut hour = 0i64;
    group.bench_function("hourly_records", |b| {
        b.iter(|| {
            hour += 1;
            let label = t0() + TimeDelta::hours(hour);
            let batch = records(&ids, Resolution::Hour, label, hour);
            black_box(stage.written(&mut store, &batch, &[]));
        })
    });
    group.finish();
}

criterion_group!(benches, evaluation);
criterion_main!(benches);
