//! Forecast weather: the optional input of the weather variant of the models, kept apart from
//! the observations. A user who has a weather forecast supplies it as CSV
//! ([`read_csv`]); backtests stand the *observed* weather at the valid time in for it
//! ([`ForecastWeather::observed`], "perfect prognosis" — an upper bound of what a real weather
//! forecast gives). Either way it is aligned to a [`Grid`]'s hours, per station, with rows for
//! the whole network filling the hours a station has none of its own.
//!
//! CSV columns (header required, any order): `time` (RFC 3339, the hour-ending label of the
//! hour the values describe), `station` (an id, or `network`), and any of `u`, `v` (m/s, the
//! direction the air moves to) or `wind_speed` (m/s) with `wind_direction` (degrees, where the
//! wind comes from), `temperature` (°C), `dew_point` (°C) or `humidity` (%), `pressure` (hPa),
//! `rain` (mm in the hour). Empty cells are missing; anything else that does not read is an
//! error naming the file, line and field.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use enum_map::{Enum, EnumMap, enum_map};

use super::series::Grid;
use crate::units::Parameter;

/// A forecast-weather variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Enum)]
pub enum WeatherVar {
    /// Wind towards the east, m/s.
    U,
    /// Wind towards the north, m/s.
    V,
    /// Wind speed, m/s.
    WindSpeed,
    /// Temperature, °C.
    Temperature,
    /// Dew point, °C.
    DewPoint,
    /// Pressure, hPa.
    Pressure,
    /// Rain, mm/h.
    Rain,
}

/// Errors reading a forecast-weather file.
#[derive(Debug, thiserror::Error)]
pub enum WeatherError {
    /// The file could not be opened or is not CSV.
    #[error("{path}: {reason}")]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// A field does not read.
    #[error("{path}, line {line}, field `{field}`: {reason}")]
    Field {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        /// Column name.
        field: String,
        /// What is wrong.
        reason: String,
    },
}

/// Wind components (u eastward, v northward: where the air moves to) from speed and the
/// direction it comes from (degrees).
pub fn wind_components(speed: f64, from_deg: f64) -> (f64, f64) {
    let r = from_deg.to_radians();
    (-speed * r.sin(), -speed * r.cos())
}

/// Dew point (°C) from temperature (°C) and relative humidity (%), Magnus formula (Sonntag).
pub fn dew_point_from_rh(temp: f64, rh: f64) -> f64 {
    if !(temp.is_finite() && rh.is_finite() && rh > 0.0) {
        return f64::NAN;
    }
    let (a, b) = (17.62, 243.12);
    let g = (rh / 100.0).ln() + a * temp / (b + temp);
    b * g / (a - g)
}

/// One row of a forecast-weather file.
#[derive(Debug, Clone, PartialEq)]
pub struct WeatherRecord {
    /// Hour-ending label (UTC).
    pub time: DateTime<Utc>,
    /// Station id, or `None` for the whole network.
    pub station: Option<String>,
    /// The values; `NaN` = not given.
    pub values: EnumMap<WeatherVar, f64>,
}

/// A forecast-weather file as read: its rows and where they came from (named in messages).
#[derive(Debug, Clone, PartialEq)]
pub struct WeatherFile {
    /// The file, as given.
    pub source: String,
    /// Its rows.
    pub records: Vec<WeatherRecord>,
}

impl WeatherFile {
    /// Reads `path` ([`read_csv`]).
    pub fn read(path: &Path) -> Result<WeatherFile, WeatherError> {
        Ok(WeatherFile {
            source: path.display().to_string(),
            records: read_csv(path)?,
        })
    }
}

