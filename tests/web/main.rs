//! The web platform over real HTTP: a server on a loopback port over a temporary SQLite
//! store and accounts database, asked with reqwest; and its pages in a real browser
//! (`browser`: Debian's Chromium over WebDriver, Python selenium `browser.py`); with real
//! peers, alarm notifications of steps taken in the web (`alarm_notify`) and HJ 212 loggers'
//! commands (`loggers`).

mod harness;
mod seed;

#[cfg(feature = "notify")]
mod alarm_notify;
mod api;
mod auth;
mod browser;
mod browser_tools;
#[path = "../common/mod.rs"]
mod common;
mod live;
mod loggers;
mod pages_tools;
