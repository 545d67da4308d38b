//! A conformance suite every [`Store`] backend must pass. A backend's test file provides a
//! function creating a new, empty store ([`TestStore`]) and calls [`run_all`].
//!
//! The checks, one topic a file: [`readings`] (write, read, latest, count, a second handle),
//! [`health`] (device health), [`stations`] (the station table), [`indices`] (AQI records)
//! and [`jobs`] (job runs). Source flags and forecasts have suites of their own beside this
//! one (`store_conformance_flags`, `store_conformance_forecasts`).
//!
//! [`Store`]: lantian::store::Store

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use lantian::quality::Flag;
use lantian::store::{Query, Record, Resolution, Store};
use lantian::units::Parameter;

pub mod health;
pub mod indices;
pub mod jobs;
pub mod readings;
pub mod stations;

/// A new, empty store under test, and a way to open more handles on the same store.
pub struct TestStore {
    /// The writer handle.
    pub store: Box<dyn Store>,
    /// Opens another handle on the same store (a concurrent reader). Dropped after `store`,
    /// so it may own the store's temporary location.
    pub reopen: Box<dyn Fn() -> Box<dyn Store>>,
}

/// One conformance check: it gets a new, empty store.
pub type Check = fn(TestStore);

/// Every check, by name.
pub const CHECKS: &[(&str, Check)] = &[
    ("idempotent_rewrite", readings::idempotent_rewrite),
    ("range_boundaries", readings::range_boundaries),
    ("filters_and_order", readings::filters_and_order),
    ("latest_per_series", readings::latest_per_series),
    ("health_round_trip", health::health_round_trip),
    ("count_per_resolution", readings::count_per_resolution),
    ("concurrent_reader", readings::concurrent_reader),
    ("stations_round_trip", stations::stations_round_trip),
    ("stations_replace_by_id", stations::stations_replace_by_id),
    ("indices_round_trip", indices::indices_round_trip),
    ("indices_replace_by_key", indices::indices_replace_by_key),
    (
        "indices_range_boundaries",
        indices::indices_range_boundaries,
    ),
    (
        "indices_filter_and_order",
        indices::indices_filter_and_order,
    ),
    (
        "indices_resolutions_apart",
        indices::indices_resolutions_apart,
    ),
    ("job_runs_round_trip", jobs::job_runs_round_trip),
    ("job_runs_order_and_limit", jobs::job_runs_order_and_limit),
    ("job_runs_filter_by_job", jobs::job_runs_filter_by_job),
    ("job_runs_replace_by_key", jobs::job_runs_replace_by_key),
];

/// Runs every check, each on a new store from `create`.
pub fn run_all(create: &dyn Fn() -> TestStore) {
    for (name, check) in CHECKS {
        eprintln!("store conformance: {name}");
        check(create());
    }
}

/// 2025-06-01 00:00 UTC plus `minutes`.
pub fn at(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 1, 0, 0, 0).unwrap() + TimeDelta::minutes(minutes)
}

/// A record.
pub fn rec(
    station: &str,
    parameter: Parameter,
    resolution: Resolution,
    minutes: i64,
    value: f64,
) -> Record {
    Record {
        station: station.into(),
        parameter,
        resolution,
        time: at(minutes),
        value,
        flag: Flag::Normal,
        count: 1,
    }
}

fn query(resolution: Resolution, from: i64, to: i64) -> Query {
    Query {
        stations: vec![],
        parameters: vec![],
        resolution,
        from: at(from),
        to: at(to),
    }
}
