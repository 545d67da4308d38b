//! What a simulated logger sends, and when: real-time values and minute, hourly and daily
//! statistics of the world model at its station, in the units its codes say.
//!
//! The logger measures every [`MEASURE`] (30 s, on the clock's multiples). A real-time upload
//! (2011) at `t` carries the measurement at `t`; a minute (2051), hourly (2061) or daily (2031)
//! upload covers `[start, end)` and carries the statistics of the measurements in it: `Avg`
//! (a vector mean for wind direction), `Min` and `Max` (not for wind direction), and `Flag`:
//! `N` when at least three quarters of the measurements were normal, else the most frequent
//! other flag (ties go to the higher precedence). A measurement's flag is `C` during a calibration fault, `M` during
//! maintenance, `D` during an alarm; a stuck logger measures the world as it was when it got
//! stuck. `DataTime` is the measurement time or the interval's start (HJ 212-2017, p. 10), in
//! the scenario's time zone.

use chrono::{DateTime, Days, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;

use super::LoggerSpec;
use crate::clock::next_aligned;
use crate::collect::aggregate::{FlagCounts, Mean, dominant};
use crate::quality::Flag;
use crate::sim::environment::Environment;
use crate::units::Unit;

/// How often a logger measures.
pub const MEASURE: TimeDelta = TimeDelta::seconds(30);

/// The kinds of data a logger uploads, in the order it sends those due at the same instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DataKind {
    /// 2011: the value at the measurement time.
    Realtime,
    /// 2051: statistics of a minute interval.
    Minute,
    /// 2061: statistics of an hour.
    Hourly,
    /// 2031: statistics of a local day.
    Daily,
}

