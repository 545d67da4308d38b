//! The web platform (feature `web`).

pub mod pages;
