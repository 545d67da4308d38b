//! The scheduler: runs each job at its scheduled times on the shared clock, at most once per
//! scheduled time, never two runs of one job at once, catching up missed times after downtime
//! according to the job's policy, and recording every run.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use serde::Deserialize;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::schedule::Schedule;
use crate::clock::Clock;

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

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Succeeded, with the outputs it produced (file paths, counts…).
    Succeeded(Vec<String>),
    /// Failed, with the reason.
    Failed(String),
}

/// One run of a job, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRecord {
    /// Job name.
    pub job: String,
    /// The scheduled time this run is for.
    pub scheduled: DateTime<Utc>,
    /// When it started (pipeline clock).
    pub started: DateTime<Utc>,
    /// When it ended (pipeline clock).
    pub finished: DateTime<Utc>,
    /// How it ended.
    pub outcome: Outcome,
}

/// Where runs are recorded; the scheduler asks it where each job left off.
pub trait RunLog: Send {
    /// The scheduled time of the job's latest recorded run.
    fn last_scheduled(&self, job: &str) -> Option<DateTime<Utc>>;
    /// Records a finished run.
    fn record(&mut self, run: RunRecord);
}

/// A run log in memory (tests, one-off runs).
#[derive(Debug, Default)]
pub struct MemoryRunLog {
    /// Every recorded run, in order.
    pub runs: Vec<RunRecord>,
}

impl RunLog for MemoryRunLog {
    fn last_scheduled(&self, job: &str) -> Option<DateTime<Utc>> {
        self.runs
            .iter()
            .filter(|r| r.job == job)
            .map(|r| r.scheduled)
            .max()
    }

    fn record(&mut self, run: RunRecord) {
        self.runs.push(run);
    }
}

/// The work of a job for one scheduled time.
pub type JobFuture = Pin<Box<dyn Future<Output = Result<Vec<String>, String>> + Send>>;
/// A job's body: called with the scheduled time.
pub type JobFn = Arc<dyn Fn(DateTime<Utc>) -> JobFuture + Send + Sync>;

/// A job to schedule.
#[derive(Clone)]
pub struct ScheduledJob {
    /// Unique name.
    pub name: String,
    /// When it runs.
    pub schedule: Schedule,
    /// Missed-run policy.
    pub catch_up: CatchUp,
    /// What it does.
    pub run: JobFn,
}

/// A running scheduler.
pub struct Scheduler {
    tasks: JoinSet<()>,
    shutdown: CancellationToken,
}

impl Scheduler {
    /// Starts one task per job.
    pub fn start(jobs: Vec<ScheduledJob>, clock: Clock, log: Arc<Mutex<dyn RunLog>>) -> Scheduler {
        let shutdown = CancellationToken::new();
        let mut tasks = JoinSet::new();
        for job in jobs {
            let (clock, log, stop) = (clock.clone(), log.clone(), shutdown.clone());
            tasks.spawn(async move { job_loop(job, clock, log, stop).await });
        }
        Scheduler { tasks, shutdown }
    }

    /// Stops after the runs in progress finish.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        while self.tasks.join_next().await.is_some() {}
    }
}

/// Runs `job` for `scheduled` and records it.
pub async fn run_once(
    job: &ScheduledJob,
    scheduled: DateTime<Utc>,
    clock: &Clock,
    log: &Mutex<dyn RunLog>,
) -> RunRecord {
    let started = clock.now();
    tracing::info!(job = %job.name, %scheduled, "job starts");
    let outcome = match (job.run)(scheduled).await {
        Ok(outputs) => Outcome::Succeeded(outputs),
        Err(reason) => {
            tracing::error!(job = %job.name, %scheduled, "job failed: {reason}");
            Outcome::Failed(reason)
        }
    };
    let record = RunRecord {
        job: job.name.clone(),
        scheduled,
        started,
        finished: clock.now(),
        outcome,
    };
    log.lock()
        .unwrap_or_else(|e| e.into_inner())
        .record(record.clone());
    record
}