/// One upload's content: the kind, `DataTime`, and per code its fields (`Rtd` or `Avg`,
/// `Min`, `Max`; then `Flag`) as written.
#[derive(Debug, Clone, PartialEq)]
pub struct Upload {
    /// What it is.
    pub kind: DataKind,
    /// `DataTime`: the measurement time, or the start of the interval.
    pub data_time: DateTime<Utc>,
    /// `(code, [(suffix, value)])`, in the logger's code order.
    pub items: Vec<(String, Vec<(&'static str, String)>)>,
}

/// One measurement of one code: the value in the logger's unit and its flag.
#[derive(Debug, Clone, Copy)]
struct Measured {
    value: f64,
    flag: Flag,
}

/// What the logger measures at `t`, per code.
fn measure(environment: &Environment, spec: &LoggerSpec, t: DateTime<Utc>) -> Vec<Measured> {
    let state = environment.device_state(&spec.id, t);
    let at = state.frozen_at.unwrap_or(t);
    let conditions = environment.conditions(spec.station, at);
    let mut flag = Flag::Normal;
    for (on, f) in [
        (state.mode.calibration, Flag::Calibration),
        (state.mode.maintenance, Flag::Maintenance),
        (state.mode.alarm, Flag::Fault),
    ] {
        if on {
            flag = flag.max(f);
        }
    }
    spec.codes
        .iter()
        .map(|c| Measured {
            value: c.conversion.invert(conditions.get(c.parameter)),
            flag,
        })
        .collect()
}

/// Decimals written for a value in `unit` (a tenth of µg/m³, a thousandth of mg/m³ …).
pub fn decimals(unit: Unit) -> usize {
    match unit {
        Unit::MilligramPerCubicMetre | Unit::Ppm => 3,
        Unit::Kilopascal => 2,
        Unit::Degree => 0,
        _ => 1,
    }
}

fn text(value: f64, unit: Unit) -> String {
    format!("{value:.prec$}", prec = decimals(unit))
}

/// The flag of an interval: `N` when at least three quarters of its measurements were (HJ 663's
/// 45 minutes of an hour), else the most frequent other flag (ties → higher precedence).
fn interval_flag(flags: impl Iterator<Item = Flag>) -> Flag {
    let mut counts: FlagCounts = [0; Flag::ALL.len()];
    let mut total = 0;
    for f in flags {
        counts[f as usize] += 1;
        total += 1;
    }
    if counts[Flag::Normal as usize] * 4 >= total * 3 {
        return Flag::Normal;
    }
    dominant(&counts).unwrap_or(Flag::Normal)
}

/// The upload of `kind` covering `[start, end)` (a real-time upload: the instant `start`).
pub fn upload(
    environment: &Environment,
    spec: &LoggerSpec,
    kind: DataKind,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Upload {
    let flag_text = |f: Flag| f.code().to_string();
    let items = if kind == DataKind::Realtime {
        let now = measure(environment, spec, start);
        spec.codes
            .iter()
            .zip(now)
            .map(|(c, m)| {
                let fields = vec![("Rtd", text(m.value, c.unit)), ("Flag", flag_text(m.flag))];
                (c.code.clone(), fields)
            })
            .collect()
    } else {
        let mut series: Vec<Vec<Measured>> = vec![Vec::new(); spec.codes.len()];
        let mut t = start;
        while t < end {
            for (column, m) in series.iter_mut().zip(measure(environment, spec, t)) {
                column.push(m);
            }
            t += MEASURE;
        }
        spec.codes
            .iter()
            .zip(series)
            .map(|(c, column)| {
                let angle = c.parameter.is_angle();
                let mut mean = Mean::default();
                let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
                for m in &column {
                    mean.add(m.value, angle);
                    min = min.min(m.value);
                    max = max.max(m.value);
                }
                let flag = interval_flag(column.iter().map(|m| m.flag));
                let mut fields = Vec::with_capacity(4);
                fields.push(("Avg", text(mean.get(angle).unwrap_or(f64::NAN), c.unit)));
                if !angle {
                    fields.push(("Min", text(min, c.unit)));
                    fields.push(("Max", text(max, c.unit)));
                }
                fields.push(("Flag", flag_text(flag)));
                (c.code.clone(), fields)
            })
            .collect()
    };
    Upload {
        kind,
        data_time: start,
        items,
    }
}

/// When each kind of upload is next due.
#[derive(Debug, Clone)]
pub struct Schedule {
    realtime: Option<TimeDelta>,
    minute: Option<TimeDelta>,
    hourly: bool,
    daily: Option<Tz>,
    next: [Option<DateTime<Utc>>; 4],
}

const KINDS: [DataKind; 4] = [
    DataKind::Realtime,
    DataKind::Minute,
    DataKind::Hourly,
    DataKind::Daily,
];

/// The first local midnight of `tz` strictly after `t`.
fn next_midnight(t: DateTime<Utc>, tz: Tz) -> DateTime<Utc> {
    let mut day = t.with_timezone(&tz).date_naive();
    loop {
        day = day.checked_add_days(Days::new(1)).unwrap_or(day);
        if let Some(m) = tz
            .from_local_datetime(&day.and_time(chrono::NaiveTime::MIN))
            .earliest()
        {
            let m = m.with_timezone(&Utc);
            if m > t {
                return m;
            }
        }
    }
}

impl Schedule {
    /// Real-time uploads every `realtime`, minute data every `minute`, hourly data, daily
    /// data at local midnights of `daily` — each `None`/`false` when not sent — the first of
    /// each strictly after `after`.
    pub fn new(
        realtime: Option<TimeDelta>,
        minute: Option<TimeDelta>,
        hourly: bool,
        daily: Option<Tz>,
        after: DateTime<Utc>,
    ) -> Schedule {
        let mut s = Schedule {
            realtime,
            minute,
            hourly,
            daily,
            next: [None; 4],
        };
        for (i, kind) in KINDS.into_iter().enumerate() {
            s.next[i] = s.following(kind, after);
        }
        s
    }

    fn following(&self, kind: DataKind, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match kind {
            DataKind::Realtime => self.realtime.map(|i| next_aligned(after, i)),
            DataKind::Minute => self.minute.map(|i| next_aligned(after, i)),
            DataKind::Hourly => self
                .hourly
                .then(|| next_aligned(after, TimeDelta::hours(1))),
            DataKind::Daily => self.daily.map(|tz| next_midnight(after, tz)),
        }
    }

    /// The next instant something is due (`None` when nothing is ever sent).
    pub fn next_instant(&self) -> Option<DateTime<Utc>> {
        self.next.iter().flatten().min().copied()
    }

    /// The uploads due at `at` (the instant [`next_instant`](Self::next_instant) gave), as
    /// `(kind, start, end)`: a real-time upload's start and end are its measurement time;
    /// the others cover the interval that ends at `at`. Their next instants move on.
    pub fn take_due(&mut self, at: DateTime<Utc>) -> Vec<(DataKind, DateTime<Utc>, DateTime<Utc>)> {
        let mut due = Vec::new();
        for (i, kind) in KINDS.into_iter().enumerate() {
            if self.next[i] != Some(at) {
                continue;
            }
            let start = match kind {
                DataKind::Realtime => at,
                DataKind::Minute => at - self.minute.unwrap_or(TimeDelta::minutes(1)),
                DataKind::Hourly => at - TimeDelta::hours(1),
                DataKind::Daily => {
                    let tz = self.daily.unwrap_or(chrono_tz::UTC);
                    let local = at.with_timezone(&tz).date_naive();
                    let previous = local.checked_sub_days(Days::new(1)).unwrap_or(local);
                    tz.from_local_datetime(&previous.and_time(chrono::NaiveTime::MIN))
                        .earliest()
                        .map_or(at - TimeDelta::days(1), |t| t.with_timezone(&Utc))
                }
            };
            due.push((kind, start, at));
            self.next[i] = self.following(kind, at);
        }
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    #[test]
    fn uploads_fall_due_in_order_at_the_ends_of_their_intervals() {
        let tz = chrono_tz::Asia::Shanghai;
        let mut schedule = Schedule::new(
            Some(TimeDelta::seconds(30)),
            Some(TimeDelta::minutes(5)),
            true,
            Some(tz),
            utc("2026-03-01T15:59:40Z"),
        );
        let mut seen = Vec::new();
        while let Some(at) = schedule.next_instant() {
            if at > utc("2026-03-01T16:00:00Z") {
                break;
            }
            seen.extend(schedule.take_due(at));
        }
        let local_midnight = utc("2026-03-01T16:00:00Z");
        assert_eq!(
            seen,
            [
                (DataKind::Realtime, local_midnight, local_midnight),
                (
                    DataKind::Minute,
                    local_midnight - TimeDelta::minutes(5),
                    local_midnight
                ),
                (
                    DataKind::Hourly,
                    local_midnight - TimeDelta::hours(1),
                    local_midnight
                ),
                (
                    DataKind::Daily,
                    local_midnight - TimeDelta::days(1),
                    local_midnight
                ),
            ]
        );
        assert_eq!(schedule.next_instant(), Some(utc("2026-03-01T16:00:30Z")));
    }

    #[test]
    fn nothing_enabled_is_never_due() {
        let never = Schedule::new(None, None, false, None, utc("2026-03-01T00:00:00Z"));
        assert_eq!(never.next_instant(), None);
    }

    #[test]
    fn an_interval_is_normal_with_three_quarters_normal() {
        use Flag::{Calibration as C, Maintenance as M, Normal as N};
        assert_eq!(interval_flag([N, N, N, C].into_iter()), N);
        assert_eq!(interval_flag([N, N, C, C].into_iter()), C);
        assert_eq!(interval_flag([C, M, N, N].into_iter()), M);
        assert_eq!(interval_flag(std::iter::empty()), N);
    }
}
