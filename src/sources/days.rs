//! The source analysis of whole local days read from the store (`lantian sources`); the
//! `sources` job reads its window the same way ([`day_window`], [`hourly_series`]).

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use chrono_tz::Tz;

use super::series::SeriesBuilder;
use super::{Analysis, AnalysisConfig, StationSeries, analyse};
use crate::assess::local_midnight;
use crate::store::{
    PAGE_SIZE, ReadingQuery, ReadingStore, Record, Resolution, StationStore, StoreError,
};

/// The hour-ending labels of the local days `first..=last` in `tz`: from `first 01:00` up to
/// and including `last+1 00:00`, as `[from, to)`.
pub fn day_window(first: NaiveDate, last: NaiveDate, tz: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
    let hour = TimeDelta::hours(1);
    (
        local_midnight(first, tz) + hour,
        local_midnight(last + TimeDelta::days(1), tz) + hour,
    )
}

/// Every station's hourly series of the hours labelled in `[from, to)`
/// ([`StationSeries::from_records`]), read a page at a time: a window of the whole network
/// is never in memory as records (a week of the demo network's hours is ≈ 80,000 of them).
/// `each_page` sees every page's records first, for what a caller checks beside the series.
pub fn hourly_series(
    store: &(impl ReadingStore + StationStore + ?Sized),
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    mut each_page: impl FnMut(&[Record]),
) -> Result<Vec<StationSeries>, StoreError> {
    let stations = store.stations()?;
    let mut series = SeriesBuilder::new(&stations, from, to);
    let query = ReadingQuery::new(Resolution::Hour, from, to);
    store.readings_paged(&query, PAGE_SIZE, &mut |page| {
        each_page(&page);
        series.add(&page);
        Ok(())
    })?;
    Ok(series.finish())
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
    let mut any_record = false;
    let series = hourly_series(store, from, to, |page| any_record |= !page.is_empty())?;
    if !any_record {
        return Err(DaysError::NoData { first, last });
    }
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
