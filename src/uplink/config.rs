//! The `[[uplink]]` tables of `lantian.toml`: one per receiving platform.
//!
//! ```toml
//! [[uplink]]
//! name = "provincial"              # names the cursor and state files: letters, digits, - and _
//! address = "10.1.2.3:9100"        # host:port of the platform
//! data = [2051, 2061, 2031]        # 2011 real-time, 2051 minute, 2061 hourly, 2031 daily
//! stations = "all"                 # or a list of station ids
//! start = "now"                    # or "2026-03-01" (local midnight) or an RFC 3339 time
//! pw_env = "LANTIAN_UPLINK_PW"     # the PW of every station without its own
//! [uplink.station.GD-DG-01]
//! mn = "44190000000001"
//! [uplink.station.GD-DG-02]
//! mn = "44190000000002"
//! pw_file = "secrets/dg02.pw"      # relative to lantian.toml
//! [uplink.codes]                  # over the codec's default air table
//! a01006 = { parameter = "pres", unit = "hPa" }
//! ```
//!
//! Errors name the file, the line and the key (serde with toml); the PW is never accepted in
//! the file, only from an environment variable or a file, read when the target starts.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, FixedOffset, NaiveDate, TimeDelta};
use serde::Deserialize;

use super::stream::Stream;
pub use values::{Address, FactorCode, HeaderValue, TargetName};

mod values;
use crate::hj212::SystemCode;
use crate::hj212::codes::CodeMap;
use crate::units::{Conversion, Parameter, ReferenceState, Unit};

/// A platform lantian sends its stored data to (`[[uplink]]`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UplinkTarget {
    /// The target's name: its cursor, lock and state files are named after it.
    pub name: TargetName,
    /// `host:port` of the platform.
    pub address: Address,
    /// The uploads it receives, each sent in time order.
    #[serde(default = "default_data")]
    pub data: Vec<Stream>,
    /// Which stations: `"all"` (every station the store knows) or a list of ids.
    #[serde(default)]
    pub stations: StationChoice,
    /// Each station's MN (and PW source, when it has its own), by station id.
    #[serde(default)]
    pub station: BTreeMap<String, StationLink>,
    /// Environment variable holding the PW of the stations without their own.
    #[serde(default)]
    pub pw_env: Option<String>,
    /// File whose first line is the PW of the stations without their own.
    #[serde(default)]
    pub pw_file: Option<PathBuf>,
    /// Refused with a clear message: a PW is never written in the configuration.
    #[serde(default)]
    pw: NoSecret,
    /// Overrides of the codec's default air code table, by factor code.
    #[serde(default)]
    pub codes: BTreeMap<FactorCode, CodeOverride>,
    /// `ST` of the uploads (22: ambient air quality).
    #[serde(default = "default_st")]
    pub st: u16,
    /// Whether uploads ask for a 9014 acknowledgement (the Flag's A bit). Without it the
    /// cursor moves as soon as a packet is written to the connection.
    #[serde(default = "yes")]
    pub ack: bool,
    /// Milliseconds to wait for an acknowledgement (HJ 212-2017 Table 1: 10 s).
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// Re-sends of an unacknowledged packet before the connection is given up (Table 1: 3).
    #[serde(default = "default_retries")]
    pub retries: u32,
    /// Where a new target starts (no cursor yet): `"now"`, a date or a time.
    #[serde(default)]
    pub start: StartPoint,
    /// Seconds of monitoring time an interval must have ended before it is sent, so that the
    /// collectors' and the forwarder's writes of it have landed.
    #[serde(default = "default_delay_s")]
    pub delay_s: u64,
    /// First reconnection delay in ms (doubles per failure, with jitter).
    #[serde(default = "default_backoff_initial_ms")]
    pub backoff_initial_ms: u64,
    /// Longest reconnection delay in ms.
    #[serde(default = "default_backoff_max_ms")]
    pub backoff_max_ms: u64,
}

fn default_data() -> Vec<Stream> {
    vec![Stream::Minute, Stream::Hour, Stream::Day]
}
fn default_st() -> u16 {
    SystemCode::AirQuality.code()
}
fn yes() -> bool {
    true
}
fn default_timeout_ms() -> u64 {
    10_000
}
fn default_retries() -> u32 {
    3
}
fn default_delay_s() -> u64 {
    120
}
fn default_backoff_initial_ms() -> u64 {
    1_000
}
fn default_backoff_max_ms() -> u64 {
    300_000
}

