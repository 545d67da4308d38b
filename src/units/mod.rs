//! Parameters, their canonical units, and every unit conversion of the pipeline.
//!
//! - `parameter.rs`: [`Parameter`], the one name for a measured quantity, and its table
//!   (codes, names, canonical units, molar masses).
//! - `subset.rs`: typed subsets of it ([`AirPollutant`], [`Meteorological`],
//!   [`ForecastTarget`], and those the standards define elsewhere) with the conversions to and from [`Parameter`].
//! - `source_type.rs`: [`SourceType`], the kinds of pollution source the source analysis
//!   names (stored with its flags, printed by the reports).
//!
//! Each [`Parameter`] has exactly one canonical [`Unit`]; everything stored, aggregated or
//! computed is in that unit. Conversions from what a device reports happen here and nowhere
//! else: a [`Conversion`] is resolved once (when a profile is loaded) and applied per sample as
//! one multiply-add.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

mod parameter;
mod source_type;
mod subset;

pub use parameter::{NO_AS_NO2, Parameter, ParameterKind};
pub use source_type::{SourceType, UnknownSourceType};
pub(crate) use subset::parameter_subset;
pub use subset::{AirPollutant, ForecastTarget, Meteorological, NotInSubset};

/// µg in one mg: CO is kept in mg/m³, the other pollutants in µg/m³.
pub const UG_PER_MG: f64 = 1000.0;

/// Error for an unknown parameter or unit name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnitError {
    /// The name is not a parameter code.
    #[error("unknown parameter `{0}` (expected one of: {list})", list = parameter_codes())]
    UnknownParameter(String),
    /// The name is not a unit this pipeline knows.
    #[error("unknown unit `{0}` (expected one of: {list})", list = unit_names())]
    UnknownUnit(String),
    /// The unit measures something else than the parameter.
    #[error("unit `{unit}` cannot express {parameter} (canonical unit {canonical})")]
    Incompatible {
        /// The parameter being converted.
        parameter: Parameter,
        /// The unit given.
        unit: Unit,
        /// The parameter's canonical unit.
        canonical: Unit,
    },
}

fn parameter_codes() -> String {
    Parameter::ALL.map(Parameter::code).join(", ")
}

fn unit_names() -> String {
    Unit::ALL.map(Unit::symbol).join(", ")
}

/// A unit of measure a device may report in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "&'static str")]
pub enum Unit {
    /// µg/m³.
    MicrogramPerCubicMetre,
    /// mg/m³.
    MilligramPerCubicMetre,
    /// Parts per billion by volume.
    Ppb,
    /// Parts per million by volume.
    Ppm,
    /// m/s.
    MetrePerSecond,
    /// km/h.
    KilometrePerHour,
    /// Degrees of arc.
    Degree,
    /// °C.
    Celsius,
    /// Kelvin.
    Kelvin,
    /// Percent.
    Percent,
    /// hPa (= mbar).
    Hectopascal,
    /// kPa.
    Kilopascal,
    /// mmHg (torr).
    MillimetreOfMercury,
    /// mm of precipitation.
    Millimetre,
}

impl Unit {
    /// Every unit.
    pub const ALL: [Unit; 14] = [
        Unit::MicrogramPerCubicMetre,
        Unit::MilligramPerCubicMetre,
        Unit::Ppb,
        Unit::Ppm,
        Unit::MetrePerSecond,
        Unit::KilometrePerHour,
        Unit::Degree,
        Unit::Celsius,
        Unit::Kelvin,
        Unit::Percent,
        Unit::Hectopascal,
        Unit::Kilopascal,
        Unit::MillimetreOfMercury,
        Unit::Millimetre,
    ];

    /// The symbol used in files (ASCII, so that it can be typed).
    pub const fn symbol(self) -> &'static str {
        match self {
            Unit::MicrogramPerCubicMetre => "ug/m3",
            Unit::MilligramPerCubicMetre => "mg/m3",
            Unit::Ppb => "ppb",
            Unit::Ppm => "ppm",
            Unit::MetrePerSecond => "m/s",
            Unit::KilometrePerHour => "km/h",
            Unit::Degree => "deg",
            Unit::Celsius => "degC",
            Unit::Kelvin => "K",
            Unit::Percent => "%",
            Unit::Hectopascal => "hPa",
            Unit::Kilopascal => "kPa",
            Unit::MillimetreOfMercury => "mmHg",
            Unit::Millimetre => "mm",
        }
    }

    /// The symbol for display (µg/m³, °C).
    pub const fn display(self) -> &'static str {
        match self {
            Unit::MicrogramPerCubicMetre => "µg/m³",
            Unit::MilligramPerCubicMetre => "mg/m³",
            Unit::Celsius => "°C",
            Unit::Degree => "°",
            other => other.symbol(),
        }
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.display())
    }
}

