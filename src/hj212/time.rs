//! `DataTime` and `QN` times: local time of the station in the packet, UTC inside lantian.
//!
//! Loggers send local time (Beijing time, `Asia/Shanghai`, for Chinese stations), so reading
//! a time needs the station's zone. For minute (2051), hourly (2061) and daily (2031) data,
//! `DataTime` is the **start** of the interval (HJ 212-2017, p. 10): an hourly packet with
//! `DataTime=20260301080000` covers 08:00–09:00, the hour lantian labels 09:00 (hour-ending).
//! [`interval_end`] gives that label; real-time data (2011) carries the sampling moment.

use chrono::{DateTime, Days, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

use super::command::Command;

/// Why a time in a packet cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    /// Not 14 digits `yyyyMMddHHmmss` (or 17 with milliseconds).
    #[error("{0:?} is not yyyyMMddHHmmss")]
    Form(String),
    /// Digits that are no date or time (month 13, 25 o'clock).
    #[error("{0:?} is no valid date and time")]
    Invalid(String),
    /// A local time that does not exist or is ambiguous in the zone (a DST change).
    #[error("{text:?} does not name one instant in {zone}")]
    Ambiguous {
        /// The time as written.
        text: String,
        /// The zone.
        zone: Tz,
    },
}

/// Reads `yyyyMMddHHmmss` (`DataTime`) or `yyyyMMddHHmmssSSS` (`QN`, and the `DataTime` of
/// some loggers) in the local time of `zone`, as UTC.
pub fn parse_local_time(text: &str, zone: Tz) -> Result<DateTime<Utc>, TimeError> {
    let form = || TimeError::Form(text.to_string());
    if !(text.len() == 14 || text.len() == 17) || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(form());
    }
    let n = |range: std::ops::Range<usize>| text[range].parse::<u32>().map_err(|_| form());
    let invalid = || TimeError::Invalid(text.to_string());
    let year = i32::try_from(n(0..4)?).map_err(|_| invalid())?;
    let date = NaiveDate::from_ymd_opt(year, n(4..6)?, n(6..8)?).ok_or_else(invalid)?;
    let millis = if text.len() == 17 { n(14..17)? } else { 0 };
    let time = date
        .and_hms_milli_opt(n(8..10)?, n(10..12)?, n(12..14)?, millis)
        .ok_or_else(invalid)?;
    local_to_utc(time, zone).ok_or_else(|| TimeError::Ambiguous {
        text: text.to_string(),
        zone,
    })
}

fn local_to_utc(local: NaiveDateTime, zone: Tz) -> Option<DateTime<Utc>> {
    zone.from_local_datetime(&local)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

/// `DataTime` text for `time` in `zone` (`yyyyMMddHHmmss`).
pub fn format_data_time(time: DateTime<Utc>, zone: Tz) -> String {
    time.with_timezone(&zone).format("%Y%m%d%H%M%S").to_string()
}

/// `QN` text for `time` in `zone` (`yyyyMMddHHmmssSSS`).
pub fn format_qn(time: DateTime<Utc>, zone: Tz) -> String {
    time.with_timezone(&zone)
        .format("%Y%m%d%H%M%S%3f")
        .to_string()
}

/// The end of the interval a data packet's `DataTime` starts, which is lantian's label for it
/// (hour-ending): `start` + the minute interval for 2051, + 1 h for 2061, the next local
/// midnight in `zone` for 2031. `None` for other commands (real-time data is labelled with
/// its own time).
pub fn interval_end(
    command: Command,
    start: DateTime<Utc>,
    zone: Tz,
    minute_interval: Duration,
) -> Option<DateTime<Utc>> {
    match command {
        Command::MinuteData => Some(start + minute_interval),
        Command::HourlyData => Some(start + Duration::hours(1)),
        Command::DailyData => {
            let day = start.with_timezone(&zone).date_naive();
            let next = day.checked_add_days(Days::new(1))?.and_hms_opt(0, 0, 0)?;
            local_to_utc(next, zone)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Asia::Shanghai;

    fn utc(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn beijing_time_to_utc_and_hour_ending_labels() {
        let start = parse_local_time("20260301080000", Shanghai).unwrap();
        assert_eq!(start, utc("2026-03-01T00:00:00Z"));
        // The hourly packet of 08:00 is the hour ending 09:00 Beijing time.
        let end = interval_end(Command::HourlyData, start, Shanghai, Duration::minutes(1));
        assert_eq!(end, Some(utc("2026-03-01T01:00:00Z")));
        let minute = interval_end(Command::MinuteData, start, Shanghai, Duration::minutes(5));
        assert_eq!(minute, Some(utc("2026-03-01T00:05:00Z")));
        let day = parse_local_time("20260301000000", Shanghai).unwrap();
        let day_end = interval_end(Command::DailyData, day, Shanghai, Duration::minutes(1));
        assert_eq!(day_end, Some(utc("2026-03-01T16:00:00Z")));
        assert_eq!(
            interval_end(Command::RealTimeData, start, Shanghai, Duration::minutes(1)),
            None
        );
        assert_eq!(format_data_time(start, Shanghai), "20260301080000");
        let qn = parse_local_time("20160801085857223", Shanghai).unwrap();
        assert_eq!(format_qn(qn, Shanghai), "20160801085857223");
    }

    #[test]
    fn bad_times() {
        for text in [
            "2016082410450",
            "20160824104500x",
            "",
            "2016082410450000000",
        ] {
            assert!(matches!(
                parse_local_time(text, Shanghai),
                Err(TimeError::Form(_))
            ));
        }
        assert!(matches!(
            parse_local_time("20161324000000", Shanghai),
            Err(TimeError::Invalid(_))
        ));
        // 02:30 on the day New York springs forward does not exist.
        assert!(matches!(
            parse_local_time("20260308023000", chrono_tz::America::New_York),
            Err(TimeError::Ambiguous { .. })
        ));
    }
}
