//! Source analysis against the simulator's ground truth: the scenario's sources are known, and
//! `World::source_contributions` says which source made each station-hour's pollution.
//!
//! Prints the figures quoted in README (run with `--nocapture`).

use std::path::Path;

use chrono::{TimeDelta, TimeZone, Utc};
use lantian::registry::Registry;
use lantian::sim::scenario::{Scenario, SourceKind, SourceType};
use lantian::sim::world::{ContributionKind, StationSite, World};
use lantian::sources::triangulate::{Projection, distance_m};
use lantian::sources::{AnalysisConfig, StationSeries, analyse};
use lantian::units::Parameter;

const DAYS: usize = 60;

/// A true source: name, kind, position, line segment.
type Truth = (
    String,
    SourceKind,
    (f64, f64),
    Option<((f64, f64), (f64, f64))>,
);

fn label(t: SourceType) -> &'static str {
    match t {
        SourceType::CoalCombustion | SourceType::Industrial | SourceType::Shipping => {
            "coal_industrial"
        }
        SourceType::Traffic => "traffic",
        SourceType::Dust => "dust",
        SourceType::BiomassBurning => "biomass_burning",
        SourceType::SecondaryRegional => "secondary_regional",
    }
}

/// Distance from `p` to segment a–b, m.
fn seg_distance(p: (f64, f64), a: (f64, f64), b: (f64, f64)) -> f64 {
    let proj = Projection::new(p.0, p.1);
    let (ax, ay) = proj.xy(a.0, a.1);
    let (bx, by) = proj.xy(b.0, b.1);
    let (dx, dy) = (bx - ax, by - ay);
    let t = (-(ax * dx + ay * dy) / (dx * dx + dy * dy)).clamp(0.0, 1.0);
    (ax + t * dx).hypot(ay + t * dy)
}

#[test]
fn simulator_ground_truth() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let registry = Registry::load(&root.join("stations/dongguan.toml")).unwrap();
    let scenario = Scenario::load(root.join("stations/scenarios/dongguan-demo.toml")).unwrap();
    let sites: Vec<StationSite> = registry
        .stations
        .iter()
        .map(|s| StationSite {
            id: s.id.clone(),
            lat: s.lat,
            lon: s.lon,
            elevation_m: s.elevation_m,
        })
        .collect();
    let start = Utc.with_ymd_and_hms(2025, 9, 30, 16, 0, 0).unwrap();
    let world = World::from_sites(&scenario, &sites, start);
    let hours = DAYS * 24;
    let params = [
        Parameter::Pm25,
        Parameter::Pm10,
        Parameter::So2,
        Parameter::No2,
        Parameter::No,
        Parameter::Nox,
        Parameter::Co,
        Parameter::O3,
    ];
    let mut series = Vec::new();
    for (i, s) in sites.iter().enumerate() {
        let mut ss = StationSeries::new(
            &s.id,
            Some((s.lat, s.lon)),
            start + TimeDelta::hours(1),
            hours,
        );
        for h in 0..hours {
            let c = world.conditions(i, ss.time(h));
            ss.set(Parameter::WindSpeed, h, c.get(Parameter::WindSpeed));
            ss.set(Parameter::WindDirection, h, c.get(Parameter::WindDirection));
            for p in params {
                ss.set(p, h, c.get(p));
            }
        }
        series.push(ss);
    }
    let t0 = std::time::Instant::now();
    let a = analyse(&series, &AnalysisConfig::default());
    let took = t0.elapsed();

    // Located sources vs the true ones.
    let truth: Vec<Truth> = scenario
        .sources
        .iter()
        .map(|s| {
            let seg = s.from.zip(s.to).map(|(f, t)| ((f[0], f[1]), (t[0], t[1])));
            (
                s.name.clone(),
                s.kind,
                (s.lat.unwrap_or(0.0), s.lon.unwrap_or(0.0)),
                seg,
            )
        })
        .collect();
    let dist = |l: (f64, f64), t: &Truth| match t.3 {
        Some((a, b)) => seg_distance(l, a, b),
        None => distance_m(l, t.2),
    };
    println!(
        "located {} sources in {took:?} ({} bearings)",
        a.located.len(),
        a.bearings.len()
    );
    let mut within = 0;
    for l in &a.located {
        let (best, d) = truth
            .iter()
            .map(|t| (t, dist((l.lat, l.lon), t)))
            .min_by(|x, y| x.1.total_cmp(&y.1))
            .unwrap();
        if d <= 5_000.0 {
            within += 1;
        }
        println!(
            "  ({:.4}, {:.4}) r={:.0} m, {} stations, {:?}: nearest true source {} at {:.1} km",
            l.lat,
            l.lon,
            l.radius_m,
            l.stations.len(),
            l.pollutants,
            best.0,
            d / 1000.0
        );
    }
    for t in &truth {
        let d = a
            .located
            .iter()
            .map(|l| dist((l.lat, l.lon), t))
            .fold(f64::INFINITY, f64::min);
        println!("  true {}: nearest located at {:.1} km", t.0, d / 1000.0);
    }
    println!(
        "located within 5 km of a true source: {within}/{}",
        a.located.len()
    );

    // Episode labels vs the dominant true contributor.
    let weight = |p: Parameter| match p {
        Parameter::Pm25 => 1.0 / 15.0,
        Parameter::Pm10 => 1.0 / 25.0,
        Parameter::So2 => 1.0 / 10.0,
        Parameter::Nox => 1.0 / 20.0,
        Parameter::Co => 1.0 / 0.3,
        _ => 0.0,
    };
    let (mut right, mut total) = (0, 0);
    let mut confusion: std::collections::BTreeMap<(String, String), usize> = Default::default();
    for e in &a.episodes {
        let ep = &e.episode;
        let (a0, b0) = ep.range;
        let stations: Vec<usize> = if ep.station == "network" {
            (0..sites.len()).collect()
        } else {
            vec![sites.iter().position(|s| *s.id == *ep.station).unwrap()]
        };
        let mut score: std::collections::BTreeMap<&'static str, f64> = Default::default();
        for &st in &stations {
            for h in a0..=b0 {
                for c in world.source_contributions(st, series[st].time(h)) {
                    // Station episodes are about local excess: regional episodes add to every
                    // station alike and are only the truth of network episodes.
                    if ep.station != "network" && c.kind == ContributionKind::Episode {
                        continue;
                    }
                    let w: f64 = c.values.iter().map(|(p, v)| v * weight(p)).sum();
                    *score.entry(label(c.source_type)).or_default() += w;
                }
            }
        }
        let true_label = score
            .iter()
            .max_by(|x, y| x.1.total_cmp(y.1))
            .map_or("none", |x| *x.0);
        total += 1;
        if true_label == e.source_type {
            right += 1;
        }
        *confusion
            .entry((true_label.to_string(), e.source_type.clone()))
            .or_default() += 1;
    }
    println!("episodes labelled correctly: {right}/{total}");
    for ((t, p), n) in &confusion {
        println!("  true {t:<18} → labelled {p:<18} {n}");
    }
    assert!(total > 0);
}
