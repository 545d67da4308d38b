//! Polar analysis + CPF for one station-year (target < 200 ms), and everything `analyse` does
//! (polar, CPF, percentile rose, background/excess and episodes, signatures + k-means,
//! triangulation, NMF factors with the number chosen by Q/Qexp) for 100 stations × one year
//! (target < 30 s; run once, printed, with the NMF part timed on its own).

mod support;

use chrono::{TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use lantian::sources::cpf::{CpfConfig, cpf};
use lantian::sources::factors::{FactorConfig, station_factors};
use lantian::sources::polar::{PolarConfig, polar_surface};
use lantian::sources::{AnalysisConfig, StationSeries, analyse};
use lantian::units::Parameter;

fn station(id: usize, hours: usize) -> StationSeries {
    let start = Utc.with_ymd_and_hms(2024, 1, 1, 1, 0, 0).unwrap();
    let pos = (
        22.8 + (id % 10) as f64 * 0.03,
        113.6 + (id / 10) as f64 * 0.04,
    );
    let mut s = StationSeries::new(&format!("S{id:03}"), Some(pos), start, hours);
    let mut state = 99 + id as u64;
    for h in 0..hours {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let r = (state >> 11) as f64 / (1u64 << 53) as f64;
        let wd = (h as f64 * 13.0 + r * 90.0) % 360.0;
        s.set(Parameter::WindSpeed, h, 0.3 + 6.0 * r);
        s.set(Parameter::WindDirection, h, wd);
        for (k, p) in [
            Parameter::Pm25,
            Parameter::Pm10,
            Parameter::So2,
            Parameter::No2,
            Parameter::Co,
        ]
        .into_iter()
        .enumerate()
        {
            let peak = if ((wd - 60.0 * k as f64).rem_euclid(360.0)) < 20.0 {
                40.0
            } else {
                0.0
            };
            s.set(p, h, 10.0 + 30.0 * r + peak);
        }
    }
    s
}

fn bench(c: &mut Criterion) {
    let s = station(0, 8760);
    c.bench_function("polar+cpf one station-year", |b| {
        b.iter(|| {
            let obs = s.wind_obs(Parameter::So2, 48).unwrap();
            let p = polar_surface(&obs, &PolarConfig::default());
            let c = cpf(&obs, &CpfConfig::default());
            (p.hours, c.bearings().len())
        })
    });
    // Under `cargo test --all-targets` (no `--bench`): a smoke run of 5 stations × 30 days.
    let (stations, hours) = if support::benchmarking() {
        (100, 8760)
    } else {
        (5, 720)
    };
    let net: Vec<StationSeries> = (0..stations).map(|i| station(i, hours)).collect();
    let t = std::time::Instant::now();
    let a = analyse(&net, &AnalysisConfig::default());
    println!(
        "everything, {stations} stations × {hours} h: {:?} ({} bearings, {} located, {} episodes, {} stations with factors)",
        t.elapsed(),
        a.bearings.len(),
        a.located.len(),
        a.episodes.len(),
        a.factors.len()
    );
    let t = std::time::Instant::now();
    let cfg = FactorConfig::default();
    let k: usize = net
        .iter()
        .filter_map(|s| station_factors(s, &cfg, chrono_tz::UTC).ok())
        .map(|f| f.factors.len())
        .sum();
    println!(
        "of which NMF factors (1–4 fitted per station), {stations} stations: {:?} ({k} factors kept)",
        t.elapsed()
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench
}
criterion_main!(benches);
