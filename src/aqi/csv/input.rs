//! Reading a CSV of concentrations (the input of `lantian aqi` and `lantian nowcast`): the
//! header (`code[unit]` columns against the ones a computation allows), times, values, the
//! key of a row, and the problems of bad rows, each naming its line and field.

use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, NaiveDateTime};

use crate::aqi::Pollutant;
use crate::units::{Conversion, Parameter, ReferenceState, Unit, UnitError};

/// A pollutant column an input may have.
#[derive(Debug, Clone, Copy)]
pub struct ColumnSpec {
    /// Header code.
    pub code: &'static str,
    /// Measured parameter.
    pub parameter: Parameter,
    /// The term whose sub-index goes to `iaqi_<code>`; `None` for auxiliary columns.
    pub term: Option<Pollutant>,
}

/// A pollutant column found in the header.
#[derive(Debug, Clone)]
pub struct Column {
    /// Index in the record.
    pub index: usize,
    /// The header text, as given.
    pub header: String,
    /// What it holds.
    pub spec: ColumnSpec,
    /// The unit values are given in.
    pub unit: Unit,
    /// Unit → canonical.
    pub to_canonical: Conversion,
}

/// The parsed header.
#[derive(Debug)]
pub struct Header {
    /// All header cells, as given.
    pub names: Vec<String>,
    /// Index of `time`.
    pub time: usize,
    /// Index of `station`, if any.
    pub station: Option<usize>,
    /// Pollutant columns, in input order.
    pub columns: Vec<Column>,
}

