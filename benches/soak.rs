//! The soak: `lantian sim` and `lantian run` as two processes on one accelerated clock with the
//! demo network (its scenario, its default jobs), for a given wall-clock time. Every
//! `--sample-every` seconds the resident memory and open file descriptors of both processes,
//! the spool's depth and the store file's size go to `samples.csv`; at the end the store is
//! compared with what the simulator served (`lantian sim --served`): per station and
//! parameter, the minute and hourly records, and the spool must be empty.
//!
//! ```text
//! cargo bench --bench soak -- [--minutes 45] [--speed 600] [--sample-every 10] [--out target/soak]
//!                             [--network stations/dongguan.toml] [--scenario stations/scenarios/dongguan-demo.toml]
//!                             [--lantian PATH]
//! ```
//! The network and scenario run from copies in the output folder whose loopback ports are
//! free ones chosen at the start, so that two soaks (a long one and CI's smoke run) can share a
//! machine; the run listens for the scenario's HJ 212 loggers at its `[hj212] platform`.
//! `--lantian` runs another build of the binary (a copy of an earlier one, to compare two
//! builds at the same speed); by default the one this bench was built with.
//! A full soak is `--minutes 1440 --speed 60` (24 hours, two simulated months). Without
//! `--bench` (under `cargo test --all-targets`) it makes a 20-second smoke run at ×60.
//! `--compare-only` compares the store and the tally a run left in `--out` again (after a
//! replay of the spool by `lantian collect`, say).
//! Exits non-zero when the counts differ or the spool is not empty.

mod support;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use lantian::registry::{PwSource, Registry};
use lantian::sim::served::{Expected, ServedTally};
use lantian::store::spool::Spool;
use lantian::store::sqlite::SqliteStore;
use lantian::store::{HealthStore, Resolution};

struct Args {
    minutes: f64,
    speed: f64,
    sample_every: f64,
    out: PathBuf,
    network: PathBuf,
    scenario: PathBuf,
    lantian: PathBuf,
}

/// Where the scenario's HJ 212 loggers upload (its `[hj212] platform`, the demo's port when it
/// has none): the run listens there.
fn hj212_listen(scenario: &Path) -> String {
    let text =
        std::fs::read_to_string(scenario).unwrap_or_else(|e| panic!("{}: {e}", scenario.display()));
    let table: toml::Table =
        toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", scenario.display()));
    table
        .get("hj212")
        .and_then(|h| h.get("platform"))
        .and_then(toml::Value::as_str)
        .unwrap_or("127.0.0.1:9212")
        .to_string()
}

fn args() -> Args {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (minutes, speed) = if support::benchmarking() {
        (45.0, 600.0)
    } else {
        (20.0 / 60.0, 60.0)
    };
    let sample_every = if support::benchmarking() { 10.0 } else { 2.0 };
    let absolute = |p: PathBuf| if p.is_absolute() { p } else { root.join(p) };
    Args {
        minutes: support::option("--minutes").unwrap_or(minutes),
        speed: support::option("--speed").unwrap_or(speed),
        sample_every: support::option("--sample-every").unwrap_or(sample_every),
        out: absolute(support::option("--out").unwrap_or_else(|| "target/soak".into())),
        network: absolute(
            support::option("--network").unwrap_or_else(|| "stations/dongguan.toml".into()),
        ),
        scenario: absolute(
            support::option("--scenario")
                .unwrap_or_else(|| "stations/scenarios/dongguan-demo.toml".into()),
        ),
        lantian: support::option("--lantian")
            .unwrap_or_else(|| env!("CARGO_BIN_EXE_lantian").into()),
    }
}

