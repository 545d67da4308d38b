//! The fault campaign's shared parts (issue 14, README "Reliability"): the two-station test
//! network on ports of its own (so campaign tests run side by side), `lantian sim` and
//! `lantian run` as real processes on one accelerated time line (a restarted run goes on where
//! the time line has got to), the simulator's truth (every station × parameter × minute its
//! devices measure) and the counts each test prints: expected, stored, duplicated, lost.
//!
//! Lengths: each test runs at a CI-friendly length; `LANTIAN_CAMPAIGN=full` runs the issue's
//! full length (the README figures), e.g.
//! `LANTIAN_CAMPAIGN=full cargo test --test store fault_ -- --nocapture --test-threads=1`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use lantian::registry::Registry;
use lantian::store::{ReadingQuery, Resolution, Store};

use super::harness::root;
use super::sim_run::{Simulator, lantian_run};

/// A minute record's key: station, parameter, label time (unix seconds).
pub(crate) type Key = (String, String, i64);

/// Whether `LANTIAN_CAMPAIGN=full` asks for the full lengths.
pub(crate) fn full() -> bool {
    std::env::var("LANTIAN_CAMPAIGN").is_ok_and(|v| v == "full")
}

/// `ci` at CI length, `full` with `LANTIAN_CAMPAIGN=full`.
pub(crate) fn length<T>(ci: T, full_length: T) -> T {
    if full() { full_length } else { ci }
}

/// Where the campaign's simulated time starts: local midnight (Asia/Shanghai), so that
/// simulated hours are the network's hours.
pub(crate) fn start() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-01T00:00:00+08:00")
        .unwrap()
        .to_utc()
}

