//! Air-quality indices: China's HJ 633 (2012 and 2026 rule sets) and the US EPA AQI (2012 and
//! 2024 PM2.5 tables), with NowCast.
//!
//! Inputs are concentrations in lantian's canonical units (µg/m³; CO mg/m³) — the EPA module
//! converts to its ppm/ppb itself. Results carry each pollutant's sub-index, the AQI, the
//! category and the primary pollutant(s). Index values are computed in exact integer
//! arithmetic so that they match published values digit for digit.

mod category;
pub mod china;
pub mod csv;
pub mod epa;
mod exact;
pub mod nowcast;
mod pollutant;
mod result;
pub mod span;
mod standard;

pub use category::{Category, Rgb};
pub use pollutant::Pollutant;
pub use result::{AqiError, AqiResult, Note, SubIndex};
pub use standard::{Family, Standard};
