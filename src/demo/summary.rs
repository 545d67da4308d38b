//! What the demo shows after the collected days, read back from the store: stations and
//! devices online, the readings stored, the faults seen, each station's last hour, and the
//! alarms raised.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;

use crate::quality::Flag;
use crate::registry::Registry;
use crate::store::{
    Alarm, AlarmKind, AlarmQuery, AlarmState, DeviceHealth, IndexQuery, IndexRecord, PAGE_SIZE,
    Parameters, ReadingQuery, Record, Resolution, Severity, Store, StoreError,
};
use crate::units::Parameter;

/// The parameters of the last hour's table, in its order.
pub const SHOWN_PARAMETERS: [Parameter; 8] = [
    Parameter::Pm25,
    Parameter::Pm10,
    Parameter::So2,
    Parameter::No2,
    Parameter::Co,
    Parameter::O3,
    Parameter::WindSpeed,
    Parameter::WindDirection,
];

/// The store after the collected days.
#[derive(Debug, Clone)]
pub struct Collected {
    /// The network's name.
    pub network: String,
    /// The network's time zone.
    pub time_zone: Tz,
    /// Stations in the registry.
    pub stations: usize,
    /// Stations with a device online.
    pub stations_online: usize,
    /// Devices with a stored health.
    pub devices: usize,
    /// Devices online.
    pub devices_online: usize,
    /// Minute means stored.
    pub minute_means: u64,
    /// Hourly means stored.
    pub hourly_means: u64,
    /// Polls skipped because the previous one was still running.
    pub skipped_polls: u64,
    /// Devices that skipped polls.
    pub devices_skipping: usize,
    /// Devices that failed polls or produced flagged minutes, worst (most failed polls) first.
    pub faults: Vec<DeviceFaults>,
    /// The label of the last hour.
    pub last_hour: DateTime<Utc>,
    /// Each station's last hour, in the registry's order.
    pub last_hours: Vec<StationHour>,
}

/// A device that failed polls or produced flagged minutes.
#[derive(Debug, Clone)]
pub struct DeviceFaults {
    /// Its health.
    pub health: DeviceHealth,
    /// Polls that failed.
    pub failed_polls: u64,
    /// Flagged minutes per HJ 212 flag code (the most of any of the device's parameters).
    pub flagged_minutes: BTreeMap<char, usize>,
}

/// One station's last hour.
#[derive(Debug, Clone)]
pub struct StationHour {
    /// Station id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// The stored real-time AQI of the hour.
    pub hourly: Option<IndexRecord>,
    /// The stored daily AQI of the last day.
    pub daily: Option<IndexRecord>,
    /// The hourly means of [`SHOWN_PARAMETERS`], in order.
    pub means: Vec<Option<Record>>,
}

