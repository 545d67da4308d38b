//! How many writes of each kind of data the store has seen ([`WriteCounts`]), so that what is
//! computed from the data can be kept until the data change.

use super::StoreError;

/// Writes counted by the store since it was created, by any process, each in the writing
/// transaction (a reader sees a count move together with the data). A count says only
/// whether something was written since it was last read, not what.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteCounts {
    /// Writes of readings (any resolution).
    pub readings: u64,
    /// Writes of hourly indices.
    pub hourly_indices: u64,
    /// Writes of daily indices.
    pub daily_indices: u64,
    /// Writes of forecasts (hours and days).
    pub forecasts: u64,
    /// Writes of source flags and analysed days.
    pub source_flags: u64,
    /// Writes of alarms.
    pub alarms: u64,
}

/// A store that counts its writes. Users keep what they computed (the overview's figures, the
/// live updates' latest values) under the counts it depends on, read *before* the data: a
/// write in between moves a count the next comparison sees.
pub trait WriteCounter: Send {
    /// The counts now; `None` when the backend keeps none (then nothing may be kept).
    fn write_counts(&self) -> Result<Option<WriteCounts>, StoreError> {
        Ok(None)
    }
}
