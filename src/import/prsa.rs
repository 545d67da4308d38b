//! The Beijing multi-site air-quality files (`PRSA_Data_<station>_<from>-<to>.csv`, UCI
//! Machine Learning Repository; Zhang et al. 2017; data of the Beijing Municipal Environmental
//! Monitoring Center; CC BY 4.0).
//!
//! Columns `No,year,month,day,hour,PM2.5,PM10,SO2,NO2,CO,O3,TEMP,PRES,DEWP,RAIN,wd,WSPM,station`
//! (names compared case-insensitively; `No` is ignored; value columns may be left out):
//!
//! - **Time**: `year,month,day,hour` is local time in Beijing (Asia/Shanghai, UTC+8, or
//!   `--time-zone`). The hour is taken as the **hour-ending** label: the data come from the
//!   monitoring centre's hourly publications, which label an hour by its end, so
//!   `2013,3,1,0` is the hour 2013-02-28 23:00–24:00 local and is stored at 2013-02-28
//!   16:00 UTC. Hour `24` is accepted as midnight at the end of the day.
//! - **Units**: PM2.5, PM10, SO2, NO2, O3 in µg/m³ (canonical). **CO is in µg/m³ too** and is
//!   divided by 1000 to mg/m³. TEMP and DEWP °C, PRES hPa, RAIN mm (hourly depth), WSPM m/s,
//!   `wd` a 16-point compass name (`N` 0°, `NNE` 22.5°, … `NNW` 337.5°).
//! - **Missing**: `NA` — no record.
//! - **Stations**: id `BJ-<station>` (e.g. `BJ-Aotizhongxin`; `--station` overrides). The
//!   twelve stations of the set are created with their Chinese and English names, district and
//!   approximate coordinates (the sites' neighbourhoods on public maps, about 0.01–0.02°: good
//!   for maps and distances, not for surveying); others with their name only.

use chrono::NaiveDate;
use chrono_tz::Tz;
use csv::StringRecord;

use super::ImportOptions;
use super::row::{Convert, Row, RowParser, StationMeta, ValueColumn, read_values};
use super::values::{column, date_hour_to_utc, shown};
use crate::store::{StationInfo, StationRole};
use crate::units::Parameter;

/// Prefix of station ids made from the file's `station` column.
pub(super) const ID_PREFIX: &str = "BJ-";

/// The value columns and what they hold.
const VALUE_COLUMNS: [(&str, Parameter, Convert); 12] = [
    ("PM2.5", Parameter::Pm25, Convert::Linear(IDENTITY)),
    ("PM10", Parameter::Pm10, Convert::Linear(IDENTITY)),
    ("SO2", Parameter::So2, Convert::Linear(IDENTITY)),
    ("NO2", Parameter::No2, Convert::Linear(IDENTITY)),
    ("CO", Parameter::Co, Convert::Thousandth),
    ("O3", Parameter::O3, Convert::Linear(IDENTITY)),
    ("TEMP", Parameter::Temperature, Convert::Linear(IDENTITY)),
    ("PRES", Parameter::Pressure, Convert::Linear(IDENTITY)),
    ("DEWP", Parameter::DewPoint, Convert::Linear(IDENTITY)),
    ("RAIN", Parameter::Rain, Convert::Linear(IDENTITY)),
    ("wd", Parameter::WindDirection, Convert::Compass),
    ("WSPM", Parameter::WindSpeed, Convert::Linear(IDENTITY)),
];

const IDENTITY: crate::units::Conversion = crate::units::Conversion::IDENTITY;

