//! Time expressions of scenario files: durations (`"6h"`, `"1h30m"`), daily windows
//! (`"02:00-02:20"`, local time) and instants (RFC 3339 or local `"YYYY-MM-DD HH:MM"`).

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Days, NaiveDateTime, NaiveTime, TimeDelta, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use serde::Deserialize;

/// A duration written as a sum of `<number><unit>` terms, units `d`, `h`, `m`/`min`, `s`, `ms`
/// (e.g. `"2h"`, `"1h30m"`, `"90s"`), at most [`Dur::MAX_DAYS`] days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Dur(pub TimeDelta);

impl Dur {
    /// The longest duration a scenario may give: a century (so that every instant a duration
    /// leads to from any start within chrono's range of years is a date).
    pub const MAX_DAYS: i64 = 36_525;
}

impl FromStr for Dur {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("bad duration `{s}` (expected e.g. `6h`, `30min`, `1h30m`, `90s`)");
        let mut rest = s.trim();
        if rest.is_empty() {
            return Err(bad());
        }
        let mut total_ms: f64 = 0.0;
        while !rest.is_empty() {
            let num_end = rest
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .ok_or_else(bad)?;
            let n: f64 = rest[..num_end].parse().map_err(|_| bad())?;
            let after = rest[num_end..].trim_start();
            let unit_end = after
                .find(|c: char| !c.is_ascii_alphabetic())
                .unwrap_or(after.len());
            let ms = match &after[..unit_end] {
                "d" => 86_400_000.0,
                "h" => 3_600_000.0,
                "m" | "min" => 60_000.0,
                "s" => 1000.0,
                "ms" => 1.0,
                _ => return Err(bad()),
            };
            total_ms += n * ms;
            rest = after[unit_end..].trim_start();
        }
        // Also refuses infinity (a number of hundreds of digits; never NaN: no term is
        // negative).
        if total_ms > (Dur::MAX_DAYS * 86_400_000) as f64 {
            return Err(format!(
                "duration `{s}` is longer than {} days",
                Dur::MAX_DAYS
            ));
        }
        Ok(Dur(TimeDelta::milliseconds(total_ms.round() as i64)))
    }
}

impl TryFrom<String> for Dur {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

/// A recurring local time-of-day window `"HH:MM-HH:MM"`; it may cross midnight
/// (`"22:00-02:00"`). The end is exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct DailyWindow {
    /// Local start time.
    pub start: NaiveTime,
    /// Local end time (exclusive).
    pub end: NaiveTime,
}

impl FromStr for DailyWindow {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("bad daily window `{s}` (expected `HH:MM-HH:MM`, local time)");
        let (a, b) = s.split_once('-').ok_or_else(bad)?;
        let p = |x: &str| NaiveTime::parse_from_str(x.trim(), "%H:%M").map_err(|_| bad());
        let (start, end) = (p(a)?, p(b)?);
        if start == end {
            return Err(format!("daily window `{s}` is empty"));
        }
        Ok(DailyWindow { start, end })
    }
}

impl TryFrom<String> for DailyWindow {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl fmt::Display for DailyWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}-{}",
            self.start.format("%H:%M"),
            self.end.format("%H:%M")
        )
    }
}

impl DailyWindow {
    /// The occurrence containing `t` (local time in `tz`), as `[start, end)` in UTC.
    pub fn occurrence(&self, t: DateTime<Utc>, tz: Tz) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        let local = t.with_timezone(&tz).naive_local();
        let tod = local.time();
        let today = local.date();
        let day = if self.start < self.end {
            if tod < self.start || tod >= self.end {
                return None;
            }
            today
        } else if tod >= self.start {
            today
        } else if tod < self.end {
            today.checked_sub_days(Days::new(1))?
        } else {
            return None;
        };
        let start = to_utc(day.and_time(self.start), tz);
        let mut end_day = day;
        if self.end <= self.start {
            end_day = day.checked_add_days(Days::new(1))?;
        }
        let end = to_utc(end_day.and_time(self.end), tz);
        Some((start, end))
    }

    /// True when the local time of day of `t` lies in the window.
    pub fn contains(&self, t: DateTime<Utc>, tz: Tz) -> bool {
        let tod = t.with_timezone(&tz).time();
        let sec = tod.num_seconds_from_midnight();
        let (s, e) = (
            self.start.num_seconds_from_midnight(),
            self.end.num_seconds_from_midnight(),
        );
        if s < e {
            (s..e).contains(&sec)
        } else {
            sec >= s || sec < e
        }
    }
}

