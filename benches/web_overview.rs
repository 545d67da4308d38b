//! The overview page's numbers and HTML (`/overview/live`, everything the operations-centre
//! screen shows): over the demo network with 30 days of simulated history, and over 2,000
//! stations with two days of hourly data (the target: the overview's first render
//! under 300 ms); each with nothing kept (`first`) and with the day's figures and the month's
//! and the year's rankings kept by the server's `OverviewCache` (`kept`: every render until
//! the stored indices change). The stores are built once in a temporary folder before measuring; what is
//! measured is reading the store, the day's figures, the month's and the year's rankings, the
//! real-time towns, the map and the templates.

#[path = "common/web_stores.rs"]
mod web_stores;

use criterion::{Criterion, criterion_group, criterion_main};
use lantian::lang::Lang;
use lantian::web::OverviewCache;
use lantian::web::pages::render_overview;

/// The demo network with 30 days of history, in `dir`.
fn demo_store(dir: &std::path::Path) -> lantian::store::sqlite::SqliteStore {
    let mut store = lantian::store::sqlite::SqliteStore::open(dir.join("demo.db")).unwrap();
    web_stores::fill_demo(&mut store, 30);
    store
}

/// 2,000 stations with two days, in `dir`.
fn large_store(dir: &std::path::Path) -> lantian::store::sqlite::SqliteStore {
    let mut store = lantian::store::sqlite::SqliteStore::open(dir.join("large.db")).unwrap();
    web_stores::fill_large(&mut store, 2_000);
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
            b.iter(|| render_overview(store, &OverviewCache::default(), Lang::Zh).unwrap())
        });
        let kept = OverviewCache::default();
        group.bench_function(format!("{name}/kept"), |b| {
            b.iter(|| render_overview(store, &kept, Lang::Zh).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, overview);
criterion_main!(benches);
