//! Data packets — real-time (2011), minute (2051), hourly (2061), daily (2031) — into lantian
//! records.
//!
//! - **Values**: `-Rtd` for real-time data, `-Avg` for the others (`-Min`, `-Max`, `-Cou` are
//!   not kept: a lantian record holds one value), converted from the logger's unit to the
//!   parameter's canonical unit with the code's resolved [`Conversion`](crate::units::Conversion).
//! - **Flags**: `-Flag` (N, F, M, S, D, C, T, B) is lantian's [`Flag`] (HJ 212's codes); a
//!   value without one is `N`. `count` is 1 for an `N` value, 0 otherwise (one published
//!   value, as imported hourly data).
//! - **Times**: `DataTime` is local time in the station's zone. It is the sampling moment of
//!   real-time data (the [`Resolution::Sample`] label) and the **start** of the interval of
//!   minute, hourly and daily data, whose lantian labels are the interval's end (hour-ending:
//!   `DataTime=…080000` in an hourly packet is the record labelled 09:00) — except daily
//!   records, labelled with the local midnight that starts their day, as lantian's daily
//!   records are. Minute and hour starts are cut to their period's start (seconds a logger
//!   adds to an hourly `DataTime` do not move the label).
//! - Codes that carry a value but that the logger's code map does not know, values that are
//!   not finite numbers and flags that are not HJ 212's are reported (the caller counts and
//!   logs them) and left out; the rest of the packet is kept.

