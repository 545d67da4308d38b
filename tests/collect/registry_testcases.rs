//! Data-driven registry tests, Telegraf style: every folder in `tests/testcases/registry/`
//! holds a `network.toml` (and `profiles/*.toml` as needed). With an `expected_error.txt`,
//! loading must fail with an error whose text (`file:line:column: field: message`) contains
//! that file's trimmed content; without one, loading must succeed, with exactly one warning
//! per line of `expected_warnings.txt` (each containing its line), or none without that file.
//!
//! Cases that load successfully use explicit `[[request]]`s in their profiles, so that none of
//! them depends on the poll planner. `dongguan_demo_loads` does (the real profiles are
//! planned) and fails until `crate::modbus::plan::plan` is implemented.

use std::path::{Path, PathBuf};

use lantian::modbus::RegisterKind;
use lantian::modbus::plan::{Location, ReadRequest};
use lantian::registry::{Profile, Registry, StationKind, StatusMeaning, Transport};
use lantian::store::StationRole;
use lantian::units::Parameter;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn cases() -> Vec<PathBuf> {
    let dir = root().join("tests/testcases/registry");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    cases
}

fn run_case(case: &Path) -> Result<(), String> {
    let expected = std::fs::read_to_string(case.join("expected_error.txt")).ok();
    let result = Registry::load(&case.join("network.toml"));
    match (expected, result) {
        (None, Ok(registry)) => check_warnings(case, &registry),
        (None, Err(e)) => Err(format!("expected success, got: {e}")),
        (Some(want), Ok(_)) => Err(format!("expected an error containing {:?}", want.trim())),
        (Some(want), Err(e)) => {
            let got = e.to_string();
            if got.contains(want.trim()) {
                Ok(())
            } else {
                Err(format!(
                    "error {got:?}\n    does not contain {:?}",
                    want.trim()
                ))
            }
        }
    }
}

fn check_warnings(case: &Path, registry: &Registry) -> Result<(), String> {
    let expected = std::fs::read_to_string(case.join("expected_warnings.txt")).unwrap_or_default();
    let expected: Vec<&str> = expected
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let got: Vec<String> = registry.warnings.iter().map(|w| w.to_string()).collect();
    let missing: Vec<&&str> = expected
        .iter()
        .filter(|want| !got.iter().any(|g| g.contains(**want)))
        .collect();
    if missing.is_empty() && got.len() == expected.len() {
        Ok(())
    } else {
        Err(format!(
            "expected {} warning(s) containing {expected:?}, got {got:#?}",
            expected.len()
        ))
    }
}

