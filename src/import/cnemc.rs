//! The national network's hourly data as CNEMC (中国环境监测总站) publishes them, and its
//! station list.
//!
//! Two layouts, told apart by the header (both plain or `.xz`):
//!
//! - **long**, one row per station and hour:
//!   `time_local,station_code[,city,lon,lat],so2,no2,pm10,pm2_5,co,o3_1h` (value columns may
//!   be left out). `time_local` is `YYYY-MM-DD HH:00` in Beijing time (UTC+8, no daylight
//!   saving), **hour-ending**: the value at `2019-01-09 16:00` is the mean over 15:00–16:00, and
//!   the local day D holds the labels `D 01:00` … `D+1 00:00`. `city`, `lon`, `lat` repeat the
//!   station list and are not read (the list is what the store keeps).
//! - **daily wide** (`china_sites_YYYYMMDD.csv`, see `cnemc_wide`).
//!
//! Units: µg/m³ for SO2, NO2, PM10, PM2.5 and O3 (the 1-h value), mg/m³ for CO — the canonical
//! units. Values are imported as published: real-time data keep their spikes (a concentration
//! is only refused when negative), nothing is smoothed or filled in.
//!
//! # Stations
//!
//! Every station code must be known: from the station list given with the import
//! (`--stations FILE`) or from the store (an earlier import). A row of an unknown code is
//! rejected with an issue naming it. The list is a CSV with a header naming at least the code,
//! name and city columns, in English (`station_code,name,city,lon,lat[,is_background_site]`,
//! the layout of the national data set's `stations_2019.csv`) or as CNEMC's list names them
//! (`监测点编码,监测点名称,城市,经度,纬度[,对照点]`). A station is a background site (对照点, not
//! part of its city's value) when `is_background_site` is `Y`, or — without that column —
//! when its name contains `对照点` (CNEMC's own `对照点` column also marks stopped and moved
//! stations, so it is not read as the background flag). A station with an empty city is
//! imported and listed in the summary: it belongs to no city's value.

use std::collections::HashMap;
use std::path::Path;

use csv::StringRecord;

use super::ImportError;
use super::row::{Convert, Row, RowParser, StationMeta, ValueColumn, read_values};
use super::values::{column, is_missing, parse_hour_label, parse_number, shown};
use crate::store::{StationInfo, StationRole};
use crate::units::{Conversion, Parameter};

/// CNEMC's times: Beijing time, UTC+8 all year.
pub(super) const BEIJING: chrono_tz::Tz = chrono_tz::Asia::Shanghai;

/// The value columns of the long layout.
const VALUE_COLUMNS: [(&str, Parameter); 6] = [
    ("so2", Parameter::So2),
    ("no2", Parameter::No2),
    ("pm10", Parameter::Pm10),
    ("pm2_5", Parameter::Pm25),
    ("co", Parameter::Co),
    ("o3_1h", Parameter::O3),
];

/// Columns of the long layout that repeat the station list.
const LIST_COLUMNS: [&str; 3] = ["city", "lon", "lat"];

/// The national stations an import knows: its station list and the store's stations.
#[derive(Debug, Clone, Default)]
pub(crate) struct NationalStations {
    by_code: HashMap<String, StationInfo>,
}

/// The names a station list's columns go by: (English, CNEMC's).
const LIST_HEADER: [(&str, &str); 5] = [
    ("station_code", "监测点编码"),
    ("name", "监测点名称"),
    ("city", "城市"),
    ("lon", "经度"),
    ("lat", "纬度"),
];

impl NationalStations {
    /// The stations already in the store.
    pub(super) fn from_store(stored: &[StationInfo]) -> NationalStations {
        NationalStations {
            by_code: stored.iter().map(|s| (s.id.clone(), s.clone())).collect(),
        }
    }

