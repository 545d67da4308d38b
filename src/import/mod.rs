//! Importing historical hourly data from files into a [`Store`].
//!
//! Three [`Format`]s:
//!
//! - [`Format::Prsa`]: the Beijing multi-site files of the UCI repository (`PRSA_Data_*.csv`),
//!   see [`prsa`];
//! - [`Format::Openair`]: the `mydata` set of the R package openair (London Marylebone Road),
//!   see [`openair`];
//! - [`Format::WideCsv`]: a generic wide CSV, one row per station and hour, one column per
//!   parameter (optionally with its unit), see [`wide_csv`].
//!
//! Every value becomes an hourly [`Record`] ([`Resolution::Hour`], labelled with the **end** of
//! its hour, in the parameter's canonical unit) with flag `N` and `count = 1`. For imported data
//! `count = 1` means "one published hourly value": the minute data behind it are unknown, so
//! the record counts as one valid hour, not as 60 valid minutes.
//!
//! # Bad input
//!
//! - Problems with the *structure* — an unknown column, an unknown or unsuitable unit, a
//!   missing `time` column, station metadata that contradicts what is known — are errors
//!   ([`ImportError`]) found in a first pass over **every** file, before anything is written:
//!   nothing is imported.
//! - Problems with one row (an unreadable time, a missing station, a wrong number of fields)
//!   reject that row; problems with one value (not a number, a negative concentration, an
//!   unknown compass point) reject that value. Both are reported as [`Issue`]s with the file
//!   and line, and the rest is imported.
//! - Several rows for the same station and hour: each later one is reported, and the **last
//!   one wins** as a whole (the earlier rows are not written at all).
//! - Missing values (`NA`, empty, `NaN`, `N/A`, `-`) are simply absent: no record, no issue.
//!
//! Records are written in batches of [`ImportOptions::batch_size`] (one transaction each).
//! A store failure stops the import part-way; since writes are idempotent, running the same
//! import again is safe.

pub mod openair;
pub mod prsa;
pub mod wide_csv;

use crate::compute::{IndexConfig, IndexStage};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeDelta, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use csv::StringRecord;

use crate::quality::Flag;
use crate::store::{Record, Resolution, StationId, StationInfo, Store, StoreError};
use crate::units::{Conversion, Parameter, ReferenceState};

/// Records per [`Store::write`] unless [`ImportOptions::batch_size`] says otherwise.
pub const DEFAULT_BATCH: usize = 20_000;

/// At most this many [`Issue`]s are kept in a [`Summary`] (all are counted).
pub const MAX_ISSUES: usize = 10_000;

/// Tolerance when comparing coordinates of a known station with a file's, in degrees.
const COORDINATE_TOLERANCE: f64 = 1e-6;

/// The file formats [`import`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Beijing multi-site files (`No,year,month,day,hour,PM2.5,…,station`).
    Prsa,
    /// openair's `mydata` (`date,ws,wd,nox,no2,o3,pm10,so2,co,pm25`).
    Openair,
    /// Generic wide CSV (`time,station,<parameter>[unit],…`).
    WideCsv,
}

impl Format {
    /// The name used on the command line.
    pub const fn name(self) -> &'static str {
        match self {
            Format::Prsa => "prsa",
            Format::Openair => "openair",
            Format::WideCsv => "csv",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Options of an import. The defaults depend on the format; see each format's module.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportOptions {
    /// Time zone of times without an offset (default per format: `Asia/Shanghai` for PRSA and
    /// wide CSV, UTC for openair). Also the time zone of the stations a wide CSV creates.
    pub time_zone: Option<Tz>,
    /// Put every row under this station id instead of the one the file names.
    pub station: Option<String>,
    /// Reference temperature in °C for ppb/ppm → mass concentration (pressure stays at the
    /// format's reference pressure). Default per format: 20 °C for openair, 25 °C otherwise.
    pub reference_temperature_c: Option<f64>,
    /// Records per [`Store::write`].
    pub batch_size: usize,
    /// Compute the hourly and daily AQI of the imported days, as the collection pipeline does
    /// (`None`: only store the hourly means).
    pub index: Option<IndexConfig>,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            time_zone: None,
            station: None,
            reference_temperature_c: None,
            batch_size: DEFAULT_BATCH,
            index: Some(IndexConfig::default()),
        }
    }
}

