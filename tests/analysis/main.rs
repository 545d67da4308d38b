//! Source identification, forecasting and the importers of analysts' own files.
//!
//! One test binary per area keeps the build small: every binary links the whole crate.

mod forecast;
mod forecast_job;
mod forecast_range;
mod forecast_refit;
mod forecast_skill;
mod import;
mod sources;
mod sources_beijing;
mod sources_locate;
mod sources_sim;