/// Copies of the network and the scenario in `out/stations/` with every loopback port
/// (`127.0.0.1:PORT`: the gateways, the HJ 212 platform) moved to a free one, beside a link to
/// the network's profiles: the soak never meets a port another run holds (a long soak and
/// CI's smoke run on one machine).
fn relocated(network: &Path, scenario: &Path, out: &Path) -> (PathBuf, PathBuf) {
    let read =
        |p: &Path| std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    let (network_text, scenario_text) = (read(network), read(scenario));
    let prefix = "127.0.0.1:";
    let mut moved: BTreeMap<String, String> = BTreeMap::new();
    // Held until every port is chosen, so that no two are the same.
    let mut held = Vec::new();
    let mut relocate = |text: &str| -> String {
        let mut result = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(at) = rest.find(prefix) {
            let after = &rest[at + prefix.len()..];
            let digits = after.bytes().take_while(u8::is_ascii_digit).count();
            result.push_str(&rest[..at + prefix.len()]);
            if digits > 0 {
                let port = moved.entry(after[..digits].to_string()).or_insert_with(|| {
                    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
                    let port = listener.local_addr().unwrap().port().to_string();
                    held.push(listener);
                    port
                });
                result.push_str(port);
            }
            rest = &after[digits..];
        }
        result.push_str(rest);
        result
    };
    let (network_text, scenario_text) = (relocate(&network_text), relocate(&scenario_text));
    drop(held);
    let folder = out.join("stations");
    std::fs::create_dir_all(&folder).unwrap();
    std::os::unix::fs::symlink(
        network
            .parent()
            .unwrap()
            .join("profiles")
            .canonicalize()
            .unwrap(),
        folder.join("profiles"),
    )
    .unwrap();
    let copy = |original: &Path, text: &str| {
        let path = folder.join(original.file_name().unwrap());
        std::fs::write(&path, text).unwrap();
        path
    };
    (copy(network, &network_text), copy(scenario, &scenario_text))
}

