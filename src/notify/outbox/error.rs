//! What can go wrong with the outbox ([`OutboxError`]): each error names its file.

use std::path::PathBuf;

/// Errors of the outbox.
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    /// SQLite failed.
    #[error("outbox {}: {source}", path.display())]
    Sqlite {
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: rusqlite::Error,
    },
    /// A file operation failed (the lock file).
    #[error("outbox {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// Too many undelivered messages.
    #[error(
        "outbox {} is full: {pending} messages wait to be sent (max_pending = {max}); the \
         {needed} new ones were not written — are the channels' receivers reachable?",
        path.display()
    )]
    Full {
        /// The file.
        path: PathBuf,
        /// Messages waiting.
        pending: u64,
        /// The bound.
        max: u64,
        /// Messages the enqueue needed.
        needed: u64,
    },
    /// A row that cannot be read back (damaged or from a newer lantian).
    #[error("outbox {}: message {id}: {reason}", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// The row.
        id: i64,
        /// What is wrong.
        reason: String,
    },
    /// The file is from a newer lantian.
    #[error("outbox {}: format version {found}, this lantian knows {known}", path.display())]
    Version {
        /// The file.
        path: PathBuf,
        /// Its version.
        found: i64,
        /// Ours.
        known: i64,
    },
}
