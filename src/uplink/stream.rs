//! What a target receives: the four HJ 212 data uploads ([`Stream`]), each a typed subset of
//! the codec's [`Command`]s, and how each is made from what lantian stores.

use std::fmt;

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::hj212::Command;
use crate::store::Resolution;

/// One of the data uploads a target can receive, in the order they are sent for one time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u16", into = "u16")]
pub enum Stream {
    /// 2011, real-time data: the stored samples ([`Resolution::Sample`], kept when
    /// `[collect] store_samples = true`, or received from HJ 212 loggers), `-Rtd` and `-Flag`;
    /// `DataTime` is the sampling moment.
    RealTime,
    /// 2051, minute data: the stored minute means, `-Avg` and `-Flag`; `DataTime` starts the
    /// minute (lantian labels it with its end).
    Minute,
    /// 2061, hourly data: the stored hourly means, `-Avg` and `-Flag`; `DataTime` starts the
    /// hour (lantian labels it with its end).
    Hour,
    /// 2031, daily data of the station's local day, computed from the stored hourly means
    /// (see `uplink::daily`): `-Avg`, `-Min`, `-Max`, `-Flag`; `DataTime` is the local
    /// midnight that starts the day.
    Day,
}

impl Stream {
    /// Every stream, in sending order.
    pub const ALL: [Stream; 4] = [Stream::RealTime, Stream::Minute, Stream::Hour, Stream::Day];

    /// The codec's command.
    pub const fn command(self) -> Command {
        match self {
            Stream::RealTime => Command::RealTimeData,
            Stream::Minute => Command::MinuteData,
            Stream::Hour => Command::HourlyData,
            Stream::Day => Command::DailyData,
        }
    }

    /// The stored resolution it is made from (days from hours).
    pub const fn resolution(self) -> Resolution {
        match self {
            Stream::RealTime => Resolution::Sample,
            Stream::Minute => Resolution::Minute,
            Stream::Hour | Stream::Day => Resolution::Hour,
        }
    }

    /// `DataTime` (the interval's start, HJ 212-2017 p. 10) of the interval that ends at
    /// `ends` (lantian's label for minutes and hours; the local midnight after a day, in the
    /// station's zone `tz`); a sample's `DataTime` is its time.
    pub(crate) fn data_time(self, ends: DateTime<Utc>, tz: Tz) -> DateTime<Utc> {
        match self {
            Stream::RealTime => ends,
            Stream::Minute => ends - TimeDelta::minutes(1),
            Stream::Hour => ends - TimeDelta::hours(1),
            Stream::Day => super::daily::day_before(ends, tz),
        }
    }
}

impl fmt::Display for Stream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.command())
    }
}

impl From<Stream> for u16 {
    fn from(s: Stream) -> u16 {
        s.command().code()
    }
}

/// Error for a CN that is not one of the data uploads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "CN {0} is not a data upload a target can receive (expected 2011 real-time, 2051 minute, \
     2061 hourly or 2031 daily data)"
)]
pub struct NotAStream(pub u16);

impl TryFrom<Command> for Stream {
    type Error = NotAStream;
    fn try_from(c: Command) -> Result<Self, Self::Error> {
        Stream::ALL
            .into_iter()
            .find(|s| s.command() == c)
            .ok_or(NotAStream(c.code()))
    }
}

impl TryFrom<u16> for Stream {
    type Error = NotAStream;
    fn try_from(code: u16) -> Result<Self, Self::Error> {
        Stream::try_from(Command::from_code(code))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_the_data_commands() {
        for s in Stream::ALL {
            assert!(s.command().is_data());
            assert_eq!(Stream::try_from(s.command().code()), Ok(s));
        }
        assert_eq!(Stream::try_from(9014), Err(NotAStream(9014)));
        assert_eq!(Stream::Hour.to_string(), "2061");
        let t = DateTime::parse_from_rfc3339("2026-03-01T09:00:00Z")
            .unwrap()
            .to_utc();
        let tz = chrono_tz::Asia::Shanghai;
        let at = |s: Stream| s.data_time(t, tz).to_rfc3339();
        assert_eq!(at(Stream::Hour), "2026-03-01T08:00:00+00:00");
        assert_eq!(at(Stream::Minute), "2026-03-01T08:59:00+00:00");
        assert_eq!(at(Stream::RealTime), "2026-03-01T09:00:00+00:00");
        // 2026-03-01T16:00Z is midnight in Shanghai: the day that ends then began a day before.
        let midnight = t + TimeDelta::hours(7);
        assert_eq!(
            Stream::Day.data_time(midnight, tz).to_rfc3339(),
            "2026-02-28T16:00:00+00:00"
        );
    }
}
