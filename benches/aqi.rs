//! Daily AQI throughput (HJ 633 2012/2026 and EPA) on varied inputs.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use lantian::aqi::china::{DailyInput, HourlyInput, RuleSet, daily_aqi, hourly_aqi};
use lantian::aqi::epa::{Input, Table, aqi};
use std::hint::black_box;

fn inputs(n: usize) -> Vec<DailyInput> {
    (0..n)
        .map(|i| {
            let x = (i as f64 * 0.618_033_988_7).fract();
            DailyInput {
                so2: Some(5.0 + 60.0 * x),
                no2: Some(10.0 + 80.0 * (1.0 - x)),
                pm10: Some(20.0 + 300.0 * x * x),
                pm25: Some(10.0 + 200.0 * x),
                co: Some(0.3 + 3.0 * x),
                o3_1h_max: Some(50.0 + 250.0 * (1.0 - x)),
                o3_8h_max: if i % 7 == 0 {
                    None
                } else {
                    Some(40.0 + 200.0 * x)
                },
            }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let days = inputs(10_000);
    let mut g = c.benchmark_group("aqi");
    g.throughput(Throughput::Elements(days.len() as u64));
    for (name, rules) in [
        ("daily_hj633_2012", RuleSet::Y2012),
        ("daily_hj633_2026", RuleSet::Y2026),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut sum = 0u64;
                for d in &days {
                    sum += u64::from(daily_aqi(black_box(d), rules).aqi.unwrap_or(0));
                }
                sum
            })
        });
    }
    let hours: Vec<HourlyInput> = days
        .iter()
        .map(|d| HourlyInput {
            pm25: d.pm25,
            pm10: d.pm10,
            so2: d.so2,
            no2: d.no2,
            co: d.co,
            o3: d.o3_1h_max,
            so2_24h: None,
        })
        .collect();
    g.bench_function("hourly_hj633_2012", |b| {
        b.iter(|| {
            hours
                .iter()
                .map(|h| u64::from(hourly_aqi(black_box(h), RuleSet::Y2012).aqi.unwrap_or(0)))
                .sum::<u64>()
        })
    });
    let epa: Vec<Input> = days
        .iter()
        .map(|d| Input {
            pm25: d.pm25,
            pm10: d.pm10,
            o3_8h: d.o3_8h_max,
            o3_1h: d.o3_1h_max,
            co_8h: d.co,
            so2_1h: d.so2,
            so2_24h: None,
            no2_1h: d.no2,
        })
        .collect();
    g.bench_function("daily_epa_2024", |b| {
        b.iter(|| {
            epa.iter()
                .map(|e| u64::from(aqi(black_box(e), Table::Y2024).aqi.unwrap_or(0)))
                .sum::<u64>()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