/// A station of the data set: (name in the files, Chinese name, district, lat, lon).
type Known = (&'static str, &'static str, &'static str, f64, f64);

/// The twelve stations; coordinates approximate (about 0.01–0.02°).
const STATIONS: [Known; 12] = [
    ("Aotizhongxin", "奥体中心", "朝阳区", 40.003, 116.407),
    ("Changping", "昌平", "昌平区", 40.195, 116.230),
    ("Dingling", "定陵", "昌平区", 40.292, 116.220),
    ("Dongsi", "东四", "东城区", 39.929, 116.417),
    ("Guanyuan", "官园", "西城区", 39.929, 116.339),
    ("Gucheng", "古城", "石景山区", 39.914, 116.184),
    ("Huairou", "怀柔", "怀柔区", 40.328, 116.628),
    ("Nongzhanguan", "农展馆", "朝阳区", 39.937, 116.461),
    ("Shunyi", "顺义", "顺义区", 40.127, 116.655),
    ("Tiantan", "天坛", "东城区", 39.886, 116.407),
    ("Wanliu", "万柳", "海淀区", 39.987, 116.287),
    ("Wanshouxigong", "万寿西宫", "西城区", 39.878, 116.352),
];

/// The metadata of one of the twelve stations, by the name the files use
/// (case-insensitive), under station id `id`.
pub(super) fn beijing_station(name: &str, id: &str) -> Option<StationInfo> {
    STATIONS
        .iter()
        .find(|s| s.0.eq_ignore_ascii_case(name))
        .map(|&(en, zh, district, lat, lon)| StationInfo {
            id: id.to_string(),
            name: zh.to_string(),
            name_en: en.to_string(),
            district: district.to_string(),
            lat: Some(lat),
            lon: Some(lon),
            time_zone: chrono_tz::Asia::Shanghai,
            city: String::new(),
            role: StationRole::Assessment,
        })
}

/// Reads PRSA rows.
#[derive(Debug)]
pub(crate) struct PrsaParser {
    year: usize,
    month: usize,
    day: usize,
    hour: usize,
    station: Option<usize>,
    values: Vec<ValueColumn>,
    tz: Tz,
    station_override: Option<String>,
}

impl PrsaParser {
    /// Checks the header; the error names the offending column.
    pub(crate) fn new(header: &StringRecord, options: &ImportOptions) -> Result<Self, String> {
        let mut values = Vec::new();
        for (index, name) in header.iter().enumerate() {
            let known = ["No", "year", "month", "day", "hour", "station"]
                .iter()
                .any(|c| c.eq_ignore_ascii_case(name));
            if known {
                continue;
            }
            let Some(&(_, parameter, convert)) = VALUE_COLUMNS
                .iter()
                .find(|(c, _, _)| c.eq_ignore_ascii_case(name))
            else {
                return Err(format!(
                    "unknown column `{name}` for the PRSA format (expected No, year, month, \
                     day, hour, {}, station)",
                    VALUE_COLUMNS.map(|c| c.0).join(", ")
                ));
            };
            if values
                .iter()
                .any(|v: &ValueColumn| v.parameter == parameter)
            {
                return Err(format!("column `{name}` appears twice"));
            }
            values.push(ValueColumn {
                index,
                name: name.to_string(),
                parameter,
                convert,
            });
        }
        let required =
            |name: &str| column(header, name).ok_or_else(|| format!("missing column `{name}`"));
        let station = column(header, "station");
        if station.is_none() && options.station.is_none() {
            return Err("missing column `station` (or give the station id)".to_string());
        }
        Ok(PrsaParser {
            year: required("year")?,
            month: required("month")?,
            day: required("day")?,
            hour: required("hour")?,
            station,
            values,
            tz: options.time_zone.unwrap_or(chrono_tz::Asia::Shanghai),
            station_override: options.station.clone(),
        })
    }
}

impl RowParser for PrsaParser {
    fn parse(&self, record: &StringRecord, row: &mut Row) -> Result<(), String> {
        let int = |index: usize, what: &str| -> Result<u32, String> {
            let text = record.get(index).unwrap_or("");
            text.parse::<u32>()
                .map_err(|_| format!("cannot read {what} `{}`", shown(text)))
        };
        let (year, month, day, hour) = (
            int(self.year, "year")?,
            int(self.month, "month")?,
            int(self.day, "day")?,
            int(self.hour, "hour")?,
        );
        let date = i32::try_from(year)
            .ok()
            .and_then(|y| NaiveDate::from_ymd_opt(y, month, day))
            .ok_or_else(|| format!("no such date {year}-{month}-{day}"))?;
        row.time = Some(date_hour_to_utc(date, hour, self.tz)?);
        if let Some(i) = self.station {
            row.label.push_str(record.get(i).unwrap_or(""));
        }
        match &self.station_override {
            Some(id) => row.station.push_str(id),
            None if row.label.is_empty() => return Err("no station".to_string()),
            None => {
                row.station.push_str(ID_PREFIX);
                row.station.push_str(&row.label);
            }
        }
        read_values(&self.values, record, row);
        Ok(())
    }

    fn new_station(&self, id: &str, label: &str, _meta: &StationMeta) -> StationInfo {
        let mut info = beijing_station(label, id).unwrap_or_else(|| StationInfo {
            id: id.to_string(),
            name: if label.is_empty() { id } else { label }.to_string(),
            name_en: if label.is_empty() { id } else { label }.to_string(),
            district: String::new(),
            lat: None,
            lon: None,
            time_zone: self.tz,
            city: String::new(),
            role: StationRole::Assessment,
        });
        info.time_zone = self.tz;
        info
    }
}
