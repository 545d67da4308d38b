//! The scheduler: runs each job at its scheduled times on the shared clock, at most once per
//! scheduled time, never two runs of one job at once, catching up missed times after downtime
//! according to the job's policy, and recording every run in a [`RunLog`]: the store
//! ([`StoreRunLog`]), where a restarted scheduler finds where each job left off, or memory.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use serde::Deserialize;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::schedule::Schedule;
use crate::clock::Clock;
use crate::store::{JobOutcome, JobRun, Store};

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
    /// The scheduled time of the job's latest recorded run (`None` when it never ran, or when
    /// that is unknown: the job then starts from now, without catching up).
    fn last_scheduled(&self, job: &str) -> Option<DateTime<Utc>>;
    /// Records a finished run.
    fn record(&mut self, run: &JobRun);
}

/// A run log in memory (tests, one-off runs).
#[derive(Debug, Default)]
pub struct MemoryRunLog {
    /// Every recorded run, in order.
    pub runs: Vec<JobRun>,
}

impl RunLog for MemoryRunLog {
    fn last_scheduled(&self, job: &str) -> Option<DateTime<Utc>> {
        self.runs
            .iter()
            .filter(|r| r.job == job)
            .map(|r| r.scheduled)
            .max()
    }

    fn record(&mut self, run: &JobRun) {
        self.runs.push(run.clone());
    }
}

/// The store as the run log: runs are kept with [`Store::record_job_run`], and a restarted
/// scheduler resumes each job from its latest recorded scheduled time
/// ([`Store::job_runs`]`(Some(job), 1)`).
///
/// Store errors are logged, never raised: a run that cannot be recorded has still happened,
/// and a job whose last run cannot be read starts from now (no catch-up), as if new.
pub struct StoreRunLog(pub Box<dyn Store>);

