//! Two machines' worth of topology on one: an EDGE `lantian run` collects two stations over
//! Modbus from the simulator and uplinks them over HJ 212 (`[[uplink]]`) to a CENTRE
//! `lantian run` that ingests them (`[hj212] listen`, the stations registered as
//! `transport = "hj212"` loggers keyed by the edge's MNs), stores them and ranks. Each has its
//! own folder, configuration, SQLite store and spool; all three processes share one
//! accelerated time line. The edge is killed with SIGKILL and restarted, then the centre is
//! killed for two and a half simulated hours and restarted (the edge backfills in order).
//! Every minute and hourly record the edge stored, up to the last one the centre received,
//! is in the centre's store exactly once, with the edge's value (within the three decimals
//! written) and flag.
//!
//! A second test runs `lantian sim` with HJ 212 micro-stations in its network and `lantian
//! hj212 listen` as the scenario's `[hj212] platform`: the loggers' data are stored.

use std::collections::BTreeMap;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use lantian::hj212::codes::CodeMap;
use lantian::store::sqlite::SqliteStore;
use lantian::store::{IndexStore, ReadingQuery, ReadingStore, Record, Resolution};

use crate::common::peers::free_port;

const BIN: &str = env!("CARGO_BIN_EXE_lantian");
const MNS: [(&str, &str); 2] = [("T-A", "44190000000101"), ("T-B", "44190000000102")];
const PW: &str = "123456";
/// Simulated seconds per real second: an hour in 6 s.
const SPEED: f64 = 600.0;
/// 00:00 on 2 March in Shanghai.
const START: &str = "2026-03-01T16:00:00Z";

/// The centre's network: the edge's stations, each an HJ 212 logger with the edge's MN.
fn centre_network(dir: &Path) -> PathBuf {
    let mut toml = "[network]\nid = \"centre\"\nname = \"中心\"\nname_en = \"Centre\"\n\
                    time_zone = \"Asia/Shanghai\"\n"
        .to_string();
    for (i, (id, mn)) in MNS.iter().enumerate() {
        toml.push_str(&format!(
            "\n[[station]]\nid = \"{id}\"\nname = \"站{i}\"\nname_en = \"Station {i}\"\n\
             district = \"测试区\"\ndistrict_en = \"Test district\"\nlat = 23.0\nlon = 113.75\n\
             elevation_m = 20\nkind = \"town\"\n\n[[station.device]]\nid = \"{id}-edge\"\n\
             transport = \"hj212\"\nmn = \"{mn}\"\npw_env = \"LT_CENTRE_PW\"\n"
        ));
    }
    let path = dir.join("network.toml");
    std::fs::write(&path, toml).unwrap();
    path
}

/// A copy in `dir` of the two-station fixture's `network` file with its two Modbus gateways
/// on free ports (tests run in parallel, other ones serve the fixture's own ports), its
/// profiles linked.
fn network_copy(dir: &Path, network: &str) -> PathBuf {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/two-stations");
    let text = std::fs::read_to_string(fixture.join(network))
        .unwrap()
        .replace("127.0.0.1:15901", &format!("127.0.0.1:{}", free_port()))
        .replace("127.0.0.1:15902", &format!("127.0.0.1:{}", free_port()));
    let path = dir.join(network);
    std::fs::write(&path, text).unwrap();
    std::os::unix::fs::symlink(fixture.join("profiles"), dir.join("profiles")).unwrap();
    path
}

/// The edge's and the centre's folders with their `lantian.toml`.
fn configs(root: &Path, centre_port: u16) -> (PathBuf, PathBuf) {
    let edge = root.join("edge");
    let centre = root.join("centre");
    std::fs::create_dir_all(&edge).unwrap();
    std::fs::create_dir_all(&centre).unwrap();
    std::fs::write(edge.join("scenario.toml"), "seed = 7\n").unwrap();
    let network = network_copy(&edge, "network.toml");
    let mut toml = format!(
        "registry = \"{}\"\nstore = \"sqlite:edge.db\"\nscenario = \"scenario.toml\"\n\
         [collect]\ntimeout_ms = 300\n\
         [[uplink]]\nname = \"centre\"\naddress = \"127.0.0.1:{centre_port}\"\n\
         data = [2051, 2061]\nstart = \"{START}\"\npw_env = \"LT_UPLINK_PW\"\ndelay_s = 60\n\
         timeout_ms = 1000\nbackoff_initial_ms = 100\nbackoff_max_ms = 500\n",
        network.display()
    );
    for (id, mn) in MNS {
        toml.push_str(&format!("[uplink.station.{id}]\nmn = \"{mn}\"\n"));
    }
    std::fs::write(edge.join("lantian.toml"), toml).unwrap();
    centre_network(&centre);
    std::fs::write(
        centre.join("lantian.toml"),
        format!(
            "registry = \"network.toml\"\nstore = \"sqlite:centre.db\"\n\
             [hj212]\nlisten = \"127.0.0.1:{centre_port}\"\nmax_packets_per_second = 1000\n\
             [[job]]\nname = \"hourly-indices\"\nschedule = \"5 * * * *\"\nkind = \"indices\"\n"
        ),
    )
    .unwrap();
    (edge.join("lantian.toml"), centre.join("lantian.toml"))
}

