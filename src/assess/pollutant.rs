//! The six pollutants of the assessment (GB 3095 basic items).

use crate::units::Parameter;

/// One of the six pollutants HJ 663 assesses, in the order the comprehensive index lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Pollutant {
    /// Sulphur dioxide (µg/m³).
    So2,
    /// Nitrogen dioxide (µg/m³).
    No2,
    /// PM10 (µg/m³).
    Pm10,
    /// PM2.5 (µg/m³).
    Pm25,
    /// Carbon monoxide (mg/m³).
    Co,
    /// Ozone (µg/m³).
    O3,
}

impl Pollutant {
    /// All six, in index order (`p as usize` is the position).
    pub const ALL: [Pollutant; 6] = [
        Pollutant::So2,
        Pollutant::No2,
        Pollutant::Pm10,
        Pollutant::Pm25,
        Pollutant::Co,
        Pollutant::O3,
    ];

    /// Position in [`Pollutant::ALL`] and in every `[_; 6]` array of this module.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The stored parameter.
    pub const fn parameter(self) -> Parameter {
        match self {
            Pollutant::So2 => Parameter::So2,
            Pollutant::No2 => Parameter::No2,
            Pollutant::Pm10 => Parameter::Pm10,
            Pollutant::Pm25 => Parameter::Pm25,
            Pollutant::Co => Parameter::Co,
            Pollutant::O3 => Parameter::O3,
        }
    }

    /// The pollutant of a stored parameter (`None` for the others).
    pub const fn from_parameter(p: Parameter) -> Option<Pollutant> {
        match p {
            Parameter::So2 => Some(Pollutant::So2),
            Parameter::No2 => Some(Pollutant::No2),
            Parameter::Pm10 => Some(Pollutant::Pm10),
            Parameter::Pm25 => Some(Pollutant::Pm25),
            Parameter::Co => Some(Pollutant::Co),
            Parameter::O3 => Some(Pollutant::O3),
            _ => None,
        }
    }

    /// The code (`so2`, `no2`, `pm10`, `pm25`, `co`, `o3`).
    pub const fn code(self) -> &'static str {
        self.parameter().code()
    }
}
