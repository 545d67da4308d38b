//! `lantian run` — collectors, store pipeline and scheduler together — as a user runs it: the
//! simulator and `lantian run` as two processes on the same accelerated clock, then the store
//! is checked for readings, device health and the scheduled job runs.

use std::path::Path;

use chrono::{DateTime, TimeDelta, Timelike, Utc};
use lantian::store::sqlite::SqliteStore;

use crate::common::sim_run::run_beside_simulator;
use lantian::store::{
    HealthStore, JobOutcome, JobOutput, JobRunStore, Jobs, ReadingStore, Resolution,
};

fn write_config(dir: &Path) -> std::path::PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::write(dir.join("scenario.toml"), "seed = 5\n").unwrap();
    let config = dir.join("lantian.toml");
    std::fs::write(
        &config,
        format!(
            "registry = \"{}\"\nstore = \"sqlite:run.db\"\nscenario = \"scenario.toml\"\n\
             [collect]\ntimeout_ms = 300\n[report]\nout_dir = \"reports\"\n\
             [[job]]\nname = \"hourly-indices\"\nschedule = \"5 * * * *\"\nkind = \"indices\"\n\
             [[job]]\nname = \"daily-report\"\nschedule = \"0 1 * * *\"\nkind = \"daily-report\"\n",
            root.join("tests/fixtures/two-stations/network.toml")
                .display()
        ),
    )
    .unwrap();
    config
}

#[test]
fn run_collects_and_runs_the_scheduled_jobs() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path());
    // Both processes read this start and speed: 10 simulated minutes per real second.
    let start = "2026-03-01T16:00:00Z"; // 00:00 on 2 March in Shanghai
    let clock = ["--speed", "600", "--start", start];
    let status = run_beside_simulator(&config, &clock, &["-q"], 9, |_| {});
    assert!(status.success());

    let store = SqliteStore::open(dir.path().join("run.db")).unwrap();
    // 9 real seconds ≈ 90 simulated minutes of collection.
    assert!(store.count_readings(Resolution::Minute).unwrap() > 1_000);
    assert!(store.count_readings(Resolution::Hour).unwrap() > 0);
    assert_eq!(store.health().unwrap().len(), 14);
    assert!(store.health().unwrap().iter().all(|h| h.successes > 0));
    // The hourly job ran at hh:05 (00:05 and 01:05 local), each time once, successfully.
    let runs = store
        .latest_job_runs(&Jobs::one("hourly-indices"), 10)
        .unwrap();
    let t0: DateTime<Utc> = start.parse().unwrap();
    assert!(!runs.is_empty(), "no job run recorded");
    for r in &runs {
        assert_eq!(r.scheduled.minute(), 5, "{r:?}");
        assert!(r.scheduled > t0 && r.scheduled < t0 + TimeDelta::hours(2));
        assert!(matches!(r.outcome, JobOutcome::Succeeded(_)), "{r:?}");
    }
    let mut times: Vec<_> = runs.iter().map(|r| r.scheduled).collect();
    times.dedup();
    assert_eq!(times.len(), runs.len(), "a scheduled time ran twice");
    // The 01:00 daily report (of 1 March, before collection began) ran and wrote its file.
    let daily = store
        .latest_job_runs(&Jobs::one("daily-report"), 10)
        .unwrap();
    assert_eq!(daily.len(), 1, "{daily:?}");
    let JobOutcome::Succeeded(JobOutput::Report { html, .. }) = &daily[0].outcome else {
        panic!("{daily:?}")
    };
    assert!(html.ends_with("daily-2026-03-01.html"), "{html:?}");
    assert!(dir.path().join("reports/daily-2026-03-01.html").exists());
}
