//! Tests of the simulator's physical model (`lantian::sim`).

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Timelike, Utc};
use lantian::sim::scenario::{FaultKind, Scenario, ScenarioError};
use lantian::sim::world::{ContributionKind, StationSite, World};
use lantian::units::{AirPollutant, Parameter};

const DEMO: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/stations/scenarios/dongguan-demo.toml"
);

/// Town stations of the Dongguan network (approximate positions).
const TOWNS: [(&str, f64, f64); 20] = [
    ("GC", 23.044, 113.752),
    ("HM", 22.815, 113.673),
    ("CA", 22.804, 113.804),
    ("SSH", 22.917, 113.885),
    ("MY", 23.045, 113.585),
    ("ST", 22.920, 113.620),
    ("TX", 22.790, 114.090),
    ("FG", 22.740, 114.140),
    ("ZMT", 22.920, 114.080),
    ("CP", 22.980, 114.030),
    ("SP", 23.080, 113.930),
    ("QX", 22.840, 114.160),
    ("HJ", 22.940, 113.670),
    ("LB", 22.990, 113.870),
    ("DL", 22.940, 113.940),
    ("DJ", 23.000, 113.670),
    ("SL", 23.110, 113.850),
    ("HGJ", 22.880, 114.000),
    ("DLS", 22.880, 113.780),
    ("DC", 23.030, 113.790),
];

fn towns() -> Vec<StationSite> {
    TOWNS
        .iter()
        .map(|&(id, lat, lon)| StationSite {
            id: Arc::from(id),
            lat,
            lon,
            elevation_m: 10.0,
        })
        .collect()
}

fn demo() -> Scenario {
    Scenario::load(DEMO).expect("demo scenario loads")
}

/// Local midnight of a Wednesday (Asia/Shanghai).
fn start() -> DateTime<Utc> {
    "2025-10-14T16:00:00Z".parse().unwrap()
}

fn scenario(text: &str) -> Result<Scenario, ScenarioError> {
    Scenario::from_toml(text, Path::new("test-scenario.toml"))
}

#[test]
fn demo_loads_and_exposes_faults() {
    let s = demo();
    assert_eq!(s.sources.len(), 5);
    assert_eq!(s.episodes.len(), 2);
    assert!(s.faults.iter().any(|f| f.device == "DG-GC-SO2"));
    let t0 = start();
    let tz = s.time_zone;
    let at = |h: i64, m: i64| t0 + TimeDelta::hours(h) + TimeDelta::minutes(m);
    let kinds = |dev: &str, t| -> Vec<FaultKind> {
        s.active_faults(dev, t, t0, tz)
            .map(|a| a.fault.kind)
            .collect()
    };
    assert_eq!(kinds("DG-GC-SO2", at(2, 10)), [FaultKind::Calibration]);
    assert!(kinds("DG-GC-SO2", at(2, 20)).is_empty());
    assert_eq!(kinds("DG-HM-PM25", at(7, 0)), [FaultKind::Offline]);
    assert_eq!(kinds("DG-TX-NOX", at(10, 45)), [FaultKind::Maintenance]);
    let stuck = s
        .active_faults("DG-MC-SO2", at(16, 0), t0, tz)
        .next()
        .unwrap();
    assert_eq!(stuck.since, at(15, 0));
    assert_eq!(stuck.until, at(18, 0));
    let slow = s
        .active_faults("DG-CA-NOX", at(9, 30), t0, tz)
        .next()
        .unwrap();
    assert_eq!(slow.fault.delay_ms, Some(3000));
}

#[test]
fn deterministic() {
    let s = demo();
    let a = World::from_sites(&s, &towns(), start());
    let b = World::from_sites(&s, &towns(), start());
    for k in 0..200 {
        let t = start() + TimeDelta::seconds(k * 433);
        let st = k as usize % TOWNS.len();
        assert_eq!(a.conditions(st, t), b.conditions(st, t));
    }
    // Evaluation order does not matter, and consecutive seconds do not jitter.
    let t = start() + TimeDelta::hours(9);
    let first = a.conditions(3, t);
    let _ = a.conditions(7, t + TimeDelta::hours(5));
    assert_eq!(first, a.conditions(3, t));
    let next = a.conditions(3, t + TimeDelta::seconds(1));
    for p in [Parameter::Pm25, Parameter::O3, Parameter::Temperature] {
        let (x, y) = (first.get(p), next.get(p));
        assert!((x - y).abs() <= 0.01 * x.abs().max(1.0), "{p}: {x} → {y}");
    }
}

