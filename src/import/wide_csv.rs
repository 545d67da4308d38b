//! A generic wide CSV: one row per station and hour, one column per parameter.
//!
//! ```text
//! time,station,name,district,lat,lon,pm25,so2[ppb],co[mg/m3],temp
//! 2026-11-26 08:00,DG-GC,莞城,莞城街道,23.0437,113.7519,35,4.1,0.6,18.5
//! ```
//!
//! - `time` (required): the **hour-ending** label, RFC 3339 (`2026-11-26T08:00:00+08:00`) or
//!   `YYYY-MM-DD HH:MM[:SS]` in `--time-zone` (default Asia/Shanghai); `24:00` is midnight at
//!   the end of the day; times must be on the hour. In a time zone with daylight saving time
//!   the repeated hour is ambiguous without an offset (it is taken the first time): use RFC 3339.
//! - `station` (required unless `--station` gives the id for every row).
//! - Parameter columns: a code (`pm25 pm10 so2 no2 no nox co o3 ws wd temp dewp rh pres
//!   rain`), optionally with the unit in brackets (`so2[ppb]`, `co[ug/m3]`, `temp[K]`);
//!   without a unit the value is in the canonical unit (µg/m³, CO mg/m³, m/s, degrees, °C, %,
//!   hPa, mm). ppb/ppm are converted at the reference state (25 °C, 1013.25 hPa;
//!   `--reference-temperature` overrides the temperature).
//! - Optional station metadata: `name`, `name_en`, `district`, `lat`, `lon`. A station the
//!   store does not know is created from them (name and English name default to the id, time
//!   zone `--time-zone`); for a known one they are **checked**: a value that differs from the
//!   store (or from an earlier row) stops the import with an error naming the line, before
//!   anything is written. An empty district or unknown coordinates in the store are filled in.
//!   Empty cells give nothing.
//! - Any other column is an error naming it; nothing is imported.

use chrono_tz::Tz;
use csv::StringRecord;

use super::ImportOptions;
use super::row::{Convert, Row, RowParser, StationMeta, ValueColumn, read_values};
use super::values::{column, is_missing, parse_hour_label, parse_number};
use crate::store::{StationInfo, StationRole};
use crate::units::{Conversion, Parameter, ReferenceState, Unit};

/// The metadata columns.
const META_COLUMNS: [&str; 5] = ["name", "name_en", "district", "lat", "lon"];

/// Reads wide CSV rows.
#[derive(Debug)]
pub(crate) struct WideCsvParser {
    time: usize,
    station: Option<usize>,
    meta: [Option<usize>; 5],
    values: Vec<ValueColumn>,
    tz: Tz,
    station_override: Option<String>,
}

/// Splits `so2[ppb]` into the parameter and the unit.
fn parse_column(name: &str, reference: &ReferenceState) -> Result<(Parameter, Conversion), String> {
    let (code, unit) = match name.split_once('[') {
        Some((code, rest)) => {
            let unit = rest
                .strip_suffix(']')
                .ok_or_else(|| format!("column `{name}`: the unit must end with `]`"))?;
            (code.trim(), Some(unit.trim()))
        }
        None => (name.trim(), None),
    };
    let parameter: Parameter = code.parse().map_err(|e| format!("column `{name}`: {e}"))?;
    let unit = match unit {
        Some(u) => u
            .parse::<Unit>()
            .map_err(|e| format!("column `{name}`: {e}"))?,
        None => parameter.canonical_unit(),
    };
    let conversion = Conversion::to_canonical(parameter, unit, reference)
        .map_err(|e| format!("column `{name}`: {e}"))?;
    Ok((parameter, conversion))
}

impl WideCsvParser {
    /// Checks the header; the error names the offending column.
    pub(crate) fn new(header: &StringRecord, options: &ImportOptions) -> Result<Self, String> {
        let reference = options.reference(ReferenceState::default());
        let mut values: Vec<ValueColumn> = Vec::new();
        let mut seen: Vec<String> = Vec::new();
        for (index, name) in header.iter().enumerate() {
            let lower = name.to_ascii_lowercase();
            if seen.contains(&lower) {
                return Err(format!("column `{name}` appears twice"));
            }
            seen.push(lower.clone());
            if lower == "time" || lower == "station" || META_COLUMNS.contains(&lower.as_str()) {
                continue;
            }
            let (parameter, conversion) = parse_column(name, &reference).map_err(|e| {
                format!("{e} (columns: time, station, name, name_en, district, lat, lon, parameter codes with an optional [unit])")
            })?;
            if let Some(other) = values.iter().find(|v| v.parameter == parameter) {
                return Err(format!(
                    "columns `{}` and `{name}` both hold {parameter}",
                    other.name
                ));
            }
            values.push(ValueColumn {
                index,
                name: name.to_string(),
                parameter,
                convert: Convert::Linear(conversion),
            });
        }
        let station = column(header, "station");
        if station.is_none() && options.station.is_none() {
            return Err("missing column `station` (or give the station id)".to_string());
        }
        Ok(WideCsvParser {
            time: column(header, "time").ok_or("missing column `time`")?,
            station,
            meta: META_COLUMNS.map(|c| column(header, c)),
            values,
            tz: options.time_zone.unwrap_or(chrono_tz::Asia::Shanghai),
            station_override: options.station.clone(),
        })
    }

    /// Reads the metadata columns of a row.
    fn read_meta(&self, record: &StringRecord, meta: &mut StationMeta) -> Result<(), String> {
        let cell = |i: usize| {
            self.meta[i]
                .and_then(|c| record.get(c))
                .filter(|t| !t.is_empty())
        };
        meta.name = cell(0).map(str::to_string);
        meta.name_en = cell(1).map(str::to_string);
        meta.district = cell(2).map(str::to_string);
        for (i, field, limit) in [(3, "lat", 90.0), (4, "lon", 180.0)] {
            let Some(text) = cell(i).filter(|t| !is_missing(t)) else {
                continue;
            };
            let v = parse_number(text).map_err(|e| format!("column `{field}`: {e}"))?;
            if v.abs() > limit {
                return Err(format!("column `{field}`: {v} is outside ±{limit}°"));
            }
            if i == 3 {
                meta.lat = Some(v);
            } else {
                meta.lon = Some(v);
            }
        }
        Ok(())
    }
}

impl RowParser for WideCsvParser {
    fn parse(&self, record: &StringRecord, row: &mut Row) -> Result<(), String> {
        row.time = Some(parse_hour_label(
            record.get(self.time).unwrap_or(""),
            self.tz,
        )?);
        match (&self.station_override, self.station) {
            (Some(id), _) => row.station.push_str(id),
            (None, Some(i)) => row.station.push_str(record.get(i).unwrap_or("")),
            (None, None) => {}
        }
        if row.station.is_empty() {
            return Err("no station".to_string());
        }
        row.label.push_str(&row.station);
        self.read_meta(record, &mut row.meta)?;
        read_values(&self.values, record, row);
        Ok(())
    }

    fn new_station(&self, id: &str, _label: &str, meta: &StationMeta) -> StationInfo {
        StationInfo {
            id: id.to_string(),
            name: meta.name.clone().unwrap_or_else(|| id.to_string()),
            name_en: meta.name_en.clone().unwrap_or_else(|| id.to_string()),
            district: meta.district.clone().unwrap_or_default(),
            lat: meta.lat,
            lon: meta.lon,
            time_zone: self.tz,
            city: String::new(),
            role: StationRole::Assessment,
        }
    }
}
