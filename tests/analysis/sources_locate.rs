//! Locating sources from bearings (used-up bearings, weak pairs) and per-station factors, on
//! constructed data.

use std::collections::BTreeMap;

use chrono::{TimeZone, Utc};
use lantian::sources::analysis::{AnalysisConfig, StationBearing, locate};
use lantian::sources::cpf::Bearing;
use lantian::sources::factors::{FactorConfig, station_factors};
use lantian::sources::signature::SourceType;
use lantian::sources::triangulate::{Projection, distance_m};
use lantian::sources::{SourceError, StationSeries};
use lantian::units::Parameter;

/// A bearing from `station` at `pos` towards `target`, plus `skew` degrees.
fn towards(
    station: &str,
    pos: (f64, f64),
    target: (f64, f64),
    skew: f64,
    z: f64,
) -> StationBearing {
    let p = Projection::new(pos.0, pos.1);
    let (x, y) = p.xy(target.0, target.1);
    StationBearing {
        station: station.into(),
        pollutant: Parameter::So2,
        bearing: Bearing {
            bearing_deg: (x.atan2(y).to_degrees() + skew).rem_euclid(360.0),
            confidence: 0.999,
            z,
            cpf: 0.6,
            n: 200,
            m: 120,
            sigma_deg: 10.0,
        },
        excess: 20.0,
    }
}

#[test]
fn one_bearing_explains_one_source_and_weak_pairs_are_no_evidence() {
    let src = (22.95, 113.80);
    let stations = [
        ("A", (23.03, 113.76)),
        ("B", (22.88, 113.74)),
        ("C", (22.92, 113.90)),
        ("D", (23.02, 113.88)),
        ("E", (22.99, 113.70)),
    ];
    let positions: BTreeMap<&str, (f64, f64)> = stations.iter().copied().collect();
    let cfg = AnalysisConfig::default();
    let mut bearings: Vec<StationBearing> = stations[..3]
        .iter()
        .map(|(id, pos)| towards(id, *pos, src, 1.0, 12.0))
        .collect();
    // D points at the source too; E's bearing crosses the others elsewhere.
    bearings.push(towards("D", stations[3].1, src, -2.0, 6.0));
    bearings.push(towards("E", stations[4].1, (22.80, 113.78), 0.0, 6.0));
    let found = locate(&bearings, &positions, &cfg);
    assert_eq!(found.len(), 1, "{found:#?}");
    let d = distance_m((found[0].lat, found[0].lon), src);
    assert!(d < 1_000.0, "located {d:.0} m off");
    assert!(found[0].stations.contains(&"D".to_string()));
    assert!(
        found[0].radius_m >= d,
        "radius {} < error {d}",
        found[0].radius_m
    );

    // Two weak bearings crossing: no source; two strong ones: a source.
    let weak = [
        towards("A", stations[0].1, src, 0.0, 6.0),
        towards("C", stations[2].1, src, 0.0, 6.0),
    ];
    assert!(locate(&weak, &positions, &cfg).is_empty());
    let strong = [
        towards("A", stations[0].1, src, 0.0, 15.0),
        towards("C", stations[2].1, src, 0.0, 15.0),
    ];
    assert_eq!(locate(&strong, &positions, &cfg).len(), 1);

    // A significant peak without a real excess (background texture) is not used.
    let mut faint = strong.to_vec();
    faint.iter_mut().for_each(|b| b.excess = 0.5);
    assert!(locate(&faint, &positions, &cfg).is_empty());
}

/// Two planted sources: a coal-like one (SO2, PM) in the night, a traffic-like one (NOx, CO)
/// at the rush hours.
fn two_sources(hours: usize) -> StationSeries {
    let start = Utc.with_ymd_and_hms(2024, 1, 1, 1, 0, 0).unwrap();
    let mut s = StationSeries::new("F1", None, start, hours);
    let mut state = 7u64;
    for h in 0..hours {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let r = (state >> 11) as f64 / (1u64 << 53) as f64;
        let hour = h % 24;
        let coal = if hour < 6 { 2.0 + 2.0 * r } else { 0.3 * r };
        let traffic = if (7..10).contains(&hour) || (17..20).contains(&hour) {
            2.0 + r
        } else {
            0.4 * (1.0 - r)
        };
        s.set(Parameter::So2, h, 30.0 * coal + 1.0);
        s.set(Parameter::Pm25, h, 10.0 * coal + 4.0 * traffic + 5.0);
        s.set(Parameter::Pm10, h, 16.0 * coal + 6.0 * traffic + 8.0);
        s.set(Parameter::Nox, h, 4.0 * coal + 40.0 * traffic + 5.0);
        s.set(Parameter::Co, h, 0.05 * coal + 0.4 * traffic + 0.3);
    }
    s
}

#[test]
fn factors_separate_planted_sources() {
    let s = two_sources(24 * 60);
    let cfg = FactorConfig {
        factors: Some(3),
        max_iter: 2000,
        ..FactorConfig::default()
    };
    let f = station_factors(&s, &cfg, chrono_tz::UTC).unwrap();
    assert_eq!(f.factors.len(), 3);
    assert_eq!(f.species, ["pm25", "pm10", "so2", "nox", "co"]);
    // One factor takes most of the SO2 and peaks at night; another most of the NOx at the
    // rush hours.
    let so2 = f
        .factors
        .iter()
        .max_by(|a, b| a.species_share["so2"].total_cmp(&b.species_share["so2"]))
        .unwrap();
    assert!(so2.species_share["so2"] > 0.7, "{so2:?}");
    let peak = |d: &[f64]| (0..24).max_by(|a, b| d[*a].total_cmp(&d[*b])).unwrap();
    assert!(peak(&so2.diurnal) < 6, "{:?}", so2.diurnal);
    assert_eq!(so2.resembles, SourceType::CoalIndustrial);
    let nox = f
        .factors
        .iter()
        .max_by(|a, b| a.species_share["nox"].total_cmp(&b.species_share["nox"]))
        .unwrap();
    assert!(nox.species_share["nox"] > 0.6, "{nox:?}");
    assert!([7, 8, 9, 17, 18, 19].contains(&peak(&nox.diurnal)));
    // Shares of each species add up to 1.
    for sp in &f.species {
        let total: f64 = f.factors.iter().map(|x| x.species_share[sp]).sum();
        assert!((total - 1.0).abs() < 1e-9, "{sp}: {total}");
    }

    // Chosen by Q/Qexp: every fit reported, the choice among them.
    let auto = station_factors(&s, &FactorConfig::default(), chrono_tz::UTC).unwrap();
    assert_eq!(auto.fits.len(), 4);
    assert!(auto.fits.iter().any(|x| x.0 == auto.factors.len()));
    assert!(!auto.chosen_by.is_empty());

    // Too little data is said so.
    let short = two_sources(20);
    match station_factors(&short, &FactorConfig::default(), chrono_tz::UTC) {
        Err(SourceError::TooLittleData { have, need, .. }) => assert!(have < need),
        other => panic!("{other:?}"),
    }
}
