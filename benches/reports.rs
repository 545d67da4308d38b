//! Report generation: the daily report of 100 stations, and the ranking report of 1,000
//! stations × one year (the targets: under 1 s and under 3 s).
//!
//! The stores are built once in a temporary folder before measuring. The daily report's day
//! is written as hourly means through the index stage (as the pipeline does); the rest of the
//! year to date and last year, and the ranking's year, are written as daily index records
//! directly (computing them from 52 million hourly values would take minutes of setup and
//! measures nothing of the reports). What is measured is the whole report: reading the
//! store, the figures, the HTML, the PNG and SVG charts, the CSV, the index page.

use std::sync::Arc;

use chrono::{NaiveDate, TimeDelta, TimeZone};
use chrono_tz::Asia::Shanghai;
use criterion::{Criterion, criterion_group, criterion_main};
use lantian::aqi::china::{DailyInput, RuleSet, daily_aqi};
use lantian::aqi::{Pollutant, Standard};
use lantian::assess::{GroupBy, Period};
use lantian::compute::{IndexConfig, IndexStage};
use lantian::quality::Flag;
use lantian::report::{Lang, ReportConfig, daily_report, ranking_report};
use lantian::store::sqlite::SqliteStore;
use lantian::store::{
    IndexRecord, IndexStore, IndexTerm, ReadingStore, Record, Resolution, StationInfo, StationRole,
    StationStore,
};
use lantian::units::Parameter;

/// A small deterministic generator.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn stations(n: usize) -> Vec<StationInfo> {
    let mut rng = Lcg(7);
    (0..n)
        .map(|i| StationInfo {
            id: format!("S{i:04}"),
            name: format!("站点{i}"),
            name_en: format!("Station {i}"),
            district: format!("区{}", i % 20),
            lat: Some(22.6 + rng.next() * 0.6),
            lon: Some(113.5 + rng.next() * 0.8),
            time_zone: Shanghai,
            city: String::new(),
            role: StationRole::Assessment,
        })
        .collect()
}

fn midnight(d: NaiveDate) -> chrono::DateTime<chrono::Utc> {
    Shanghai
        .from_local_datetime(&d.and_time(Default::default()))
        .unwrap()
        .to_utc()
}

/// Daily index records of every station over `first..=last`.
fn daily_records(
    stations: &[StationInfo],
    first: NaiveDate,
    last: NaiveDate,
    seed: u64,
) -> Vec<IndexRecord> {
    let mut rng = Lcg(seed);
    let mut out = Vec::new();
    for (k, s) in stations.iter().enumerate() {
        let base = 0.7 + 0.6 * (k as f64 / stations.len() as f64);
        for d in first.iter_days().take_while(|d| *d <= last) {
            let f = base * (0.5 + rng.next());
            let input = DailyInput {
                so2: Some(8.0 * f),
                no2: Some(30.0 * f),
                pm10: Some(60.0 * f),
                pm25: Some(35.0 * f),
                co: Some(0.8 * f),
                o3_1h_max: Some(120.0 * f),
                o3_8h_max: Some(100.0 * f),
            };
            let result = daily_aqi(&input, RuleSet::Y2012);
            let terms = enum_map::EnumMap::from_fn(|t| {
                input.get(t).map(|concentration| IndexTerm {
                    concentration,
                    iaqi: result.iaqi(t),
                    valid: if t == Pollutant::O3_8h { 17 } else { 24 },
                })
            });
            out.push(IndexRecord {
                station: Arc::from(s.id.as_str()),
                resolution: Resolution::Day,
                time: midnight(d),
                standard: Standard::Hj633_2012,
                aqi: result.aqi,
                primary: result.primary,
                terms,
            });
        }
    }
    out
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let ymd = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();

    // Daily: 100 stations; the day as hourly means through the index stage.
    let day = ymd(2024, 3, 31);
    let mut daily = SqliteStore::open(dir.path().join("daily.db")).unwrap();
    let infos = stations(100);
    daily.put_stations(&infos).unwrap();
    for chunk in [
        (ymd(2023, 1, 1), ymd(2023, 3, 31), 1),
        (ymd(2024, 1, 1), ymd(2024, 3, 30), 2),
    ] {
        daily
            .put_indices(&daily_records(&infos, chunk.0, chunk.1, chunk.2))
            .unwrap();
    }
    let mut rng = Lcg(3);
    let mut hours = Vec::new();
    for s in &infos {
        for h in 1..=24 {
            let t = midnight(day) + TimeDelta::hours(h);
            for (p, v) in [
                (Parameter::Pm25, 40.0),
                (Parameter::Pm10, 70.0),
                (Parameter::So2, 9.0),
                (Parameter::No2, 30.0),
                (Parameter::Co, 0.8),
                (Parameter::O3, 90.0),
            ] {
                hours.push(Record {
                    station: Arc::from(s.id.as_str()),
                    parameter: p,
                    resolution: Resolution::Hour,
                    time: t,
                    value: v * (0.5 + rng.next()),
                    flag: Flag::Normal,
                    count: 60,
                });
            }
        }
    }
    daily.put_readings(&hours).unwrap();
    IndexStage::new(IndexConfig::default())
        .update(&mut daily, &hours)
        .unwrap();

    // Ranking: 1,000 stations × 2023.
    let mut ranking = SqliteStore::open(dir.path().join("ranking.db")).unwrap();
    let many = stations(1000);
    ranking.put_stations(&many).unwrap();
    ranking
        .put_indices(&daily_records(&many, ymd(2023, 1, 1), ymd(2023, 12, 31), 4))
        .unwrap();

    let mut group = c.benchmark_group("reports");
    group.sample_size(10);
    group.measurement_time(std::time::Duration::from_secs(20));
    let cfg = ReportConfig {
        out_dir: dir.path().join("out"),
        lang: Lang::Zh,
    };
    std::fs::create_dir_all(&cfg.out_dir).unwrap();
    group.bench_function("daily_report_100_stations", |b| {
        b.iter(|| daily_report(&daily, "基准测试网", day, &cfg).unwrap())
    });
    group.bench_function("ranking_report_1000_stations_year", |b| {
        b.iter(|| {
            ranking_report(
                &ranking,
                "基准测试网",
                Period::Year(2023),
                GroupBy::Station,
                &cfg,
            )
            .unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
