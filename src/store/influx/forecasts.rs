//! The `forecast` and `forecast_daily` measurements: issued forecasts.
//!
//! | measurement | tags | fields | time |
//! |---|---|---|---|
//! | `forecast` | `station`, `parameter` (`pm25`, `pm10`, `o3`, `aqi`), `issue_time` (UTC time of day of the issue, `05:00`), `lead_day` (`1`, `2`, `3`: ⌈hours ahead / 24⌉) | `issued` (integer, unix ms), `value` (float), `model` (string) | the valid hour (hour-ending label) |
//! | `forecast_daily` | `station`, `issue_time`, `lead_day` (⌈(day start − issue) / 24 h⌉) | `issued` (integer, unix ms), `date` (string, ISO), `aqi` (integer, `-1` = none), `primary`, `abstained` (strings, codes joined by `;`), `pm25`, `pm10`, `o3_8h_max` (floats, `-1` = none), `model` (string), `missing` (string, JSON array of the [`Missing`](crate::store::Missing) entries as text), `aqi_low`, `aqi_high` (integers, the AQI range; `-1` = none; absent from points written before the range existed: none) | the start of the local day forecast |
//!
//! A forecast's key is (station, parameter, issued, valid). The issue time cannot be a tag
//! (one series per run would grow without bound) and cannot be a field alone (two runs for the
//! same valid hour would be one point). The tags `issue_time` and `lead_day` together with
//! the valid time determine the issue time exactly — two issues at the same time of day are
//! whole days apart, so their leads for one valid hour differ — while staying few: a network
//! issuing twice a day has stations × 4 × 2 × 3 hourly series (792 for the demo network). Every
//! point carries all its fields, so a rewrite replaces the whole forecast.
//!
//! Reads by issue time filter on the `issued` field (a scan of the measurement's time range,
//! unbounded here); reads by valid time use the point time.

use std::fmt::Write as _;

use chrono::{DateTime, NaiveDate, Timelike, Utc};

use super::line_protocol::{Line, LineError};
use super::query::{Row, Series, field_list, ident, time_range};
use super::schema::{NONE, PRECISION};
use super::{InfluxError, InfluxStore, push_filter};
use crate::store::forecasts::{
    check, join_pollutants, join_targets, split_pollutants, split_targets,
};
use crate::store::select::PageFn;
use crate::store::{
    DataKind, ForecastAxis, ForecastDay, ForecastHour, ForecastQuery, ForecastStore, Operation,
    StationId, StoreError, TimeSpan,
};

const READ: Operation = Operation::Read(DataKind::Forecasts);

/// Measurement of [`ForecastHour`]s.
pub(super) const FORECAST: &str = "forecast";
/// Measurement of [`ForecastDay`]s.
pub(super) const FORECAST_DAILY: &str = "forecast_daily";
/// Fields of `forecast`.
pub(super) const HOUR_FIELDS: [&str; 3] = ["issued", "value", "model"];
/// Fields of `forecast_daily`.
pub(super) const DAY_FIELDS: [&str; 12] = [
    "issued",
    "date",
    "aqi",
    "primary",
    "pm25",
    "pm10",
    "o3_8h_max",
    "model",
    "abstained",
    "missing",
    "aqi_low",
    "aqi_high",
];

const DAY_MS: i64 = 86_400_000;

/// The `issue_time` tag: `HH:MM`, with seconds and milliseconds when they are not zero.
fn issue_time(issued: DateTime<Utc>) -> String {
    if issued.second() == 0 && issued.timestamp_subsec_millis() == 0 {
        issued.format("%H:%M").to_string()
    } else {
        issued.format("%H:%M:%S%.3f").to_string()
    }
}

/// The `lead_day` tag: ⌈(valid − issued) / 24 h⌉ in milliseconds.
fn lead_day(issued: DateTime<Utc>, valid: DateTime<Utc>) -> String {
    let d = valid.timestamp_millis() - issued.timestamp_millis();
    (d.div_euclid(DAY_MS) + i64::from(d.rem_euclid(DAY_MS) != 0)).to_string()
}

fn stamp(time: DateTime<Utc>, what: &dyn Fn() -> String) -> Result<i64, InfluxError> {
    PRECISION
        .timestamp(time)
        .ok_or_else(|| InfluxError::Invalid {
            what: format!("{}: time {time} is outside 1677–2262", what()),
        })
}

fn invalid(what: String, e: LineError) -> InfluxError {
    InfluxError::Invalid {
        what: format!("{what}: {e}"),
    }
}