impl ImportOptions {
    /// `default` with the reference temperature replaced when one was given.
    fn reference(&self, default: ReferenceState) -> ReferenceState {
        match self.reference_temperature_c {
            Some(t) => ReferenceState {
                temperature_c: t,
                ..default
            },
            None => default,
        }
    }
}

/// What kind of problem an [`Issue`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IssueKind {
    /// The whole row was skipped.
    RowRejected,
    /// One value of the row was skipped; the others were imported.
    ValueRejected,
    /// The row repeats the station and hour of an earlier row; it replaces that row.
    Duplicate,
}

/// A problem with one row or value of the input, which was skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// The file.
    pub file: PathBuf,
    /// Line number in the file (1-based; the header is line 1).
    pub line: u64,
    /// What kind of problem.
    pub kind: IssueKind,
    /// What was wrong and what was done about it.
    pub message: String,
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file.display(), self.line, self.message)
    }
}

/// The outcome of an [`import`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    /// Files read.
    pub files: usize,
    /// Data rows read (header lines excluded).
    pub rows_read: u64,
    /// Rows skipped entirely because of an error.
    pub rows_rejected: u64,
    /// Rows replaced by a later row for the same station and hour.
    pub rows_superseded: u64,
    /// Single values skipped (the rest of their rows was imported).
    pub values_rejected: u64,
    /// Records written, per parameter.
    pub records: BTreeMap<Parameter, u64>,
    /// Stations the import created in the store, by id.
    pub stations_created: Vec<String>,
    /// Known stations whose missing metadata (coordinates, district) the import filled in.
    pub stations_updated: Vec<String>,
    /// Index records (hourly and daily AQI) computed for the imported days.
    pub indices: u64,
    /// The problems found, by file and line (at most [`MAX_ISSUES`]).
    pub issues: Vec<Issue>,
    /// How many problems were found in all (may exceed `issues.len()`).
    pub issues_total: u64,
}

impl Summary {
    /// Records written in all.
    pub fn records_written(&self) -> u64 {
        self.records.values().sum()
    }
}

/// The two passes of an import, for progress display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// First pass: headers, stations and duplicates are checked; nothing is written.
    Checking,
    /// Second pass: records are written.
    Importing,
}

/// Receives progress while an import runs (the default methods do nothing).
pub trait Progress {
    /// A pass starts over `total_bytes` bytes of input.
    fn begin(&self, phase: Phase, total_bytes: u64) {
        let _ = (phase, total_bytes);
    }
    /// `bytes` more bytes were read.
    fn advance(&self, bytes: u64) {
        let _ = bytes;
    }
    /// The pass is over.
    fn end(&self) {}
}

/// A [`Progress`] that ignores everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {}

/// An error that stops an import.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// No files were given.
    #[error("no input files")]
    NoFiles,
    /// An option is unusable.
    #[error("invalid option: {0}")]
    Option(String),
    /// A file could not be read.
    #[error("cannot read {}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The header does not fit the format (unknown column, unit, …); nothing was imported.
    #[error("{}: {reason}; nothing was imported", path.display())]
    Header {
        /// The file.
        path: PathBuf,
        /// What is wrong, naming the column.
        reason: String,
    },
    /// A row gives station metadata that contradicts the store or an earlier row; nothing
    /// was imported.
    #[error("{}:{line}: station `{station}`: {reason}; nothing was imported", path.display())]
    StationConflict {
        /// The file.
        path: PathBuf,
        /// The line.
        line: u64,
        /// The station id.
        station: String,
        /// Which field differs, and how.
        reason: String,
    },
    /// The store failed.
    #[error(
        "store failed after {written} records were written (the import is partial; running it \
         again is safe, writes are idempotent)"
    )]
    Store {
        /// Records written before the failure.
        written: u64,
        /// The store's error.
        #[source]
        source: StoreError,
    },
}

/// Station metadata a row may carry (wide CSV only). `None` = not given.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct StationMeta {
    name: Option<String>,
    name_en: Option<String>,
    district: Option<String>,
    lat: Option<f64>,
    lon: Option<f64>,
}

impl StationMeta {
    fn clear(&mut self) {
        *self = StationMeta::default();
    }
}

