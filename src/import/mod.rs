//! Importing historical hourly data from files into a store.
//!
//! Four [`Format`]s:
//!
//! - [`Format::Prsa`]: the Beijing multi-site files of the UCI repository (`PRSA_Data_*.csv`),
//!   see `prsa`;
//! - [`Format::Openair`]: the `mydata` set of the R package openair (London Marylebone Road),
//!   see `openair`;
//! - [`Format::WideCsv`]: a generic wide CSV, one row per station and hour, one column per
//!   parameter (optionally with its unit), see `wide_csv`;
//! - [`Format::Cnemc`]: the national network's hourly data as CNEMC publishes them (the long
//!   layout and the daily wide `china_sites_YYYYMMDD.csv` files, plain or `.xz`), with the
//!   station list that gives each station's city and whether it is a background site, see
//!   `cnemc` and `cnemc_wide`.
//!
//! Every value becomes an hourly [`Record`] ([`Resolution::Hour`], labelled with the **end** of
//! its hour, in the parameter's canonical unit) with flag `N` and `count = 1`. For imported data
//! `count = 1` means "one published hourly value": the minute data behind it are unknown, so
//! the record counts as one valid hour, not as 60 valid minutes.
//!
//! # Bad input
//!
//! - Problems with the *structure* — an unknown column, an unknown or unsuitable unit, a
//!   missing `time` column, station metadata that contradicts what is known — are errors
//!   ([`ImportError`]) found in a first pass over **every** file, before anything is written:
//!   nothing is imported.
//! - Problems with one row (an unreadable time, a missing station, a wrong number of fields)
//!   reject that row; problems with one value (not a number, a negative concentration, an
//!   unknown compass point) reject that value. Both are reported as [`Issue`]s with the file
//!   and line, and the rest is imported.
//! - Several rows for the same station and hour: each later one is reported, and the **last
//!   one wins** as a whole (the earlier rows are not written at all).
//! - Missing values (`NA`, empty, `NaN`, `N/A`, `-`) are simply absent: no record, no issue.
//!
//! Records are written in batches of [`ImportOptions::batch_size`] (one transaction each).
//! A store failure stops the import part-way; since writes are idempotent, running the same
//! import again is safe.

mod cnemc;
mod cnemc_wide;
mod error;
mod input;
mod openair;
mod options;
mod progress;
mod prsa;
mod row;
mod stations;
mod summary;
mod values;
mod wide_csv;
mod xz;

pub use error::ImportError;
pub use options::{DEFAULT_BATCH, Format, ImportOptions};
pub use progress::{NoProgress, Phase, Progress};
pub use summary::{Issue, IssueKind, MAX_ISSUES, Summary, Timings};
pub use values::{compass_degrees, is_missing};

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use chrono::NaiveDate;

use crate::compute::IndexStage;
use crate::quality::Flag;
use crate::store::{IndexStore, ReadingStore, Record, Resolution, StationId, StationStore};
use cnemc::NationalStations;
use input::{open_input, scan};
use stations::StationBook;
use summary::IssueLog;

/// Station ids as small integers, for the duplicate map.
#[derive(Default)]
struct Interner {
    index: HashMap<String, u32>,
    ids: Vec<StationId>,
}

impl Interner {
    fn get_or_insert(&mut self, id: &str) -> u32 {
        if let Some(&i) = self.index.get(id) {
            return i;
        }
        let i = self.ids.len() as u32;
        self.ids.push(Arc::from(id));
        self.index.insert(id.to_string(), i);
        i
    }
}

