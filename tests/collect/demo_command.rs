//! `lantian demo` as a user runs it, on the two-station fixture: the collected day starts at
//! local midnight with complete hours, after the simulated history.

use std::path::Path;
use std::process::Command;

use chrono::{TimeDelta, TimeZone};
use lantian::store::sqlite::SqliteStore;
use lantian::store::{Parameters, ReadingQuery, ReadingStore, Resolution, Stations};
use lantian::units::Parameter;

const BIN: &str = env!("CARGO_BIN_EXE_lantian");

/// Regression: the demo started its accelerated clock before computing the history, so the
/// seconds the history took (hours at ×1440) were missing from the start of the collected day.
#[test]
fn the_collected_day_starts_complete_after_the_history() {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::write(dir.path().join("scenario.toml"), "seed = 5\n").unwrap();
    let config = dir.path().join("lantian.toml");
    std::fs::write(
        &config,
        format!(
            "registry = \"{}\"\nscenario = \"scenario.toml\"\n",
            root.join("tests/fixtures/two-stations/network.toml")
                .display()
        ),
    )
    .unwrap();
    let out = Command::new(BIN)
        .current_dir(dir.path())
        .arg("--config")
        .arg(&config)
        .args(["-q", "demo", "--out", "out", "--date", "2026-03-02"])
        .args(["--speed", "2880", "--history-days", "20"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("history: 20 day(s)"), "{stdout}");

    let store = SqliteStore::open(dir.path().join("out/lantian.db")).unwrap();
    let midnight = chrono_tz::Asia::Shanghai
        .with_ymd_and_hms(2026, 3, 2, 0, 0, 0)
        .unwrap()
        .to_utc();
    let hours = store
        .readings(
            &ReadingQuery::new(
                Resolution::Hour,
                midnight + TimeDelta::hours(1),
                midnight + TimeDelta::hours(4),
            )
            .for_stations(Stations::one("T-B"))
            .for_parameters(Parameters::one(Parameter::Pm25)),
        )
        .unwrap();
    // Hours ending 01:00–03:00 of the collected day: 10-s polls, every minute valid but at
    // most the very first one (the connection is being opened).
    assert_eq!(hours.len(), 3, "{hours:?}");
    assert!(hours.iter().all(|h| h.count >= 59), "{hours:?}");
}
