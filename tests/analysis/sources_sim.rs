//! Source analysis against the simulator's ground truth: 33 Dongguan stations × 60 days of
//! `stations/scenarios/dongguan-sources.toml`, whose sources (one of each type the analysis
//! labels) are known, and `World::source_contributions` says which source made each
//! station-hour's pollution.
//!
//! Prints the figures quoted in README (run with `--nocapture`) and fails when the located
//! sources or the episode labels fall below the thresholds.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{TimeDelta, TimeZone, Utc};
use lantian::chart::render;
use lantian::registry::Registry;
use lantian::report::Lang;
use lantian::sim::scenario::{Scenario, SourceType};
use lantian::sim::world::{StationSite, World};
use lantian::sources::MapChart;
use lantian::sources::analysis::Located;
use lantian::sources::signature::SourceType as Identified;
use lantian::sources::triangulate::{Projection, distance_m};
use lantian::sources::{AnalysisConfig, StationSeries, analyse};
use lantian::units::{AirPollutant, Parameter};

const DAYS: usize = 60;
/// A located point is "right" when it lies this close to a true source, m.
const NEAR_M: f64 = 5_000.0;

/// A true source: name, position, line segment, pollutants emitted (codes; NOx also stands
/// for NO2 and NO).
type Truth = (
    String,
    (f64, f64),
    Option<((f64, f64), (f64, f64))>,
    Vec<String>,
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

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

#[test]
fn simulator_ground_truth() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let registry = Registry::load(&root.join("stations/dongguan.toml")).unwrap();
    let scenario = Scenario::load(root.join("stations/scenarios/dongguan-sources.toml")).unwrap();
    // The 33 assessment stations: the network's micro stations (HJ 212 loggers of the demo)
    // are not part of this ground truth.
    let sites: Vec<StationSite> = registry
        .stations
        .iter()
        .filter(|s| s.kind.role().is_assessed())
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
    let params = AirPollutant::ALL.map(Parameter::from);
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
            let mut emits: Vec<String> = s.emissions.keys().map(|p| p.code().into()).collect();
            if s.emissions.contains_key(&AirPollutant::Nox) {
                emits.extend(["no2".into(), "no".into()]);
            }
            (
                s.name.clone(),
                (s.lat.unwrap_or(0.0), s.lon.unwrap_or(0.0)),
                seg,
                emits,
            )
        })
        .collect();
    // Distance from a located point to a true source that emits one of its pollutants (a
    // point that lands near a source of something else is not counted as found).
    let dist = |l: &Located, t: &Truth| {
        if !l
            .pollutants
            .iter()
            .any(|p| t.3.iter().any(|c| c == p.code()))
        {
            return f64::INFINITY;
        }
        match t.2 {
            Some((a, b)) => seg_distance((l.lat, l.lon), a, b),
            None => distance_m((l.lat, l.lon), t.1),
        }
    };
    println!(
        "located {} sources in {took:?} ({} bearings)",
        a.located.len(),
        a.bearings.len()
    );
    let mut near = 0;
    for l in &a.located {
        let (best, d) = truth
            .iter()
            .map(|t| (t, dist(l, t)))
            .min_by(|x, y| x.1.total_cmp(&y.1))
            .unwrap();
        if d <= NEAR_M {
            near += 1;
        }
        println!(
            "  ({:.4}, {:.4}) r={:.1} km, {} stations, {:?}: nearest true source of these {} at {:.1} km{}",
            l.lat,
            l.lon,
            l.radius_m / 1000.0,
            l.stations.len(),
            l.pollutants,
            best.0,
            d / 1000.0,
            if d <= l.radius_m { " (inside r)" } else { "" }
        );
    }
    let mut found = 0;
    for t in &truth {
        let d = a
            .located
            .iter()
            .map(|l| dist(l, t))
            .fold(f64::INFINITY, f64::min);
        if d <= NEAR_M {
            found += 1;
        }
        println!("  true {}: nearest located at {:.1} km", t.0, d / 1000.0);
    }
    // The map of bearings, located sources (with their uncertainty circles) and true sources.
    let map = MapChart {
        title: format!("Simulator, {DAYS} days: located (red) vs true (green) sources"),
        stations: sites
            .iter()
            .map(|s| (s.id.to_string(), s.lat, s.lon))
            .collect(),
        rays: a
            .bearings
            .iter()
            .filter(|b| b.bearing.confidence >= 0.95)
            .filter_map(|b| {
                let s = sites.iter().find(|s| *s.id == *b.station)?;
                Some((s.lat, s.lon, b.bearing.bearing_deg))
            })
            .collect(),
        located: a.located.clone(),
        truth: truth
            .iter()
            .map(|t| {
                let p =
                    t.2.map_or(t.1, |(a, b)| ((a.0 + b.0) / 2.0, (a.1 + b.1) / 2.0));
                // PNG charts carry no CJK font: the English words of the name (a line source
                // is marked at its middle).
                let en: Vec<&str> = t.0.split_whitespace().filter(|w| w.is_ascii()).collect();
                (en.join(" "), p.0, p.1)
            })
            .collect(),
    };
    let png = Path::new(env!("CARGO_TARGET_TMPDIR")).join("sources-sim-map.png");
    render(&map, Lang::En, Some(&png)).unwrap();
    println!("map: {}", png.display());
    let precision = near as f64 / a.located.len().max(1) as f64;
    let recall = found as f64 / truth.len() as f64;
    println!(
        "within {:.0} km: precision {near}/{} = {precision:.2}, recall {found}/{} = {recall:.2}",
        NEAR_M / 1000.0,
        a.located.len(),
        truth.len()
    );

    // Episode labels vs the dominant true contributor to the episode's excess: a station
    // episode is measured against the network median, so each contribution counts by its
    // excess over the median of that contribution across the stations (regional episodes
    // raise every station alike and only their gradient shows up in a station's excess);
    // a network episode counts every contribution at every station.
    let weight = |p: AirPollutant| match p {
        AirPollutant::Pm25 => 1.0 / 15.0,
        AirPollutant::Pm10 => 1.0 / 25.0,
        AirPollutant::So2 => 1.0 / 10.0,
        AirPollutant::Nox => 1.0 / 20.0,
        AirPollutant::Co => 1.0 / 0.3,
        _ => 0.0,
    };
    // Weighted contribution of every source and episode, per hour and station.
    let per_hour: Vec<Vec<Vec<(&str, f64)>>> = (0..hours)
        .map(|h| {
            (0..sites.len())
                .map(|st| {
                    world
                        .source_contributions(st, series[0].time(h))
                        .iter()
                        .map(|c| {
                            let w: f64 = c.values.iter().map(|(p, v)| v * weight(p)).sum();
                            (label(c.source_type), w)
                        })
                        .collect()
                })
                .collect()
        })
        .collect();
    let mut confusion: BTreeMap<(&str, String), usize> = BTreeMap::new();
    for e in &a.episodes {
        let ep = &e.episode;
        let (a0, b0) = ep.range;
        let mut score: BTreeMap<&'static str, f64> = BTreeMap::new();
        for per in &per_hour[a0..=b0] {
            if let Some(station) = ep.scope.station() {
                let st = sites.iter().position(|s| *s.id == *station).unwrap();
                for (k, (l, w)) in per[st].iter().enumerate() {
                    let mut all: Vec<f64> = per.iter().map(|s| s[k].1).collect();
                    *score.entry(l).or_default() += (w - median(&mut all)).max(0.0);
                }
            } else {
                for st in per {
                    for (l, w) in st {
                        *score.entry(l).or_default() += w;
                    }
                }
            }
        }
        let true_label = score
            .iter()
            .filter(|x| *x.1 > 0.0)
            .max_by(|x, y| x.1.total_cmp(y.1))
            .map_or("unclassified", |x| *x.0);
        *confusion
            .entry((true_label, e.source_type.to_string()))
            .or_default() += 1;
    }
    let total: usize = confusion.values().sum();
    let right: usize = confusion
        .iter()
        .filter(|((t, p), _)| t == p)
        .map(|(_, n)| n)
        .sum();
    println!("episodes labelled correctly: {right}/{total}");
    let labels: Vec<&str> = Identified::ALL.iter().map(|t| t.code()).collect();
    println!("| true \\ labelled | {} | right |", labels.join(" | "));
    let mut per_type = BTreeMap::new();
    for &t in &labels {
        let row: Vec<usize> = labels
            .iter()
            .map(|p| confusion.get(&(t, p.to_string())).copied().unwrap_or(0))
            .collect();
        let n: usize = row.iter().sum();
        if n == 0 {
            continue;
        }
        let ok = confusion.get(&(t, t.to_string())).copied().unwrap_or(0);
        per_type.insert(t, (ok, n));
        println!(
            "| {t} | {} | {ok}/{n} |",
            row.iter()
                .map(|v| v.to_string())
                .collect::<Vec<_>>()
                .join(" | ")
        );
    }

    // Thresholds.
    assert!(
        precision >= 0.75,
        "only {near} of {} located points within {NEAR_M} m of a true source",
        a.located.len()
    );
    assert!(
        found >= 3,
        "only {found} of {} true sources located",
        truth.len()
    );
    assert!(
        right as f64 >= 0.9 * total as f64,
        "{right}/{total} episodes labelled right"
    );
    for t in labels.iter().take(5) {
        let (ok, n) = per_type.get(t).copied().unwrap_or((0, 0));
        assert!(
            n >= 3,
            "only {n} {t} episodes: the scenario must exercise every type"
        );
        assert!(
            ok as f64 >= 0.7 * n as f64,
            "{t}: {ok}/{n} episodes labelled right"
        );
    }
}