/// The shared time line: the simulated time at real time `at`, from `t0` (simulated START).
fn simulated(t0: Instant, at: Instant) -> DateTime<Utc> {
    let start: DateTime<Utc> = START.parse().unwrap();
    start + TimeDelta::milliseconds((at.duration_since(t0).as_secs_f64() * SPEED * 1000.0) as i64)
}

/// `lantian --config CONFIG ARGS… --speed SPEED --start <now on the shared time line>`.
fn spawn(config: &Path, args: &[&str], t0: Instant, log: &str) -> Child {
    let start = simulated(t0, Instant::now()).to_rfc3339();
    let log = config.parent().unwrap().join(log);
    Command::new(BIN)
        .arg("--config")
        .arg(config)
        .args(args)
        .args(["--speed", &SPEED.to_string(), "--start", &start])
        .env("LT_UPLINK_PW", PW)
        .env("LT_CENTRE_PW", PW)
        .stdout(Stdio::null())
        .stderr(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(log)
                .unwrap(),
        )
        .spawn()
        .unwrap()
}

fn wait_listening(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn sleep_until(t0: Instant, seconds: f64) {
    let at = t0 + Duration::from_secs_f64(seconds);
    std::thread::sleep(at.saturating_duration_since(Instant::now()));
}

fn kill_9(child: &mut Child) {
    child.kill().unwrap();
    child.wait().unwrap();
}

/// SIGTERM (a clean stop: the spool drains into the store), then wait.
fn terminate(child: &mut Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "lantian did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A record's key in the store: station, parameter, resolution, label time.
type Key = (String, String, Resolution, DateTime<Utc>);

/// Minute and hourly records of `db`, by key.
fn records(db: &Path) -> BTreeMap<Key, Vec<Record>> {
    let store = SqliteStore::open(db).unwrap();
    let t0: DateTime<Utc> = START.parse().unwrap();
    let mut by_key: BTreeMap<_, Vec<Record>> = BTreeMap::new();
    for resolution in [Resolution::Minute, Resolution::Hour] {
        let query = ReadingQuery::new(resolution, t0 - TimeDelta::days(1), t0 + TimeDelta::days(1));
        for r in store.readings(&query).unwrap() {
            let key = (
                r.station.to_string(),
                format!("{:?}", r.parameter),
                r.resolution,
                r.time,
            );
            by_key.entry(key).or_default().push(r);
        }
    }
    by_key
}

fn logs(config: &Path, name: &str) -> String {
    std::fs::read_to_string(config.parent().unwrap().join(name)).unwrap_or_default()
}

#[test]
fn the_centre_holds_every_reading_once_across_an_edge_restart_and_a_centre_outage() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let (edge, centre) = configs(dir.path(), port);
    let t0 = Instant::now();
    let mut sim = spawn(&edge, &["sim"], t0, "sim.log");
    let mut centre_run = spawn(&centre, &["-v", "run"], t0, "centre.log");
    wait_listening(port);
    let mut edge_run = spawn(&edge, &["-v", "run"], t0, "edge.log");

    // (a) The edge is killed at about 01:20 and comes back at once.
    sleep_until(t0, 8.0);
    kill_9(&mut edge_run);
    let edge_killed = simulated(t0, Instant::now());
    let mut edge_run = spawn(&edge, &["-v", "run"], t0, "edge.log");
    // (b) The centre is down from about 03:00 to 05:30.
    sleep_until(t0, 18.0);
    kill_9(&mut centre_run);
    let centre_down = simulated(t0, Instant::now());
    sleep_until(t0, 33.0);
    let centre_up = simulated(t0, Instant::now());
    let mut centre_run = spawn(&centre, &["-v", "run"], t0, "centre.log");
    wait_listening(port);
    // The edge goes on to about 08:20, backfilling the outage first.
    sleep_until(t0, 50.0);
    terminate(&mut edge_run);
    terminate(&mut centre_run);
    let _ = sim.kill();
    let _ = sim.wait();
    let edge_log = logs(&edge, "edge.log");
    let centre_log = logs(&centre, "centre.log");
    eprintln!(
        "edge killed at {edge_killed}; centre down {centre_down} → {centre_up}; \
         ended at {}",
        simulated(t0, Instant::now())
    );

    let edge_records = records(&edge.parent().unwrap().join("edge.db"));
    let centre_records = records(&centre.parent().unwrap().join("centre.db"));
    // What the uplink covers: per station and resolution, up to the last record the centre
    // received.
    let mut last: BTreeMap<(String, Resolution), DateTime<Utc>> = BTreeMap::new();
    for (station, _, resolution, time) in centre_records.keys() {
        let entry = last.entry((station.clone(), *resolution)).or_insert(*time);
        *entry = (*entry).max(*time);
    }
    // The uplink sends the parameters of the default air code table (not NO and NOx, which
    // have no HJ 212 code in it).
    let codes = CodeMap::default();
    let mut without_code = std::collections::BTreeSet::new();
    let mut covered = BTreeMap::<Resolution, usize>::new();
    let mut missing = Vec::new();
    let mut differing = Vec::new();
    for (key, edge_values) in &edge_records {
        let (station, parameter, resolution, time) = key;
        let e = &edge_values[0];
        if codes.code_of(e.parameter).is_none() {
            without_code.insert(parameter.clone());
            continue;
        }
        if last.get(&(station.clone(), *resolution)) < Some(time) {
            continue;
        }
        *covered.entry(*resolution).or_default() += 1;
        match centre_records.get(key).map(Vec::as_slice) {
            None => missing.push(key.clone()),
            Some([c]) => {
                // Three decimals in the unit sent (kPa for pressure: 0.005 hPa).
                if (c.value - e.value).abs() > 0.006 || c.flag != e.flag {
                    differing.push((key.clone(), e.value, e.flag, c.value, c.flag));
                }
            }
            Some(more) => panic!("{key:?} stored {} times at the centre", more.len()),
        }
    }
    let extra: Vec<_> = centre_records
        .keys()
        .filter(|k| !edge_records.contains_key(*k))
        .collect();
    let count = |m: &BTreeMap<Key, Vec<Record>>, res| m.keys().filter(|k| k.2 == res).count();
    eprintln!(
        "edge stored {} minute and {} hourly records; the uplink covers {} minute and {} \
         hourly ones (parameters without a code, not sent: {without_code:?}); the centre holds {} minute and {} hourly records: {} missing, {} \
         differing, {} not from the edge",
        count(&edge_records, Resolution::Minute),
        count(&edge_records, Resolution::Hour),
        covered.get(&Resolution::Minute).unwrap_or(&0),
        covered.get(&Resolution::Hour).unwrap_or(&0),
        count(&centre_records, Resolution::Minute),
        count(&centre_records, Resolution::Hour),
        missing.len(),
        differing.len(),
        extra.len()
    );
    let tail = |log: &str| {
        log.lines()
            .filter(|l| l.contains("uplink") || l.contains("hj212") || l.contains("ERROR"))
            .take(40)
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert!(
        missing.is_empty() && differing.is_empty() && extra.is_empty(),
        "missing {:?}\ndiffering {:?}\nextra {:?}\nedge:\n{}\ncentre:\n{}",
        &missing[..missing.len().min(10)],
        &differing[..differing.len().min(10)],
        &extra[..extra.len().min(10)],
        tail(&edge_log),
        tail(&centre_log)
    );
    // The centre's records reach past the outage: the edge backfilled it and went on.
    for (station, _) in MNS {
        for resolution in [Resolution::Minute, Resolution::Hour] {
            let reached = last.get(&(station.to_string(), resolution));
            assert!(
                reached.is_some_and(|t| *t > centre_up),
                "{station} {resolution:?}: the centre's last record is {reached:?}, the \
                 centre came back at {centre_up}\nedge:\n{}\ncentre:\n{}",
                tail(&edge_log),
                tail(&centre_log)
            );
        }
    }
    // Through the outage: every minute of it is at the centre for every station.
    let outage_minutes = centre_records
        .keys()
        .filter(|k| k.2 == Resolution::Minute && k.3 > centre_down && k.3 < centre_up)
        .count();
    assert!(outage_minutes > 0, "nothing of the outage was backfilled");
    let newest = |m: &BTreeMap<Key, Vec<Record>>| {
        m.keys()
            .filter(|k| k.2 == Resolution::Minute)
            .map(|k| k.3)
            .max()
    };
    eprintln!(
        "backfilled after the centre's outage: {outage_minutes} minute records; newest minute \
         at the edge {:?}, at the centre {:?} (the uplink's backlog when both stopped)",
        newest(&edge_records),
        newest(&centre_records)
    );

    // The centre computed the hourly AQI of what it received (its `indices` job), past the
    // outage, and ranks the stations (their valid days need a whole day: 0 of them here).
    let centre_store = SqliteStore::open(centre.parent().unwrap().join("centre.db")).unwrap();
    let aqi = centre_store.indices_span(Resolution::Hour).unwrap();
    assert!(
        aqi.is_some_and(|span| span.last > centre_up),
        "hourly AQI at the centre: {aqi:?}"
    );
    let rank = Command::new(BIN)
        .arg("--config")
        .arg(&centre)
        .args([
            "rank", "--period", "2026-03", "--by", "station", "--format", "csv",
        ])
        .output()
        .unwrap();
    let ranking = String::from_utf8_lossy(&rank.stdout);
    assert!(
        rank.status.success() && MNS.iter().all(|(id, _)| ranking.contains(id)),
        "{ranking}\n{}",
        String::from_utf8_lossy(&rank.stderr)
    );
    eprintln!("centre ranking:\n{ranking}");
}

/// `lantian sim` runs the network's HJ 212 loggers: they upload to the scenario's `[hj212]
/// platform`, here `lantian hj212 listen` in another process, which stores their data.
#[test]
fn lantian_sim_loggers_feed_lantian_hj212_listen() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let network = network_copy(dir.path(), "with-micro.toml");
    std::fs::write(
        dir.path().join("scenario.toml"),
        format!("seed = 9\n[hj212]\nplatform = \"127.0.0.1:{port}\"\nack_timeout = \"1s\"\n"),
    )
    .unwrap();
    let config = dir.path().join("lantian.toml");
    std::fs::write(
        &config,
        format!(
            "registry = \"{}\"\nstore = \"sqlite:platform.db\"\nscenario = \"scenario.toml\"\n\
             [hj212]\nlisten = \"127.0.0.1:{port}\"\nmax_packets_per_second = 1000\n",
            network.display()
        ),
    )
    .unwrap();
    let lantian = |args: &[&str], log: &str| {
        Command::new(BIN)
            .arg("--config")
            .arg(&config)
            .args(args)
            .env("LT_TEST_MICRO1_PW", "m1-secret")
            .env("LT_TEST_MICRO2_PW", "m2-secret")
            .stderr(std::fs::File::create(dir.path().join(log)).unwrap())
            .spawn()
            .unwrap()
    };
    let mut listen = lantian(&["hj212", "listen"], "listen.log");
    wait_listening(port);
    let mut sim = lantian(&["sim", "--speed", "600", "--start", START], "sim.log");
    std::thread::sleep(Duration::from_secs(6));
    terminate(&mut sim);
    terminate(&mut listen);
    let log = std::fs::read_to_string(dir.path().join("listen.log")).unwrap_or_default();

    let store = SqliteStore::open(dir.path().join("platform.db")).unwrap();
    let t0: DateTime<Utc> = START.parse().unwrap();
    for station in ["T-M1", "T-M2"] {
        let minutes = store
            .readings(
                &ReadingQuery::new(Resolution::Minute, t0, t0 + TimeDelta::days(1))
                    .for_stations(lantian::store::Stations::one(station)),
            )
            .unwrap();
        // About an hour at ×600 in 6 s, 5-minute data: several intervals of each code.
        let intervals: std::collections::BTreeSet<_> = minutes.iter().map(|r| r.time).collect();
        assert!(intervals.len() >= 5, "{station}: {intervals:?}\n{log}");
        eprintln!(
            "{station}: {} minute records over {} intervals",
            minutes.len(),
            intervals.len()
        );
    }
}
