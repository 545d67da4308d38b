//! The stores the web benches measure over (`web_overview`, `web_load`): the demo network
//! with the simulator's fault-free history, and 2,000 synthetic stations in 40 towns with
//! hourly pollutant data; both with their hourly and daily AQI.

use std::path::Path;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Asia::Shanghai;
use lantian::assess::DateRange;
use lantian::compute::{IndexConfig, recompute_days};
use lantian::quality::Flag;
use lantian::registry::Registry;
use lantian::sim::environment::Environment;
use lantian::sim::scenario::Scenario;
use lantian::store::sqlite::SqliteStore;
use lantian::store::{
    ReadingStore, Record, Resolution, StationInfo, StationRole, StationStore, Store,
};
use lantian::units::Parameter;

/// The last hour of the stores' data.
pub(crate) fn end() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 10, 4, 0, 0).unwrap()
}

pub(crate) fn recompute(store: &mut dyn Store, stations: Vec<String>, from: DateTime<Utc>) {
    let days = DateRange {
        first: from.with_timezone(&Shanghai).date_naive(),
        last: end().with_timezone(&Shanghai).date_naive(),
    };
    recompute_days(store, IndexConfig::default(), &stations, days).unwrap();
}

/// The demo network's registry.
pub(crate) fn demo_registry() -> Registry {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    Registry::load(&root.join("stations/dongguan.toml")).unwrap()
}

/// The demo network with `days` of the simulator's fault-free history, into `store`.
pub(crate) fn fill_demo(store: &mut SqliteStore, days: i64) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let registry = demo_registry();
    let scenario = Scenario::load(root.join("stations/scenarios/dongguan-demo.toml")).unwrap();
    let from = end() - TimeDelta::days(days);
    let environment = Environment::new(scenario, &registry, from).unwrap();
    let records = lantian::sim::history::hourly_history(&environment, &registry, from, end(), 45);
    store.put_stations(&registry.station_infos()).unwrap();
    for chunk in records.chunks(50_000) {
        store.put_readings(chunk).unwrap();
    }
    let ids = registry.stations.iter().map(|s| s.id.to_string()).collect();
    recompute(store, ids, from);
}

/// `n` stations in 40 towns with two days of hourly pollutant data, into `store`.
pub(crate) fn fill_large(store: &mut SqliteStore, n: usize) {
    let stations: Vec<StationInfo> = (0..n)
        .map(|i| StationInfo {
            id: format!("S{i:04}"),
            name: format!("站点{i}"),
            name_en: format!("Station {i}"),
            district: format!("镇{}", i % 40),
            lat: Some(22.6 + (i % 50) as f64 * 0.012),
            lon: Some(113.5 + (i / 50) as f64 * 0.02),
            time_zone: Shanghai,
            city: String::new(),
            role: StationRole::Assessment,
        })
        .collect();
    let mut all = store.stations().unwrap();
    all.extend(stations.iter().cloned());
    store.put_stations(&all).unwrap();
    let from = end() - TimeDelta::days(2);
    let mut records = Vec::new();
    for (i, s) in stations.iter().enumerate() {
        for h in 1..=48 {
            let wave = ((i + h) % 24) as f64;
            for (parameter, value) in [
                (Parameter::Pm25, 20.0 + wave * 3.0),
                (Parameter::Pm10, 40.0 + wave * 4.0),
                (Parameter::So2, 8.0),
                (Parameter::No2, 25.0 + wave),
                (Parameter::Co, 0.7),
                (Parameter::O3, 60.0 + wave * 2.0),
            ] {
                records.push(Record {
                    station: s.id.as_str().into(),
                    parameter,
                    resolution: Resolution::Hour,
                    time: from + TimeDelta::hours(h as i64),
                    value,
                    flag: Flag::Normal,
                    count: 60,
                });
            }
        }
    }
    for chunk in records.chunks(50_000) {
        store.put_readings(chunk).unwrap();
    }
    recompute(store, stations.into_iter().map(|s| s.id).collect(), from);
}
