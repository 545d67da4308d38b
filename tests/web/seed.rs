//! What the API tests put in the store: stations, hourly readings, job runs, an alarm.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use lantian::alarms::{AlarmBook, Raise};
use lantian::quality::Flag;
use lantian::store::{
    AlarmKind, AlarmSubject, Averaging, Direction, JobOutcome, JobOutput, JobRun, Measure,
    Observation, Record, Resolution, Severity, StationInfo, StationRole, Store,
};
use lantian::units::Parameter;

/// The stations' ids.
pub(crate) const STATIONS: [&str; 3] = ["A", "B", "C"];
/// Hours of readings stored (ending at [`start`] + 48 h).
pub(crate) const HOURS: i64 = 48;

/// The first hour's label.
pub(crate) fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap()
}

/// Three stations in Shanghai's zone, PM2.5 and O3 hourly for two days, five job runs, one
/// PM2.5 alarm at station A; returns the alarm's full id.
pub(crate) fn fill(store: &mut dyn Store) -> String {
    let zone = "Asia/Shanghai".parse().unwrap();
    let stations: Vec<StationInfo> = STATIONS
        .iter()
        .map(|id| StationInfo {
            id: id.to_string(),
            name: format!("站{id}"),
            name_en: format!("Station {id}"),
            district: "East".into(),
            lat: Some(23.0),
            lon: Some(113.7),
            time_zone: zone,
            city: String::new(),
            role: StationRole::Assessment,
        })
        .collect();
    store.put_stations(&stations).unwrap();
    let mut records = Vec::new();
    for id in STATIONS {
        for h in 1..=HOURS {
            for (parameter, value) in [(Parameter::Pm25, 30.0 + h as f64), (Parameter::O3, 80.0)] {
                records.push(Record {
                    station: id.into(),
                    parameter,
                    resolution: Resolution::Hour,
                    time: start() + TimeDelta::hours(h),
                    value,
                    flag: Flag::Normal,
                    count: 45,
                });
            }
        }
    }
    store.put_readings(&records).unwrap();
    let runs: Vec<JobRun> = (0..5)
        .map(|i| {
            let at = start() + TimeDelta::hours(i);
            JobRun {
                job: "daily-report".into(),
                scheduled: at,
                started: at,
                finished: at + TimeDelta::seconds(3),
                outcome: JobOutcome::Succeeded(JobOutput::Text {
                    lines: vec![format!("run {i}")],
                }),
            }
        })
        .collect();
    store.put_job_runs(&runs).unwrap();
    let raised = AlarmBook::new(store)
        .raise(
            &Raise {
                rule: "pm25-1h".into(),
                subject: AlarmSubject::StationParameter("A".into(), Parameter::Pm25),
                kind: AlarmKind::Threshold,
                severity: Severity::Major,
                measure: Measure::Value {
                    parameter: Parameter::Pm25,
                    averaging: Averaging::Hour,
                },
                direction: Direction::Above,
                threshold: 75.0,
                clear_level: 60.0,
                value: Observation {
                    time: start() + TimeDelta::hours(40),
                    value: 80.0,
                },
                warning: None,
                stale: false,
            },
            start() + TimeDelta::hours(40),
        )
        .unwrap();
    raised.alarm().id().full()
}