/// Reads what the demo shows of the period `[start, end)` from `store`.
pub(super) fn collected(
    registry: &Registry,
    store: &dyn Store,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<Collected, StoreError> {
    let health = store.health()?;
    let stations_online = registry
        .stations
        .iter()
        .filter(|s| health.iter().any(|h| h.station == *s.id && h.online))
        .count();
    // Faults seen: failed polls from device health, flagged data from the minute records.
    let minutes = ReadingQuery::new(Resolution::Minute, start, end + TimeDelta::minutes(1));
    let mut flagged: BTreeMap<(String, Parameter), BTreeMap<char, usize>> = BTreeMap::new();
    store.readings_paged(&minutes, PAGE_SIZE, &mut |page: Vec<Record>| {
        for r in page.into_iter().filter(|r| r.flag != Flag::Normal) {
            *flagged
                .entry((r.station.to_string(), r.parameter))
                .or_default()
                .entry(r.flag.code())
                .or_default() += 1;
        }
        Ok(())
    })?;
    Ok(Collected {
        network: registry.network.name.clone(),
        time_zone: registry.network.time_zone,
        stations: registry.stations.len(),
        stations_online,
        devices: health.len(),
        devices_online: health.iter().filter(|h| h.online).count(),
        minute_means: store.count_readings(Resolution::Minute)?,
        hourly_means: store.count_readings(Resolution::Hour)?,
        skipped_polls: health.iter().map(|h| h.skipped).sum(),
        devices_skipping: health.iter().filter(|h| h.skipped > 0).count(),
        faults: faults(registry, &health, &flagged),
        last_hour: end,
        last_hours: last_hours(registry, store, end)?,
    })
}

/// Devices that failed polls or produced flagged minutes, worst first.
fn faults(
    registry: &Registry,
    health: &[DeviceHealth],
    flagged: &BTreeMap<(String, Parameter), BTreeMap<char, usize>>,
) -> Vec<DeviceFaults> {
    let mut faults = Vec::new();
    for h in health {
        let device = registry.devices().find(|d| d.id == h.device);
        let mut flags: BTreeMap<char, usize> = BTreeMap::new();
        for p in device.iter().flat_map(|d| d.profile.parameters()) {
            for (f, n) in flagged.get(&(h.station.clone(), p)).into_iter().flatten() {
                let most = flags.entry(*f).or_default();
                *most = (*most).max(*n);
            }
        }
        let failed_polls = h.polls - h.successes;
        if failed_polls == 0 && flags.is_empty() {
            continue;
        }
        faults.push(DeviceFaults {
            health: h.clone(),
            failed_polls,
            flagged_minutes: flags,
        });
    }
    faults.sort_by(|a, b| {
        b.failed_polls
            .cmp(&a.failed_polls)
            .then(a.health.device.cmp(&b.health.device))
    });
    faults
}

/// Each station's hour labelled `last_hour` and the day that ends with it.
fn last_hours(
    registry: &Registry,
    store: &dyn Store,
    last_hour: DateTime<Utc>,
) -> Result<Vec<StationHour>, StoreError> {
    let second = TimeDelta::seconds(1);
    let means = store.readings(
        &ReadingQuery::new(Resolution::Hour, last_hour, last_hour + second)
            .for_parameters(Parameters::only(SHOWN_PARAMETERS)),
    )?;
    let indices_at = |resolution, time: DateTime<Utc>| {
        store.indices(&IndexQuery::new(resolution, time, time + second))
    };
    let hourly = indices_at(Resolution::Hour, last_hour)?;
    let daily = indices_at(Resolution::Day, last_hour - TimeDelta::days(1))?;
    let of = |records: &[IndexRecord], id: &str| {
        records
            .iter()
            .find(|r| &*r.station == id)
            .filter(|r| r.aqi.is_some())
            .cloned()
    };
    Ok(registry
        .stations
        .iter()
        .map(|s| StationHour {
            id: s.id.to_string(),
            name: s.name.clone(),
            hourly: of(&hourly, &s.id),
            daily: of(&daily, &s.id),
            means: SHOWN_PARAMETERS
                .iter()
                .map(|p| {
                    means
                        .iter()
                        .find(|r| r.station == s.id && r.parameter == *p)
                        .cloned()
                })
                .collect(),
        })
        .collect())
}

/// The alarms the collected days raised.
#[derive(Debug, Clone)]
pub struct AlarmsRaised {
    /// The network's time zone.
    pub time_zone: Tz,
    /// Alarms opened in the period.
    pub total: usize,
    /// Of them, how many of each kind (kinds with none left out).
    pub by_kind: Vec<(AlarmKind, usize)>,
    /// Of them, how many of each severity, highest first (severities with none left out).
    pub by_severity: Vec<(Severity, usize)>,
    /// Of them, still open (or acknowledged) at the end.
    pub open: usize,
    /// Of them, raised from replayed data only (recorded, not notified).
    pub stale: usize,
    /// One alarm of each kind: its most severe, then longest.
    pub examples: Vec<Alarm>,
}

/// Reads the alarms opened in `[start, end]` from `store`.
pub(super) fn alarms_raised(
    registry: &Registry,
    store: &dyn Store,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<AlarmsRaised, StoreError> {
    let alarms = store.alarms(&AlarmQuery::new(start, end + TimeDelta::seconds(1)))?;
    let mut by_kind: BTreeMap<AlarmKind, usize> = BTreeMap::new();
    let mut by_severity: BTreeMap<Severity, usize> = BTreeMap::new();
    let mut examples: BTreeMap<AlarmKind, &Alarm> = BTreeMap::new();
    for a in &alarms {
        *by_kind.entry(a.kind).or_default() += 1;
        *by_severity.entry(a.severity).or_default() += 1;
        let best = examples.entry(a.kind).or_insert(a);
        if (a.severity, a.duration()) > (best.severity, best.duration()) {
            *best = a;
        }
    }
    Ok(AlarmsRaised {
        time_zone: registry.network.time_zone,
        total: alarms.len(),
        by_kind: by_kind.into_iter().collect(),
        by_severity: by_severity.into_iter().rev().collect(),
        open: alarms
            .iter()
            .filter(|a| a.state() != AlarmState::Closed)
            .count(),
        stale: alarms.iter().filter(|a| a.stale).count(),
        examples: examples.into_values().cloned().collect(),
    })
}
