//! The web platform over real HTTP: a server on a loopback port over a temporary SQLite
//! store and accounts database, asked with reqwest; and its pages in a real browser
//! (`browser`: Debian's Chromium over WebDriver, Python selenium `browser.py`).

mod harness;
mod seed;

mod api;
mod auth;
mod browser;
mod browser_tools;
#[path = "../common/mod.rs"]
mod common;
mod live;
mod pages_tools;
