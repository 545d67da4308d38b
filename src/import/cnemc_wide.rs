//! CNEMC's daily wide files, as analysts download them (`china_sites_YYYYMMDD.csv`):
//!
//! ```text
//! date,hour,type,1001A,1002A,…
//! 20190101,0,AQI,73,,…
//! 20190101,0,PM2.5,53,36,…
//! ```
//!
//! One row per hour and value type, one column per station code. `date` is `YYYYMMDD`, `hour`
//! 0–23 in Beijing time, and `date hour:00` is CNEMC's hour-ending timepoint (hour 0 of a file
//! is the timepoint `D 00:00`, the last hour of the previous day). The types read are the
//! 1-hour values `SO2`, `NO2`, `PM10`, `PM2.5`, `CO` (mg/m³) and `O3`; the published statistics
//! (`AQI`, `*_24h`, `O3_8h`, `O3_8h_24h`) are skipped — lantian computes its own from the
//! hourly values. Any other type rejects its row with an issue.
//!
//! A file's rows are grouped by hour (the rows of one hour are consecutive) and each station
//! with a value becomes one station-hour, as in the long layout; its line is the first line of
//! the hour. A station code that appears twice in the header (the source has one) is read from
//! its first column; every cell where the repeated column disagrees with it (another value, or
//! a value where the first is empty) is reported as a rejected value, so nothing is dropped
//! silently. An unknown station code rejects that station's hours, as in the long layout.

use std::io::Read;
use std::path::Path;

use chrono::NaiveDate;
use csv::StringRecord;

use super::cnemc::{BEIJING, NationalStations};
use super::input::unreadable_row;
use super::row::{Row, RowParser, StationMeta};
use super::values::{check_value, date_hour_to_utc, is_missing, parse_number, shown};
use super::{ImportError, Progress};
use crate::store::StationInfo;
use crate::units::Parameter;

/// The first three columns of the layout.
const KEY_COLUMNS: [&str; 3] = ["date", "hour", "type"];

/// The hourly value types and what they hold.
const VALUE_TYPES: [(&str, Parameter); 6] = [
    ("SO2", Parameter::So2),
    ("NO2", Parameter::No2),
    ("PM10", Parameter::Pm10),
    ("PM2.5", Parameter::Pm25),
    ("CO", Parameter::Co),
    ("O3", Parameter::O3),
];

/// The published statistics, skipped.
const STATISTIC_TYPES: [&str; 9] = [
    "AQI",
    "PM2.5_24h",
    "PM10_24h",
    "SO2_24h",
    "NO2_24h",
    "O3_24h",
    "O3_8h",
    "O3_8h_24h",
    "CO_24h",
];

/// True when `header` starts `date,hour,type`.
pub(super) fn is_wide_header(header: &StringRecord) -> bool {
    header.len() > KEY_COLUMNS.len()
        && KEY_COLUMNS
            .iter()
            .zip(header.iter())
            .all(|(k, h)| k.eq_ignore_ascii_case(h))
}

/// A station column, and the later columns repeating its code.
struct StationColumn {
    index: usize,
    code: String,
    repeats: Vec<usize>,
}

/// One file of the wide layout, read an hour at a time.
pub(super) struct WideDay {
    columns: Vec<StationColumn>,
    stations: NationalStations,
}

/// The station half of a [`RowParser`] for the wide layout (rows are made by [`WideDay`]).
pub(super) struct WideStations(NationalStations);

impl RowParser for WideStations {
    fn parse(&self, _record: &StringRecord, _row: &mut Row) -> Result<(), String> {
        Err("the wide layout is read an hour at a time".to_string())
    }

    fn new_station(&self, id: &str, _label: &str, _meta: &StationMeta) -> StationInfo {
        self.0.station(id)
    }
}

/// The values of one hour being gathered: per station column, six values and the issues.
struct Hour {
    date: NaiveDate,
    hour: u32,
    line: u64,
    values: Vec<[f64; 6]>,
    issues: Vec<Vec<String>>,
    types_seen: Vec<(usize, u64)>,
}

impl WideDay {
    /// Checks the header (`date,hour,type,<codes…>`).
    pub(super) fn new(
        header: &StringRecord,
        stations: &NationalStations,
    ) -> Result<(WideDay, WideStations), String> {
        let mut columns: Vec<StationColumn> = Vec::new();
        for (index, code) in header.iter().enumerate().skip(KEY_COLUMNS.len()) {
            if code.is_empty() {
                return Err(format!("column {} has no station code", index + 1));
            }
            match columns.iter_mut().find(|c| c.code == code) {
                Some(first) => first.repeats.push(index),
                None => columns.push(StationColumn {
                    index,
                    code: code.to_string(),
                    repeats: Vec::new(),
                }),
            }
        }
        let day = WideDay {
            columns,
            stations: stations.clone(),
        };
        Ok((day, WideStations(stations.clone())))
    }

