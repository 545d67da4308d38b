//! Scheduled jobs: cron schedules in the network's time zone, the `[[job]]` configuration,
//! the scheduler that runs them on the shared clock in their order within a day, and what
//! each kind of job does (reports, index recomputation, source flags, forecasts).

pub mod config;
pub mod error;
pub mod kinds;
mod order;
mod schedule;
pub mod scheduler;
#[cfg(feature = "analysis")]
pub mod sources;