/// Imports `files` (all in `format`) into `store`; see the [module documentation](self).
pub fn import(
    store: &mut (impl ReadingStore + StationStore + IndexStore + ?Sized),
    format: Format,
    files: &[PathBuf],
    options: &ImportOptions,
    progress: &dyn Progress,
) -> Result<Summary, ImportError> {
    if files.is_empty() {
        return Err(ImportError::NoFiles);
    }
    if let Some(t) = options.reference_temperature_c
        && !(t.is_finite() && t > -273.15)
    {
        return Err(ImportError::Option(format!(
            "reference temperature {t} °C is not a temperature"
        )));
    }
    if options.batch_size == 0 {
        return Err(ImportError::Option("batch size 0".to_string()));
    }
    if let Some(s) = &options.station
        && s.trim().is_empty()
    {
        return Err(ImportError::Option("the station id is empty".to_string()));
    }
    let mut total_bytes = 0;
    for path in files {
        let meta = std::fs::metadata(path).map_err(|source| ImportError::Io {
            path: path.clone(),
            source,
        })?;
        total_bytes += meta.len();
    }
    let stored = store
        .stations()
        .map_err(|source| ImportError::Store { written: 0, source })?;
    let mut national = NationalStations::default();
    if format == Format::Cnemc {
        national = NationalStations::from_store(&stored);
        if let Some(list) = &options.stations {
            national.read_list(list)?;
        }
    } else if options.stations.is_some() {
        return Err(ImportError::Option(format!(
            "a station list is read by the cnemc format only, not by {format}"
        )));
    }
    let mut book = StationBook::new(stored);
    let mut interner = Interner::default();
    let mut last_row: HashMap<(u32, i64), (usize, u64)> = HashMap::new();
    let mut issues = IssueLog::default();
    let mut summary = Summary {
        files: files.len(),
        ..Summary::default()
    };

    // Pass 1: headers of every file, stations, duplicates. Nothing is written.
    let started = Instant::now();
    progress.begin(Phase::Checking, total_bytes);
    for (fi, path) in files.iter().enumerate() {
        let (mut input, parser) = open_input(path, format, options, &national)?;
        scan(&mut input, parser.as_ref(), path, progress, |line, row| {
            let Ok(row) = row else { return Ok(()) };
            book.resolve(parser.as_ref(), row)
                .map_err(|reason| ImportError::StationConflict {
                    path: path.clone(),
                    line,
                    station: row.station.clone(),
                    reason,
                })?;
            let station = interner.get_or_insert(&row.station);
            let time = row.time.expect("a parsed row has a time");
            if let Some((pf, pl)) = last_row.insert((station, time.timestamp_millis()), (fi, line))
            {
                summary.rows_superseded += 1;
                let earlier = if pf == fi {
                    format!("line {pl}")
                } else {
                    format!("line {pl} of {}", files[pf].display())
                };
                issues.push(
                    fi,
                    path,
                    line,
                    IssueKind::Duplicate,
                    format!(
                        "station {} hour ending {} UTC repeats {earlier}; this later row replaces it",
                        row.station,
                        time.format("%Y-%m-%d %H:%M")
                    ),
                );
            }
            Ok(())
        })?;
    }
    progress.end();
    summary.timings.checking = started.elapsed();

    let changed = book.changed();
    store
        .put_stations(&changed)
        .map_err(|source| ImportError::Store { written: 0, source })?;
    summary.stations_created = book.new.keys().cloned().collect();
    summary.stations_updated = book.filled.iter().cloned().collect();
    if format == Format::Cnemc {
        summary.stations_without_city = book
            .new
            .values()
            .filter(|(info, _)| info.city.is_empty())
            .map(|(info, _)| info.id.clone())
            .collect();
    }

    // Pass 2: write.
    let started = Instant::now();
    progress.begin(Phase::Importing, total_bytes);
    let mut batch: Vec<Record> = Vec::with_capacity(options.batch_size);
    let mut written = 0u64;
    // The indices of the station-days the import touches are computed once, after the
    // readings are written (a file ordered by time touches every station-day once per hour).
    let mut stage = options.index.map(IndexStage::new);
    let mut touched: BTreeSet<(String, NaiveDate)> = BTreeSet::new();
    let mut flush = |batch: &mut Vec<Record>, summary: &mut Summary| -> Result<(), ImportError> {
        if batch.is_empty() {
            return Ok(());
        }
        store
            .put_readings(batch)
            .map_err(|source| ImportError::Store { written, source })?;
        written += batch.len() as u64;
        if let Some(stage) = &mut stage {
            let mut days = BTreeSet::new();
            stage
                .touched_days(store, batch, &mut days)
                .map_err(|source| ImportError::Store { written, source })?;
            touched.extend(days.into_iter().map(|(s, d)| (s.to_string(), d)));
        }
        for r in batch.iter() {
            *summary.records.entry(r.parameter).or_default() += 1;
        }
        batch.clear();
        Ok(())
    };
    for (fi, path) in files.iter().enumerate() {
        let (mut input, parser) = open_input(path, format, options, &national)?;
        scan(&mut input, parser.as_ref(), path, progress, |line, row| {
            summary.rows_read += 1;
            let row = match row {
                Ok(row) => row,
                Err(message) => {
                    summary.rows_rejected += 1;
                    issues.push(fi, path, line, IssueKind::RowRejected, message);
                    return Ok(());
                }
            };
            for message in &row.value_issues {
                summary.values_rejected += 1;
                issues.push(fi, path, line, IssueKind::ValueRejected, message.clone());
            }
            let station = interner.get_or_insert(&row.station);
            let time = row.time.expect("a parsed row has a time");
            if last_row.get(&(station, time.timestamp_millis())) != Some(&(fi, line)) {
                return Ok(()); // a later row replaces this one
            }
            let id = &interner.ids[station as usize];
            for &(parameter, value) in &row.values {
                batch.push(Record {
                    station: id.clone(),
                    parameter,
                    resolution: Resolution::Hour,
                    time,
                    value,
                    flag: Flag::Normal,
                    count: 1,
                });
            }
            if batch.len() >= options.batch_size {
                flush(&mut batch, &mut summary)?;
            }
            Ok(())
        })?;
    }
    flush(&mut batch, &mut summary)?;
    summary.timings.writing = started.elapsed();
    let started = Instant::now();
    if let Some(stage) = &mut stage {
        summary.indices = stage
            .recompute_touched(store, &touched)
            .map_err(|source| ImportError::Store { written, source })?
            as u64;
    }
    summary.timings.indices = started.elapsed();
    progress.end();
    let (list, total) = issues.into_sorted();
    summary.issues = list;
    summary.issues_total = total;
    Ok(summary)
}

#[cfg(test)]
mod tests;
