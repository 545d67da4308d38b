//! The `job_runs` table: the [`JobRun`]s of scheduled jobs.

use rusqlite::{Row, ToSql, params};

use super::{Fail, SqliteStore};
use crate::store::select::PageFn;
use crate::store::{
    DataKind, JobOutcome, JobOutput, JobRun, JobRunQuery, JobRunStore, Jobs, Operation, StoreError,
    TimeSpan,
};

/// Ends each line of a [`JobOutput::Text`] in the `detail` column of a successful run.
const OUTPUT_SEP: char = '\u{1f}';

const INSERT: &str = "INSERT OR REPLACE INTO job_runs
    (job, scheduled, started, finished, ok, detail, output)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
const COLUMNS: &str = "SELECT job, scheduled, started, finished, ok, detail, output FROM job_runs";
pub(super) const SELECT_JOB: &str =
    "SELECT job, scheduled, started, finished, ok, detail, output FROM job_runs
    WHERE job = ?2 ORDER BY scheduled DESC, started DESC LIMIT ?1";
/// A scan of the (small) table: no index has `scheduled` first.
const SPAN: &str = "SELECT min(scheduled), max(scheduled) FROM job_runs";

const READ: Operation = Operation::Read(DataKind::JobRuns);

/// The `(ok, detail, output)` columns of an outcome: a typed output as JSON in `output`; the
/// lines of a [`JobOutput::Text`] in `detail` as runs were kept before outputs were typed.
fn columns(run: &JobRun) -> Result<(bool, String, Option<String>), Fail> {
    Ok(match &run.outcome {
        JobOutcome::Succeeded(JobOutput::Text { lines }) => {
            let mut detail = String::new();
            for o in lines {
                if o.contains(OUTPUT_SEP) {
                    return Err(Fail::Rejected(format!(
                        "output {o:?} of job {} (contains U+001F)",
                        run.job
                    )));
                }
                detail.push_str(o);
                detail.push(OUTPUT_SEP);
            }
            (true, detail, None)
        }
        JobOutcome::Succeeded(output) => {
            let json = serde_json::to_string(output)
                .map_err(|e| Fail::Rejected(format!("output of job {}: {e}", run.job)))?;
            (true, String::new(), Some(json))
        }
        JobOutcome::Failed(reason) => (false, reason.clone(), None),
    })
}

fn put(store: &mut SqliteStore, runs: &[JobRun]) -> Result<usize, Fail> {
    let mut rows = Vec::with_capacity(runs.len());
    for run in runs {
        let (ok, detail, output) = columns(run)?;
        rows.push((run, ok, detail, output));
    }
    if rows.is_empty() {
        return Ok(0);
    }
    store.write_tx(|tx| {
        let mut stmt = tx.prepare_cached(INSERT)?;
        for (run, ok, detail, output) in &rows {
            stmt.execute(params![
                run.job,
                run.scheduled.timestamp_millis(),
                run.started.timestamp_millis(),
                run.finished.timestamp_millis(),
                ok,
                detail,
                output,
            ])?;
        }
        Ok::<_, rusqlite::Error>(rows.len())
    })
}

/// The newest `limit` runs: of one job, a backward seek on the primary key; of several or
/// all, a sort of the selected rows.
fn latest(store: &SqliteStore, jobs: &Jobs, limit: usize) -> Result<Vec<JobRun>, Fail> {
    let mut out = Vec::new();
    if limit == 0 || jobs.selects_nothing() {
        return Ok(out);
    }
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut stmt;
    let mut rows = match jobs.listed() {
        Some([job]) => {
            stmt = store.conn.prepare_cached(SELECT_JOB)?;
            stmt.query(params![limit, job])?
        }
        _ => {
            let mut sql = format!("{COLUMNS} WHERE 1");
            let mut args: Vec<Box<dyn ToSql>> = Vec::new();
            super::push_in_list(&mut sql, &mut args, "job", jobs);
            sql.push_str(" ORDER BY scheduled DESC, started DESC, job LIMIT ?");
            args.push(Box::new(limit));
            stmt = store.conn.prepare_cached(&sql)?;
            stmt.query(rusqlite::params_from_iter(args.iter()))?
        }
    };
    while let Some(r) = rows.next()? {
        out.push(from_row(store, r)?);
    }
    Ok(out)
}

