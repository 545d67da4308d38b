//! The scheduler: runs each job at its scheduled times on the shared clock, at most once per
//! scheduled time (a failed run is retried a few times, see [`Retry`]), never two runs of one
//! job at once, catching up missed times after downtime according to the job's policy, each
//! run after the runs of the same day of the jobs it runs after (`order`), and
//! recording every run (each attempt) in a [`RunLog`]: the store ([`StoreRunLog`]), where a
//! restarted scheduler finds where each job left off, or memory.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use serde::Deserialize;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::config::JobKind;
use super::error::JobError;
use super::order::{Board, OrderError, Progress, check_order};
use super::schedule::Schedule;
use crate::clock::Clock;
use crate::store::{JobOutcome, JobOutput, JobRun, JobRunStore, Jobs};

/// What to do with scheduled times that passed while the scheduler was down (or while a long
/// run of the same job was still going).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CatchUp {
    /// Forget them.
    Skip,
    /// Run the most recent one only (a daily report for yesterday, not for every missed day).
    #[default]
    Latest,
    /// Run all of them, oldest first (backfilling every missed period).
    All,
}

/// Where runs are recorded; the scheduler asks it where each job left off.
///
/// Recording and reading never fail from the scheduler's point of view: a log that cannot
/// record a run reports the problem itself (see [`StoreRunLog`]).
pub trait RunLog: Send {
    /// Where the job left off: its latest recorded scheduled time and how that time's runs
    /// ended (`None` when it never ran, or when that is unknown: the job then starts from now,
    /// without catching up).
    fn left_off(&self, job: &str) -> Option<LeftOff>;
    /// Records a finished run.
    fn record(&mut self, run: &JobRun);
}

/// Where a job left off (see [`RunLog::left_off`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeftOff {
    /// The latest scheduled time that ran.
    pub scheduled: DateTime<Utc>,
    /// How many attempts at it failed since the last success (0: its latest attempt
    /// succeeded).
    pub failed_attempts: u32,
}

impl LeftOff {
    /// From the runs of one job, newest first (ordered by scheduled time, then start).
    fn from_newest_first<'a>(runs: impl IntoIterator<Item = &'a JobRun>) -> Option<LeftOff> {
        let mut runs = runs.into_iter().peekable();
        let scheduled = runs.peek()?.scheduled;
        let failed_attempts = runs
            .take_while(|r| r.scheduled == scheduled && matches!(r.outcome, JobOutcome::Failed(_)))
            .count() as u32;
        Some(LeftOff {
            scheduled,
            failed_attempts,
        })
    }
}

/// A run log in memory (tests, one-off runs).
#[derive(Debug, Default)]
pub struct MemoryRunLog {
    /// Every recorded run, in order.
    pub runs: Vec<JobRun>,
}

impl RunLog for MemoryRunLog {
    fn left_off(&self, job: &str) -> Option<LeftOff> {
        let mut runs: Vec<&JobRun> = self.runs.iter().filter(|r| r.job == job).collect();
        runs.sort_by_key(|r| std::cmp::Reverse((r.scheduled, r.started)));
        LeftOff::from_newest_first(runs)
    }

    fn record(&mut self, run: &JobRun) {
        self.runs.push(run.clone());
    }
}

/// The store as the run log: runs are kept with [`JobRunStore::put_job_runs`], and a
/// restarted scheduler resumes each job from its latest recorded scheduled time (the newest
/// [`JobRunStore::latest_job_runs`] of the job).
///
/// Store errors are logged, never raised: a run that cannot be recorded has still happened,
/// and a job whose last run cannot be read starts from now (no catch-up), as if new.
pub struct StoreRunLog(pub Box<dyn JobRunStore>);

impl RunLog for StoreRunLog {
    fn left_off(&self, job: &str) -> Option<LeftOff> {
        // Enough to count the failed attempts of the latest time under any retry setting.
        const RECENT: usize = 64;
        match self.0.latest_job_runs(&Jobs::one(job), RECENT) {
            Ok(runs) => LeftOff::from_newest_first(&runs),
            Err(e) => {
                tracing::error!(
                    job,
                    "cannot read where the job left off; starting from now, without catching up: {e}"
                );
                None
            }
        }
    }

