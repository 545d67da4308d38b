//! Runs of scheduled jobs ([`JobRun`]s), which the scheduler reads to resume where each job
//! left off, and the [`JobRunStore`] that keeps them.

use std::fmt;
use std::path::PathBuf;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::StoreError;
use super::select::{Jobs, PAGE_SIZE, PageFn, TimeSpan, collect};

/// How a job run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobOutcome {
    /// Succeeded, with what it produced.
    Succeeded(JobOutput),
    /// Failed, with the reason (the error and its causes, `: `-separated).
    Failed(String),
}

impl JobOutcome {
    /// Whether the run succeeded.
    pub fn succeeded(&self) -> bool {
        matches!(self, JobOutcome::Succeeded(_))
    }
}

/// What a successful job run produced, by kind of job. Stored as it is and read back typed;
/// runs recorded before outputs were typed read back as [`JobOutput::Text`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum JobOutput {
    /// A report: the HTML file and the CSV table beside it.
    Report {
        /// The HTML report.
        html: PathBuf,
        /// Its table as CSV (ranking reports).
        csv: Option<PathBuf>,
    },
    /// Indices recomputed for the local days `first` to `last`.
    Indices {
        /// The first local day.
        first: NaiveDate,
        /// The last local day.
        last: NaiveDate,
        /// Stations recomputed.
        stations: usize,
        /// Hourly and daily index records written.
        records: usize,
    },
    /// Source flags of a local day (the `sources` job).
    SourceFlags {
        /// The local day analysed.
        day: NaiveDate,
        /// Flags stored for episodes that started that day.
        flags: usize,
    },
    /// A forecast issued and stored.
    Forecast {
        /// Issue time.
        issued: DateTime<Utc>,
        /// Stations with at least one forecast value.
        forecast: usize,
        /// Stations that abstained on every pollutant.
        abstained: usize,
        /// The run's one-line summary as the forecast module words it (counts, why stations
        /// abstained, notes); shown, never read back.
        summary: String,
        /// Hourly and daily forecast entries stored.
        stored: usize,
    },
    /// The outputs of a run recorded before outputs were typed, as its lines of text (kept as
    /// they are, never parsed).
    Text {
        /// The lines, in order.
        lines: Vec<String>,
    },
}

impl JobOutput {
    /// The output as lines of text, as `lantian jobs run` prints them: a report's files, one
    /// line of counts for the other kinds (two for a forecast: its summary and the entries
    /// stored).
    pub fn lines(&self) -> Vec<String> {
        match self {
            JobOutput::Report { html, csv } => std::iter::once(html)
                .chain(csv)
                .map(|p| p.display().to_string())
                .collect(),
            JobOutput::Indices {
                first,
                last,
                records,
                ..
            } if first == last => vec![format!("{records} index records for {first}")],
            JobOutput::Indices {
                first,
                last,
                records,
                ..
            } => vec![format!("{records} index records for {first} to {last}")],
            JobOutput::SourceFlags { day, flags } => {
                vec![format!("source flags for {day}: {flags} new")]
            }
            JobOutput::Forecast {
                summary, stored, ..
            } => vec![summary.clone(), format!("{stored} forecast entries stored")],
            JobOutput::Text { lines } => lines.clone(),
        }
    }
}

impl fmt::Display for JobOutput {
    /// The [`lines`](JobOutput::lines) joined by `; `.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.lines().join("; "))
    }
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
