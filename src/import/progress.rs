//! Progress reports while an import runs.

/// The two passes of an import, for progress display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// First pass: headers, stations and duplicates are checked; nothing is written.
    Checking,
    /// Second pass: records are written.
    Importing,
}

/// Receives progress while an import runs (the default methods do nothing).
pub trait Progress {
    /// A pass starts over `total_bytes` bytes of input.
    fn begin(&self, phase: Phase, total_bytes: u64) {
        let _ = (phase, total_bytes);
    }
    /// `bytes` more bytes were read.
    fn advance(&self, bytes: u64) {
        let _ = bytes;
    }
    /// The pass is over.
    fn end(&self) {}
}

/// A [`Progress`] that ignores everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {}