impl From<Unit> for &'static str {
    fn from(u: Unit) -> Self {
        u.symbol()
    }
}

impl FromStr for Unit {
    type Err = UnitError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let unit = match t {
            "ug/m3" | "µg/m³" | "μg/m³" | "µg/m3" | "μg/m3" | "ug/m³" => {
                Unit::MicrogramPerCubicMetre
            }
            "mg/m3" | "mg/m³" => Unit::MilligramPerCubicMetre,
            "ppb" | "PPB" => Unit::Ppb,
            "ppm" | "PPM" => Unit::Ppm,
            "m/s" => Unit::MetrePerSecond,
            "km/h" => Unit::KilometrePerHour,
            "deg" | "°" | "degree" | "degrees" => Unit::Degree,
            "degC" | "°C" | "C" => Unit::Celsius,
            "K" => Unit::Kelvin,
            "%" => Unit::Percent,
            "hPa" | "mbar" => Unit::Hectopascal,
            "kPa" => Unit::Kilopascal,
            "mmHg" | "torr" => Unit::MillimetreOfMercury,
            "mm" => Unit::Millimetre,
            _ => return Err(UnitError::UnknownUnit(s.to_string())),
        };
        Ok(unit)
    }
}

impl TryFrom<String> for Unit {
    type Error = UnitError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

/// The reference state in which mixing ratios (ppb, ppm) are turned into mass concentrations.
///
/// GB 3095-2012 as amended in 2018 states gaseous pollutants at 25 °C and 101.325 kPa; the
/// original 2012 text (and much older data) used 0 °C. The US EPA uses 25 °C.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferenceState {
    /// Reference temperature in °C.
    pub temperature_c: f64,
    /// Reference pressure in hPa.
    pub pressure_hpa: f64,
}

impl Default for ReferenceState {
    fn default() -> Self {
        ReferenceState {
            temperature_c: 25.0,
            pressure_hpa: 1013.25,
        }
    }
}

impl ReferenceState {
    /// Molar volume of an ideal gas in L/mol at this state.
    pub fn molar_volume(&self) -> f64 {
        const R: f64 = 8.314_462_618; // J/(mol·K)
        // V = RT/p; with p in Pa gives m³/mol, ×1000 for litres.
        R * (self.temperature_c + 273.15) / (self.pressure_hpa * 100.0) * 1000.0
    }
}

/// A resolved conversion `canonical = raw * factor + offset`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Conversion {
    /// Multiplier.
    pub factor: f64,
    /// Addend, applied after the multiplier.
    pub offset: f64,
}

impl Conversion {
    /// The identity conversion.
    pub const IDENTITY: Conversion = Conversion {
        factor: 1.0,
        offset: 0.0,
    };

    /// Resolves how to turn `parameter` reported in `unit` into its canonical unit.
    pub fn to_canonical(
        parameter: Parameter,
        unit: Unit,
        reference: &ReferenceState,
    ) -> Result<Conversion, UnitError> {
        let canonical = parameter.canonical_unit();
        let incompatible = || UnitError::Incompatible {
            parameter,
            unit,
            canonical,
        };
        let scale = |factor: f64| {
            Ok(Conversion {
                factor,
                offset: 0.0,
            })
        };
        use Unit::*;
        match (unit, canonical) {
            (u, c) if u == c => Ok(Conversion::IDENTITY),
            (MilligramPerCubicMetre, MicrogramPerCubicMetre) => scale(1000.0),
            (MicrogramPerCubicMetre, MilligramPerCubicMetre) => scale(0.001),
            (Ppb | Ppm, MicrogramPerCubicMetre | MilligramPerCubicMetre) => {
                let molar_mass = parameter.molar_mass().ok_or_else(incompatible)?;
                // 1 ppb = M / Vm µg/m³; 1 ppm = M / Vm mg/m³.
                let per_ppb_ug = molar_mass / reference.molar_volume();
                let ug = if unit == Ppm {
                    per_ppb_ug * 1000.0
                } else {
                    per_ppb_ug
                };
                scale(if canonical == MilligramPerCubicMetre {
                    ug / 1000.0
                } else {
                    ug
                })
            }
            (KilometrePerHour, MetrePerSecond) => scale(1.0 / 3.6),
            (Kelvin, Celsius) => Ok(Conversion {
                factor: 1.0,
                offset: -273.15,
            }),
            (Kilopascal, Hectopascal) => scale(10.0),
            (MillimetreOfMercury, Hectopascal) => scale(1.333_223_874),
            _ => Err(incompatible()),
        }
    }

