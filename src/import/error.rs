//! The errors that stop an import.

use std::path::PathBuf;

use crate::store::StoreError;

/// An error that stops an import.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// No files were given.
    #[error("no input files")]
    NoFiles,
    /// An option is unusable.
    #[error("invalid option: {0}")]
    Option(String),
    /// A file could not be read.
    #[error("cannot read {}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The header does not fit the format (unknown column, unit, …); nothing was imported.
    #[error("{}: {reason}; nothing was imported", path.display())]
    Header {
        /// The file.
        path: PathBuf,
        /// What is wrong, naming the column.
        reason: String,
    },
    /// A row gives station metadata that contradicts the store or an earlier row; nothing
    /// was imported.
    #[error("{}:{line}: station `{station}`: {reason}; nothing was imported", path.display())]
    StationConflict {
        /// The file.
        path: PathBuf,
        /// The line.
        line: u64,
        /// The station id.
        station: String,
        /// Which field differs, and how.
        reason: String,
    },
    /// The station list (`--stations`) is unusable; nothing was imported.
    #[error("{}:{line}: {reason}; nothing was imported", path.display())]
    StationList {
        /// The list.
        path: PathBuf,
        /// The line (1 = the header).
        line: u64,
        /// What is wrong, naming the field.
        reason: String,
    },
    /// The store failed.
    #[error(
        "store failed after {written} records were written (the import is partial; running it \
         again is safe, writes are idempotent)"
    )]
    Store {
        /// Records written before the failure.
        written: u64,
        /// The store's error.
        #[source]
        source: StoreError,
    },
}
