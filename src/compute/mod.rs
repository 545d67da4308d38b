//! Computation stages that run as data arrives: they read what the store holds and keep
//! their results in it, so that reports and the API read results instead of recomputing.
//!
//! - [`IndexStage`]: hourly (real-time) and daily AQI with the daily statistics of HJ 663,
//!   for every station-day touched by newly stored hourly means.
//! - [`recompute_days`]: the same for a range of local days on demand.

mod index_stage;
mod recompute;

pub(crate) use index_stage::local as local_time;
pub use index_stage::{IndexConfig, IndexStage};
pub use recompute::{RecomputeError, Recomputed, recompute_days};