/// An instant: RFC 3339 (`"2025-10-15T08:00:00+08:00"`) or local time in the scenario's zone
/// (`"2025-10-15 08:00"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum TimeSpec {
    /// An absolute instant.
    Utc(DateTime<Utc>),
    /// A wall-clock time in the scenario's time zone.
    Local(NaiveDateTime),
}

impl FromStr for TimeSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        if let Ok(d) = DateTime::parse_from_rfc3339(t) {
            return Ok(TimeSpec::Utc(d.to_utc()));
        }
        for fmt in ["%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M"] {
            if let Ok(n) = NaiveDateTime::parse_from_str(t, fmt) {
                return Ok(TimeSpec::Local(n));
            }
        }
        Err(format!(
            "bad time `{s}` (expected RFC 3339 or local `YYYY-MM-DD HH:MM`)"
        ))
    }
}

impl TryFrom<String> for TimeSpec {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl TimeSpec {
    /// The instant in UTC, reading local times in `tz`.
    pub fn resolve(&self, tz: Tz) -> DateTime<Utc> {
        match *self {
            TimeSpec::Utc(t) => t,
            TimeSpec::Local(n) => to_utc(n, tz),
        }
    }
}

/// Local wall-clock time → UTC (the earlier instant when ambiguous, shifted past a gap).
pub(crate) fn to_utc(n: NaiveDateTime, tz: Tz) -> DateTime<Utc> {
    match tz.from_local_datetime(&n).earliest() {
        Some(t) => t.to_utc(),
        None => tz
            .from_local_datetime(&(n + TimeDelta::hours(1)))
            .earliest()
            .map_or_else(|| n.and_utc(), |t| t.to_utc()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!("6h".parse::<Dur>().unwrap().0, TimeDelta::hours(6));
        assert_eq!("1h30m".parse::<Dur>().unwrap().0, TimeDelta::minutes(90));
        assert_eq!("30min".parse::<Dur>().unwrap().0, TimeDelta::minutes(30));
        assert_eq!("1.5 d".parse::<Dur>().unwrap().0, TimeDelta::hours(36));
        assert!("6".parse::<Dur>().is_err());
        assert!("h".parse::<Dur>().is_err());
        assert!("3 weeks".parse::<Dur>().is_err());
        assert_eq!(
            "36525d".parse::<Dur>().unwrap().0,
            TimeDelta::days(Dur::MAX_DAYS)
        );
        let e = "36525d1ms".parse::<Dur>().unwrap_err();
        assert!(e.contains("longer than 36525 days"), "{e}");
        let digits = format!("{}h", "6".repeat(400)); // parses as an infinite number of hours
        assert!(digits.parse::<Dur>().is_err());
    }

    #[test]
    fn daily_windows() {
        let tz = chrono_tz::Asia::Shanghai;
        let w: DailyWindow = "02:00-02:20".parse().unwrap();
        let t = "2025-10-15T18:10:00Z".parse::<DateTime<Utc>>().unwrap(); // 02:10 local
        let (s, e) = w.occurrence(t, tz).unwrap();
        assert_eq!(s.to_rfc3339(), "2025-10-15T18:00:00+00:00");
        assert_eq!(e.to_rfc3339(), "2025-10-15T18:20:00+00:00");
        assert!(w.contains(t, tz));
        assert!(w.occurrence(t + TimeDelta::minutes(10), tz).is_none());
        let night: DailyWindow = "22:00-02:00".parse().unwrap();
        let (s, _) = night.occurrence(t - TimeDelta::minutes(20), tz).unwrap(); // 01:50
        assert_eq!(s.to_rfc3339(), "2025-10-15T14:00:00+00:00");
        assert!("25:00-26:00".parse::<DailyWindow>().is_err());
    }

    #[test]
    fn instants() {
        let tz = chrono_tz::Asia::Shanghai;
        let a: TimeSpec = "2025-10-15 08:00".parse().unwrap();
        assert_eq!(a.resolve(tz).to_rfc3339(), "2025-10-15T00:00:00+00:00");
        let b: TimeSpec = "2025-10-15T08:00:00+08:00".parse().unwrap();
        assert_eq!(a.resolve(tz), b.resolve(tz));
        assert!("yesterday".parse::<TimeSpec>().is_err());
    }
}
