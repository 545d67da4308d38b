//! What an AQI computation returns.

use super::{Category, Pollutant};

/// How a sub-index was obtained, when not by plain interpolation inside the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Note {
    /// The concentration lies above the top breakpoint. HJ 633: the sub-index is capped at
    /// 500 (CNEMC publishes 500 for such hours); EPA: the top segment is extrapolated.
    AboveTopBreakpoint,
    /// HJ 633-2012: SO2 1-h above 800 µg/m³, the sub-index comes from the 24-h mean.
    So2From24h,
    /// HJ 633-2026: a fixed sub-index for an above-range value (SO2 1-h > 800 → 200;
    /// O3 8-h > 800 → 300). EPA: SO2 1-h above 304 ppb without a 24-h value ≥ 305 ppb → 200.
    Fixed,
}

/// One pollutant's sub-index (IAQI).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SubIndex {
    /// The term.
    pub pollutant: Pollutant,
    /// The concentration looked up, after any rounding or truncation the standard requires
    /// (canonical units for HJ 633; EPA native units — µg/m³, ppm, ppb — for the EPA).
    pub concentration: f64,
    /// The sub-index.
    pub iaqi: u32,
    /// How it was obtained, when not by plain interpolation.
    pub note: Option<Note>,
}

/// Why a concentration was refused.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum AqiError {
    /// A negative concentration (HJ 633 has no sub-index for it; EPA functions map negative
    /// values to 0 instead of refusing them).
    #[error("{pollutant}: negative concentration {value}")]
    Negative {
        /// The term.
        pollutant: Pollutant,
        /// The value given.
        value: f64,
    },
    /// NaN or infinite.
    #[error("{pollutant}: not a finite number")]
    NotFinite {
        /// The term.
        pollutant: Pollutant,
    },
}

impl AqiError {
    /// The term the refused value belongs to.
    pub fn pollutant(&self) -> Pollutant {
        match self {
            AqiError::Negative { pollutant, .. } | AqiError::NotFinite { pollutant } => *pollutant,
        }
    }
}

/// The result of an AQI computation.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AqiResult {
    /// The AQI (max IAQI); `None` when no pollutant had a value.
    pub aqi: Option<u32>,
    /// Its category.
    pub category: Option<Category>,
    /// Every term that had a sub-index, in [`Pollutant::ALL`] order.
    pub sub_indices: Vec<SubIndex>,
    /// Primary pollutant(s): HJ 633 — only when AQI > 50, every term with the largest
    /// sub-index; EPA — the responsible pollutant(s) (largest sub-index) at any AQI.
    pub primary: Vec<Pollutant>,
    /// HJ 633-2012 exceeding pollutants (超标污染物): sub-index > 100. Always empty for
    /// HJ 633-2026 and the EPA.
    pub exceeding: Vec<Pollutant>,
    /// Inputs refused (negative or non-finite): they have no sub-index and are left out of
    /// the AQI.
    pub rejected: Vec<AqiError>,
}

impl AqiResult {
    /// The sub-index of one term, if it had one.
    pub fn iaqi(&self, pollutant: Pollutant) -> Option<u32> {
        self.sub_indices
            .iter()
            .find(|s| s.pollutant == pollutant)
            .map(|s| s.iaqi)
    }

    /// Builds the result from the sub-indices: AQI = max, category, primary pollutant(s)
    /// (all at the max; only when AQI > `primary_above`, if given) and exceeding pollutants
    /// (sub-index > 100, if `exceeding`).
    pub(crate) fn from_sub_indices(
        sub_indices: Vec<SubIndex>,
        rejected: Vec<AqiError>,
        primary_above: Option<u32>,
        exceeding: bool,
    ) -> AqiResult {
        let aqi = sub_indices.iter().map(|s| s.iaqi).max();
        let primary = match aqi {
            Some(a) if primary_above.is_none_or(|limit| a > limit) => sub_indices
                .iter()
                .filter(|s| s.iaqi == a)
                .map(|s| s.pollutant)
                .collect(),
            _ => Vec::new(),
        };
        let exceeding = if exceeding {
            sub_indices
                .iter()
                .filter(|s| s.iaqi > 100)
                .map(|s| s.pollutant)
                .collect()
        } else {
            Vec::new()
        };
        AqiResult {
            aqi,
            category: aqi.map(Category::from_aqi),
            sub_indices,
            primary,
            exceeding,
            rejected,
        }
    }
}