/// A header that cannot be used: the input is refused as a whole.
#[derive(Debug, thiserror::Error)]
pub enum HeaderError {
    /// A column (1-based) that is wrong.
    #[error("column {column} `{name}`: {reason}")]
    Column {
        /// 1-based.
        column: usize,
        /// As written.
        name: String,
        /// What is wrong with it.
        reason: ColumnProblem,
    },
    /// No `time` column.
    #[error("the header has no `time` column")]
    NoTime,
    /// The header row could not be read.
    #[error("reading the header: {0}")]
    Unreadable(#[source] ::csv::Error),
}

/// What is wrong with a header's column.
#[derive(Debug, thiserror::Error)]
pub enum ColumnProblem {
    /// `code[unit` without `]`.
    #[error("unclosed `[` in the unit")]
    UnclosedUnit,
    /// The same code twice.
    #[error("duplicate column `{0}`")]
    Duplicate(String),
    /// `time[…]`, `station[…]`.
    #[error("`{0}` takes no unit")]
    TakesNoUnit(String),
    /// A code the computation does not know.
    #[error("unknown column `{code}` (expected time, station, {expected})")]
    Unknown {
        /// The code.
        code: String,
        /// The codes allowed, joined.
        expected: String,
    },
    /// An unknown unit, or one the parameter cannot be expressed in.
    #[error(transparent)]
    Unit(#[from] UnitError),
}

/// Parses a header against the allowed columns.
pub fn parse_header(names: &[String], allowed: &[ColumnSpec]) -> Result<Header, HeaderError> {
    let mut time = None;
    let mut station = None;
    let mut columns: Vec<Column> = Vec::new();
    let mut seen = HashSet::new();
    for (index, raw) in names.iter().enumerate() {
        let fail = |reason: ColumnProblem| HeaderError::Column {
            column: index + 1,
            name: raw.clone(),
            reason,
        };
        let name = raw.trim().trim_start_matches('\u{feff}');
        let (code, unit_text) = match name.split_once('[') {
            Some((code, rest)) => match rest.strip_suffix(']') {
                Some(unit) => (code.trim(), Some(unit.trim())),
                None => return Err(fail(ColumnProblem::UnclosedUnit)),
            },
            None => (name, None),
        };
        let code = code.to_ascii_lowercase();
        if !seen.insert(code.clone()) {
            return Err(fail(ColumnProblem::Duplicate(code)));
        }
        match (code.as_str(), unit_text) {
            ("time", None) => time = Some(index),
            ("station", None) => station = Some(index),
            ("time" | "station", Some(_)) => return Err(fail(ColumnProblem::TakesNoUnit(code))),
            _ => {
                let Some(spec) = allowed.iter().find(|s| s.code == code) else {
                    let list: Vec<&str> = allowed.iter().map(|s| s.code).collect();
                    return Err(fail(ColumnProblem::Unknown {
                        code,
                        expected: list.join(", "),
                    }));
                };
                let unit = match unit_text {
                    Some(u) => Unit::from_str(u).map_err(|e| fail(e.into()))?,
                    None => spec.parameter.canonical_unit(),
                };
                let to_canonical =
                    Conversion::to_canonical(spec.parameter, unit, &ReferenceState::default())
                        .map_err(|e| fail(e.into()))?;
                columns.push(Column {
                    index,
                    header: raw.clone(),
                    spec: *spec,
                    unit,
                    to_canonical,
                });
            }
        }
    }
    let time = time.ok_or(HeaderError::NoTime)?;
    Ok(Header {
        names: names.to_vec(),
        time,
        station,
        columns,
    })
}

/// A CSV reader as the inputs are read: rows of any length (checked per row), cells trimmed.
pub fn reader<R: std::io::Read>(input: R) -> ::csv::Reader<R> {
    ::csv::ReaderBuilder::new()
        .flexible(true)
        .trim(::csv::Trim::All)
        .from_reader(input)
}

/// Reads the header of `reader` against `allowed`: the names as written and the parsed header.
pub fn read_header<R: std::io::Read>(
    reader: &mut ::csv::Reader<R>,
    allowed: &[ColumnSpec],
) -> Result<(Vec<String>, Header), HeaderError> {
    let names: Vec<String> = reader
        .headers()
        .map_err(HeaderError::Unreadable)?
        .iter()
        .map(str::to_string)
        .collect();
    let header = parse_header(&names, allowed)?;
    Ok((names, header))
}

/// Parses a time: RFC 3339 (taken in UTC), or `YYYY-MM-DD[ HH:MM[:SS]]` (`T` allowed).
pub fn parse_time(text: &str) -> Option<NaiveDateTime> {
    let t = text.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Some(dt.naive_utc());
    }
    for fmt in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
        "%Y/%m/%d %H:%M",
        "%Y/%m/%d %H:%M:%S",
    ] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(t, fmt) {
            return Some(dt);
        }
    }
    ["%Y-%m-%d", "%Y/%m/%d"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(t, f).ok())
        .map(|d| d.and_time(Default::default()))
}

/// A cell value: `Ok(None)` for missing (empty, NA, -, -;), `Err` with a message if bad.
pub fn parse_value(text: &str) -> Result<Option<f64>, String> {
    let t = text.trim();
    if t.is_empty() || t.eq_ignore_ascii_case("na") || t == "-" || t == "-;" {
        return Ok(None);
    }
    match t.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(Some(v)),
        _ => Err(format!("`{t}` is not a number")),
    }
}

/// A problem of one row: an error (the row's results are left empty, or the row left out when
/// unreadable) or a warning.
#[derive(Debug, Clone, PartialEq)]
pub struct RowProblem {
    /// The line (1-based, as editors count).
    pub line: u64,
    /// The field (the column's header as written), when one is to blame.
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
    /// A warning: the row is computed all the same.
    pub warning: bool,
}

impl fmt::Display for RowProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}", self.line)?;
        if let Some(field) = &self.field {
            write!(f, ", column `{field}`")?;
        }
        if self.warning {
            write!(f, ": warning")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// What a run over an input found, counted; each problem goes to the caller's `report` as it
/// is found.
pub struct Problems<'a> {
    report: &'a mut dyn FnMut(RowProblem),
    /// Rows read with at least one error (written with empty results).
    pub bad_rows: usize,
    /// Rows the CSV reader could not read (left out of the output).
    pub unreadable_rows: usize,
    /// Warnings.
    pub warnings: usize,
}

