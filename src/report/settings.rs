//! The reports' settings (`[report]` in the configuration). A build without the `reports`
//! feature compiles this file alone as `report` (see `lib.rs`), so that one configuration
//! file, `[report]` included, serves every build.

use std::path::PathBuf;

use serde::Deserialize;

// Without the `reports` feature this file is `report`, and `report::Lang` is this re-export.
#[allow(unreachable_pub)]
pub use crate::lang::Lang;

/// Report settings (`[report]` in the configuration).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReportConfig {
    /// The folder reports are written to (default `reports/out`; relative to the configuration
    /// file when read from one).
    pub out_dir: PathBuf,
    /// `zh` (default) or `en`.
    pub lang: Lang,
}

impl Default for ReportConfig {
    fn default() -> Self {
        ReportConfig {
            out_dir: PathBuf::from("reports/out"),
            lang: Lang::Zh,
        }
    }
}