/// Appends the point of an hourly forecast.
fn encode_hour(buf: &mut String, h: &ForecastHour) -> Result<(), InfluxError> {
    let whose = || {
        format!(
            "forecast {} {} issued {} for {}",
            h.station, h.parameter, h.issued, h.valid
        )
    };
    let ts = stamp(h.valid, &whose)?;
    let issued = stamp(h.issued, &whose)?;
    let mut line = || -> Result<(), LineError> {
        let mut l = Line::new(buf, FORECAST)?;
        l.tag("issue_time", &issue_time(h.issued))?
            .tag("lead_day", &lead_day(h.issued, h.valid))?
            .tag("parameter", h.parameter.code())?
            .tag("station", &h.station)?;
        l.int("issued", issued)?
            .float("value", h.value)?
            .string("model", &h.model)?;
        l.end(ts)
    };
    line().map_err(|e| invalid(whose(), e))
}

/// Appends the point of a daily forecast.
fn encode_day(buf: &mut String, d: &ForecastDay) -> Result<(), InfluxError> {
    let whose = || {
        format!(
            "daily forecast {} issued {} for {}",
            d.station, d.issued, d.date
        )
    };
    let ts = stamp(d.time, &whose)?;
    let issued = stamp(d.issued, &whose)?;
    let missing = serde_json::to_string(&d.missing).map_err(|e| InfluxError::Invalid {
        what: format!("{}: missing: {e}", whose()),
    })?;
    let mut line = || -> Result<(), LineError> {
        let mut l = Line::new(buf, FORECAST_DAILY)?;
        l.tag("issue_time", &issue_time(d.issued))?
            .tag("lead_day", &lead_day(d.issued, d.time))?
            .tag("station", &d.station)?;
        l.int("issued", issued)?
            .string("date", &d.date.to_string())?
            .int("aqi", d.aqi.map_or(NONE, i64::from))?
            .string("primary", &join_pollutants(&d.primary))?
            .float("pm25", d.pm25.unwrap_or(NONE as f64))?
            .float("pm10", d.pm10.unwrap_or(NONE as f64))?
            .float("o3_8h_max", d.o3_8h_max.unwrap_or(NONE as f64))?
            .string("model", &d.model)?
            .string("abstained", &join_targets(&d.abstained))?
            .string("missing", &missing)?
            .int("aqi_low", d.aqi_low.map_or(NONE, i64::from))?
            .int("aqi_high", d.aqi_high.map_or(NONE, i64::from))?;
        l.end(ts)
    };
    line().map_err(|e| invalid(whose(), e))
}

/// The statement reading `fields` of `measurement` selected by `query`, grouped by `group`.
fn statement(measurement: &str, fields: &[&str], query: &ForecastQuery, group: &str) -> String {
    let mut q = format!(
        "SELECT {} FROM {} WHERE ",
        field_list(fields),
        ident(measurement)
    );
    match query.axis {
        ForecastAxis::Valid => q.push_str(&time_range(query.from, query.to)),
        ForecastAxis::Issued => {
            let _ = write!(
                q,
                "{0} >= {1} AND {0} < {2}",
                ident("issued"),
                query.from.timestamp_millis(),
                query.to.timestamp_millis()
            );
        }
    }
    push_filter(&mut q, "station", &query.stations);
    q.push_str(" GROUP BY ");
    q.push_str(group);
    q
}

fn corrupt(reason: String) -> InfluxError {
    InfluxError::Corrupt { reason }
}

fn millis(ms: i64, whose: &str) -> Result<DateTime<Utc>, InfluxError> {
    DateTime::from_timestamp_millis(ms)
        .ok_or_else(|| corrupt(format!("issue time {ms} ms out of range ({whose})")))
}

pub(super) fn decode_hours(
    series: &[Series],
    out: &mut Vec<ForecastHour>,
) -> Result<(), InfluxError> {
    for s in series {
        let station: StationId = s.tag("station")?.into();
        let code = s.tag("parameter")?;
        let parameter = code
            .parse()
            .map_err(|e| corrupt(format!("{e} ({station})")))?;
        let [t, issued, value, model] = ["time", "issued", "value", "model"].map(|c| s.column(c));
        let (t, issued, value, model) = (t?, issued?, value?, model?);
        for row in &s.values {
            let row = Row::new(s, row);
            out.push(ForecastHour {
                station: station.clone(),
                parameter,
                issued: millis(row.at(issued).i64()?, &station)?,
                valid: row.at(t).millis()?,
                value: row.at(value).f64()?,
                model: row.at(model).str()?.to_string(),
            });
        }
    }
    Ok(())
}

