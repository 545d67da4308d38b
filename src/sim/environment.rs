//! The simulated world as the devices see it: the true conditions at each station (from the
//! [`World`]) and each device's faults (from the [`Scenario`]) at any instant.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::device::Mode;
use super::scenario::{FaultKind, Scenario};
use super::world::{Conditions, World};
use crate::registry::{Registry, StatusMeaning};

/// A scenario fault that the registry cannot carry out.
#[derive(Debug, thiserror::Error)]
pub enum FaultError {
    /// The fault names a device the registry does not have.
    #[error("{}: fault for unknown device `{device}` (not in the registry)", scenario.display())]
    UnknownDevice {
        /// The scenario file.
        scenario: std::path::PathBuf,
        /// The device id.
        device: String,
    },
    /// The fault is of a kind the device cannot have (an HJ 212 kind for a Modbus device).
    #[error("{}: fault `{kind:?}` for `{device}`: {reason}", scenario.display())]
    NotApplicable {
        /// The scenario file.
        scenario: std::path::PathBuf,
        /// The device id.
        device: String,
        /// The fault kind.
        kind: FaultKind,
        /// Why not.
        reason: &'static str,
    },
    /// The fault needs a status bit the device's profile does not have.
    #[error(
        "{}: fault `{kind:?}` for `{device}`: its profile `{profile}` has no {meaning:?} status bit to show it",
        scenario.display()
    )]
    NoStatusBit {
        /// The scenario file.
        scenario: std::path::PathBuf,
        /// The device id.
        device: String,
        /// The fault kind.
        kind: FaultKind,
        /// The profile id.
        profile: String,
        /// The status meaning required.
        meaning: StatusMeaning,
    },
}

/// What a device is going through at one instant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeviceState {
    /// Not answering at all.
    pub offline: bool,
    /// Answering with a Modbus exception.
    pub exception: bool,
    /// Answering with a garbled frame.
    pub garbage: bool,
    /// Aborting the connection (TCP reset) instead of answering.
    pub reset: bool,
    /// Answering late by this much (real time).
    pub delay: Option<Duration>,
    /// Showing the values it had at this instant (stuck).
    pub frozen_at: Option<DateTime<Utc>>,
    /// Calibration / maintenance / alarm status.
    pub mode: Mode,
    /// What an HJ 212 logger's link does wrong.
    pub link: LinkFaults,
}

/// The faults of an HJ 212 logger's uploads at one instant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkFaults {
    /// Packets go out with a wrong CRC the first time.
    pub bad_crc: bool,
    /// Packets are written in pieces.
    pub split: bool,
    /// Packets are sent twice.
    pub resend: bool,
    /// The connection is closed after each packet.
    pub disconnect: bool,
}

/// The world plus the fault schedule, for one simulation run.
pub struct Environment {
    world: World,
    scenario: Scenario,
    start: DateTime<Utc>,
}

impl Environment {
    /// The environment of `scenario` over `registry`'s stations, for a run that starts at
    /// `start` (relative fault times count from it).
    ///
    /// Faults of devices the registry polls are checked here. When the scenario simulates
    /// HJ 212 loggers (`[hj212]`), a fault naming one of the registry's HJ 212 devices is left
    /// for the loggers to check when they start ([`LoggerGroup::start`](super::logger::LoggerGroup::start)).
    pub fn new(
        scenario: Scenario,
        registry: &Registry,
        start: DateTime<Utc>,
    ) -> Result<Environment, FaultError> {
        for fault in &scenario.faults {
            let Some(device) = registry.devices().find(|d| d.id == fault.device) else {
                if scenario.hj212.is_some()
                    && registry.hj212_devices().any(|d| d.id == fault.device)
                {
                    continue;
                }
                return Err(FaultError::UnknownDevice {
                    scenario: scenario.path.clone(),
                    device: fault.device.clone(),
                });
            };
            if !fault.kind.applies_to_modbus() {
                return Err(FaultError::NotApplicable {
                    scenario: scenario.path.clone(),
                    device: device.id.clone(),
                    kind: fault.kind,
                    reason: "an HJ 212 logger's fault, and this is a Modbus device",
                });
            }
            let meaning = match fault.kind {
                FaultKind::Calibration => StatusMeaning::Calibration,
                FaultKind::Maintenance => StatusMeaning::Maintenance,
                FaultKind::Alarm => StatusMeaning::Fault,
                _ => continue,
            };
            if !device.profile.status.iter().any(|s| s.meaning == meaning) {
                return Err(FaultError::NoStatusBit {
                    scenario: scenario.path.clone(),
                    device: device.id.clone(),
                    kind: fault.kind,
                    profile: device.profile.id.clone(),
                    meaning,
                });
            }
        }
        let world = World::new(&scenario, &registry.stations, start);
        Ok(Environment {
            world,
            scenario,
            start,
        })
    }

    /// The true conditions at station number `station` (registry order) at `t`.
    pub fn conditions(&self, station: usize, t: DateTime<Utc>) -> Conditions {
        self.world.conditions(station, t)
    }

    /// The state of `device` at `t`.
    pub fn device_state(&self, device: &str, t: DateTime<Utc>) -> DeviceState {
        let mut state = DeviceState::default();
        let tz = self.scenario.time_zone;
        for active in self.scenario.active_faults(device, t, self.start, tz) {
            match active.fault.kind {
                FaultKind::Offline => state.offline = true,
                FaultKind::Exception => state.exception = true,
                FaultKind::Garbage => state.garbage = true,
                FaultKind::Reset => state.reset = true,
                FaultKind::Slow => {
                    state.delay = Some(Duration::from_millis(active.fault.delay_ms.unwrap_or(3000)))
                }
                FaultKind::Stuck => state.frozen_at = Some(active.since),
                FaultKind::Calibration => state.mode.calibration = true,
                FaultKind::Maintenance => state.mode.maintenance = true,
                FaultKind::Alarm => state.mode.alarm = true,
                FaultKind::BadCrc => state.link.bad_crc = true,
                FaultKind::Split => state.link.split = true,
                FaultKind::Resend => state.link.resend = true,
                FaultKind::Disconnect => state.link.disconnect = true,
            }
        }
        state
    }

    /// The scenario.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// When the simulation started (relative fault times count from it).
    pub fn start(&self) -> DateTime<Utc> {
        self.start
    }
}