async fn job_loop(
    job: ScheduledJob,
    clock: Clock,
    log: Arc<Mutex<dyn RunLog>>,
    stop: CancellationToken,
) {
    let last = log
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .last_scheduled(&job.name);
    // A job never run before starts from now: there is nothing to catch up.
    let mut cursor = last.unwrap_or_else(|| clock.now());
    loop {
        // Times that passed while we were down or busy: the catch-up policy decides.
        let now = clock.now();
        let missed: Vec<DateTime<Utc>> = job.schedule.between(cursor, now).collect();
        let due: &[DateTime<Utc>] = match job.catch_up {
            CatchUp::Skip => &[],
            CatchUp::Latest => missed.last().map(std::slice::from_ref).unwrap_or(&[]),
            CatchUp::All => &missed,
        };
        for &t in due {
            if stop.is_cancelled() {
                return;
            }
            run_once(&job, t, &clock, &log).await;
        }
        cursor = cursor.max(now);
        let Some(next) = job.schedule.next_after(cursor) else {
            return;
        };
        tokio::select! {
            () = clock.sleep_until(next) => {}
            () = stop.cancelled() => return,
        }
        run_once(&job, next, &clock, &log).await;
        cursor = next;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use chrono::TimeDelta;
    use chrono_tz::Asia::Shanghai;

    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    /// A job that counts its runs and tracks concurrency; each run takes `busy` real time.
    fn counting(
        name: &str,
        expr: &str,
        catch_up: CatchUp,
        busy: Duration,
    ) -> (ScheduledJob, Arc<AtomicUsize>, Arc<AtomicUsize>) {
        let (running, max_running) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let (r, m) = (running.clone(), max_running.clone());
        let run: JobFn = Arc::new(move |t| {
            let (r, m) = (r.clone(), m.clone());
            Box::pin(async move {
                let now = r.fetch_add(1, Ordering::SeqCst) + 1;
                m.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(busy).await;
                r.fetch_sub(1, Ordering::SeqCst);
                Ok(vec![format!("report-{}", t.format("%Y%m%d%H%M"))])
            })
        });
        let job = ScheduledJob {
            name: name.into(),
            schedule: Schedule::parse(expr, Shanghai).unwrap(),
            catch_up,
            run,
        };
        (job, running, max_running)
    }

    #[tokio::test(start_paused = true)]
    async fn runs_each_time_once_in_order() {
        let clock = Clock::scaled(utc("2026-12-30T00:00:00Z"), 3600.0);
        let log = Arc::new(Mutex::new(MemoryRunLog::default()));
        let (job, _, max) = counting("daily", "0 8 * * *", CatchUp::Latest, Duration::ZERO);
        let scheduler = Scheduler::start(vec![job], clock.clone(), log.clone());
        clock.sleep_until(utc("2027-01-02T12:00:00Z")).await;
        scheduler.stop().await;
        let runs = &log.lock().unwrap().runs;
        let times: Vec<_> = runs.iter().map(|r| r.scheduled).collect();
        // 08:00 Shanghai = 00:00 UTC, across the year end.
        assert_eq!(
            times,
            [
                utc("2026-12-31T00:00:00Z"),
                utc("2027-01-01T00:00:00Z"),
                utc("2027-01-02T00:00:00Z")
            ]
        );
        assert_eq!(
            runs[1].outcome,
            Outcome::Succeeded(vec!["report-202701010000".into()])
        );
        assert_eq!(max.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn catch_up_after_downtime() {
        for (policy, expected) in [(CatchUp::Skip, 0), (CatchUp::Latest, 1), (CatchUp::All, 3)] {
            let clock = Clock::scaled(utc("2026-03-04T12:00:00Z"), 3600.0);
            let mut memory = MemoryRunLog::default();
            // Last run for 2026-03-01 08:00 local; down until 03-04 12:00 UTC: 02, 03, 04 missed.
            memory.record(RunRecord {
                job: "daily".into(),
                scheduled: utc("2026-03-01T00:00:00Z"),
                started: utc("2026-03-01T00:00:00Z"),
                finished: utc("2026-03-01T00:00:01Z"),
                outcome: Outcome::Succeeded(vec![]),
            });
            let log = Arc::new(Mutex::new(memory));
            let (job, _, _) = counting("daily", "0 8 * * *", policy, Duration::ZERO);
            let scheduler = Scheduler::start(vec![job], clock.clone(), log.clone());
            clock.sleep_until(utc("2026-03-04T13:00:00Z")).await;
            scheduler.stop().await;
            let caught: Vec<_> = log.lock().unwrap().runs[1..]
                .iter()
                .map(|r| r.scheduled)
                .collect();
            assert_eq!(caught.len(), expected, "{policy:?}: {caught:?}");
            if policy == CatchUp::Latest {
                assert_eq!(caught, [utc("2026-03-04T00:00:00Z")]);
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_long_run_never_overlaps_the_next() {
        // Every simulated minute, each run lasting 150 simulated seconds (2.5 ticks).
        let clock = Clock::scaled(utc("2026-06-01T00:00:00Z"), 60.0);
        let log = Arc::new(Mutex::new(MemoryRunLog::default()));
        let (job, _, max) = counting(
            "slow",
            "* * * * *",
            CatchUp::Latest,
            Duration::from_millis(2500),
        );
        let scheduler = Scheduler::start(vec![job], clock.clone(), log.clone());
        clock.sleep_until(utc("2026-06-01T00:10:30Z")).await;
        scheduler.stop().await;
        assert_eq!(
            max.load(Ordering::SeqCst),
            1,
            "two runs of one job overlapped"
        );
        let runs = &log.lock().unwrap().runs;
        let mut times: Vec<_> = runs.iter().map(|r| r.scheduled).collect();
        let n = times.len();
        times.dedup();
        assert_eq!(times.len(), n, "a scheduled time ran twice");
        assert!(runs.windows(2).all(|w| w[1].started >= w[0].finished));
        assert!((3..=5).contains(&n), "{n} runs in 10 minutes of 150-s runs");
        assert!(
            runs.iter()
                .all(|r| r.finished - r.started >= TimeDelta::seconds(149))
        );
    }
}
