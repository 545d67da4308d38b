//! Unit behaviour of the source analysis on constructed data.

use chrono::{TimeDelta, TimeZone, Utc};
use lantian::quality::Flag;
use lantian::sources::cpf::{CpfConfig, cpf};
use lantian::sources::excess::{ExcessConfig, background, runs};
use lantian::sources::nmf::nmf;
use lantian::sources::polar::{PolarConfig, polar_surface};
use lantian::sources::triangulate::{BearingLine, Projection, distance_m, triangulate};
use lantian::sources::{SourceError, StationSeries, angle_diff};
use lantian::store::{Record, Resolution, StationInfo, StationRole};
use lantian::units::Parameter;
use ndarray::Array2;

/// A series with wind turning through all directions and a source at `source_deg`.
fn synthetic(source_deg: f64, hours: usize) -> StationSeries {
    let start = Utc.with_ymd_and_hms(2024, 1, 1, 1, 0, 0).unwrap();
    let mut s = StationSeries::new("T1", Some((23.0, 113.7)), start, hours);
    let mut state = 12345u64;
    for h in 0..hours {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let r = (state >> 11) as f64 / (1u64 << 53) as f64;
        let wd = (h as f64 * 37.0 + r * 20.0) % 360.0;
        let ws = 1.0 + 5.0 * r;
        let off = angle_diff(wd, source_deg).abs();
        let c = 20.0 + 10.0 * r + if off < 15.0 { 60.0 } else { 0.0 };
        s.set(Parameter::WindSpeed, h, ws);
        s.set(Parameter::WindDirection, h, wd);
        s.set(Parameter::So2, h, c);
    }
    s
}

#[test]
fn cpf_finds_a_known_source_direction() {
    let s = synthetic(250.0, 2000);
    let obs = s.wind_obs(Parameter::So2, 48).unwrap();
    let c = cpf(&obs, &CpfConfig::default());
    let b = c.bearings();
    assert!(!b.is_empty());
    assert!(
        angle_diff(b[0].bearing_deg, 250.0).abs() < 10.0,
        "{:?}",
        b[0]
    );
    assert!(b[0].confidence > 0.99);
    let p = polar_surface(&obs, &PolarConfig::default());
    let (_, wd, _) = p.peak().unwrap();
    assert!(angle_diff(wd, 250.0).abs() < 15.0, "polar peak at {wd}");
}

#[test]
fn exact_bearings_recover_a_point() {
    let src = (22.95, 113.80);
    let stations = [(23.05, 113.70), (22.90, 113.70), (22.85, 113.95)];
    let lines: Vec<BearingLine> = stations
        .iter()
        .enumerate()
        .map(|(i, &(lat, lon))| {
            let p = Projection::new(lat, lon);
            let (x, y) = p.xy(src.0, src.1);
            BearingLine {
                station: format!("S{i}"),
                lat,
                lon,
                bearing_deg: x.atan2(y).to_degrees(),
                sigma_deg: 5.0,
            }
        })
        .collect();
    let loc = triangulate(&lines, 15.0).unwrap();
    assert!(distance_m((loc.lat, loc.lon), src) < 50.0, "{loc:?}");
    assert!(loc.residual_rms_m < 50.0);
}

#[test]
fn near_parallel_bearings_are_rejected() {
    let lines = vec![
        BearingLine {
            station: "A".into(),
            lat: 23.0,
            lon: 113.7,
            bearing_deg: 90.0,
            sigma_deg: 5.0,
        },
        BearingLine {
            station: "B".into(),
            lat: 23.01,
            lon: 113.7,
            bearing_deg: 95.0,
            sigma_deg: 5.0,
        },
    ];
    assert!(matches!(
        triangulate(&lines, 15.0),
        Err(SourceError::Geometry(_))
    ));
}