    fn record(&mut self, run: &JobRun) {
        if let Err(e) = self.0.put_job_runs(std::slice::from_ref(run)) {
            tracing::error!(
                job = %run.job,
                scheduled = %run.scheduled,
                "cannot record the run: {e}"
            );
        }
    }
}

/// The work of a job for one scheduled time.
pub type JobFuture = Pin<Box<dyn Future<Output = Result<JobOutput, JobError>> + Send>>;
/// A job's body: called with the scheduled time.
pub type JobFn = Arc<dyn Fn(DateTime<Utc>) -> JobFuture + Send + Sync>;

/// Retries of a failed run: after `delay` on the shared clock, at most `attempts` more times,
/// and never once the job's next scheduled time has come (that run supersedes). A scheduler
/// restarted after a failed run retries it if attempts are left and no newer time was missed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    /// Attempts after the first.
    pub attempts: u32,
    /// Wait between attempts.
    pub delay: Duration,
}

impl Default for Retry {
    /// Two more attempts, ten minutes apart: a store or share that was briefly away at 08:00
    /// still gets the morning's report.
    fn default() -> Self {
        Retry {
            attempts: 2,
            delay: Duration::from_secs(600),
        }
    }
}

/// A job to schedule.
#[derive(Clone)]
pub struct ScheduledJob {
    /// Unique name.
    pub name: String,
    /// What it does.
    pub kind: JobKind,
    /// When it runs.
    pub schedule: Schedule,
    /// Missed-run policy.
    pub catch_up: CatchUp,
    /// Retries of a failed run.
    pub retry: Retry,
    /// The jobs whose run of the same scheduled day each run waits for (`order`).
    pub after: Vec<String>,
    /// The longest wait for them (monitoring time).
    pub after_timeout: Duration,
    /// Its body.
    pub run: JobFn,
}

/// A running scheduler.
pub struct Scheduler {
    tasks: JoinSet<()>,
    shutdown: CancellationToken,
}

impl Scheduler {
    /// Starts one task per job, after checking their order (`check_order`).
    pub fn start(
        jobs: Vec<ScheduledJob>,
        clock: Clock,
        log: Arc<Mutex<dyn RunLog>>,
    ) -> Result<Scheduler, OrderError> {
        let now = clock.now();
        check_order(&jobs, now)?;
        let left_off: Vec<Option<LeftOff>> = {
            let log = log.lock().unwrap_or_else(|e| e.into_inner());
            jobs.iter().map(|j| log.left_off(&j.name)).collect()
        };
        // Where each job starts: its latest recorded time (just before it, when that time is
        // to be retried), or now for a job that never ran.
        let board = Arc::new(Board::new(jobs.iter().zip(&left_off).map(|(job, l)| {
            let through = match l {
                None => now,
                Some(l) if unfinished(job, *l) => l.scheduled - TimeDelta::nanoseconds(1),
                Some(l) => l.scheduled,
            };
            let ran = l.map(|l| (l.scheduled, l.failed_attempts == 0));
            (job, Progress { through, ran })
        })));
        let shutdown = CancellationToken::new();
        let mut tasks = JoinSet::new();
        for (job, left_off) in jobs.into_iter().zip(left_off) {
            let task = JobTask {
                job,
                clock: clock.clone(),
                log: log.clone(),
                board: board.clone(),
                stop: shutdown.clone(),
            };
            tasks.spawn(async move { task.run(left_off).await });
        }
        Ok(Scheduler { tasks, shutdown })
    }

    /// Stops after the runs in progress finish.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        while self.tasks.join_next().await.is_some() {}
    }
}

/// Whether the job's latest recorded time failed with attempts left: a restart retries it
/// (unless a newer time is due, or the job skips missed times).
fn unfinished(job: &ScheduledJob, left_off: LeftOff) -> bool {
    left_off.failed_attempts > 0
        && left_off.failed_attempts < job.retry.attempts + 1
        && job.catch_up != CatchUp::Skip
}

