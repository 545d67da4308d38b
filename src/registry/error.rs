//! Configuration errors that name the file, line and field.

use std::path::PathBuf;

/// A configuration error, located.
#[derive(Debug, thiserror::Error)]
#[error("{}:{line}:{column}: {field}: {message}", file.display())]
pub struct ConfigError {
    /// The file.
    pub file: PathBuf,
    /// 1-based line (0 when unknown).
    pub line: usize,
    /// 1-based column (0 when unknown).
    pub column: usize,
    /// The field path, e.g. `station[3].device[1].profile`.
    pub field: String,
    /// What is wrong.
    pub message: String,
}
