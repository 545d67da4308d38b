//! Job runs: both outcomes round-trip, order and limit, the job filter, and replacement by
//! key.

use chrono::TimeDelta;
use lantian::store::{JobOutcome, JobRun};

use super::{TestStore, at};

/// A successful run of `job` scheduled at `at(scheduled)`, started `started` seconds later
/// and lasting 90 s.
pub fn job_run(job: &str, scheduled: i64, started: i64) -> JobRun {
    let t = at(scheduled);
    JobRun {
        job: job.to_string(),
        scheduled: t,
        started: t + TimeDelta::seconds(started),
        finished: t + TimeDelta::seconds(started + 90),
        outcome: JobOutcome::Succeeded(vec![format!("reports/{job}-{scheduled}.pdf")]),
    }
}

/// (job, scheduled minute, started seconds after it) of `runs`, to compare orders.
fn run_keys(runs: &[JobRun]) -> Vec<(String, i64, i64)> {
    runs.iter()
        .map(|r| {
            (
                r.job.clone(),
                (r.scheduled - at(0)).num_minutes(),
                (r.started - r.scheduled).num_seconds(),
            )
        })
        .collect()
}

/// Both outcomes come back as recorded: outputs with spaces, commas, quotes and Chinese, an
/// empty output list, a multi-line failure reason; times to the millisecond. Another handle
/// sees them.
pub fn job_runs_round_trip(mut t: TestStore) {
    assert!(t.store.job_runs(None, 10).unwrap().is_empty());
    let ok = JobRun {
        finished: at(24 * 60) + TimeDelta::milliseconds(61_234),
        outcome: JobOutcome::Succeeded(vec![
            "reports/日报 2025-06-02.pdf".to_string(),
            "rows: 1,234, stations: 33".to_string(),
            r#"say "hi" \ {x=1}"#.to_string(),
            "东莞市环境空气质量日报".to_string(),
        ]),
        ..job_run("日报 daily", 24 * 60, 2)
    };
    let empty = JobRun {
        outcome: JobOutcome::Succeeded(vec![]),
        ..job_run("日报 daily", 0, 1)
    };
    let failed = JobRun {
        started: at(48 * 60) + TimeDelta::milliseconds(1_500),
        outcome: JobOutcome::Failed(
            "no hourly data for 莞城, \"DG-GC\"\nretry tomorrow".to_string(),
        ),
        ..job_run("日报 daily", 48 * 60, 0)
    };
    for run in [&ok, &empty, &failed] {
        t.store.record_job_run(run).unwrap();
    }
    let expected = vec![failed.clone(), ok.clone(), empty.clone()];
    assert_eq!(t.store.job_runs(Some("日报 daily"), 10).unwrap(), expected);
    assert_eq!(t.store.job_runs(None, 10).unwrap(), expected);
    assert_eq!((t.reopen)().job_runs(None, 10).unwrap(), expected);
}

/// Newest scheduled time first; for one scheduled time, the latest attempt first. A re-run
/// of an older time, started later, still sorts by its scheduled time. `limit` cuts the list.
pub fn job_runs_order_and_limit(mut t: TestStore) {
    let day = 24 * 60;
    let runs = [
        job_run("daily", 0, 5),
        // Day 1 ran twice: a failure, then a retry an hour later.
        JobRun {
            outcome: JobOutcome::Failed("database locked".to_string()),
            ..job_run("daily", day, 1)
        },
        job_run("daily", day, 3600),
        job_run("daily", 2 * day, 1),
        // Day 0 re-run by hand after day 2.
        job_run("daily", 0, 3 * 86_400),
    ];
    // Recorded out of order.
    for i in [3, 0, 4, 2, 1] {
        t.store.record_job_run(&runs[i]).unwrap();
    }
    let all = t.store.job_runs(Some("daily"), 100).unwrap();
    assert_eq!(
        run_keys(&all),
        [
            ("daily".to_string(), 2 * day, 1),
            ("daily".to_string(), day, 3600),
            ("daily".to_string(), day, 1),
            ("daily".to_string(), 0, 3 * 86_400),
            ("daily".to_string(), 0, 5),
        ]
    );
    assert_eq!(all[2], runs[1]);
    for limit in [0, 1, 2, 3, 4, 5, 6] {
        let cut = t.store.job_runs(Some("daily"), limit).unwrap();
        assert_eq!(cut, all[..limit.min(5)], "limit {limit}");
        assert_eq!(
            t.store.job_runs(None, limit).unwrap(),
            all[..limit.min(5)],
            "all jobs, limit {limit}"
        );
    }
    assert_eq!(t.store.job_runs(None, usize::MAX).unwrap(), all);
    // Where the job left off: the latest scheduled time that ran.
    assert_eq!(
        t.store.job_runs(Some("daily"), 1).unwrap()[0].scheduled,
        at(2 * day)
    );
}

