//! What a stored daily forecast names as missing ([`ForecastDay::missing`]): written by
//! [`super::issue`], read by the daily report. This vocabulary is all the report needs of the
//! forecasting side besides [`super::skill`], so the report never depends on issuing or
//! training.
//!
//! [`ForecastDay::missing`]: crate::store::ForecastDay::missing

/// Features without which a forecast is not issued (the target's recent values).
pub const REQUIRED: [&str; 3] = ["lag0", "mean24", "clim_target"];

/// Prefix of the entry of [`ForecastDay::missing`] naming the pollutants (codes joined by `,`)
/// whose model for that lead day is not published (no skill over climatology or persistence).
///
/// [`ForecastDay::missing`]: crate::store::ForecastDay::missing
pub const BEYOND_SKILL: &str = "beyond_skill:";
