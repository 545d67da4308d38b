//! Stores (SQLite, InfluxDB, VictoriaMetrics), migration, the spool and store-and-forward through outages and crashes.
//!
//! One test binary per area keeps the build small: every binary links the whole crate.

mod alarms_cli;
mod alarms_crash;
#[path = "../common/mod.rs"]
mod common;
mod fault_disk;
#[cfg(feature = "influxdb")]
mod fault_influx;
mod fault_kill;
mod fault_reader;
#[cfg(feature = "influxdb")]
mod grafana_dashboard;
mod migrate;
#[cfg(feature = "influxdb")]
mod spool_influx;
mod spool_kill;
mod spool_pipeline;
#[cfg(feature = "influxdb")]
mod spool_quarantine;
mod spool_sink;
#[cfg(feature = "influxdb")]
mod store_influx;
mod store_sqlite;