#[test]
fn values_are_physical() {
    let s = demo();
    let w = World::from_sites(&s, &towns(), start());
    for k in 0..(2 * 24 * 60 / 7) {
        let t = start() + TimeDelta::minutes(7 * k);
        for st in 0..w.station_count() {
            let c = w.conditions(st, t);
            for (p, v) in c.iter() {
                assert!(v.is_finite(), "{p} at {t}: {v}");
                if p.is_pollutant() {
                    assert!(v >= 0.0, "{p} at {t}: {v}");
                }
            }
            let wd = c.get(Parameter::WindDirection);
            assert!((0.0..360.0).contains(&wd));
            assert!((0.0..=100.0).contains(&c.get(Parameter::Humidity)));
            assert!((10.0..40.0).contains(&c.get(Parameter::Temperature)));
            assert!(c.get(Parameter::DewPoint) <= c.get(Parameter::Temperature));
            assert!((990.0..1035.0).contains(&c.get(Parameter::Pressure)));
            assert!(c.get(Parameter::Pm25) <= c.get(Parameter::Pm10) * 1.2);
            let nox = c.get(Parameter::No2) + c.get(Parameter::No) * 46.0055 / 30.006;
            assert!((c.get(Parameter::Nox) - nox).abs() < 1e-9);
            assert!(c.get(Parameter::Co) < 10.0, "CO must be in mg/m³");
        }
    }
}

