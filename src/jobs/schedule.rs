//! Job schedules: cron expressions evaluated in the network's time zone.
//!
//! The familiar 5-field form (`m h dom mon dow`) is accepted as well as the `cron` crate's
//! 6- and 7-field forms (seconds first, optional year): `"0 8 * * *"` and `"0 0 8 * * *"` both
//! fire at 08:00 local time every day.

use std::str::FromStr;

use chrono::{DateTime, Days, NaiveDate, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;

/// An invalid schedule expression.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid schedule `{expression}`: {reason}")]
pub struct ScheduleError {
    /// The expression as given.
    pub expression: String,
    /// Why it is invalid.
    pub reason: String,
}

/// A cron schedule in a time zone.
#[derive(Debug, Clone)]
pub struct Schedule {
    cron: cron::Schedule,
    expression: String,
    time_zone: Tz,
}

impl Schedule {
    /// Parses a 5-, 6- or 7-field cron expression, evaluated in `time_zone`.
    pub fn parse(expression: &str, time_zone: Tz) -> Result<Schedule, ScheduleError> {
        let fields = expression.split_whitespace().count();
        let full = match fields {
            5 => format!("0 {}", expression.trim()),
            6 | 7 => expression.trim().to_string(),
            n => {
                return Err(ScheduleError {
                    expression: expression.to_string(),
                    reason: format!(
                        "{n} fields; expected 5 (m h dom mon dow), 6 or 7 (with seconds first)"
                    ),
                });
            }
        };
        let cron = cron::Schedule::from_str(&full).map_err(|e| ScheduleError {
            expression: expression.to_string(),
            reason: e.to_string(),
        })?;
        Ok(Schedule {
            cron,
            expression: expression.to_string(),
            time_zone,
        })
    }

    /// The expression as written.
    pub fn expression(&self) -> &str {
        &self.expression
    }

    /// The first fire time strictly after `t`.
    pub fn next_after(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron
            .after(&t.with_timezone(&self.time_zone))
            .next()
            .map(|f| f.to_utc())
    }

    /// The local day (in the schedule's zone) that holds `t`: its first and its last instant
    /// (the next day's start, exclusive).
    pub fn day_of(&self, t: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        let date = t.with_timezone(&self.time_zone).date_naive();
        (self.day_start(date), self.day_start(date + Days::new(1)))
    }

    /// The first instant of the local `date` (midnight, or the first hour after a DST gap).
    fn day_start(&self, date: NaiveDate) -> DateTime<Utc> {
        let midnight = date.and_time(Default::default());
        (0..24)
            .find_map(|h| {
                self.time_zone
                    .from_local_datetime(&(midnight + TimeDelta::hours(h)))
                    .earliest()
            })
            .map_or_else(|| midnight.and_utc(), |t| t.to_utc())
    }

    /// The fire times in `[from, to]`, in order (see [`Self::between`]).
    pub fn fire_times_through(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> impl Iterator<Item = DateTime<Utc>> + '_ {
        // Cron times are whole seconds: one second earlier includes `from` itself.
        self.between(from - TimeDelta::seconds(1), to)
            .filter(move |t| *t >= from)
    }

    /// Fire times in `(from, to]`, in order.
    pub fn between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> impl Iterator<Item = DateTime<Utc>> + '_ {
        self.cron
            .after(&from.with_timezone(&self.time_zone))
            .map(|f| f.to_utc())
            .take_while(move |f| *f <= to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    const SHANGHAI: Tz = chrono_tz::Asia::Shanghai;

    #[test]
    fn five_and_six_fields_agree() {
        let five = Schedule::parse("0 8 * * *", SHANGHAI).unwrap();
        let six = Schedule::parse("0 0 8 * * *", SHANGHAI).unwrap();
        let t = utc("2026-12-31T12:00:00Z");
        assert_eq!(five.next_after(t), six.next_after(t));
        // 08:00 in Shanghai is 00:00 UTC.
        assert_eq!(five.next_after(t).unwrap(), utc("2027-01-01T00:00:00Z"));
    }

    #[test]
    fn month_and_year_ends_in_local_time() {
        // Monthly at 09:00 local on the 1st: across a year end.
        let monthly = Schedule::parse("0 9 1 * *", SHANGHAI).unwrap();
        let fires: Vec<_> = monthly
            .between(utc("2026-11-15T00:00:00Z"), utc("2027-02-15T00:00:00Z"))
            .collect();
        assert_eq!(
            fires,
            [
                utc("2026-12-01T01:00:00Z"),
                utc("2027-01-01T01:00:00Z"),
                utc("2027-02-01T01:00:00Z")
            ]
        );
        // Last day-of-month style "every day at 23:30 local" crosses the UTC date.
        let late = Schedule::parse("30 23 * * *", SHANGHAI).unwrap();
        assert_eq!(
            late.next_after(utc("2026-02-28T15:00:00Z")).unwrap(),
            utc("2026-02-28T15:30:00Z")
        );
        // Quarterly at 08:00 on Jan/Apr/Jul/Oct 1st.
        let quarterly = Schedule::parse("0 8 1 1,4,7,10 *", SHANGHAI).unwrap();
        assert_eq!(
            quarterly.next_after(utc("2026-10-01T00:00:00Z")).unwrap(),
            utc("2027-01-01T00:00:00Z")
        );
    }

    #[test]
    fn local_days_and_closed_ranges() {
        let daily = Schedule::parse("0 0 * * *", SHANGHAI).unwrap();
        // 07:30 local on 4 March is 23:30 UTC on the 3rd.
        let (start, end) = daily.day_of(utc("2026-03-03T23:30:00Z"));
        assert_eq!(
            (start, end),
            (utc("2026-03-03T16:00:00Z"), utc("2026-03-04T16:00:00Z"))
        );
        // The midnight run belongs to its day, at both ends of the range.
        assert_eq!(
            daily.fire_times_through(start, start).collect::<Vec<_>>(),
            [start]
        );
        assert_eq!(daily.fire_times_through(start, end).count(), 2);
        // A zone whose midnight can be skipped (Santiago, spring forward): the day starts at
        // 01:00 local.
        let santiago = Schedule::parse("0 8 * * *", chrono_tz::America::Santiago).unwrap();
        let (start, _) = santiago.day_of(utc("2026-09-06T12:00:00Z"));
        assert_eq!(start, utc("2026-09-06T04:00:00Z"));
    }

    #[test]
    fn bad_expressions() {
        let e = Schedule::parse("0 8 * *", SHANGHAI).unwrap_err();
        assert!(e.to_string().contains("4 fields"), "{e}");
        assert!(Schedule::parse("0 25 * * *", SHANGHAI).is_err());
        assert!(Schedule::parse("x 8 * * *", SHANGHAI).is_err());
    }
}
