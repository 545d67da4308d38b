//! Alarms in SQLite: listing 10,000 open alarms (the target: under 50 ms) among
//! 30,000 closed ones, looking up the open alarm of a rule and subject, and one step of the
//! lifecycle (an update of the open alarm: read, step, one transaction).
//!
//! `cargo bench --bench alarms_store`; under `cargo test` a smoke run with 500 open alarms.

mod support;

use std::hint::black_box;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use lantian::alarms::lifecycle;
use lantian::alarms::{AlarmBook, Raise};
use lantian::store::sqlite::SqliteStore;
use lantian::store::{
    AlarmKind, AlarmQuery, AlarmState, AlarmStore, AlarmSubject, Averaging, Direction, Filter,
    Measure, Observation, Severity,
};
use lantian::units::Parameter;

const PARAMETERS: [Parameter; 5] = [
    Parameter::Pm25,
    Parameter::Pm10,
    Parameter::O3,
    Parameter::No2,
    Parameter::So2,
];

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 1, 0, 0, 0).unwrap()
}

/// A value of rule `r1h` for station `s`, parameter `p`, at `minutes`.
fn raise(s: usize, p: Parameter, minutes: i64, value: f64) -> Raise {
    Raise {
        rule: "r1h".into(),
        subject: AlarmSubject::StationParameter(format!("S{s:04}").into(), p),
        kind: AlarmKind::Threshold,
        severity: Severity::Major,
        measure: Measure::Value {
            parameter: p,
            averaging: Averaging::Hour,
        },
        direction: Direction::Above,
        threshold: 150.0,
        clear_level: 115.0,
        value: Observation {
            time: t0() + TimeDelta::minutes(minutes),
            value,
        },
        warning: None,
        stale: false,
    }
}

/// A store with `open` open alarms (stations × 5 parameters) and three closed ones before
/// each, written in transactions of 1,000 alarms.
fn filled(path: &std::path::Path, open: usize) -> SqliteStore {
    let mut store = SqliteStore::open(path).expect("open");
    let subjects: Vec<(usize, Parameter)> = (0..open / PARAMETERS.len())
        .flat_map(|s| PARAMETERS.map(|p| (s, p)))
        .collect();
    for (round, hours) in [0, 24, 48, 72].into_iter().enumerate() {
        for chunk in subjects.chunks(1000) {
            let (mut alarms, mut actions) = (Vec::new(), Vec::new());
            for &(s, p) in chunk {
                let minutes = hours * 60 + (s % 60) as i64;
                let mut c = lifecycle::open(&raise(s, p, minutes, 180.0), t0()).expect("open");
                actions.extend(c.action.take());
                if round < 3 {
                    let end = t0() + TimeDelta::minutes(minutes + 120);
                    c = lifecycle::clear(&c.alarm, end, TimeDelta::zero())
                        .expect("clear")
                        .expect("closed");
                    actions.extend(c.action.take());
                }
                alarms.push(c.alarm);
            }
            store.put_alarms(&alarms, &actions).expect("write");
        }
    }
    store
}

fn bench(c: &mut Criterion) {
    let open = if support::benchmarking() { 10_000 } else { 500 };
    let dir = tempfile::tempdir().expect("temp dir");
    let mut store = filled(&dir.path().join("alarms.db"), open);
    let span = store.alarms_span().expect("span").expect("alarms");
    let mut query = AlarmQuery::new(span.first, span.end());
    query.states = Filter::only([AlarmState::Open, AlarmState::Acknowledged]);
    assert_eq!(store.alarms(&query).expect("list").len(), open);

    // CPU time besides criterion's wall time: the machine the figures come from is shared,
    // and a listing is one thread's work, so its CPU time is its time on an idle machine.
    let runs = 30;
    let (cpu, wall) = (support::cpu_seconds("self"), std::time::Instant::now());
    for _ in 0..runs {
        black_box(store.alarms(&query).expect("list"));
    }
    println!(
        "listing {open} open alarms: {:.1} ms CPU, {:.1} ms wall per listing ({runs} runs)",
        (support::cpu_seconds("self") - cpu) * 1000.0 / runs as f64,
        wall.elapsed().as_secs_f64() * 1000.0 / runs as f64
    );

    let mut group = c.benchmark_group("alarms_store");
    group.sample_size(20);
    group.bench_function(format!("list_{open}_open_alarms"), |b| {
        b.iter(|| store.alarms(black_box(&query)).expect("list"))
    });
    let subject = AlarmSubject::StationParameter("S0001".into(), Parameter::O3);
    group.bench_function("open_alarm_of_rule_and_subject", |b| {
        b.iter(|| store.open_alarm("r1h", black_box(&subject)).expect("open"))
    });
    let mut value = 200.0;
    group.bench_function("raise_updates_the_open_alarm", |b| {
        b.iter(|| {
            // A new peak each time: a write every iteration.
            value += 0.5;
            let mut book = AlarmBook::new(&mut store);
            book.raise(&raise(1, Parameter::O3, 72 * 60 + 61, value), t0())
                .expect("raise")
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
