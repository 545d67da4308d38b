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
    Forecasts,
    SourceFlags,
    Alarms,
}

impl Counter {
    const ALL: [Counter; 6] = [
        Counter::Readings,
        Counter::HourlyIndices,
        Counter::DailyIndices,
        Counter::Forecasts,
        Counter::SourceFlags,
        Counter::Alarms,
    ];

    fn key(self) -> &'static str {
        match self {
            Counter::Readings => "readings_written",
            Counter::HourlyIndices => "hourly_indices_written",
            // The name of schema 12's first count, kept.
            Counter::DailyIndices => "daily_indices_generation",
            Counter::Forecasts => "forecasts_written",
            Counter::SourceFlags => "source_flags_written",
            Counter::Alarms => "alarms_written",
        }
    }

    fn of(self, counts: &mut WriteCounts) -> &mut u64 {
        match self {
            Counter::Readings => &mut counts.readings,
            Counter::HourlyIndices => &mut counts.hourly_indices,
            Counter::DailyIndices => &mut counts.daily_indices,
            Counter::Forecasts => &mut counts.forecasts,
            Counter::SourceFlags => &mut counts.source_flags,
            Counter::Alarms => &mut counts.alarms,
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
    // `meta` holds a handful of rows: read them all, keep the counts.
    let mut statement = store
        .conn
        .prepare_cached("SELECT key, CAST(value AS INTEGER) FROM meta")?;
    let mut rows = statement.query([])?;
    // A count not there yet: nothing of its kind was ever written (0 is never a count).
    while let Some(row) = rows.next()? {
        let (key, count): (String, i64) = (row.get(0)?, row.get(1)?);
        if let Some(counter) = Counter::ALL.into_iter().find(|c| c.key() == key) {
            *counter.of(&mut counts) = count.unsigned_abs();
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
