//! The `source_flags` table: the [`SourceFlag`]s of the `sources` job, keyed by station,
//! pollutant set and start; and the `analysed_days` table: the [`AnalysedDay`]s, keyed by
//! day.

use chrono::{Datelike, NaiveDate};
use rusqlite::{ToSql, params};

use super::write_counts::{Counter, bump};
use super::{Fail, SqliteStore};
use crate::store::select::PageFn;
use crate::store::{
    AnalysedDay, DataKind, FlagEvidence, FlagPeak, FlagWindow, Operation, SourceFlag,
    SourceFlagQuery, SourceFlagStore, StoreError, TimeSpan,
};
use crate::units::Parameter;

const INSERT: &str = "INSERT OR REPLACE INTO source_flags
    (station, pollutants, start_time, end_time, peak_time, peak_parameter, peak_value,
     peak_excess, source_type, severity, evidence, flagged_at, job, job_scheduled)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";
const SELECT: &str = "SELECT station, pollutants, start_time, end_time, peak_time,
    peak_parameter, peak_value, peak_excess, source_type, severity, evidence, flagged_at, job,
    job_scheduled FROM source_flags WHERE start_time >= ? AND start_time < ?";
const ORDER: &str = " ORDER BY start_time, station, pollutants";
/// The earliest and latest start: seeks on `source_flags_by_start`.
const FIRST_START: &str = "SELECT start_time FROM source_flags ORDER BY start_time LIMIT 1";
const LAST_START: &str = "SELECT start_time FROM source_flags ORDER BY start_time DESC LIMIT 1";

const READ: Operation = Operation::Read(DataKind::SourceFlags);

const INSERT_DAY: &str = "INSERT OR REPLACE INTO analysed_days
    (day, window_from, window_to, stations, flags, job, job_scheduled, analysed_at)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
const SELECT_DAYS: &str = "SELECT day, window_from, window_to, stations, flags, job,
    job_scheduled, analysed_at FROM analysed_days WHERE day >= ?1 AND day <= ?2 ORDER BY day";

/// A day as the `analysed_days.day` column keeps it: days from 1 January of year 1.
fn day_number(day: NaiveDate) -> i64 {
    i64::from(day.num_days_from_ce())
}

fn put_days(store: &mut SqliteStore, days: &[AnalysedDay]) -> Result<usize, Fail> {
    for d in days {
        d.check().map_err(Fail::Rejected)?;
    }
    if days.is_empty() {
        return Ok(0);
    }
    store.write_tx(|tx| {
        let mut stmt = tx.prepare_cached(INSERT_DAY)?;
        for d in days {
            stmt.execute(params![
                day_number(d.day),
                d.window.from.timestamp_millis(),
                d.window.to.timestamp_millis(),
                d.window.stations,
                i64::try_from(d.flags).unwrap_or(i64::MAX),
                d.job,
                d.job_scheduled.timestamp_millis(),
                d.analysed_at.timestamp_millis(),
            ])?;
        }
        bump(tx, Counter::SourceFlags)?;
        Ok::<_, rusqlite::Error>(days.len())
    })
}

fn read_days(
    store: &SqliteStore,
    first: NaiveDate,
    last: NaiveDate,
) -> Result<Vec<AnalysedDay>, Fail> {
    let mut stmt = store.conn.prepare_cached(SELECT_DAYS)?;
    let mut rows = stmt.query(params![day_number(first), day_number(last)])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let number: i64 = r.get(0)?;
        let day = i32::try_from(number)
            .ok()
            .and_then(NaiveDate::from_num_days_from_ce_opt)
            .ok_or_else(|| Fail::Corrupt(format!("analysed day number {number}")))?;
        let whose = format!("analysed day {day}");
        let flags: i64 = r.get(4)?;
        out.push(AnalysedDay {
            day,
            window: FlagWindow {
                from: store.time(r, 1, &whose)?,
                to: store.time(r, 2, &whose)?,
                stations: r.get(3)?,
            },
            flags: usize::try_from(flags)
                .map_err(|_| Fail::Corrupt(format!("{flags} flags ({whose})")))?,
            job: r.get(5)?,
            job_scheduled: store.time(r, 6, &whose)?,
            analysed_at: store.time(r, 7, &whose)?,
        });
    }
    Ok(out)
}