/// `Some(job)` reads that job only (names are matched exactly); `None` every job, runs of
/// the same scheduled and start times ordered by job name.
pub fn job_runs_filter_by_job(mut t: TestStore) {
    let runs = [
        job_run("hourly", 60, 1),
        job_run("daily", 60, 1),
        job_run("hourly", 120, 1),
        job_run("daily", 0, 1),
        job_run("daily report", 120, 30),
        job_run("Daily", 180, 1),
    ];
    for run in &runs {
        t.store.record_job_run(run).unwrap();
    }
    assert_eq!(
        t.store.job_runs(Some("daily"), 10).unwrap(),
        [runs[1].clone(), runs[3].clone()]
    );
    assert_eq!(
        t.store.job_runs(Some("hourly"), 10).unwrap(),
        [runs[2].clone(), runs[0].clone()]
    );
    assert_eq!(
        t.store.job_runs(Some("daily report"), 10).unwrap(),
        [runs[4].clone()]
    );
    assert!(t.store.job_runs(Some("weekly"), 10).unwrap().is_empty());
    assert!(t.store.job_runs(Some("dail"), 10).unwrap().is_empty());
    assert_eq!(
        run_keys(&t.store.job_runs(None, 10).unwrap()),
        [
            ("Daily".to_string(), 180, 1),
            ("daily report".to_string(), 120, 30),
            ("hourly".to_string(), 120, 1),
            ("daily".to_string(), 60, 1),
            ("hourly".to_string(), 60, 1),
            ("daily".to_string(), 0, 1),
        ]
    );
    assert_eq!(
        run_keys(&t.store.job_runs(None, 4).unwrap()),
        [
            ("Daily".to_string(), 180, 1),
            ("daily report".to_string(), 120, 30),
            ("hourly".to_string(), 120, 1),
            ("daily".to_string(), 60, 1),
        ]
    );
}

/// Recording a run with the key (job, scheduled, started) of a stored one replaces it, also
/// when the outcome changes kind; other runs stay.
pub fn job_runs_replace_by_key(mut t: TestStore) {
    let first = job_run("daily", 0, 1);
    let other = job_run("daily", 24 * 60, 1);
    t.store.record_job_run(&first).unwrap();
    t.store.record_job_run(&other).unwrap();
    t.store.record_job_run(&first).unwrap();
    assert_eq!(
        t.store.job_runs(None, 10).unwrap(),
        [other.clone(), first.clone()]
    );
    let failed = JobRun {
        finished: first.finished + TimeDelta::seconds(30),
        outcome: JobOutcome::Failed("disk full".to_string()),
        ..first.clone()
    };
    t.store.record_job_run(&failed).unwrap();
    assert_eq!(
        t.store.job_runs(None, 10).unwrap(),
        [other.clone(), failed.clone()]
    );
    let succeeded = JobRun {
        outcome: JobOutcome::Succeeded(vec![]),
        ..failed
    };
    t.store.record_job_run(&succeeded).unwrap();
    assert_eq!(t.store.job_runs(None, 10).unwrap(), [other, succeeded]);
}
