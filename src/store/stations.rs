//! Station metadata: the [`StationInfo`] of collected and imported stations, and the
//! [`StationStore`] that keeps it.

use std::sync::Arc;

use super::StoreError;

/// A station identifier, shared cheaply between the many records of one station.
pub type StationId = Arc<str>;

/// A station as the store knows it: collected stations (from the registry) and imported ones
/// (from analysts' files) alike. Reports, rankings and daily statistics read it.
#[derive(Debug, Clone, PartialEq)]
pub struct StationInfo {
    /// Station id.
    pub id: String,
    /// Name (Chinese, or the local language).
    pub name: String,
    /// English name.
    pub name_en: String,
    /// District / town the station ranks under.
    pub district: String,
    /// Latitude, degrees north (`None` when unknown).
    pub lat: Option<f64>,
    /// Longitude, degrees east (`None` when unknown).
    pub lon: Option<f64>,
    /// Time zone of the station's local days and hour labels.
    pub time_zone: chrono_tz::Tz,
}

/// Where station metadata is kept.
pub trait StationStore: Send {
    /// Creates or replaces stations (by id). Returns how many were written.
    fn put_stations(&mut self, stations: &[StationInfo]) -> Result<usize, StoreError>;

    /// Every known station, ordered by id.
    fn stations(&self) -> Result<Vec<StationInfo>, StoreError>;
}
