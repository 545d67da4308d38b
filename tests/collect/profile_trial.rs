//! A maintainer adding an instrument, against real peers: a pymodbus station that refuses
//! unmapped registers, an outage, and `lantian probe` reading the worked example of
//! docs/formats.md over Modbus TCP and RTU over TCP (pymodbus) and over a serial line (the
//! simulator behind a socat pseudo-terminal pair).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use crate::common::harness::root;
use crate::common::peers::{self, PymodbusServer};
use lantian::clock::Clock;
use lantian::collect::{CollectorConfig, Pipeline};
use lantian::compute::IndexConfig;
use lantian::registry::Registry;
use lantian::store::DeviceHealth;
use lantian::store::sqlite::SqliteStore;

const BIN: &str = env!("CARGO_BIN_EXE_lantian");

/// A one-device network at `address` using profile `p` (written to `profiles/p.toml`).
fn network(dir: &Path, address: &str, profile: &str) -> PathBuf {
    std::fs::create_dir_all(dir.join("profiles")).unwrap();
    std::fs::write(dir.join("profiles/p.toml"), profile).unwrap();
    let path = dir.join("network.toml");
    std::fs::write(
        &path,
        format!(
            "[network]\nid = \"trial\"\nname = \"试验\"\nname_en = \"Trial\"\n\
             time_zone = \"Asia/Shanghai\"\n\n[[station]]\nid = \"S\"\nname = \"站\"\n\
             name_en = \"Station\"\ndistrict = \"区\"\ndistrict_en = \"District\"\nlat = 23.0\n\
             lon = 113.7\nelevation_m = 10\nkind = \"town\"\n\n[[station.device]]\nid = \"D\"\n\
             profile = \"p\"\ntransport = \"tcp\"\naddress = \"{address}\"\nunit = 1\n\
             poll_interval = \"500ms\"\n"
        ),
    )
    .unwrap();
    path
}

/// Two SO2/NO2 floats at input 0 and 10, nothing between: what a new user writes first.
fn gas_profile(max_gap: Option<u16>) -> String {
    format!(
        "[profile]\nmanufacturer = \"Trial\"\nmodel = \"Gas analyzer\"\nsource = \"test\"\n{}\n\
         [[value]]\nparameter = \"so2\"\nkind = \"input\"\naddress = 0\ntype = \"f32\"\n\
         unit = \"ppb\"\n\n[[value]]\nparameter = \"no2\"\nkind = \"input\"\naddress = 10\n\
         type = \"f32\"\nunit = \"ppb\"\n",
        max_gap
            .map(|g| format!("max_gap = {g}"))
            .unwrap_or_default()
    )
}

/// Starts collecting `network`'s devices into a SQLite store in `dir`.
fn start(network: &Path, config: CollectorConfig, dir: &Path) -> Pipeline {
    let registry = Registry::load(network).unwrap();
    let devices: Vec<_> = registry.devices().cloned().collect();
    let store = SqliteStore::open(dir.join("trial.db")).unwrap();
    Pipeline::start(
        &devices,
        Clock::real(),
        config,
        IndexConfig::default(),
        Box::new(store),
    )
}

