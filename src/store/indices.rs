//! Computed air-quality indices ([`IndexRecord`]s, hourly and daily), and the
//! [`IndexStore`] that keeps them.

use chrono::{DateTime, Utc};
use enum_map::EnumMap;

use super::select::{PAGE_SIZE, PageFn, Stations, TimeSpan, collect};
use super::{Resolution, StationId, StoreError};

/// One term of a stored index: the concentration statistic it was computed from, its
/// sub-index, and how much data stood behind it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IndexTerm {
    /// The concentration in canonical units: the hourly value for hourly records; for daily
    /// records the 24-h mean, the O3 daily maximum 1-h value or maximum 8-h moving mean.
    pub concentration: f64,
    /// Its sub-index (IAQI); `None` when the concentration has none (e.g. above the table).
    pub iaqi: Option<u32>,
    /// Valid hours behind it (hourly: 1; daily: hours for 24-h means and the 1-h maximum,
    /// valid 8-h windows for the 8-h maximum).
    pub valid: u8,
}

/// An air-quality index the pipeline computed from stored hourly means and keeps, so that
/// reports and the API read it instead of recomputing.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexRecord {
    /// Station id.
    pub station: StationId,
    /// [`Resolution::Hour`] (real-time AQI) or [`Resolution::Day`] (daily AQI and statistics).
    pub resolution: Resolution,
    /// Hour: the hour-ending label (UTC). Day: the start of the station's local day, in UTC.
    pub time: DateTime<Utc>,
    /// The rule set the index was computed under.
    pub standard: crate::aqi::Standard,
    /// The AQI; `None` when no term had a sub-index.
    pub aqi: Option<u32>,
    /// Primary pollutant(s) (empty when AQI ≤ 50).
    pub primary: Vec<crate::aqi::Pollutant>,
    /// The terms, one per AQI pollutant (SO2, NO2, PM10, PM2.5, CO, O3 1-h, O3 8-h); `None`
    /// when there was no valid concentration.
    pub terms: EnumMap<crate::aqi::Pollutant, Option<IndexTerm>>,
}

/// Pollutant codes joined by `;`: the stored form of a list of primary pollutants (of indices
/// and of daily forecasts, in every backend).
pub(crate) fn join_pollutants(p: &[crate::aqi::Pollutant]) -> String {
    p.iter().map(|p| p.code()).collect::<Vec<_>>().join(";")
}

/// The inverse of [`join_pollutants`]: `""` is the empty list; any other code that is not a
/// pollutant's (also an empty one, as in `pm25;`) is an error naming it.
pub(crate) fn split_pollutants(s: &str) -> Result<Vec<crate::aqi::Pollutant>, String> {
    if s.is_empty() {
        return Ok(Vec::new());
    }
    s.split(';')
        .map(|c| {
            crate::aqi::Pollutant::from_code(c).ok_or_else(|| format!("unknown pollutant `{c}`"))
        })
        .collect()
}

/// A range read of indices: one resolution (hourly or daily), a time range, which stations.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexQuery {
    /// [`Resolution::Hour`] or [`Resolution::Day`].
    pub resolution: Resolution,
    /// Stations to include.
    pub stations: Stations,
    /// Inclusive start (label time).
    pub from: DateTime<Utc>,
    /// Exclusive end.
    pub to: DateTime<Utc>,
}

impl IndexQuery {
    /// Every station's indices at `resolution` with label times in `[from, to)`.
    pub fn new(resolution: Resolution, from: DateTime<Utc>, to: DateTime<Utc>) -> IndexQuery {
        IndexQuery {
            resolution,
            stations: Stations::All,
            from,
            to,
        }
    }

    /// The same query for `stations` only.
    pub fn for_stations(mut self, stations: Stations) -> IndexQuery {
        self.stations = stations;
        self
    }

    /// Whether the query cannot select anything.
    pub fn is_empty(&self) -> bool {
        self.from >= self.to || self.stations.selects_nothing()
    }
}

/// Where computed indices are kept. Keyed by (station, resolution, time): a record with the
/// key of a stored one replaces it.
pub trait IndexStore: Send {
    /// Writes computed indices; rejects (before writing anything) records at a resolution
    /// other than [`Resolution::Hour`] and [`Resolution::Day`], and NaN concentrations.
    /// Returns how many were written.
    fn put_indices(&mut self, records: &[IndexRecord]) -> Result<usize, StoreError>;

    /// Hands the indices matching `query` to `each` in pages of at most `page_size`; each
    /// station's come in time order, how the stations follow each other is the backend's.
    fn indices_paged(
        &self,
        query: &IndexQuery,
        page_size: usize,
        each: &mut PageFn<'_, IndexRecord>,
    ) -> Result<(), StoreError>;

    /// The label times of the earliest and latest index at `resolution`.
    fn indices_span(&self, resolution: Resolution) -> Result<Option<TimeSpan>, StoreError>;

    /// Indices matching `query`, ordered by station (byte order) then time. Holds the whole
    /// range in memory: for long ranges use [`IndexStore::indices_paged`].
    fn indices(&self, query: &IndexQuery) -> Result<Vec<IndexRecord>, StoreError> {
        let mut out = collect(|each| self.indices_paged(query, PAGE_SIZE, each))?;
        out.sort_by(|a, b| a.station.cmp(&b.station));
        Ok(out)
    }
}
