//! What a format's parser makes of a data row, and the value columns the formats share.

use chrono::{DateTime, Utc};
use csv::StringRecord;

use super::values::{check_value, compass_degrees, is_missing, parse_number, shown};
use crate::store::StationInfo;
use crate::units::{Conversion, Parameter, UG_PER_MG};

/// Station metadata a row may carry (wide CSV only). `None` = not given.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct StationMeta {
    pub(crate) name: Option<String>,
    pub(crate) name_en: Option<String>,
    pub(crate) district: Option<String>,
    pub(crate) lat: Option<f64>,
    pub(crate) lon: Option<f64>,
}

impl StationMeta {
    pub(crate) fn clear(&mut self) {
        *self = StationMeta::default();
    }
}

/// One parsed data row.
#[derive(Debug, Default)]
pub(crate) struct Row {
    /// Station id the row goes to.
    pub(crate) station: String,
    /// The station as the file names it (for a format's own station table).
    pub(crate) label: String,
    /// Hour-ending label, UTC.
    pub(crate) time: Option<DateTime<Utc>>,
    /// Values in canonical units.
    pub(crate) values: Vec<(Parameter, f64)>,
    /// Values skipped, with why.
    pub(crate) value_issues: Vec<String>,
    /// Station metadata given in the row.
    pub(crate) meta: StationMeta,
}

impl Row {
    pub(crate) fn clear(&mut self) {
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
                    "`{}` is not a 16-point compass direction",
                    shown(text)
                )),
            },
            Convert::Linear(conv) => parse_number(text).map(|v| conv.apply(v)),
            Convert::Thousandth => parse_number(text).map(|v| v / UG_PER_MG),
        }
        .and_then(|v| check_value(c.parameter, v))
        .map_err(|e| format!("column `{}`: {e}", c.name));
        match value {
            Ok(v) => row.values.push((c.parameter, v)),
            Err(e) => row.value_issues.push(format!("{e}; value skipped")),
        }
    }
}
