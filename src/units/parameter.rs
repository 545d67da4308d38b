//! The measured quantities: [`Parameter`] and its one table of codes, names, units and molar
//! masses, split exhaustively into air pollutants and meteorological parameters.

use std::fmt;
use std::str::FromStr;

use enum_map::Enum;
use serde::{Deserialize, Serialize};

use super::subset::{AirPollutant, Meteorological};
use super::{Unit, UnitError};

/// A measured quantity. The code (`pm25`, `so2`, `ws`, …) is what configuration files, CSV
/// headers and the store use.
///
/// Adding one is a compile-time checklist: every table below is an exhaustive `match`,
/// [`Parameter::kind`] makes it an air pollutant or a meteorological parameter (each with its
/// own exhaustive tables, e.g. the simulator's), and every `EnumMap` built with `enum_map!`
/// names it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Enum,
)]
#[serde(try_from = "String", into = "&'static str")]
pub enum Parameter {
    /// Fine particulate matter, aerodynamic diameter ≤ 2.5 µm.
    Pm25,
    /// Inhalable particulate matter, ≤ 10 µm.
    Pm10,
    /// Sulphur dioxide.
    So2,
    /// Nitrogen dioxide.
    No2,
    /// Nitric oxide.
    No,
    /// Nitrogen oxides, expressed as NO2 by mass.
    Nox,
    /// Carbon monoxide.
    Co,
    /// Ozone.
    O3,
    /// Wind speed.
    WindSpeed,
    /// Wind direction, the direction the wind blows *from*, clockwise from north.
    WindDirection,
    /// Air temperature.
    Temperature,
    /// Dew point temperature.
    DewPoint,
    /// Relative humidity.
    Humidity,
    /// Station-level barometric pressure.
    Pressure,
    /// Precipitation. Devices report an intensity (mm/h); the mean of intensities over an hour
    /// is the depth fallen in that hour, which is what an hourly record holds.
    Rain,
}

/// Which kind of quantity a [`Parameter`] is, with its place in that kind's typed subset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ParameterKind {
    /// An air pollutant.
    Pollutant(AirPollutant),
    /// A meteorological parameter.
    Meteorological(Meteorological),
}

impl Parameter {
    /// Every parameter, in declaration order (the order reports list them, and the order of an
    /// `EnumMap<Parameter, _>`). Its length is the number of variants, so a new parameter that
    /// is not listed here does not compile.
    pub const ALL: [Parameter; <Parameter as Enum>::LENGTH] = [
        Parameter::Pm25,
        Parameter::Pm10,
        Parameter::So2,
        Parameter::No2,
        Parameter::No,
        Parameter::Nox,
        Parameter::Co,
        Parameter::O3,
        Parameter::WindSpeed,
        Parameter::WindDirection,
        Parameter::Temperature,
        Parameter::DewPoint,
        Parameter::Humidity,
        Parameter::Pressure,
        Parameter::Rain,
    ];