/// A child process that is killed if the runner panics.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Process {
    fn pid(&self) -> String {
        self.0.id().to_string()
    }
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let args = args();
    if std::env::args().any(|a| a == "--compare-only") {
        let registry = Registry::load(&args.network).unwrap();
        let out = args.out.canonicalize().unwrap();
        let (text, ok) = check(&registry, &out);
        print!("{text}");
        std::process::exit(i32::from(!ok));
    }
    let _ = std::fs::remove_dir_all(&args.out);
    std::fs::create_dir_all(&args.out).unwrap();
    let out = args.out.canonicalize().unwrap();
    // A copy of the binary: a rebuild during a long soak must not change what runs.
    let bin = out.join("lantian");
    std::fs::copy(&args.lantian, &bin).unwrap();
    let (network, scenario) = relocated(&args.network, &args.scenario, &out);
    let config = out.join("lantian.toml");
    std::fs::write(
        &config,
        format!(
            "registry = \"{}\"\nstore = \"sqlite:soak.db\"\nscenario = \"{}\"\n\
             [report]\nout_dir = \"reports\"\n[hj212]\nlisten = \"{}\"\n",
            network.display(),
            scenario.display(),
            hj212_listen(&scenario)
        ),
    )
    .unwrap();
    // The default jobs' forecast model.
    std::os::unix::fs::symlink(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("models"),
        out.join("models"),
    )
    .unwrap();
    let registry = Registry::load(&args.network).unwrap();
    // The network's HJ 212 micro-stations: the same PW for the simulator's loggers and the
    // run's listener, from the environment as a deployment gives it.
    let passwords: Vec<(String, String)> = registry
        .hj212_devices()
        .filter_map(|d| match &d.pw {
            PwSource::Env(var) => Some((var.clone(), format!("soak-{}", d.mn))),
            PwSource::File(_) => None,
        })
        .collect();
    let run_seconds = args.minutes * 60.0;
    // Midnight in Shanghai; both processes' clocks read it at the same wall-clock instant.
    let start: DateTime<Utc> = "2026-03-01T16:00:00Z".parse().unwrap();
    let anchor = Utc::now() + TimeDelta::seconds(2);
    let clock = [
        "--speed".to_string(),
        args.speed.to_string(),
        "--start".to_string(),
        start.to_rfc3339(),
        "--anchor".to_string(),
        anchor.to_rfc3339(),
    ];
    eprintln!(
        "soak: {} devices, {:.0} min at ×{} ≈ {:.1} simulated days; output in {}",
        registry.devices().count(),
        args.minutes,
        args.speed,
        run_seconds * args.speed / 86_400.0,
        out.display()
    );
    let log = |name: &str| std::fs::File::create(out.join(name)).unwrap();
    let served = out.join("served.json");
    let sim = Process(
        Command::new(&bin)
            .current_dir(&out)
            .arg("--config")
            .arg(&config)
            .arg("sim")
            .args(&clock)
            .envs(passwords.iter().cloned())
            .arg("--served")
            .arg(&served)
            .stderr(log("sim.log"))
            .spawn()
            .expect("start the simulator"),
    );
    std::thread::sleep(Duration::from_secs(1));
    let mut run = Process(
        Command::new(&bin)
            .current_dir(&out)
            .arg("--config")
            .arg(&config)
            .arg("run")
            .args(&clock)
            .envs(passwords.iter().cloned())
            .args([
                "--duration",
                &run_seconds.to_string(),
                "--report-every",
                "60",
            ])
            .stderr(log("run.log"))
            .stdout(Stdio::null())
            .spawn()
            .expect("start lantian run"),
    );

    let spool_dir = out.join("soak.db-spool");
    let store_file = out.join("soak.db");
    let mut csv = log("samples.csv");
    writeln!(
        csv,
        "elapsed_s,run_rss_mib,run_fds,sim_rss_mib,sim_fds,spool_records,store_mib"
    )
    .unwrap();
    let t0 = Instant::now();
    let (mut run_rss, mut run_fds, mut sim_rss, mut sim_fds) = (vec![], vec![], vec![], vec![]);
    let mut max_spool = 0;
    let exit = loop {
        if let Some(status) = run.0.try_wait().unwrap() {
            break status;
        }
        let elapsed = t0.elapsed().as_secs_f64();
        let spool = Spool::inspect(&spool_dir)
            .map(|i| i.depth.records)
            .unwrap_or(0);
        max_spool = max_spool.max(spool);
        let store_mib = std::fs::metadata(&store_file).map_or(0, |m| m.len()) as f64 / 1048576.0;
        let sample = (
            support::rss_mib(&run.pid()),
            support::open_fds(&run.pid()),
            support::rss_mib(&sim.pid()),
            support::open_fds(&sim.pid()),
        );
        writeln!(
            csv,
            "{elapsed:.0},{:.1},{},{:.1},{},{spool},{store_mib:.0}",
            sample.0, sample.1, sample.2, sample.3
        )
        .unwrap();
        csv.flush().unwrap();
        run_rss.push((elapsed, sample.0));
        run_fds.push((elapsed, sample.1 as f64));
        sim_rss.push((elapsed, sample.2));
        sim_fds.push((elapsed, sample.3 as f64));
        std::thread::sleep(Duration::from_secs_f64(args.sample_every));
    };
    let wall = t0.elapsed().as_secs_f64();
    // The simulator writes what it served when stopped.
    let sim_pid = sim.pid();
    Command::new("kill")
        .args(["-TERM", &sim_pid])
        .status()
        .unwrap();
    let mut sim = sim;
    let sim_exit = sim.0.wait().unwrap();
    assert!(exit.success(), "lantian run failed: {exit} (see run.log)");
    assert!(sim_exit.success(), "the simulator failed: {sim_exit}");

    let hours = |points: &[(f64, f64)]| -> Vec<(f64, f64)> {
        // The first minute is start-up (history, connections): slopes from then on.
        points
            .iter()
            .filter(|p| p.0 >= 60.0)
            .map(|&(t, v)| (t / 3600.0, v))
            .collect()
    };
    let summary = |name: &str, points: &[(f64, f64)], unit: &str| {
        let first = points.iter().find(|p| p.0 >= 60.0).map_or(0.0, |p| p.1);
        let end = points.last().map_or(0.0, |p| p.0);
        // The sample nearest the middle of the run, and the slope over its second half: a
        // cache still filling shows in the first half, growth without a bound in both.
        let middle = points
            .iter()
            .find(|p| p.0 >= end / 2.0)
            .map_or(0.0, |p| p.1);
        let last = points.last().map_or(0.0, |p| p.1);
        let max = points.iter().map(|p| p.1).fold(0.0, f64::max);
        let second_half: Vec<(f64, f64)> = points
            .iter()
            .filter(|p| p.0 >= end / 2.0)
            .map(|&(t, v)| (t / 3600.0, v))
            .collect();
        format!(
            "{name:<22} {first:.1} → {middle:.1} → {last:.1} {unit} (start, middle, end; max {max:.1}; \
             slope {:+.2} {unit}/h after the first minute, {:+.2} {unit}/h over the second half)",
            support::slope(&hours(points)),
            support::slope(&second_half)
        )
    };
    let mut text = String::new();
    let simulated = TimeDelta::seconds((wall * args.speed) as i64);
    writeln!(
        text,
        "soak                   {:.1} min wall at ×{} = {:.1} simulated days from {}; load {}",
        wall / 60.0,
        args.speed,
        simulated.num_seconds() as f64 / 86_400.0,
        start,
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    )
    .unwrap();
    writeln!(text, "{}", summary("collector RSS", &run_rss, "MiB")).unwrap();
    writeln!(text, "{}", summary("collector open fds", &run_fds, "")).unwrap();
    writeln!(text, "{}", summary("simulator RSS", &sim_rss, "MiB")).unwrap();
    writeln!(text, "{}", summary("simulator open fds", &sim_fds, "")).unwrap();
    writeln!(
        text,
        "spool                  at most {max_spool} records waiting"
    )
    .unwrap();
    let (counts, ok) = check(&registry, &out);
    text += &counts;
    print!("{text}");
    std::fs::write(out.join("summary.txt"), &text).unwrap();
    if !ok {
        eprintln!("soak: FAILED (counts differ or the spool is not empty)");
        std::process::exit(1);
    }
}

