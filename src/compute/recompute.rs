//! Recomputing the stored indices of a range of local days on demand — after a `--no-indices`
//! import, a change of rule set, corrected data, the `indices` job's daily safety net or the
//! demo's simulated history — with the same [`IndexStage`] that runs as data arrives.

use crate::assess::DateRange;
use crate::store::{Store, StoreError};

use super::{IndexConfig, IndexStage};

/// Why a recomputation failed.
#[derive(Debug, thiserror::Error)]
pub enum RecomputeError {
    /// The last day comes before the first.
    #[error("the last day {last} is before the first day {first}")]
    EmptyRange {
        /// First day.
        first: chrono::NaiveDate,
        /// Last day.
        last: chrono::NaiveDate,
    },
    /// A station the store has no metadata for (its local day is unknown).
    #[error(
        "unknown station `{0}`: the store has no metadata for it (see `lantian import` or `lantian collect`)"
    )]
    UnknownStation(String),
    /// Reading the store's stations failed.
    #[error("reading the stations: {0}")]
    Stations(#[source] StoreError),
    /// Reading or writing one station's data failed.
    #[error("computing indices of {station}")]
    Station {
        /// The station.
        station: String,
        /// The store's error.
        #[source]
        source: StoreError,
    },
}

/// What a recomputation wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recomputed {
    /// Hourly and daily index records written.
    pub records: usize,
    /// Stations recomputed.
    pub stations: usize,
}

/// Recomputes the hourly and daily AQI of `stations` (every station the store knows when
/// empty) for the local days of `days`, each in its station's time zone.
pub fn recompute_days(
    store: &mut dyn Store,
    config: IndexConfig,
    stations: &[String],
    days: DateRange,
) -> Result<Recomputed, RecomputeError> {
    if days.last < days.first {
        return Err(RecomputeError::EmptyRange {
            first: days.first,
            last: days.last,
        });
    }
    let known: Vec<String> = store
        .stations()
        .map_err(RecomputeError::Stations)?
        .into_iter()
        .map(|s| s.id)
        .collect();
    let stations = if stations.is_empty() {
        &known
    } else {
        stations
    };
    if let Some(unknown) = stations.iter().find(|s| !known.contains(s)) {
        return Err(RecomputeError::UnknownStation(unknown.clone()));
    }
    let mut stage = IndexStage::new(config);
    let mut records = 0;
    for station in stations {
        records += stage
            .recompute(store, station, days.first, days.last)
            .map_err(|source| RecomputeError::Station {
                station: station.clone(),
                source,
            })?;
    }
    Ok(Recomputed {
        records,
        stations: stations.len(),
    })
}
