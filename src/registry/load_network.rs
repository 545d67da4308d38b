//! Validating the stations and devices of a network file.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::TimeDelta;
use toml::Spanned;

use super::ConfigError;
use super::load_hj212::Loggers;
use super::model::{Device, Station, Transport};
use super::profile::Profile;
use super::raw::{RawDevice, RawStation, TransportKind};
use super::source::Source;
use crate::store::StationId;
use crate::units::ReferenceState;

/// Default serial speed for `rtu` devices without `baud`.
const DEFAULT_BAUD: u32 = 9600;

/// A validated station whose devices still name their profile by id.
pub(super) struct PendingStation {
    station: Station,
    devices: Vec<PendingDevice>,
}

/// A validated device, minus its profile.
struct PendingDevice {
    id: String,
    profile: String,
    transport: Transport,
    unit: u8,
    poll_interval: TimeDelta,
}

impl PendingStation {
    /// The ids of the profiles its devices use.
    pub(super) fn profile_ids(&self) -> impl Iterator<Item = &str> {
        self.devices.iter().map(|d| d.profile.as_str())
    }

    /// Attaches the (planned) profiles. Every profile id was checked against `profiles`'
    /// keys during validation; a device whose profile is somehow absent is dropped.
    pub(super) fn build(self, profiles: &BTreeMap<String, Arc<Profile>>) -> Station {
        let mut station = self.station;
        let id = station.id.clone();
        station.devices = self
            .devices
            .into_iter()
            .filter_map(|d| {
                Some(Device {
                    id: d.id,
                    station: id.clone(),
                    profile: profiles.get(&d.profile)?.clone(),
                    transport: d.transport,
                    unit: d.unit,
                    poll_interval: d.poll_interval,
                })
            })
            .collect();
        station
    }
}

/// Validates every station and device: ids, coordinates, profiles, transports, unit ids,
/// poll intervals, and that no two devices share an endpoint and unit id; HJ 212 loggers
/// (MN, PW source, codes) with [`Loggers`]. `reference` resolves the loggers' unit
/// conversions; `profile_dir` is the `profiles/` folder beside the network file.
pub(super) fn validate_stations(
    src: &Source,
    stations: &[Spanned<RawStation>],
    available: &[String],
    profile_dir: &Path,
    reference: &ReferenceState,
) -> Result<Vec<PendingStation>, ConfigError> {
    let mut station_ids: HashMap<&str, usize> = HashMap::new();
    let mut device_ids: HashMap<&str, String> = HashMap::new();
    let mut endpoints: HashMap<(String, u8), String> = HashMap::new();
    let mut loggers = Loggers::default();
    let network_dir = profile_dir.parent().unwrap_or(Path::new("."));
    let mut out = Vec::with_capacity(stations.len());
    for (i, s) in stations.iter().enumerate() {
        let s = s.get_ref();
        let at = |name: &str| format!("station[{i}].{name}");
        let id = s.id.get_ref().as_str();
        if !is_id(id) {
            return Err(src.error(
                s.id.span(),
                at("id"),
                format!("station id `{id}` must be non-empty, without spaces"),
            ));
        }
        if let Some(first) = station_ids.insert(id, i) {
            return Err(src.error(
                s.id.span(),
                at("id"),
                format!("duplicate station id `{id}` (also station[{first}])"),
            ));
        }
        let lat = *s.lat.get_ref();
        if !(-90.0..=90.0).contains(&lat) {
            return Err(src.error(
                s.lat.span(),
                at("lat"),
                format!("latitude {lat} is outside -90..90"),
            ));
        }
        let lon = *s.lon.get_ref();
        if !(-180.0..=180.0).contains(&lon) {
            return Err(src.error(
                s.lon.span(),
                at("lon"),
                format!("longitude {lon} is outside -180..180"),
            ));
        }
        let elevation_m = *s.elevation_m.get_ref();
        if !(-500.0..=9000.0).contains(&elevation_m) {
            return Err(src.error(
                s.elevation_m.span(),
                at("elevation_m"),
                format!("elevation {elevation_m} m is outside -500..9000 m"),
            ));
        }

        let station_id = StationId::from(id);
        let mut devices = Vec::with_capacity(s.device.len());
        let mut hj212 = Vec::new();
        for (k, d) in s.device.iter().enumerate() {
            let d = d.get_ref();
            let field = format!("station[{i}].device[{k}]");
            let device_id = d.id.get_ref().as_str();
            if !is_id(device_id) {
                return Err(src.error(
                    d.id.span(),
                    format!("{field}.id"),
                    format!("device id `{device_id}` must be non-empty, without spaces"),
                ));
            }
            if let Some(first) = device_ids.insert(device_id, field.clone()) {
                return Err(src.error(
                    d.id.span(),
                    format!("{field}.id"),
                    format!("duplicate device id `{device_id}` (also {first})"),
                ));
            }
            if *d.transport.get_ref() == TransportKind::Hj212 {
                let logger =
                    loggers.validate(src, &field, d, &station_id, network_dir, reference)?;
                hj212.push(logger);
                continue;
            }
            modbus_only(src, &field, d)?;
            let profile = required(src, &field, d, &d.profile, "profile")?;
            let unit = required(src, &field, d, &d.unit, "unit")?;
            let poll_interval = required(src, &field, d, &d.poll_interval, "poll_interval")?;
            let profile_name = profile.get_ref();
            if !available.contains(profile_name) {
                let known = available.join(", ");
                return Err(src.error(
                    profile.span(),
                    format!("{field}.profile"),
                    format!(
                        "unknown profile `{profile_name}`: there is no {} (known profiles: {})",
                        profile_dir.join(format!("{profile_name}.toml")).display(),
                        if known.is_empty() { "none" } else { &known }
                    ),
                ));
            }
            let transport = transport(src, &field, d)?;
            let unit_span = unit.span();
            let unit = unit_id(src, &field, unit)?;
            let endpoint = endpoint_key(&transport);
            if let Some(first) = endpoints.insert((endpoint.clone(), unit), field.clone()) {
                return Err(src.error(
                    unit_span,
                    format!("{field}.unit"),
                    format!("unit id {unit} at `{endpoint}` is already used by {first}"),
                ));
            }
            let poll_interval = parse_interval(poll_interval.get_ref()).map_err(|m| {
                src.error(poll_interval.span(), format!("{field}.poll_interval"), m)
            })?;
            devices.push(PendingDevice {
                id: device_id.to_string(),
                profile: profile_name.clone(),
                transport,
                unit,
                poll_interval,
            });
        }
        out.push(PendingStation {
            station: Station {
                id: station_id,
                name: s.name.clone(),
                name_en: s.name_en.clone(),
                district: s.district.clone(),
                district_en: s.district_en.clone(),
                lat,
                lon,
                elevation_m,
                kind: s.kind,
                devices: Vec::new(),
                hj212,
            },
            devices,
        });
    }
    Ok(out)
}

