//! Factor codes (`a34004`) → lantian's parameters, with the unit a station sends them in.
//!
//! [`DEFAULT_AIR_CODES`] is a **default**: loggers differ in codes and units (the corpus has
//! air pressure `a01006` in kPa from one vendor and in hPa from another, and ozone as
//! `a05024` or `O3`), so a station's map ([`CodeMap`]) starts from it and overrides entries.
//! Notes on the standard's tables:
//! - HJ 212-2017's code table prints ng/m³ as the unit of `a34xxx` (particulate matter); the
//!   air-quality loggers whose packets are in the corpus send PM in µg/m³ (PM2.5 ≈ 127), and
//!   µg/m³ is the default here. Configure the unit per station.
//! - `a05024` (ozone) is not in the 2017 code table, although implementations use it.
//! - HJ/T 212-2005 codes are those of pollution-source monitoring (`02` SO2 and `03` NOx in a
//!   stack, in mg/m³); only those two, whose meaning is certain, are in [`HJ212_2005_CODES`],
//!   kept apart from the air table because a stack is not ambient air.

use crate::units::{Parameter, Unit};

/// One factor code with the parameter it measures and the unit it is sent in by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeEntry {
    /// The code as written in CP (`a34004`).
    pub code: &'static str,
    /// The parameter.
    pub parameter: Parameter,
    /// The unit values come in unless the station says otherwise.
    pub unit: Unit,
}

const fn entry(code: &'static str, parameter: Parameter, unit: Unit) -> CodeEntry {
    CodeEntry {
        code,
        parameter,
        unit,
    }
}

/// The default air-quality table (ST=22): the six assessed pollutants and the weather.
pub const DEFAULT_AIR_CODES: [CodeEntry; 11] = [
    entry("a34004", Parameter::Pm25, Unit::MicrogramPerCubicMetre),
    entry("a34002", Parameter::Pm10, Unit::MicrogramPerCubicMetre),
    entry("a21026", Parameter::So2, Unit::MicrogramPerCubicMetre),
    entry("a21004", Parameter::No2, Unit::MicrogramPerCubicMetre),
    entry("a21005", Parameter::Co, Unit::MilligramPerCubicMetre),
    // Not in the 2017 table; what implementations use for ozone.
    entry("a05024", Parameter::O3, Unit::MicrogramPerCubicMetre),
    entry("a01001", Parameter::Temperature, Unit::Celsius),
    entry("a01002", Parameter::Humidity, Unit::Percent),
    entry("a01006", Parameter::Pressure, Unit::Kilopascal),
    entry("a01007", Parameter::WindSpeed, Unit::MetrePerSecond),
    entry("a01008", Parameter::WindDirection, Unit::Degree),
];

/// HJ/T 212-2005 codes whose meaning is certain (pollution-source monitoring, mg/m³).
pub const HJ212_2005_CODES: [CodeEntry; 2] = [
    entry("02", Parameter::So2, Unit::MilligramPerCubicMetre),
    entry("03", Parameter::Nox, Unit::MilligramPerCubicMetre),
];

/// A station's code map: which code is which parameter, in which unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeMap {
    entries: Vec<(String, Parameter, Unit)>,
}

impl Default for CodeMap {
    fn default() -> Self {
        CodeMap::air_default()
    }
}

impl CodeMap {
    /// A map with no code.
    pub fn empty() -> CodeMap {
        CodeMap {
            entries: Vec::new(),
        }
    }

    /// [`DEFAULT_AIR_CODES`].
    pub fn air_default() -> CodeMap {
        CodeMap {
            entries: DEFAULT_AIR_CODES
                .iter()
                .map(|e| (e.code.to_string(), e.parameter, e.unit))
                .collect(),
        }
    }

    /// Maps `code` to `parameter` in `unit`, replacing what `code` was, and removing any other
    /// code of `parameter` (one code per parameter, so that a reading cannot arrive twice).
    pub fn set(&mut self, code: &str, parameter: Parameter, unit: Unit) -> &mut Self {
        self.entries
            .retain(|(c, p, _)| c != code && *p != parameter);
        self.entries.push((code.to_string(), parameter, unit));
        self
    }

    /// Forgets `code`.
    pub fn remove(&mut self, code: &str) -> &mut Self {
        self.entries.retain(|(c, _, _)| c != code);
        self
    }

    /// The parameter and unit of `code`.
    pub fn get(&self, code: &str) -> Option<(Parameter, Unit)> {
        self.entries
            .iter()
            .find(|(c, _, _)| c == code)
            .map(|(_, p, u)| (*p, *u))
    }

    /// The code and unit `parameter` is sent with (for building packets).
    pub fn code_of(&self, parameter: Parameter) -> Option<(&str, Unit)> {
        self.entries
            .iter()
            .find(|(_, p, _)| *p == parameter)
            .map(|(c, _, u)| (c.as_str(), *u))
    }

    /// Every entry: code, parameter, unit.
    pub fn entries(&self) -> impl Iterator<Item = (&str, Parameter, Unit)> {
        self.entries.iter().map(|(c, p, u)| (c.as_str(), *p, *u))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hj212::fields::is_standard_code;
    use crate::units::{Conversion, ReferenceState};

    #[test]
    fn default_table_and_overrides() {
        let mut map = CodeMap::air_default();
        assert_eq!(
            map.get("a34004"),
            Some((Parameter::Pm25, Unit::MicrogramPerCubicMetre))
        );
        assert_eq!(map.code_of(Parameter::Co).map(|c| c.0), Some("a21005"));
        // A vendor that sends ozone as `O3` and pressure in hPa.
        map.set("O3", Parameter::O3, Unit::MicrogramPerCubicMetre)
            .set("a01006", Parameter::Pressure, Unit::Hectopascal);
        assert_eq!(map.get("a05024"), None);
        assert_eq!(map.get("O3").map(|e| e.0), Some(Parameter::O3));
        assert_eq!(map.get("a01006").map(|e| e.1), Some(Unit::Hectopascal));
        assert_eq!(map.entries().count(), DEFAULT_AIR_CODES.len());
        for e in DEFAULT_AIR_CODES {
            assert!(is_standard_code(e.code), "{}", e.code);
            assert!(
                Conversion::to_canonical(e.parameter, e.unit, &ReferenceState::default()).is_ok(),
                "{} in {}",
                e.code,
                e.unit
            );
        }
    }
}
