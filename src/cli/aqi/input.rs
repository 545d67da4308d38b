//! CSV input shared by `lantian aqi` and `lantian nowcast`: header parsing (`code[unit]`),
//! time and value parsing, bad-row reports.

use std::collections::HashSet;
use std::io::Write;
use std::path::Path;
use std::str::FromStr;

use anyhow::{Context, bail};
use chrono::{DateTime, NaiveDate, NaiveDateTime};
use lantian::aqi::Pollutant;
use lantian::units::{Conversion, Parameter, ReferenceState, Unit};

/// A pollutant column the input may have.
#[derive(Debug, Clone, Copy)]
pub(in crate::cli) struct ColumnSpec {
    /// Header code.
    pub code: &'static str,
    /// Measured parameter.
    pub parameter: Parameter,
    /// The term whose sub-index goes to `iaqi_<code>`; `None` for auxiliary columns.
    pub term: Option<Pollutant>,
}

/// A pollutant column found in the header.
#[derive(Debug, Clone)]
pub(in crate::cli) struct Column {
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
pub(in crate::cli) struct Header {
    /// All header cells, as given.
    pub names: Vec<String>,
    /// Index of `time`.
    pub time: usize,
    /// Index of `station`, if any.
    pub station: Option<usize>,
    /// Pollutant columns, in input order.
    pub columns: Vec<Column>,
}

/// Parses a header against the allowed columns. Errors name the column.
fn parse_header(names: &[String], allowed: &[ColumnSpec]) -> anyhow::Result<Header> {
    let mut time = None;
    let mut station = None;
    let mut columns: Vec<Column> = Vec::new();
    let mut seen = HashSet::new();
    for (index, raw) in names.iter().enumerate() {
        let name = raw.trim().trim_start_matches('\u{feff}');
        let (code, unit_text) = match name.split_once('[') {
            Some((code, rest)) => match rest.strip_suffix(']') {
                Some(unit) => (code.trim(), Some(unit.trim())),
                None => bail!("column {} `{raw}`: unclosed `[` in the unit", index + 1),
            },
            None => (name, None),
        };
        let code = code.to_ascii_lowercase();
        if !seen.insert(code.clone()) {
            bail!("column {} `{raw}`: duplicate column `{code}`", index + 1);
        }
        match (code.as_str(), unit_text) {
            ("time", None) => time = Some(index),
            ("station", None) => station = Some(index),
            ("time" | "station", Some(_)) => {
                bail!("column {} `{raw}`: `{code}` takes no unit", index + 1)
            }
            _ => {
                let Some(spec) = allowed.iter().find(|s| s.code == code) else {
                    let list: Vec<&str> = allowed.iter().map(|s| s.code).collect();
                    bail!(
                        "column {} `{raw}`: unknown column `{code}` (expected time, station, {})",
                        index + 1,
                        list.join(", ")
                    );
                };
                let unit = match unit_text {
                    Some(u) => Unit::from_str(u)
                        .with_context(|| format!("column {} `{raw}`", index + 1))?,
                    None => spec.parameter.canonical_unit(),
                };
                let to_canonical =
                    Conversion::to_canonical(spec.parameter, unit, &ReferenceState::default())
                        .with_context(|| format!("column {} `{raw}`", index + 1))?;
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
    let Some(time) = time else {
        bail!("the header has no `time` column");
    };
    Ok(Header {
        names: names.to_vec(),
        time,
        station,
        columns,
    })
}

/// Parses a time: RFC 3339 (taken in UTC), or `YYYY-MM-DD[ HH:MM[:SS]]` (`T` allowed).
pub(in crate::cli) fn parse_time(text: &str) -> Option<NaiveDateTime> {
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
pub(in crate::cli) fn parse_value(text: &str) -> Result<Option<f64>, String> {
    let t = text.trim();
    if t.is_empty() || t.eq_ignore_ascii_case("na") || t == "-" || t == "-;" {
        return Ok(None);
    }
    match t.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(Some(v)),
        _ => Err(format!("`{t}` is not a number")),
    }
}

/// Reports bad input on stderr and counts it.
#[derive(Debug, Default)]
pub(in crate::cli) struct Reporter {
    /// Rows read with at least one error (written with empty results).
    pub bad_rows: usize,
    /// Rows the CSV reader could not read (left out of the output).
    pub unreadable_rows: usize,
    /// Warnings (not errors).
    pub warnings: usize,
}

impl Reporter {
    /// Reports a problem on a line, optionally in a column.
    pub(crate) fn error(&mut self, line: u64, column: Option<&str>, message: &str) {
        match column {
            Some(c) => eprintln!("line {line}, column `{c}`: {message}"),
            None => eprintln!("line {line}: {message}"),
        }
    }

    /// Reports and counts a row the CSV reader could not read.
    pub(crate) fn unreadable(&mut self, e: &csv::Error) {
        let line = e.position().map_or(0, |p| p.line());
        self.error(line, None, &format!("unreadable row (left out): {e}"));
        self.unreadable_rows += 1;
    }

    /// Reports a warning.
    pub(crate) fn warn(&mut self, line: u64, column: &str, message: &str) {
        self.warnings += 1;
        eprintln!("line {line}, column `{column}`: warning: {message}");
    }

    /// Prints the summary of `rows` rows read.
    pub(crate) fn summary(&self, rows: usize) {
        if self.bad_rows > 0 || self.unreadable_rows > 0 || self.warnings > 0 {
            let unreadable = match self.unreadable_rows {
                0 => String::new(),
                n => format!(", {n} unreadable (left out)"),
            };
            eprintln!(
                "{rows} rows read, {} bad (written with empty results){unreadable}, {} warnings",
                self.bad_rows, self.warnings
            );
        }
    }
}

/// Opens the CSV reader.
/// Opens `path` and reads its header: the reader (at the first data row), the column names
/// as written, and the parsed header (columns and units) against `allowed`.
pub(in crate::cli) fn read_input(
    path: &Path,
    allowed: &[ColumnSpec],
) -> anyhow::Result<(csv::Reader<std::fs::File>, Vec<String>, Header)> {
    let mut reader = open_input(path)?;
    let names: Vec<String> = reader
        .headers()
        .with_context(|| format!("reading the header of {}", path.display()))?
        .iter()
        .map(str::to_string)
        .collect();
    let header =
        parse_header(&names, allowed).with_context(|| format!("{}: bad header", path.display()))?;
    Ok((reader, names, header))
}

fn open_input(path: &Path) -> anyhow::Result<csv::Reader<std::fs::File>> {
    csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_path(path)
        .with_context(|| format!("opening {}", path.display()))
}

/// Opens the CSV writer (file or stdout).
pub(in crate::cli) fn open_output(
    path: Option<&Path>,
) -> anyhow::Result<csv::Writer<Box<dyn Write>>> {
    let sink: Box<dyn Write> = match path {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    Ok(csv::WriterBuilder::new().flexible(true).from_writer(sink))
}

/// The line number of a record (1-based, as editors count).
pub(in crate::cli) fn line_of(record: &csv::StringRecord) -> u64 {
    record.position().map_or(0, |p| p.line())
}

/// Checks the common cells of a row: field count, time, duplicate key. Returns the key.
pub(in crate::cli) fn row_key(
    header: &Header,
    record: &csv::StringRecord,
    seen: &mut HashSet<(NaiveDateTime, String)>,
    report: &mut Reporter,
) -> Option<(NaiveDateTime, String)> {
    let line = line_of(record);
    if record.len() != header.names.len() {
        report.error(
            line,
            None,
            &format!(
                "{} fields, the header has {}",
                record.len(),
                header.names.len()
            ),
        );
        return None;
    }
    let time_text = record.get(header.time).unwrap_or("");
    let Some(time) = parse_time(time_text) else {
        report.error(
            line,
            Some("time"),
            &format!("cannot read time `{time_text}`"),
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
        report.error(
            line,
            Some("time"),
            &format!("duplicate row for time `{time_text}`, station `{}`", key.1),
        );
        return None;
    }
    Some(key)
}