#[test]
fn registry_testcases() {
    let cases = cases();
    assert!(cases.len() >= 20, "only {} cases found", cases.len());
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            let name = case.file_name().unwrap().to_string_lossy().into_owned();
            run_case(case).err().map(|e| format!("{name}: {e}"))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn errors_name_file_line_column_and_field() {
    let case = root().join("tests/testcases/registry/unknown_profile");
    let e = Registry::load(&case.join("network.toml")).unwrap_err();
    assert_eq!(e.file, case.join("network.toml"));
    assert!(e.line > 0 && e.column > 0);
    assert_eq!(e.field, "station[0].device[1].profile");
}

#[test]
fn explicit_requests_are_the_plan() {
    let case = root().join("tests/testcases/registry/explicit_requests_ok");
    let registry = Registry::load(&case.join("network.toml")).unwrap();
    let gas = &registry.profiles["gas"];
    assert_eq!(
        gas.plan.requests,
        vec![
            ReadRequest {
                kind: RegisterKind::Input,
                start: 0,
                count: 10
            },
            ReadRequest {
                kind: RegisterKind::DiscreteInput,
                start: 0,
                count: 16
            },
            ReadRequest {
                kind: RegisterKind::Holding,
                start: 100,
                count: 1
            },
        ]
    );
    // Values in file order, then status entries in file order.
    let at = |request, offset| Location { request, offset };
    assert_eq!(
        gas.plan.locations,
        vec![at(0, 1), at(0, 5), at(1, 3), at(1, 0), at(2, 0), at(2, 0)]
    );
    assert_eq!(gas.values.len(), 2);
    assert_eq!(gas.status[2].bit, Some(0));
    assert_eq!(gas.status[3].bit, Some(7));
    assert_eq!(gas.status[0].meaning, StatusMeaning::Calibration);
    assert_eq!(gas.status[1].parameters, vec![Parameter::No2]);
    // 1 ppb NO2 at 25 °C = 1.8805 µg/m³.
    assert!((gas.values[1].to_canonical(1.0) - 1.8805).abs() < 1e-3);
    // Only the profiles the devices use are loaded; the other is listed as unused.
    assert!(!registry.profiles.contains_key("unused"));
    let unused = registry.unused_profiles();
    assert_eq!(unused.len(), 1, "{unused:?}");
    assert!(unused[0].ends_with("profiles/unused.toml"));
    let device = registry.devices().next().unwrap();
    assert_eq!(device.poll_interval.num_milliseconds(), 500);
    assert!(matches!(device.transport, Transport::RtuOverTcp { .. }));
}

#[test]
fn dongguan_demo_loads() {
    let registry = Registry::load(&root().join("stations/dongguan.toml")).unwrap();
    assert_eq!(registry.network.id, "dongguan-demo");
    assert_eq!(registry.network.time_zone, chrono_tz::Asia::Shanghai);
    let (micro, assessed): (Vec<_>, Vec<_>) = registry
        .stations
        .iter()
        .partition(|s| s.kind == StationKind::Micro);
    assert_eq!(assessed.len(), 33);
    // The micro-stations' grid: HJ 212 loggers only, each with its own MN, never assessed.
    assert!((6..=12).contains(&micro.len()), "{}", micro.len());
    for station in &micro {
        assert!(station.devices.is_empty(), "{}", station.id);
        assert_eq!(station.hj212.len(), 1, "{}", station.id);
        assert_eq!(station.kind.role(), StationRole::Micro);
        assert!((22.65..=23.15).contains(&station.lat), "{}", station.id);
        assert!((113.52..=114.25).contains(&station.lon), "{}", station.id);
    }
    let mut mns: Vec<&str> = micro.iter().map(|s| s.hj212[0].mn.as_str()).collect();
    mns.sort();
    mns.dedup();
    assert_eq!(mns.len(), micro.len());
    let national = registry
        .stations
        .iter()
        .filter(|s| s.kind == StationKind::National)
        .count();
    assert_eq!(national, 5);
    for station in &assessed {
        assert_eq!(station.devices.len(), 7, "{}", station.id);
        assert!((22.65..=23.15).contains(&station.lat), "{}", station.id);
        assert!((113.52..=114.25).contains(&station.lon), "{}", station.id);
        let mut params: Vec<Parameter> = station
            .devices
            .iter()
            .flat_map(|d| d.profile.parameters())
            .collect();
        let n = params.len();
        params.sort();
        params.dedup();
        assert_eq!(
            params.len(),
            n,
            "{}: a parameter from two devices",
            station.id
        );
        for p in [
            Parameter::Pm25,
            Parameter::Pm10,
            Parameter::So2,
            Parameter::No2,
            Parameter::Co,
            Parameter::O3,
            Parameter::WindSpeed,
            Parameter::Rain,
        ] {
            assert!(params.contains(&p), "{}: no {p}", station.id);
        }
    }
    assert!(
        registry.warnings.is_empty(),
        "the shipped registry loads without warnings: {:#?}",
        registry.warnings
    );
    // The 49iQ profile is shipped but no device uses it: it is not loaded, yet it loads.
    let unused = registry.unused_profiles();
    assert_eq!(
        unused,
        vec![root().join("stations/profiles/thermo-49iq.toml")]
    );
    let (iq, warnings) = Profile::load(&unused[0], &registry.network.reference).unwrap();
    assert!(warnings.is_empty(), "{warnings:#?}");
    let used = [
        "metone-bam1020-pm10",
        "metone-bam1020-pm25",
        "thermo-42i",
        "thermo-43i",
        "thermo-48i",
        "thermo-49i",
        "weather-station",
    ];
    assert_eq!(registry.profiles.keys().collect::<Vec<_>>(), used);
    for profile in used.iter().map(|id| &*registry.profiles[*id]).chain([&iq]) {
        assert_eq!(
            profile.plan.locations.len(),
            profile.values.len() + profile.status.len(),
            "{}",
            profile.id
        );
    }
    // BAM: 35 counts of 0.001 mg/m³ = 35 µg/m³.
    let bam = &registry.profiles["metone-bam1020-pm25"].values[0];
    assert!((bam.to_canonical(35.0) - 35.0).abs() < 1e-9);
}

#[test]
fn modicon_references_become_protocol_addresses() {
    let case = root().join("tests/testcases/registry/address_modicon_declared_ok");
    let registry = Registry::load(&case.join("network.toml")).unwrap();
    let p = &registry.profiles["p"];
    // input 30001, holding 400011 (6 digits), discrete input 10003, coil 00001.
    assert_eq!(
        (p.values[0].kind, p.values[0].address),
        (RegisterKind::Input, 0)
    );
    assert_eq!(
        (p.values[1].kind, p.values[1].address),
        (RegisterKind::Holding, 10)
    );
    assert_eq!(
        (p.status[0].kind, p.status[0].address),
        (RegisterKind::DiscreteInput, 2)
    );
    assert_eq!(
        (p.status[1].kind, p.status[1].address),
        (RegisterKind::Coil, 0)
    );
    assert_eq!(p.plan.requests[0].start, 0);
}

#[test]
fn an_hj212_logger_loads_with_its_code_map() {
    let case = root().join("tests/testcases/registry/hj212_ok");
    let registry = Registry::load(&case.join("network.toml")).unwrap();
    assert_eq!(
        registry.devices().count(),
        0,
        "a logger is not a polled device"
    );
    let logger = registry.hj212_devices().next().unwrap();
    assert_eq!((logger.id.as_str(), &*logger.station), ("S1-logger", "S1"));
    assert_eq!(logger.mn, "8888800000001");
    assert_eq!(
        logger.pw,
        lantian::registry::PwSource::File(case.join("secrets/s1.pw")),
        "relative to the network file"
    );
    assert_eq!(logger.minute_interval.num_minutes(), 10);
    assert_eq!(logger.rtd_interval.map(|i| i.seconds()), Some(60));
    let pm = logger.code("a34004").unwrap();
    assert_eq!(
        (pm.parameter, pm.conversion.factor),
        (Parameter::Pm25, 1000.0)
    );
    // The vendor code for O3 replaces the table's: one code per parameter.
    assert_eq!(logger.code("a99054").unwrap().parameter, Parameter::O3);
    assert!(logger.code("a05024").is_none());
    let ppb = logger.code("a99054").unwrap().conversion.factor;
    assert!(
        (ppb - 48.0 / 24.4654).abs() < 1e-3,
        "ppb → µg/m³ at 25 °C: {ppb}"
    );
    assert_eq!(logger.code("a21005").unwrap().parameter, Parameter::Co);
    assert_eq!(logger.parameters().len(), 11);
}
