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

use crate::common::served_sim::{ServedSimulator, compare_with_served, two_stations_on_free_ports};
use crate::common::sim_run::lantian_run;

fn write_config(dir: &Path) -> std::path::PathBuf {
    let network = two_stations_on_free_ports(dir);
    std::fs::write(dir.join("scenario.toml"), "seed = 5\n").unwrap();
    let config = dir.join("lantian.toml");
    std::fs::write(
        &config,
        format!(
            "registry = \"{}\"\nstore = \"sqlite:run.db\"\nscenario = \"scenario.toml\"\n\
             [collect]\ntimeout_ms = 300\n[report]\nout_dir = \"reports\"\n\
             [[job]]\nname = \"hourly-indices\"\nschedule = \"5 * * * *\"\nkind = \"indices\"\n",
            network.display()
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
    // Between two 10-s ticks, so that no poll is asked before a step and answered after it.
    let at = |minutes| (t0 + TimeDelta::minutes(minutes) + TimeDelta::seconds(5)).to_rfc3339();
    // ×300: a simulated minute every 0.2 s. At 16:45 the clock jumps to 17:45; when it reads
    // 18:15 it goes back to 17:15 and reaches 18:15 again an hour later; the run ends near
    // 19:10 (45 + 30 + 60 + 55 simulated minutes ≈ 38 s; it starts 10 minutes early, the
    // anchor being 2 s ahead).
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

    let registry = Registry::load(&dir.path().join("network.toml")).unwrap();
    let store = SqliteStore::open(dir.path().join("run.db")).unwrap();
    let checks = compare_with_served(&store, &registry, &tally);
    let health = store.health().unwrap();
    let (mut stored, mut served, mut displaced) = (0, 0, 0);
    for ((station, parameter), c) in &checks {
        stored += c.stored_minutes;
        served += c.served_minutes;
        assert_eq!(c.late_minutes, 0);
        // Every minute the device answered in is one record, and every record a minute it
        // answered in: none twice, none lost. The simulator labels an answer by when it gave
        // it, the collector by the poll's tick: a poll answered after the end of its tick's
        // minute (more than 10 s of simulated time, 33 ms at ×300, on a busy machine) is the
        // simulator's next minute — across a step, the next minute on the step's far side.
        let minute = TimeDelta::minutes(1);
        let shifts = [
            minute,
            minute + TimeDelta::hours(1),
            minute - TimeDelta::hours(1),
        ];
        for t in &c.stored_unserved {
            assert!(
                shifts.iter().any(|d| c.served(*t + *d)),
                "{station} {parameter}: stored {t}, not served: {c:?}"
            );
        }
        for t in &c.served_unstored {
            assert!(
                shifts.iter().any(|d| c.stored(*t - *d)),
                "{station} {parameter}: served {t}, not stored: {c:?}"
            );
        }
        displaced += c.stored_unserved.len() + c.served_unstored.len();
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
    // The hour the clock jumped over holds nothing: the minutes of 16:46–17:45 (labelled
    // 16:47 … 17:45) were never lived. The hours around it are partial (flagged, not valid).
    let minutes = store
        .readings(&ReadingQuery::new(
            Resolution::Minute,
            t0 + TimeDelta::minutes(47),
            t0 + TimeDelta::minutes(106),
        ))
        .unwrap();
    assert!(minutes.is_empty(), "{:?}", minutes.first());
    let hours = store
        .readings(&ReadingQuery::new(
            Resolution::Hour,
            t0 - TimeDelta::hours(1),
            t0 + TimeDelta::hours(4),
        ))
        .unwrap();
    let labels: std::collections::BTreeSet<_> = hours.iter().map(|r| r.time).collect();
    assert_eq!(
        labels.into_iter().collect::<Vec<_>>(),
        [0, 1, 2, 3].map(|h| t0 + TimeDelta::hours(h)),
        "hours 16:00, 17:00, 18:00 and 19:00 UTC"
    );
    let skipped: u64 = health.iter().map(|h| h.skipped).sum();
    // Polls every 10 s: the jump skips 360 ticks per device (a busy machine skips a few more
    // at ×300, where a tick is 33 ms of real time).
    assert!(health.iter().all(|h| h.skipped >= 359), "{health:?}");
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
        "clock step ±1 h: {stored} minute records stored, {served} served by the simulator \
         ({displaced} minutes where a poll was answered after its tick's minute ended), \
         {} series, \
         {skipped} ticks skipped; T-A PM2.5 hours: {}",
        checks.len(),
        hour_flags.join(", ")
    );
}