    /// Reads every row, calling `each` once per station-hour with a value (or an issue).
    pub(super) fn scan(
        self,
        reader: &mut csv::Reader<Box<dyn Read>>,
        fields: usize,
        path: &Path,
        progress: &dyn Progress,
        mut each: impl FnMut(u64, Result<&Row, String>) -> Result<(), ImportError>,
    ) -> Result<(), ImportError> {
        let mut record = StringRecord::new();
        let mut hour: Option<Hour> = None;
        let mut row = Row::default();
        let mut reported = 0u64;
        loop {
            let line = match reader.read_record(&mut record) {
                Ok(false) => break,
                Ok(true) => record.position().map_or(0, |p| p.line()),
                Err(e) => {
                    let line = e.position().map_or(0, |p| p.line());
                    each(line, Err(unreadable_row(e, path)?))?;
                    continue;
                }
            };
            if record.len() != fields {
                let message = format!(
                    "{} fields where the header has {fields}; row skipped",
                    record.len()
                );
                each(line, Err(message))?;
                continue;
            }
            let (date, h, kind) = match read_key(&record) {
                Ok(key) => key,
                Err(e) => {
                    each(line, Err(format!("{e}; row skipped")))?;
                    continue;
                }
            };
            if hour.as_ref().is_some_and(|x| (x.date, x.hour) != (date, h))
                && let Some(done) = hour.take()
            {
                self.emit(done, &mut row, &mut each)?;
            }
            let current = hour.get_or_insert_with(|| Hour {
                date,
                hour: h,
                line,
                values: vec![[f64::NAN; 6]; self.columns.len()],
                issues: vec![Vec::new(); self.columns.len()],
                types_seen: Vec::new(),
            });
            match kind {
                Kind::Value(slot) => {
                    if let Some(&(_, first)) = current.types_seen.iter().find(|t| t.0 == slot) {
                        let message = format!(
                            "type {} of {date} hour {h} repeats line {first}; row skipped",
                            VALUE_TYPES[slot].0
                        );
                        each(line, Err(message))?;
                        continue;
                    }
                    current.types_seen.push((slot, line));
                    self.read_values(&record, slot, line, current);
                }
                Kind::Statistic => {}
            }
            let byte = reader.position().byte();
            if byte - reported > 1 << 20 {
                progress.advance(byte - reported);
                reported = byte;
            }
        }
        if let Some(done) = hour.take() {
            self.emit(done, &mut row, &mut each)?;
        }
        progress.advance(reader.position().byte().saturating_sub(reported));
        Ok(())
    }

    /// Reads one type row's cells into the hour.
    fn read_values(&self, record: &StringRecord, slot: usize, line: u64, hour: &mut Hour) {
        let (type_name, parameter) = VALUE_TYPES[slot];
        let value = |text: &str| parse_number(text).and_then(|v| check_value(parameter, v));
        for (i, column) in self.columns.iter().enumerate() {
            let text = record.get(column.index).unwrap_or("");
            let first = if is_missing(text) {
                None
            } else {
                match value(text) {
                    Ok(v) => {
                        hour.values[i][slot] = v;
                        Some(v)
                    }
                    Err(e) => {
                        hour.issues[i].push(format!(
                            "line {line}, {type_name} of station {}: {e}; value skipped",
                            column.code
                        ));
                        None
                    }
                }
            };
            for &repeat in &column.repeats {
                let other = record.get(repeat).unwrap_or("");
                if is_missing(other) {
                    continue;
                }
                if value(other).ok() != first {
                    hour.issues[i].push(format!(
                        "line {line}, {type_name}: column {} repeats station {} of column {} \
                         with `{}`; the first column's value is kept",
                        repeat + 1,
                        column.code,
                        column.index + 1,
                        shown(other)
                    ));
                }
            }
        }
    }

    /// Hands the hour's station-hours to `each`.
    fn emit(
        &self,
        hour: Hour,
        row: &mut Row,
        each: &mut impl FnMut(u64, Result<&Row, String>) -> Result<(), ImportError>,
    ) -> Result<(), ImportError> {
        let time = match date_hour_to_utc(hour.date, hour.hour, BEIJING) {
            Ok(t) => t,
            Err(e) => return each(hour.line, Err(format!("{e}; hour skipped"))),
        };
        for (i, column) in self.columns.iter().enumerate() {
            let values = &hour.values[i];
            let issues = &hour.issues[i];
            if values.iter().all(|v| v.is_nan()) && issues.is_empty() {
                continue;
            }
            if !self.stations.contains(&column.code) {
                each(hour.line, Err(NationalStations::unknown(&column.code)))?;
                continue;
            }
            row.clear();
            row.time = Some(time);
            row.station.push_str(&column.code);
            row.label.push_str(&column.code);
            for (slot, &v) in values.iter().enumerate() {
                if !v.is_nan() {
                    row.values.push((VALUE_TYPES[slot].1, v));
                }
            }
            row.value_issues.extend(issues.iter().cloned());
            each(hour.line, Ok(row))?;
        }
        Ok(())
    }
}

/// What a row's `type` is.
enum Kind {
    /// An hourly value: the slot in [`VALUE_TYPES`].
    Value(usize),
    /// A published statistic (skipped).
    Statistic,
}

/// The date, hour and type of a row.
fn read_key(record: &StringRecord) -> Result<(NaiveDate, u32, Kind), String> {
    let date_text = record.get(0).unwrap_or("");
    let date = NaiveDate::parse_from_str(date_text, "%Y%m%d")
        .map_err(|_| format!("cannot read date `{}` (YYYYMMDD)", shown(date_text)))?;
    let hour_text = record.get(1).unwrap_or("");
    let hour = hour_text
        .parse::<u32>()
        .ok()
        .filter(|h| *h < 24)
        .ok_or_else(|| format!("cannot read hour `{}` (0–23)", shown(hour_text)))?;
    let type_text = record.get(2).unwrap_or("");
    let kind = if let Some(slot) = VALUE_TYPES.iter().position(|t| t.0 == type_text) {
        Kind::Value(slot)
    } else if STATISTIC_TYPES.contains(&type_text) {
        Kind::Statistic
    } else {
        return Err(format!(
            "unknown type `{}` (expected {} or a published statistic: {})",
            shown(type_text),
            VALUE_TYPES.map(|t| t.0).join(", "),
            STATISTIC_TYPES.join(", ")
        ));
    };
    Ok((date, hour, kind))
}
