//! A conformance suite every store backend must pass, one file per trait of
//! [`Store`](lantian::store::Store): [`readings`], [`health`], [`stations`], [`indices`],
//! [`job_runs`], [`source_flags`], [`forecasts`], [`alarms`] and [`alarm_reads`]. A backend's test file provides a function
//! creating a new, empty store ([`TestStore`]) and calls [`run_all`].
//!
//! Besides round trips, replacement by key, ranges, filters and order, each time-keyed kind is
//! read in pages across page boundaries ([`paged`], [`stops_on_error`]) and tells its span.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use lantian::quality::Flag;
use lantian::store::{
    DataKind, ErrorKind, IndexQuery, Operation, PageFn, ReadingQuery, Record, Resolution, Store,
    StoreError,
};
use lantian::units::Parameter;

pub(crate) mod alarm_reads;
pub(crate) mod alarms;
pub(crate) mod analysed_days;
pub(crate) mod forecasts;
pub(crate) mod health;
pub(crate) mod indices;
pub(crate) mod job_runs;
pub(crate) mod readings;
pub(crate) mod source_flags;
pub(crate) mod stations;

/// A new, empty store under test, and a way to open more handles on the same store.
pub(crate) struct TestStore {
    /// The writer handle.
    pub store: Box<dyn Store>,
    /// Opens another handle on the same store (a concurrent reader). Dropped after `store`,
    /// so it may own the store's temporary location.
    pub reopen: Box<dyn Fn() -> Box<dyn Store>>,
}

/// One conformance check: it gets a new, empty store.
pub(crate) type Check = fn(TestStore);

/// The checks of every trait.
pub(crate) const TRAITS: &[(&str, &[(&str, Check)])] = &[
    ("ReadingStore", readings::CHECKS),
    ("HealthStore", health::CHECKS),
    ("StationStore", stations::CHECKS),
    ("IndexStore", indices::CHECKS),
    ("JobRunStore", job_runs::CHECKS),
    ("SourceFlagStore", source_flags::CHECKS),
    ("SourceFlagStore (analysed days)", analysed_days::CHECKS),
    ("ForecastStore", forecasts::CHECKS),
    ("AlarmStore", alarms::CHECKS),
    ("AlarmStore (reads)", alarm_reads::CHECKS),
];

/// Runs every check of every trait, each on a new store from `create`.
pub(crate) fn run_all(create: &dyn Fn() -> TestStore) {
    for (store_trait, checks) in TRAITS {
        for (name, check) in *checks {
            eprintln!("store conformance: {store_trait}: {name}");
            check(create());
        }
    }
}

/// 2025-06-01 00:00 UTC plus `minutes`.
pub(crate) fn at(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 1, 0, 0, 0).unwrap() + TimeDelta::minutes(minutes)
}

/// A record.
pub(crate) fn rec(
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

/// Every station's and parameter's readings at `resolution` from `at(from)` to `at(to)`.
pub(crate) fn query(resolution: Resolution, from: i64, to: i64) -> ReadingQuery {
    ReadingQuery::new(resolution, at(from), at(to))
}

/// Every station's indices at `resolution` from `at(from)` to `at(to)`.
pub(crate) fn index_query(resolution: Resolution, from: i64, to: i64) -> IndexQuery {
    IndexQuery::new(resolution, at(from), at(to))
}

/// The pages of a paged read in pages of `size`, checked: none empty, none larger than
/// `size`, all but the last full.
pub(crate) fn paged<T>(
    size: usize,
    read: impl FnOnce(usize, &mut PageFn<'_, T>) -> Result<(), StoreError>,
) -> Vec<Vec<T>> {
    let mut pages = Vec::new();
    read(size, &mut |page| {
        pages.push(page);
        Ok(())
    })
    .expect("paged read");
    for (i, page) in pages.iter().enumerate() {
        assert!(!page.is_empty(), "page {i} is empty");
        assert!(page.len() <= size, "page {i}: {} > {size}", page.len());
        if i + 1 < pages.len() {
            assert_eq!(page.len(), size, "page {i} of {} is not full", pages.len());
        }
    }
    pages
}

/// A consumer's error stops a paged read (of more than one page of 2) after the first page,
/// and the read returns that error.
pub(crate) fn stops_on_error<T>(
    read: impl FnOnce(usize, &mut PageFn<'_, T>) -> Result<(), StoreError>,
) {
    let mut calls = 0;
    let err = read(2, &mut |_page| {
        calls += 1;
        Err(StoreError::new(
            "the consumer",
            Operation::Put(DataKind::Readings),
            ErrorKind::Unavailable,
            "stop",
        ))
    })
    .expect_err("the consumer's error");
    assert_eq!(calls, 1, "pages after the error");
    assert_eq!(err.store(), "the consumer", "{err}");
}
