//! HJ 212: the codec against the shared corpus of real packets and the standard's examples,
//! property tests of the parser, builder and framer, `lantian hj212 decode`; the ingest server
//! against the Python peer (`ingest`, `ingest_restart`, `commands`); an edge and a centre `lantian run`
//! linked by HJ 212, and `lantian sim`'s loggers feeding `lantian hj212 listen` (`topology`).
//!
//! One test binary per area keeps the build small: every binary links the whole crate.

mod commands;
#[path = "../common/mod.rs"]
mod common;
mod corpus;
mod decode_command;
mod ingest;
mod ingest_restart;
mod peer_selftest;
mod platform;
mod properties;
mod sim_loggers;
mod standard;
mod topology;
mod uplink;
mod uplink_run;
