//! The `source_flags` measurement: [`SourceFlag`]s as points and back; and the
//! `analysed_days` measurement: the [`AnalysedDay`]s.
//!
//! | tags | fields | time |
//! |---|---|---|
//! | `station`, `pollutants` ([`SourceFlag::pollutant_key`]: `so2,no2`) | `end`, `peak_time`, `flagged_at`, `job_scheduled` (integers, unix ms); `peak_parameter`, `source_type`, `job` (strings); `peak_value`, `peak_excess`, `severity` (floats); `evidence` (string, the [`crate::store::FlagEvidence`] as JSON) | the episode's start |
//!
//! The tags are the store key besides the time, so a re-run of the job rewrites the same
//! point (every field, none left stale) instead of adding one. Cardinality stays small:
//! stations × the few pollutant sets that occur. `source_type` is a field, not a tag: a re-run
//! that labels an episode differently must replace the point, not start a second series.
//! Dashboards filter on it with `WHERE "source_type" = 'traffic'`.
//!
//! | tags | fields | time |
//! |---|---|---|
//! | — | `window_from`, `window_to`, `job_scheduled`, `analysed_at` (integers, unix ms); `stations`, `flags` (integers); `job` (string) | the day at 00:00 UTC (the key: one point per day) |

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};

use super::line_protocol::{Line, LineError};
use super::query::{Row, Series, field_list, ident, time_range};
use super::{InfluxError, InfluxStore, push_filter};
use crate::store::select::PageFn;
use crate::store::{
    AnalysedDay, DataKind, FlagEvidence, FlagPeak, FlagWindow, Operation, SourceFlag,
    SourceFlagQuery, SourceFlagStore, StoreError, TimeSpan,
};
use crate::units::Parameter;

const READ: Operation = Operation::Read(DataKind::SourceFlags);

/// Measurement of [`SourceFlag`]s.
pub(super) const SOURCE_FLAGS: &str = "source_flags";

/// Fields of `source_flags`, in the order reads select them.
pub(super) const SOURCE_FLAG_FIELDS: [&str; 11] = [
    "end",
    "peak_time",
    "peak_parameter",
    "peak_value",
    "peak_excess",
    "source_type",
    "severity",
    "evidence",
    "flagged_at",
    "job",
    "job_scheduled",
];

/// Measurement of [`AnalysedDay`]s.
pub(super) const ANALYSED_DAYS: &str = "analysed_days";

/// Fields of `analysed_days`, in the order reads select them.
pub(super) const ANALYSED_DAY_FIELDS: [&str; 7] = [
    "window_from",
    "window_to",
    "stations",
    "flags",
    "job",
    "job_scheduled",
    "analysed_at",
];

/// The time of a day's point: the day at 00:00 UTC.
fn day_time(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(chrono::NaiveTime::MIN).and_utc()
}

fn invalid(what: String) -> InfluxError {
    InfluxError::Invalid { what }
}

fn corrupt(reason: String) -> InfluxError {
    InfluxError::Corrupt { reason }
}

/// Appends the point of a flag to `buf` (nothing on error).
pub(super) fn encode_flag(buf: &mut String, f: &SourceFlag) -> Result<(), InfluxError> {
    f.check().map_err(invalid)?;
    let whose = || {
        format!(
            "source flag {} {} at {}",
            f.station,
            f.pollutant_key(),
            f.start
        )
    };
    let ts = super::schema::stamp(f.start, whose())?;
    let evidence =
        serde_json::to_string(&f.evidence).map_err(|e| invalid(format!("{}: {e}", whose())))?;
    let ms = |t: DateTime<Utc>| t.timestamp_millis();
    let mut line = || -> Result<(), LineError> {
        let mut l = Line::new(buf, SOURCE_FLAGS)?;
        l.tag("pollutants", &f.pollutant_key())?
            .tag("station", &f.station)?;
        l.int("end", ms(f.end))?
            .int("peak_time", ms(f.peak.time))?
            .string("peak_parameter", f.peak.parameter.code())?
            .float("peak_value", f.peak.value)?
            .float("peak_excess", f.peak.excess)?
            .string("source_type", f.source_type.code())?
            .float("severity", f.severity)?
            .string("evidence", &evidence)?
            .int("flagged_at", ms(f.flagged_at))?
            .string("job", &f.job)?
            .int("job_scheduled", ms(f.job_scheduled))?;
        l.end(ts)
    };
    line().map_err(|e| invalid(format!("{}: {e}", whose())))
}

/// Appends the point of an analysed day to `buf` (nothing on error).
pub(super) fn encode_analysed_day(buf: &mut String, d: &AnalysedDay) -> Result<(), InfluxError> {
    d.check().map_err(invalid)?;
    let whose = || format!("analysed day {}", d.day);
    let ts = super::schema::stamp(day_time(d.day), whose())?;
    let ms = |t: DateTime<Utc>| t.timestamp_millis();
    let mut line = || -> Result<(), LineError> {
        let mut l = Line::new(buf, ANALYSED_DAYS)?;
        l.int("window_from", ms(d.window.from))?
            .int("window_to", ms(d.window.to))?
            .int("stations", i64::from(d.window.stations))?
            .int("flags", i64::try_from(d.flags).unwrap_or(i64::MAX))?
            .string("job", &d.job)?
            .int("job_scheduled", ms(d.job_scheduled))?
            .int("analysed_at", ms(d.analysed_at))?;
        l.end(ts)
    };
    line().map_err(|e| invalid(format!("{}: {e}", whose())))
}

