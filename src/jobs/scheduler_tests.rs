//! The scheduler on a paused tokio clock: times, catch-up, overlap, retries, restarts.
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chrono::TimeDelta;
use chrono_tz::Asia::Shanghai;

use super::*;

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

/// What a test job writes: a report file.
pub(in crate::jobs) fn report_file(name: impl Into<std::path::PathBuf>) -> JobOutput {
    JobOutput::Report {
        html: name.into(),
        csv: None,
    }
}

/// A test job's failure: the report folder cannot be written.
pub(in crate::jobs) fn folder_failure(why: String) -> JobError {
    JobError::OutputFolder {
        dir: "reports".into(),
        source: std::io::Error::other(why),
    }
}

/// A job on `expr` (Shanghai) with the default catch-up and retries, after no other job.
pub(in crate::jobs) fn job(name: &str, expr: &str, run: JobFn) -> ScheduledJob {
    ScheduledJob {
        name: name.into(),
        kind: JobKind::Indices,
        schedule: Schedule::parse(expr, Shanghai).unwrap(),
        catch_up: CatchUp::Latest,
        retry: Retry::default(),
        after: Vec::new(),
        after_timeout: crate::jobs::config::DEFAULT_AFTER_TIMEOUT,
        run,
    }
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
            Ok(report_file(format!("report-{}", t.format("%Y%m%d%H%M"))))
        })
    });
    let job = ScheduledJob {
        catch_up,
        ..job(name, expr, run)
    };
    (job, running, max_running)
}

#[tokio::test(start_paused = true)]
async fn runs_each_time_once_in_order() {
    let clock = Clock::scaled(utc("2026-12-30T00:00:00Z"), 3600.0);
    let log = Arc::new(Mutex::new(MemoryRunLog::default()));
    let (job, _, max) = counting("daily", "0 8 * * *", CatchUp::Latest, Duration::ZERO);
    let scheduler = Scheduler::start(vec![job], clock.clone(), log.clone()).unwrap();
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
        JobOutcome::Succeeded(report_file("report-202701010000"))
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
            outcome: JobOutcome::Succeeded(report_file("report")),
        });
        let log = Arc::new(Mutex::new(memory));
        let (job, _, _) = counting("daily", "0 8 * * *", policy, Duration::ZERO);
        let scheduler = Scheduler::start(vec![job], clock.clone(), log.clone()).unwrap();
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
    let scheduler = Scheduler::start(vec![job], clock.clone(), log.clone()).unwrap();
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
        Box::pin(async move {
            Ok(report_file(format!(
                "日报 {}, PM2.5.html",
                t.format("%m-%d")
            )))
        })
    });
    job("daily", "0 8 * * *", run)
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
    let scheduler =
        Scheduler::start(vec![remembering(calls)], clock.clone(), store_log(path)).unwrap();
    clock.sleep_until(utc(until)).await;
    scheduler.stop().await;
}

fn scheduled_in_store(path: &std::path::Path) -> Vec<DateTime<Utc>> {
    let store = crate::store::sqlite::SqliteStore::open(path).unwrap();
    let runs = store.latest_job_runs(&Jobs::one("daily"), 100).unwrap();
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
    let runs = store.latest_job_runs(&Jobs::All, 100).unwrap();
    assert_eq!(runs.len(), 2, "{runs:?}");
    assert_eq!(runs[0].scheduled, utc("2026-03-03T00:00:00Z"));
    assert_eq!(runs[1].scheduled, utc("2026-03-02T00:00:00Z"));
    assert_eq!(
        runs[0].outcome,
        JobOutcome::Succeeded(report_file("日报 03-03, PM2.5.html"))
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
        log.lock().unwrap().left_off("daily"),
        Some(LeftOff {
            scheduled: utc("2026-03-01T00:00:00Z"),
            failed_attempts: 1
        })
    );
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch("DROP TABLE job_runs")
        .unwrap();
    assert_eq!(log.lock().unwrap().left_off("daily"), None);

    // Neither reading nor recording panics; the job runs from now (no catch-up).
    let calls = Arc::new(Mutex::new(Vec::new()));
    let clock = Clock::scaled(utc("2026-03-04T12:00:00Z"), 3600.0);
    let scheduler =
        Scheduler::start(vec![remembering(&calls)], clock.clone(), log.clone()).unwrap();
    clock.sleep_until(utc("2026-03-05T12:00:00Z")).await;
    scheduler.stop().await;
    assert_eq!(*calls.lock().unwrap(), [utc("2026-03-05T00:00:00Z")]);
}

/// A job on `expr` that fails its first `failures` calls (forever with `usize::MAX`).
fn failing(expr: &str, failures: usize, retry: Retry) -> ScheduledJob {
    let calls = Arc::new(AtomicUsize::new(0));
    let run: JobFn = Arc::new(move |_| {
        let n = calls.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move {
            if n < failures {
                Err(folder_failure(format!(
                    "share unreachable (call {})",
                    n + 1
                )))
            } else {
                Ok(report_file("report.html"))
            }
        })
    });
    ScheduledJob {
        retry,
        ..job("daily", expr, run)
    }
}

