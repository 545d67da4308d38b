//! The register image of one simulated device: what its registers and status bits hold for a
//! given state of the world and a given fault mode — the same layout the real instrument has,
//! because it is generated from the same profile the collector reads with.

use tokio_modbus::ExceptionCode;

use crate::modbus::RegisterKind;
use crate::modbus::decode::encode;
use crate::registry::{Profile, StatusMeaning, StatusSpec, ValueSpec};
use crate::units::Parameter;

/// What the device is doing, as far as its registers show it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Mode {
    /// Zero/span check running: calibration bits set, values show the check gas.
    pub calibration: bool,
    /// Service mode: maintenance bits set, values near zero (sample line open).
    pub maintenance: bool,
    /// A general alarm: fault bits set, values still measured.
    pub alarm: bool,
}

/// Fills `out` with registers `start..start+count` of `kind` for a device whose true
/// canonical values are given by `truth`. Addresses beyond the map's last register answer
/// `IllegalDataAddress`, as instruments do; gaps inside the map read as zero.
pub(super) fn read_registers(
    profile: &Profile,
    kind: RegisterKind,
    start: u16,
    count: u16,
    truth: &dyn Fn(Parameter) -> f64,
    mode: Mode,
) -> Result<Vec<u16>, ExceptionCode> {
    let end = u32::from(start) + u32::from(count);
    let map_end = profile
        .values
        .iter()
        .filter(|v| v.kind == kind)
        .map(|v| u32::from(v.address) + u32::from(v.data_type.registers()))
        .chain(
            profile
                .status
                .iter()
                .filter(|s| s.kind == kind)
                .map(|s| u32::from(s.address) + 1),
        )
        .max()
        .unwrap_or(0);
    if count == 0 || end > map_end {
        return Err(ExceptionCode::IllegalDataAddress);
    }
    let mut words = vec![0u16; usize::from(count)];
    let mut scratch = [0u16; 4];
    for spec in profile.values.iter().filter(|v| v.kind == kind) {
        let n = spec.data_type.registers();
        encode(
            device_raw(spec, truth(spec.parameter), mode),
            spec.data_type,
            spec.order,
            &mut scratch,
        );
        for k in 0..n {
            let addr = u32::from(spec.address) + u32::from(k);
            if (u32::from(start)..end).contains(&addr) {
                words[(addr - u32::from(start)) as usize] = scratch[usize::from(k)];
            }
        }
    }
    for status in raised(profile, kind, mode) {
        let addr = u32::from(status.address);
        if (u32::from(start)..end).contains(&addr) {
            words[(addr - u32::from(start)) as usize] |= 1 << status.bit.unwrap_or(0);
        }
    }
    Ok(words)
}

/// Fills bits `start..start+count` of a bit table (coils, discrete inputs).
pub(super) fn read_bits(
    profile: &Profile,
    kind: RegisterKind,
    start: u16,
    count: u16,
    mode: Mode,
) -> Result<Vec<bool>, ExceptionCode> {
    let end = u32::from(start) + u32::from(count);
    let map_end = profile
        .status
        .iter()
        .filter(|s| s.kind == kind)
        .map(|s| u32::from(s.address) + 1)
        .max();
    if count == 0 || map_end.is_none_or(|m| end > m) {
        return Err(ExceptionCode::IllegalDataAddress);
    }
    let mut bits = vec![false; usize::from(count)];
    for status in raised(profile, kind, mode) {
        let addr = u32::from(status.address);
        if (u32::from(start)..end).contains(&addr) {
            bits[(addr - u32::from(start)) as usize] = true;
        }
    }
    Ok(bits)
}

/// The status entries of table `kind` that are set in `mode`: the first entry of each meaning
/// (the "zero mode" bit for a calibration, the "service" bit for maintenance, the general
/// alarm for an alarm).
fn raised(profile: &Profile, kind: RegisterKind, mode: Mode) -> impl Iterator<Item = &StatusSpec> {
    let active = move |meaning: StatusMeaning| match meaning {
        StatusMeaning::Calibration => mode.calibration,
        StatusMeaning::Maintenance => mode.maintenance,
        StatusMeaning::Fault => mode.alarm,
        StatusMeaning::Info => false,
    };
    profile.status.iter().enumerate().filter_map(move |(i, s)| {
        let first = profile.status.iter().position(|x| x.meaning == s.meaning) == Some(i);
        (first && s.kind == kind && active(s.meaning)).then_some(s)
    })
}

/// The raw register value the device shows for a true canonical value.
fn device_raw(spec: &ValueSpec, canonical: f64, mode: Mode) -> f64 {
    let mut device_value = spec.conversion.invert(canonical);
    if mode.calibration {
        // Span gas at 80 % of the range (or a fixed 400 device units without a range).
        device_value = spec.range.map_or(400.0, |(_, hi)| 0.8 * hi);
    } else if mode.maintenance {
        device_value *= 0.02;
    }
    (device_value - spec.offset) / spec.scale
}