/// Hourly means over all stations of `p` for the demo day.
fn hourly(w: &World, p: Parameter) -> Vec<f64> {
    (0..24)
        .map(|h| {
            let mut sum = 0.0;
            let mut n = 0.0;
            for m in (0..60).step_by(10) {
                let t = start() + TimeDelta::hours(h) + TimeDelta::minutes(m);
                for st in 0..w.station_count() {
                    sum += w.conditions(st, t).get(p);
                    n += 1.0;
                }
            }
            sum / n
        })
        .collect()
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

#[test]
fn diurnal_cycles() {
    let mut s = demo();
    s.climate.rain_events_per_week = 0.0;
    let w = World::from_sites(&s, &towns(), start());
    let o3 = hourly(&w, Parameter::O3);
    let peak = (0..24).max_by(|&a, &b| o3[a].total_cmp(&o3[b])).unwrap();
    assert!((12..=17).contains(&peak), "O3 peaks at {peak}: {o3:.0?}");
    assert!(o3[peak] > 2.0 * mean(&o3[0..5]), "{o3:.0?}");

    let no2 = hourly(&w, Parameter::No2);
    let (night, morning, midday, evening) = (
        mean(&no2[2..5]),
        mean(&no2[7..10]),
        mean(&no2[12..16]),
        mean(&no2[18..21]),
    );
    assert!(morning > 1.2 * midday && morning > night, "{no2:.0?}");
    assert!(evening > 1.2 * midday, "{no2:.0?}");

    let ws = hourly(&w, Parameter::WindSpeed);
    assert!(mean(&ws[0..5]) < 1.5, "calm nights: {ws:.1?}");
    assert!(mean(&ws[13..17]) > mean(&ws[0..5]) + 0.5, "{ws:.1?}");
    let temp = hourly(&w, Parameter::Temperature);
    let rh = hourly(&w, Parameter::Humidity);
    assert!(mean(&temp[13..16]) > mean(&temp[4..7]) + 4.0, "{temp:.1?}");
    assert!(mean(&rh[13..16]) < mean(&rh[4..7]) - 10.0, "{rh:.0?}");
}

#[test]
fn calm_nights() {
    let w = World::from_sites(&demo(), &towns(), start());
    let mut calm = 0;
    let mut n = 0;
    for m in (0..5 * 60).step_by(5) {
        let t = start() + TimeDelta::minutes(m);
        for st in 0..w.station_count() {
            calm += usize::from(w.conditions(st, t).get(Parameter::WindSpeed) < 1.5);
            n += 1;
        }
    }
    assert!(calm * 10 >= n * 8, "{calm}/{n} night samples below 1.5 m/s");
}

const PLANT: &str = r#"
seed = 7
[background]
noise = 0.0
[climate]
wind_veer = 0.0
sea_breeze = 0.0
rain_events_per_week = 0.0
[[source]]
name = "plant"
kind = "point"
source_type = "coal_combustion"
lat = 22.77
lon = 113.66
stack_height_m = 100.0
emissions = { so2 = 200.0, nox = 150.0 }
"#;

/// A single-station world at `(dx, dy)` m from the plant (same id, so the same turbulence).
fn receptor(s: &Scenario, along: f64, cross: f64, wd: f64) -> (World, f64, f64) {
    let th = wd.to_radians();
    let (ex, ey) = (-th.sin(), -th.cos()); // downwind
    let dx = along * ex + cross * ey;
    let dy = along * ey - cross * ex;
    let lat = 22.77 + dy / 110_574.0;
    let lon = 113.66 + dx / (111_320.0 * 22.77f64.to_radians().cos());
    let site = StationSite {
        id: Arc::from("R"),
        lat,
        lon,
        elevation_m: 5.0,
    };
    (World::from_sites(s, &[site], start()), lat, lon)
}

fn so2_from_plant(w: &World, t: DateTime<Utc>) -> f64 {
    let c = w.source_contributions(0, t);
    assert_eq!(c[0].kind, ContributionKind::Source);
    c[0].values[AirPollutant::So2]
}

#[test]
fn plume_downwind_not_upwind() {
    let s = scenario(PLANT).unwrap();
    let t = start() + TimeDelta::hours(13);
    // The wind at the plant itself.
    let (probe, _, _) = receptor(&s, 0.0, 0.0, 0.0);
    let wd = probe.conditions(0, t).get(Parameter::WindDirection);

    let (down, _, _) = receptor(&s, 3000.0, 0.0, wd);
    let (up, _, _) = receptor(&s, -3000.0, 0.0, wd);
    let inc = so2_from_plant(&down, t);
    assert!(inc > 20.0, "downwind SO2 increment {inc}");
    assert_eq!(so2_from_plant(&up, t), 0.0);
    let gap = down.conditions(0, t).get(Parameter::So2) - up.conditions(0, t).get(Parameter::So2);
    assert!(gap > 15.0, "SO2 downwind − upwind = {gap}");

    // Crosswind fall-off at 3 km.
    let mut prev = inc;
    for cross in [300.0, 600.0, 1000.0, 2000.0] {
        let (w, _, _) = receptor(&s, 3000.0, cross, wd);
        let v = so2_from_plant(&w, t);
        assert!(v < prev, "crosswind {cross} m: {v} ≥ {prev}");
        prev = v;
    }
    assert!(prev < 0.05 * inc);
}

#[test]
fn rain_washes_out_pm() {
    let wet = scenario("seed = 3\n[climate]\nrain_events_per_week = 40.0\n").unwrap();
    let dry = scenario("seed = 3\n[climate]\nrain_events_per_week = 0.0\n").unwrap();
    let (w_wet, w_dry) = (
        World::from_sites(&wet, &towns(), start()),
        World::from_sites(&dry, &towns(), start()),
    );
    let mut rainy = 0;
    for k in 0..(48 * 6) {
        let t = start() + TimeDelta::minutes(10 * k);
        let (a, b) = (w_wet.conditions(0, t), w_dry.conditions(0, t));
        assert_eq!(b.get(Parameter::Rain), 0.0);
        if a.get(Parameter::Rain) > 1.0 {
            rainy += 1;
            assert!(a.get(Parameter::Pm25) < 0.8 * b.get(Parameter::Pm25));
            assert!(a.get(Parameter::Pm10) < 0.8 * b.get(Parameter::Pm10));
            let hour = (t + TimeDelta::hours(8)).time().hour();
            if (8..18).contains(&hour) {
                assert!(a.get(Parameter::Temperature) < b.get(Parameter::Temperature));
            }
            assert!(a.get(Parameter::Humidity) > b.get(Parameter::Humidity));
        }
    }
    assert!(rainy > 10, "only {rainy} rainy samples");
}

#[test]
fn episodes_and_contributions() {
    let s = demo();
    let w = World::from_sites(&s, &towns(), start());
    let gc = w.station_index("GC").unwrap();
    let noon = start() + TimeDelta::hours(14);
    let c = w.source_contributions(gc, noon);
    assert_eq!(c.len(), 7);
    let haze = c
        .iter()
        .find(|c| c.kind == ContributionKind::Episode)
        .unwrap();
    assert!(haze.values[AirPollutant::Pm25] > 30.0, "{haze:?}");
    let total = w.conditions(gc, noon).get(Parameter::Pm10);
    let sum: f64 = c.iter().map(|c| c.values[AirPollutant::Pm10]).sum();
    assert!(total > sum);
    // Before the episode starts it contributes nothing.
    let early = w.source_contributions(gc, start() + TimeDelta::hours(2));
    assert!(
        early
            .iter()
            .filter(|c| c.kind == ContributionKind::Episode)
            .all(|c| c.values[AirPollutant::Pm25] == 0.0)
    );
}

fn load_error(text: &str) -> String {
    let e = scenario(text).expect_err("must fail");
    let msg = e.to_string();
    assert!(msg.contains("test-scenario.toml"), "{msg}");
    msg
}

/// The first crash of the `scenario_toml` fuzz target (10 million runs, December 2026): an
/// episode starting ≈ 7·10⁸³ hours after the start panicked (`DateTime + TimeDelta`
/// overflowed) while the scenario was checked.
#[test]
fn an_episode_beyond_any_date_is_an_error() {
    let text = "seed = 1\n[[episode]]\nname = \"haze\"\nsource_type = \"secondary_regional\"\n\
                after = \"19d666666666666666666666666666666666666666666666666666666666666666666666666666666666h\"\n\
                duration = \"10h\"\nincrements = { pm25 = 70.0 }\n";
    let msg = load_error(text);
    assert!(msg.contains("longer than 36525 days"), "{msg}");
    assert!(msg.contains("after") && msg.contains("line 5"), "{msg}");
}

#[test]
fn scenario_errors_name_file_and_field() {
    let source = |emissions: &str| {
        format!(
            "seed = 1\n[[source]]\nname = \"a\"\nkind = \"point\"\nsource_type = \"industrial\"\n\
             lat = 23.0\nlon = 113.8\nemissions = {{ {emissions} }}\n"
        )
    };
    let msg = load_error(&source("so3 = 10.0"));
    assert!(
        msg.contains("source[0].emissions.so3") && msg.contains(":8:"),
        "{msg}"
    );
    let msg = load_error(&source("so2 = -1.0"));
    assert!(
        msg.contains("source[0].emissions.so2") && msg.contains("-1"),
        "{msg}"
    );
    let msg = load_error(&source("o3 = 1.0"));
    assert!(msg.contains("emissions.o3"), "{msg}");

    let msg = load_error(
        "seed = 1\n[[episode]]\nname = \"x\"\nsource_type = \"biomass_burning\"\n\
         start = \"2025-13-01 08:00\"\nend = \"2025-10-02 08:00\"\nincrements = { pm25 = 1.0 }\n",
    );
    assert!(msg.contains("bad time") && msg.contains("line 5"), "{msg}");
    let msg = load_error(
        "seed = 1\n[[fault]]\ndevice = \"DG-GC-SO2\"\nkind = \"slow\"\nafter = \"1h\"\n\
         duration = \"1h\"\n",
    );
    assert!(msg.contains("fault[0].delay_ms"), "{msg}");
    let msg =
        load_error("seed = 1\n[[fault]]\ndevice = \"D\"\nkind = \"stuck\"\ndaily = \"2-3\"\n");
    assert!(msg.contains("daily window"), "{msg}");
    let msg = load_error("seed = 1\n[climat]\n");
    assert!(msg.contains("climat"), "{msg}");
    let msg = load_error(
        "seed = 1\n[[source]]\nname = \"l\"\nkind = \"line\"\nsource_type = \"traffic\"\nfrom = [23.0, 113.8]\nemissions = {}\n",
    );
    assert!(msg.contains("source[0].to"), "{msg}");
    let e = Scenario::load("/nonexistent/x.toml").unwrap_err();
    assert!(e.to_string().contains("/nonexistent/x.toml"));
}

#[test]
fn active_days_switch_a_source_on_some_days_only() {
    // A burning field right next to the station, operating on about half of the days.
    let text = "seed = 11\n[[source]]\nname = \"field\"\nkind = \"area\"\n\
                source_type = \"biomass_burning\"\nlat = 23.0\nlon = 113.8\nradius_m = 300.0\n\
                active_days = 0.5\nemissions = { co = 50.0, pm25 = 5.0 }\n";
    let s = scenario(text).unwrap();
    let sites: Vec<StationSite> = [(23.0, 113.8), (23.004, 113.8), (22.996, 113.8)]
        .iter()
        .enumerate()
        .map(|(i, &(lat, lon))| StationSite {
            id: Arc::from(format!("S{i}").as_str()),
            lat,
            lon,
            elevation_m: 5.0,
        })
        .collect();
    let w = World::from_sites(&s, &sites, start());
    let days = 40;
    let mut on = 0;
    for d in 0..days {
        // Any emission reaching any station during the local day means the source worked.
        let worked = (0..24).any(|h| {
            let t = start() + TimeDelta::hours(24 * d + h);
            (0..sites.len()).any(|i| w.source_contributions(i, t)[0].values[AirPollutant::Co] > 0.0)
        });
        on += usize::from(worked);
    }
    assert!((10..=30).contains(&on), "{on} of {days} days active");
    // Validation.
    let msg = load_error(&text.replace("active_days = 0.5", "active_days = 1.5"));
    assert!(msg.contains("source[0].active_days"), "{msg}");
}