pub(super) fn decode_days(
    series: &[Series],
    out: &mut Vec<ForecastDay>,
) -> Result<(), InfluxError> {
    for s in series {
        let station: StationId = s.tag("station")?.into();
        let t = s.column("time")?;
        let cols = s.columns(DAY_FIELDS)?;
        for row in &s.values {
            let row = Row::new(s, row);
            let cell = |i: usize| row.at(cols[i]);
            let opt = |i: usize| -> Result<Option<f64>, InfluxError> {
                let v = cell(i).f64()?;
                Ok((v != NONE as f64).then_some(v))
            };
            let whose = |what: String| corrupt(format!("{what} (daily forecast of {station})"));
            let whole = |i: usize, what: &str| -> Result<Option<u32>, InfluxError> {
                if cell(i).is_null() {
                    return Ok(None);
                }
                match cell(i).i64()? {
                    NONE => Ok(None),
                    v => Ok(Some(
                        u32::try_from(v).map_err(|_| whose(format!("{what} {v}")))?,
                    )),
                }
            };
            let date = cell(1).str()?;
            out.push(ForecastDay {
                station: station.clone(),
                date: date
                    .parse::<NaiveDate>()
                    .map_err(|_| whose(format!("date `{date}`")))?,
                time: row.at(t).millis()?,
                issued: millis(cell(0).i64()?, &station)?,
                aqi: whole(2, "AQI")?,
                aqi_low: whole(10, "AQI range low")?,
                aqi_high: whole(11, "AQI range high")?,
                primary: split_pollutants(cell(3).str()?).map_err(whose)?,
                pm25: opt(4)?,
                pm10: opt(5)?,
                o3_8h_max: opt(6)?,
                model: cell(7).str()?.to_string(),
                abstained: split_targets(cell(8).str()?).map_err(whose)?,
                missing: serde_json::from_str(cell(9).str()?)
                    .map_err(|e| whose(format!("missing: {e}")))?,
            });
        }
    }
    Ok(())
}

impl ForecastStore for InfluxStore {
    fn put_forecasts(
        &mut self,
        hours: &[ForecastHour],
        days: &[ForecastDay],
    ) -> Result<usize, StoreError> {
        let put = || -> Result<(), InfluxError> {
            check(hours, days).map_err(|what| InfluxError::Invalid { what })?;
            // `send` checks its items before sending; check the days too before the hours go.
            let mut probe = String::new();
            for d in days {
                encode_day(&mut probe, d)?;
            }
            self.send(hours, encode_hour)?;
            self.send(days, encode_day)
        };
        put().map_err(self.fail(Operation::Put(DataKind::Forecasts)))?;
        Ok(hours.len() + days.len())
    }

    fn forecast_hours_paged(
        &self,
        query: &ForecastQuery,
        page_size: usize,
        each: &mut PageFn<'_, ForecastHour>,
    ) -> Result<(), StoreError> {
        if query.is_empty() {
            return Ok(());
        }
        let q = statement(FORECAST, &HOUR_FIELDS, query, "\"station\", \"parameter\"");
        self.select_paged(READ, &q, page_size, decode_hours, each)
    }

    fn forecast_days_paged(
        &self,
        query: &ForecastQuery,
        page_size: usize,
        each: &mut PageFn<'_, ForecastDay>,
    ) -> Result<(), StoreError> {
        if query.is_empty() {
            return Ok(());
        }
        let q = statement(FORECAST_DAILY, &DAY_FIELDS, query, "\"station\"");
        self.select_paged(READ, &q, page_size, decode_days, each)
    }

    fn forecasts_span(&self) -> Result<Option<TimeSpan>, StoreError> {
        let mut span = None;
        for measurement in [FORECAST, FORECAST_DAILY] {
            let [min, max] = ["min", "max"].map(|f| {
                let q = format!(
                    "SELECT {f}({}) FROM {}",
                    ident("issued"),
                    ident(measurement)
                );
                (q, f)
            });
            span = TimeSpan::union(span, self.span([min, max], READ)?);
        }
        Ok(span)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn issue_times_and_leads_identify_the_issue() {
        let issued = Utc.with_ymd_and_hms(2025, 6, 1, 21, 0, 0).unwrap();
        assert_eq!(issue_time(issued), "21:00");
        let odd = issued + chrono::TimeDelta::milliseconds(1500);
        assert_eq!(issue_time(odd), "21:00:01.500");
        let h = |n: i64| issued + chrono::TimeDelta::hours(n);
        assert_eq!(lead_day(issued, h(1)), "1");
        assert_eq!(lead_day(issued, h(24)), "1");
        assert_eq!(lead_day(issued, h(25)), "2");
        assert_eq!(lead_day(issued, h(72)), "3");
        // The same valid hour from the issue a day later has the lead one less.
        let next = issued + chrono::TimeDelta::days(1);
        assert_eq!(lead_day(next, h(25)), "1");
        assert_eq!(lead_day(issued, h(-3)), "0");
    }
}
