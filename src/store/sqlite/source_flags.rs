//! The `source_flags` table: the [`SourceFlag`]s of the `sources` job, keyed by station,
//! pollutant set and start.

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::{SqliteStore, StoreError};
use crate::store::{FlagEvidence, FlagPeak, SourceFlag};
use crate::units::Parameter;

const INSERT: &str = "INSERT OR REPLACE INTO source_flags
    (station, pollutants, start_time, end_time, peak_time, peak_parameter, peak_value,
     peak_excess, source_type, severity, evidence, flagged_at, job, job_scheduled)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";
const SELECT: &str = "SELECT station, pollutants, start_time, end_time, peak_time,
    peak_parameter, peak_value, peak_excess, source_type, severity, evidence, flagged_at, job,
    job_scheduled FROM source_flags WHERE start_time >= ?1 AND start_time < ?2";
const ORDER: &str = " ORDER BY start_time, station, pollutants";

/// [`Store::put_source_flags`](super::Store::put_source_flags).
pub(super) fn put(store: &mut SqliteStore, flags: &[SourceFlag]) -> Result<usize, StoreError> {
    let mut rows = Vec::with_capacity(flags.len());
    for f in flags {
        f.check().map_err(|e| store.invalid(e))?;
        let evidence = serde_json::to_string(&f.evidence)
            .map_err(|e| store.invalid(format!("evidence of {}: {e}", f.station)))?;
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

/// [`Store::source_flags`](super::Store::source_flags).
pub(super) fn get(
    store: &SqliteStore,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    station: Option<&str>,
) -> Result<Vec<SourceFlag>, StoreError> {
    let sql = |e| store.sql(e);
    let (from, to) = (from.timestamp_millis(), to.timestamp_millis());
    let mut stmt;
    let mut rows = match station {
        Some(s) => {
            stmt = store
                .conn
                .prepare_cached(&format!("{SELECT} AND station = ?3{ORDER}"))
                .map_err(sql)?;
            stmt.query(params![from, to, s]).map_err(sql)?
        }
        None => {
            stmt = store
                .conn
                .prepare_cached(&format!("{SELECT}{ORDER}"))
                .map_err(sql)?;
            stmt.query(params![from, to]).map_err(sql)?
        }
    };
    let mut out = Vec::new();
    while let Some(r) = rows.next().map_err(sql)? {
        let station: String = r.get(0).map_err(sql)?;
        let whose = format!("source flag of {station}");
        let parameter = |code: &str| -> Result<Parameter, StoreError> {
            code.parse()
                .map_err(|e| store.corrupt(format!("{e} ({whose})")))
        };
        let pollutants = store
            .text(r, 1)?
            .split(',')
            .map(parameter)
            .collect::<Result<Vec<_>, _>>()?;
        let evidence: FlagEvidence = serde_json::from_str(store.text(r, 10)?)
            .map_err(|e| store.corrupt(format!("evidence: {e} ({whose})")))?;
        out.push(SourceFlag {
            pollutants,
            start: store.time(r, 2, &whose)?,
            end: store.time(r, 3, &whose)?,
            peak: FlagPeak {
                time: store.time(r, 4, &whose)?,
                parameter: parameter(store.text(r, 5)?)?,
                value: r.get(6).map_err(sql)?,
                excess: r.get(7).map_err(sql)?,
            },
            source_type: r.get(8).map_err(sql)?,
            severity: r.get(9).map_err(sql)?,
            evidence,
            flagged_at: store.time(r, 11, &whose)?,
            job: r.get(12).map_err(sql)?,
            job_scheduled: store.time(r, 13, &whose)?,
            station,
        });
    }
    Ok(out)
}