/// A `pw` key: refused with a clear message (a PW is never written in the configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct NoSecret;

impl<'de> Deserialize<'de> for NoSecret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let _ = serde::de::IgnoredAny::deserialize(d)?;
        Err(serde::de::Error::custom(
            "a PW is never written in lantian.toml: name an environment variable (pw_env) or \
             a file (pw_file) that holds it",
        ))
    }
}

impl UplinkTarget {
    /// Time allowed for an acknowledgement (real time).
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }

    /// How long an interval waits after its end before it is sent (monitoring time).
    pub fn delay(&self) -> TimeDelta {
        TimeDelta::seconds(self.delay_s.min(i64::MAX as u64 / 1000) as i64)
    }

    /// The codec's default air table with this target's overrides (a code given here
    /// replaces the parameter's default code).
    pub fn code_map(&self) -> CodeMap {
        let mut map = CodeMap::air_default();
        for (code, entry) in &self.codes {
            let unit = entry
                .unit
                .unwrap_or_else(|| entry.parameter.canonical_unit());
            map.set(code.as_str(), entry.parameter, unit);
        }
        map
    }

    /// Rebases relative PW files on `base` (the configuration's folder).
    pub fn resolve_paths(&mut self, base: &Path) {
        let files = self
            .station
            .values_mut()
            .map(|s| &mut s.pw_file)
            .chain([&mut self.pw_file]);
        for file in files.flatten() {
            *file = base.join(&*file);
        }
    }

    /// `ST` of the uploads.
    pub fn system_code(&self) -> SystemCode {
        SystemCode::from_code(self.st)
    }

    /// The MN and PW of every station of `known` (the store's stations) this target sends,
    /// reading the PWs from the environment and files now. Errors name the target, the
    /// station and what to add.
    pub fn credentials(
        &self,
        known: &[String],
    ) -> Result<Vec<StationCredentials>, CredentialError> {
        let ids: Vec<&String> = match &self.stations {
            StationChoice::All => known.iter().collect(),
            StationChoice::Only(list) => list.iter().collect(),
        };
        ids.into_iter()
            .map(|id| {
                let link = self.station.get(id).ok_or_else(|| CredentialError::NoMn {
                    target: self.name.to_string(),
                    station: id.clone(),
                })?;
                let source = PwSource::of(link.pw_env.as_ref(), link.pw_file.as_ref())
                    .or_else(|| PwSource::of(self.pw_env.as_ref(), self.pw_file.as_ref()))
                    .ok_or_else(|| CredentialError::NoPw {
                        target: self.name.to_string(),
                        station: id.clone(),
                    })?;
                let pw = source.read().map_err(|reason| CredentialError::BadPw {
                    target: self.name.to_string(),
                    station: id.clone(),
                    origin: source.to_string(),
                    reason,
                })?;
                Ok(StationCredentials {
                    station: id.clone(),
                    mn: link.mn.clone(),
                    pw,
                })
            })
            .collect()
    }
}

/// A station's MN and PW for one target.
#[derive(Debug, Clone, PartialEq)]
pub struct StationCredentials {
    /// The station's id in lantian.
    pub station: String,
    /// Its MN at the platform.
    pub mn: HeaderValue,
    /// Its PW (read from the environment or a file).
    pub pw: HeaderValue,
}

/// Why a target cannot start: a station without MN or PW.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    /// The station is sent but has no `[uplink.station.<id>]` entry.
    #[error(
        "uplink `{target}`: station `{station}` has no MN: add [uplink.station.{station}] with \
         mn = \"…\" to its [[uplink]] in lantian.toml (or list the stations to send with \
         stations = [\"…\"])"
    )]
    NoMn {
        /// The target.
        target: String,
        /// The station.
        station: String,
    },
    /// Neither the station nor the target names where its PW is.
    #[error(
        "uplink `{target}`: no PW for station `{station}`: set pw_env or pw_file on the \
         [[uplink]] or on [uplink.station.{station}]"
    )]
    NoPw {
        /// The target.
        target: String,
        /// The station.
        station: String,
    },
    /// The PW could not be read or is not a valid PW.
    #[error("uplink `{target}`: PW of station `{station}` from {origin}: {reason}")]
    BadPw {
        /// The target.
        target: String,
        /// The station.
        station: String,
        /// Where it was read from.
        origin: String,
        /// What is wrong.
        reason: String,
    },
}

