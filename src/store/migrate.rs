//! Copying one store's contents into another (`lantian migrate`): stations, readings of every
//! resolution, computed indices, job runs, source flags and the days the `sources` job
//! analysed, issued forecasts, alarms with their audit logs and device health — every kind of
//! data a store keeps.
//!
//! Each time-keyed kind is copied forward from its earliest record to its latest (its
//! [`TimeSpan`]) with paged reads whose pages are written as they come: memory stays bounded
//! by one page ([`PAGE_SIZE`]) whatever the size of the store. Readings and indices are read
//! in consecutive time windows (of about [`RECORDS_PER_WINDOW`] readings, from the count and
//! span of each resolution): the target then writes each window's times together, which keeps
//! its time index's writes local (a whole span series by series made a SQLite target read and
//! write index pages all over its file, three times slower). Writes replace by key, so
//! migrating again changes nothing, and an interrupted migration is finished by running it
//! again.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};

use super::{
    AlarmKey, AlarmQuery, ForecastAxis, ForecastQuery, IndexQuery, JobRunQuery, PAGE_SIZE,
    ReadingQuery, Resolution, SourceFlagQuery, Store, StoreError, TimeSpan,
};

/// About how many readings each window of the walk holds.
pub const RECORDS_PER_WINDOW: u64 = 200_000;

/// The window of the walk over indices of each resolution.
fn index_window(resolution: Resolution) -> TimeDelta {
    match resolution {
        Resolution::Day => TimeDelta::days(3660),
        _ => TimeDelta::days(120),
    }
}

/// What to copy: the data whose key time (a reading's or an index's label, a job run's
/// scheduled time, a flag's start, the end of an analysed day's window, a forecast's issue
/// time, an alarm's opening) is in `[from, to)`. Stations and device health are copied whole.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MigrateOptions {
    /// Only data at or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Only data before this time.
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
    /// Runs of scheduled jobs.
    pub job_runs: u64,
    /// Source flags.
    pub flags: u64,
    /// Days the `sources` job analysed.
    pub analysed_days: u64,
    /// Issued forecasts: hourly values and daily forecasts.
    pub forecasts: u64,
    /// Alarms.
    pub alarms: u64,
    /// The actions of their audit logs.
    pub alarm_actions: u64,
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

/// The part of `span` that `options` select, as a half-open range (`None`: nothing).
fn range(
    span: Option<TimeSpan>,
    options: &MigrateOptions,
) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let span = span?;
    let from = options.from.map_or(span.first, |f| f.max(span.first));
    let to = options.to.map_or(span.end(), |t| t.min(span.end()));
    (from < to).then_some((from, to))
}

/// Consecutive windows `[start, end)` of length `step` (at least a millisecond) from `from`
/// to `to`.
fn windows(
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    step: TimeDelta,
) -> impl Iterator<Item = (DateTime<Utc>, DateTime<Utc>)> {
    let step = step.max(TimeDelta::milliseconds(1));
    let next = move |t: DateTime<Utc>| t.checked_add_signed(step).map_or(to, |n| n.min(to));
    std::iter::successors(Some(from), move |&t| Some(next(t)))
        .take_while(move |&t| t < to)
        .map(move |t| (t, next(t)))
}

/// The window over `[from, to)` holding about [`RECORDS_PER_WINDOW`] of `count` records
/// spread over it.
fn reading_window(from: DateTime<Utc>, to: DateTime<Utc>, count: u64) -> TimeDelta {
    let span_ms = (to - from).num_milliseconds().max(1) as f64;
    let share = RECORDS_PER_WINDOW as f64 / count.max(1) as f64;
    TimeDelta::milliseconds((span_ms * share).ceil().min(i64::MAX as f64 / 2.0) as i64)
}

