//! Alarm rules: the `[[alarm]]` configuration and the evaluation that turns stored data into
//! alarm transitions.

pub mod anomaly;
pub mod config;
pub mod describe;
pub mod device;
pub mod finding;
pub mod nodata;
pub mod read;
mod read_check;
#[cfg(test)]
mod read_tests;
mod restore;
pub mod rise;
pub mod scope;
pub mod series;
pub mod stage;
#[cfg(test)]
mod stage_tests;
pub mod system;
pub mod threshold;
mod timer;
pub mod warning;
