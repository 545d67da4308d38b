//! Each device's states through the day, for the device-health report's timeline chart: the
//! state of every minute (or hour, for a device with hourly records only) from the flags stored
//! with the device's records, merged into bands.
//!
//! The store keeps a device's *latest* health only (online, poll counts), not its history, so
//! the day's states come from the records alone: a period without any record of the device
//! (or with only `B`) is [`DeviceState::NoData`] — the device was offline, its polls failed or
//! nothing was collecting; the records cannot tell these apart.

use chrono::{DateTime, TimeDelta, Utc};

use crate::quality::Flag;
use crate::store::Record;

/// A device's state in one period, from the flags of its records in that period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeviceState {
    /// Values delivered: `N`, or `T` (out of range) and `S` (set by hand), which are values too.
    Online,
    /// `C`: zero/span check or calibration.
    Calibration,
    /// `M`: maintenance (service mode).
    Maintenance,
    /// `D`: fault or alarm.
    Fault,
    /// `F`: the device was stopped.
    Stopped,
    /// No record, or only `B`: offline, failed polls, or nothing collecting.
    NoData,
}

impl DeviceState {
    /// Every state, in legend order.
    pub const ALL: [DeviceState; 6] = [
        DeviceState::Online,
        DeviceState::Calibration,
        DeviceState::Maintenance,
        DeviceState::Fault,
        DeviceState::Stopped,
        DeviceState::NoData,
    ];

    /// The state a record flagged `flag` shows; `None` for `B` (no value from the device).
    pub const fn of_flag(flag: Flag) -> Option<DeviceState> {
        match flag {
            Flag::Normal | Flag::OverRange | Flag::Manual => Some(DeviceState::Online),
            Flag::Calibration => Some(DeviceState::Calibration),
            Flag::Maintenance => Some(DeviceState::Maintenance),
            Flag::Fault => Some(DeviceState::Fault),
            Flag::Stopped => Some(DeviceState::Stopped),
            Flag::CommError => None,
        }
    }

    /// When parameters of one device disagree within a period, the state of the higher rank
    /// wins, in the order of [`Flag::precedence`]: stopped > maintenance > calibration > fault
    /// > online.
    const fn rank(self) -> u8 {
        match self {
            DeviceState::NoData => 0,
            DeviceState::Online => 1,
            DeviceState::Fault => 2,
            DeviceState::Calibration => 3,
            DeviceState::Maintenance => 4,
            DeviceState::Stopped => 5,
        }
    }
}

/// Consecutive periods of one device in one state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateBand {
    /// The state.
    pub state: DeviceState,
    /// Start of the first period.
    pub from: DateTime<Utc>,
    /// End of the last period (its label).
    pub to: DateTime<Utc>,
}

/// The bands of the day `[start, end)` cut into periods of `step`, from the records of one
/// device (all its parameters, at that resolution). Records outside the day are ignored.
pub(super) fn state_bands<'a>(
    records: impl IntoIterator<Item = &'a Record>,
    step: TimeDelta,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Vec<StateBand> {
    let slots =
        usize::try_from((end - start).num_seconds() / step.num_seconds().max(1)).unwrap_or(0);
    let mut states = vec![DeviceState::NoData; slots];
    for r in records {
        let Some(state) = DeviceState::of_flag(r.flag) else {
            continue;
        };
        // The period labelled `time` (its end) is slot (time − start) / step − 1.
        let offset = r.time - start;
        if offset <= TimeDelta::zero() || offset.num_seconds() % step.num_seconds() != 0 {
            continue;
        }
        let Some(slot) = usize::try_from(offset.num_seconds() / step.num_seconds())
            .ok()
            .and_then(|n| n.checked_sub(1))
            .filter(|&i| i < slots)
        else {
            continue;
        };
        if state.rank() > states[slot].rank() {
            states[slot] = state;
        }
    }
    let mut bands: Vec<StateBand> = Vec::new();
    for (i, state) in states.into_iter().enumerate() {
        let from = start + step * i32::try_from(i).unwrap_or(i32::MAX);
        match bands.last_mut() {
            Some(b) if b.state == state => b.to = from + step,
            _ => bands.push(StateBand {
                state,
                from,
                to: from + step,
            }),
        }
    }
    bands
}

