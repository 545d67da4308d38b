//! The national network: import of one month (January 2019, about a million station-hours × 6,
//! `../shared/data/cnemc_national`, `.xz`) into a fresh SQLite store with the hourly and daily
//! AQI, then the 168-city ranking of that month from the store (hourly values, as `lantian
//! rank` reads them; and the stored daily indices, as the national report reads them), the
//! national report's ranking of a **year** of stored daily indices (January's copied to every
//! month), and the 168-city ranking of a year from stations' daily series. A year of national data is synthesised by repeating
//! the month's daily series twelve times (each station's 31 days cycled over 365): the work per
//! station-day is that of real data; the values repeat.
//!
//! Under `cargo bench` it runs once and prints seconds; under `cargo test --all-targets` it
//! makes a smoke run on the excerpt in `tests/data/cnemc_national_excerpt`.

mod support;

use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::{Datelike, TimeDelta};
use lantian::assess::city::{CityList, rank_city_days};
use lantian::assess::run::store_days;
use lantian::assess::{AssessConfig, Period};
use lantian::import::{Format, ImportOptions, NoProgress};
use lantian::report::national::national_figures;
use lantian::store::sqlite::{PageCache, SqliteStore};
use lantian::store::{IndexQuery, IndexRecord, IndexStore, Resolution};

fn files() -> (PathBuf, PathBuf) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let full = root.join("../shared/data/cnemc_national");
    if support::benchmarking() && full.is_dir() {
        return (
            full.join("2019-01/cnemc_station_hourly_2019-01.csv.xz"),
            full.join("stations_2019.csv"),
        );
    }
    let e = root.join("tests/data/cnemc_national_excerpt");
    (
        e.join("cnemc_station_hourly_2019-01_excerpt.csv.xz"),
        e.join("stations.csv"),
    )
}

fn main() {
    let (hourly, list) = files();
    let dir = tempfile::tempdir().expect("temp dir");
    // As `lantian import` opens it: the bulk writer's page cache.
    let mut store =
        SqliteStore::open_with(dir.path().join("national.db"), PageCache::Bulk).expect("store");
    let options = ImportOptions {
        stations: Some(list),
        ..ImportOptions::default()
    };
    let started = Instant::now();
    let summary = lantian::import::import(
        &mut store,
        Format::Cnemc,
        std::slice::from_ref(&hourly),
        &options,
        &NoProgress,
    )
    .expect("import");
    let t = &summary.timings;
    println!(
        "national/import_month: {:.1} s (checking {:.1} s, writing {:.1} s, indices {:.1} s; \
         {} rows, {} records, {} index records; {})",
        started.elapsed().as_secs_f64(),
        t.checking.as_secs_f64(),
        t.writing.as_secs_f64(),
        t.indices.as_secs_f64(),
        summary.rows_read,
        summary.records_written(),
        summary.indices,
        hourly.display()
    );
    let cfg = AssessConfig::default();
    let list = CityList::key_168();
    let month: Period = "2019-01".parse().expect("period");
    let year: Period = "2019".parse().expect("period");
    let started = Instant::now();
    let days = store_days(&store, month, &cfg, |s| list.counts(s)).expect("days");
    let read = started.elapsed().as_secs_f64();
    let ranking = rank_city_days(&days, &list, None, &cfg).expect("ranking");
    println!(
        "national/rank_168_month_from_store: {:.2} s (reading the stations' days {read:.2} s; {} ranked)",
        started.elapsed().as_secs_f64(),
        ranking
            .ranking
            .rows
            .iter()
            .filter(|r| r.rank.is_some())
            .count()
    );
    // The national report's ranking reads the stored daily indices instead: the month, then a
    // year of them — January's daily index records copied to the same days of every month.
    let started = Instant::now();
    let figures = national_figures(&store, month, &list, None, None).expect("figures");
    println!(
        "national/report_figures_month_from_daily_indices: {:.2} s ({} ranked)",
        started.elapsed().as_secs_f64(),
        figures.ranked().len()
    );
    let january = store
        .indices(&IndexQuery::new(
            Resolution::Day,
            "2018-12-31T00:00:00Z".parse().expect("time"),
            "2019-02-01T00:00:00Z".parse().expect("time"),
        ))
        .expect("daily indices");
    for m in 2..=12 {
        let copies: Vec<IndexRecord> = january
            .iter()
            .filter_map(|r| {
                let local = (r.time + TimeDelta::hours(8)).date_naive();
                let moved = local.with_month(m)?;
                Some(IndexRecord {
                    time: r.time + (moved - local),
                    ..r.clone()
                })
            })
            .collect();
        store.put_indices(&copies).expect("copies");
    }
    let started = Instant::now();
    let figures = national_figures(&store, year, &list, None, None).expect("figures");
    println!(
        "national/report_figures_year_from_daily_indices: {:.2} s ({} ranked; {} daily records a month)",
        started.elapsed().as_secs_f64(),
        figures.ranked().len(),
        january.len()
    );

    // A year: each station's January cycled over 2019.
    let mut synthetic = days;
    let cycle = |series: &mut Vec<lantian::assess::DailyStats>| {
        let month = series.clone();
        *series = (0..365).map(|d| month[d % month.len()]).collect();
    };
    synthetic.current.iter_mut().for_each(cycle);
    synthetic.period = year;
    synthetic.previous = year.previous_year();
    let started = Instant::now();
    let ranking = rank_city_days(&synthetic, &list, None, &cfg).expect("ranking");
    println!(
        "national/rank_168_year_from_days: {:.3} s ({} stations × 365 days, {} ranked)",
        started.elapsed().as_secs_f64(),
        synthetic.stations.len(),
        ranking
            .ranking
            .rows
            .iter()
            .filter(|r| r.rank.is_some())
            .count()
    );
}
