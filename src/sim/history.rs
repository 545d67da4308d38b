//! Simulated history: the hourly means the collectors would have stored over a past period,
//! computed from the world model directly — no Modbus, no device faults.
//!
//! A demo network starts empty, but source identification wants weeks of context (the
//! network background, each station's episode threshold, CPF) and forecasting a climatology
//! of at least two weeks. [`hourly_history`] provides them: each station's true conditions are
//! sampled once a minute and aggregated by the collectors' own [`Aggregator`] (an hour is
//! valid with `min_valid_minutes` valid minutes; wind direction is a vector mean), so the
//! records are what collection from a fault-free network would have stored. Only the
//! parameters each station's devices measure are produced.

use chrono::{DateTime, TimeDelta, Utc};

use super::environment::Environment;
use crate::collect::aggregate::Aggregator;
use crate::quality::Flag;
use crate::registry::{Registry, Station};
use crate::store::{Record, Resolution};
use crate::units::Parameter;

/// The hourly records of every station of `registry` for the hours ending in `(from, to]`
/// (`from` and `to` whole hours), in time order per station and parameter.
pub fn hourly_history(
    environment: &Environment,
    registry: &Registry,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    min_valid_minutes: u32,
) -> Vec<Record> {
    let minutes = (to - from).num_minutes().max(0);
    let mut out = Vec::new();
    let mut minute_and_hour = Vec::new();
    for (index, station) in registry.stations.iter().enumerate() {
        let mut aggregators: Vec<Aggregator> = measured(station)
            .iter()
            .map(|&p| Aggregator::new(station.id.clone(), p, min_valid_minutes))
            .collect();
        for m in 0..minutes {
            // Mid-minute, like a poll that lands inside the minute it is labelled with.
            let t = from + TimeDelta::minutes(m) + TimeDelta::seconds(30);
            let conditions = environment.conditions(index, t);
            for a in &mut aggregators {
                let value = conditions.get(a.parameter());
                a.push(t, Some(value), Flag::Normal, &mut minute_and_hour);
            }
        }
        for a in &mut aggregators {
            a.flush_until(to, &mut minute_and_hour);
        }
        out.extend(
            minute_and_hour
                .drain(..)
                .filter(|r| r.resolution == Resolution::Hour),
        );
    }
    out
}

/// The parameters the devices of `station` measure, once each, in [`Parameter`] order.
fn measured(station: &Station) -> Vec<Parameter> {
    let mut measured: Vec<Parameter> = station
        .devices
        .iter()
        .flat_map(|d| d.profile.parameters())
        .collect();
    measured.sort();
    measured.dedup();
    measured
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::scenario::Scenario;
    use std::path::Path;

    #[test]
    fn a_day_of_history_has_every_hour_of_every_measured_parameter() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let fixture = root.join("tests/fixtures/two-stations");
        let registry = Registry::load(&fixture.join("network.toml")).expect("fixture registry");
        let scenario = Scenario::load(fixture.join("faults.toml")).expect("fixture scenario");
        let start = DateTime::parse_from_rfc3339("2026-03-02T00:00:00+08:00")
            .unwrap()
            .to_utc();
        let env = Environment::new(scenario, &registry, start).unwrap();
        let from = start - TimeDelta::days(1);
        let records = hourly_history(&env, &registry, from, start, 45);
        for station in &registry.stations {
            for p in measured(station) {
                let hours: Vec<&Record> = records
                    .iter()
                    .filter(|r| r.station == station.id && r.parameter == p)
                    .collect();
                assert_eq!(hours.len(), 24, "{} {p:?}", station.id);
                assert_eq!(hours[0].time, from + TimeDelta::hours(1));
                assert_eq!(hours[23].time, start);
                assert!(
                    hours
                        .iter()
                        .all(|r| r.flag == Flag::Normal && r.count == 60)
                );
                // The hour's mean is the mean of the world's minute values.
                let h = &hours[11];
                let index = registry
                    .stations
                    .iter()
                    .position(|s| s.id == station.id)
                    .unwrap();
                let samples: Vec<f64> = (0..60)
                    .map(|m| {
                        let t = h.time - TimeDelta::minutes(60 - m) + TimeDelta::seconds(30);
                        env.conditions(index, t).get(p)
                    })
                    .collect();
                if !p.is_angle() {
                    let mean = samples.iter().sum::<f64>() / 60.0;
                    assert!((h.value - mean).abs() < 1e-6 * mean.abs().max(1.0), "{p:?}");
                }
            }
        }
    }
}
