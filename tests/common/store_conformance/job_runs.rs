//! Job runs ([`JobRunStore`](lantian::store::JobRunStore)): both outcomes and every kind of
//! output round-trip, order
//! and limit of the latest runs, the job filter, replacement by key, reads by scheduled time in
//! pages, and the span of scheduled times.

use chrono::NaiveDate;
use chrono::TimeDelta;
use lantian::store::{JobOutcome, JobOutput, JobRun, JobRunQuery, Jobs};

use super::{Check, TestStore, at, paged, stops_on_error};

/// Every check, by name.
pub(crate) const CHECKS: &[(&str, Check)] = &[
    ("job_runs_round_trip", job_runs_round_trip),
    ("job_runs_order_and_limit", job_runs_order_and_limit),
    ("job_runs_filter_by_job", job_runs_filter_by_job),
    ("job_runs_replace_by_key", job_runs_replace_by_key),
    ("job_runs_by_scheduled_time", job_runs_by_scheduled_time),
];

/// A successful run of `job` scheduled at `at(scheduled)`, started `started` seconds later
/// and lasting 90 s.
pub(crate) fn job_run(job: &str, scheduled: i64, started: i64) -> JobRun {
    let t = at(scheduled);
    JobRun {
        job: job.to_string(),
        scheduled: t,
        started: t + TimeDelta::seconds(started),
        finished: t + TimeDelta::seconds(started + 90),
        outcome: JobOutcome::Succeeded(JobOutput::Report {
            html: format!("reports/{job}-{scheduled}.html").into(),
            csv: None,
        }),
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

/// Both outcomes come back as recorded: text outputs (of runs kept before outputs were typed)
/// with spaces, commas, quotes and Chinese, an empty text output, every kind of typed output,
/// a multi-line failure reason; times to the millisecond. Another handle sees them.
pub(crate) fn job_runs_round_trip(mut t: TestStore) {
    assert!(t.store.latest_job_runs(&Jobs::All, 10).unwrap().is_empty());
    let ok = JobRun {
        finished: at(24 * 60) + TimeDelta::milliseconds(61_234),
        outcome: JobOutcome::Succeeded(JobOutput::Text {
            lines: vec![
                "reports/日报 2025-06-02.pdf".to_string(),
                "rows: 1,234, stations: 33".to_string(),
                r#"say "hi" \ {x=1}"#.to_string(),
                "东莞市环境空气质量日报".to_string(),
            ],
        }),
        ..job_run("日报 daily", 24 * 60, 2)
    };
    let empty = JobRun {
        outcome: JobOutcome::Succeeded(JobOutput::Text { lines: vec![] }),
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
        t.store.put_job_runs(std::slice::from_ref(run)).unwrap();
    }
    let expected = vec![failed.clone(), ok.clone(), empty.clone()];
    assert_eq!(
        t.store
            .latest_job_runs(&Jobs::one("日报 daily"), 10)
            .unwrap(),
        expected
    );
    assert_eq!(t.store.latest_job_runs(&Jobs::All, 10).unwrap(), expected);
    assert_eq!(
        (t.reopen)().latest_job_runs(&Jobs::All, 10).unwrap(),
        expected
    );

    let day = NaiveDate::from_ymd_opt(2025, 6, 1).unwrap();
    let typed = [
        JobOutput::Report {
            html: "reports/排名 2025-05.html".into(),
            csv: Some("reports/ranking, \"May\".csv".into()),
        },
        JobOutput::Indices {
            first: day,
            last: day + TimeDelta::days(2),
            stations: 33,
            records: 2_475,
        },
        JobOutput::SourceFlags { day, flags: 0 },
        JobOutput::Forecast {
            issued: at(17 * 60),
            forecast: 31,
            abstained: 2,
            summary: "forecast issued at 2025-06-01T17:00Z: 31 station(s) forecast, 2 \
                      abstained (missing pm25_lag1)"
                .to_string(),
            stored: 4_560,
        },
    ];
    let runs: Vec<JobRun> = typed
        .into_iter()
        .enumerate()
        .map(|(i, output)| JobRun {
            outcome: JobOutcome::Succeeded(output),
            ..job_run("typed", 60 * i as i64, 1)
        })
        .collect();
    t.store.put_job_runs(&runs).unwrap();
    let mut back = (t.reopen)()
        .latest_job_runs(&Jobs::one("typed"), 10)
        .unwrap();
    back.reverse();
    assert_eq!(back, runs);
}

/// Newest scheduled time first; for one scheduled time, the latest attempt first. A re-run
/// of an older time, started later, still sorts by its scheduled time. `limit` cuts the list.
pub(crate) fn job_runs_order_and_limit(mut t: TestStore) {
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
        t.store
            .put_job_runs(std::slice::from_ref(&runs[i]))
            .unwrap();
    }
    let all = t.store.latest_job_runs(&Jobs::one("daily"), 100).unwrap();
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
        let cut = t.store.latest_job_runs(&Jobs::one("daily"), limit).unwrap();
        assert_eq!(cut, all[..limit.min(5)], "limit {limit}");
        assert_eq!(
            t.store.latest_job_runs(&Jobs::All, limit).unwrap(),
            all[..limit.min(5)],
            "all jobs, limit {limit}"
        );
    }
    assert_eq!(
        t.store.latest_job_runs(&Jobs::All, usize::MAX).unwrap(),
        all
    );
    // Where the job left off: the latest scheduled time that ran.
    assert_eq!(
        t.store.latest_job_runs(&Jobs::one("daily"), 1).unwrap()[0].scheduled,
        at(2 * day)
    );
}