/// Reads the series of an `analysed_days` query, by day.
pub(super) fn decode_analysed_days(series: &[Series]) -> Result<Vec<AnalysedDay>, InfluxError> {
    let mut out = Vec::new();
    for s in series {
        let t = s.column("time")?;
        let cols = s.columns(ANALYSED_DAY_FIELDS)?;
        for row in &s.values {
            let row = Row::new(s, row);
            let cell = |i: usize| row.at(cols[i]);
            let day = row.at(t).millis()?.date_naive();
            let count = |i: usize, what: &str| -> Result<i64, InfluxError> {
                let n = cell(i).i64()?;
                if n < 0 {
                    return Err(corrupt(format!("{n} {what} (analysed day {day})")));
                }
                Ok(n)
            };
            let stations = count(2, "stations")?;
            let flags = count(3, "flags")?;
            out.push(AnalysedDay {
                day,
                window: FlagWindow {
                    from: cell(0).millis()?,
                    to: cell(1).millis()?,
                    stations: u32::try_from(stations).unwrap_or(u32::MAX),
                },
                flags: usize::try_from(flags).unwrap_or(usize::MAX),
                job: cell(4).str()?.to_string(),
                job_scheduled: cell(5).millis()?,
                analysed_at: cell(6).millis()?,
            });
        }
    }
    out.sort_by_key(|d| d.day);
    Ok(out)
}

/// Reads the series of a `source_flags` query (grouped by station and pollutants), in no
/// particular order.
pub(super) fn decode_flags(series: &[Series]) -> Result<Vec<SourceFlag>, InfluxError> {
    let mut out = Vec::new();
    for s in series {
        let station = s.tag("station")?;
        let key = s.tag("pollutants")?;
        let parameter = |code: &str| -> Result<Parameter, InfluxError> {
            code.parse()
                .map_err(|e| corrupt(format!("{e} (source flag of {station})")))
        };
        let pollutants = key
            .split(',')
            .map(parameter)
            .collect::<Result<Vec<_>, _>>()?;
        let t = s.column("time")?;
        let cols = s.columns(SOURCE_FLAG_FIELDS)?;
        for row in &s.values {
            let row = Row::new(s, row);
            let cell = |i: usize| row.at(cols[i]);
            let start = row.at(t).millis()?;
            let whose = || format!("source flag {station} {key} at {start}");
            let source_type = cell(5)
                .str()?
                .parse()
                .map_err(|e| corrupt(format!("{e} ({})", whose())))?;
            let evidence: FlagEvidence = serde_json::from_str(cell(7).str()?)
                .map_err(|e| corrupt(format!("evidence of {}: {e}", whose())))?;
            out.push(SourceFlag {
                station: station.to_string(),
                pollutants: pollutants.clone(),
                start,
                end: cell(0).millis()?,
                peak: FlagPeak {
                    time: cell(1).millis()?,
                    parameter: parameter(cell(2).str()?)?,
                    value: cell(3).f64()?,
                    excess: cell(4).f64()?,
                },
                source_type,
                severity: cell(6).f64()?,
                evidence,
                flagged_at: cell(8).millis()?,
                job: cell(9).str()?.to_string(),
                job_scheduled: cell(10).millis()?,
            });
        }
    }
    Ok(out)
}

impl SourceFlagStore for InfluxStore {
    /// Also rejects what InfluxDB cannot store: a start outside 1677–2262, and line breaks in
    /// the station id (a tag value).
    fn put_source_flags(&mut self, flags: &[SourceFlag]) -> Result<usize, StoreError> {
        self.send(flags, encode_flag)
            .map_err(self.fail(Operation::Put(DataKind::SourceFlags)))?;
        Ok(flags.len())
    }

    fn source_flags_paged(
        &self,
        query: &SourceFlagQuery,
        page_size: usize,
        each: &mut PageFn<'_, SourceFlag>,
    ) -> Result<(), StoreError> {
        if query.is_empty() {
            return Ok(());
        }
        let mut q = format!(
            "SELECT {} FROM {} WHERE {}",
            field_list(&SOURCE_FLAG_FIELDS),
            ident(SOURCE_FLAGS),
            time_range(query.from, query.to)
        );
        push_filter(&mut q, "station", &query.stations);
        q.push_str(" GROUP BY \"station\", \"pollutants\"");
        self.select_paged(
            READ,
            &q,
            page_size,
            |series, out| {
                out.extend(decode_flags(series)?);
                Ok(())
            },
            each,
        )
    }

    /// Also rejects days outside 1677–2262 (InfluxDB's times).
    fn put_analysed_days(&mut self, days: &[AnalysedDay]) -> Result<usize, StoreError> {
        self.send(days, encode_analysed_day)
            .map_err(self.fail(Operation::Put(DataKind::SourceFlags)))?;
        Ok(days.len())
    }

    fn analysed_days(
        &self,
        first: NaiveDate,
        last: NaiveDate,
    ) -> Result<Vec<AnalysedDay>, StoreError> {
        if last < first {
            return Ok(Vec::new());
        }
        let end = day_time(last)
            .checked_add_signed(TimeDelta::days(1))
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        let q = format!(
            "SELECT {} FROM {} WHERE {}",
            field_list(&ANALYSED_DAY_FIELDS),
            ident(ANALYSED_DAYS),
            time_range(day_time(first), end)
        );
        self.select(&q)
            .and_then(|series| decode_analysed_days(&series))
            .map_err(self.fail(READ))
    }

    fn source_flags_span(&self) -> Result<Option<TimeSpan>, StoreError> {
        let [first, last] = ["first", "last"].map(|f| {
            let q = format!(
                "SELECT {f}({}) FROM {}",
                ident("severity"),
                ident(SOURCE_FLAGS)
            );
            (q, "time")
        });
        self.span([first, last], READ)
    }
}
