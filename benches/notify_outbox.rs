//! The notification outbox (SQLite, `synchronous = FULL`): enqueueing one alarm's messages to
//! two channels (one synced commit, what `Notifier::notify` costs the rules), and what a
//! channel's task reads per step with 10,000 messages waiting (the oldest due one, the
//! channel's and the alarm's rate windows).
//!
//! `cargo bench --bench notify_outbox`; under `cargo test` a smoke run of 200 messages.

mod support;

use std::hint::black_box;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use lantian::alarms::lifecycle::{self, Raise};
use lantian::notify::outbox::{NewMessage, Outbox};
use lantian::notify::{AlarmNotice, Notification, Place};
use lantian::store::{
    AlarmKind, AlarmSubject, Averaging, Direction, Measure, Observation, Severity,
};
use lantian::units::Parameter;

fn t0() -> DateTime<Utc> {
    DateTime::from_timestamp(1_780_000_000, 0).unwrap()
}

/// The messages of the `i`-th alarm (station `S{i}`) to `channels`.
fn messages(i: usize, channels: &[&str]) -> Vec<NewMessage> {
    let raise = Raise {
        rule: "pm25_1h".into(),
        subject: AlarmSubject::Station(format!("S{i:05}").into()),
        kind: AlarmKind::Threshold,
        severity: Severity::Major,
        measure: Measure::Value {
            parameter: Parameter::Pm25,
            averaging: Averaging::Hour,
        },
        direction: Direction::Above,
        threshold: 150.0,
        clear_level: 115.0,
        value: Observation {
            time: t0() + TimeDelta::minutes(i as i64),
            value: 186.0,
        },
        warning: None,
        stale: false,
    };
    let opened = lifecycle::open(&raise, raise.value.time).expect("open");
    let n = Notification::Alarm(Box::new(
        AlarmNotice::of_change(&opened, Place::default()).expect("a notice"),
    ));
    channels
        .iter()
        .map(|c| NewMessage {
            key: n.key(c),
            channel: c.to_string(),
            alarm: n.alarm_group(),
            notification: n.clone(),
            suppressed: None,
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let pending = if support::benchmarking() { 10_000 } else { 200 };
    let dir = tempfile::tempdir().expect("temp dir");
    let retain = Duration::from_secs(30 * 86_400);
    let mut outbox = Outbox::open(&dir.path().join("outbox.db"), 1_000_000, retain).expect("open");
    for i in 0..pending {
        outbox
            .enqueue(&messages(i, &["duty"]), t0())
            .expect("enqueue");
    }
    let mut group = c.benchmark_group("notify_outbox");
    group.sample_size(20);
    let mut next = pending;
    group.bench_function("enqueue_one_alarm_two_channels_synced", |b| {
        b.iter(|| {
            next += 1;
            outbox
                .enqueue(black_box(&messages(next, &["mail", "hook"])), t0())
                .expect("enqueue")
        })
    });
    let now = t0() + TimeDelta::days(1);
    group.bench_function(format!("one_step_with_{pending}_waiting"), |b| {
        b.iter(|| {
            let m = outbox.next_due("duty", now).expect("due").expect("one");
            let window = now - TimeDelta::hours(1);
            outbox.sent_since("duty", None, window).expect("channel");
            outbox
                .sent_since("duty", Some(&m.alarm), window)
                .expect("alarm");
            outbox.held("duty", &m.alarm).expect("held")
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