/// Collects `network`'s devices for `seconds` and returns their health once stopped.
async fn collect(network: &Path, seconds: f64, config: CollectorConfig) -> Vec<DeviceHealth> {
    let dir = tempfile::tempdir().unwrap();
    let pipeline = start(network, config, dir.path());
    tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
    let board = pipeline.collector.health.clone();
    pipeline.stop().await.unwrap();
    board.snapshot()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_request_is_a_profile_problem_reported_once_per_poll() {
    // SO2 12.5 ppb at input 0, NO2 40 ppb at input 10; input 2..=9 do not exist.
    let Some(server) = PymodbusServer::start(&[
        "--sparse",
        "--log-requests",
        "--input",
        "0=0x4148,0x0000",
        "--input",
        "10=0x4220,0x0000",
    ]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = network(dir.path(), &server.address(), &gas_profile(None));
    let registry = Registry::load(&path).unwrap();
    assert_eq!(registry.warnings.len(), 1, "{:?}", registry.warnings);
    assert!(
        registry.warnings[0]
            .to_string()
            .contains("makes each poll also read input 2..=9"),
        "{}",
        registry.warnings[0]
    );

    let config = CollectorConfig {
        retries: 2,
        ..CollectorConfig::default()
    };
    let health = collect(&path, 2.2, config.clone()).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let h = &health[0];
    assert!(h.polls >= 3 && h.successes == 0, "{h:?}");
    let error = h.last_error.as_deref().unwrap_or_default();
    assert!(
        error.starts_with(
            "input 0..=11: refused by the device (Modbus exception IllegalDataAddress), a \
             profile problem: input registers 2..=9 are read only to bridge gaps"
        ),
        "{error}"
    );
    // Exactly one request per poll: a refusal is never retried.
    let requests = server.lines("REQUEST");
    assert!(
        requests.iter().all(|r| r == "REQUEST 4 0 12"),
        "{requests:?}"
    );
    assert_eq!(requests.len() as u64, h.polls, "{requests:?} for {h:?}");

    // The fix the message names: read only mapped registers.
    let fixed = network(dir.path(), &server.address(), &gas_profile(Some(0)));
    assert!(Registry::load(&fixed).unwrap().warnings.is_empty());
    let health = collect(&fixed, 1.7, config).await;
    let h = &health[0];
    assert!(h.polls >= 2 && h.successes == h.polls, "{h:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_shows_its_cause_while_waiting_to_reconnect() {
    let Some(mut server) = PymodbusServer::start(&["--input", "0=0x4148,0x0000"]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let profile = "[profile]\nmanufacturer = \"Trial\"\nmodel = \"SO2\"\nsource = \"test\"\n\
                   max_gap = 0\n\n[[value]]\nparameter = \"so2\"\nkind = \"input\"\n\
                   address = 0\ntype = \"f32\"\nunit = \"ppb\"\n";
    let path = network(dir.path(), &server.address(), profile);
    let config = CollectorConfig {
        timeout: Duration::from_millis(300),
        // Reconnection waits longer than a poll interval, so some polls find it waiting.
        backoff_initial: Duration::from_millis(2000),
        backoff_max: Duration::from_millis(4000),
        ..CollectorConfig::default()
    };
    let pipeline = start(&path, config, dir.path());
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert!(pipeline.collector.health.snapshot()[0].online);

    server.stop();
    let mut errors: Vec<String> = Vec::new();
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let h = &pipeline.collector.health.snapshot()[0];
        if let Some(e) = &h.last_error
            && !errors.contains(e)
        {
            errors.push(e.clone());
        }
    }
    pipeline.stop().await.unwrap();
    let refused = format!("connect to tcp://{}: Connection refused", server.address());
    let waiting: Vec<&String> = errors
        .iter()
        .filter(|e| e.contains("waiting to reconnect"))
        .collect();
    assert!(
        !waiting.is_empty(),
        "no poll waited to reconnect: {errors:?}"
    );
    for e in &waiting {
        assert!(e.starts_with(&refused), "the cause is kept: {e}");
    }
    assert!(errors.iter().any(|e| e.starts_with(&refused)), "{errors:?}");
}

/// Runs the binary in `dir` with `args`.
fn lantian(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("lantian runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The WXT536 of docs/examples as the manual's register table describes it: RH 65.3 %,
/// wind from 225.7°, −13.0 °C, no dew point (32767), and the temperature sensor "not
/// available" (07 in the high byte of input 2) — which flags the temperature D.
const WXT_REGISTERS: [&str; 10] = [
    "--input",
    "2=0x0700,0x0000",
    "--input",
    "5=0x0000",
    "--input",
    "10=653",
    "--input",
    "18=2257",
    "--input",
    "31=0xFF7E,0,0,0,32767",
];

fn worked_example() -> PathBuf {
    root().join("docs/examples/vaisala-wxt536.toml")
}

/// The row of the values table for `parameter`.
fn row<'a>(text: &'a str, parameter: &str) -> &'a str {
    text.lines()
        .find(|l| l.split_whitespace().next() == Some(parameter))
        .unwrap_or_else(|| panic!("no row for {parameter} in\n{text}"))
}

fn cells(line: &str) -> Vec<&str> {
    line.split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect()
}

/// `lantian probe --profile <the worked example> <endpoint…>`, run from an empty folder (no
/// registry, no configuration).
fn probe_worked_example(endpoint: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let example = worked_example();
    let profile = ["probe", "--profile", example.to_str().unwrap()];
    lantian(dir.path(), &[&profile[..], endpoint].concat())
}

#[test]
fn probe_prints_raw_words_beside_decoded_values_and_status_bits() {
    let Some(server) = PymodbusServer::start(&WXT_REGISTERS) else {
        return;
    };
    let out = probe_worked_example(&["--tcp", &server.address(), "--unit", "1"]);
    let text = stdout(&out);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains(&format!("tcp://{} unit 1", server.address())),
        "{text}"
    );
    assert_eq!(
        cells(row(&text, "rh")),
        [
            "rh",
            "input 10",
            "i16",
            "ABCD",
            "028D",
            "653",
            "× 0.1 + 0",
            "65.3 %",
            "65.3 %",
            "N"
        ]
    );
    assert_eq!(
        cells(row(&text, "wd")),
        [
            "wd",
            "input 18",
            "i16",
            "ABCD",
            "08D1",
            "2257",
            "× 0.1 + 0",
            "225.7 °",
            "225.7 °",
            "N"
        ]
    );
    assert_eq!(
        cells(row(&text, "temp")),
        [
            "temp",
            "input 31",
            "i16",
            "ABCD",
            "FF7E",
            "-130",
            "× 0.1 + 0",
            "-13 °C",
            "-13 °C",
            "D"
        ]
    );
    // 32767 is the manual's "error value": no value, flag B.
    assert_eq!(
        cells(row(&text, "dewp")),
        [
            "dewp",
            "input 35",
            "i16",
            "ABCD",
            "7FFF",
            "32767",
            "× 0.1 + 0",
            "3276.7 °C",
            "—",
            "B"
        ]
    );
    let bit = |name: &str| {
        let line = text
            .lines()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("{name}"));
        cells(line).last().unwrap().to_string()
    };
    // Another Modbus master (mbpoll) reads the same words.
    if peers::mbpoll() {
        let port = server.port.to_string();
        let out = Command::new("mbpoll")
            .args([
                "-m", "tcp", "-p", &port, "-0", "-1", "-a", "1", "-t", "3:hex",
            ])
            .args(["-r", "10", "-c", "26", "127.0.0.1"])
            .output()
            .expect("mbpoll runs");
        let listing = String::from_utf8_lossy(&out.stdout);
        for (parameter, address) in [("rh", 10), ("wd", 18), ("temp", 31), ("dewp", 35)] {
            let word = cells(row(&text, parameter))[4];
            assert!(
                listing.contains(&format!("[{address}]: \t0x{word}")),
                "{parameter}: probe {word}, mbpoll\n{listing}"
            );
        }
    }
    assert_eq!(bit("Temperature not available"), "SET");
    assert_eq!(bit("Dew point not available"), "clear");
    assert_eq!(bit("Wind not available"), "clear");
    assert!(text.contains("status bits (1 set)"), "{text}");
}

#[test]
fn probe_over_rtu_over_tcp_reports_a_refused_request_and_reads_the_rest() {
    // RTU framing through TCP; input 5 (the wind status) missing: the device refuses it.
    let mut args: Vec<&str> = WXT_REGISTERS.to_vec();
    args.drain(2..4);
    args.extend(["--sparse", "--framer", "rtu"]);
    let Some(server) = PymodbusServer::start(&args) else {
        return;
    };
    let out = probe_worked_example(&["--rtu-over-tcp", &server.address()]);
    let text = stdout(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "a refused request fails the probe");
    assert!(stderr.contains("1 of 6 requests failed"), "{stderr}");
    let refused = text
        .lines()
        .find(|l| l.starts_with("input 5..=5 "))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        refused.contains(
            "refused by the device (Modbus exception IllegalDataAddress), a profile problem: \
             the device has no such registers"
        ),
        "{refused}"
    );
    assert!(text.contains(&format!("rtu+tcp://{} unit 1", server.address())));
    // The other requests still show their values; the flags need every status bit.
    assert_eq!(cells(row(&text, "rh"))[7..], ["65.3 %", "65.3 %", "?"]);
    assert_eq!(bit_state(&text, "Wind not available"), "—");
}

