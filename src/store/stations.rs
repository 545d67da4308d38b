//! Station metadata: the [`StationInfo`] of collected and imported stations, and the
//! [`StationStore`] that keeps it.

use std::collections::HashMap;
use std::sync::Arc;

use chrono_tz::Tz;

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
    pub time_zone: Tz,
    /// The city whose value the station counts for (national network stations; empty when
    /// the station belongs to no city assessment).
    pub city: String,
    /// A background site (对照点): measured, but not part of its city's value.
    pub background: bool,
}

/// Where station metadata is kept.
pub trait StationStore: Send {
    /// Creates or replaces stations (by id). Returns how many were written.
    fn put_stations(&mut self, stations: &[StationInfo]) -> Result<usize, StoreError>;

    /// Every known station, ordered by id.
    fn stations(&self) -> Result<Vec<StationInfo>, StoreError>;
}

/// The time zone of the network: the zone most stations have (Asia/Shanghai without
/// stations). Reports, local days and hour labels are in this zone
/// when no registry names it.
pub fn network_zone(stations: &[StationInfo]) -> Tz {
    let mut counts: HashMap<Tz, usize> = HashMap::new();
    for s in stations {
        *counts.entry(s.time_zone).or_default() += 1;
    }
    counts
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.name().cmp(a.0.name())))
        .map(|(tz, _)| tz)
        .unwrap_or(chrono_tz::Asia::Shanghai)
}
