//! openair's `mydata`: hourly data of London Marylebone Road, 1998–2005 (R package openair,
//! GPL ≥ 2).
//!
//! Columns `date,ws,wd,nox,no2,o3,pm10,so2,co,pm25` (any subset besides `date`, in any order):
//!
//! - **Time**: `date` (`1998-01-01 00:00:00` or without seconds) is GMT (`--time-zone`
//!   overrides). openair labels an hour by its **beginning**, so the hour-ending label stored is
//!   `date + 1 h`: `1998-01-01 00:00` is stored at 01:00 UTC.
//! - **Units**: `ws` m/s, `wd` degrees, `pm10`/`pm25` µg/m³; `nox`, `no2`, `o3`, `so2` in
//!   **ppb** and `co` in **ppm**, converted to µg/m³ and mg/m³ at a reference state of
//!   **20 °C and 1013 hPa** — UK / EU practice (Directive 2008/50/EC: 293 K, 101.3 kPa), not
//!   the Chinese 25 °C. `--reference-temperature` overrides the temperature. NOx is expressed
//!   as NO2 by mass.
//! - **Missing**: `NA`.
//! - **Station**: `MY1` (`--station` renames it), created as London Marylebone Road
//!   (51.5225 N, 0.1546 W, district Westminster), time zone Europe/London.

use chrono::TimeDelta;
use chrono_tz::Tz;
use csv::StringRecord;

use super::ImportOptions;
use super::row::{Convert, Row, RowParser, StationMeta, ValueColumn, read_values};
use super::values::{column, parse_hour_label};
use crate::store::{StationInfo, StationRole};
use crate::units::{Conversion, Parameter, ReferenceState, Unit};

/// The station id of `mydata`.
pub(super) const STATION_ID: &str = "MY1";

/// The reference state for ppb/ppm in UK data: 20 °C, 1013 hPa.
pub(super) const UK_REFERENCE: ReferenceState = ReferenceState {
    temperature_c: 20.0,
    pressure_hpa: 1013.0,
};

/// The value columns: name, parameter, unit in the file.
const VALUE_COLUMNS: [(&str, Parameter, Unit); 9] = [
    ("ws", Parameter::WindSpeed, Unit::MetrePerSecond),
    ("wd", Parameter::WindDirection, Unit::Degree),
    ("nox", Parameter::Nox, Unit::Ppb),
    ("no2", Parameter::No2, Unit::Ppb),
    ("o3", Parameter::O3, Unit::Ppb),
    ("pm10", Parameter::Pm10, Unit::MicrogramPerCubicMetre),
    ("so2", Parameter::So2, Unit::Ppb),
    ("co", Parameter::Co, Unit::Ppm),
    ("pm25", Parameter::Pm25, Unit::MicrogramPerCubicMetre),
];

/// The metadata of London Marylebone Road under station id `id`.
pub(super) fn marylebone_road(id: &str) -> StationInfo {
    StationInfo {
        id: id.to_string(),
        name: "London Marylebone Road".to_string(),
        name_en: "London Marylebone Road".to_string(),
        district: "Westminster".to_string(),
        lat: Some(51.5225),
        lon: Some(-0.1546),
        time_zone: chrono_tz::Europe::London,
        city: String::new(),
        role: StationRole::Assessment,
    }
}

/// Reads openair rows.
#[derive(Debug)]
pub(crate) struct OpenairParser {
    date: usize,
    values: Vec<ValueColumn>,
    tz: Tz,
    station: String,
}

impl OpenairParser {
    /// Checks the header; the error names the offending column.
    pub(crate) fn new(header: &StringRecord, options: &ImportOptions) -> Result<Self, String> {
        let reference = options.reference(UK_REFERENCE);
        let mut values = Vec::new();
        for (index, name) in header.iter().enumerate() {
            if name.eq_ignore_ascii_case("date") {
                continue;
            }
            let Some(&(_, parameter, unit)) = VALUE_COLUMNS
                .iter()
                .find(|(c, _, _)| c.eq_ignore_ascii_case(name))
            else {
                return Err(format!(
                    "unknown column `{name}` for the openair format (expected date, {})",
                    VALUE_COLUMNS.map(|c| c.0).join(", ")
                ));
            };
            if values
                .iter()
                .any(|v: &ValueColumn| v.parameter == parameter)
            {
                return Err(format!("column `{name}` appears twice"));
            }
            let conversion = Conversion::to_canonical(parameter, unit, &reference)
                .map_err(|e| format!("column `{name}`: {e}"))?;
            values.push(ValueColumn {
                index,
                name: name.to_string(),
                parameter,
                convert: Convert::Linear(conversion),
            });
        }
        Ok(OpenairParser {
            date: column(header, "date").ok_or("missing column `date`")?,
            values,
            tz: options.time_zone.unwrap_or(Tz::UTC),
            station: options
                .station
                .clone()
                .unwrap_or_else(|| STATION_ID.to_string()),
        })
    }
}

impl RowParser for OpenairParser {
    fn parse(&self, record: &StringRecord, row: &mut Row) -> Result<(), String> {
        let start = parse_hour_label(record.get(self.date).unwrap_or(""), self.tz)?;
        row.time = Some(start + TimeDelta::hours(1));
        row.station.push_str(&self.station);
        read_values(&self.values, record, row);
        Ok(())
    }

    fn new_station(&self, id: &str, _label: &str, _meta: &StationMeta) -> StationInfo {
        marylebone_road(id)
    }
}
