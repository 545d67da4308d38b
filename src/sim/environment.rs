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
    /// Answering late by this much (real time).
    pub delay: Option<Duration>,
    /// Showing the values it had at this instant (stuck).
    pub frozen_at: Option<DateTime<Utc>>,
    /// Calibration / maintenance / alarm status.
    pub mode: Mode,
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
    pub fn new(
        scenario: Scenario,
        registry: &Registry,
        start: DateTime<Utc>,
    ) -> Result<Environment, FaultError> {
        for fault in &scenario.faults {
            let Some(device) = registry.devices().find(|d| d.id == fault.device) else {
                return Err(FaultError::UnknownDevice {
                    scenario: scenario.path.clone(),
                    device: fault.device.clone(),
                });
            };
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
                FaultKind::Slow => {
                    state.delay = Some(Duration::from_millis(active.fault.delay_ms.unwrap_or(3000)))
                }
                FaultKind::Stuck => state.frozen_at = Some(active.since),
                FaultKind::Calibration => state.mode.calibration = true,
                FaultKind::Maintenance => state.mode.maintenance = true,
                FaultKind::Alarm => state.mode.alarm = true,
            }
        }
        state
    }

    /// The scenario.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }
}