/// `Some(job)` reads that job only (names are matched exactly); `None` every job, runs of
/// the same scheduled and start times ordered by job name.
pub(crate) fn job_runs_filter_by_job(mut t: TestStore) {
    let runs = [
        job_run("hourly", 60, 1),
        job_run("daily", 60, 1),
        job_run("hourly", 120, 1),
        job_run("daily", 0, 1),
        job_run("daily report", 120, 30),
        job_run("Daily", 180, 1),
    ];
    for run in &runs {
        t.store.put_job_runs(std::slice::from_ref(run)).unwrap();
    }
    assert_eq!(
        t.store.latest_job_runs(&Jobs::one("daily"), 10).unwrap(),
        [runs[1].clone(), runs[3].clone()]
    );
    assert_eq!(
        t.store.latest_job_runs(&Jobs::one("hourly"), 10).unwrap(),
        [runs[2].clone(), runs[0].clone()]
    );
    assert_eq!(
        t.store
            .latest_job_runs(&Jobs::one("daily report"), 10)
            .unwrap(),
        [runs[4].clone()]
    );
    assert!(
        t.store
            .latest_job_runs(&Jobs::one("weekly"), 10)
            .unwrap()
            .is_empty()
    );
    assert!(
        t.store
            .latest_job_runs(&Jobs::one("dail"), 10)
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        run_keys(&t.store.latest_job_runs(&Jobs::All, 10).unwrap()),
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
        run_keys(&t.store.latest_job_runs(&Jobs::All, 4).unwrap()),
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
pub(crate) fn job_runs_replace_by_key(mut t: TestStore) {
    let first = job_run("daily", 0, 1);
    let other = job_run("daily", 24 * 60, 1);
    t.store.put_job_runs(std::slice::from_ref(&first)).unwrap();
    t.store.put_job_runs(std::slice::from_ref(&other)).unwrap();
    t.store.put_job_runs(std::slice::from_ref(&first)).unwrap();
    assert_eq!(
        t.store.latest_job_runs(&Jobs::All, 10).unwrap(),
        [other.clone(), first.clone()]
    );
    let failed = JobRun {
        finished: first.finished + TimeDelta::seconds(30),
        outcome: JobOutcome::Failed("disk full".to_string()),
        ..first.clone()
    };
    t.store.put_job_runs(std::slice::from_ref(&failed)).unwrap();
    assert_eq!(
        t.store.latest_job_runs(&Jobs::All, 10).unwrap(),
        [other.clone(), failed.clone()]
    );
    let succeeded = JobRun {
        outcome: JobOutcome::Succeeded(JobOutput::Text { lines: vec![] }),
        ..failed
    };
    t.store
        .put_job_runs(std::slice::from_ref(&succeeded))
        .unwrap();
    assert_eq!(
        t.store.latest_job_runs(&Jobs::All, 10).unwrap(),
        [other, succeeded]
    );
}

/// Runs by scheduled time: `[from, to)`, the job filter (several jobs, none), oldest first
/// from the collecting read, in pages across page boundaries; the span of scheduled times; the
/// latest runs of several jobs.
pub(crate) fn job_runs_by_scheduled_time(mut t: TestStore) {
    assert_eq!(t.store.job_runs_span().unwrap(), None);
    let mut runs = Vec::new();
    for day in 0..6 {
        for job in ["sources", "daily", "hourly"] {
            runs.push(job_run(job, 24 * 60 * day, 5));
        }
    }
    t.store.put_job_runs(&runs).unwrap();
    let span = t.store.job_runs_span().unwrap().unwrap();
    assert_eq!((span.first, span.last), (at(0), at(5 * 24 * 60)));
    let all = JobRunQuery::new(span.first, span.end());
    let got = t.store.job_runs(&all).unwrap();
    assert_eq!(got.len(), 18);
    let keys = run_keys(&got);
    let mut sorted = keys.clone();
    sorted.sort_by_key(|(job, scheduled, started)| (*scheduled, *started, job.clone()));
    assert_eq!(keys, sorted, "oldest first");
    for size in [1, 5, 18] {
        let mut pages = paged(size, |size, each| t.store.job_runs_paged(&all, size, each)).concat();
        pages.sort_by_key(|r| (r.scheduled, r.started, r.job.clone()));
        assert_eq!(pages, got, "pages of {size}");
    }
    stops_on_error(|size, each| t.store.job_runs_paged(&all, size, each));
    let two_days =
        JobRunQuery::new(at(24 * 60), at(3 * 24 * 60)).for_jobs(Jobs::only(["sources", "daily"]));
    assert_eq!(
        run_keys(&t.store.job_runs(&two_days).unwrap()),
        [
            ("daily".to_string(), 24 * 60, 5),
            ("sources".to_string(), 24 * 60, 5),
            ("daily".to_string(), 2 * 24 * 60, 5),
            ("sources".to_string(), 2 * 24 * 60, 5),
        ]
    );
    let none = all.clone().for_jobs(Jobs::Only(vec![]));
    assert!(t.store.job_runs(&none).unwrap().is_empty());
    assert!(
        t.store
            .latest_job_runs(&Jobs::Only(vec![]), 10)
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        run_keys(
            &t.store
                .latest_job_runs(&Jobs::only(["sources", "hourly"]), 3)
                .unwrap()
        ),
        [
            ("hourly".to_string(), 5 * 24 * 60, 5),
            ("sources".to_string(), 5 * 24 * 60, 5),
            ("hourly".to_string(), 4 * 24 * 60, 5),
        ]
    );
}
