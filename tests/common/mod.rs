//! Helpers shared by the integration tests (each test binary uses a subset).
#![allow(dead_code)]

pub(crate) mod campaign;
pub(crate) mod harness;
pub(crate) mod hj212_peer;
pub(crate) mod peers;
pub(crate) mod ports;
pub(crate) mod recording_store;
pub(crate) mod served_sim;
pub(crate) mod sim_run;
pub(crate) mod store_conformance;
#[cfg(feature = "influxdb")]
pub(crate) mod tsdb;
