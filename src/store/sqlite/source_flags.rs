//! The `source_flags` table: the [`SourceFlag`]s of the `sources` job, keyed by station,
//! pollutant set and start.

use rusqlite::{ToSql, params};

use super::{Fail, SqliteStore};
use crate::store::select::PageFn;
use crate::store::{
    DataKind, FlagEvidence, FlagPeak, Operation, SourceFlag, SourceFlagQuery, SourceFlagStore,
    StoreError, TimeSpan,
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
                f.source_type,
                f.severity,
                evidence,
                f.flagged_at.timestamp_millis(),
                f.job,
                f.job_scheduled.timestamp_millis(),
            ])?;
        }
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
    let whose = format!("source flag of {station}");
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
        start: store.time(r, 2, &whose)?,
        end: store.time(r, 3, &whose)?,
        peak: FlagPeak {
            time: store.time(r, 4, &whose)?,
            parameter: parameter(store.text(r, 5)?)?,
            value: r.get(6)?,
            excess: r.get(7)?,
        },
        source_type: r.get(8)?,
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

    fn source_flags_span(&self) -> Result<Option<TimeSpan>, StoreError> {
        self.span(&[FIRST_START, LAST_START], &[], "source flags")
            .map_err(self.fail(READ))
    }
}
