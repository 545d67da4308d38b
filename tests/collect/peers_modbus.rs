//! The collector and the simulator against independent Modbus implementations:
//! a pymodbus server read by our collector, our simulator read by `mbpoll`, and RTU over a
//! `socat` pseudo-terminal pair (plus RTU over TCP) — no mocked protocol anywhere.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use crate::common::harness::{Run, root};
use crate::common::peers;
use chrono::{TimeDelta, Utc};
use lantian::clock::Clock;
use lantian::collect::{CollectorConfig, Pipeline};
use lantian::compute::IndexConfig;
use lantian::quality::Flag;
use lantian::registry::{Registry, Transport};
use lantian::sim::environment::Environment;
use lantian::sim::scenario::Scenario;
use lantian::sim::server::{Bind, Simulator};
use lantian::store::sqlite::SqliteStore;
use lantian::store::{HealthStore, ReadingQuery, ReadingStore, Resolution};
use lantian::units::Parameter;

fn fixture() -> std::path::PathBuf {
    root().join("tests/fixtures/two-stations")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collector_reads_a_pymodbus_server() {
    // A Thermo 42i register image worked out by hand: NO 12.5 ppb (0x41480000), NO2 40.0 ppb
    // (0x42200000), NOx 42.0 ppb (0x42280000) as ABCD floats from input register 1; the
    // "Service mode" discrete input (3) set.
    let Some(server) = peers::PymodbusServer::start(&[
        "--unit",
        "3",
        "--input",
        "1=0x4148,0x0000,0x4220,0x0000,0x4228,0x0000",
        "--discrete",
        "3=1",
    ]) else {
        return;
    };

    let registry = Registry::load(&fixture().join("network.toml")).unwrap();
    let mut device = registry
        .devices()
        .find(|d| d.id == "T-A-NOX")
        .unwrap()
        .clone();
    device.transport = Transport::Tcp {
        address: server.address(),
    };
    device.unit = 3;
    device.poll_interval = TimeDelta::milliseconds(500);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("peer.db");
    let config = CollectorConfig {
        store_samples: true,
        ..CollectorConfig::default()
    };
    let pipeline = Pipeline::start(
        &[device],
        Clock::real(),
        config,
        IndexConfig::default(),
        Box::new(SqliteStore::open(&path).unwrap()),
    );
    tokio::time::sleep(Duration::from_millis(1800)).await;
    pipeline.stop().await.unwrap();

    let store = SqliteStore::open(&path).unwrap();
    let now = Utc::now();
    let samples = store
        .readings(&ReadingQuery::new(
            Resolution::Sample,
            now - TimeDelta::minutes(5),
            now,
        ))
        .unwrap();
    assert!(
        samples.len() >= 6,
        "three parameters, at least two polls: {samples:?}"
    );
    // ppb → µg/m³ at 25 °C (Vm = 24.4654 L/mol), worked out by hand.
    let expected = [
        (Parameter::No, 15.33083),
        (Parameter::No2, 75.21723),
        (Parameter::Nox, 78.97810),
    ];
    for s in &samples {
        let (_, want) = expected
            .iter()
            .find(|(p, _)| *p == s.parameter)
            .expect("expected parameter");
        assert!((s.value - want).abs() < 1e-3, "{s:?} want {want}");
        assert_eq!(s.flag, Flag::Maintenance, "service mode bit → M");
        assert_eq!(&*s.station, "T-A");
    }
    let health = store.health().unwrap();
    assert!(
        health[0].online && health[0].status == ["Service mode"],
        "{health:?}"
    );
}

/// Parses mbpoll's `[ref]: \tvalue` lines.
fn mbpoll_values(output: &str) -> Vec<f64> {
    output
        .lines()
        .filter_map(|l| {
            l.trim()
                .strip_prefix('[')?
                .split_once("]:")
                .map(|(_, v)| v.trim().parse().ok())?
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mbpoll_reads_the_simulator() {
    if !peers::mbpoll() {
        return;
    }
    let registry = Registry::load(&fixture().join("network.toml")).unwrap();
    let scenario = Scenario::load(fixture().join("faults.toml")).unwrap();
    let clock = Clock::real();
    let environment = Arc::new(Environment::new(scenario, &registry, clock.now()).unwrap());
    let sim = Simulator::start(
        &registry,
        environment.clone(),
        clock.clone(),
        Bind::Loopback(Default::default()),
    )
    .await
    .unwrap();
    let device = registry.devices().find(|d| d.id == "T-A-NOX").unwrap();
    let Transport::Tcp { address } = &sim.endpoints[&device.transport] else {
        panic!("tcp")
    };
    let port = address.rsplit_once(':').unwrap().1.to_string();
    let mbpoll = |args: &[&str]| {
        let out = Command::new("mbpoll")
            .args(["-m", "tcp", "-p", &port, "-0", "-1", "-o", "2"])
            .args(args)
            .arg("127.0.0.1")
            .output()
            .expect("mbpoll runs");
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr)
    };

    // Three big-endian floats from input register 1 of unit 1: NO, NO2, NOx in ppb.
    let before = clock.now();
    let out = mbpoll(&["-a", "1", "-t", "3:float", "-B", "-r", "1", "-c", "3"]);
    let after = clock.now();
    let values = mbpoll_values(&out);
    assert_eq!(values.len(), 3, "{out}");
    let station = 0;
    for (spec, got) in device.profile.values.iter().zip(&values) {
        let ppb = |t| {
            spec.conversion
                .invert(environment.conditions(station, t).get(spec.parameter))
        };
        let (lo, hi) = (ppb(before).min(ppb(after)), ppb(before).max(ppb(after)));
        assert!(
            *got >= lo * 0.999 - 1e-3 && *got <= hi * 1.001 + 1e-3,
            "{:?}: mbpoll {got}, truth {lo}..{hi}",
            spec.parameter
        );
        assert!(*got > 0.0);
    }
    // The PM2.5 BAM's concentration: one signed register in 0.001 mg/m³ (= µg/m³).
    let bam = registry.devices().find(|d| d.id == "T-A-PM25").unwrap();
    let out = mbpoll(&["-a", &bam.unit.to_string(), "-t", "3", "-r", "1", "-c", "1"]);
    let raw = mbpoll_values(&out);
    let truth = environment
        .conditions(station, clock.now())
        .get(Parameter::Pm25);
    assert_eq!(raw.len(), 1, "{out}");
    assert!(
        (raw[0] - truth).abs() <= 1.0,
        "BAM register {} vs {truth} µg/m³",
        raw[0]
    );
    // Discrete inputs: nothing set on a healthy analyzer.
    let out = mbpoll(&["-a", "1", "-t", "1", "-r", "1", "-c", "8"]);
    assert_eq!(mbpoll_values(&out), vec![0.0; 8], "{out}");
    // A unit id nobody answers to: exception 0x0B (gateway target device failed to respond).
    let out = mbpoll(&["-a", "99", "-t", "3", "-r", "1", "-c", "1"]);
    assert!(out.contains("Target device failed to respond"), "{out}");
    // Beyond the register map: illegal data address.
    let out = mbpoll(&["-a", "1", "-t", "3", "-r", "1000", "-c", "2"]);
    assert!(out.to_lowercase().contains("illegal data address"), "{out}");
    sim.stop().await;
}

/// Writes a one-line-bus network (two analyzers, units 1 and 2) with the given transport.
fn bus_network(dir: &Path, transport: &str) -> std::path::PathBuf {
    std::os::unix::fs::symlink(root().join("stations/profiles"), dir.join("profiles")).unwrap();
    let mut text = String::from(
        "[network]\nid = \"bus\"\nname = \"总线\"\nname_en = \"Bus\"\ntime_zone = \"Asia/Shanghai\"\n\n\
         [[station]]\nid = \"R\"\nname = \"串口站\"\nname_en = \"Serial station\"\ndistrict = \"测试\"\n\
         district_en = \"Test\"\nlat = 23.0\nlon = 113.7\nelevation_m = 10\nkind = \"town\"\n",
    );
    for (id, profile, unit) in [("R-NOX", "thermo-42i", 1), ("R-O3", "thermo-49i", 2)] {
        text += &format!(
            "\n[[station.device]]\nid = \"{id}\"\nprofile = \"{profile}\"\n{transport}\nunit = {unit}\npoll_interval = \"5s\"\n"
        );
    }
    let path = dir.join("network.toml");
    std::fs::write(&path, text).unwrap();
    std::fs::write(dir.join("scenario.toml"), "seed = 3\n").unwrap();
    path
}

/// Two devices on one line take turns; every sample equals the simulated truth.
async fn check_bus(network: &Path, bind: Bind) {
    let dir = network.parent().unwrap();
    let config = CollectorConfig {
        store_samples: true,
        timeout: Duration::from_millis(500),
        ..Default::default()
    };
    let t0 = Utc::now();
    let run = Run::start(network, &dir.join("scenario.toml"), t0, 5.0, config, bind).await;
    let done = run.finish(t0 + TimeDelta::seconds(21)).await;
    for id in ["R-NOX", "R-O3"] {
        let h = done.health(id);
        assert!(h.polls >= 3 && h.successes == h.polls, "{id}: {h:?}");
    }
    for p in [Parameter::No2, Parameter::O3] {
        let samples = done.series("R", p, Resolution::Sample);
        assert!(samples.len() >= 3, "{p}: {samples:?}");
        for s in samples {
            let truth = done.environment.conditions(0, s.time).get(p);
            assert!(
                (s.value - truth).abs() <= 1e-4 * truth.max(1.0),
                "{p}: {} vs {truth}",
                s.value
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rtu_over_a_socat_pseudo_terminal_pair() {
    let dir = tempfile::tempdir().unwrap();
    let Some(pty) = peers::PtyPair::start(dir.path()) else {
        return;
    };
    let (sim_end, collector_end) = (pty.sim_end.clone(), pty.client_end.clone());
    let transport = format!(
        "transport = \"rtu\"\npath = \"{}\"\nbaud = 19200",
        collector_end.display()
    );
    let network = bus_network(dir.path(), &transport);
    let bind = Bind::Loopback([(collector_end.clone(), sim_end.clone())].into());
    check_bus(&network, bind).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rtu_over_tcp_gateway() {
    let dir = tempfile::tempdir().unwrap();
    let network = bus_network(
        dir.path(),
        "transport = \"rtu-over-tcp\"\naddress = \"127.0.0.1:1502\"",
    );
    check_bus(&network, Bind::Loopback(Default::default())).await;
}