/// The bands in steps of `step` from `start` (the timeline chart's 5 minutes), so that a chart
/// of many devices stays readable: a step shows the highest-ranked explicit state
/// (calibration, maintenance, fault, stopped) found in any part of it, else no data when no
/// data covers more than half of it, else online. `bands` must cover `[start, end)` in order.
pub(super) fn coarsen(
    bands: &[StateBand],
    step: TimeDelta,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Vec<StateBand> {
    let mut out: Vec<StateBand> = Vec::new();
    let mut k = 0;
    let mut from = start;
    while from < end {
        let to = (from + step).min(end);
        let mut explicit: Option<DeviceState> = None;
        let mut no_data = TimeDelta::zero();
        while k < bands.len() && bands[k].to <= from {
            k += 1;
        }
        for b in bands[k..].iter().take_while(|b| b.from < to) {
            let overlap = b.to.min(to) - b.from.max(from);
            match b.state {
                DeviceState::Online => {}
                DeviceState::NoData => no_data += overlap,
                s => {
                    if explicit.is_none_or(|e| s.rank() > e.rank()) {
                        explicit = Some(s);
                    }
                }
            }
        }
        let state = explicit.unwrap_or(if no_data * 2 > to - from {
            DeviceState::NoData
        } else {
            DeviceState::Online
        });
        match out.last_mut() {
            Some(b) if b.state == state => b.to = to,
            _ => out.push(StateBand { state, from, to }),
        }
        from = to;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::health_series::minute_record;
    use crate::units::Parameter;

    fn rec(p: Parameter, minute: i64, flag: Flag) -> Record {
        minute_record(p, minute, 1.0, flag)
    }

    fn minutes(bands: &[StateBand]) -> Vec<(DeviceState, i64, i64)> {
        let t0 = DateTime::<Utc>::UNIX_EPOCH;
        bands
            .iter()
            .map(|b| {
                (
                    b.state,
                    (b.from - t0).num_minutes(),
                    (b.to - t0).num_minutes(),
                )
            })
            .collect()
    }

    #[test]
    fn bands_follow_the_flags_and_the_gaps() {
        let t0 = DateTime::<Utc>::UNIX_EPOCH;
        // Minutes 1–10 labelled; 4–5 calibration on one parameter while the other is normal;
        // 7 missing; 8 only a communication error; 9 fault; 10 over range (a value).
        let mut records = Vec::new();
        for m in 1..=10 {
            let flag = match m {
                4 | 5 => Flag::Calibration,
                8 => Flag::CommError,
                9 => Flag::Fault,
                10 => Flag::OverRange,
                _ => Flag::Normal,
            };
            if m != 7 {
                records.push(rec(Parameter::No, m, flag));
            }
            if m != 7 && m != 8 {
                records.push(rec(Parameter::No2, m, Flag::Normal));
            }
        }
        records.push(rec(Parameter::No, 0, Flag::Fault)); // the day before: ignored
        let bands = state_bands(
            &records,
            TimeDelta::minutes(1),
            t0,
            t0 + TimeDelta::minutes(12),
        );
        assert_eq!(
            minutes(&bands),
            [
                (DeviceState::Online, 0, 3),
                (DeviceState::Calibration, 3, 5),
                (DeviceState::Online, 5, 6),
                (DeviceState::NoData, 6, 8),
                (DeviceState::Fault, 8, 9),
                (DeviceState::Online, 9, 10),
                (DeviceState::NoData, 10, 12),
            ]
        );
    }

    #[test]
    fn maintenance_outranks_calibration_and_fault() {
        let t0 = DateTime::<Utc>::UNIX_EPOCH;
        let records = [
            rec(Parameter::No, 1, Flag::Fault),
            rec(Parameter::No2, 1, Flag::Maintenance),
            rec(Parameter::Nox, 1, Flag::Calibration),
        ];
        let bands = state_bands(
            &records,
            TimeDelta::minutes(1),
            t0,
            t0 + TimeDelta::minutes(1),
        );
        assert_eq!(minutes(&bands), [(DeviceState::Maintenance, 0, 1)]);
    }

    #[test]
    fn coarse_steps_keep_flags_and_long_gaps_only() {
        let t0 = DateTime::<Utc>::UNIX_EPOCH;
        let band = |state, a: i64, b: i64| StateBand {
            state,
            from: t0 + TimeDelta::minutes(a),
            to: t0 + TimeDelta::minutes(b),
        };
        // Minute gaps (2 of 5) vanish; a 1-minute fault shows; 3 of 5 minutes without data
        // show as no data.
        let bands = [
            band(DeviceState::Online, 0, 1),
            band(DeviceState::NoData, 1, 2),
            band(DeviceState::Online, 2, 3),
            band(DeviceState::NoData, 3, 4),
            band(DeviceState::Online, 4, 7),
            band(DeviceState::Fault, 7, 8),
            band(DeviceState::Online, 8, 12),
            band(DeviceState::NoData, 12, 15),
            band(DeviceState::Online, 15, 20),
        ];
        let coarse = coarsen(
            &bands,
            TimeDelta::minutes(5),
            t0,
            t0 + TimeDelta::minutes(20),
        );
        assert_eq!(
            minutes(&coarse),
            [
                (DeviceState::Online, 0, 5),
                (DeviceState::Fault, 5, 10),
                (DeviceState::NoData, 10, 15),
                (DeviceState::Online, 15, 20),
            ]
        );
    }
}
