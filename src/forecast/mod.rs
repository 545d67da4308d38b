//! Statistical air-quality forecasts: hourly PM2.5, PM10 and O3 at each station 1–72 h ahead,
//! and from them the hourly and next-day AQI and category.
//!
//! - [`series`]: the store's hourly records of a period as dense per-station grids (missing
//!   hours stay missing — `NaN` inside, never zero).
//! - [`features`]: the feature vector at an issue time, from information available then only;
//!   every missing input is named.
//! - [`climatology`]: hour-of-day × month means of the training period (a baseline and a feature).
//! - `dataset`: training samples over a period for every station and a horizon group or day.
//! - [`linear`]: the fitted linear models (closed-form ridge with a climatology blend).
//! - [`model`]: the model set — per target, hourly models per horizon group and daily models
//!   per lead day — saved as readable JSON under `models/`.
//! - [`range`]: AQI range and category-span forecasts (the Chinese operational form) and the
//!   intervals behind them.
//! - [`weather`]: optional forecast weather (CSV, or the observed weather in backtests).
//! - [`backtest`]: rolling-origin evaluation against persistence and climatology.
//! - [`refit`]: the same with the models re-trained every few days on an expanding window.
//! - [`run`]: one forecast run at an issue time.
//! - [`issue`]: a run over the store's stations, turned into stored forecasts (the CLI and the
//!   scheduled `forecast` job).
//! - [`from_store`]: training and backtests on the store's data (the `forecast` commands).
//! - [`skill`]: live skill of stored forecasts against the observations that came later.
//! - [`missing`]: the names a stored forecast gives what was missing (read by the daily report).

pub mod backtest;
pub mod climatology;
mod dataset;
pub mod features;
pub mod from_store;
pub mod issue;
pub mod linear;
pub mod missing;
pub mod model;
pub mod range;
pub mod refit;
pub mod run;
pub mod series;
pub mod skill;
pub mod weather;

/// The pollutants forecast: the vocabulary's forecast targets ([`ForecastTarget`]), declared
/// with the units because the store keeps them.
///
/// [`ForecastTarget`]: crate::units::ForecastTarget
pub use crate::units::ForecastTarget as Target;

/// Horizon groups (hours ahead, inclusive ranges): one model each. A group's model is trained on
/// samples of every horizon in its range, with the horizon and the target hour as features.
pub const HORIZON_GROUPS: [(u32, u32); 7] = [
    (1, 1),
    (2, 3),
    (4, 6),
    (7, 12),
    (13, 24),
    (25, 48),
    (49, 72),
];

/// The longest horizon forecast.
pub const MAX_HORIZON: u32 = 72;

/// The horizons reported by backtests.
pub const REPORT_HORIZONS: [u32; 7] = [1, 3, 6, 12, 24, 48, 72];

/// Index of the horizon group holding `h` (1..=72).
pub fn group_of(h: u32) -> Option<usize> {
    HORIZON_GROUPS
        .iter()
        .position(|&(lo, hi)| (lo..=hi).contains(&h))
}

/// Errors of the forecasting module.
#[derive(Debug, thiserror::Error)]
pub enum ForecastError {
    /// Reading the store failed.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// Not enough complete samples to train.
    #[error("not enough complete training samples for {target} at {horizon}: {samples}")]
    TooFewSamples {
        /// Target code.
        target: &'static str,
        /// Horizon group, e.g. `13–24 h`.
        horizon: String,
        /// How many there were.
        samples: usize,
    },
    /// The linear model could not be fitted.
    #[error("fitting {what}: {reason}")]
    Fit {
        /// Which model.
        what: String,
        /// The solver's message.
        reason: String,
    },
    /// A model file could not be read or written.
    #[error("model file {path}: {reason}")]
    ModelFile {
        /// The file.
        path: std::path::PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The store holds no data for the request.
    #[error("no data: {0}")]
    NoData(String),
    /// Forecast weather was missing for a model that needs it, or given to one that does not.
    #[error("forecast weather: {0}")]
    Weather(String),
}
