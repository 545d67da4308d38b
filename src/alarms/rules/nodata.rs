//! No data (无数据): a station × parameter that its devices measure and for which nothing was
//! stored for a while. It holds once the gap reaches the rule's duration and clears as soon
//! as data within the duration of the clock's time return (late data of a backlog keep it),
//! so a silent series raises one alarm, and a series that reports raises none: no flapping
//! while data keep coming at least once per duration.

use chrono::{DateTime, TimeDelta, Utc};

use super::finding::{Condition, Finding};
use crate::store::{AlarmSubject, Direction, Lasting, Measure, Observation, StationId};
use crate::units::Parameter;

/// The no-data rule on `station`'s `p` at `now`: data last labelled `last_seen` (`None`:
/// never since `watching_since`, when the stage began watching).
pub fn no_data(
    rule: usize,
    duration: TimeDelta,
    station: &StationId,
    p: Parameter,
    last_seen: Option<DateTime<Utc>>,
    watching_since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Finding {
    let gap = (now - last_seen.unwrap_or(watching_since)).max(TimeDelta::zero());
    let condition = Condition::holds_if(gap >= duration);
    let minutes = duration.num_seconds() as f64 / 60.0;
    Finding {
        rule,
        subject: AlarmSubject::StationParameter(station.clone(), p),
        measure: Measure::Lasting {
            what: Lasting::NoData,
        },
        direction: Direction::Above,
        threshold: minutes,
        clear_level: minutes,
        value: Observation {
            time: now,
            value: gap.num_seconds() as f64 / 60.0,
        },
        since: now,
        condition,
        warning: None,
        note: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(min: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_767_225_600 + min * 60, 0).unwrap()
    }

    #[test]
    fn holds_after_the_gap_and_clears_when_data_return() {
        let s: StationId = "S".into();
        let d = TimeDelta::minutes(15);
        let c = |last: Option<i64>, now| {
            no_data(0, d, &s, Parameter::Pm25, last.map(at), at(0), at(now)).condition
        };
        assert_eq!(c(Some(10), 24), Condition::Clear);
        assert_eq!(c(Some(10), 25), Condition::Holds);
        assert_eq!(c(Some(26), 26), Condition::Clear, "data returned");
        assert_eq!(c(None, 14), Condition::Clear, "watching for 14 minutes");
        assert_eq!(c(None, 15), Condition::Holds, "nothing since the start");
        assert_eq!(
            no_data(0, d, &s, Parameter::Pm25, Some(at(10)), at(0), at(40))
                .value
                .value,
            30.0
        );
    }
}
