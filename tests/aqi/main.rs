//! AQI (HJ 633, EPA, NowCast), HJ 663 assessment and the index stage, against official values.
//!
//! One test binary per area keeps the build small: every binary links the whole crate.

mod aqi_breakpoints;
mod aqi_official;
mod aqi_props;
mod assess_beijing;
mod assess_store;
mod cli_aqi;
mod compute_index;
mod national;
