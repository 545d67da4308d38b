//! Reading single cells: missing values, numbers, compass points, hour labels; plausibility
//! checks of values.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeDelta, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use csv::StringRecord;

use crate::units::Parameter;

/// True for the spellings of a missing value: empty, `NA`, `N/A`, `NaN`, `nan`, `-`.
pub fn is_missing(text: &str) -> bool {
    matches!(text.trim(), "" | "NA" | "N/A" | "NaN" | "nan" | "-")
}

/// Parses a finite number.
pub(crate) fn parse_number(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(format!("cannot read `{}` as a number", shown(text))),
    }
}

/// A cell's text for a message: control characters escaped, at most 40 characters.
pub(crate) fn shown(text: &str) -> String {
    let mut out: String = text.chars().take(40).flat_map(char::escape_debug).collect();
    if text.chars().nth(40).is_some() {
        out.push('…');
    }
    out
}

/// Plausibility checks that hold for every source: no negative concentrations, wind speeds
/// or rain; wind directions within 0–360°.
pub(crate) fn check_value(parameter: Parameter, value: f64) -> Result<f64, String> {
    let negative_is_wrong =
        parameter.is_pollutant() || matches!(parameter, Parameter::WindSpeed | Parameter::Rain);
    if negative_is_wrong && value < 0.0 {
        let what = if parameter.is_pollutant() {
            "concentration"
        } else {
            "value"
        };
        return Err(format!("negative {what} {value}"));
    }
    if parameter == Parameter::WindDirection && !(0.0..=360.0).contains(&value) {
        return Err(format!("wind direction {value} outside 0–360°"));
    }
    Ok(value)
}

/// The 16 compass points, clockwise from north.
const COMPASS: [&str; 16] = [
    "N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE", "S", "SSW", "SW", "WSW", "W", "WNW", "NW",
    "NNW",
];

/// Degrees clockwise from north of a 16-point compass name (`N` 0, `NNE` 22.5, … `NNW`
/// 337.5; case-insensitive).
pub fn compass_degrees(text: &str) -> Option<f64> {
    let t = text.trim();
    COMPASS
        .iter()
        .position(|p| p.eq_ignore_ascii_case(t))
        .map(|i| i as f64 * 22.5)
}

/// A local wall-clock time in `tz` → UTC. A time that falls twice (the hour after the end of
/// daylight saving time) is taken the first time; one that does not exist is an error.
pub(crate) fn local_to_utc(naive: NaiveDateTime, tz: Tz) -> Result<DateTime<Utc>, String> {
    match tz.from_local_datetime(&naive).earliest() {
        Some(t) => Ok(t.to_utc()),
        None => Err(format!(
            "{} does not exist in time zone {tz} (daylight-saving gap)",
            naive.format("%Y-%m-%d %H:%M")
        )),
    }
}

/// A date and an hour 0–24 (24 = midnight at the end of the day) in `tz` → UTC.
pub(crate) fn date_hour_to_utc(
    date: NaiveDate,
    hour: u32,
    tz: Tz,
) -> Result<DateTime<Utc>, String> {
    if hour > 24 {
        return Err(format!("hour {hour} outside 0–24"));
    }
    let midnight = date.and_time(Default::default());
    local_to_utc(midnight + TimeDelta::hours(i64::from(hour)), tz)
}

/// Parses an hour label: RFC 3339 (`2016-02-29T08:00:00+08:00`), or `YYYY-MM-DD HH:MM[:SS]`
/// (also with `T`) in `tz`; `24:00` is midnight at the end of the day. The time must be on
/// the hour.
pub(crate) fn parse_hour_label(text: &str, tz: Tz) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    let bad = || {
        format!(
            "cannot read time `{}` (use RFC 3339 or YYYY-MM-DD HH:MM, local time in {tz})",
            shown(text)
        )
    };
    let (minute, second, nanos, utc) = if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        (t.minute(), t.second(), t.nanosecond(), t.to_utc())
    } else {
        let naive = [
            "%Y-%m-%d %H:%M",
            "%Y-%m-%d %H:%M:%S",
            "%Y-%m-%dT%H:%M",
            "%Y-%m-%dT%H:%M:%S",
        ]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok());
        let naive = match naive {
            Some(n) => n,
            None => {
                // `2016-02-29 24:00`: the end of the day.
                let (date, _) = text
                    .split_once([' ', 'T'])
                    .filter(|(_, c)| matches!(*c, "24:00" | "24:00:00"))
                    .ok_or_else(bad)?;
                let date = NaiveDate::parse_from_str(date, "%Y-%m-%d").map_err(|_| bad())?;
                return date_hour_to_utc(date, 24, tz);
            }
        };
        (
            naive.minute(),
            naive.second(),
            naive.nanosecond(),
            local_to_utc(naive, tz)?,
        )
    };
    if (minute, second, nanos) != (0, 0, 0) {
        return Err(format!("time `{}` is not on the hour", shown(text)));
    }
    Ok(utc)
}

/// Finds a header column by name (ASCII case-insensitive).
pub(crate) fn column(header: &StringRecord, name: &str) -> Option<usize> {
    header
        .iter()
        .position(|h| h.trim().eq_ignore_ascii_case(name))
}
