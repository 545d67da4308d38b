//! The loaded, validated network registry.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::TimeDelta;
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::ConfigWarning;
use super::hj212::Hj212Device;
use super::profile::Profile;
use crate::store::{StationId, StationInfo, StationRole};
use crate::units::ReferenceState;

/// A whole registry: the network, its stations and the profiles their devices use.
#[derive(Debug, Clone)]
pub struct Registry {
    /// Network-wide settings.
    pub network: Network,
    /// Stations in file order.
    pub stations: Vec<Station>,
    /// The profiles the devices use, by id.
    pub profiles: BTreeMap<String, Arc<Profile>>,
    /// Likely mistakes found while loading (see [`ConfigWarning`]).
    pub warnings: Vec<ConfigWarning>,
}

impl Registry {
    /// Every device of every station, in file order.
    pub fn devices(&self) -> impl Iterator<Item = &Device> {
        self.stations.iter().flat_map(|s| s.devices.iter())
    }

    /// Every HJ 212 logger of every station, in file order.
    pub fn hj212_devices(&self) -> impl Iterator<Item = &Hj212Device> {
        self.stations.iter().flat_map(|s| s.hj212.iter())
    }

    /// The station with this id.
    pub fn station(&self, id: &str) -> Option<&Station> {
        self.stations.iter().find(|s| &*s.id == id)
    }

    /// The registry's stations as the store keeps them (in file order), with the network's
    /// time zone. Collectors register them with [`Store::put_stations`] when they start, so
    /// that reports and rankings find names, districts and coordinates in the store.
    ///
    /// [`Store::put_stations`]: crate::store::StationStore::put_stations
    pub fn station_infos(&self) -> Vec<StationInfo> {
        self.stations
            .iter()
            .map(|s| StationInfo {
                id: s.id.to_string(),
                name: s.name.clone(),
                name_en: s.name_en.clone(),
                district: s.district.clone(),
                lat: Some(s.lat),
                lon: Some(s.lon),
                time_zone: self.network.time_zone,
                city: String::new(),
                role: s.kind.role(),
            })
            .collect()
    }
}

/// Network-wide settings.
#[derive(Debug, Clone)]
pub struct Network {
    /// Short id.
    pub id: String,
    /// Chinese name.
    pub name: String,
    /// English name.
    pub name_en: String,
    /// The network's time zone: local days and hour labels in reports use it.
    pub time_zone: Tz,
    /// Reference state for ppb/ppm → mass concentration.
    pub reference: ReferenceState,
    /// The file it was loaded from.
    pub source: PathBuf,
}

/// The class of a monitoring station.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StationKind {
    /// National control station (国控).
    National,
    /// Provincial control station (省控).
    Provincial,
    /// Town / street station (镇街站).
    Town,
    /// Micro station (微站), usually low-cost sensors.
    Micro,
}

impl StationKind {
    /// What the station's data counts for: micro stations never enter published
    /// assessments; national, provincial and town stations do.
    pub fn role(self) -> StationRole {
        match self {
            Self::National | Self::Provincial | Self::Town => StationRole::Assessment,
            Self::Micro => StationRole::Micro,
        }
    }
}

/// A monitoring station.
#[derive(Debug, Clone)]
pub struct Station {
    /// Unique id.
    pub id: StationId,
    /// Chinese name.
    pub name: String,
    /// English name.
    pub name_en: String,
    /// District, town or street (Chinese).
    pub district: String,
    /// District in English.
    pub district_en: String,
    /// Latitude, degrees north (WGS 84).
    pub lat: f64,
    /// Longitude, degrees east (WGS 84).
    pub lon: f64,
    /// Elevation above sea level, metres.
    pub elevation_m: f64,
    /// Station class.
    pub kind: StationKind,
    /// Devices at the station that lantian polls (Modbus).
    pub devices: Vec<Device>,
    /// Data loggers at the station that send HJ 212 to lantian (`transport = "hj212"`).
    pub hj212: Vec<Hj212Device>,
}

/// One polled device (an analyzer, a particulate monitor, a weather sensor). HJ 212 loggers,
/// which are not polled, are [`Hj212Device`]s.
#[derive(Debug, Clone)]
pub struct Device {
    /// Unique id in the network.
    pub id: String,
    /// The station it belongs to.
    pub station: StationId,
    /// Its register map.
    pub profile: Arc<Profile>,
    /// How to reach it.
    pub transport: Transport,
    /// Modbus unit (slave) id.
    pub unit: u8,
    /// Poll interval (aligned to the clock: a 10-s interval polls at :00, :10, …).
    pub poll_interval: TimeDelta,
}

/// How a device is reached.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Transport {
    /// Modbus TCP to `host:port`.
    Tcp {
        /// `host:port`.
        address: String,
    },
    /// Modbus RTU frames tunnelled through a TCP serial gateway at `host:port`.
    RtuOverTcp {
        /// `host:port`.
        address: String,
    },
    /// Modbus RTU on a serial port.
    Rtu {
        /// Serial device path.
        path: PathBuf,
        /// Baud rate.
        baud: u32,
    },
}

impl Transport {
    /// True when devices behind this transport share one line and must be polled one at a
    /// time over one connection (serial buses and serial gateways).
    pub fn is_shared_bus(&self) -> bool {
        !matches!(self, Transport::Tcp { .. })
    }
}

impl std::fmt::Display for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Transport::Tcp { address } => write!(f, "tcp://{address}"),
            Transport::RtuOverTcp { address } => write!(f, "rtu+tcp://{address}"),
            Transport::Rtu { path, baud } => write!(f, "rtu://{}@{baud}", path.display()),
        }
    }
}
