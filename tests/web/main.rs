//! The web platform over real HTTP: a server on a loopback port over a temporary SQLite
//! store and accounts database, asked with reqwest.

mod harness;
mod seed;

mod api;
mod auth;
mod live;
