//! The simulator as a process that, when stopped, says what each device served
//! (`lantian sim --served`), and the store compared with it — the truth of the fault and clock
//! tests.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use chrono::{DateTime, Utc};
use lantian::registry::Registry;
use lantian::sim::served::{MinuteRuns, ServedTally};
use lantian::store::sqlite::SqliteStore;
use lantian::store::{ReadingQuery, ReadingStore, Record, Resolution, StationId};
use lantian::units::Parameter;

use super::sim_run::BIN;

/// `lantian --config CONFIG sim CLOCK --served FILE`, stopped with SIGTERM by [`stop`].
///
/// [`stop`]: ServedSimulator::stop
pub(crate) struct ServedSimulator {
    child: Child,
    served: PathBuf,
}

impl ServedSimulator {
    /// Starts the simulator of `config` on `clock`, its tally to go to `served`, and gives it
    /// half a second to listen.
    pub(crate) fn start(config: &Path, clock: &[String], served: PathBuf) -> ServedSimulator {
        let child = Command::new(BIN)
            .arg("--config")
            .arg(config)
            .arg("sim")
            .args(clock)
            .arg("--served")
            .arg(&served)
            .stderr(Stdio::null())
            .spawn()
            .expect("start the simulator");
        std::thread::sleep(std::time::Duration::from_millis(500));
        ServedSimulator { child, served }
    }

    /// Stops the simulator (SIGTERM) and reads what it served.
    pub(crate) fn stop(mut self) -> ServedTally {
        let pid = self.child.id().to_string();
        let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(killed.success());
        let status = self.child.wait().unwrap();
        assert!(status.success(), "the simulator ended with {status}");
        let json = std::fs::read(&self.served).expect("the simulator's tally");
        serde_json::from_slice(&json).unwrap()
    }
}

impl Drop for ServedSimulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Stored against served, for one station's parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SeriesCheck {
    /// Minute records stored.
    pub stored_minutes: u64,
    /// Labels of the minute records stored in which the simulator answered nothing (a poll
    /// asked before a clock step and answered after it is the simulator's on the far side).
    pub stored_unserved: Vec<DateTime<Utc>>,
    /// Labels of the minutes the simulator answered in (up to the last stored minute) that
    /// have no record.
    pub served_unstored: Vec<DateTime<Utc>>,
    /// Minutes the device answered in (up to the last stored minute).
    pub served_minutes: u64,
    /// Minutes answered only late.
    pub late_minutes: u64,
    /// The minutes the simulator answered in.
    pub served_runs: MinuteRuns,
    /// Labels of the minute records stored, in order.
    pub stored_labels: Vec<DateTime<Utc>>,
    /// Labels of the hourly records stored.
    pub stored_hours: Vec<DateTime<Utc>>,
    /// Hours holding a minute the device answered in (complete by the end).
    pub served_hours: u64,
}

/// Every series of `registry`'s polled devices: what the store holds against what `tally`
/// says was served, up to the last minute stored.
pub(crate) fn compare_with_served(
    store: &SqliteStore,
    registry: &Registry,
    tally: &ServedTally,
) -> BTreeMap<(StationId, Parameter), SeriesCheck> {
    let all = |resolution| -> Vec<Record> {
        store
            .readings(&ReadingQuery::new(
                resolution,
                "2000-01-01T00:00:00Z".parse().unwrap(),
                "2100-01-01T00:00:00Z".parse().unwrap(),
            ))
            .unwrap()
    };
    let (minutes, hours) = (all(Resolution::Minute), all(Resolution::Hour));
    let until = minutes
        .iter()
        .map(|r| r.time)
        .max()
        .expect("minutes stored");
    let mut out: BTreeMap<(StationId, Parameter), SeriesCheck> = tally
        .expected(registry, until)
        .into_iter()
        .map(|(key, e)| {
            let check = SeriesCheck {
                stored_minutes: 0,
                stored_unserved: Vec::new(),
                served_unstored: Vec::new(),
                served_runs: MinuteRuns::default(),
                stored_labels: Vec::new(),
                served_minutes: e.minutes,
                late_minutes: e.late_minutes,
                stored_hours: Vec::new(),
                served_hours: e.hours,
            };
            (key, check)
        })
        .collect();
    // Each series' answered minutes, for the stored ones to be looked up in.
    let mut served: BTreeMap<(StationId, Parameter), MinuteRuns> = BTreeMap::new();
    for device in registry.devices() {
        let runs = &tally.devices[&device.id].answered;
        for p in device.profile.parameters() {
            let entry = served.entry((device.station.clone(), p)).or_default();
            *entry = entry.union(runs);
        }
    }
    for r in minutes.iter().chain(&hours) {
        let key = (r.station.clone(), r.parameter);
        let check = out
            .get_mut(&key)
            .unwrap_or_else(|| panic!("stored {r:?}, of no polled device"));
        match r.resolution {
            Resolution::Hour => check.stored_hours.push(r.time),
            _ => {
                check.stored_minutes += 1;
                check.stored_labels.push(r.time);
                let t = r.time.timestamp();
                if !served[&key].runs().iter().any(|&(a, b)| a <= t && t <= b) {
                    check.stored_unserved.push(r.time);
                }
            }
        }
    }
    let mut stored: std::collections::HashSet<(StationId, Parameter, i64)> = minutes
        .iter()
        .map(|r| (r.station.clone(), r.parameter, r.time.timestamp()))
        .collect();
    for (key, runs) in &served {
        let check = out.get_mut(key).expect("a polled series");
        check.served_runs = runs.clone();
        for &(a, b) in runs.runs() {
            for t in (a..=b.min(until.timestamp())).step_by(60) {
                if !stored.remove(&(key.0.clone(), key.1, t)) {
                    let label = DateTime::from_timestamp(t, 0).expect("a minute");
                    check.served_unstored.push(label);
                }
            }
        }
    }
    for check in out.values_mut() {
        check.stored_labels.sort_unstable();
    }
    out
}

impl SeriesCheck {
    /// Whether the simulator answered in the minute labelled `t`.
    pub(crate) fn served(&self, t: DateTime<Utc>) -> bool {
        let t = t.timestamp();
        self.served_runs
            .runs()
            .iter()
            .any(|&(a, b)| a <= t && t <= b)
    }

    /// Whether a minute record labelled `t` is stored.
    pub(crate) fn stored(&self, t: DateTime<Utc>) -> bool {
        self.stored_labels.binary_search(&t).is_ok()
    }
}

/// A copy in `dir` of the two-station fixture's network with its two Modbus gateways on free
/// ports (tests run in parallel, and `lantian sim` serves the addresses its network names),
/// its profiles linked.
pub(crate) fn two_stations_on_free_ports(dir: &Path) -> PathBuf {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/two-stations");
    let port = || format!("127.0.0.1:{}", super::peers::free_port());
    let text = std::fs::read_to_string(fixture.join("network.toml"))
        .unwrap()
        .replace("127.0.0.1:15901", &port())
        .replace("127.0.0.1:15902", &port());
    let path = dir.join("network.toml");
    std::fs::write(&path, text).unwrap();
    std::os::unix::fs::symlink(fixture.join("profiles"), dir.join("profiles")).unwrap();
    path
}