/// The runs of `query`, oldest first.
fn read_paged(
    store: &SqliteStore,
    query: &JobRunQuery,
    page_size: usize,
    each: &mut PageFn<'_, JobRun>,
) -> Result<(), Fail> {
    if query.is_empty() {
        return Ok(());
    }
    let mut sql = format!("{COLUMNS} WHERE scheduled >= ? AND scheduled < ?");
    let mut args: Vec<Box<dyn ToSql>> = vec![
        Box::new(query.from.timestamp_millis()),
        Box::new(query.to.timestamp_millis()),
    ];
    super::push_in_list(&mut sql, &mut args, "job", &query.jobs);
    sql.push_str(" ORDER BY scheduled, started, job");
    store.query_paged(&sql, &args, page_size, |r| from_row(store, r), each)
}

/// One row of `(job, scheduled, started, finished, ok, detail, output)` as a run.
fn from_row(store: &SqliteStore, r: &Row<'_>) -> Result<JobRun, Fail> {
    let job: String = r.get(0)?;
    let ok: bool = r.get(4)?;
    let detail = store.text(r, 5)?;
    let output: Option<String> = r.get(6)?;
    let outcome = match (ok, output) {
        (true, Some(json)) => JobOutcome::Succeeded(
            serde_json::from_str(&json)
                .map_err(|e| Fail::Corrupt(format!("output {json:?} of a run of {job}: {e}")))?,
        ),
        (true, None) => {
            if !detail.is_empty() && !detail.ends_with(OUTPUT_SEP) {
                return Err(Fail::Corrupt(format!(
                    "malformed output list {detail:?} ({job})"
                )));
            }
            JobOutcome::Succeeded(JobOutput::Text {
                lines: detail
                    .split_terminator(OUTPUT_SEP)
                    .map(str::to_string)
                    .collect(),
            })
        }
        (false, _) => JobOutcome::Failed(detail.to_string()),
    };
    Ok(JobRun {
        scheduled: store.time(r, 1, &job)?,
        started: store.time(r, 2, &job)?,
        finished: store.time(r, 3, &job)?,
        outcome,
        job,
    })
}

fn span(store: &SqliteStore) -> Result<Option<TimeSpan>, Fail> {
    let (first, last): (Option<i64>, Option<i64>) = store
        .conn
        .prepare_cached(SPAN)?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let times = [first, last]
        .into_iter()
        .flatten()
        .map(|ms| super::millis(ms, "job runs"))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(TimeSpan::of(times))
}

impl JobRunStore for SqliteStore {
    /// Rejects text outputs containing U+001F (the separator of the `detail` column).
    fn put_job_runs(&mut self, runs: &[JobRun]) -> Result<usize, StoreError> {
        put(self, runs).map_err(self.fail(Operation::Put(DataKind::JobRuns)))
    }

    fn latest_job_runs(&self, jobs: &Jobs, limit: usize) -> Result<Vec<JobRun>, StoreError> {
        latest(self, jobs, limit).map_err(self.fail(READ))
    }

    fn job_runs_paged(
        &self,
        query: &JobRunQuery,
        page_size: usize,
        each: &mut PageFn<'_, JobRun>,
    ) -> Result<(), StoreError> {
        read_paged(self, query, page_size, each).map_err(self.fail(READ))
    }

    fn job_runs_span(&self) -> Result<Option<TimeSpan>, StoreError> {
        span(self).map_err(self.fail(READ))
    }
}
