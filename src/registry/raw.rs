//! The files as written: serde structs for the network and profile TOML, before validation.
//!
//! Fields that are checked beyond their TOML type are `Spanned`, so that errors can point at
//! them.

use serde::Deserialize;
use toml::Spanned;

use super::model::StationKind;
use super::profile::StatusMeaning;
use crate::modbus::{ByteOrder, DataType, RegisterKind};

/// A network file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NetworkFile {
    pub network: Spanned<NetworkHeader>,
    #[serde(default)]
    pub station: Vec<Spanned<RawStation>>,
}

/// `[network]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NetworkHeader {
    pub id: Spanned<String>,
    pub name: String,
    pub name_en: String,
    pub time_zone: Spanned<String>,
    pub reference_temperature_c: Option<Spanned<f64>>,
    pub reference_pressure_hpa: Option<Spanned<f64>>,
}

/// `[[station]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStation {
    pub id: Spanned<String>,
    pub name: String,
    pub name_en: String,
    pub district: String,
    pub district_en: String,
    pub lat: Spanned<f64>,
    pub lon: Spanned<f64>,
    pub elevation_m: Spanned<f64>,
    pub kind: StationKind,
    #[serde(default)]
    pub device: Vec<Spanned<RawDevice>>,
}

/// The `transport` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(super) enum TransportKind {
    Tcp,
    RtuOverTcp,
    Rtu,
    /// A data logger that connects to us and sends HJ 212 (no profile, no polling).
    Hj212,
}

/// `[[station.device]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDevice {
    pub id: Spanned<String>,
    /// Required for the Modbus transports, an error for `hj212`.
    pub profile: Option<Spanned<String>>,
    pub transport: Spanned<TransportKind>,
    pub address: Option<Spanned<String>>,
    pub path: Option<Spanned<String>>,
    pub baud: Option<Spanned<u32>>,
    /// The Modbus unit id; any TOML value, so that a measurement unit written here by
    /// mistake gets an error that says what the key means.
    pub unit: Option<Spanned<toml::Value>>,
    pub poll_interval: Option<Spanned<String>>,
    /// The HJ 212 logger's MN (`hj212` only).
    pub mn: Option<Spanned<String>>,
    /// The environment variable holding its PW.
    pub pw_env: Option<Spanned<String>>,
    /// The file holding its PW.
    pub pw_file: Option<Spanned<String>>,
    /// A PW written in the file: accepted by the parser only to be refused with a message
    /// that says where the PW belongs.
    pub pw: Option<Spanned<toml::Value>>,
    /// The interval of its minute data (2051), `"1m"` … `"30m"`.
    pub minute_interval: Option<Spanned<String>>,
    /// The real-time interval (2011) the platform sets with 1062, `"30s"` … `"1h"`.
    pub rtd_interval: Option<Spanned<String>>,
    /// Codes that differ from the default air table.
    #[serde(default)]
    pub code: Vec<Spanned<RawCode>>,
}

/// `[[station.device.code]]`: how an HJ 212 logger reports one pollutant code.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCode {
    pub code: Spanned<String>,
    /// The parameter; default: the code's in the air table.
    pub parameter: Option<Spanned<String>>,
    /// The unit the logger sends it in; default: the table's unit for the code.
    pub unit: Option<Spanned<String>>,
}

/// A profile file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ProfileFile {
    pub profile: Spanned<ProfileHeader>,
    #[serde(default)]
    pub value: Vec<Spanned<RawValue>>,
    #[serde(default)]
    pub status: Vec<Spanned<RawStatus>>,
    #[serde(default)]
    pub request: Vec<Spanned<RawRequest>>,
}

/// The default planning slack, in registers (or bits).
pub(super) const DEFAULT_MAX_GAP: u16 = 8;

/// How the `address` numbers of a profile are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(super) enum Addressing {
    /// Protocol addresses, 0-based: what travels on the wire.
    Protocol,
    /// Register numbers counted from 1: protocol address + 1.
    OneBased,
    /// Modicon reference numbers: 0xxxx coils, 1xxxx discrete inputs, 3xxxx input registers,
    /// 4xxxx holding registers (5 or 6 digits), each table numbered from 1.
    Modicon,
}

/// `[profile]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ProfileHeader {
    pub manufacturer: String,
    pub model: String,
    pub source: String,
    /// Absent = protocol addresses, with warnings for numbers that look otherwise.
    pub addressing: Option<Addressing>,
    #[serde(default)]
    pub byte_order: ByteOrder,
    /// Absent = [`DEFAULT_MAX_GAP`], with a warning when that reads unmapped registers.
    pub max_gap: Option<u16>,
}

/// `[[value]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawValue {
    pub parameter: Spanned<String>,
    pub kind: Spanned<RegisterKind>,
    pub address: Spanned<i64>,
    #[serde(rename = "type")]
    pub data_type: DataType,
    pub order: Option<ByteOrder>,
    /// The measurement unit; any TOML value, so that a Modbus unit id written here by mistake
    /// gets an error that says what the key means.
    pub unit: Spanned<toml::Value>,
    pub scale: Option<Spanned<f64>>,
    pub offset: Option<Spanned<f64>>,
    pub range: Option<Spanned<[f64; 2]>>,
    #[serde(default)]
    pub no_value: Vec<Spanned<f64>>,
}

/// `[[status]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStatus {
    pub name: String,
    pub kind: Spanned<RegisterKind>,
    pub address: Spanned<i64>,
    pub bit: Option<Spanned<u8>>,
    pub meaning: StatusMeaning,
    #[serde(default)]
    pub parameters: Vec<Spanned<String>>,
}

/// `[[request]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRequest {
    pub kind: Spanned<RegisterKind>,
    pub address: Spanned<i64>,
    pub count: Spanned<u16>,
}