/// One parsed data row.
#[derive(Debug, Default)]
pub(crate) struct Row {
    /// Station id the row goes to.
    station: String,
    /// The station as the file names it (for a format's own station table).
    label: String,
    /// Hour-ending label, UTC.
    time: Option<DateTime<Utc>>,
    /// Values in canonical units.
    values: Vec<(Parameter, f64)>,
    /// Values skipped, with why.
    value_issues: Vec<String>,
    /// Station metadata given in the row.
    meta: StationMeta,
}

impl Row {
    fn clear(&mut self) {
        self.station.clear();
        self.label.clear();
        self.time = None;
        self.values.clear();
        self.value_issues.clear();
        self.meta.clear();
    }
}

/// A format's reader of data rows, made from a file's header.
pub(crate) trait RowParser {
    /// Parses one record into `row` (cleared). `Err` rejects the row, with the reason.
    fn parse(&self, record: &StringRecord, row: &mut Row) -> Result<(), String>;
    /// The station to create for `id`, not known yet; `label` and `meta` come from the first
    /// row naming it.
    fn new_station(&self, id: &str, label: &str, meta: &StationMeta) -> StationInfo;
}

/// How a value column's text becomes a canonical value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Convert {
    /// `raw * factor + offset`.
    Linear(Conversion),
    /// `raw / 1000` (µg/m³ → mg/m³, exactly as a decimal shift).
    Thousandth,
    /// A 16-point compass name → degrees.
    Compass,
}

/// One column holding values of a parameter.
#[derive(Debug, Clone)]
pub(crate) struct ValueColumn {
    /// Field index.
    pub(crate) index: usize,
    /// The column's name in the header.
    pub(crate) name: String,
    /// What it holds.
    pub(crate) parameter: Parameter,
    /// How to convert.
    pub(crate) convert: Convert,
}

/// Reads every value column of `record` into `row` (missing values are skipped silently,
/// bad ones with an issue).
pub(crate) fn read_values(columns: &[ValueColumn], record: &StringRecord, row: &mut Row) {
    for c in columns {
        let text = record.get(c.index).unwrap_or("");
        if is_missing(text) {
            continue;
        }
        let value = match c.convert {
            Convert::Compass => match compass_degrees(text) {
                Some(v) => Ok(v),
                None => Err(format!(
                    "column `{}`: `{}` is not a 16-point compass direction",
                    c.name,
                    shown(text)
                )),
            },
            Convert::Linear(conv) => parse_number(text).map(|v| conv.apply(v)),
            Convert::Thousandth => parse_number(text).map(|v| v / 1000.0),
        }
        .map_err(|e| format!("column `{}`: {e}", c.name))
        .and_then(|v| check_value(c.parameter, v).map_err(|e| format!("column `{}`: {e}", c.name)));
        match value {
            Ok(v) => row.values.push((c.parameter, v)),
            Err(e) => row.value_issues.push(format!("{e}; value skipped")),
        }
    }
}

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

/// The stations of an import: those in the store and those the input creates.
struct StationBook {
    /// From the store; entries may get missing fields filled in.
    stored: BTreeMap<String, StationInfo>,
    /// Store stations whose fields were filled in.
    filled: BTreeSet<String>,
    /// New stations, with the metadata given explicitly so far.
    new: BTreeMap<String, (StationInfo, StationMeta)>,
}

impl StationBook {
    fn new(stored: Vec<StationInfo>) -> StationBook {
        StationBook {
            stored: stored.into_iter().map(|s| (s.id.clone(), s)).collect(),
            filled: BTreeSet::new(),
            new: BTreeMap::new(),
        }
    }

    /// Creates or checks the row's station.
    fn resolve(&mut self, parser: &dyn RowParser, row: &Row) -> Result<(), String> {
        if let Some(known) = self.stored.get_mut(&row.station) {
            if check_known(known, &row.meta)? {
                self.filled.insert(row.station.clone());
            }
        } else if let Some((info, given)) = self.new.get_mut(&row.station) {
            merge_given(info, given, &row.meta)?;
        } else {
            let info = parser.new_station(&row.station, &row.label, &row.meta);
            self.new
                .insert(row.station.clone(), (info, row.meta.clone()));
        }
        Ok(())
    }

    /// The stations to put into the store.
    fn changed(&self) -> Vec<StationInfo> {
        let filled = self.filled.iter().map(|id| self.stored[id].clone());
        filled
            .chain(self.new.values().map(|(info, _)| info.clone()))
            .collect()
    }
}

