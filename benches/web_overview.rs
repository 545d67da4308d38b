//! The overview page's numbers and HTML (`/overview/live`, everything the operations-centre
//! screen shows): over the demo network with 30 days of simulated history, and over 2,000
//! stations with two days of hourly data (the target: the overview's first render
//! under 300 ms); each with nothing kept (`first`) and with the month's and the year's
//! rankings kept by the server's `RankingCache` (`kept`: every render until the stored daily
//! indices change). The stores are built once in a temporary folder before measuring; what is
//! measured is reading the store, the day's figures, the month's and the year's rankings, the
//! real-time towns, the map and the templates.

use std::path::Path;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Asia::Shanghai;
use criterion::{Criterion, criterion_group, criterion_main};
use lantian::assess::DateRange;
use lantian::compute::{IndexConfig, recompute_days};
use lantian::lang::Lang;
use lantian::quality::Flag;
use lantian::registry::Registry;
use lantian::sim::environment::Environment;
use lantian::sim::scenario::Scenario;
use lantian::store::sqlite::SqliteStore;
use lantian::store::{ReadingStore, Record, Resolution, StationInfo, StationStore, Store};
use lantian::units::Parameter;
use lantian::web::RankingCache;
use lantian::web::pages::render_overview;

/// The last hour of the stores' data.
fn end() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 10, 4, 0, 0).unwrap()
}

fn recompute(store: &mut dyn Store, stations: Vec<String>, from: DateTime<Utc>) {
    let days = DateRange {
        first: from.with_timezone(&Shanghai).date_naive(),
        last: end().with_timezone(&Shanghai).date_naive(),
    };
    recompute_days(store, IndexConfig::default(), &stations, days).unwrap();
}

/// The demo network with 30 days of the simulator's fault-free history.
fn demo_store(dir: &Path) -> SqliteStore {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let registry = Registry::load(&root.join("stations/dongguan.toml")).unwrap();
    let scenario = Scenario::load(root.join("stations/scenarios/dongguan-demo.toml")).unwrap();
    let from = end() - TimeDelta::days(30);
    let environment = Environment::new(scenario, &registry, from).unwrap();
    let records = lantian::sim::history::hourly_history(&environment, &registry, from, end(), 45);
    let mut store = SqliteStore::open(dir.join("demo.db")).unwrap();
    store.put_stations(&registry.station_infos()).unwrap();
    for chunk in records.chunks(50_000) {
        store.put_readings(chunk).unwrap();
    }
    let ids = registry.stations.iter().map(|s| s.id.to_string()).collect();
    recompute(&mut store, ids, from);
    store
}

/// 2,000 stations in 40 towns with two days of hourly pollutant data.
fn large_store(dir: &Path) -> SqliteStore {
    let n = 2_000;
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
            background: false,
        })
        .collect();
    let mut store = SqliteStore::open(dir.join("large.db")).unwrap();
    store.put_stations(&stations).unwrap();
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
    recompute(
        &mut store,
        stations.into_iter().map(|s| s.id).collect(),
        from,
    );
    store
}

fn overview(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let demo = demo_store(dir.path());
    let large = large_store(dir.path());
    let mut group = c.benchmark_group("web_overview");
    group.sample_size(10);
    // First: nothing kept (a render right after the day's indices changed, or the server's
    // first); kept: the month's and the year's rankings kept since the last change.
    for (name, store) in [
        ("demo_33_stations_30_days", &demo),
        ("2000_stations", &large),
    ] {
        group.bench_function(format!("{name}/first"), |b| {
            b.iter(|| render_overview(store, &RankingCache::default(), Lang::Zh).unwrap())
        });
        let kept = RankingCache::default();
        group.bench_function(format!("{name}/kept"), |b| {
            b.iter(|| render_overview(store, &kept, Lang::Zh).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, overview);
criterion_main!(benches);
