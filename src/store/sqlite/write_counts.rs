//! The write counts ([`WriteCounts`]) in `meta`: a writer bumps its kind's count in its own
//! transaction, so every process sees a count move together with the data.

use rusqlite::Transaction;

use super::{Fail, SqliteStore};
use crate::store::{DataKind, Operation, StoreError, WriteCounter, WriteCounts};

/// What a count counts the writes of.
#[derive(Debug, Clone, Copy)]
pub(super) enum Counter {
    Readings,
    HourlyIndices,
    DailyIndices,
}

impl Counter {
    fn key(self) -> &'static str {
        match self {
            Counter::Readings => "readings_written",
            Counter::HourlyIndices => "hourly_indices_written",
            // The name of schema 12's first count, kept.
            Counter::DailyIndices => "daily_indices_generation",
        }
    }
}

/// Counts one more write, inside the writing transaction.
pub(super) fn bump(tx: &Transaction<'_>, counter: Counter) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO meta(key, value) VALUES (?1, '1') \
         ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1",
    )?
    .execute([counter.key()])?;
    Ok(())
}

fn read(store: &SqliteStore) -> rusqlite::Result<WriteCounts> {
    let mut counts = WriteCounts::default();
    let mut statement = store
        .conn
        .prepare_cached("SELECT key, CAST(value AS INTEGER) FROM meta WHERE key IN (?1, ?2, ?3)")?;
    let mut rows = statement.query([
        Counter::Readings.key(),
        Counter::HourlyIndices.key(),
        Counter::DailyIndices.key(),
    ])?;
    // A count not there yet: nothing of its kind was ever written (0 is never a count).
    while let Some(row) = rows.next()? {
        let (key, count): (String, i64) = (row.get(0)?, row.get(1)?);
        let count = count.unsigned_abs();
        match key.as_str() {
            k if k == Counter::Readings.key() => counts.readings = count,
            k if k == Counter::HourlyIndices.key() => counts.hourly_indices = count,
            _ => counts.daily_indices = count,
        }
    }
    Ok(counts)
}

impl WriteCounter for SqliteStore {
    fn write_counts(&self) -> Result<Option<WriteCounts>, StoreError> {
        read(self)
            .map(Some)
            .map_err(|e| self.fail(Operation::Read(DataKind::Readings))(Fail::from(e)))
    }
}
