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
    /// What the station's data counts for: published assessments, a background reference, or
    /// a micro-station grid.
    pub role: StationRole,
}

/// What a station's data counts for. Only [`StationRole::Assessment`] stations enter the
/// published town, district and city values and rankings, the daily report's area figures,
/// the forecasts' city values and the source analysis' network background; every station keeps
/// its own station-level values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum StationRole {
    /// An assessment station (评价点): national, provincial and town stations whose values
    /// make the published town, district and city values.
    #[default]
    Assessment,
    /// A background site (对照点, 清洁对照点): measured to show the regional background, not
    /// part of its city's value.
    Background,
    /// A micro station (微站, 网格化监测): low-cost sensors of a monitoring grid, ranked among
    /// themselves but never part of a published assessment.
    Micro,
}

impl StationRole {
    /// Every role, in order.
    pub const ALL: [StationRole; 3] = [Self::Assessment, Self::Background, Self::Micro];

    /// The stored form (`assessment`, `background`, `micro`).
    pub fn code(self) -> &'static str {
        match self {
            Self::Assessment => "assessment",
            Self::Background => "background",
            Self::Micro => "micro",
        }
    }

    /// True for the stations whose values make published assessments.
    pub fn is_assessed(self) -> bool {
        self == Self::Assessment
    }
}

impl std::fmt::Display for StationRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// A station role that is not one of [`StationRole::code`]'s.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown station role `{0}` (expected assessment, background or micro)")]
pub struct UnknownStationRole(pub String);

impl std::str::FromStr for StationRole {
    type Err = UnknownStationRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|r| r.code() == s)
            .ok_or_else(|| UnknownStationRole(s.to_string()))
    }
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