/// The store in `out` against the simulator's tally there, the spool, the devices' health:
/// the text, and whether the counts agree and the spool is empty.
fn check(registry: &Registry, out: &Path) -> (String, bool) {
    let spool_dir = out.join("soak.db-spool");
    let store_file = out.join("soak.db");
    let served = out.join("served.json");
    let tally: ServedTally =
        serde_json::from_slice(&std::fs::read(&served).expect("the simulator's served.json"))
            .unwrap();
    let spool_left = Spool::inspect(&spool_dir).unwrap().depth;
    let mut counts = stored_counts(&store_file);
    // The HJ 212 micro-stations upload through their loggers, which the simulator's tally of
    // Modbus answers does not cover: counted apart.
    let loggers: std::collections::BTreeSet<String> = registry
        .hj212_devices()
        .map(|d| d.station.to_string())
        .collect();
    let (uploaded, modbus): (BTreeMap<_, _>, BTreeMap<_, _>) = std::mem::take(&mut counts)
        .into_iter()
        .partition(|((station, _), _)| loggers.contains(station));
    counts = modbus;
    let uploaded: Vec<Stored> = uploaded.into_values().collect();
    let last_minute = counts
        .values()
        .filter_map(|c| c.last_minute)
        .max()
        .expect("no minute stored");
    let until = DateTime::from_timestamp(last_minute, 0).unwrap();
    let expected = tally.expected(registry, until);
    let report = compare(&expected, &counts);
    let store = SqliteStore::open(&store_file).unwrap();
    let health = store.health().unwrap();
    let polls: u64 = health.iter().map(|h| h.polls).sum();
    let successes: u64 = health.iter().map(|h| h.successes).sum();
    let skipped: u64 = health.iter().map(|h| h.skipped).sum();

    let mut text = String::new();
    writeln!(
        text,
        "polls                  {polls} ({:.3} % answered), skipped ticks {skipped}",
        100.0 * successes as f64 / polls.max(1) as f64
    )
    .unwrap();
    writeln!(
        text,
        "spool                  at the end {} entries, {} records",
        spool_left.entries, spool_left.records
    )
    .unwrap();
    writeln!(
        text,
        "HJ 212 micro-stations  {} series: {} minute and {} hourly records uploaded by {} loggers",
        uploaded.len(),
        uploaded.iter().map(|c| c.minutes).sum::<u64>(),
        uploaded.iter().map(|c| c.hours).sum::<u64>(),
        loggers.len()
    )
    .unwrap();
    text += &report.text;
    (text, report.equal && spool_left.records == 0)
}

