//! Write counters in `meta`: a writer bumps one in its own transaction, so every process
//! that reads the counter sees it move together with the data. Readers keep what they compute
//! from the data (the overview's rankings, the live updates' latest values) until it moves.

use rusqlite::{OptionalExtension, Transaction};

use super::SqliteStore;

/// What a counter counts the writes of.
#[derive(Debug, Clone, Copy)]
pub(super) enum Counter {
    /// Writes of daily indices:
    /// [`IndexStore::daily_indices_generation`](crate::store::IndexStore::daily_indices_generation).
    DailyIndices,
    /// Writes of readings or of hourly indices (what the latest values are made of):
    /// [`ReadingStore::latest_generation`](crate::store::ReadingStore::latest_generation).
    Latest,
}

impl Counter {
    fn key(self) -> &'static str {
        match self {
            Counter::DailyIndices => "daily_indices_generation",
            Counter::Latest => "latest_generation",
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

/// The writes counted so far (0 before the first: 0 is never a count after a write).
pub(super) fn read(store: &SqliteStore, counter: Counter) -> rusqlite::Result<u64> {
    let count: Option<i64> = store
        .conn
        .prepare_cached("SELECT CAST(value AS INTEGER) FROM meta WHERE key = ?1")?
        .query_row([counter.key()], |r| r.get(0))
        .optional()?;
    Ok(count.map_or(0, i64::unsigned_abs))
}
