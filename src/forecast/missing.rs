//! Which missing inputs make a forecast abstain: written into stored forecasts by
//! [`super::issue`] (as [`Missing::Input`]), read by the daily report to say why a station has
//! no AQI forecast. This is all the report needs of the forecasting side besides
//! [`super::skill`], so the report never depends on issuing or training.
//!
//! [`Missing::Input`]: crate::store::Missing::Input

/// Features without which a forecast is not issued (the target's recent values).
pub const REQUIRED: [&str; 3] = ["lag0", "mean24", "clim_target"];