/// Copies everything `options` selects from `source` into `target`, reporting progress
/// after each page of readings.
pub fn migrate(
    source: &dyn Store,
    target: &mut dyn Store,
    options: &MigrateOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<MigrateStats, StoreError> {
    let mut stats = MigrateStats::default();
    let stations = source.stations()?;
    stats.stations = target.put_stations(&stations)? as u64;

    let mut counts = [0; 4];
    for (count, resolution) in counts.iter_mut().zip(Resolution::ALL) {
        *count = source.count_readings(resolution)?;
    }
    let total = counts.iter().sum();
    let mut done = 0;
    for (i, resolution) in Resolution::ALL.into_iter().enumerate() {
        let Some((from, to)) = range(source.readings_span(resolution)?, options) else {
            continue;
        };
        for (start, end) in windows(from, to, reading_window(from, to, counts[i])) {
            let query = ReadingQuery::new(resolution, start, end);
            source.readings_paged(&query, PAGE_SIZE, &mut |page| {
                let n = target.put_readings(&page)? as u64;
                stats.records[i] += n;
                done += n;
                progress(Progress {
                    resolution,
                    done,
                    total,
                });
                Ok(())
            })?;
        }
    }
    for resolution in [Resolution::Hour, Resolution::Day] {
        let Some((from, to)) = range(source.indices_span(resolution)?, options) else {
            continue;
        };
        for (start, end) in windows(from, to, index_window(resolution)) {
            let query = IndexQuery::new(resolution, start, end);
            source.indices_paged(&query, PAGE_SIZE, &mut |page| {
                stats.indices += target.put_indices(&page)? as u64;
                Ok(())
            })?;
        }
    }
    if let Some((from, to)) = range(source.job_runs_span()?, options) {
        source.job_runs_paged(&JobRunQuery::new(from, to), PAGE_SIZE, &mut |page| {
            stats.job_runs += target.put_job_runs(&page)? as u64;
            Ok(())
        })?;
    }
    if let Some((from, to)) = range(source.source_flags_span()?, options) {
        let query = SourceFlagQuery::new(from, to);
        source.source_flags_paged(&query, PAGE_SIZE, &mut |page| {
            stats.flags += target.put_source_flags(&page)? as u64;
            Ok(())
        })?;
    }
    // One record per day: few enough to read at once.
    let mut days = source.analysed_days(NaiveDate::MIN, NaiveDate::MAX)?;
    days.retain(|d| {
        options.from.is_none_or(|from| d.window.to >= from)
            && options.to.is_none_or(|to| d.window.to < to)
    });
    stats.analysed_days += target.put_analysed_days(&days)? as u64;
    if let Some((from, to)) = range(source.forecasts_span()?, options) {
        let query = ForecastQuery::new(ForecastAxis::Issued, from, to);
        source.forecast_hours_paged(&query, PAGE_SIZE, &mut |page| {
            stats.forecasts += target.put_forecasts(&page, &[])? as u64;
            Ok(())
        })?;
        source.forecast_days_paged(&query, PAGE_SIZE, &mut |page| {
            stats.forecasts += target.put_forecasts(&[], &page)? as u64;
            Ok(())
        })?;
    }
    // Each page of alarms with their whole logs: a target takes an alarm it does not have
    // only with all of its log, and one it has exactly so as it is (migrating again).
    if let Some((from, to)) = range(source.alarms_span()?, options) {
        source.alarms_paged(&AlarmQuery::new(from, to), PAGE_SIZE, &mut |page| {
            let keys: Vec<AlarmKey> = page.iter().map(|a| a.key()).collect();
            let actions = source.alarm_actions(&keys)?;
            stats.alarms += target.put_alarms(&page, &actions)? as u64;
            stats.alarm_actions += actions.len() as u64;
            Ok(())
        })?;
    }
    let health = source.health()?;
    stats.health = target.put_health(&health)? as u64;
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use chrono::{TimeDelta, TimeZone};

    use super::*;

    #[test]
    fn windows_cover_the_range_once() {
        let t = |h| Utc.with_ymd_and_hms(2025, 6, 1, h, 0, 0).unwrap();
        let w: Vec<_> = windows(t(0), t(10), TimeDelta::hours(4)).collect();
        assert_eq!(w, [(t(0), t(4)), (t(4), t(8)), (t(8), t(10))]);
        assert_eq!(windows(t(0), t(0), TimeDelta::hours(1)).count(), 0);
        let ms = TimeDelta::milliseconds(1);
        assert_eq!(windows(t(0), t(0) + ms * 3, TimeDelta::zero()).count(), 3);
        let end = DateTime::<Utc>::MAX_UTC;
        assert_eq!(windows(end - ms * 5, end, TimeDelta::days(1)).count(), 1);
        // A year of 2,000,000 records: windows of a tenth of it.
        let year = TimeDelta::days(365);
        let step = reading_window(t(0), t(0) + year, 2_000_000);
        assert_eq!(step, year / 10);
        assert_eq!(reading_window(t(0), t(1), 0), TimeDelta::hours(1) * 200_000);
    }

    #[test]
    fn ranges_are_cut_by_the_options() {
        let t = |h| Utc.with_ymd_and_hms(2025, 6, 1, h, 0, 0).unwrap();
        let span = TimeSpan::of([t(2), t(8)]);
        let all = MigrateOptions::default();
        let ms = TimeDelta::milliseconds(1);
        assert_eq!(range(span, &all), Some((t(2), t(8) + ms)));
        assert_eq!(range(None, &all), None);
        let cut = MigrateOptions {
            from: Some(t(4)),
            to: Some(t(6)),
        };
        assert_eq!(range(span, &cut), Some((t(4), t(6))));
        let wide = MigrateOptions {
            from: Some(t(0)),
            to: Some(t(20)),
        };
        assert_eq!(range(span, &wide), Some((t(2), t(8) + ms)));
        let after = MigrateOptions {
            from: Some(t(9)),
            to: None,
        };
        assert_eq!(range(span, &after), None);
    }
}