    /// The code used in files and in the store.
    pub const fn code(self) -> &'static str {
        match self {
            Parameter::Pm25 => "pm25",
            Parameter::Pm10 => "pm10",
            Parameter::So2 => "so2",
            Parameter::No2 => "no2",
            Parameter::No => "no",
            Parameter::Nox => "nox",
            Parameter::Co => "co",
            Parameter::O3 => "o3",
            Parameter::WindSpeed => "ws",
            Parameter::WindDirection => "wd",
            Parameter::Temperature => "temp",
            Parameter::DewPoint => "dewp",
            Parameter::Humidity => "rh",
            Parameter::Pressure => "pres",
            Parameter::Rain => "rain",
        }
    }

    /// The short name people read (`PM2.5`, `NOx`, `O3`; the code for meteorological
    /// parameters), the same in every language.
    pub const fn label(self) -> &'static str {
        match self {
            Parameter::Pm25 => "PM2.5",
            Parameter::Pm10 => "PM10",
            Parameter::So2 => "SO2",
            Parameter::No2 => "NO2",
            Parameter::No => "NO",
            Parameter::Nox => "NOx",
            Parameter::Co => "CO",
            Parameter::O3 => "O3",
            Parameter::WindSpeed
            | Parameter::WindDirection
            | Parameter::Temperature
            | Parameter::DewPoint
            | Parameter::Humidity
            | Parameter::Pressure
            | Parameter::Rain => self.code(),
        }
    }

    /// The parameter whose [`code`](Parameter::code) is exactly `code` (the stored form; see
    /// [`FromStr`] for what people type).
    pub fn from_code(code: &str) -> Option<Parameter> {
        Parameter::ALL.into_iter().find(|p| p.code() == code)
    }

    /// Air pollutant or meteorological parameter.
    pub const fn kind(self) -> ParameterKind {
        use ParameterKind::{Meteorological as M, Pollutant as P};
        match self {
            Parameter::Pm25 => P(AirPollutant::Pm25),
            Parameter::Pm10 => P(AirPollutant::Pm10),
            Parameter::So2 => P(AirPollutant::So2),
            Parameter::No2 => P(AirPollutant::No2),
            Parameter::No => P(AirPollutant::No),
            Parameter::Nox => P(AirPollutant::Nox),
            Parameter::Co => P(AirPollutant::Co),
            Parameter::O3 => P(AirPollutant::O3),
            Parameter::WindSpeed => M(Meteorological::WindSpeed),
            Parameter::WindDirection => M(Meteorological::WindDirection),
            Parameter::Temperature => M(Meteorological::Temperature),
            Parameter::DewPoint => M(Meteorological::DewPoint),
            Parameter::Humidity => M(Meteorological::Humidity),
            Parameter::Pressure => M(Meteorological::Pressure),
            Parameter::Rain => M(Meteorological::Rain),
        }
    }

    /// The one unit this parameter is stored and computed in.
    pub const fn canonical_unit(self) -> Unit {
        match self {
            Parameter::Pm25
            | Parameter::Pm10
            | Parameter::So2
            | Parameter::No2
            | Parameter::No
            | Parameter::Nox
            | Parameter::O3 => Unit::MicrogramPerCubicMetre,
            Parameter::Co => Unit::MilligramPerCubicMetre,
            Parameter::WindSpeed => Unit::MetrePerSecond,
            Parameter::WindDirection => Unit::Degree,
            Parameter::Temperature | Parameter::DewPoint => Unit::Celsius,
            Parameter::Humidity => Unit::Percent,
            Parameter::Pressure => Unit::Hectopascal,
            Parameter::Rain => Unit::Millimetre,
        }
    }

    /// Molar mass in g/mol for gases whose analyzers may report a mixing ratio (ppb/ppm).
    /// NOx is expressed as NO2, as GB 3095 does.
    pub const fn molar_mass(self) -> Option<f64> {
        match self.kind() {
            ParameterKind::Pollutant(p) => match p {
                AirPollutant::So2 => Some(64.066),
                AirPollutant::No2 | AirPollutant::Nox => Some(M_NO2),
                AirPollutant::No => Some(M_NO),
                AirPollutant::Co => Some(28.010),
                AirPollutant::O3 => Some(47.997),
                AirPollutant::Pm25 | AirPollutant::Pm10 => None,
            },
            ParameterKind::Meteorological(_) => None,
        }
    }

    /// True for the air pollutants (as opposed to meteorological parameters).
    pub const fn is_pollutant(self) -> bool {
        matches!(self.kind(), ParameterKind::Pollutant(_))
    }

    /// True when hourly means are circular (wind direction): they must be averaged as vectors.
    pub const fn is_angle(self) -> bool {
        matches!(self, Parameter::WindDirection)
    }

    /// The mass concentration (µg/m³) of 1 ppb of this gas at `reference`; `None` for
    /// particles and meteorological parameters.
    pub fn ug_per_ppb(self, reference: &super::ReferenceState) -> Option<f64> {
        self.molar_mass().map(|m| m / reference.molar_volume())
    }
}

/// Molar mass of NO2, g/mol.
const M_NO2: f64 = 46.0055;
/// Molar mass of NO, g/mol.
const M_NO: f64 = 30.006;

/// NO expressed as NO2 by mass: an NO mass concentration times this is its contribution to
/// NOx (which is stated as NO2).
pub const NO_AS_NO2: f64 = M_NO2 / M_NO;

impl fmt::Display for Parameter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl From<Parameter> for &'static str {
    fn from(p: Parameter) -> Self {
        p.code()
    }
}

impl FromStr for Parameter {
    type Err = UnitError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Parameter::from_code(&s.trim().to_ascii_lowercase())
            .ok_or_else(|| UnitError::UnknownParameter(s.to_string()))
    }
}

impl TryFrom<String> for Parameter {
    type Error = UnitError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_is_in_declaration_order_and_split_in_two() {
        for (i, p) in Parameter::ALL.into_iter().enumerate() {
            assert_eq!(p.into_usize(), i);
            match p.kind() {
                ParameterKind::Pollutant(a) => assert_eq!(Parameter::from(a), p),
                ParameterKind::Meteorological(m) => assert_eq!(Parameter::from(m), p),
            }
            assert_eq!(p.is_pollutant(), AirPollutant::try_from(p).is_ok());
            assert_eq!(!p.is_pollutant(), Meteorological::try_from(p).is_ok());
        }
    }

    #[test]
    fn labels() {
        assert_eq!(Parameter::Pm25.label(), "PM2.5");
        assert_eq!(Parameter::Nox.label(), "NOx");
        assert_eq!(Parameter::WindSpeed.label(), "ws");
    }
}
