//! The pollutant terms that make up an AQI.

use std::fmt;

use enum_map::Enum;

use crate::units::Parameter;

/// One term of an AQI: a pollutant, and for ozone which averaging period.
///
/// The averaging period of the other pollutants follows from the computation (hourly or daily
/// HJ 633, EPA); ozone keeps its 1-h and 8-h terms apart because both can enter the same AQI
/// and be named as the primary pollutant (CNEMC: 臭氧1小时, 臭氧8小时).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Enum)]
#[allow(non_camel_case_types)]
pub enum Pollutant {
    /// Sulphur dioxide.
    So2,
    /// Nitrogen dioxide.
    No2,
    /// PM10.
    Pm10,
    /// PM2.5.
    Pm25,
    /// Carbon monoxide.
    Co,
    /// Ozone, 1-h value (hourly) or daily maximum 1-h value.
    O3_1h,
    /// Ozone, daily maximum 8-h moving mean (EPA: the 8-h value).
    O3_8h,
}

impl Pollutant {
    /// Every term, in the order HJ 633 lists them.
    pub const ALL: [Pollutant; <Pollutant as Enum>::LENGTH] = [
        Pollutant::So2,
        Pollutant::No2,
        Pollutant::Pm10,
        Pollutant::Pm25,
        Pollutant::Co,
        Pollutant::O3_1h,
        Pollutant::O3_8h,
    ];

    /// A short code: the parameter's (`so2`, `no2`, `pm10`, `pm25`, `co`), `o3_1h`, `o3_8h`.
    pub const fn code(self) -> &'static str {
        match self {
            Pollutant::O3_1h => "o3_1h",
            Pollutant::O3_8h => "o3_8h",
            other => other.parameter().code(),
        }
    }

    /// The term whose [`code`](Pollutant::code) is exactly `code`.
    pub fn from_code(code: &str) -> Option<Pollutant> {
        Pollutant::ALL.into_iter().find(|p| p.code() == code)
    }

    /// The measured parameter.
    pub const fn parameter(self) -> Parameter {
        match self {
            Pollutant::So2 => Parameter::So2,
            Pollutant::No2 => Parameter::No2,
            Pollutant::Pm10 => Parameter::Pm10,
            Pollutant::Pm25 => Parameter::Pm25,
            Pollutant::Co => Parameter::Co,
            Pollutant::O3_1h | Pollutant::O3_8h => Parameter::O3,
        }
    }

    /// The English name reports use: the parameter's ([`Parameter::label`]), `O3 1-h`,
    /// `O3 8-h`.
    pub const fn name_en(self) -> &'static str {
        match self {
            Pollutant::O3_1h => "O3 1-h",
            Pollutant::O3_8h => "O3 8-h",
            other => other.parameter().label(),
        }
    }

    /// The Chinese name CNEMC publishes as the primary pollutant (二氧化硫, 二氧化氮,
    /// 颗粒物(PM10), 细颗粒物(PM2.5), 一氧化碳, 臭氧1小时, 臭氧8小时).
    pub const fn name_zh(self) -> &'static str {
        match self {
            Pollutant::So2 => "二氧化硫",
            Pollutant::No2 => "二氧化氮",
            Pollutant::Pm10 => "颗粒物(PM10)",
            Pollutant::Pm25 => "细颗粒物(PM2.5)",
            Pollutant::Co => "一氧化碳",
            Pollutant::O3_1h => "臭氧1小时",
            Pollutant::O3_8h => "臭氧8小时",
        }
    }

    /// The term whose Chinese name (as published by CNEMC, half- or full-width brackets)
    /// is `name`.
    pub fn from_name_zh(name: &str) -> Option<Pollutant> {
        let normal: String = name
            .trim()
            .chars()
            .map(|c| match c {
                '（' => '(',
                '）' => ')',
                c => c,
            })
            .collect();
        Pollutant::ALL.into_iter().find(|p| p.name_zh() == normal)
    }
}

impl From<Pollutant> for Parameter {
    fn from(term: Pollutant) -> Self {
        term.parameter()
    }
}

impl fmt::Display for Pollutant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}