use chrono::{DateTime, DurationRound, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;

use crate::hj212::flags::flag_of;
use crate::hj212::time::{TimeError, interval_end, parse_local_time};
use crate::hj212::{Command, Cp};
use crate::quality::Flag;
use crate::registry::Hj212Device;
use crate::store::{Record, Resolution};

/// A data packet's records, and what of it could not be used.
#[derive(Debug, PartialEq)]
pub(super) struct Mapped {
    /// Its `DataTime`: the interval's start (the sampling moment of real-time data).
    pub start: DateTime<Utc>,
    /// The records, in the packet's order of codes.
    pub records: Vec<Record>,
    /// Codes with a value that the logger's code map does not know.
    pub unmapped: Vec<String>,
    /// Codes whose value or flag could not be read, with what was wrong.
    pub unreadable: Vec<(String, String)>,
}

/// Why a data packet gives no records at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(super) enum MapError {
    /// No `DataTime` in CP.
    #[error("no DataTime")]
    NoDataTime,
    /// `DataTime` cannot be read as a time in the station's zone.
    #[error(transparent)]
    DataTime(#[from] TimeError),
}

/// What a data command stores: the suffix of its values and the resolution of its records.
pub(super) fn data_kind(cn: Command) -> Option<(&'static str, Resolution)> {
    match cn {
        Command::RealTimeData => Some(("Rtd", Resolution::Sample)),
        Command::MinuteData => Some(("Avg", Resolution::Minute)),
        Command::HourlyData => Some(("Avg", Resolution::Hour)),
        Command::DailyData => Some(("Avg", Resolution::Day)),
        _ => None,
    }
}

/// The records of the data packet `cn` with payload `cp` from `logger`, whose station keeps
/// time in `zone`. `None` when `cn` is not a data command.
pub(super) fn map_packet(
    cn: Command,
    cp: &Cp<'_>,
    logger: &Hj212Device,
    zone: Tz,
) -> Option<Result<Mapped, MapError>> {
    let (suffix, resolution) = data_kind(cn)?;
    Some(map_data(cn, suffix, resolution, cp, logger, zone))
}

fn map_data(
    cn: Command,
    suffix: &str,
    resolution: Resolution,
    cp: &Cp<'_>,
    logger: &Hj212Device,
    zone: Tz,
) -> Result<Mapped, MapError> {
    let data_time = cp.data_time().ok_or(MapError::NoDataTime)?;
    let start = parse_local_time(data_time, zone)?;
    let time = label(cn, resolution, start, zone, logger.minute_interval)
        .ok_or_else(|| TimeError::Invalid(data_time.to_string()))?;
    let view = cp.view();
    let mut mapped = Mapped {
        start,
        records: Vec::new(),
        unmapped: Vec::new(),
        unreadable: Vec::new(),
    };
    for (code, fields) in &view.coded {
        let Some((_, text)) = fields.iter().find(|(s, _)| *s == suffix) else {
            continue; // device status (SB1-RS), or only -Min/-Max: nothing to store
        };
        let Some(spec) = logger.code(code) else {
            mapped.unmapped.push((*code).to_string());
            continue;
        };
        let raw = match text.trim().parse::<f64>() {
            Ok(v) if v.is_finite() => v,
            _ => {
                let why = format!("{code}-{suffix}={text:?} is not a number");
                mapped.unreadable.push(((*code).to_string(), why));
                continue;
            }
        };
        let flag = match flag_of(&view, code) {
            None => Flag::Normal,
            Some(Ok(flag)) => flag,
            Some(Err(e)) => {
                mapped.unreadable.push(((*code).to_string(), e.to_string()));
                continue;
            }
        };
        mapped.records.push(Record {
            station: logger.station.clone(),
            parameter: spec.parameter,
            resolution,
            time,
            value: spec.conversion.apply(raw),
            flag,
            count: u32::from(flag.is_valid()),
        });
    }
    Ok(mapped)
}

/// The lantian label of data `cn` whose `DataTime` is `start`.
fn label(
    cn: Command,
    resolution: Resolution,
    start: DateTime<Utc>,
    zone: Tz,
    minute_interval: TimeDelta,
) -> Option<DateTime<Utc>> {
    let end_of = |period| {
        interval_end(
            cn,
            start.duration_trunc(period).ok()?,
            zone,
            minute_interval,
        )
    };
    match resolution {
        Resolution::Sample => Some(start),
        Resolution::Minute => end_of(TimeDelta::minutes(1)),
        Resolution::Hour => end_of(TimeDelta::hours(1)),
        Resolution::Day => {
            let midnight = start
                .with_timezone(&zone)
                .date_naive()
                .and_hms_opt(0, 0, 0)?;
            let local = zone.from_local_datetime(&midnight).earliest()?;
            Some(local.with_timezone(&Utc))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    use chrono_tz::Asia::Shanghai;

    use crate::registry::{CodeSpec, PwSource};
    use crate::units::{Parameter, ReferenceState, Unit};

    fn logger(overrides: &[(&str, Parameter, Unit)]) -> Hj212Device {
        let reference = ReferenceState::default();
        let defaults = crate::hj212::codes::DEFAULT_AIR_CODES
            .iter()
            .map(|e| (e.code, e.parameter, e.unit));
        let codes: BTreeMap<String, CodeSpec> = defaults
            .chain(overrides.iter().copied())
            .map(|(code, p, u)| (code.to_string(), CodeSpec::new(p, u, &reference).unwrap()))
            .collect();
        Hj212Device {
            id: "L1".into(),
            station: "S1".into(),
            mn: "8888800000001".into(),
            pw: PwSource::Env("UNUSED".into()),
            codes,
            minute_interval: TimeDelta::minutes(1),
            rtd_interval: None,
        }
    }

    fn cp(data_time: &str, groups: &[&[(&'static str, &'static str)]]) -> Cp<'static> {
        let mut cp = Cp::new();
        cp.push("DataTime", data_time.to_string());
        for g in groups {
            cp.push_group(g.iter().copied());
        }
        cp
    }

    fn utc(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn an_hourly_packet_is_the_hour_ending_record_in_canonical_units() {
        let logger = logger(&[("a34004", Parameter::Pm25, Unit::MilligramPerCubicMetre)]);
        let cp = cp(
            "20260301080000",
            &[
                &[
                    ("a34004-Avg", "0.035"),
                    ("a34004-Max", "0.050"),
                    ("a34004-Flag", "N"),
                ],
                &[("a21005-Avg", "0.8"), ("a21005-Flag", "C")],
                &[("a21026-Avg", "12")],
            ],
        );
        let m = map_packet(Command::HourlyData, &cp, &logger, Shanghai)
            .unwrap()
            .unwrap();
        // 08:00–09:00 local = the hour labelled 09:00 local = 01:00 UTC.
        let t = utc("2026-03-01T01:00:00Z");
        assert_eq!(m.records.len(), 3);
        assert!(m.records.iter().all(|r| r.time == t));
        assert!(m.records.iter().all(|r| r.resolution == Resolution::Hour));
        let pm = &m.records[0];
        assert_eq!(
            (pm.parameter, pm.flag, pm.count),
            (Parameter::Pm25, Flag::Normal, 1)
        );
        assert!((pm.value - 35.0).abs() < 1e-9, "{}", pm.value);
        let co = &m.records[1];
        assert_eq!(
            (co.parameter, co.value, co.flag, co.count),
            (Parameter::Co, 0.8, Flag::Calibration, 0)
        );
        assert_eq!(m.records[2].flag, Flag::Normal, "no -Flag: N");
    }

    #[test]
    fn real_time_minute_and_daily_labels() {
        let logger = logger(&[]);
        let groups: &[&[(&str, &str)]] = &[&[("a34004-Rtd", "35.2"), ("a34004-Avg", "35.0")]];
        let at = |cn| {
            map_packet(cn, &cp("20260301083015", groups), &logger, Shanghai)
                .unwrap()
                .unwrap()
                .records[0]
                .clone()
        };
        let rtd = at(Command::RealTimeData);
        assert_eq!(
            (rtd.time, rtd.value, rtd.resolution),
            (utc("2026-03-01T00:30:15Z"), 35.2, Resolution::Sample)
        );
        let minute = at(Command::MinuteData);
        assert_eq!(
            (minute.time, minute.value),
            (utc("2026-03-01T00:31:00Z"), 35.0)
        );
        let daily = map_packet(
            Command::DailyData,
            &cp("20260301000000", groups),
            &logger,
            Shanghai,
        )
        .unwrap()
        .unwrap();
        // The local day 2026-03-01 starts at 16:00 UTC the day before.
        assert_eq!(daily.records[0].time, utc("2026-02-28T16:00:00Z"));
        assert_eq!(daily.records[0].resolution, Resolution::Day);
        let mut ten = logger.clone();
        ten.minute_interval = TimeDelta::minutes(10);
        let m = map_packet(
            Command::MinuteData,
            &cp("20260301081000", groups),
            &ten,
            Shanghai,
        )
        .unwrap()
        .unwrap();
        assert_eq!(m.records[0].time, utc("2026-03-01T00:20:00Z"));
    }

    #[test]
    fn unknown_codes_bad_values_and_flags_are_reported_and_left_out() {
        let logger = logger(&[]);
        let cp = cp(
            "20260301080000",
            &[
                &[("a99999-Avg", "1")],
                &[("a34004-Avg", "NaN")],
                &[("a34002-Avg", "50"), ("a34002-Flag", "Z")],
                &[("a21004-Avg", "20")],
                &[("SB1-RS", "1")],
            ],
        );
        let m = map_packet(Command::HourlyData, &cp, &logger, Shanghai)
            .unwrap()
            .unwrap();
        assert_eq!(m.unmapped, vec!["a99999".to_string()]);
        assert_eq!(m.unreadable.len(), 2);
        assert_eq!(m.records.len(), 1);
        assert_eq!(m.records[0].parameter, Parameter::No2);
        assert_eq!(map_packet(Command::RunStatus, &cp, &logger, Shanghai), None);
        let no_time = Cp::new();
        assert_eq!(
            map_packet(Command::HourlyData, &no_time, &logger, Shanghai),
            Some(Err(MapError::NoDataTime))
        );
        let bad = cp_with_time("2026030108");
        assert!(matches!(
            map_packet(Command::HourlyData, &bad, &logger, Shanghai),
            Some(Err(MapError::DataTime(_)))
        ));
    }

    fn cp_with_time(text: &'static str) -> Cp<'static> {
        let mut cp = Cp::new();
        cp.push("DataTime", text);
        cp
    }
}
