//! The device-health report's charts from its findings: the device-states timeline and the
//! capture grid, with the stations in one order for both: stations where anything but
//! "online" shows first, then by their devices' highest priority, then by id.

use std::collections::BTreeMap;

use chrono::{TimeDelta, Timelike};

use super::charts::{CaptureGrid, CaptureRow, DeviceRow, DeviceStates, StationRows};
use super::health::HealthFindings;
use super::health_timeline::{DeviceState, StateBand, coarsen};
use super::i18n::{EN, Text, ZH, label};
use crate::assess::local_midnight;
use crate::lang::Bi;
use crate::units::Parameter;

/// The timeline's step.
const STEP: TimeDelta = TimeDelta::minutes(5);

/// The station's name in both languages (its id when unknown).
fn station_name(f: &HealthFindings, id: &str) -> Bi {
    f.names
        .get(id)
        .map_or_else(|| Bi::new(id, id), |(zh, en)| Bi::new(zh, en))
}

/// The legend name of a state.
pub(crate) fn state_name(state: DeviceState) -> Bi {
    let pick = |t: &'static Text| match state {
        DeviceState::Online => t.state_online,
        DeviceState::Calibration => t.state_calibration,
        DeviceState::Maintenance => t.state_maintenance,
        DeviceState::Fault => t.state_fault,
        DeviceState::Stopped => t.state_stopped,
        DeviceState::NoData => t.state_no_data,
    };
    Bi::new(pick(&ZH), pick(&EN))
}

/// The device-states chart and the capture grid.
pub fn health_charts(f: &HealthFindings) -> (DeviceStates, CaptureGrid) {
    let start = local_midnight(f.date, f.tz);
    let end = local_midnight(f.date + TimeDelta::days(1), f.tz);
    let minute = |t: chrono::DateTime<chrono::Utc>| {
        u32::try_from((t - start).num_minutes().max(0)).unwrap_or(u32::MAX)
    };

    // Per station: its devices' coarse bands, the highest score, whether anything shows.
    struct Station<'a> {
        score: u32,
        eventful: bool,
        devices: Vec<(&'a str, Vec<StateBand>)>,
    }
    let mut stations: BTreeMap<&str, Station> = BTreeMap::new();
    for d in &f.devices {
        let bands = coarsen(&d.states, STEP, start, end);
        let s = stations.entry(&d.spec.station).or_insert(Station {
            score: 0,
            eventful: false,
            devices: Vec::new(),
        });
        s.score = s.score.max(d.score);
        s.eventful |= bands.iter().any(|b| b.state != DeviceState::Online);
        s.devices.push((&d.spec.id, bands));
    }
    let mut order: Vec<(&str, Station)> = stations.into_iter().collect();
    order.sort_by(|a, b| {
        (b.1.eventful, b.1.score)
            .cmp(&(a.1.eventful, a.1.score))
            .then_with(|| a.0.cmp(b.0))
    });

    let rows: Vec<StationRows> = order
        .iter()
        .map(|(id, s)| {
            let mut devices: Vec<&(&str, Vec<StateBand>)> = s.devices.iter().collect();
            devices.sort_by_key(|d| d.0);
            StationRows {
                name: station_name(f, id),
                devices: devices
                    .into_iter()
                    .map(|(device, bands)| DeviceRow {
                        label: device
                            .strip_prefix(*id)
                            .and_then(|rest| rest.strip_prefix('-'))
                            .filter(|rest| !rest.is_empty())
                            .unwrap_or(device)
                            .to_string(),
                        bands: bands
                            .iter()
                            .map(|b| (b.state, minute(b.from), minute(b.to)))
                            .collect(),
                    })
                    .collect(),
            }
        })
        .collect();
    // The legend: every state but "stopped", which is named only when it shows.
    let stopped = rows
        .iter()
        .flat_map(|s| &s.devices)
        .flat_map(|d| &d.bands)
        .any(|b| b.0 == DeviceState::Stopped);
    let legend = DeviceState::ALL
        .into_iter()
        .filter(|s| *s != DeviceState::Stopped || stopped)
        .map(|s| (s, state_name(s)))
        .collect();
    let mut hours = Vec::new();
    let mut t = start;
    while t <= end {
        let local = t.with_timezone(&f.tz).hour();
        hours.push((minute(t), if t == end && local == 0 { 24 } else { local }));
        t += TimeDelta::hours(1);
    }
    let date = f.date.to_string();
    let states = DeviceStates {
        title: Bi::new(
            format!("{} {date}", ZH.states_chart),
            format!("{} {date}", EN.states_chart),
        ),
        stations: rows,
        minutes: minute(end),
        hours,
        legend,
        quiet: label(|t| t.states_quiet),
    };

    // Capture: valid hours per station and parameter (devices of a station measuring the same
    // parameter read the same series).
    let mut valid: BTreeMap<(&str, Parameter), u8> = BTreeMap::new();
    for c in &f.captures {
        let v = valid.entry((&c.station, c.parameter)).or_default();
        *v = (*v).max(c.valid_hours);
    }
    let parameters: Vec<Parameter> = Parameter::ALL
        .into_iter()
        .filter(|p| valid.keys().any(|k| k.1 == *p))
        .collect();
    let capture = CaptureGrid {
        title: Bi::new(
            format!("{} {date}", ZH.capture_chart),
            format!("{} {date}", EN.capture_chart),
        ),
        parameters: parameters
            .iter()
            .map(|p| crate::lang::Lang::En.parameter(*p).to_string())
            .collect(),
        stations: order
            .iter()
            .filter(|(id, _)| valid.keys().any(|k| k.0 == *id))
            .map(|(id, _)| CaptureRow {
                name: station_name(f, id),
                hours: parameters
                    .iter()
                    .map(|p| valid.get(&(*id, *p)).copied())
                    .collect(),
            })
            .collect(),
        min_hours: f.rules.min_valid_hours,
        legend: [
            label(|t| t.capture_meets),
            label(|t| t.capture_below),
            label(|t| t.capture_rule),
        ],
    };
    (states, capture)
}