/// Reads a forecast-weather CSV (see the module docs).
pub fn read_csv(path: &Path) -> Result<Vec<WeatherRecord>, WeatherError> {
    let file_err = |reason: String| WeatherError::File {
        path: path.to_path_buf(),
        reason,
    };
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(|e| file_err(e.to_string()))?;
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| file_err(e.to_string()))?
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    let col = |name: &str| headers.iter().position(|h| h == name);
    let (Some(time_col), Some(station_col)) = (col("time"), col("station")) else {
        return Err(file_err(
            "the header needs `time` and `station` columns".into(),
        ));
    };
    const KNOWN: [&str; 11] = [
        "time",
        "station",
        "u",
        "v",
        "wind_speed",
        "wind_direction",
        "temperature",
        "dew_point",
        "humidity",
        "pressure",
        "rain",
    ];
    if let Some(h) = headers.iter().find(|h| !KNOWN.contains(&h.as_str())) {
        return Err(file_err(format!(
            "unknown column `{h}` (known: {})",
            KNOWN.join(", ")
        )));
    }
    if col("u").is_some() != col("v").is_some()
        || col("wind_speed").is_some() != col("wind_direction").is_some()
    {
        return Err(file_err(
            "wind needs both `u` and `v`, or both `wind_speed` and `wind_direction`".into(),
        ));
    }
    let mut out = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| file_err(e.to_string()))?;
        let line = rec.position().map_or(0, |p| p.line());
        let field_err = |field: &str, reason: String| WeatherError::Field {
            path: path.to_path_buf(),
            line,
            field: field.to_string(),
            reason,
        };
        let text = |c: usize| rec.get(c).unwrap_or("");
        let time = DateTime::parse_from_rfc3339(text(time_col))
            .map_err(|e| field_err("time", format!("`{}` is not RFC 3339: {e}", text(time_col))))?
            .with_timezone(&Utc);
        let station = match text(station_col) {
            "" => return Err(field_err("station", "empty".into())),
            s if s.eq_ignore_ascii_case("network") => None,
            s => Some(s.to_string()),
        };
        let num = |name: &str, lo: f64, hi: f64| -> Result<f64, WeatherError> {
            let Some(c) = col(name) else {
                return Ok(f64::NAN);
            };
            let t = text(c);
            if t.is_empty() || t.eq_ignore_ascii_case("na") {
                return Ok(f64::NAN);
            }
            let v: f64 = t
                .parse()
                .map_err(|_| field_err(name, format!("`{t}` is not a number")))?;
            if !(lo..=hi).contains(&v) {
                return Err(field_err(
                    name,
                    format!("{v} is outside the plausible range {lo} … {hi}"),
                ));
            }
            Ok(v)
        };
        let (u, v) = (num("u", -75.0, 75.0)?, num("v", -75.0, 75.0)?);
        let (ws, wd) = (
            num("wind_speed", 0.0, 75.0)?,
            num("wind_direction", 0.0, 360.0)?,
        );
        let (u, v, ws) = if u.is_finite() && v.is_finite() {
            (u, v, u.hypot(v))
        } else if ws.is_finite() && wd.is_finite() {
            let (a, b) = wind_components(ws, wd);
            (a, b, ws)
        } else {
            (f64::NAN, f64::NAN, f64::NAN)
        };
        let temp = num("temperature", -60.0, 60.0)?;
        let dewp = num("dew_point", -80.0, 60.0)?;
        let dewp = if dewp.is_finite() {
            dewp
        } else {
            dew_point_from_rh(temp, num("humidity", 0.0, 100.0)?)
        };
        let pres = num("pressure", 300.0, 1100.0)?;
        let rain = num("rain", 0.0, 500.0)?;
        let values = enum_map! {
            WeatherVar::U => u,
            WeatherVar::V => v,
            WeatherVar::WindSpeed => ws,
            WeatherVar::Temperature => temp,
            WeatherVar::DewPoint => dewp,
            WeatherVar::Pressure => pres,
            WeatherVar::Rain => rain,
        };
        out.push(WeatherRecord {
            time,
            station,
            values,
        });
    }
    Ok(out)
}

/// Weather aligned to a grid: `values[station][slot][hour]`, `NaN` where unknown.
#[derive(Debug, Clone, PartialEq)]
pub struct ForecastWeather {
    /// Per grid station, per variable, per grid hour.
    pub values: Vec<EnumMap<WeatherVar, Vec<f64>>>,
    /// Where the values come from (shown with forecasts and backtests).
    pub source: String,
}

