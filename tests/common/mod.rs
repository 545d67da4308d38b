//! Helpers shared by the integration tests (each test binary uses a subset).
#![allow(dead_code)]

pub mod harness;
pub mod peers;
pub mod recording_store;
pub mod store_conformance;
#[cfg(feature = "influxdb")]
pub mod tsdb;