/// Runs `job` for `scheduled` and records it.
pub async fn run_once(
    job: &ScheduledJob,
    scheduled: DateTime<Utc>,
    clock: &Clock,
    log: &Mutex<dyn RunLog>,
) -> JobRun {
    let started = clock.now();
    tracing::info!(job = %job.name, %scheduled, "job starts");
    let outcome = match (job.run)(scheduled).await {
        Ok(output) => JobOutcome::Succeeded(output),
        Err(e) => {
            let reason = e.reason();
            tracing::error!(job = %job.name, %scheduled, "job failed: {reason}");
            JobOutcome::Failed(reason)
        }
    };
    let record = JobRun {
        job: job.name.clone(),
        scheduled,
        started,
        finished: clock.now(),
        outcome,
    };
    log.lock()
        .unwrap_or_else(|e| e.into_inner())
        .record(&record);
    record
}

/// One job's task in the scheduler.
struct JobTask {
    job: ScheduledJob,
    clock: Clock,
    log: Arc<Mutex<dyn RunLog>>,
    board: Arc<Board>,
    stop: CancellationToken,
}

impl JobTask {
    async fn run(self, left_off: Option<LeftOff>) {
        let (job, clock, board) = (&self.job, &self.clock, &self.board);
        let all_attempts = job.retry.attempts + 1;
        // A job never run before starts from now: there is nothing to catch up.
        let mut cursor = left_off.map_or_else(|| clock.now(), |l| l.scheduled);
        let mut unfinished = left_off.filter(|l| unfinished(job, *l));
        loop {
            // Times that passed while we were down or busy: the catch-up policy decides.
            let now = clock.now();
            let missed: Vec<DateTime<Utc>> = job.schedule.between(cursor, now).collect();
            if let Some(l) = unfinished.take()
                && missed.is_empty()
            {
                let left = all_attempts - l.failed_attempts;
                if !self.run_with_retries(l.scheduled, left).await {
                    return;
                }
                continue;
            }
            let due: &[DateTime<Utc>] = match job.catch_up {
                CatchUp::Skip => &[],
                CatchUp::Latest => missed.last().map(std::slice::from_ref).unwrap_or(&[]),
                CatchUp::All => &missed,
            };
            for &t in due {
                // The missed times before `t` are skipped, or already run.
                board.finished_through(&job.name, t - TimeDelta::nanoseconds(1));
                if self.stop.is_cancelled() || !self.run_with_retries(t, all_attempts).await {
                    return;
                }
            }
            cursor = cursor.max(now);
            board.finished_through(&job.name, cursor);
            let Some(next) = job.schedule.next_after(cursor) else {
                board.finished_through(&job.name, DateTime::<Utc>::MAX_UTC);
                return;
            };
            tokio::select! {
                () = clock.sleep_until(next) => {}
                () = self.stop.cancelled() => return,
            }
            if !self.run_with_retries(next, all_attempts).await {
                return;
            }
            cursor = next;
        }
    }

    /// Runs the job for `scheduled` with at most `attempts` attempts (see [`Retry`]), after
    /// the jobs it runs after ([`super::order`]). Returns `false` when stopped.
    async fn run_with_retries(&self, scheduled: DateTime<Utc>, attempts: u32) -> bool {
        let (job, clock, stop) = (&self.job, &self.clock, &self.stop);
        if !self
            .board
            .wait_for_predecessors(job, scheduled, clock, stop)
            .await
        {
            return false;
        }
        let next_time = job.schedule.next_after(scheduled);
        for attempt in 1..=attempts {
            let run = run_once(job, scheduled, clock, &*self.log).await;
            let succeeded = run.outcome.succeeded();
            if succeeded || attempt == attempts {
                self.board.ran(&job.name, scheduled, succeeded);
                return true;
            }
            let retry_at =
                clock.now() + TimeDelta::from_std(job.retry.delay).unwrap_or(TimeDelta::MAX);
            if next_time.is_some_and(|next| next <= retry_at) {
                tracing::warn!(job = %job.name, %scheduled, "not retried: the next scheduled run comes first");
                self.board.ran(&job.name, scheduled, false);
                return true;
            }
            tracing::warn!(job = %job.name, %scheduled, "retrying at {retry_at} (attempt {} of {attempts})", attempt + 1);
            tokio::select! {
                () = clock.sleep_until(retry_at) => {}
                () = stop.cancelled() => return false,
            }
        }
        true
    }
}

#[cfg(test)]
#[path = "scheduler_tests.rs"]
pub(super) mod tests;