/// (scheduled, started, succeeded) of every recorded run.
fn attempts(log: &Mutex<MemoryRunLog>) -> Vec<(DateTime<Utc>, DateTime<Utc>, bool)> {
    let runs = &log.lock().unwrap().runs;
    runs.iter()
        .map(|r| {
            let ok = matches!(r.outcome, JobOutcome::Succeeded(_));
            (r.scheduled, r.started, ok)
        })
        .collect()
}

#[tokio::test(start_paused = true)]
async fn a_failed_run_is_retried_after_the_delay_until_it_succeeds() {
    let clock = Clock::scaled(utc("2026-03-01T23:00:00Z"), 600.0);
    let log = Arc::new(Mutex::new(MemoryRunLog::default()));
    let job = failing("0 8 * * *", 2, Retry::default());
    let scheduler = Scheduler::start(vec![job], clock.clone(), log.clone()).unwrap();
    clock.sleep_until(utc("2026-03-02T02:00:00Z")).await;
    scheduler.stop().await;
    let t = utc("2026-03-02T00:00:00Z");
    let started: Vec<_> = attempts(&log).iter().map(|a| a.1 - t).collect();
    assert_eq!(
        attempts(&log)
            .iter()
            .map(|a| (a.0, a.2))
            .collect::<Vec<_>>(),
        [(t, false), (t, false), (t, true)]
    );
    // Ten (simulated) minutes apart, give or take the scaled clock's rounding.
    for (i, d) in started.iter().enumerate() {
        let expected = TimeDelta::minutes(10 * i as i64);
        assert!((*d - expected).abs() < TimeDelta::seconds(5), "{started:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn retries_stop_at_the_limit_and_before_the_next_scheduled_time() {
    // Every 15 minutes, always failing, retries 10 minutes apart: the second retry would
    // come after the next scheduled time, so each time gets two attempts.
    let clock = Clock::scaled(utc("2026-03-02T00:00:30Z"), 600.0);
    let log = Arc::new(Mutex::new(MemoryRunLog::default()));
    let job = failing("*/15 * * * *", usize::MAX, Retry::default());
    let scheduler = Scheduler::start(vec![job], clock.clone(), log.clone()).unwrap();
    clock.sleep_until(utc("2026-03-02T00:59:00Z")).await;
    scheduler.stop().await;
    let per_time: Vec<_> = attempts(&log).iter().map(|a| (a.0, a.2)).collect();
    let at = |m: &str| utc(&format!("2026-03-02T00:{m}:00Z"));
    assert_eq!(
        per_time,
        [
            (at("15"), false),
            (at("15"), false),
            (at("30"), false),
            (at("30"), false),
            (at("45"), false),
            (at("45"), false)
        ]
    );

    // With no retries, one attempt per time.
    let clock = Clock::scaled(utc("2026-03-02T00:00:30Z"), 600.0);
    let log = Arc::new(Mutex::new(MemoryRunLog::default()));
    let none = Retry {
        attempts: 0,
        ..Retry::default()
    };
    let scheduler = Scheduler::start(
        vec![failing("*/15 * * * *", usize::MAX, none)],
        clock.clone(),
        log.clone(),
    )
    .unwrap();
    clock.sleep_until(utc("2026-03-02T00:59:00Z")).await;
    scheduler.stop().await;
    assert_eq!(attempts(&log).len(), 3);
}

#[tokio::test(start_paused = true)]
async fn a_restart_retries_a_failed_latest_run_while_attempts_are_left() {
    let failed = |started: &str| JobRun {
        job: "daily".into(),
        scheduled: utc("2026-03-04T00:00:00Z"),
        started: utc(started),
        finished: utc(started),
        outcome: JobOutcome::Failed("store down".into()),
    };
    for (earlier, retried) in [(1, true), (3, false)] {
        let mut memory = MemoryRunLog::default();
        for i in 0..earlier {
            memory.record(&failed(&format!("2026-03-04T00:{:02}:00Z", 10 * i)));
        }
        let log = Arc::new(Mutex::new(memory));
        // Restarted at 10:00 local the same day: today's 08:00 run is retried at once (if
        // attempts are left); tomorrow's runs on time.
        let clock = Clock::scaled(utc("2026-03-04T02:00:00Z"), 3600.0);
        let job = failing("0 8 * * *", 0, Retry::default());
        let scheduler = Scheduler::start(vec![job], clock.clone(), log.clone()).unwrap();
        clock.sleep_until(utc("2026-03-05T01:00:00Z")).await;
        scheduler.stop().await;
        let new: Vec<_> = attempts(&log)[earlier..]
            .iter()
            .map(|a| (a.0, a.2))
            .collect();
        let today = (utc("2026-03-04T00:00:00Z"), true);
        let tomorrow = (utc("2026-03-05T00:00:00Z"), true);
        let expected = if retried {
            vec![today, tomorrow]
        } else {
            vec![tomorrow]
        };
        assert_eq!(
            new, expected,
            "{earlier} failed attempt(s) before the restart"
        );
    }
}