/// The seed of a test's random moments: `LANTIAN_CAMPAIGN_SEED`, or the clock (printed by
/// the caller, so that a failure can be replayed).
pub(crate) fn seed() -> u64 {
    std::env::var("LANTIAN_CAMPAIGN_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        })
}

/// A small seeded generator (xorshift64*) for the moments of faults.
pub(crate) struct Moments(u64);

impl Moments {
    /// A generator from `seed`.
    pub(crate) fn new(seed: u64) -> Moments {
        Moments(seed.max(1))
    }

    /// A duration uniformly in `[lo, hi)`.
    pub(crate) fn between(&mut self, lo: Duration, hi: Duration) -> Duration {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let x = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11;
        let unit = x as f64 / (1u64 << 53) as f64;
        lo + (hi - lo).mul_f64(unit)
    }
}

/// A campaign run's folder, configuration and time line, with the simulator once started.
pub(crate) struct Campaign {
    /// The folder (configuration, network, SQLite store, spool, logs).
    pub dir: tempfile::TempDir,
    /// `lantian.toml`.
    pub config: PathBuf,
    /// The network as the runs see it (its own ports).
    pub registry: Registry,
    /// Simulated seconds per real second.
    pub speed: f64,
    begun: Instant,
    /// Where the latest run started on the time line, and for how many real seconds.
    last_run: Option<(DateTime<Utc>, u32)>,
    /// The simulator, once started (drop it to stop it).
    pub sim: Option<Simulator>,
    runs: usize,
}

impl Campaign {
    /// Writes the two-station network on free ports (polled every 10 s) and a configuration
    /// with the store `store(dir)` and the extra TOML `extra` (e.g. a `[spool]` table).
    pub(crate) fn new(speed: f64, store: impl FnOnce(&Path) -> String, extra: &str) -> Campaign {
        let dir = tempfile::tempdir().unwrap();
        let fixture = root().join("tests/fixtures/two-stations");
        let network = std::fs::read_to_string(fixture.join("network.toml"))
            .unwrap()
            .replace(
                "127.0.0.1:15901",
                &format!("127.0.0.1:{}", super::peers::free_port()),
            )
            .replace(
                "127.0.0.1:15902",
                &format!("127.0.0.1:{}", super::peers::free_port()),
            );
        std::fs::write(dir.path().join("network.toml"), network).unwrap();
        std::os::unix::fs::symlink(fixture.join("profiles"), dir.path().join("profiles")).unwrap();
        std::fs::write(dir.path().join("scenario.toml"), "seed = 5\n").unwrap();
        let config = dir.path().join("lantian.toml");
        std::fs::write(
            &config,
            format!(
                "registry = \"network.toml\"\nstore = \"{}\"\nscenario = \"scenario.toml\"\n\
                 [collect]\ntimeout_ms = 1000\n{extra}\n",
                store(dir.path())
            ),
        )
        .unwrap();
        let registry = Registry::load(&dir.path().join("network.toml")).unwrap();
        Campaign {
            dir,
            config,
            registry,
            speed,
            begun: Instant::now(),
            last_run: None,
            sim: None,
            runs: 0,
        }
    }

    /// The simulated time now.
    pub(crate) fn now(&self) -> DateTime<Utc> {
        start() + TimeDelta::from_std(self.begun.elapsed().mul_f64(self.speed)).unwrap()
    }

    /// The clock arguments of a process started now.
    fn clock(&self) -> Vec<String> {
        let at = self
            .now()
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        vec![
            "--speed".into(),
            self.speed.to_string(),
            "--start".into(),
            at,
        ]
    }

    /// Starts `lantian sim` at the start of the time line.
    pub(crate) fn start_simulator(&mut self) {
        self.begun = Instant::now();
        let clock = self.clock();
        let clock: Vec<&str> = clock.iter().map(String::as_str).collect();
        self.sim = Some(Simulator::start(&self.config, &clock));
    }

    /// Starts `lantian run` for `seconds` (real) where the time line has got to; its log goes
    /// to `run-N.log` in the folder.
    pub(crate) fn spawn_run(&mut self, seconds: u32) -> Child {
        self.runs += 1;
        let log =
            std::fs::File::create(self.dir.path().join(format!("run-{}.log", self.runs))).unwrap();
        self.last_run = Some((self.now(), seconds));
        let clock = self.clock();
        let clock: Vec<&str> = clock.iter().map(String::as_str).collect();
        lantian_run(&self.config, &clock, &[], seconds)
            .env("RUST_LOG", "lantian=info,warn")
            .stdout(Stdio::null())
            .stderr(Stdio::from(log))
            .spawn()
            .expect("start lantian run")
    }

    /// Every run's log so far.
    pub(crate) fn logs(&self) -> String {
        (1..=self.runs)
            .map(|n| {
                std::fs::read_to_string(self.dir.path().join(format!("run-{n}.log")))
                    .unwrap_or_default()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Waits until the latest run's log contains `needle` (or panics after `within`).
    pub(crate) fn wait_for_log(&self, needle: &str, within: Duration) {
        let t = Instant::now();
        let path = self.dir.path().join(format!("run-{}.log", self.runs));
        while !std::fs::read_to_string(&path).is_ok_and(|l| l.contains(needle)) {
            assert!(
                t.elapsed() < within,
                "`{needle}` not logged within {within:?}:\n{}",
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits for `run` to end (within `within`, or kills it), checks that it succeeded and
    /// stops the simulator.
    pub(crate) fn finish(&mut self, run: &mut Child, within: Duration) {
        let status = wait_exit(run, within, || self.logs());
        assert!(status.success(), "lantian run failed:\n{}", self.logs());
        drop(self.sim.take());
    }

    /// The minutes the latest run (one not killed) was there to collect: from the first
    /// whole minute after it started to the last whole one before its `--duration` ended on
    /// its own clock (which starts when the process does: its start-up does not shorten it).
    pub(crate) fn covered(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        let (from, seconds) = self.last_run.expect("a run");
        let to = from + TimeDelta::milliseconds((f64::from(seconds) * 1000.0 * self.speed) as i64);
        (
            floor_minute(from) + TimeDelta::minutes(1),
            floor_minute(to) - TimeDelta::minutes(1),
        )
    }

    /// The simulator's truth over `[from, to)`: one minute record per minute for every
    /// parameter of every device (the scenario has no faults: every poll can answer).
    pub(crate) fn expected(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> BTreeSet<Key> {
        let mut keys = BTreeSet::new();
        for d in self.registry.devices() {
            for p in d.profile.parameters() {
                let mut t = floor_minute(from);
                while t < to {
                    keys.insert((d.station.to_string(), p.to_string(), t.timestamp()));
                    t += TimeDelta::minutes(1);
                }
            }
        }
        keys
    }
}

/// `t` down to its minute.
pub(crate) fn floor_minute(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(t.timestamp() - t.timestamp().rem_euclid(60), 0).unwrap()
}

/// What a test saw: readings expected from the simulator's truth, stored, duplicated, lost.
#[derive(Debug, Clone, Default)]
pub(crate) struct Counts {
    /// Minute records the simulator's truth says were there to collect.
    pub expected: usize,
    /// Of those, stored.
    pub stored: usize,
    /// Rows stored more than once under one key (the store's rows less its distinct keys).
    pub duplicated: usize,
    /// Expected and not stored.
    pub lost: BTreeSet<Key>,
}

impl Counts {
    /// Counts the minute records of `store` against the truth `expected`.
    pub(crate) fn of(store: &dyn Store, expected: &BTreeSet<Key>) -> Counts {
        let (Some(first), Some(last)) = (
            expected.iter().map(|k| k.2).min(),
            expected.iter().map(|k| k.2).max(),
        ) else {
            return Counts::default();
        };
        let rows = store
            .readings(&ReadingQuery::new(
                Resolution::Minute,
                DateTime::from_timestamp(first, 0).unwrap(),
                DateTime::from_timestamp(last + 1, 0).unwrap(),
            ))
            .unwrap();
        let keys: BTreeSet<Key> = rows
            .iter()
            .map(|r| {
                (
                    r.station.to_string(),
                    r.parameter.to_string(),
                    r.time.timestamp(),
                )
            })
            .collect();
        Counts {
            expected: expected.len(),
            stored: expected.intersection(&keys).count(),
            duplicated: rows.len() - keys.len(),
            lost: expected.difference(&keys).cloned().collect(),
        }
    }

    /// The first few lost keys, for a failure message.
    pub(crate) fn some_lost(&self) -> String {
        let first: Vec<String> = self.lost.iter().take(8).map(|k| format!("{k:?}")).collect();
        format!("{} lost, e.g. {}", self.lost.len(), first.join(", "))
    }

    /// Every expected reading stored, none twice (`logs`: the runs' logs, for a failure).
    pub(crate) fn assert_stored_once(&self, logs: &str) {
        assert!(self.expected > 0, "nothing expected");
        assert_eq!(self.duplicated, 0, "readings stored twice");
        assert!(self.lost.is_empty(), "{}\n{logs}", self.some_lost());
    }

    /// The one-line summary every campaign test prints.
    pub(crate) fn print(&self, test: &str, detail: &str) {
        println!(
            "campaign {test} ({}): expected {}, stored {}, duplicated {}, lost {}; {detail}",
            if full() { "full length" } else { "CI length" },
            self.expected,
            self.stored,
            self.duplicated,
            self.lost.len()
        );
    }
}

/// Resident memory of process `pid` in KiB (`VmRSS`), `None` once it is gone.
pub(crate) fn rss_kib(pid: u32) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// Sends `signal` (`STOP`, `CONT`, `KILL`) to `pid` with kill(1).
pub(crate) fn signal(pid: u32, signal: &str) {
    let status = std::process::Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status()
        .unwrap();
    assert!(status.success(), "kill -{signal} {pid}");
}

/// Waits for `child` to exit within `within`, or kills it and panics with `logs`.
pub(crate) fn wait_exit(
    child: &mut Child,
    within: Duration,
    logs: impl Fn() -> String,
) -> std::process::ExitStatus {
    let t = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if t.elapsed() > within {
            let _ = child.kill();
            let _ = child.wait();
            panic!("lantian run did not stop within {within:?}:\n{}", logs());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