fn same_coordinate(a: f64, b: f64) -> bool {
    (a - b).abs() <= COORDINATE_TOLERANCE
}

/// Checks a row's metadata against a station of the store, filling in an empty district and
/// unknown coordinates. Returns whether something was filled in.
fn check_known(known: &mut StationInfo, given: &StationMeta) -> Result<bool, String> {
    let mut filled = false;
    for (field, have, want) in [
        ("name", &known.name, &given.name),
        ("name_en", &known.name_en, &given.name_en),
    ] {
        if let Some(w) = want
            && w != have
        {
            return Err(format!("{field} `{w}` differs from the store's `{have}`"));
        }
    }
    if let Some(d) = &given.district {
        if known.district.is_empty() {
            known.district = d.clone();
            filled = true;
        } else if *d != known.district {
            return Err(format!(
                "district `{d}` differs from the store's `{}`",
                known.district
            ));
        }
    }
    for (field, have, want) in [
        ("lat", &mut known.lat, given.lat),
        ("lon", &mut known.lon, given.lon),
    ] {
        match (*have, want) {
            (_, None) => {}
            (None, Some(w)) => {
                *have = Some(w);
                filled = true;
            }
            (Some(h), Some(w)) if !same_coordinate(h, w) => {
                return Err(format!("{field} {w} differs from the store's {h}"));
            }
            _ => {}
        }
    }
    Ok(filled)
}

