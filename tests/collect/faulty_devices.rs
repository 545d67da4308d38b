//! 30 % of the devices faulty at once — answers too late (timeouts), Modbus exceptions,
//! garbled frames, connections reset — beside healthy ones, with the simulator and `lantian
//! run` as two processes: the healthy devices answer every poll, skip no tick and have every
//! minute they answered in stored; the faulty ones store nothing and say why. (Their latency
//! against an all-healthy run is measured in `benches/faulty_devices.rs`, not here.)

use chrono::{DateTime, TimeDelta, Utc};
use lantian::registry::Registry;
use lantian::store::HealthStore;
use lantian::store::sqlite::SqliteStore;

use crate::common::served_sim::{ServedSimulator, compare_with_served, two_stations_on_free_ports};
use crate::common::sim_run::lantian_run;

/// The faulty devices (4 of 14), what each does and what its last error must say.
const FAULTY: [(&str, &str, &str); 4] = [
    (
        "T-A-NOX",
        "kind = \"slow\"\ndelay_ms = 2500",
        "no answer in time",
    ),
    ("T-A-SO2", "kind = \"exception\"", "Modbus exception"),
    ("T-B-CO", "kind = \"garbage\"", ""),
    ("T-B-NOX", "kind = \"reset\"", ""),
];

#[test]
fn faulty_devices_leave_the_healthy_ones_alone() {
    let dir = tempfile::tempdir().unwrap();
    let network = two_stations_on_free_ports(dir.path());
    let mut scenario = String::from("seed = 5\n");
    for (device, fault, _) in FAULTY {
        scenario += &format!(
            "\n[[fault]]\ndevice = \"{device}\"\n{fault}\nafter = \"0s\"\nduration = \"10d\"\n"
        );
    }
    std::fs::write(dir.path().join("scenario.toml"), scenario).unwrap();
    let config = dir.path().join("lantian.toml");
    std::fs::write(
        &config,
        format!(
            "registry = \"{}\"\nstore = \"sqlite:run.db\"\nscenario = \"scenario.toml\"\n\
             [collect]\ntimeout_ms = 300\nbackoff_max_ms = 1000\n[report]\nout_dir = \"reports\"\n",
            network.display()
        ),
    )
    .unwrap();
    // ×20: the 10-s polls every half second of real time, the 300-ms timeout within it.
    let t0: DateTime<Utc> = "2026-03-01T16:00:00Z".parse().unwrap();
    let anchor = (Utc::now() + TimeDelta::seconds(2)).to_rfc3339();
    let clock: Vec<String> = [
        "--speed",
        "20",
        "--start",
        &t0.to_rfc3339(),
        "--anchor",
        &anchor,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let sim = ServedSimulator::start(&config, &clock, dir.path().join("served.json"));
    let clock_args: Vec<&str> = clock.iter().map(String::as_str).collect();
    let output = lantian_run(&config, &clock_args, &[], 20)
        .output()
        .expect("run lantian");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let tally = sim.stop();

    let store = SqliteStore::open(dir.path().join("run.db")).unwrap();
    let health = store.health().unwrap();
    assert_eq!(health.len(), 14);
    let (mut healthy_polls, mut faulty_polls) = (0, 0);
    for h in &health {
        match FAULTY.iter().find(|f| f.0 == h.device) {
            Some((_, _, says)) => {
                faulty_polls += h.polls;
                assert_eq!(h.successes, 0, "{h:?}");
                let error = h.last_error.as_deref().unwrap_or_default();
                assert!(error.contains(says), "{h:?}");
            }
            None => {
                healthy_polls += h.polls;
                // 20 s of real time at ×20: about 40 polls each.
                assert!(h.polls >= 30, "{h:?}");
                assert_eq!(h.successes, h.polls, "{h:?}");
                assert_eq!(h.skipped, 0, "{h:?}");
            }
        }
    }
    // Every minute a device answered in is stored once; the faulty devices answered in none.
    let registry = Registry::load(&network).unwrap();
    let checks = compare_with_served(&store, &registry, &tally);
    let faulty_stations: Vec<_> = registry
        .devices()
        .filter(|d| FAULTY.iter().any(|f| f.0 == d.id))
        .flat_map(|d| {
            d.profile
                .parameters()
                .map(|p| (d.station.clone(), p))
                .collect::<Vec<_>>()
        })
        .collect();
    let (mut stored, mut faulty_series) = (0, 0);
    for (key, c) in &checks {
        assert_eq!(c.stored_minutes, c.served_minutes, "{key:?}: {c:?}");
        assert!(c.stored_unserved.is_empty(), "{key:?}: {c:?}");
        stored += c.stored_minutes;
        if faulty_stations.contains(key) {
            faulty_series += 1;
            assert_eq!(c.stored_minutes, 0, "{key:?}: {c:?}");
        } else {
            assert!(c.stored_minutes >= 6, "{key:?}: {c:?}");
        }
    }
    assert!(faulty_series >= 4);
    println!(
        "30 % faulty: healthy devices {healthy_polls} polls, all answered, 0 ticks skipped; \
         faulty devices {faulty_polls} polls, none answered; {stored} minute records stored = \
         minutes served"
    );
}