/// Where a PW comes from.
#[derive(Debug, Clone, PartialEq)]
enum PwSource {
    Env(String),
    File(PathBuf),
}

impl PwSource {
    fn of(env: Option<&String>, file: Option<&PathBuf>) -> Option<PwSource> {
        env.map(|e| PwSource::Env(e.clone()))
            .or_else(|| file.map(|f| PwSource::File(f.clone())))
    }

    fn read(&self) -> Result<HeaderValue, String> {
        let text = match self {
            PwSource::Env(name) => {
                std::env::var(name).map_err(|_| "the variable is not set".to_string())?
            }
            PwSource::File(path) => std::fs::read_to_string(path).map_err(|e| e.to_string())?,
        };
        let line = text.lines().next().unwrap_or("").trim();
        HeaderValue::try_from(line.to_string())
    }
}

impl std::fmt::Display for PwSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PwSource::Env(name) => write!(f, "environment variable {name}"),
            PwSource::File(path) => write!(f, "file {}", path.display()),
        }
    }
}

/// A station's identity at one platform (`[uplink.station.<id>]`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StationLink {
    /// The station's MN.
    pub mn: HeaderValue,
    /// Environment variable holding its own PW.
    #[serde(default)]
    pub pw_env: Option<String>,
    /// File whose first line is its own PW.
    #[serde(default)]
    pub pw_file: Option<PathBuf>,
    #[serde(default)]
    pw: NoSecret,
}

/// An entry of `[uplink.codes]`: `a01006 = { parameter = "pres", unit = "hPa" }` (a
/// unit that does not measure the parameter is an error at its line).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "RawCodeOverride")]
pub struct CodeOverride {
    /// The parameter sent under the code.
    pub parameter: Parameter,
    /// The unit the platform expects (default: the parameter's canonical unit).
    pub unit: Option<Unit>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCodeOverride {
    parameter: Parameter,
    #[serde(default)]
    unit: Option<Unit>,
}

impl TryFrom<RawCodeOverride> for CodeOverride {
    type Error = String;
    fn try_from(raw: RawCodeOverride) -> Result<Self, String> {
        if let Some(unit) = raw.unit {
            Conversion::to_canonical(raw.parameter, unit, &ReferenceState::default())
                .map_err(|e| e.to_string())?;
        }
        Ok(CodeOverride {
            parameter: raw.parameter,
            unit: raw.unit,
        })
    }
}

/// Which stations a target receives.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum StationChoice {
    /// Every station the store knows (each needs an MN).
    #[default]
    All,
    /// These stations.
    Only(Vec<String>),
}

impl<'de> Deserialize<'de> for StationChoice {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = StationChoice;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("\"all\" or a list of station ids")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<StationChoice, E> {
                if v == "all" {
                    Ok(StationChoice::All)
                } else {
                    Err(E::custom(format!(
                        "stations must be \"all\" or a list of station ids, not \"{v}\""
                    )))
                }
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<StationChoice, A::Error> {
                let mut ids = Vec::new();
                while let Some(id) = seq.next_element::<String>()? {
                    ids.push(id);
                }
                Ok(StationChoice::Only(ids))
            }
        }
        d.deserialize_any(Visitor)
    }
}

/// Where a new target's sending starts (there is no cursor yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(try_from = "String")]
pub enum StartPoint {
    /// From the moment the target first starts: only new data.
    #[default]
    Now,
    /// From local midnight of this date in each station's zone.
    Date(NaiveDate),
    /// From this instant.
    Time(DateTime<FixedOffset>),
}

impl TryFrom<String> for StartPoint {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        if s == "now" {
            return Ok(StartPoint::Now);
        }
        if let Ok(date) = s.parse::<NaiveDate>() {
            return Ok(StartPoint::Date(date));
        }
        DateTime::parse_from_rfc3339(&s)
            .map(StartPoint::Time)
            .map_err(|_| {
                format!(
                    "start `{s}`: expected \"now\", a date (2026-03-01) or an RFC 3339 time \
                 (2026-03-01T08:00:00+08:00)"
                )
            })
    }
}

#[cfg(test)]
mod tests;
