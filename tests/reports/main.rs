//! Daily, ranking and device-health reports, checked in their content and in headless Chromium,
//! and byte for byte from migrated stores.
//!
//! One test binary per area keeps the build small: every binary links the whole crate.

#[path = "../common/mod.rs"]
mod common;
mod fixture;
mod report_alarms;
mod report_browser;
mod report_daily;
mod report_flags;
mod report_forecast;
mod report_health;
mod report_migrate;
mod report_national;
mod report_ranking;
