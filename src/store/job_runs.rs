//! Runs of scheduled jobs ([`JobRun`]s), which the scheduler reads to resume where each job
//! left off, and the [`JobRunStore`] that keeps them.

use chrono::{DateTime, Utc};

use super::StoreError;
use super::select::{Jobs, PAGE_SIZE, PageFn, TimeSpan, collect};

/// How a job run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobOutcome {
    /// Succeeded, with the outputs it produced (file paths, counts…), in order.
    Succeeded(Vec<String>),
    /// Failed, with the reason.
    Failed(String),
}

/// One run of a scheduled job, as the store keeps it (see [`crate::jobs::scheduler`]).
///
/// Keyed by (`job`, `scheduled`, `started`): recording a run with the key of an existing one
/// replaces it. Times are kept in milliseconds, like record times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRun {
    /// Job name.
    pub job: String,
    /// The scheduled time this run is for.
    pub scheduled: DateTime<Utc>,
    /// When it started (pipeline clock).
    pub started: DateTime<Utc>,
    /// When it ended (pipeline clock).
    pub finished: DateTime<Utc>,
    /// How it ended.
    pub outcome: JobOutcome,
}

/// A range read of job runs by their scheduled time.
#[derive(Debug, Clone, PartialEq)]
pub struct JobRunQuery {
    /// Jobs to include.
    pub jobs: Jobs,
    /// Inclusive start (scheduled time).
    pub from: DateTime<Utc>,
    /// Exclusive end.
    pub to: DateTime<Utc>,
}

impl JobRunQuery {
    /// Every job's runs scheduled in `[from, to)`.
    pub fn new(from: DateTime<Utc>, to: DateTime<Utc>) -> JobRunQuery {
        JobRunQuery {
            jobs: Jobs::All,
            from,
            to,
        }
    }

    /// The same query for `jobs` only.
    pub fn for_jobs(mut self, jobs: Jobs) -> JobRunQuery {
        self.jobs = jobs;
        self
    }

    /// Whether the query cannot select anything.
    pub fn is_empty(&self) -> bool {
        self.from >= self.to || self.jobs.selects_nothing()
    }
}

/// Sorts runs oldest first: by scheduled time, then start, then job name.
pub(crate) fn sort_oldest_first(runs: &mut [JobRun]) {
    runs.sort_by(|a, b| (a.scheduled, a.started, &a.job).cmp(&(b.scheduled, b.started, &b.job)));
}

/// Sorts runs newest first: by scheduled time descending, then start descending, then job
/// name.
#[cfg(feature = "influxdb")]
pub(crate) fn sort_newest_first(runs: &mut [JobRun]) {
    runs.sort_by(|a, b| {
        (b.scheduled, b.started)
            .cmp(&(a.scheduled, a.started))
            .then_with(|| a.job.cmp(&b.job))
    });
}

/// Where the runs of scheduled jobs are kept. Keyed by (`job`, `scheduled`, `started`): a
/// run with the key of a stored one replaces it.
pub trait JobRunStore: Send {
    /// Stores runs. Returns how many were written.
    fn put_job_runs(&mut self, runs: &[JobRun]) -> Result<usize, StoreError>;

    /// At most `limit` runs of the selected jobs, newest first: ordered by `scheduled`
    /// descending, then `started` descending, then job name. So
    /// `latest_job_runs(&Jobs::one(name), 1)` is the run of the latest scheduled time that
    /// ran (its latest attempt).
    fn latest_job_runs(&self, jobs: &Jobs, limit: usize) -> Result<Vec<JobRun>, StoreError>;

    /// Hands the runs matching `query` to `each` in pages of at most `page_size`, in the
    /// backend's order.
    fn job_runs_paged(
        &self,
        query: &JobRunQuery,
        page_size: usize,
        each: &mut PageFn<'_, JobRun>,
    ) -> Result<(), StoreError>;

    /// The earliest and latest scheduled time of the stored runs.
    fn job_runs_span(&self) -> Result<Option<TimeSpan>, StoreError>;

    /// Runs matching `query`, oldest first (scheduled, started, job).
    fn job_runs(&self, query: &JobRunQuery) -> Result<Vec<JobRun>, StoreError> {
        let mut out = collect(|each| self.job_runs_paged(query, PAGE_SIZE, each))?;
        sort_oldest_first(&mut out);
        Ok(out)
    }
}