/// What the store holds of one station's parameter.
#[derive(Debug, Default, Clone, Copy)]
struct Stored {
    minutes: u64,
    hours: u64,
    last_minute: Option<i64>,
}

/// Minute and hourly records per station and parameter, straight from the SQLite file.
fn stored_counts(file: &Path) -> BTreeMap<(String, String), Stored> {
    let db = rusqlite::Connection::open(file).unwrap();
    let mut q = db
        .prepare(
            "SELECT station, parameter, resolution, COUNT(*), MAX(time) FROM readings \
             GROUP BY station, parameter, resolution",
        )
        .unwrap();
    let mut out: BTreeMap<(String, String), Stored> = BTreeMap::new();
    let rows = q
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, i64>(4)?,
            ))
        })
        .unwrap();
    for row in rows {
        let (station, parameter, resolution, count, last) = row.unwrap();
        let entry = out.entry((station, parameter)).or_default();
        match resolution.parse::<Resolution>() {
            Ok(Resolution::Minute) => {
                entry.minutes = count as u64;
                // The store keeps milliseconds.
                entry.last_minute = Some(last / 1000);
            }
            Ok(Resolution::Hour) => entry.hours = count as u64,
            _ => {}
        }
    }
    out
}

struct Comparison {
    equal: bool,
    text: String,
}

/// Stored against expected, per station and parameter; the differences listed.
fn compare(
    expected: &BTreeMap<(lantian::store::StationId, lantian::units::Parameter), Expected>,
    stored: &BTreeMap<(String, String), Stored>,
) -> Comparison {
    let (mut want_m, mut want_h, mut got_m, mut got_h, mut late) = (0, 0, 0, 0, 0);
    let mut differences = Vec::new();
    for ((station, parameter), e) in expected {
        let s = stored
            .get(&(station.to_string(), parameter.code().to_string()))
            .copied()
            .unwrap_or_default();
        want_m += e.minutes;
        want_h += e.hours;
        got_m += s.minutes;
        got_h += s.hours;
        late += e.late_minutes;
        let minutes_ok = s.minutes >= e.minutes && s.minutes <= e.minutes + e.late_minutes;
        if !minutes_ok || s.hours != e.hours {
            differences.push(format!(
                "  {station} {parameter}: minutes stored {} expected {} (+{} late), hours stored {} expected {}",
                s.minutes, e.minutes, e.late_minutes, s.hours, e.hours
            ));
        }
    }
    let series_extra = stored.len().saturating_sub(expected.len());
    let mut text = String::new();
    writeln!(
        text,
        "minute records         stored {got_m}, served by the simulator {want_m} (+{late} answered late)"
    )
    .unwrap();
    writeln!(
        text,
        "hourly records         stored {got_h}, expected from what was served {want_h}"
    )
    .unwrap();
    writeln!(
        text,
        "series                 {} expected, {} stored; {} differ",
        expected.len(),
        stored.len(),
        differences.len()
    )
    .unwrap();
    for d in differences.iter().take(20) {
        writeln!(text, "{d}").unwrap();
    }
    Comparison {
        equal: differences.is_empty() && series_extra == 0,
        text,
    }
}