impl fmt::Debug for Problems<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Problems")
            .field("bad_rows", &self.bad_rows)
            .field("unreadable_rows", &self.unreadable_rows)
            .field("warnings", &self.warnings)
            .finish()
    }
}

impl<'a> Problems<'a> {
    /// Problems handed to `report`.
    pub fn new(report: &'a mut dyn FnMut(RowProblem)) -> Problems<'a> {
        Problems {
            report,
            bad_rows: 0,
            unreadable_rows: 0,
            warnings: 0,
        }
    }

    /// An error on `line`, in `field` when one is to blame.
    pub fn error(&mut self, line: u64, field: Option<&str>, message: String) {
        (self.report)(RowProblem {
            line,
            field: field.map(str::to_string),
            message,
            warning: false,
        });
    }

    /// A warning on `line` in `field`.
    pub fn warn(&mut self, line: u64, field: &str, message: String) {
        self.warnings += 1;
        (self.report)(RowProblem {
            line,
            field: Some(field.to_string()),
            message,
            warning: true,
        });
    }

    /// A row the CSV reader could not read (left out).
    pub fn unreadable(&mut self, e: &::csv::Error) {
        let line = e.position().map_or(0, ::csv::Position::line);
        self.error(line, None, format!("unreadable row (left out): {e}"));
        self.unreadable_rows += 1;
    }

    /// The counts, once the input is read.
    pub fn summary(&self, rows: usize) -> Summary {
        Summary {
            rows,
            bad_rows: self.bad_rows,
            unreadable_rows: self.unreadable_rows,
            warnings: self.warnings,
        }
    }
}

/// The counts of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// Rows read (and written).
    pub rows: usize,
    /// Rows written with empty results.
    pub bad_rows: usize,
    /// Rows left out.
    pub unreadable_rows: usize,
    /// Warnings.
    pub warnings: usize,
}

impl Summary {
    /// Whether anything was reported.
    pub fn any(&self) -> bool {
        self.bad_rows > 0 || self.unreadable_rows > 0 || self.warnings > 0
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unreadable = match self.unreadable_rows {
            0 => String::new(),
            n => format!(", {n} unreadable (left out)"),
        };
        write!(
            f,
            "{} rows read, {} bad (written with empty results){unreadable}, {} warnings",
            self.rows, self.bad_rows, self.warnings
        )
    }
}

/// The line number of a record (1-based, as editors count).
pub fn line_of(record: &::csv::StringRecord) -> u64 {
    record.position().map_or(0, ::csv::Position::line)
}

/// Checks the common cells of a row: field count, time, duplicate key. Returns the key.
pub fn row_key(
    header: &Header,
    record: &::csv::StringRecord,
    seen: &mut HashSet<(NaiveDateTime, String)>,
    problems: &mut Problems<'_>,
) -> Option<(NaiveDateTime, String)> {
    let line = line_of(record);
    if record.len() != header.names.len() {
        problems.error(
            line,
            None,
            format!(
                "{} fields, the header has {}",
                record.len(),
                header.names.len()
            ),
        );
        return None;
    }
    let time_text = record.get(header.time).unwrap_or("");
    let Some(time) = parse_time(time_text) else {
        problems.error(
            line,
            Some("time"),
            format!("cannot read time `{time_text}`"),
        );
        return None;
    };
    let station = header
        .station
        .and_then(|i| record.get(i))
        .unwrap_or("")
        .to_string();
    let key = (time, station);
    if !seen.insert(key.clone()) {
        problems.error(
            line,
            Some("time"),
            format!("duplicate row for time `{time_text}`, station `{}`", key.1),
        );
        return None;
    }
    Some(key)
}
