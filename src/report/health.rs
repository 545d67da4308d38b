//! The device-health findings of one local day, for the maintainers' morning report
//! (rendered by `health_page`).
//!
//! Inputs: the devices' last health ([`HealthStore::health`]), and the day's minute and hourly
//! records of every station. Devices are mapped to the parameters they measure by the registry
//! ([`DeviceSpec::from_registry`]); without one, each station counts as one device.
//!
//! # Checks
//!
//! - **Uptime** of a device: share of the day's minutes in which it delivered a value of any of
//!   its parameters (any flag but `B`); with hourly data only, share of the hours.
//!   The collector's poll success ratio (since it started) is shown beside it.
//! - **Data capture** per parameter: valid hourly values (flag `N`) out of 24; a valid day
//!   needs ≥ 20 (HJ 663's rule, [`HealthRules::min_valid_hours`]).
//! - **Alarms, calibration, maintenance**: runs of minutes (or hours) flagged `D` (fault/alarm),
//!   `C` (zero/span check, calibration), `M` (maintenance) or `F` (stopped) on any parameter of
//!   the device, merged per device and flag.
//! - **Stuck values**: the same valid value repeated for ≥ 30 consecutive minute values, or —
//!   where a parameter has no minute data (imported hourly data) — ≥ 6 consecutive hourly
//!   values, **and** at least three times as long as the longest repeat of that parameter at
//!   the median other station of the network that day (when at least two other stations have
//!   it). The second condition is needed because many instruments report coarse values that
//!   repeat in normal operation: beta-attenuation PM monitors publish whole µg/m³ and update
//!   slowly, pressure and temperature transmitters report 0.1 steps, so half an hour of the
//!   same PM2.5 or pressure reading is normal, while an analyzer whose reading never repeats
//!   elsewhere and freezes for hours is not. Rain is not checked (zero for hours is normal).
//! - **Out of range**: values flagged `T`.
//! - **Inconsistent**: hours with valid PM2.5 above valid PM10, or valid NO2 above valid NOx
//!   (both µg/m³, NOx expressed as NO2) at the same station.
//! - **Device alarms**: the alarms the rules raised about devices and their data that were
//!   active during the day ([`super::day_alarms`]): device states (offline, fault,
//!   calibration or maintenance too long), no data, and data anomalies (stuck, negative,
//!   out of range, inconsistent, low capture), with since when and their state.
//! - **HJ 212 loggers**: the health of the devices that send to lantian (last packet, packets
//!   received and taken, gaps, packets rejected by cause, the peer's address).
//!
//! # Priority
//!
//! Devices to visit first are ordered by a score (higher first), the sum of: offline now 40;
//! poll failures (1 − success ratio) × 50 when the ratio is below 95 %; 15 per parameter below
//! the 20-hour rule (at most 45); any fault/alarm 10 plus 1 per 30 fault minutes (at most 20);
//! status bits set now 10; 25 per stuck parameter; out of range 5 plus 1 per 10 values (at most
//! 15); inconsistency 10 plus 1 per hour (at most 20). Calibration and maintenance are planned
//! work and score nothing. Devices scoring 0 are not listed.

use super::health_checks::{DataChecks, StationSeries, read_station};
use super::health_series::runs;
use super::health_timeline::{StateBand, state_bands};
use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use chrono_tz::Tz;

use super::ReportError;
use crate::assess::local_midnight;
use crate::quality::Flag;
use crate::registry::Registry;
use crate::store::{
    Alarm, AlarmKind, AlarmStore, DeviceHealth, HealthStore, ReadingStore, Resolution,
    StationStore, network_zone,
};
use crate::units::Parameter;

/// A device and what it measures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceSpec {
    /// Device id.
    pub id: String,
    /// Station id.
    pub station: String,
    /// Parameters it measures.
    pub parameters: Vec<Parameter>,
    /// An HJ 212 data logger that sends to lantian (not a polled device).
    pub hj212: bool,
}

impl DeviceSpec {
    /// Every device of the registry with its parameters: a polled device's profile's, an
    /// HJ 212 logger's code map's.
    pub fn from_registry(registry: &Registry) -> Vec<DeviceSpec> {
        let polled = registry.devices().map(|d| DeviceSpec {
            id: d.id.clone(),
            station: d.station.to_string(),
            parameters: d.profile.parameters().collect(),
            hj212: false,
        });
        let loggers = registry.hj212_devices().map(|d| DeviceSpec {
            id: d.id.clone(),
            station: d.station.to_string(),
            parameters: d.parameters(),
            hj212: true,
        });
        polled.chain(loggers).collect()
    }
}

