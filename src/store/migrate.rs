//! Copying one store's contents into another (`lantian migrate`): stations, readings of
//! every resolution, computed indices, source flags and device health.
//!
//! Readings are streamed in time windows (from the newest backwards), so memory stays bounded
//! by one window whatever the size of the store. The [`Store`] trait has no "earliest time",
//! so the walk for each resolution starts at the newest record ([`Store::latest`]) and stops
//! once it has copied as many records as the source holds ([`Store::count`]) — or at the
//! requested start. Empty windows (gaps) make the window grow, up to [`MAX_GROWTH`] × its base
//! size. Indices, source flags (episodes of the hourly data) and issued forecasts (by issue
//! time) are then copied in 30-day windows over the span of the copied readings (plus two
//! days each side). Writes replace by key, so migrating again changes nothing, and an
//! interrupted migration is finished by running it again.

use chrono::{DateTime, TimeDelta, Utc};

use super::{ForecastAxis, ForecastQuery, Query, Resolution, Store, StoreError};

/// Largest growth of a window over an empty stretch, as a multiple of its base size.
pub const MAX_GROWTH: i32 = 16;

/// The window of the index walk.
const INDEX_WINDOW: TimeDelta = TimeDelta::days(30);

/// What to copy. Without `from`, the walk stops at 1970-01-01 at the latest.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MigrateOptions {
    /// Only records (and indices) at or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Only records (and indices) before this time.
    pub to: Option<DateTime<Utc>>,
}

/// What was copied.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MigrateStats {
    /// Stations.
    pub stations: u64,
    /// Readings per resolution, in [`Resolution::ALL`] order.
    pub records: [u64; 4],
    /// Index records (hourly and daily).
    pub indices: u64,
    /// Source flags.
    pub flags: u64,
    /// Issued forecasts: hourly values and daily forecasts.
    pub forecasts: u64,
    /// Device health entries.
    pub health: u64,
}

impl MigrateStats {
    /// Readings of every resolution.
    pub fn total_records(&self) -> u64 {
        self.records.iter().sum()
    }
}

/// Progress of a migration, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// The resolution being copied.
    pub resolution: Resolution,
    /// Readings copied so far (all resolutions).
    pub done: u64,
    /// Readings in the source (all resolutions; an upper bound when a time range is given).
    pub total: u64,
}

/// The base window of each resolution: small enough that one window of a large network fits
/// in memory, large enough that sparse data take few reads.
fn base_window(resolution: Resolution) -> TimeDelta {
    match resolution {
        Resolution::Sample => TimeDelta::minutes(10),
        Resolution::Minute => TimeDelta::hours(2),
        Resolution::Hour => TimeDelta::days(30),
        Resolution::Day => TimeDelta::days(366),
    }
}

/// Copies everything `options` selects from `source` into `target`, reporting progress
/// after each window.
pub fn migrate(
    source: &dyn Store,
    target: &mut dyn Store,
    options: &MigrateOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<MigrateStats, StoreError> {
    let mut stats = MigrateStats::default();
    let stations = source.stations()?;
    target.put_stations(&stations)?;
    stats.stations = stations.len() as u64;

    let mut totals = [0u64; 4];
    for (i, r) in Resolution::ALL.iter().enumerate() {
        totals[i] = source.count(*r)?;
    }
    let total: u64 = totals.iter().sum();
    let mut done = 0;
    // Earliest and latest reading copied: the indices are looked for around them.
    let mut span: Option<(DateTime<Utc>, DateTime<Utc>)> = None;
    for (i, &resolution) in Resolution::ALL.iter().enumerate() {
        if totals[i] == 0 {
            continue;
        }
        let Some(newest) = source
            .latest(resolution, None)?
            .iter()
            .map(|r| r.time)
            .max()
        else {
            continue;
        };
        let mut end = newest + TimeDelta::milliseconds(1);
        if let Some(to) = options.to {
            end = end.min(to);
        }
        let floor = options.from.unwrap_or(DateTime::UNIX_EPOCH);
        let base = base_window(resolution);
        let mut window = base;
        let mut seen = 0;
        while end > floor && seen < totals[i] {
            let start = end.checked_sub_signed(window).unwrap_or(floor).max(floor);
            let query = Query {
                stations: vec![],
                parameters: vec![],
                resolution,
                from: start,
                to: end,
            };
            let records = source.read(&query)?;
            if !records.is_empty() {
                target.write(&records)?;
            }
            seen += records.len() as u64;
            stats.records[i] += records.len() as u64;
            done += records.len() as u64;
            for r in &records {
                span = Some(match span {
                    Some((lo, hi)) => (lo.min(r.time), hi.max(r.time)),
                    None => (r.time, r.time),
                });
            }
            window = if records.is_empty() {
                (window * 2).min(base * MAX_GROWTH)
            } else {
                base
            };
            end = start;
            progress(Progress {
                resolution,
                done,
                total,
            });
        }
    }
    // Indices and flags derive from hourly readings; daily indices are labelled at the local
    // midnight before their hours. Two days of margin on each side cover every time zone.
    // Forecasts are issued from stored hours, so their issue times lie in the same span.
    if let Some((lo, hi)) = span {
        let mut floor = lo - TimeDelta::days(2);
        let mut end = hi + TimeDelta::days(2);
        if let Some(from) = options.from {
            floor = floor.max(from);
        }
        if let Some(to) = options.to {
            end = end.min(to);
        }
        while end > floor {
            let start = (end - INDEX_WINDOW).max(floor);
            for resolution in [Resolution::Hour, Resolution::Day] {
                let indices = source.read_indices(&Query {
                    stations: vec![],
                    parameters: vec![],
                    resolution,
                    from: start,
                    to: end,
                })?;
                if !indices.is_empty() {
                    target.write_indices(&indices)?;
                }
                stats.indices += indices.len() as u64;
            }
            let flags = source.source_flags(start, end, None)?;
            if !flags.is_empty() {
                target.put_source_flags(&flags)?;
            }
            stats.flags += flags.len() as u64;
            let forecasts = ForecastQuery {
                stations: vec![],
                axis: ForecastAxis::Issued,
                from: start,
                to: end,
            };
            let hours = source.read_forecast_hours(&forecasts)?;
            let days = source.read_forecast_days(&forecasts)?;
            if !hours.is_empty() || !days.is_empty() {
                stats.forecasts += target.write_forecasts(&hours, &days)? as u64;
            }
            end = start;
        }
    }
    let health = source.health()?;
    target.put_health(&health)?;
    stats.health = health.len() as u64;
    Ok(stats)
}
