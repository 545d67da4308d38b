//! Pollution-source flagging: where pollution comes from and what kind of source it is.
//!
//! One concept per file:
//!
//! - [`series`]: a station's hourly data (wind + pollutants) read from the store, with the
//!   checks that turn bad input (too little data, missing/constant wind, only calms) into
//!   clear [`SourceError`]s;
//! - [`polar`]: the bivariate polar surface (concentration by wind direction × speed,
//!   smoothed in u/v space) and the percentile rose;
//! - [`cpf`]: the conditional probability function per direction sector and the dominant
//!   source bearing(s) with a confidence;
//! - [`triangulate`]: least-squares intersection of bearings from several stations;
//! - [`locate`]: sources of a network from its bearings (candidates, consistency checks,
//!   negative evidence, merging);
//! - [`excess`]: each station's excess over the network background, and episodes;
//! - [`signature`]: pollutant ratios, rule labels and k-means grouping of episodes;
//! - [`nmf`]: uncertainty-weighted non-negative matrix factorisation (PMF style);
//! - [`factors`]: per-station apportionment with it (profiles, contributions, number of
//!   factors by Q/Qexp);
//! - `chart`: the polar plot and the station map as plotters charts ([`MapChart`]);
//! - `chart_roses`: the CPF rose and the percentile rose;
//! - `chart_split`: each station's local/regional split and its episodes by source type;
//! - [`plots`]: every chart of an analysis written as files
//!   (the three chart modules and `plots` need the `reports` feature: plotters);
//! - [`analysis`]: everything above for a set of stations, as one serialisable result;
//! - [`days`]: the analysis of whole local days read from the store.
//!
//! Every flag carries its evidence: counts, thresholds, z-scores, residuals, ratios, the rule
//! or centroid that gave a label.

pub mod analysis;
#[cfg(feature = "reports")]
mod chart;
#[cfg(feature = "reports")]
mod chart_roses;
#[cfg(feature = "reports")]
mod chart_split;
pub mod cpf;
pub mod days;
pub mod excess;
pub mod factors;
pub mod locate;
pub mod nmf;
#[cfg(feature = "reports")]
pub mod plots;
pub mod polar;
pub mod series;
pub mod signature;
pub mod triangulate;

pub use analysis::{Analysis, AnalysisConfig, analyse};
#[cfg(feature = "reports")]
pub use chart::MapChart;
pub use excess::EpisodeScope;
pub use series::StationSeries;

/// Why a source analysis could not be made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SourceError {
    /// Fewer usable hours than the analysis needs.
    #[error(
        "station {station}: too little data for {what}: {have} usable hours, need at least {need}"
    )]
    TooLittleData {
        /// Station id.
        station: String,
        /// Which analysis / pollutant.
        what: String,
        /// Usable hours found.
        have: usize,
        /// Hours needed.
        need: usize,
    },
    /// No wind speed or direction at all.
    #[error(
        "station {station}: no {what} data in the period (wind speed and direction are both needed for polar analysis)"
    )]
    MissingWind {
        /// Station id.
        station: String,
        /// `wind speed`, `wind direction` or both.
        what: String,
    },
    /// The wind direction never changes, so directions cannot be told apart.
    #[error(
        "station {station}: wind direction is constant ({value:.0}°) — direction sectors cannot be compared"
    )]
    ConstantWind {
        /// Station id.
        station: String,
        /// The constant direction.
        value: f64,
    },
    /// Every hour with wind is calm.
    #[error(
        "station {station}: only calms ({calm} of {total} hours below {limit} m/s) — calm hours carry no direction"
    )]
    OnlyCalms {
        /// Station id.
        station: String,
        /// Calm hours.
        calm: usize,
        /// Hours with wind data.
        total: usize,
        /// The calm limit, m/s.
        limit: f64,
    },
    /// The pollutant was never measured (or never valid).
    #[error("station {station}: no valid {pollutant} data in the period")]
    MissingPollutant {
        /// Station id.
        station: String,
        /// The pollutant.
        pollutant: crate::units::Parameter,
    },
    /// The bearings cannot be intersected.
    #[error("bearings cannot be intersected: {0}")]
    Geometry(String),
    /// Invalid input to a numerical routine.
    #[error("invalid input: {0}")]
    Invalid(String),
}

/// Circular difference `a − b` in degrees, in (−180, 180].
pub fn angle_diff(a: f64, b: f64) -> f64 {
    let d = (a - b).rem_euclid(360.0);
    if d > 180.0 { d - 360.0 } else { d }
}