/// Thresholds of the checks (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HealthRules {
    /// Consecutive identical minute values that make a stuck value (30).
    pub stuck_minutes: usize,
    /// Consecutive identical hourly values that make a stuck value without minute data (6).
    pub stuck_hours: usize,
    /// Valid hours a parameter needs in a day (20).
    pub min_valid_hours: u8,
}

impl Default for HealthRules {
    fn default() -> Self {
        HealthRules {
            stuck_minutes: 30,
            stuck_hours: 6,
            min_valid_hours: 20,
        }
    }
}

/// Capture of one parameter of one device.
#[derive(Debug, Clone, PartialEq)]
pub struct Capture {
    /// Device id.
    pub device: String,
    /// Station id.
    pub station: String,
    /// The parameter.
    pub parameter: Parameter,
    /// Valid hours (flag `N`).
    pub valid_hours: u8,
    /// Hours with a record flagged otherwise, by flag code.
    pub flagged: BTreeMap<char, u8>,
    /// Whether the 20-hour rule is met.
    pub meets: bool,
}

/// A run of flagged minutes (or hours) of one device.
#[derive(Debug, Clone, PartialEq)]
pub struct FlagPeriod {
    /// Device id.
    pub device: String,
    /// Station id.
    pub station: String,
    /// `D`, `C`, `M` or `F`.
    pub flag: Flag,
    /// Start (the beginning of the first flagged period).
    pub from: DateTime<Utc>,
    /// End (the label of the last flagged period).
    pub to: DateTime<Utc>,
    /// Flagged minutes.
    pub minutes: u32,
}

/// What a data check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CheckKind {
    /// The same value repeated.
    Stuck,
    /// Values flagged `T`.
    OutOfRange,
    /// PM2.5 above PM10.
    Pm25AbovePm10,
    /// NO2 above NOx.
    No2AboveNox,
}

/// One data-check finding.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// Station id.
    pub station: String,
    /// The check.
    pub kind: CheckKind,
    /// The parameter (the larger one for inconsistencies).
    pub parameter: Parameter,
    /// First affected period (start).
    pub from: DateTime<Utc>,
    /// Last affected period (label).
    pub to: DateTime<Utc>,
    /// Values (stuck, out of range) or hours (inconsistent) affected.
    pub count: u32,
    /// The stuck value, or the largest excess of an inconsistency (µg/m³).
    pub value: f64,
}

/// Why a device should be visited.
#[derive(Debug, Clone, PartialEq)]
pub enum Reason {
    /// Offline now.
    Offline,
    /// Poll success ratio below 95 %.
    FailedPolls(f64),
    /// Parameters below the 20-hour rule (parameter, valid hours).
    LowCapture(Vec<(Parameter, u8)>),
    /// Fault/alarm minutes.
    Fault(u32),
    /// Status bits set now.
    Status(Vec<String>),
    /// A data-check finding on one of its parameters.
    Check(CheckKind, Parameter, u32),
}

/// One device's day.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceDay {
    /// The device.
    pub spec: DeviceSpec,
    /// Its last health, when collected.
    pub health: Option<DeviceHealth>,
    /// Uptime of the day (0–1), `None` without any record.
    pub uptime: Option<f64>,
    /// Priority score (0 = nothing to do).
    pub score: u32,
    /// Reasons behind the score.
    pub reasons: Vec<Reason>,
    /// Its states through the day, from the flags of its records (minutes where it has minute
    /// records, else hours); see [`super::health_timeline`].
    pub states: Vec<StateBand>,
}

/// Everything the device-health report shows.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthFindings {
    /// The local day.
    pub date: NaiveDate,
    /// The network's time zone.
    pub tz: Tz,
    /// Station names by id (name, English name).
    pub names: BTreeMap<String, (String, String)>,
    /// Devices, highest score first.
    pub devices: Vec<DeviceDay>,
    /// Capture per device parameter.
    pub captures: Vec<Capture>,
    /// Flagged periods, by start.
    pub periods: Vec<FlagPeriod>,
    /// Data-check findings.
    pub checks: Vec<Finding>,
    /// The alarms about devices and their data active during the day, by opening time.
    pub alarms: Vec<Alarm>,
    /// The thresholds used.
    pub rules: HealthRules,
}

