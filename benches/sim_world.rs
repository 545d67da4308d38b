//! Cost of one `World::conditions` call (demo scenario, one station).

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use lantian::sim::scenario::Scenario;
use lantian::sim::world::{StationSite, World};

fn bench(c: &mut Criterion) {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/stations/scenarios/dongguan-demo.toml"
    );
    let scenario = Scenario::load(path).expect("demo scenario");
    let start: DateTime<Utc> = "2025-10-14T16:00:00Z".parse().unwrap();
    let sites = [
        ("GC", 23.044, 113.752),
        ("HM", 22.815, 113.673),
        ("DC", 23.030, 113.790),
    ]
    .map(|(id, lat, lon)| StationSite {
        id: Arc::from(id),
        lat,
        lon,
        elevation_m: 10.0,
    });
    let world = World::from_sites(&scenario, &sites, start);
    let mut k = 0i64;
    c.bench_function("conditions (demo, 1 station)", |b| {
        b.iter(|| {
            k += 1;
            let t = start + TimeDelta::seconds(37 * (k % 2400));
            std::hint::black_box(world.conditions(std::hint::black_box(2), t))
        })
    });
    c.bench_function("source_contributions (demo, 1 station)", |b| {
        b.iter(|| {
            k += 1;
            let t = start + TimeDelta::seconds(37 * (k % 2400));
            std::hint::black_box(world.source_contributions(0, t))
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
