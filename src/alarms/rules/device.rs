//! Device states (设备状态) from the store's [`DeviceHealth`]: offline for more than N polls, a
//! fault or alarm status bit (`D`), calibration (`C`) or maintenance (`M`) longer than
//! allowed. The status bits a device reports are named in its health; what each means comes
//! from its profile ([`StatusMeaning`]). How long a state has lasted is counted from the
//! start of the first minute its data were flagged for it (`D`, `C`, `M`), or else from the
//! first evaluation that saw the bit, or — after a restart — from the open alarm that records
//! it.

use chrono::{DateTime, TimeDelta, Utc};

use super::finding::{Condition, Finding};
use crate::registry::StatusMeaning;
use crate::store::{AlarmSubject, DeviceHealth, Direction, Lasting, Measure, Observation};

/// Since when a device has been in each state (evaluation times).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeviceStates {
    /// A fault or alarm bit set.
    pub fault: Option<DateTime<Utc>>,
    /// A calibration bit set.
    pub calibration: Option<DateTime<Utc>>,
    /// A maintenance bit set.
    pub maintenance: Option<DateTime<Utc>>,
}

impl DeviceStates {
    /// Updates the states from `health` at `now`: `meaning` says what each set bit means
    /// (`None` for a name the profile does not know: ignored).
    pub fn observe(
        &mut self,
        health: &DeviceHealth,
        meaning: impl Fn(&str) -> Option<StatusMeaning>,
        now: DateTime<Utc>,
    ) {
        let set = |m: StatusMeaning| health.status.iter().any(|s| meaning(s) == Some(m));
        for (state, m) in [
            (&mut self.fault, StatusMeaning::Fault),
            (&mut self.calibration, StatusMeaning::Calibration),
            (&mut self.maintenance, StatusMeaning::Maintenance),
        ] {
            if set(m) {
                state.get_or_insert(now);
            } else {
                *state = None;
            }
        }
    }
}

/// The device's subject.
pub fn subject(health: &DeviceHealth) -> AlarmSubject {
    AlarmSubject::Device {
        station: health.station.as_str().into(),
        device: health.device.clone(),
    }
}

/// The offline rule: the last `polls` polls failed.
pub fn offline(rule: usize, polls: u32, health: &DeviceHealth, now: DateTime<Utc>) -> Finding {
    let failed = health.consecutive_failures;
    let condition = Condition::holds_if(failed >= polls && !health.online);
    Finding {
        rule,
        subject: subject(health),
        measure: Measure::FailedPolls,
        direction: Direction::Above,
        threshold: f64::from(polls),
        clear_level: f64::from(polls),
        value: Observation {
            time: now,
            value: f64::from(failed),
        },
        since: now,
        condition,
        warning: None,
        note: health
            .last_error
            .clone()
            .filter(|_| condition == Condition::Holds),
    }
}

/// A lasting-state rule (fault, calibration, maintenance): the state, set since `since`, has
/// lasted at least `allowed` (a fault with `allowed` 0 holds at once).
pub fn lasting(
    rule: usize,
    what: Lasting,
    allowed: TimeDelta,
    since: Option<DateTime<Utc>>,
    health: &DeviceHealth,
    now: DateTime<Utc>,
) -> Finding {
    let lasted = since.map(|s| now - s);
    let condition = match lasted {
        Some(d) if d >= allowed => Condition::Holds,
        _ => Condition::Clear,
    };
    let minutes = allowed.num_seconds() as f64 / 60.0;
    Finding {
        rule,
        subject: subject(health),
        measure: Measure::Lasting { what },
        direction: Direction::Above,
        threshold: minutes,
        clear_level: minutes,
        value: Observation {
            time: now,
            value: lasted.map_or(0.0, |d| d.num_seconds() as f64 / 60.0),
        },
        since: now,
        condition,
        warning: None,
        note: (condition == Condition::Holds && !health.status.is_empty())
            .then(|| format!("status: {}", health.status.join(", "))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(min: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_767_225_600 + min * 60, 0).unwrap()
    }

    fn meaning(name: &str) -> Option<StatusMeaning> {
        match name {
            "zero check" => Some(StatusMeaning::Calibration),
            "flow alarm" => Some(StatusMeaning::Fault),
            "service" => Some(StatusMeaning::Maintenance),
            _ => None,
        }
    }

    #[test]
    fn offline_after_the_polls() {
        let mut h = DeviceHealth::new("D1", "S");
        h.consecutive_failures = 4;
        assert_eq!(offline(0, 5, &h, at(0)).condition, Condition::Clear);
        h.consecutive_failures = 5;
        h.last_error = Some("connection refused".into());
        let f = offline(0, 5, &h, at(0));
        assert_eq!(f.condition, Condition::Holds);
        assert_eq!(f.note.as_deref(), Some("connection refused"));
        h.online = true;
        h.consecutive_failures = 0;
        assert_eq!(offline(0, 5, &h, at(1)).condition, Condition::Clear);
    }

    #[test]
    fn states_last_from_when_they_were_first_seen() {
        let mut h = DeviceHealth::new("D1", "S");
        let mut states = DeviceStates::default();
        h.status = vec!["zero check".into(), "lamp info".into()];
        states.observe(&h, meaning, at(0));
        states.observe(&h, meaning, at(30));
        assert_eq!(states.calibration, Some(at(0)));
        assert_eq!(states.fault, None);
        let allowed = TimeDelta::hours(1);
        let c = |now| {
            lasting(
                0,
                Lasting::Calibration,
                allowed,
                states.calibration,
                &h,
                now,
            )
            .condition
        };
        assert_eq!(c(at(59)), Condition::Clear);
        assert_eq!(c(at(60)), Condition::Holds);
        h.status.clear();
        states.observe(&h, meaning, at(61));
        assert_eq!(states.calibration, None);
        h.status = vec!["flow alarm".into()];
        states.observe(&h, meaning, at(62));
        let f = lasting(
            0,
            Lasting::Fault,
            TimeDelta::zero(),
            states.fault,
            &h,
            at(62),
        );
        assert_eq!(f.condition, Condition::Holds, "a fault holds at once");
        assert_eq!(f.note.as_deref(), Some("status: flow alarm"));
    }
}
