//! What one evaluation of one rule for one subject found: the value, the levels, and whether
//! the condition holds, has cleared, or lies between the levels (hysteresis).

use chrono::{DateTime, Utc};

use crate::store::{AlarmSubject, Direction, Measure, Observation, WarningLevel};

/// Where a value stands against a rule's levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    /// Beyond the raise level: raise, or keep raised.
    Holds,
    /// Between the levels: an open alarm stays open (its hysteresis time restarts), none is
    /// raised.
    Between,
    /// Back at or inside the clear level: an open alarm clears once this has lasted the rule's
    /// `clear_after`.
    Clear,
}

impl Condition {
    /// Holds when `beyond`, else clear (rules without a band between the levels).
    pub fn holds_if(beyond: bool) -> Condition {
        if beyond {
            Condition::Holds
        } else {
            Condition::Clear
        }
    }

    /// Where `value` stands against `threshold` and `clear_level` in `direction`: beyond the
    /// threshold holds; at or inside the clear level is clear.
    pub fn of(value: f64, direction: Direction, threshold: f64, clear_level: f64) -> Condition {
        let (beyond, inside) = match direction {
            Direction::Above => (value > threshold, value <= clear_level),
            Direction::Below => (value < threshold, value >= clear_level),
        };
        if beyond {
            Condition::Holds
        } else if inside {
            Condition::Clear
        } else {
            Condition::Between
        }
    }
}

/// One rule's verdict on one subject at one time.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// The rule (its index in the stage's rules).
    pub rule: usize,
    /// What it is about.
    pub subject: AlarmSubject,
    /// What the value measures.
    pub measure: Measure,
    /// Above or below.
    pub direction: Direction,
    /// The raise level.
    pub threshold: f64,
    /// The clear level.
    pub clear_level: f64,
    /// The value and the time of its data (an hourly value's hour-ending label; a timer
    /// rule's evaluation time).
    pub value: Observation,
    /// The start of the period the value covers (an hour's start; the evaluation time for
    /// instantaneous states): a clear period begins there.
    pub since: DateTime<Utc>,
    /// Where the value stands.
    pub condition: Condition,
    /// The colour of a heavy-pollution warning.
    pub warning: Option<WarningLevel>,
    /// A sentence for the alarm's log (the nearest located source of an outlier).
    pub note: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_with_hysteresis() {
        let above = |v| Condition::of(v, Direction::Above, 200.0, 180.0);
        assert_eq!(above(201.0), Condition::Holds);
        assert_eq!(above(200.0), Condition::Between);
        assert_eq!(above(180.0), Condition::Clear);
        let below = |v| Condition::of(v, Direction::Below, 45.0, 45.0);
        assert_eq!(below(44.0), Condition::Holds);
        assert_eq!(below(45.0), Condition::Clear);
    }
}