#[test]
fn micro_stations_and_background_sites_never_make_the_network_background() {
    let start = Utc.with_ymd_and_hms(2024, 1, 1, 1, 0, 0).unwrap();
    let from_records = |roles: &[(&str, StationRole, f64)]| {
        let stations: Vec<StationInfo> = roles
            .iter()
            .map(|&(id, role, _)| StationInfo {
                id: id.to_string(),
                name: id.to_string(),
                name_en: id.to_string(),
                district: String::new(),
                lat: None,
                lon: None,
                time_zone: chrono_tz::Asia::Shanghai,
                city: String::new(),
                role,
            })
            .collect();
        let records: Vec<Record> = roles
            .iter()
            .map(|&(id, _, value)| Record {
                station: id.into(),
                parameter: Parameter::Pm25,
                resolution: Resolution::Hour,
                time: start,
                value,
                flag: Flag::Normal,
                count: 60,
            })
            .collect();
        let series =
            StationSeries::from_records(&records, &stations, start, start + TimeDelta::hours(1));
        background(&series, &ExcessConfig::default())[&Parameter::Pm25][0]
    };
    let assessed = [
        ("S1", StationRole::Assessment, 30.0),
        ("S2", StationRole::Assessment, 40.0),
        ("S3", StationRole::Assessment, 50.0),
    ];
    assert_eq!(from_records(&assessed), 40.0);
    let mut with_others = assessed.to_vec();
    with_others.extend([
        ("M1", StationRole::Micro, 900.0),
        ("M2", StationRole::Micro, 800.0),
        ("B1", StationRole::Background, 700.0),
    ]);
    assert_eq!(from_records(&with_others), 40.0);
}

#[test]
fn episodes_are_runs_with_gaps_bridged() {
    let hot = [
        false, true, true, false, true, false, false, false, true, false,
    ];
    assert_eq!(runs(&hot, 1, 2), vec![(1, 4)]);
    assert_eq!(runs(&hot, 0, 1), vec![(1, 2), (4, 4), (8, 8)]);
}

#[test]
fn bad_input_says_what_is_missing() {
    let start = Utc.with_ymd_and_hms(2024, 1, 1, 1, 0, 0).unwrap();
    let mut s = StationSeries::new("X", None, start, 100);
    for h in 0..100 {
        s.set(Parameter::No2, h, 30.0);
    }
    let e = s.wind_obs(Parameter::No2, 48).unwrap_err();
    assert!(
        e.to_string()
            .contains("station X: no wind speed or wind direction"),
        "{e}"
    );
    for h in 0..100 {
        s.set(Parameter::WindSpeed, h, 0.2);
        s.set(Parameter::WindDirection, h, (h * 10) as f64);
    }
    assert!(matches!(
        s.wind_obs(Parameter::No2, 48),
        Err(SourceError::OnlyCalms { .. })
    ));
    for h in 0..100 {
        s.set(Parameter::WindSpeed, h, 3.0);
        s.set(Parameter::WindDirection, h, 90.0);
    }
    assert!(matches!(
        s.wind_obs(Parameter::No2, 48),
        Err(SourceError::ConstantWind { .. })
    ));
    assert!(matches!(
        s.wind_obs(Parameter::No2, 500),
        Err(SourceError::TooLittleData { .. })
    ));
}

#[test]
fn nmf_recovers_two_planted_factors() {
    let f = [[0.7, 0.2, 0.1, 0.0], [0.0, 0.1, 0.3, 0.6]];
    let n = 300;
    let mut x = Array2::zeros((n, 4));
    for i in 0..n {
        let g = [((i * 7) % 13) as f64, ((i * 11) % 17) as f64];
        for j in 0..4 {
            x[[i, j]] = g[0] * f[0][j] + g[1] * f[1][j];
        }
    }
    let u = x.mapv(|v: f64| 0.1 * v + 0.05);
    let r = nmf(&x, &u, 2, 5000, 7).unwrap();
    // Each planted profile matches one recovered profile.
    for planted in f {
        let best = (0..2)
            .map(|k| {
                (0..4)
                    .map(|j| (r.f[[k, j]] - planted[j]).abs())
                    .sum::<f64>()
            })
            .fold(f64::INFINITY, f64::min);
        assert!(best < 0.1, "profile {planted:?} not recovered: {:?}", r.f);
    }
}