impl RunLog for StoreRunLog {
    fn last_scheduled(&self, job: &str) -> Option<DateTime<Utc>> {
        match self.0.job_runs(Some(job), 1) {
            Ok(runs) => runs.first().map(|r| r.scheduled),
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
        if let Err(e) = self.0.record_job_run(run) {
            tracing::error!(
                job = %run.job,
                scheduled = %run.scheduled,
                "cannot record the run: {e}"
            );
        }
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
) -> JobRun {
    let started = clock.now();
    tracing::info!(job = %job.name, %scheduled, "job starts");
    let outcome = match (job.run)(scheduled).await {
        Ok(outputs) => JobOutcome::Succeeded(outputs),
        Err(reason) => {
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
            JobOutcome::Succeeded(vec!["report-202701010000".into()])
        );
        assert_eq!(max.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn catch_up_after_downtime() {
        for (policy, expected) in [(CatchUp::Skip, 0), (CatchUp::Latest, 1), (CatchUp::All, 3)] {
            let clock = Clock::scaled(utc("2026-03-04T12:00:00Z"), 3600.0);
            let mut memory = MemoryRunLog::default();
            // Last run for 2026-03-01 08:00 local; down until 03-04 12:00 UTC: 02, 03, 04 missed.
            memory.record(&JobRun {
                job: "daily".into(),
                scheduled: utc("2026-03-01T00:00:00Z"),
                started: utc("2026-03-01T00:00:00Z"),
                finished: utc("2026-03-01T00:00:01Z"),
                outcome: JobOutcome::Succeeded(vec![]),
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

    /// A daily 08:00 (Shanghai) job that remembers every scheduled time it was called for.
    fn remembering(calls: &Arc<Mutex<Vec<DateTime<Utc>>>>) -> ScheduledJob {
        let calls = calls.clone();
        let run: JobFn = Arc::new(move |t| {
            calls.lock().unwrap().push(t);
            Box::pin(async move { Ok(vec![format!("日报 {}, PM2.5.csv", t.format("%m-%d"))]) })
        });
        ScheduledJob {
            name: "daily".into(),
            schedule: Schedule::parse("0 8 * * *", Shanghai).unwrap(),
            catch_up: CatchUp::Latest,
            run,
        }
    }

    fn store_log(path: &std::path::Path) -> Arc<Mutex<StoreRunLog>> {
        let store = crate::store::sqlite::SqliteStore::open(path).unwrap();
        Arc::new(Mutex::new(StoreRunLog(Box::new(store))))
    }

    /// Runs the scheduler over the store at `path` from `from` to `until` (simulated).
    async fn run_on_store(
        path: &std::path::Path,
        calls: &Arc<Mutex<Vec<DateTime<Utc>>>>,
        from: &str,
        until: &str,
    ) {
        let clock = Clock::scaled(utc(from), 3600.0);
        let scheduler = Scheduler::start(vec![remembering(calls)], clock.clone(), store_log(path));
        clock.sleep_until(utc(until)).await;
        scheduler.stop().await;
    }

    fn scheduled_in_store(path: &std::path::Path) -> Vec<DateTime<Utc>> {
        let store = crate::store::sqlite::SqliteStore::open(path).unwrap();
        let runs = store.job_runs(Some("daily"), 100).unwrap();
        runs.iter().map(|r| r.scheduled).collect()
    }

    #[tokio::test(start_paused = true)]
    async fn the_store_records_runs_and_a_restart_resumes_from_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("runs.db");
        let calls = Arc::new(Mutex::new(Vec::new()));

        run_on_store(
            &path,
            &calls,
            "2026-03-01T12:00:00Z",
            "2026-03-03T12:00:00Z",
        )
        .await;
        let store = crate::store::sqlite::SqliteStore::open(&path).unwrap();
        let runs = store.job_runs(None, 100).unwrap();
        assert_eq!(runs.len(), 2, "{runs:?}");
        assert_eq!(runs[0].scheduled, utc("2026-03-03T00:00:00Z"));
        assert_eq!(runs[1].scheduled, utc("2026-03-02T00:00:00Z"));
        assert_eq!(
            runs[0].outcome,
            JobOutcome::Succeeded(vec!["日报 03-03, PM2.5.csv".into()])
        );
        assert!(
            runs.iter()
                .all(|r| r.started >= r.scheduled && r.finished >= r.started)
        );
        drop(store);

        // Restarted the same day, after the day's run: nothing to do until the next morning.
        run_on_store(
            &path,
            &calls,
            "2026-03-03T12:00:00Z",
            "2026-03-03T20:00:00Z",
        )
        .await;
        assert_eq!(scheduled_in_store(&path).len(), 2);

        // Down from 03-03 20:00 to 03-06 12:00: 04, 05 and 06 missed; Latest runs 06 only,
        // then 07 on time.
        run_on_store(
            &path,
            &calls,
            "2026-03-06T12:00:00Z",
            "2026-03-07T12:00:00Z",
        )
        .await;
        let expected = [
            utc("2026-03-07T00:00:00Z"),
            utc("2026-03-06T00:00:00Z"),
            utc("2026-03-03T00:00:00Z"),
            utc("2026-03-02T00:00:00Z"),
        ];
        assert_eq!(scheduled_in_store(&path), expected);
        let mut called = calls.lock().unwrap().clone();
        called.reverse();
        assert_eq!(called, expected, "each scheduled time ran once, in order");
    }

    #[tokio::test(start_paused = true)]
    async fn store_errors_are_logged_and_the_job_starts_from_now() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("broken.db");
        let log = store_log(&path);
        log.lock().unwrap().record(&JobRun {
            job: "daily".into(),
            scheduled: utc("2026-03-01T00:00:00Z"),
            started: utc("2026-03-01T00:00:00Z"),
            finished: utc("2026-03-01T00:00:01Z"),
            outcome: JobOutcome::Failed("no data".into()),
        });
        assert_eq!(
            log.lock().unwrap().last_scheduled("daily"),
            Some(utc("2026-03-01T00:00:00Z"))
        );
        rusqlite::Connection::open(&path)
            .unwrap()
            .execute_batch("DROP TABLE job_runs")
            .unwrap();
        assert_eq!(log.lock().unwrap().last_scheduled("daily"), None);

        // Neither reading nor recording panics; the job runs from now (no catch-up).
        let calls = Arc::new(Mutex::new(Vec::new()));
        let clock = Clock::scaled(utc("2026-03-04T12:00:00Z"), 3600.0);
        let scheduler = Scheduler::start(vec![remembering(&calls)], clock.clone(), log.clone());
        clock.sleep_until(utc("2026-03-05T12:00:00Z")).await;
        scheduler.stop().await;
        assert_eq!(*calls.lock().unwrap(), [utc("2026-03-05T00:00:00Z")]);
    }
}