    /// Applies the conversion.
    #[inline]
    pub fn apply(&self, raw: f64) -> f64 {
        raw.mul_add(self.factor, self.offset)
    }

    /// The inverse: from canonical back to the device's unit (used by the simulator).
    #[inline]
    pub fn invert(&self, canonical: f64) -> f64 {
        (canonical - self.offset) / self.factor
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for p in Parameter::ALL {
            assert_eq!(p.code().parse::<Parameter>().unwrap(), p);
            assert_eq!(Parameter::from_code(p.code()), Some(p));
        }
        // The stored form is exact; what people type is not.
        assert_eq!(Parameter::from_code(" PM25"), None);
        assert_eq!(" PM25".parse::<Parameter>().unwrap(), Parameter::Pm25);
        for u in Unit::ALL {
            assert_eq!(u.symbol().parse::<Unit>().unwrap(), u);
        }
    }

    #[test]
    fn molar_volume_at_25c_and_0c() {
        assert!((ReferenceState::default().molar_volume() - 24.465).abs() < 0.001);
        let zero = ReferenceState {
            temperature_c: 0.0,
            pressure_hpa: 1013.25,
        };
        assert!((zero.molar_volume() - 22.414).abs() < 0.001);
    }

    #[test]
    fn ppb_to_mass_concentration() {
        let r = ReferenceState::default();
        // 1 ppb SO2 at 25 °C = 64.066 / 24.465 = 2.6187 µg/m³.
        let c = Conversion::to_canonical(Parameter::So2, Unit::Ppb, &r).unwrap();
        assert!((c.apply(1.0) - 2.6187).abs() < 1e-3);
        // 1 ppm CO at 25 °C = 1.1449 mg/m³.
        let c = Conversion::to_canonical(Parameter::Co, Unit::Ppm, &r).unwrap();
        assert!((c.apply(1.0) - 1.1449).abs() < 1e-3);
        // 100 ppb O3 at 0 °C = 214.1 µg/m³.
        let zero = ReferenceState {
            temperature_c: 0.0,
            pressure_hpa: 1013.25,
        };
        let c = Conversion::to_canonical(Parameter::O3, Unit::Ppb, &zero).unwrap();
        assert!((c.apply(100.0) - 214.14).abs() < 0.05);
        assert!((c.invert(c.apply(42.0)) - 42.0).abs() < 1e-9);
    }

    #[test]
    fn ppb_factors_and_nox_as_no2() {
        let r = ReferenceState::default();
        let no = Parameter::No.ug_per_ppb(&r).unwrap();
        assert!((no - 30.006 / r.molar_volume()).abs() < 1e-12);
        assert!(Parameter::Pm25.ug_per_ppb(&r).is_none());
        // 10 µg/m³ of NO is 15.33 µg/m³ of NOx stated as NO2.
        assert!((10.0 * NO_AS_NO2 - 15.332).abs() < 1e-3);
    }

    #[test]
    fn other_conversions() {
        let r = ReferenceState::default();
        let bam = Conversion::to_canonical(Parameter::Pm25, Unit::MilligramPerCubicMetre, &r);
        assert_eq!(bam.unwrap().apply(0.035), 35.0);
        let p = Conversion::to_canonical(Parameter::Pressure, Unit::MillimetreOfMercury, &r);
        assert!((p.unwrap().apply(760.0) - 1013.25).abs() < 0.01);
        let t = Conversion::to_canonical(Parameter::Temperature, Unit::Kelvin, &r).unwrap();
        assert!((t.apply(300.0) - 26.85).abs() < 1e-9);
    }

    #[test]
    fn incompatible_units_are_errors() {
        let r = ReferenceState::default();
        assert!(matches!(
            Conversion::to_canonical(Parameter::Pm25, Unit::Ppb, &r),
            Err(UnitError::Incompatible { .. })
        ));
        assert!(Conversion::to_canonical(Parameter::WindSpeed, Unit::Celsius, &r).is_err());
        assert!(matches!(
            "furlong".parse::<Unit>(),
            Err(UnitError::UnknownUnit(_))
        ));
    }
}