/// A key the Modbus transports need, or an error naming it.
fn required<'a, T>(
    src: &Source,
    field: &str,
    d: &RawDevice,
    value: &'a Option<Spanned<T>>,
    key: &str,
) -> Result<&'a Spanned<T>, ConfigError> {
    value.as_ref().ok_or_else(|| {
        src.error(
            d.transport.span(),
            format!("{field}.{key}"),
            format!("missing field `{key}` (required for Modbus devices)"),
        )
    })
}

/// Refuses the HJ 212 keys on a Modbus device.
fn modbus_only(src: &Source, field: &str, d: &RawDevice) -> Result<(), ConfigError> {
    let hj212_keys = [
        ("mn", d.mn.as_ref().map(Spanned::span)),
        ("pw_env", d.pw_env.as_ref().map(Spanned::span)),
        ("pw_file", d.pw_file.as_ref().map(Spanned::span)),
        ("pw", d.pw.as_ref().map(Spanned::span)),
        (
            "minute_interval",
            d.minute_interval.as_ref().map(Spanned::span),
        ),
        ("rtd_interval", d.rtd_interval.as_ref().map(Spanned::span)),
        ("code", d.code.first().map(Spanned::span)),
    ];
    match hj212_keys.into_iter().find(|(_, s)| s.is_some()) {
        Some((key, Some(span))) => Err(src.error(
            span,
            format!("{field}.{key}"),
            format!("`{key}` is only for HJ 212 loggers (`transport = \"hj212\"`)"),
        )),
        _ => Ok(()),
    }
}

fn is_id(id: &str) -> bool {
    !id.is_empty() && !id.chars().any(char::is_whitespace)
}

/// The endpoint a device is reached at, whatever the transport (a gateway address or a
/// serial port), for the shared-endpoint check.
fn endpoint_key(transport: &Transport) -> String {
    match transport {
        Transport::Tcp { address } | Transport::RtuOverTcp { address } => address.clone(),
        Transport::Rtu { path, .. } => path.display().to_string(),
    }
}

fn unit_id(src: &Source, field: &str, unit: &Spanned<toml::Value>) -> Result<u8, ConfigError> {
    let error = |message: String| Err(src.error(unit.span(), format!("{field}.unit"), message));
    let toml::Value::Integer(id) = unit.get_ref() else {
        return error(format!(
            "`unit` of a device is its Modbus unit (slave) id, a number 1..247, not {}; the \
             unit a device measures in belongs to the values of its profile",
            unit.get_ref()
        ));
    };
    match u8::try_from(*id) {
        Ok(u @ 1..=247) => Ok(u),
        _ => error(format!(
            "unit id {id} is outside 1..247 (0 is broadcast, 248..255 are reserved)"
        )),
    }
}