/// Checks a row's metadata against what earlier rows gave for a new station, and adds what
/// they did not give.
fn merge_given(
    info: &mut StationInfo,
    given: &mut StationMeta,
    row: &StationMeta,
) -> Result<(), String> {
    for (field, target, have, want) in [
        ("name", &mut info.name, &mut given.name, &row.name),
        (
            "name_en",
            &mut info.name_en,
            &mut given.name_en,
            &row.name_en,
        ),
        (
            "district",
            &mut info.district,
            &mut given.district,
            &row.district,
        ),
    ] {
        match (&*have, want) {
            (_, None) => {}
            (None, Some(w)) => {
                *have = Some(w.clone());
                *target = w.clone();
            }
            (Some(h), Some(w)) if h != w => {
                return Err(format!("{field} `{w}` differs from `{h}` given earlier"));
            }
            _ => {}
        }
    }
    for (field, target, have, want) in [
        ("lat", &mut info.lat, &mut given.lat, row.lat),
        ("lon", &mut info.lon, &mut given.lon, row.lon),
    ] {
        match (*have, want) {
            (_, None) => {}
            (None, Some(w)) => {
                *have = Some(w);
                *target = Some(w);
            }
            (Some(h), Some(w)) if !same_coordinate(h, w) => {
                return Err(format!("{field} {w} differs from {h} given earlier"));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Station ids as small integers, for the duplicate map.
#[derive(Default)]
struct Interner {
    index: HashMap<String, u32>,
    ids: Vec<StationId>,
}

impl Interner {
    fn get_or_insert(&mut self, id: &str) -> u32 {
        if let Some(&i) = self.index.get(id) {
            return i;
        }
        let i = self.ids.len() as u32;
        self.ids.push(Arc::from(id));
        self.index.insert(id.to_string(), i);
        i
    }
}

/// Collected issues, in the order (file, line) once sorted.
#[derive(Default)]
struct IssueLog {
    items: Vec<(usize, Issue)>,
    total: u64,
}

impl IssueLog {
    fn push(
        &mut self,
        file_index: usize,
        path: &Path,
        line: u64,
        kind: IssueKind,
        message: String,
    ) {
        self.total += 1;
        if self.items.len() < MAX_ISSUES {
            self.items.push((
                file_index,
                Issue {
                    file: path.to_path_buf(),
                    line,
                    kind,
                    message,
                },
            ));
        }
    }

    fn into_sorted(mut self) -> (Vec<Issue>, u64) {
        self.items
            .sort_by(|(fa, a), (fb, b)| fa.cmp(fb).then(a.line.cmp(&b.line)));
        (self.items.into_iter().map(|(_, i)| i).collect(), self.total)
    }
}

/// One open input file, past its header.
struct Input {
    reader: csv::Reader<std::fs::File>,
    fields: usize,
}

/// Opens a file and makes the format's parser from its header.
fn open_input(
    path: &Path,
    format: Format,
    options: &ImportOptions,
) -> Result<(Input, Box<dyn RowParser>), ImportError> {
    let io = |source| ImportError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(file);
    let header = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => return Err(csv_error(path, e)),
    };
    if header.iter().all(str::is_empty) {
        return Err(ImportError::Header {
            path: path.to_path_buf(),
            reason: "the file is empty (no header line)".to_string(),
        });
    }
    let header_error = |reason| ImportError::Header {
        path: path.to_path_buf(),
        reason,
    };
    let parser: Box<dyn RowParser> = match format {
        Format::Prsa => Box::new(prsa::PrsaParser::new(&header, options).map_err(header_error)?),
        Format::Openair => {
            Box::new(openair::OpenairParser::new(&header, options).map_err(header_error)?)
        }
        Format::WideCsv => {
            Box::new(wide_csv::WideCsvParser::new(&header, options).map_err(header_error)?)
        }
    };
    let fields = header.len();
    Ok((Input { reader, fields }, parser))
}

fn csv_error(path: &Path, e: csv::Error) -> ImportError {
    let line = e.position().map(|p| p.line());
    match e.into_kind() {
        csv::ErrorKind::Io(source) => ImportError::Io {
            path: path.to_path_buf(),
            source,
        },
        other => ImportError::Header {
            path: path.to_path_buf(),
            reason: match line {
                Some(l) => format!("line {l}: {other:?}"),
                None => format!("{other:?}"),
            },
        },
    }
}

/// Reads every data row of `input`, calling `each(line, parsed row or the reason it was
/// rejected)`.
fn scan(
    input: &mut Input,
    parser: &dyn RowParser,
    path: &Path,
    progress: &dyn Progress,
    mut each: impl FnMut(u64, Result<&Row, String>) -> Result<(), ImportError>,
) -> Result<(), ImportError> {
    let mut record = StringRecord::new();
    let mut row = Row::default();
    let mut reported = 0u64;
    let mut n = 0u64;
    loop {
        let line;
        let outcome = match input.reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                line = record.position().map_or(0, |p| p.line());
                row.clear();
                if record.len() != input.fields {
                    Err(format!(
                        "{} fields where the header has {}; row skipped",
                        record.len(),
                        input.fields
                    ))
                } else {
                    match parser.parse(&record, &mut row) {
                        Ok(()) => Ok(&row),
                        Err(e) => Err(format!("{e}; row skipped")),
                    }
                }
            }
            Err(e) => {
                line = e.position().map_or(0, |p| p.line());
                match e.into_kind() {
                    csv::ErrorKind::Io(source) => {
                        return Err(ImportError::Io {
                            path: path.to_path_buf(),
                            source,
                        });
                    }
                    csv::ErrorKind::Utf8 { .. } => Err("not valid UTF-8; row skipped".to_string()),
                    other => Err(format!("unreadable row ({other:?}); row skipped")),
                }
            }
        };
        each(line, outcome)?;
        n += 1;
        if n.is_multiple_of(4096) {
            let byte = input.reader.position().byte();
            progress.advance(byte - reported);
            reported = byte;
        }
    }
    progress.advance(input.reader.position().byte().saturating_sub(reported));
    Ok(())
}

/// Imports `files` (all in `format`) into `store`; see the [module documentation](self).
pub fn import(
    store: &mut dyn Store,
    format: Format,
    files: &[PathBuf],
    options: &ImportOptions,
    progress: &dyn Progress,
) -> Result<Summary, ImportError> {
    if files.is_empty() {
        return Err(ImportError::NoFiles);
    }
    if let Some(t) = options.reference_temperature_c
        && !(t.is_finite() && t > -273.15)
    {
        return Err(ImportError::Option(format!(
            "reference temperature {t} °C is not a temperature"
        )));
    }
    if options.batch_size == 0 {
        return Err(ImportError::Option("batch size 0".to_string()));
    }
    if let Some(s) = &options.station
        && s.trim().is_empty()
    {
        return Err(ImportError::Option("the station id is empty".to_string()));
    }
    let mut total_bytes = 0;
    for path in files {
        let meta = std::fs::metadata(path).map_err(|source| ImportError::Io {
            path: path.clone(),
            source,
        })?;
        total_bytes += meta.len();
    }
    let stored = store
        .stations()
        .map_err(|source| ImportError::Store { written: 0, source })?;
    let mut book = StationBook::new(stored);
    let mut interner = Interner::default();
    let mut last_row: HashMap<(u32, i64), (usize, u64)> = HashMap::new();
    let mut issues = IssueLog::default();
    let mut summary = Summary {
        files: files.len(),
        ..Summary::default()
    };

    // Pass 1: headers of every file, stations, duplicates. Nothing is written.
    progress.begin(Phase::Checking, total_bytes);
    for (fi, path) in files.iter().enumerate() {
        let (mut input, parser) = open_input(path, format, options)?;
        scan(&mut input, parser.as_ref(), path, progress, |line, row| {
            let Ok(row) = row else { return Ok(()) };
            book.resolve(parser.as_ref(), row)
                .map_err(|reason| ImportError::StationConflict {
                    path: path.clone(),
                    line,
                    station: row.station.clone(),
                    reason,
                })?;
            let station = interner.get_or_insert(&row.station);
            let time = row.time.expect("a parsed row has a time");
            if let Some((pf, pl)) = last_row.insert((station, time.timestamp_millis()), (fi, line))
            {
                summary.rows_superseded += 1;
                let earlier = if pf == fi {
                    format!("line {pl}")
                } else {
                    format!("line {pl} of {}", files[pf].display())
                };
                issues.push(
                    fi,
                    path,
                    line,
                    IssueKind::Duplicate,
                    format!(
                        "station {} hour ending {} UTC repeats {earlier}; this later row replaces it",
                        row.station,
                        time.format("%Y-%m-%d %H:%M")
                    ),
                );
            }
            Ok(())
        })?;
    }
    progress.end();

    let changed = book.changed();
    store
        .put_stations(&changed)
        .map_err(|source| ImportError::Store { written: 0, source })?;
    summary.stations_created = book.new.keys().cloned().collect();
    summary.stations_updated = book.filled.iter().cloned().collect();

    // Pass 2: write.
    progress.begin(Phase::Importing, total_bytes);
    let mut batch: Vec<Record> = Vec::with_capacity(options.batch_size);
    let mut written = 0u64;
    let mut stage = options.index.map(IndexStage::new);
    let mut flush = |batch: &mut Vec<Record>, summary: &mut Summary| -> Result<(), ImportError> {
        if batch.is_empty() {
            return Ok(());
        }
        store
            .write(batch)
            .map_err(|source| ImportError::Store { written, source })?;
        written += batch.len() as u64;
        if let Some(stage) = &mut stage {
            summary.indices += stage
                .update(store, batch)
                .map_err(|source| ImportError::Store { written, source })?
                as u64;
        }
        for r in batch.iter() {
            *summary.records.entry(r.parameter).or_default() += 1;
        }
        batch.clear();
        Ok(())
    };
    for (fi, path) in files.iter().enumerate() {
        let (mut input, parser) = open_input(path, format, options)?;
        scan(&mut input, parser.as_ref(), path, progress, |line, row| {
            summary.rows_read += 1;
            let row = match row {
                Ok(row) => row,
                Err(message) => {
                    summary.rows_rejected += 1;
                    issues.push(fi, path, line, IssueKind::RowRejected, message);
                    return Ok(());
                }
            };
            for message in &row.value_issues {
                summary.values_rejected += 1;
                issues.push(fi, path, line, IssueKind::ValueRejected, message.clone());
            }
            let station = interner.get_or_insert(&row.station);
            let time = row.time.expect("a parsed row has a time");
            if last_row.get(&(station, time.timestamp_millis())) != Some(&(fi, line)) {
                return Ok(()); // a later row replaces this one
            }
            let id = &interner.ids[station as usize];
            for &(parameter, value) in &row.values {
                batch.push(Record {
                    station: id.clone(),
                    parameter,
                    resolution: Resolution::Hour,
                    time,
                    value,
                    flag: Flag::Normal,
                    count: 1,
                });
            }
            if batch.len() >= options.batch_size {
                flush(&mut batch, &mut summary)?;
            }
            Ok(())
        })?;
    }
    flush(&mut batch, &mut summary)?;
    progress.end();
    let (list, total) = issues.into_sorted();
    summary.issues = list;
    summary.issues_total = total;
    Ok(summary)
}

#[cfg(test)]
mod tests;
