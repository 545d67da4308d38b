//! Why a job run failed ([`JobError`]). The run log keeps the error's text with its causes
//! ([`JobError::reason`]): the causes are other modules' errors, which are not stored data.

use std::path::PathBuf;

use crate::compute::RecomputeError;
use crate::forecast::ForecastError;
use crate::forecast::weather::WeatherError;
#[cfg(feature = "reports")]
use crate::report::ReportError;
use crate::store::StoreError;

#[cfg(feature = "analysis")]
use super::sources::FlagError;

/// Why a job run failed.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// The store could not be opened or used.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The reports' folder could not be created.
    #[error("{}: {source}", dir.display())]
    OutputFolder {
        /// The folder.
        dir: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// A ranking scheduled at a date with no complete period before it.
    #[error("no period before this date")]
    NoPeriod,
    /// Writing a report failed.
    #[cfg(feature = "reports")]
    #[error(transparent)]
    Report(#[from] ReportError),
    /// A national ranking's city list or dust list could not be read.
    #[error(transparent)]
    Lists(#[from] crate::assess::city::ListError),
    /// Recomputing the indices failed.
    #[error(transparent)]
    Indices(#[from] RecomputeError),
    /// Flagging the day's sources failed.
    #[cfg(feature = "analysis")]
    #[error(transparent)]
    Flags(#[from] FlagError),
    /// Loading the forecast model or issuing the forecast failed.
    #[error(transparent)]
    Forecast(#[from] ForecastError),
    /// The forecast weather file could not be read.
    #[error(transparent)]
    Weather(#[from] WeatherError),
    /// The kind needs a feature this build lacks (refused by `build_jobs` before).
    #[error("kind `{kind}` needs the `{feature}` feature, which this build lacks")]
    Unavailable {
        /// The kind.
        kind: &'static str,
        /// The feature.
        feature: &'static str,
    },
    /// A report run was asked of a kind that is not a report (a bug of the caller).
    #[error("kind `{0}` is not a report")]
    NotAReport(&'static str),
    /// The task running the job panicked or was cancelled.
    #[error("job task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

impl JobError {
    /// The reason as the run log keeps it: the error, and for the errors whose message does
    /// not include their causes (index recomputation), the causes, `: `-separated.
    pub fn reason(&self) -> String {
        match self {
            JobError::Indices(e) => error_chain(e),
            other => other.to_string(),
        }
    }
}

/// An error with its sources, `: `-separated.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    text
}
