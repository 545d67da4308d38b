//! Helpers shared by the integration tests.

pub mod store_conformance;
