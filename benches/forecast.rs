//! Forecasting speed: training on 12 stations × 3 years of hourly data (target < 60 s; run
//! once and printed — the issue-time and the forecast-weather variant) and one forecast run
//! for 100 stations (target < 1 s; criterion). Synthetic but realistically shaped data:
//! PM driven by wind (north winds clear it), a diurnal O3 cycle, gaps. Under `cargo test`
//! (no `--bench`) the sizes shrink to a smoke run.

mod support;

use chrono::{TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use lantian::forecast::climatology::Climatology;
use lantian::forecast::features::FeatureContext;
use lantian::forecast::model::{TrainOptions, train};
use lantian::forecast::run::forecast_station;
use lantian::forecast::series::{Grid, PARAMS};
use lantian::forecast::weather::ForecastWeather;
use lantian::units::Parameter;

/// `stations` × `hours` of synthetic hourly data.
fn grid(stations: usize, hours: usize) -> Grid {
    let start = Utc.with_ymd_and_hms(2013, 2, 28, 16, 0, 0).unwrap();
    let ids = (0..stations).map(|i| format!("S{i:03}")).collect();
    let mut g = Grid::empty(start, hours, ids, chrono_tz::Asia::Shanghai);
    let mut state = 7u64;
    let mut rnd = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    for s in 0..stations {
        let (mut pm, mut north) = (60.0, 0.0f64);
        for i in 0..hours {
            let x = i as f64;
            let day = (x / 24.0 * std::f64::consts::TAU).sin();
            north = 0.97 * north + 0.3 * (rnd() - 0.45);
            let ws = 1.0 + 3.0 * north.abs();
            pm = (0.96 * pm + 6.0 * rnd() + 2.0 - 4.0 * north.max(0.0)).max(3.0);
            let (r1, r2, r3, r4) = (rnd(), rnd(), rnd(), rnd());
            let mut set = |p: Parameter, v: f64| {
                // About 3 % gaps.
                let k = PARAMS.iter().position(|&q| q == p).unwrap_or(0);
                if !(i * 7919 + s * 104_729 + k * 31).is_multiple_of(37) {
                    g.values[s][p][i] = v;
                }
            };
            set(Parameter::Pm25, pm);
            set(Parameter::Pm10, 1.4 * pm + 20.0 * r1);
            set(Parameter::O3, (60.0 + 50.0 * day + 20.0 * r2).max(2.0));
            set(Parameter::WindSpeed, ws);
            set(
                Parameter::WindDirection,
                if north > 0.0 { 0.0 } else { 180.0 },
            );
            set(
                Parameter::Temperature,
                12.0 + 8.0 * day + 12.0 * (x / 8766.0 * std::f64::consts::TAU).sin(),
            );
            set(Parameter::DewPoint, 2.0 + 5.0 * r3 - 3.0 * north);
            set(Parameter::Pressure, 1012.0 + 6.0 * north);
            set(Parameter::Rain, if r4 > 0.97 { 2.0 } else { 0.0 });
        }
    }
    g
}

fn bench(c: &mut Criterion) {
    let full = support::benchmarking();
    let (train_stations, hours, run_stations) = if full {
        (12, 3 * 8766, 100)
    } else {
        (4, 40 * 24, 10)
    };
    let g = grid(train_stations, hours);
    for weather in [false, true] {
        let opt = TrainOptions {
            weather,
            ..Default::default()
        };
        let t = std::time::Instant::now();
        let set = train(&g, g.len, &opt).expect("training");
        println!(
            "training {} stations × {} h ({}): {:.1} s ({} hourly + {} daily models)",
            train_stations,
            g.len,
            if weather {
                "with forecast weather"
            } else {
                "issue-time only"
            },
            t.elapsed().as_secs_f64(),
            set.models.len(),
            set.daily.len()
        );
        // A run: 48 h of history, the issue hour, and the 72 hours ahead (empty observations,
        // forecast weather from the "observed" synthetic weather).
        let net = grid(run_stations, 48 + 1 + 72);
        let clim: Climatology = set.climatology.clone();
        let fw = ForecastWeather::observed(&net);
        let name = format!(
            "forecast run, {run_stations} stations{}",
            if weather { ", with weather" } else { "" }
        );
        c.bench_function(&name, |b| {
            b.iter(|| {
                let mut ctx = FeatureContext::new(&net, &clim);
                if weather {
                    ctx = ctx.with_weather(&fw);
                }
                (0..net.stations.len())
                    .map(|s| forecast_station(&ctx, &set, s, 48).hours.len())
                    .sum::<usize>()
            })
        });
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench
}
criterion_main!(benches);