/// Computes the findings of the local day `date` (network time zone).
///
/// Reads the day's records one station at a time (`health_checks.rs`): the memory
/// it needs is one station's day, whatever the size of the network.
pub fn health_findings(
    store: &(impl StationStore + ReadingStore + HealthStore + AlarmStore + ?Sized),
    date: NaiveDate,
    devices: &[DeviceSpec],
    rules: &HealthRules,
) -> Result<HealthFindings, ReportError> {
    let stations = store.stations()?;
    let tz = network_zone(&stations);
    let day = Day {
        start: local_midnight(date, tz),
        end: local_midnight(date + TimeDelta::days(1), tz),
    };
    let health = store.health()?;
    let health_of: BTreeMap<&str, &DeviceHealth> =
        health.iter().map(|h| (h.device.as_str(), h)).collect();

    // The stations to read: the store's, and those of the registry's and collected devices.
    let mut by_station: BTreeMap<&str, Vec<(usize, &DeviceSpec)>> = BTreeMap::new();
    for s in &stations {
        by_station.entry(&s.id).or_default();
    }
    for h in &health {
        by_station.entry(&h.station).or_default();
    }
    for (index, spec) in devices.iter().enumerate() {
        by_station
            .entry(&spec.station)
            .or_default()
            .push((index, spec));
    }

    let mut checks = DataChecks::default();
    let mut captures = Vec::new();
    let mut periods = Vec::new();
    let mut days = Vec::new();
    for (station, specs) in by_station {
        let series = read_station(store, station, day.start, day.end)?;
        checks.add_station(station, &series, rules);
        // Without a registry, each station with records (or in the store) is one device.
        let one_per_station;
        let specs: Vec<(usize, &DeviceSpec)> = if devices.is_empty() {
            if series.is_empty() && !stations.iter().any(|s| &*s.id == station) {
                continue;
            }
            let parameters: BTreeSet<Parameter> = series.keys().map(|k| k.0).collect();
            one_per_station = DeviceSpec {
                id: station.to_string(),
                station: station.to_string(),
                parameters: parameters.into_iter().collect(),
                hj212: false,
            };
            vec![(days.len(), &one_per_station)]
        } else {
            specs
        };
        for (index, spec) in specs {
            let h = health_of.get(spec.id.as_str()).copied();
            let (device, its_captures, its_periods) =
                device_day(spec.clone(), h, &series, &day, rules);
            captures.extend(its_captures.into_iter().map(|c| (index, c)));
            periods.extend(its_periods);
            days.push(device);
        }
    }
    // Collected devices the registry does not know: no parameters, so no records.
    let known: BTreeSet<String> = days.iter().map(|d| d.spec.id.clone()).collect();
    for h in &health {
        if !known.contains(&h.device) {
            let spec = DeviceSpec {
                id: h.device.clone(),
                station: h.station.clone(),
                parameters: Vec::new(),
                hj212: h.peer.is_some(),
            };
            days.push(device_day(spec, Some(h), &StationSeries::new(), &day, rules).0);
        }
    }
    let checks = checks.finish();
    for device in &mut days {
        add_check_reasons(device, &checks);
    }
    days.sort_by(|a, b| {
        b.score
            .cmp(&a.score)
            .then_with(|| a.spec.id.cmp(&b.spec.id))
    });
    // Captures in the registry's order of devices (stations' order without one).
    captures.sort_by_key(|(index, _)| *index);
    periods.sort_by(|a, b| (a.from, &a.device).cmp(&(b.from, &b.device)));
    Ok(HealthFindings {
        date,
        tz,
        names: stations
            .iter()
            .map(|s| (s.id.clone(), (s.name.clone(), s.name_en.clone())))
            .collect(),
        devices: days,
        captures: captures.into_iter().map(|(_, c)| c).collect(),
        periods,
        checks,
        alarms: super::day_alarms::active_alarms(store, day.start, day.end)?
            .into_iter()
            .filter(|a| is_device_alarm(a.kind))
            .collect(),
        rules: *rules,
    })
}

