//! The collectors against the simulator over real loopback Modbus TCP: every fault kind, and
//! healthy devices keeping their schedule while others fail.

use std::time::Duration;

use crate::common::harness::{Finished, Run, root};
use chrono::{DateTime, TimeDelta, Utc};
use lantian::collect::CollectorConfig;
use lantian::quality::Flag;
use lantian::sim::server::Bind;
use lantian::store::{Record, Resolution};
use lantian::units::Parameter;

const HEALTHY: [&str; 6] = [
    "T-A-PM10", "T-A-MET", "T-B-O3", "T-B-PM25", "T-B-PM10", "T-B-MET",
];

fn start() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-01T00:00:00+08:00")
        .unwrap()
        .to_utc()
}

/// Minutes labelled inside the fault window: samples in [+20 min, +50 min) are in the
/// minutes ending +21 … +50.
fn in_window(r: &Record, t0: DateTime<Utc>) -> bool {
    r.time > t0 + TimeDelta::minutes(20) && r.time <= t0 + TimeDelta::minutes(50)
}

fn before_window(r: &Record, t0: DateTime<Utc>) -> bool {
    r.time <= t0 + TimeDelta::minutes(20)
}

fn minutes(run: &Finished, station: &str, p: Parameter) -> Vec<Record> {
    run.series(station, p, Resolution::Minute)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_kind_against_the_simulator() {
    let fixture = root().join("tests/fixtures/two-stations");
    let config = CollectorConfig {
        timeout: Duration::from_millis(150),
        retries: 1,
        backoff_initial: Duration::from_millis(5),
        backoff_max: Duration::from_millis(100),
        ..CollectorConfig::default()
    };
    let t0 = start();
    // ×250: a 10-s poll every 40 ms of real time; 70 simulated minutes take 17 s.
    let run = Run::start(
        &fixture.join("network.toml"),
        &fixture.join("faults.toml"),
        t0,
        250.0,
        config,
        Bind::Loopback(Default::default()),
    )
    .await;

    // In the middle of the fault window, each failing device says why.
    run.clock.sleep_until(t0 + TimeDelta::minutes(35)).await;
    let error = |id: &str| run.health(id).last_error.unwrap_or_default();
    assert!(
        !run.health("T-A-NOX").online,
        "offline device shows offline"
    );
    assert!(
        error("T-A-NOX").contains("connection closed by the device"),
        "offline: {}",
        error("T-A-NOX")
    );
    assert!(
        error("T-A-SO2").contains("no answer in time"),
        "slow: {}",
        error("T-A-SO2")
    );
    assert!(
        error("T-A-CO").contains("exception ServerDeviceFailure"),
        "exception: {}",
        error("T-A-CO")
    );
    assert!(
        !run.health("T-A-PM25").online,
        "garbage frames are failures"
    );
    assert!(
        run.health("T-B-NOX")
            .status
            .iter()
            .any(|s| s.to_lowercase().contains("zero")),
        "calibration bit seen"
    );
    assert!(
        run.health("T-B-SO2")
            .status
            .iter()
            .any(|s| s.to_lowercase().contains("service")),
        "service bit"
    );
    assert!(!run.health("T-B-CO").status.is_empty(), "alarm bit seen");
    for id in HEALTHY {
        assert!(run.health(id).online, "{id} stays online");
    }

    let end = t0 + TimeDelta::minutes(70);
    let done = run.finish(end).await;

    // Healthy devices kept their 10-s schedule: every tick polled, none skipped or failed.
    let ticks = 70 * 6;
    for id in HEALTHY {
        let h = done.health(id);
        assert_eq!(h.successes, h.polls, "{id}: {h:?}");
        assert_eq!(
            h.skipped, 0,
            "{id} skipped polls while others failed: {h:?}"
        );
        assert!(
            h.polls >= ticks - 1 && h.polls <= ticks + 1,
            "{id}: {} polls, expected {ticks}",
            h.polls
        );
    }

    // Offline: no minute in the window, data before and after; nothing invented.
    let nox = minutes(&done, "T-A", Parameter::Nox);
    assert!(
        nox.iter().filter(|r| in_window(r, t0)).count() <= 1,
        "offline minutes must be absent"
    );
    assert!(nox.iter().filter(|r| before_window(r, t0)).count() >= 19);
    assert!(
        nox.iter().any(|r| r.time > t0 + TimeDelta::minutes(55)),
        "recovers after the window"
    );
    let hour = done.series("T-A", Parameter::Nox, Resolution::Hour);
    let first_hour = hour
        .iter()
        .find(|r| r.time == t0 + TimeDelta::hours(1))
        .expect("hour record");
    assert_eq!(
        first_hour.flag,
        Flag::CommError,
        "an hour with 30 minutes missing is B: {first_hour:?}"
    );
    assert!(first_hour.count < 45);

    // Exception and garbage: failures, so minutes are missing in the window as well.
    for (station, p) in [("T-A", Parameter::Co), ("T-A", Parameter::Pm25)] {
        let m = minutes(&done, station, p);
        assert!(
            m.iter().filter(|r| in_window(r, t0)).count() <= 2,
            "{station} {p}: {}",
            m.len()
        );
        let h = done.health(&format!(
            "{station}-{}",
            if p == Parameter::Co { "CO" } else { "PM25" }
        ));
        assert!(h.polls > h.successes && h.online, "{h:?}");
    }

    // Slow: polls time out and ticks are skipped; the device recovers.
    let slow = done.health("T-A-SO2");
    assert!(
        slow.skipped > 0 && slow.polls > slow.successes && slow.online,
        "{slow:?}"
    );

    // Stuck: the same value every minute of the window, changing values outside it.
    let o3 = minutes(&done, "T-A", Parameter::O3);
    let stuck: Vec<f64> = o3
        .iter()
        .filter(|r| in_window(r, t0))
        .map(|r| r.value)
        .collect();
    assert!(stuck.len() >= 28, "stuck values are still delivered");
    assert!(
        stuck.windows(2).all(|w| w[0] == w[1]),
        "stuck values repeat: {stuck:?}"
    );
    let before: Vec<f64> = o3
        .iter()
        .filter(|r| before_window(r, t0))
        .map(|r| r.value)
        .collect();
    assert!(
        before.windows(2).any(|w| w[0] != w[1]),
        "live values change"
    );

    // Status bits become flags: C, M, D in the window, N before it.
    for (p, flag) in [
        (Parameter::No2, Flag::Calibration),
        (Parameter::So2, Flag::Maintenance),
        (Parameter::Co, Flag::Fault),
    ] {
        let m = minutes(&done, "T-B", p);
        let inside: Vec<Flag> = m
            .iter()
            .filter(|r| in_window(r, t0))
            .map(|r| r.flag)
            .collect();
        assert!(
            inside.len() >= 29 && inside.iter().all(|f| *f == flag),
            "{p}: {inside:?}"
        );
        assert!(
            m.iter()
                .filter(|r| before_window(r, t0))
                .all(|r| r.flag == Flag::Normal)
        );
    }
}

/// The two-station fixture collected from 10:00 for `minutes` simulated minutes at ×120 with
/// every sample stored and `poll_spread` set; and station T-B's registry index.
async fn sampled_station_b(poll_spread: f64, minutes: i64) -> (Finished, usize) {
    let fixture = root().join("tests/fixtures/two-stations");
    let config = CollectorConfig {
        store_samples: true,
        poll_spread,
        ..CollectorConfig::default()
    };
    let t0 = start() + TimeDelta::hours(10);
    let run = Run::start(
        &fixture.join("network.toml"),
        &fixture.join("faults.toml"),
        t0,
        120.0,
        config,
        Bind::Loopback(Default::default()),
    )
    .await;
    let done = run.finish(t0 + TimeDelta::minutes(minutes)).await;
    let b = done
        .registry
        .stations
        .iter()
        .position(|s| &*s.id == "T-B")
        .unwrap();
    (done, b)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn values_arrive_exactly_as_simulated() {
    let (done, b) = sampled_station_b(0.0, 6).await;
    // Each sample equals the world's truth at its scheduled time, within the register's
    // resolution: f32 for gases, 0.001 mg/m³ (1 µg/m³) for the BAM, 0.1 for the weather station.
    let cases = [
        (Parameter::O3, 1e-4),
        (Parameter::Pm25, 0.5 + 1e-9),
        (Parameter::Temperature, 0.05 + 1e-9),
        (Parameter::WindSpeed, 0.05 + 1e-9),
    ];
    for (p, tolerance) in cases {
        let samples = done.series("T-B", p, Resolution::Sample);
        assert!(samples.len() >= 30, "{p}: {} samples", samples.len());
        for s in &samples {
            let truth = done.environment.conditions(b, s.time).get(p);
            let error = (s.value - truth).abs();
            let allowed = if p == Parameter::O3 {
                tolerance * truth.abs().max(1.0)
            } else {
                tolerance
            };
            assert!(
                error <= allowed,
                "{p} at {}: stored {} truth {truth}",
                s.time,
                s.value
            );
            assert_eq!(s.flag, Flag::Normal);
        }
        // A minute mean is the mean of its samples.
        let minute = done.series("T-B", p, Resolution::Minute);
        let m = &minute[2];
        let inside: Vec<f64> = samples
            .iter()
            .filter(|s| s.time >= m.time - TimeDelta::minutes(1) && s.time < m.time)
            .map(|s| s.value)
            .collect();
        assert_eq!(inside.len(), 6);
        let mean = inside.iter().sum::<f64>() / 6.0;
        assert!(
            (m.value - mean).abs() < 1e-9 && m.count == 6,
            "{m:?} vs {mean}"
        );
    }
}

/// With `poll_spread`, each connection polls a fixed share of the interval after its tick,
/// and its samples keep the tick's timestamp: every sample of a device equals the world's
/// truth at its tick plus one constant offset, the offsets differ between connections, and
/// stay within the spread.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spread_polls_keep_their_tick() {
    let spread = 0.5;
    let (done, b) = sampled_station_b(spread, 4).await;
    let interval = TimeDelta::seconds(10);
    let mut offsets = Vec::new();
    // O3 (f32 registers) changes measurably within seconds; the offset of its connection is
    // the one (on a 10-ms grid, within the spread) that explains every sample.
    for p in [Parameter::O3, Parameter::No2] {
        let samples = done.series("T-B", p, Resolution::Sample);
        assert!(samples.len() >= 18, "{p}: {} samples", samples.len());
        assert!(
            samples
                .iter()
                .all(|s| s.time.timestamp_subsec_micros() == 0 && s.time.timestamp() % 10 == 0),
            "{p}: samples keep the aligned tick"
        );
        let error_at = |delta: TimeDelta| {
            samples
                .iter()
                .map(|s| {
                    let truth = done.environment.conditions(b, s.time + delta).get(p);
                    (s.value - truth).abs() / truth.abs().max(1.0)
                })
                .fold(0.0, f64::max)
        };
        let limit = (interval.num_milliseconds() as f64 * spread) as i64;
        let (best, error) = (0..limit / 10)
            .map(|k| TimeDelta::milliseconds(10 * k))
            .map(|d| (d, error_at(d)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap();
        // f32 registers, and a poll's own real latency (×120 here) on top of the offset.
        assert!(
            error <= 3e-5,
            "{p}: no offset within the spread explains the samples (best {best}: {error})"
        );
        offsets.push((p, best, error, error_at(TimeDelta::zero())));
    }
    // Two connections, offsets at least 0.5 s apart, and the tick's own truth explains the
    // samples far worse than the offset's (the polls really happened later).
    let apart = (offsets[0].1 - offsets[1].1).abs();
    assert!(apart >= TimeDelta::milliseconds(500), "{offsets:?}");
    assert!(
        offsets
            .iter()
            .all(|o| o.1 < TimeDelta::milliseconds(500) || o.3 > 5.0 * o.2),
        "spread polls read the world after their tick: {offsets:?}"
    );
}
