//! The source analysis of whole local days read from the store (`lantian sources`); the
//! `sources` job reads its window the same way ([`day_window`], [`hourly_records`]).

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use chrono_tz::Tz;

use super::{Analysis, AnalysisConfig, StationSeries, analyse};
use crate::assess::local_midnight;
use crate::store::{ReadingQuery, ReadingStore, Record, Resolution, StationStore, StoreError};

/// The hour-ending labels of the local days `first..=last` in `tz`: from `first 01:00` up to
/// and including `last+1 00:00`, as `[from, to)`.
pub fn day_window(first: NaiveDate, last: NaiveDate, tz: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
    let hour = TimeDelta::hours(1);
    (
        local_midnight(first, tz) + hour,
        local_midnight(last + TimeDelta::days(1), tz) + hour,
    )
}

/// Every station's hourly records labelled in `[from, to)`.
pub fn hourly_records(
    store: &(impl ReadingStore + ?Sized),
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Record>, StoreError> {
    store.readings(&ReadingQuery::new(Resolution::Hour, from, to))
}

/// Why the days could not be analysed.
#[derive(Debug, thiserror::Error)]
pub enum DaysError {
    /// Reading the store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The store holds no hourly data in the days.
    #[error("no hourly data in the store from {first} to {last}")]
    NoData {
        /// First day.
        first: NaiveDate,
        /// Last day.
        last: NaiveDate,
    },
    /// A station asked for has no hourly data in the days.
    #[error("station {0}: no hourly data in the period")]
    Station(String),
}

/// The analysis of some local days and the series it was made from.
#[derive(Debug)]
pub struct DaysAnalysis {
    /// The analysis.
    pub analysis: Analysis,
    /// Every station's hourly series of the days.
    pub series: Vec<StationSeries>,
}

/// Analyses the hourly data of every station in the local days `first..=last` (`cfg`'s time
/// zone) together — the network background needs them all — and keeps the results of
/// `stations` (and the network-wide episodes) when some are named.
pub fn analyse_days(
    store: &(impl ReadingStore + StationStore + ?Sized),
    first: NaiveDate,
    last: NaiveDate,
    stations: &[String],
    cfg: &AnalysisConfig,
) -> Result<DaysAnalysis, DaysError> {
    let (from, to) = day_window(first, last, cfg.time_zone);
    let records = hourly_records(store, from, to)?;
    if records.is_empty() {
        return Err(DaysError::NoData { first, last });
    }
    let series = StationSeries::from_records(&records, &store.stations()?, from, to);
    if let Some(s) = stations
        .iter()
        .find(|s| !series.iter().any(|x| &x.station == *s))
    {
        return Err(DaysError::Station(s.clone()));
    }
    let mut analysis = analyse(&series, cfg);
    if !stations.is_empty() {
        let keep = |s: &str| stations.iter().any(|x| x == s);
        analysis.bearings.retain(|b| keep(&b.station));
        analysis
            .episodes
            .retain(|e| e.episode.scope.station().is_none_or(keep));
        analysis.split.retain(|s| keep(&s.station));
        analysis.factors.retain(|f| keep(&f.station));
        analysis.polar.retain(|p| keep(&p.station));
        analysis
            .problems
            .retain(|p| stations.iter().any(|s| p.contains(s.as_str())));
    }
    Ok(DaysAnalysis { analysis, series })
}