fn transport(src: &Source, field: &str, d: &RawDevice) -> Result<Transport, ConfigError> {
    let kind = *d.transport.get_ref();
    let name = match kind {
        TransportKind::Tcp => "tcp",
        TransportKind::RtuOverTcp => "rtu-over-tcp",
        TransportKind::Rtu => "rtu",
        TransportKind::Hj212 => {
            return Err(src.error(
                d.transport.span(),
                format!("{field}.transport"),
                "an HJ 212 logger is not reached over Modbus",
            ));
        }
    };
    let forbid = |present: bool, key: &str, span: std::ops::Range<usize>| {
        if present {
            Err(src.error(
                span,
                format!("{field}.{key}"),
                format!("`{key}` does not apply to transport `{name}`"),
            ))
        } else {
            Ok(())
        }
    };
    match kind {
        TransportKind::Tcp | TransportKind::RtuOverTcp => {
            if let Some(p) = &d.path {
                forbid(true, "path", p.span())?;
            }
            if let Some(b) = &d.baud {
                forbid(true, "baud", b.span())?;
            }
            let Some(address) = &d.address else {
                return Err(src.error(
                    d.transport.span(),
                    format!("{field}.address"),
                    format!("transport `{name}` needs `address = \"host:port\"`"),
                ));
            };
            check_host_port(address.get_ref())
                .map_err(|m| src.error(address.span(), format!("{field}.address"), m))?;
            let address = address.get_ref().clone();
            Ok(if kind == TransportKind::Tcp {
                Transport::Tcp { address }
            } else {
                Transport::RtuOverTcp { address }
            })
        }
        TransportKind::Rtu | TransportKind::Hj212 => {
            if let Some(a) = &d.address {
                forbid(true, "address", a.span())?;
            }
            let path = match &d.path {
                Some(p) if !p.get_ref().trim().is_empty() => PathBuf::from(p.get_ref()),
                Some(p) => {
                    return Err(src.error(
                        p.span(),
                        format!("{field}.path"),
                        "the serial port path is empty",
                    ));
                }
                None => {
                    return Err(src.error(
                        d.transport.span(),
                        format!("{field}.path"),
                        "transport `rtu` needs `path` (the serial port, e.g. \"/dev/ttyUSB0\")",
                    ));
                }
            };
            let baud = match &d.baud {
                None => DEFAULT_BAUD,
                Some(b) if *b.get_ref() > 0 => *b.get_ref(),
                Some(b) => {
                    return Err(src.error(
                        b.span(),
                        format!("{field}.baud"),
                        "baud must be positive",
                    ));
                }
            };
            Ok(Transport::Rtu { path, baud })
        }
    }
}

/// Checks that `address` is `host:port` with a non-empty host and a port in 1..65535.
fn check_host_port(address: &str) -> Result<(), String> {
    let bad = || format!("`{address}` is not `host:port` (e.g. \"127.0.0.1:502\")");
    let (host, port) = address.rsplit_once(':').ok_or_else(bad)?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    match port.parse::<u16>() {
        Ok(p) if p > 0 && !host.is_empty() && !host.contains(char::is_whitespace) => Ok(()),
        _ => Err(bad()),
    }
}

/// Parses an interval such as `500ms`, `10s`, `1m`, `1h` or `1m30s`. It must be positive.
pub(crate) fn parse_interval(text: &str) -> Result<TimeDelta, String> {
    let bad = || {
        format!("`{text}` is not an interval (expected e.g. \"500ms\", \"10s\", \"1m\", \"1h\")")
    };
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err(bad());
    }
    let mut total_ms: i64 = 0;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return Err(bad());
        }
        let number: i64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let per_unit = match rest[..unit_len].trim() {
            "ms" => 1,
            "s" => 1_000,
            "m" | "min" => 60_000,
            "h" => 3_600_000,
            _ => return Err(bad()),
        };
        rest = &rest[unit_len..];
        total_ms = number
            .checked_mul(per_unit)
            .and_then(|ms| total_ms.checked_add(ms))
            .filter(|ms| *ms <= 7 * 86_400_000)
            .ok_or_else(|| format!("interval `{text}` is longer than a week"))?;
    }
    if total_ms == 0 {
        return Err(format!("poll interval `{text}` must be positive"));
    }
    Ok(TimeDelta::milliseconds(total_ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals() {
        let ms = |s: &str| parse_interval(s).map(|d| d.num_milliseconds());
        assert_eq!(ms("500ms"), Ok(500));
        assert_eq!(ms("10s"), Ok(10_000));
        assert_eq!(ms("1m"), Ok(60_000));
        assert_eq!(ms("1h"), Ok(3_600_000));
        assert_eq!(ms("1m30s"), Ok(90_000));
        assert_eq!(ms(" 30s "), Ok(30_000));
        for bad in ["", "0s", "10", "s", "10x", "-5s", "1.5s", "99999999999h"] {
            assert!(ms(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn host_port() {
        assert!(check_host_port("127.0.0.1:15020").is_ok());
        assert!(check_host_port("gw.example:502").is_ok());
        assert!(check_host_port("[::1]:502").is_ok());
        for bad in ["127.0.0.1", ":502", "host:0", "host:99999", "host:x"] {
            assert!(check_host_port(bad).is_err(), "{bad:?}");
        }
    }
}