/// The local day of the report, as UTC instants.
struct Day {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

/// One device's day from its station's records: its capture per parameter, its flagged
/// periods, its uptime, states and the score of everything but the data checks (added by
/// [`add_check_reasons`] once every station is checked).
fn device_day(
    spec: DeviceSpec,
    health: Option<&DeviceHealth>,
    series: &StationSeries,
    day: &Day,
    rules: &HealthRules,
) -> (DeviceDay, Vec<Capture>, Vec<FlagPeriod>) {
    let mut reasons = Vec::new();
    let mut score = 0u32;
    let mut low = Vec::new();
    let mut captures = Vec::new();
    for &p in &spec.parameters {
        let hourly = series.get(&(p, Resolution::Hour));
        let mut flagged: BTreeMap<char, u8> = BTreeMap::new();
        let mut valid = 0u8;
        for r in hourly.into_iter().flatten() {
            if r.flag == Flag::Normal {
                valid += 1;
            } else {
                *flagged.entry(r.flag.code()).or_default() += 1;
            }
        }
        let meets = valid >= rules.min_valid_hours;
        if !meets {
            low.push((p, valid));
        }
        captures.push(Capture {
            device: spec.id.clone(),
            station: spec.station.clone(),
            parameter: p,
            valid_hours: valid,
            flagged,
            meets,
        });
    }
    // Flag runs and uptime from minutes where they exist, else hours.
    let has_minutes = spec
        .parameters
        .iter()
        .any(|p| series.contains_key(&(*p, Resolution::Minute)));
    let res = if has_minutes {
        Resolution::Minute
    } else {
        Resolution::Hour
    };
    let step = res.period().unwrap_or_default();
    let records = || {
        spec.parameters
            .iter()
            .filter_map(move |p| series.get(&(*p, res)))
            .flatten()
    };
    let mut by_flag: BTreeMap<char, BTreeSet<DateTime<Utc>>> = BTreeMap::new();
    let mut delivered: BTreeSet<DateTime<Utc>> = BTreeSet::new();
    for r in records() {
        if r.flag != Flag::CommError {
            delivered.insert(r.time);
        }
        if matches!(
            r.flag,
            Flag::Fault | Flag::Calibration | Flag::Maintenance | Flag::Stopped
        ) {
            by_flag.entry(r.flag.code()).or_default().insert(r.time);
        }
    }
    let states = state_bands(records(), step, day.start, day.end);
    let slots = if has_minutes { 1440.0 } else { 24.0 };
    let any_record = spec
        .parameters
        .iter()
        .any(|p| series.contains_key(&(*p, res)));
    let uptime = any_record.then(|| delivered.len() as f64 / slots);
    let mut fault_minutes = 0u32;
    let mut periods = Vec::new();
    for (code, times) in &by_flag {
        let flag = Flag::ALL
            .into_iter()
            .find(|f| f.code() == *code)
            .unwrap_or(Flag::Fault);
        let times: Vec<DateTime<Utc>> = times.iter().copied().collect();
        for (a, b, n) in runs(&times, step) {
            let minutes = n * if has_minutes { 1 } else { 60 };
            if flag == Flag::Fault {
                fault_minutes += minutes;
            }
            periods.push(FlagPeriod {
                device: spec.id.clone(),
                station: spec.station.clone(),
                flag,
                from: a - step,
                to: b,
                minutes,
            });
        }
    }
    if let Some(h) = health {
        if !h.online && h.polls > 0 {
            score += 40;
            reasons.push(Reason::Offline);
        }
        let ratio = h.success_ratio();
        if ratio < 0.95 {
            score += ((1.0 - ratio) * 50.0).round() as u32;
            reasons.push(Reason::FailedPolls(ratio));
        }
        if !h.status.is_empty() {
            score += 10;
            reasons.push(Reason::Status(h.status.clone()));
        }
    }
    if !low.is_empty() {
        score += (15 * u32::try_from(low.len()).unwrap_or(3)).min(45);
        reasons.push(Reason::LowCapture(low));
    }
    if fault_minutes > 0 {
        score += (10 + fault_minutes / 30).min(20);
        reasons.push(Reason::Fault(fault_minutes));
    }
    let device = DeviceDay {
        spec,
        health: health.cloned(),
        uptime,
        score,
        reasons,
        states,
    };
    (device, captures, periods)
}

/// Adds the data checks' findings on a device's parameters to its reasons and score: one
/// reason per check and parameter, with the values (or hours) added up.
fn add_check_reasons(device: &mut DeviceDay, checks: &[Finding]) {
    let spec = &device.spec;
    let mut found: BTreeMap<(CheckKind, Parameter), u32> = BTreeMap::new();
    for c in checks
        .iter()
        .filter(|c| c.station == spec.station && spec.parameters.contains(&c.parameter))
    {
        *found.entry((c.kind, c.parameter)).or_default() += c.count;
    }
    for ((kind, parameter), count) in found {
        device.score += match kind {
            CheckKind::Stuck => 25,
            CheckKind::OutOfRange => (5 + count / 10).min(15),
            CheckKind::Pm25AbovePm10 | CheckKind::No2AboveNox => (10 + count).min(20),
        };
        device.reasons.push(Reason::Check(kind, parameter, count));
    }
}

/// Whether alarms of `kind` are about devices and their data (the maintainers' business).
fn is_device_alarm(kind: AlarmKind) -> bool {
    matches!(
        kind,
        AlarmKind::DeviceState | AlarmKind::NoData | AlarmKind::DataAnomaly
    )
}
