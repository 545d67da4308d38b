//! The API's JSON shapes of stored records: the contract of `/api/v1`, kept apart from the
//! store's types so that neither changes the other by accident. Times are RFC 3339 with the
//! network's offset.

use chrono::{DateTime, SecondsFormat, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::quality::Flag;
use crate::store::{IndexRecord, Record, Resolution, StationInfo};
use crate::units::Parameter;

/// `t` in RFC 3339 with the offset of `zone` (`2026-12-07T17:00:00+08:00`).
pub fn time(t: DateTime<Utc>, zone: Tz) -> String {
    t.with_timezone(&zone)
        .to_rfc3339_opts(SecondsFormat::AutoSi, false)
}

/// A station.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StationJson {
    /// Id.
    pub id: String,
    /// Name (Chinese or local).
    pub name: String,
    /// English name.
    pub name_en: String,
    /// District or town it ranks under.
    pub district: String,
    /// Latitude.
    pub lat: Option<f64>,
    /// Longitude.
    pub lon: Option<f64>,
    /// Its time zone.
    pub time_zone: String,
    /// The city it counts for (empty when none).
    pub city: String,
    /// What its data counts for: `assessment` (评价点), `background` (对照点) or `micro` (微站).
    pub role: &'static str,
}

impl From<&StationInfo> for StationJson {
    fn from(s: &StationInfo) -> Self {
        StationJson {
            id: s.id.clone(),
            name: s.name.clone(),
            name_en: s.name_en.clone(),
            district: s.district.clone(),
            lat: s.lat,
            lon: s.lon,
            time_zone: s.time_zone.name().to_string(),
            city: s.city.clone(),
            role: s.role.code(),
        }
    }
}

/// A reading.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReadingJson {
    /// Station id.
    pub station: String,
    /// Parameter code (`pm25`, `o3`, …).
    pub parameter: Parameter,
    /// `sample`, `minute`, `hour`, `day`.
    pub resolution: Resolution,
    /// Label time (hour-ending for hours).
    pub time: String,
    /// Value in the parameter's canonical unit.
    pub value: f64,
    /// The canonical unit.
    pub unit: &'static str,
    /// HJ 212 flag (`N` valid).
    pub flag: Flag,
    /// Valid values behind an aggregate.
    pub count: u32,
}

impl ReadingJson {
    /// The JSON of `r`.
    pub fn of(r: &Record, zone: Tz) -> ReadingJson {
        ReadingJson {
            station: r.station.to_string(),
            parameter: r.parameter,
            resolution: r.resolution,
            time: time(r.time, zone),
            value: r.value,
            unit: r.parameter.canonical_unit().symbol(),
            flag: r.flag,
            count: r.count,
        }
    }
}

/// A stored AQI.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndexJson {
    /// Station id.
    pub station: String,
    /// `hour` or `day`.
    pub resolution: Resolution,
    /// Hour-ending label, or the local day's start.
    pub time: String,
    /// The rule set (`HJ 633-2012`, …).
    pub standard: &'static str,
    /// The AQI (`null` when no term had a sub-index).
    pub aqi: Option<u32>,
    /// Primary pollutants' codes.
    pub primary: Vec<&'static str>,
    /// Sub-indices by pollutant code.
    pub iaqi: std::collections::BTreeMap<&'static str, Option<u32>>,
}

impl IndexJson {
    /// The JSON of `r`.
    pub fn of(r: &IndexRecord, zone: Tz) -> IndexJson {
        IndexJson {
            station: r.station.to_string(),
            resolution: r.resolution,
            time: time(r.time, zone),
            standard: r.standard.name(),
            aqi: r.aqi,
            primary: r.primary.iter().map(|p| p.code()).collect(),
            iaqi: r
                .terms
                .iter()
                .filter_map(|(p, t)| t.map(|t| (p.code(), t.iaqi)))
                .collect(),
        }
    }
}