    /// Adds the stations of a list file (a listed station replaces a stored one of its code).
    /// Any unreadable line stops the import, naming the file, line and field.
    pub(super) fn read_list(&mut self, path: &Path) -> Result<(), ImportError> {
        let fail = |line: u64, reason: String| ImportError::StationList {
            path: path.to_path_buf(),
            line,
            reason,
        };
        let file = std::fs::File::open(path).map_err(|source| ImportError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(file);
        let header = reader
            .headers()
            .map_err(|e| fail(1, format!("unreadable header ({e})")))?
            .clone();
        let find = |(en, zh): (&str, &str)| column(&header, en).or_else(|| column(&header, zh));
        let [code, name, city, lon, lat] = LIST_HEADER.map(find);
        let (Some(code), Some(name), Some(city)) = (code, name, city) else {
            return Err(fail(
                1,
                "a station list needs the columns station_code, name, city (or 监测点编码, \
                 监测点名称, 城市)"
                    .to_string(),
            ));
        };
        let background = column(&header, "is_background_site");
        let mut seen: HashMap<String, u64> = HashMap::new();
        for record in reader.records() {
            let record = record.map_err(|e| {
                let line = e.position().map_or(0, |p| p.line());
                fail(line, format!("unreadable row ({e})"))
            })?;
            let line = record.position().map_or(0, |p| p.line());
            let cell = |i: usize| record.get(i).unwrap_or("");
            let id = cell(code);
            if id.is_empty() {
                return Err(fail(line, "empty station code".to_string()));
            }
            if let Some(first) = seen.insert(id.to_string(), line) {
                return Err(fail(
                    line,
                    format!("station `{id}` is listed twice (first on line {first})"),
                ));
            }
            let coordinate = |i: Option<usize>, field: &str, limit: f64| {
                let Some(text) = i.map(cell).filter(|t| !is_missing(t)) else {
                    return Ok(None);
                };
                let v = parse_number(text).map_err(|e| fail(line, format!("{field}: {e}")))?;
                if v.abs() > limit {
                    return Err(fail(line, format!("{field} {v} is outside ±{limit}°")));
                }
                Ok(Some(v))
            };
            let station_name = cell(name);
            let is_background = match background.map(cell) {
                Some("Y") => true,
                Some("N") => false,
                Some(other) => {
                    return Err(fail(
                        line,
                        format!("is_background_site `{}` is neither Y nor N", shown(other)),
                    ));
                }
                None => station_name.contains("对照点"),
            };
            let info = StationInfo {
                id: id.to_string(),
                name: if station_name.is_empty() {
                    id
                } else {
                    station_name
                }
                .to_string(),
                name_en: id.to_string(),
                district: String::new(),
                lat: coordinate(lat, "lat", 90.0)?,
                lon: coordinate(lon, "lon", 180.0)?,
                time_zone: BEIJING,
                city: cell(city).to_string(),
                role: if is_background {
                    StationRole::Background
                } else {
                    StationRole::Assessment
                },
            };
            self.by_code.insert(id.to_string(), info);
        }
        Ok(())
    }

    /// True when `code` is known.
    pub(super) fn contains(&self, code: &str) -> bool {
        self.by_code.contains_key(code)
    }

    /// The station of `code`, or a bare one (never reached: unknown codes are rejected).
    pub(super) fn station(&self, code: &str) -> StationInfo {
        self.by_code
            .get(code)
            .cloned()
            .unwrap_or_else(|| StationInfo {
                id: code.to_string(),
                name: code.to_string(),
                name_en: code.to_string(),
                district: String::new(),
                lat: None,
                lon: None,
                time_zone: BEIJING,
                city: String::new(),
                role: StationRole::Assessment,
            })
    }

    /// The reason a row of an unknown code is rejected.
    pub(super) fn unknown(code: &str) -> String {
        format!(
            "unknown station code `{}` (neither in the station list nor in the store; give \
             the list with --stations)",
            shown(code)
        )
    }
}

/// Reads the long layout.
pub(crate) struct CnemcParser {
    time: usize,
    station: usize,
    values: Vec<ValueColumn>,
    stations: NationalStations,
}

impl CnemcParser {
    /// Checks the header; the error names the offending column.
    pub(super) fn new(header: &StringRecord, stations: &NationalStations) -> Result<Self, String> {
        let mut values: Vec<ValueColumn> = Vec::new();
        for (index, name) in header.iter().enumerate() {
            let lower = name.to_ascii_lowercase();
            if lower == "time_local" || lower == "station_code" {
                continue;
            }
            if LIST_COLUMNS.contains(&lower.as_str()) {
                continue;
            }
            let Some(&(_, parameter)) = VALUE_COLUMNS.iter().find(|(c, _)| *c == lower) else {
                return Err(format!(
                    "unknown column `{name}` for the CNEMC long layout (expected time_local, \
                     station_code, city, lon, lat, {}; or the daily wide layout date,hour,type,…)",
                    VALUE_COLUMNS.map(|c| c.0).join(", ")
                ));
            };
            if values.iter().any(|v| v.parameter == parameter) {
                return Err(format!("column `{name}` appears twice"));
            }
            values.push(ValueColumn {
                index,
                name: name.to_string(),
                parameter,
                convert: Convert::Linear(Conversion::IDENTITY),
            });
        }
        let required =
            |name: &str| column(header, name).ok_or_else(|| format!("missing column `{name}`"));
        Ok(CnemcParser {
            time: required("time_local")?,
            station: required("station_code")?,
            values,
            stations: stations.clone(),
        })
    }
}

impl RowParser for CnemcParser {
    fn parse(&self, record: &StringRecord, row: &mut Row) -> Result<(), String> {
        row.time = Some(parse_hour_label(
            record.get(self.time).unwrap_or(""),
            BEIJING,
        )?);
        let code = record.get(self.station).unwrap_or("");
        if code.is_empty() {
            return Err("no station code".to_string());
        }
        if !self.stations.contains(code) {
            return Err(NationalStations::unknown(code));
        }
        row.station.push_str(code);
        row.label.push_str(code);
        read_values(&self.values, record, row);
        Ok(())
    }

    fn new_station(&self, id: &str, _label: &str, _meta: &StationMeta) -> StationInfo {
        self.stations.station(id)
    }
}
