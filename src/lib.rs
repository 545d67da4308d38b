//! lantian (蓝天) — an air-quality monitoring pipeline.
//!
//! Data flows one way: **source** (devices, or the [`sim`]ulator) → **collect** (Modbus polling,
//! flags, aggregation) → **store** → compute (AQI, models) → jobs → reports. See
//! `ARCHITECTURE.md` for the map.

pub mod alarms;
pub mod aqi;
pub mod assess;
#[cfg(feature = "reports")]
pub mod chart;
pub mod clock;
pub mod collect;
pub mod compute;
pub mod config;
pub mod demo;
pub mod forecast;
pub mod hj212;
pub mod import;
pub mod jobs;
pub mod lang;
pub mod modbus;
#[cfg(feature = "notify")]
pub mod notify;
pub mod quality;
pub mod registry;
#[cfg(feature = "reports")]
pub mod report;
/// Reports: in a build without the `reports` feature only their settings
/// ([`report::ReportConfig`]), so that a configuration's `[report]` reads in every build.
#[cfg(not(feature = "reports"))]
#[path = "report/settings.rs"]
pub mod report;
pub mod sim;
#[cfg(feature = "analysis")]
pub mod sources;
pub mod stats;
pub mod store;
pub mod units;
pub mod uplink;
#[cfg(feature = "web")]
pub mod web;
