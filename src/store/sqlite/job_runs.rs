//! The `job_runs` table: the [`JobRun`]s of scheduled jobs.

use rusqlite::params;

use super::{JobOutcome, JobRun, SqliteStore, StoreError};

/// Ends each output in the `detail` column of a successful run.
const OUTPUT_SEP: char = '\u{1f}';

const INSERT: &str = "INSERT OR REPLACE INTO job_runs
    (job, scheduled, started, finished, ok, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
const SELECT_ALL: &str = "SELECT job, scheduled, started, finished, ok, detail FROM job_runs
    ORDER BY scheduled DESC, started DESC, job LIMIT ?1";
pub(super) const SELECT_JOB: &str =
    "SELECT job, scheduled, started, finished, ok, detail FROM job_runs
    WHERE job = ?2 ORDER BY scheduled DESC, started DESC LIMIT ?1";

/// [`Store::record_job_run`](super::Store::record_job_run).
pub(super) fn record(store: &mut SqliteStore, run: &JobRun) -> Result<(), StoreError> {
    let (ok, detail) = match &run.outcome {
        JobOutcome::Succeeded(outputs) => {
            let mut detail = String::new();
            for o in outputs {
                if o.contains(OUTPUT_SEP) {
                    return Err(
                        store.invalid(format!("output {o:?} of job {} (contains U+001F)", run.job))
                    );
                }
                detail.push_str(o);
                detail.push(OUTPUT_SEP);
            }
            (true, detail)
        }
        JobOutcome::Failed(reason) => (false, reason.clone()),
    };
    store.write_tx(|tx| {
        tx.prepare_cached(INSERT)?.execute(params![
            run.job,
            run.scheduled.timestamp_millis(),
            run.started.timestamp_millis(),
            run.finished.timestamp_millis(),
            ok,
            detail,
        ])?;
        Ok::<_, rusqlite::Error>(())
    })
}

/// [`Store::job_runs`](super::Store::job_runs).
pub(super) fn get(
    store: &SqliteStore,
    job: Option<&str>,
    limit: usize,
) -> Result<Vec<JobRun>, StoreError> {
    let sql = |e| store.sql(e);
    let mut out = Vec::new();
    if limit == 0 {
        return Ok(out);
    }
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut stmt;
    let mut rows = match job {
        Some(job) => {
            stmt = store.conn.prepare_cached(SELECT_JOB).map_err(sql)?;
            stmt.query(params![limit, job]).map_err(sql)?
        }
        None => {
            stmt = store.conn.prepare_cached(SELECT_ALL).map_err(sql)?;
            stmt.query(params![limit]).map_err(sql)?
        }
    };
    while let Some(r) = rows.next().map_err(sql)? {
        let job: String = r.get(0).map_err(sql)?;
        let ok: bool = r.get(4).map_err(sql)?;
        let detail = store.text(r, 5)?;
        let outcome = if ok {
            if !detail.is_empty() && !detail.ends_with(OUTPUT_SEP) {
                return Err(store.corrupt(format!("malformed output list {detail:?} ({job})")));
            }
            JobOutcome::Succeeded(
                detail
                    .split_terminator(OUTPUT_SEP)
                    .map(str::to_string)
                    .collect(),
            )
        } else {
            JobOutcome::Failed(detail.to_string())
        };
        out.push(JobRun {
            scheduled: store.time(r, 1, &job)?,
            started: store.time(r, 2, &job)?,
            finished: store.time(r, 3, &job)?,
            outcome,
            job,
        });
    }
    Ok(out)
}