impl ForecastWeather {
    /// The observed weather of the grid itself ("perfect prognosis").
    pub fn observed(grid: &Grid) -> ForecastWeather {
        let values = (0..grid.stations.len())
            .map(|s| {
                let mut v: EnumMap<WeatherVar, Vec<f64>> =
                    EnumMap::from_fn(|_| Vec::with_capacity(grid.len));
                let at = |p: Parameter, i: usize| grid.get(s, p, i).unwrap_or(f64::NAN);
                for i in 0..grid.len {
                    let (ws, wd) = (at(Parameter::WindSpeed, i), at(Parameter::WindDirection, i));
                    let (u, w) = wind_components(ws, wd);
                    let temp = at(Parameter::Temperature, i);
                    let d = at(Parameter::DewPoint, i);
                    let dewp = if d.is_finite() {
                        d
                    } else {
                        dew_point_from_rh(temp, at(Parameter::Humidity, i))
                    };
                    let hour = enum_map! {
                        WeatherVar::U => u,
                        WeatherVar::V => w,
                        WeatherVar::WindSpeed => ws,
                        WeatherVar::Temperature => temp,
                        WeatherVar::DewPoint => dewp,
                        WeatherVar::Pressure => at(Parameter::Pressure, i),
                        WeatherVar::Rain => at(Parameter::Rain, i),
                    };
                    for (var, col) in &mut v {
                        col.push(hour[var]);
                    }
                }
                v
            })
            .collect();
        ForecastWeather {
            values,
            source: "observed weather at the valid time (perfect prognosis)".into(),
        }
    }

    /// Aligns file records to `grid`: a station's own rows first, the network's where it has
    /// none. Records outside the grid's hours or for unknown stations are ignored (counted in
    /// the log).
    pub fn from_records(records: &[WeatherRecord], grid: &Grid, source: &str) -> ForecastWeather {
        let n = grid.stations.len();
        let mut values = vec![EnumMap::from_fn(|_| vec![f64::NAN; grid.len]); n];
        let index: BTreeMap<&str, usize> = grid
            .stations
            .iter()
            .enumerate()
            .map(|(i, s)| (s.as_str(), i))
            .collect();
        let mut ignored = 0usize;
        // Network rows first, station rows overwrite them.
        for pass_network in [true, false] {
            for r in records
                .iter()
                .filter(|r| r.station.is_none() == pass_network)
            {
                let Some(h) = grid.index_of(r.time) else {
                    ignored += 1;
                    continue;
                };
                let targets: Vec<usize> = match &r.station {
                    None => (0..n).collect(),
                    Some(id) => match index.get(id.as_str()) {
                        Some(&i) => vec![i],
                        None => {
                            ignored += 1;
                            continue;
                        }
                    },
                };
                for s in targets {
                    for (var, &x) in &r.values {
                        if x.is_finite() {
                            values[s][var][h] = x;
                        }
                    }
                }
            }
        }
        if ignored > 0 {
            tracing::info!(
                "{source}: {ignored} weather rows outside the forecast's hours or stations"
            );
        }
        ForecastWeather {
            values,
            source: source.to_string(),
        }
    }

    /// Mean of `var` at station `s` over hours `[a, b]` when at least half are present.
    pub fn mean(&self, s: usize, var: WeatherVar, a: usize, b: usize) -> f64 {
        let Some(series) = self.values.get(s).map(|v| &v[var]) else {
            return f64::NAN;
        };
        let (mut sum, mut n) = (0.0, 0usize);
        for &x in series.iter().take(b + 1).skip(a) {
            if x.is_finite() {
                sum += x;
                n += 1;
            }
        }
        let want = b.saturating_sub(a) + 1;
        if n > 0 && 2 * n >= want {
            sum / n as f64
        } else {
            f64::NAN
        }
    }
}