fn bit_state(text: &str, name: &str) -> String {
    let line = text.lines().find(|l| l.contains(name)).unwrap();
    cells(line).last().unwrap().to_string()
}

#[test]
fn probe_a_device_of_the_registry() {
    let Some(server) = PymodbusServer::start(&WXT_REGISTERS) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let profile = std::fs::read_to_string(worked_example()).unwrap();
    let path = network(dir.path(), &server.address(), &profile);
    let out = lantian(
        dir.path(),
        &["--registry", path.to_str().unwrap(), "probe", "D"],
    );
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("Vaisala WXT536 weather transmitter — profile p"),
        "{text}"
    );
    assert_eq!(cells(row(&text, "rh"))[4], "028D");
    // An unknown device names where the devices are listed.
    let out = lantian(
        dir.path(),
        &["--registry", path.to_str().unwrap(), "probe", "NOPE"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("no device `NOPE`"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probe_over_a_serial_line() {
    use lantian::sim::environment::Environment;
    use lantian::sim::scenario::Scenario;
    use lantian::sim::server::{Bind, Simulator};
    use std::sync::Arc;
    let dir = tempfile::tempdir().unwrap();
    let Some(pty) = peers::PtyPair::start(dir.path()) else {
        return;
    };
    let (sim_end, probe_end) = (pty.sim_end.clone(), pty.client_end.clone());
    // The simulator serves a 42i as unit 1 on the line, from the same profile.
    std::os::unix::fs::symlink(
        root().join("stations/profiles"),
        dir.path().join("profiles"),
    )
    .unwrap();
    let path = dir.path().join("network.toml");
    std::fs::write(
        &path,
        format!(
            "[network]\nid = \"bus\"\nname = \"总线\"\nname_en = \"Bus\"\n\
             time_zone = \"Asia/Shanghai\"\n\n[[station]]\nid = \"R\"\nname = \"串口站\"\n\
             name_en = \"Serial\"\ndistrict = \"测试\"\ndistrict_en = \"Test\"\nlat = 23.0\n\
             lon = 113.7\nelevation_m = 10\nkind = \"town\"\n\n[[station.device]]\n\
             id = \"R-NOX\"\nprofile = \"thermo-42i\"\ntransport = \"rtu\"\npath = \"{}\"\n\
             baud = 19200\nunit = 1\npoll_interval = \"5s\"\n",
            probe_end.display()
        ),
    )
    .unwrap();
    let registry = Registry::load(&path).unwrap();
    let scenario = Scenario::from_toml("seed = 3\n", Path::new("scenario.toml")).unwrap();
    let clock = Clock::real();
    let environment = Arc::new(Environment::new(scenario, &registry, clock.now()).unwrap());
    let sim = Simulator::start(
        &registry,
        environment,
        clock,
        Bind::Loopback([(probe_end.clone(), sim_end.clone())].into()),
    )
    .await
    .unwrap();
    let (cwd, registry_arg) = (dir.path().to_path_buf(), path.clone());
    let out = tokio::task::spawn_blocking(move || {
        lantian(
            &cwd,
            &[
                "--registry",
                registry_arg.to_str().unwrap(),
                "probe",
                "R-NOX",
            ],
        )
    })
    .await
    .unwrap();
    sim.stop().await;
    drop(pty);
    let text = stdout(&out);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains(&format!("rtu://{}@19200 unit 1", probe_end.display())));
    for p in ["no", "no2", "nox"] {
        let c = cells(row(&text, p));
        assert_eq!(c[2..4], ["f32", "ABCD"], "{text}");
        assert!(c[7].ends_with(" ppb") && c[8].ends_with(" µg/m³"), "{c:?}");
        assert_eq!(c[9], "N", "{text}");
    }
}
