//! A clock step of an hour forward and, later, an hour back, during collection: the simulator
//! and `lantian run` as two processes on one accelerated clock given the same steps (as when
//! the machine's clock is set), then the store compared with what the simulator served. No
//! minute or hour is stored twice or missing against the simulator's truth, the hourly series
//! has no hole, and the collector says what happened.

use std::path::Path;

use chrono::{DateTime, TimeDelta, Utc};
use lantian::registry::Registry;
use lantian::store::sqlite::SqliteStore;
use lantian::store::{HealthStore, ReadingQuery, ReadingStore, Resolution};

use crate::common::served_sim::{ServedSimulator, compare_with_served};
use crate::common::sim_run::lantian_run;

fn write_config(dir: &Path) -> std::path::PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::write(dir.join("scenario.toml"), "seed = 5\n").unwrap();
    let config = dir.join("lantian.toml");
    std::fs::write(
        &config,
        format!(
            "registry = \"{}\"\nstore = \"sqlite:run.db\"\nscenario = \"scenario.toml\"\n\
             [collect]\ntimeout_ms = 300\n[report]\nout_dir = \"reports\"\n\
             [[job]]\nname = \"hourly-indices\"\nschedule = \"5 * * * *\"\nkind = \"indices\"\n",
            root.join("tests/fixtures/two-stations/network.toml")
                .display()
        ),
    )
    .unwrap();
    config
}

#[test]
fn clock_steps_forward_and_back_lose_and_duplicate_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path());
    let t0: DateTime<Utc> = "2026-03-01T16:00:00Z".parse().unwrap();
    let at = |minutes| (t0 + TimeDelta::minutes(minutes)).to_rfc3339();
    // ×300: a simulated minute every 0.2 s. At 16:45 the clock jumps to 17:45; when it reads
    // 18:15 it goes back to 17:15 and reaches 18:15 again an hour later; the run ends near
    // 19:10 (45 + 30 + 60 + 55 simulated minutes ≈ 38 s).
    let anchor = (Utc::now() + TimeDelta::seconds(2)).to_rfc3339();
    let clock: Vec<String> = [
        "--speed",
        "300",
        "--start",
        &t0.to_rfc3339(),
        "--anchor",
        &anchor,
        "--clock-step",
        &format!("{}=3600", at(45)),
        "--clock-step",
        &format!("{}=-3600", at(135)),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let sim = ServedSimulator::start(&config, &clock, dir.path().join("served.json"));
    let clock_args: Vec<&str> = clock.iter().map(String::as_str).collect();
    let output = lantian_run(&config, &clock_args, &[], 40)
        .output()
        .expect("run lantian");
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{log}");
    let tally = sim.stop();

    // The collector said what it did, once per step.
    assert_eq!(
        log.matches("the clock jumped forward by 1h 00m").count(),
        1,
        "{log}"
    );
    assert_eq!(
        log.matches("the clock went back by 1h 00m").count(),
        1,
        "{log}"
    );

    let registry = Registry::load(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/two-stations/network.toml"),
    )
    .unwrap();
    let store = SqliteStore::open(dir.path().join("run.db")).unwrap();
    let checks = compare_with_served(&store, &registry, &tally);
    let (mut stored, mut served) = (0, 0);
    for ((station, parameter), c) in &checks {
        stored += c.stored_minutes;
        served += c.served_minutes;
        assert_eq!(c.late_minutes, 0);
        // Every minute the device answered in is one record: none twice, none lost.
        assert_eq!(
            c.stored_minutes, c.served_minutes,
            "{station} {parameter}: {c:?}"
        );
        // Every hour it answered in has its record, and the hours follow one another.
        assert_eq!(
            c.stored_hours.len() as u64,
            c.served_hours,
            "{station} {parameter}: {c:?}"
        );
        for pair in c.stored_hours.windows(2) {
            assert_eq!(
                pair[1] - pair[0],
                TimeDelta::hours(1),
                "{station} {parameter}: {c:?}"
            );
        }
    }
    // The hour the clock jumped over holds nothing: the minutes of 16:45–17:45 were never
    // lived. The hours around it are partial (flagged, not valid).
    let minutes = store
        .readings(&ReadingQuery::new(
            Resolution::Minute,
            t0 + TimeDelta::minutes(46),
            t0 + TimeDelta::minutes(106),
        ))
        .unwrap();
    assert!(minutes.is_empty(), "{:?}", minutes.first());
    let hours = store
        .readings(&ReadingQuery::new(
            Resolution::Hour,
            t0,
            t0 + TimeDelta::hours(4),
        ))
        .unwrap();
    let labels: std::collections::BTreeSet<_> = hours.iter().map(|r| r.time).collect();
    assert_eq!(
        labels.into_iter().collect::<Vec<_>>(),
        [1, 2, 3].map(|h| t0 + TimeDelta::hours(h)),
        "hours 17:00, 18:00 and 19:00 UTC"
    );
    let health = store.health().unwrap();
    let skipped: u64 = health.iter().map(|h| h.skipped).sum();
    // Polls every 10 s: the jump skips 360 ticks per device (give or take the ones around it).
    assert!(
        health.iter().all(|h| (355..=365).contains(&h.skipped)),
        "{health:?}"
    );
    let hour_flags: Vec<String> = hours
        .iter()
        .filter(|r| r.station.as_ref() == "T-A" && r.parameter.code() == "pm25")
        .map(|r| {
            format!(
                "{} {} ({} valid minutes)",
                r.time.format("%H:%M"),
                r.flag,
                r.count
            )
        })
        .collect();
    println!(
        "clock step ±1 h: {stored} minute records stored, {served} served by the simulator, \
         {} series, {skipped} ticks skipped; T-A PM2.5 hours: {}",
        checks.len(),
        hour_flags.join(", ")
    );
}
