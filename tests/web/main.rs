//! The web platform's pages in a real browser (feature `web`): `browser` drives Debian's
//! Chromium over WebDriver (chromedriver, Python selenium: `browser.py`) against a server over
//! a store filled from the simulator.

mod browser;
#[path = "../common/mod.rs"]
mod common;
