//! Assessment throughput: daily statistics + daily AQI + monthly comprehensive index for
//! 1,000 stations × one year of hourly data (8.76 M station-hours × 6 pollutants), synthetic
//! data generated here, pure computation (no store).
//!
//! To keep memory small, 100 distinct station-years are generated and the 1,000 stations cycle
//! through them (the work per station is the same).

use std::hint::black_box;
use std::time::Duration;

use chrono::NaiveDate;
use criterion::{Criterion, criterion_group, criterion_main};
use enum_map::{EnumMap, enum_map};
use lantian::assess::{
    AssessConfig, DailyStats, DayHours, Period, Pollutant, daily_stats, period_stats,
};

const STATIONS: usize = 1_000;
const DISTINCT: usize = 100;
const YEAR: i32 = 2015;

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// One station-year: `days[d][pollutant][slot]`, ~3 % of hours missing.
fn station_year(seed: u64, days: usize) -> Vec<EnumMap<Pollutant, DayHours>> {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let base = enum_map! {
        Pollutant::So2 => 12.0,
        Pollutant::No2 => 35.0,
        Pollutant::Pm10 => 80.0,
        Pollutant::Pm25 => 50.0,
        Pollutant::Co => 0.9,
        Pollutant::O3 => 60.0,
    };
    let mut out = vec![EnumMap::from_fn(|_| [f64::NAN; 24]); days];
    for (d, day) in out.iter_mut().enumerate() {
        let season = (d as f64 / 365.0 * std::f64::consts::TAU).cos();
        let episode = 0.5 + 1.5 * rng.next();
        for (p, hours) in day.iter_mut() {
            for (h, v) in hours.iter_mut().enumerate() {
                if rng.next() < 0.03 {
                    continue;
                }
                let diurnal = if p == Pollutant::O3 {
                    1.0 + 0.8 * ((h as f64 - 14.0) / 24.0 * std::f64::consts::TAU).cos()
                        - 0.4 * season
                } else {
                    1.0 + 0.3 * ((h as f64 - 8.0) / 12.0 * std::f64::consts::TAU).cos()
                        + 0.4 * season
                };
                *v = base[p] * episode * diurnal * (0.8 + 0.4 * rng.next());
            }
        }
    }
    out
}

fn months() -> Vec<lantian::assess::DateRange> {
    (1..=12)
        .map(|month| {
            Period::Month { year: YEAR, month }
                .range()
                .expect("valid month")
        })
        .collect()
}

/// Daily statistics, daily AQI and the monthly index of every station; returns a checksum.
fn assess_all(
    data: &[Vec<EnumMap<Pollutant, DayHours>>],
    cfg: &AssessConfig,
    months: &[lantian::assess::DateRange],
) -> f64 {
    let mut days: Vec<DailyStats> = Vec::with_capacity(366);
    let mut scratch = Vec::with_capacity(32);
    let mut checksum = 0.0;
    for s in 0..STATIONS {
        let year = &data[s % DISTINCT];
        days.clear();
        days.extend(year.iter().map(|h| daily_stats(h, &cfg.daily)));
        let mut offset = 0;
        for &range in months {
            let n = range.days();
            let stats = period_stats(range, &days[offset..offset + n], cfg, &mut scratch);
            offset += n;
            checksum += stats.total().unwrap_or(0.0) + f64::from(stats.aqi.good);
        }
    }
    checksum
}

fn bench(c: &mut Criterion) {
    let first = NaiveDate::from_ymd_opt(YEAR, 1, 1).expect("date");
    let last = NaiveDate::from_ymd_opt(YEAR, 12, 31).expect("date");
    let n_days = usize::try_from((last - first).num_days() + 1).expect("days");
    let data: Vec<_> = (0..DISTINCT as u64)
        .map(|s| station_year(s + 1, n_days))
        .collect();
    let cfg = AssessConfig::default();
    let months = months();
    let mut group = c.benchmark_group("assess");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("daily_stats_1000_stations_year", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for s in 0..STATIONS {
                for h in &data[s % DISTINCT] {
                    let d = daily_stats(black_box(h), &cfg.daily);
                    n += usize::from(d.values.o3_8h_max.is_some());
                }
            }
            n
        })
    });
    group.bench_function("daily_aqi_monthly_index_1000_stations_year", |b| {
        b.iter(|| assess_all(black_box(&data), &cfg, &months))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