fn put(store: &mut SqliteStore, flags: &[SourceFlag]) -> Result<usize, Fail> {
    let mut rows = Vec::with_capacity(flags.len());
    for f in flags {
        f.check().map_err(Fail::Rejected)?;
        let evidence = serde_json::to_string(&f.evidence)
            .map_err(|e| Fail::Rejected(format!("evidence of {}: {e}", f.station)))?;
        rows.push((f, f.pollutant_key(), evidence));
    }
    if rows.is_empty() {
        return Ok(0);
    }
    store.write_tx(|tx| {
        let mut stmt = tx.prepare_cached(INSERT)?;
        for (f, key, evidence) in &rows {
            stmt.execute(params![
                f.station,
                key,
                f.start.timestamp_millis(),
                f.end.timestamp_millis(),
                f.peak.time.timestamp_millis(),
                f.peak.parameter.code(),
                f.peak.value,
                f.peak.excess,
                f.source_type.code(),
                f.severity,
                evidence,
                f.flagged_at.timestamp_millis(),
                f.job,
                f.job_scheduled.timestamp_millis(),
            ])?;
        }
        bump(tx, Counter::SourceFlags)?;
        Ok::<_, rusqlite::Error>(rows.len())
    })
}

/// The flags of `query`, by start, station, pollutant key.
fn read_paged(
    store: &SqliteStore,
    query: &SourceFlagQuery,
    page_size: usize,
    each: &mut PageFn<'_, SourceFlag>,
) -> Result<(), Fail> {
    if query.is_empty() {
        return Ok(());
    }
    let mut sql = SELECT.to_string();
    let mut args: Vec<Box<dyn ToSql>> = vec![
        Box::new(query.from.timestamp_millis()),
        Box::new(query.to.timestamp_millis()),
    ];
    super::push_in_list(&mut sql, &mut args, "station", &query.stations);
    sql.push_str(ORDER);
    store.query_paged(&sql, &args, page_size, |r| from_row(store, r), each)
}

/// One row of [`SELECT`] as a flag.
fn from_row(store: &SqliteStore, r: &rusqlite::Row<'_>) -> Result<SourceFlag, Fail> {
    let station: String = r.get(0)?;
    let start = store.time(r, 2, &format!("source flag of {station}"))?;
    let whose = format!("source flag {station} {} at {start}", store.text(r, 1)?);
    let parameter = |code: &str| -> Result<Parameter, Fail> {
        code.parse()
            .map_err(|e| Fail::Corrupt(format!("{e} ({whose})")))
    };
    let pollutants = store
        .text(r, 1)?
        .split(',')
        .map(parameter)
        .collect::<Result<Vec<_>, _>>()?;
    let evidence: FlagEvidence = serde_json::from_str(store.text(r, 10)?)
        .map_err(|e| Fail::Corrupt(format!("evidence: {e} ({whose})")))?;
    Ok(SourceFlag {
        pollutants,
        start,
        end: store.time(r, 3, &whose)?,
        peak: FlagPeak {
            time: store.time(r, 4, &whose)?,
            parameter: parameter(store.text(r, 5)?)?,
            value: r.get(6)?,
            excess: r.get(7)?,
        },
        source_type: store
            .text(r, 8)?
            .parse()
            .map_err(|e| Fail::Corrupt(format!("{e} ({whose})")))?,
        severity: r.get(9)?,
        evidence,
        flagged_at: store.time(r, 11, &whose)?,
        job: r.get(12)?,
        job_scheduled: store.time(r, 13, &whose)?,
        station,
    })
}

impl SourceFlagStore for SqliteStore {
    fn put_source_flags(&mut self, flags: &[SourceFlag]) -> Result<usize, StoreError> {
        put(self, flags).map_err(self.fail(Operation::Put(DataKind::SourceFlags)))
    }

    fn source_flags_paged(
        &self,
        query: &SourceFlagQuery,
        page_size: usize,
        each: &mut PageFn<'_, SourceFlag>,
    ) -> Result<(), StoreError> {
        read_paged(self, query, page_size, each).map_err(self.fail(READ))
    }

    fn put_analysed_days(&mut self, days: &[AnalysedDay]) -> Result<usize, StoreError> {
        put_days(self, days).map_err(self.fail(Operation::Put(DataKind::SourceFlags)))
    }

    fn analysed_days(
        &self,
        first: NaiveDate,
        last: NaiveDate,
    ) -> Result<Vec<AnalysedDay>, StoreError> {
        read_days(self, first, last).map_err(self.fail(READ))
    }

    fn source_flags_span(&self) -> Result<Option<TimeSpan>, StoreError> {
        self.span(&[FIRST_START, LAST_START], &[], "source flags")
            .map_err(self.fail(READ))
    }
}
