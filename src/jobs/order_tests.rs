//! The order of jobs within a day, on a paused tokio clock: catch-up after a downtime that
//! spans a job and the one it runs after, several runs a day, failures, retries, timeouts, and
//! the configuration errors.
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use chrono_tz::Asia::Shanghai;

use super::*;
use crate::jobs::scheduler::tests::{folder_failure, report_file};
use crate::jobs::scheduler::{CatchUp, JobFn, MemoryRunLog, RunLog, ScheduledJob, Scheduler};
use crate::store::{JobOutcome, JobOutput, JobRun};

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

/// The local days whose flags the `sources` job has stored.
type Flags = Arc<Mutex<BTreeSet<NaiveDate>>>;

fn local_day(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&Shanghai).date_naive()
}

/// A job on `expr` (Shanghai) after `after`, with the default catch-up and retries.
fn job(name: &str, expr: &str, after: &[&str], run: JobFn) -> ScheduledJob {
    ScheduledJob {
        after: after.iter().map(|a| a.to_string()).collect(),
        ..crate::jobs::scheduler::tests::job(name, expr, run)
    }
}

/// The `sources` job at 07:00: each run takes `busy` (real time; an hour of monitoring time
/// per second at ×3600), fails its first `failures` calls, then stores the day's flags.
fn sources(flags: &Flags, busy: Duration, failures: usize) -> ScheduledJob {
    let (flags, calls) = (flags.clone(), Arc::new(Mutex::new(0)));
    let run: JobFn = Arc::new(move |t| {
        let (flags, calls) = (flags.clone(), calls.clone());
        Box::pin(async move {
            tokio::time::sleep(busy).await;
            let mut n = calls.lock().unwrap();
            *n += 1;
            if *n <= failures {
                return Err(folder_failure(format!("store away (call {n})")));
            }
            flags.lock().unwrap().insert(local_day(t));
            Ok(JobOutput::SourceFlags {
                day: local_day(t),
                flags: 1,
            })
        })
    });
    job("sources", "0 7 * * *", &[], run)
}

/// The daily report at 08:00, after `after`: says whether the day's flags were there.
fn report(flags: &Flags, after: &[&str]) -> ScheduledJob {
    let flags = flags.clone();
    let run: JobFn = Arc::new(move |t| {
        let there = flags.lock().unwrap().contains(&local_day(t));
        Box::pin(async move { Ok(report_file(format!("flags there: {there}"))) })
    });
    job("daily-report", "0 8 * * *", after, run)
}

/// A job on `expr` whose runs take `busy`.
fn slow(name: &str, expr: &str, busy: Duration) -> ScheduledJob {
    let run: JobFn = Arc::new(move |_| {
        Box::pin(async move {
            tokio::time::sleep(busy).await;
            Ok(report_file("slow.html"))
        })
    });
    job(name, expr, &[], run)
}

/// A run log where every job last ran for 1 March (its 07:00 / 08:00 / 17:10 runs).
fn ran_until_1_march(jobs: &[&ScheduledJob]) -> MemoryRunLog {
    let mut log = MemoryRunLog::default();
    for job in jobs {
        let t = job
            .schedule
            .next_after(utc("2026-02-28T16:00:00Z"))
            .unwrap();
        log.record(&JobRun {
            job: job.name.clone(),
            scheduled: t,
            started: t,
            finished: t,
            outcome: JobOutcome::Succeeded(report_file("earlier")),
        });
    }
    log
}

/// Runs `jobs` from `from` to `until` (×3600) on `log`; returns every run recorded after the
/// ones already there.
async fn run(jobs: Vec<ScheduledJob>, log: MemoryRunLog, from: &str, until: &str) -> Vec<JobRun> {
    let before = log.runs.len();
    let log = Arc::new(Mutex::new(log));
    let clock = Clock::scaled(utc(from), 3600.0);
    let scheduler = Scheduler::start(jobs, clock.clone(), log.clone()).unwrap();
    clock.sleep_until(utc(until)).await;
    scheduler.stop().await;
    log.lock().unwrap().runs[before..].to_vec()
}

fn runs_of<'a>(runs: &'a [JobRun], job: &str) -> Vec<&'a JobRun> {
    runs.iter().filter(|r| r.job == job).collect()
}

/// The runs of the sources job `s` and the report `r`, both last run for 1 March, with the
/// scheduler back at 10:00 local on the 4th (both due at once) until `until`.
async fn back_on_the_4th(
    s: ScheduledJob,
    r: ScheduledJob,
    until: &str,
) -> (Vec<JobRun>, Vec<JobRun>) {
    let log = ran_until_1_march(&[&s, &r]);
    let runs = run(vec![s, r], log, "2026-03-04T02:00:00Z", until).await;
    let of = |job| runs_of(&runs, job).into_iter().cloned().collect();
    (of("sources"), of("daily-report"))
}

fn outputs(run: &JobRun) -> Vec<String> {
    match &run.outcome {
        JobOutcome::Succeeded(o) => o.lines(),
        JobOutcome::Failed(e) => vec![format!("failed: {e}")],
    }
}

#[tokio::test(start_paused = true)]
async fn after_a_downtime_spanning_both_the_report_waits_for_its_flags() {
    for catch_up in [CatchUp::Latest, CatchUp::All] {
        // Both last ran for 1 March; back at 10:00 local on the 4th: sources (07:00, 30
        // minutes a run) and the report (08:00) are both due at once.
        let flags = Flags::default();
        let mut s = sources(&flags, Duration::from_millis(500), 0);
        let mut r = report(&flags, &["sources"]);
        (s.catch_up, r.catch_up) = (catch_up, catch_up);
        let (s, r) = back_on_the_4th(s, r, "2026-03-04T06:00:00Z").await;
        let days = if catch_up == CatchUp::All { 3 } else { 1 };
        assert_eq!(
            (s.len(), r.len()),
            (days, days),
            "{catch_up:?}: {s:?} {r:?}"
        );
        for (s, r) in s.iter().zip(&r) {
            assert_eq!(local_day(s.scheduled), local_day(r.scheduled));
            assert!(r.started >= s.finished, "{catch_up:?}: {r:?} before {s:?}");
            assert_eq!(outputs(r), ["flags there: true"], "{catch_up:?}");
        }
    }

    // Without `after`, as before: the report is written before its flags exist.
    let flags = Flags::default();
    let (s, r) = (
        sources(&flags, Duration::from_millis(500), 0),
        report(&flags, &[]),
    );
    let (_, r) = back_on_the_4th(s, r, "2026-03-04T06:00:00Z").await;
    assert_eq!(outputs(&r[0]), ["flags there: false"]);
}

#[tokio::test(start_paused = true)]
async fn the_run_for_the_day_is_the_latest_at_or_before_the_job() {
    // The forecast at 05:10 and 17:10, each run taking three hours: the report at 08:00
    // waits for the 05:10 run of its day (done at 08:10), never for the 17:10 one.
    let flags = Flags::default();
    let forecast = slow("forecast", "10 5,17 * * *", Duration::from_secs(3));
    let r = report(&flags, &["forecast"]);
    let runs = run(
        vec![forecast, r],
        MemoryRunLog::default(),
        "2026-03-03T20:00:00Z", // 04:00 local on the 4th
        "2026-03-04T12:00:00Z",
    )
    .await;
    let f = runs_of(&runs, "forecast");
    let r = runs_of(&runs, "daily-report");
    assert_eq!(f[0].scheduled, utc("2026-03-03T21:10:00Z"));
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].scheduled, utc("2026-03-04T00:00:00Z"));
    assert!(r[0].started >= f[0].finished);
    assert!(
        r[0].started - f[0].finished < TimeDelta::minutes(2),
        "{r:?}"
    );
    assert!(r[0].finished < f[1].started, "{runs:?}");

    // A job it runs after with no time on that day before it holds nothing: a weekly job
    // on Mondays (4 March 2026 is a Wednesday) and one at 09:00 are both allowed.
    let monday = slow("weekly", "0 6 * * 1", Duration::from_secs(3));
    let r = report(&flags, &["weekly"]);
    let runs = run(
        vec![monday, r],
        MemoryRunLog::default(),
        "2026-03-03T20:00:00Z",
        "2026-03-04T02:00:00Z",
    )
    .await;
    let r = runs_of(&runs, "daily-report");
    assert_eq!(r[0].started, utc("2026-03-04T00:00:00Z"), "{runs:?}");
}

#[tokio::test(start_paused = true)]
async fn a_failed_predecessor_holds_the_report_through_its_retries_only() {
    for (failures, flags_there) in [(1, true), (usize::MAX, false)] {
        // Sources fails at 07:00 (and 07:10, 07:20 when it keeps failing); the report waits
        // for the retry that may bring the flags, and goes ahead once sources gives up.
        let flags = Flags::default();
        let s = sources(&flags, Duration::ZERO, failures);
        let r = report(&flags, &["sources"]);
        let runs = run(
            vec![s, r],
            MemoryRunLog::default(),
            "2026-03-03T22:00:00Z",
            "2026-03-04T02:00:00Z",
        )
        .await;
        let s = runs_of(&runs, "sources");
        let r = runs_of(&runs, "daily-report");
        let attempts = if flags_there { 2 } else { 3 };
        assert_eq!(s.len(), attempts, "{runs:?}");
        assert_eq!(r.len(), 1, "{runs:?}");
        let last = s.last().unwrap();
        assert!(last.started - s[0].started >= TimeDelta::minutes(10 * (attempts as i64 - 1) - 1));
        if flags_there {
            // The retry at 07:10 was before 08:00: the report ran on time, with the flags.
            assert!(
                r[0].started - r[0].scheduled < TimeDelta::minutes(1),
                "{r:?}"
            );
        }
        assert!(r[0].started >= last.finished);
        assert_eq!(outputs(r[0]), [format!("flags there: {flags_there}")]);
    }

    // Due together after a downtime, sources failing for good: the report waits for the
    // retries (20 minutes), not longer.
    let flags = Flags::default();
    let s = sources(&flags, Duration::ZERO, usize::MAX);
    let r = report(&flags, &["sources"]);
    let (s, r) = back_on_the_4th(s, r, "2026-03-04T04:00:00Z").await;
    assert_eq!(s.len(), 3);
    let waited = r[0].started - utc("2026-03-04T02:00:00Z");
    assert!(r[0].started >= s[2].finished, "{s:?} {r:?}");
    assert!(waited < TimeDelta::minutes(22), "{waited}");
}

#[tokio::test(start_paused = true)]
async fn a_stuck_predecessor_holds_the_report_at_most_its_timeout() {
    // Sources takes five hours; the report waits at most its after_timeout (two hours by
    // default, one here) and runs without the flags.
    let flags = Flags::default();
    let s = sources(&flags, Duration::from_secs(5), 0);
    let mut r = report(&flags, &["sources"]);
    r.after_timeout = Duration::from_secs(3600);
    let runs = run(
        vec![s, r],
        MemoryRunLog::default(),
        "2026-03-03T22:00:00Z",
        "2026-03-04T06:00:00Z",
    )
    .await;
    let r = runs_of(&runs, "daily-report");
    let waited = r[0].started - r[0].scheduled;
    assert!(
        (TimeDelta::minutes(59)..TimeDelta::minutes(62)).contains(&waited),
        "{waited}"
    );
    assert_eq!(outputs(r[0]), ["flags there: false"]);
    assert!(runs_of(&runs, "sources")[0].finished > r[0].finished);

    // A predecessor that skips missed times (catch_up = "skip") holds nothing after a
    // downtime: it will not run for the day.
    let flags = Flags::default();
    let mut s = sources(&flags, Duration::from_secs(5), 0);
    s.catch_up = CatchUp::Skip;
    let r = report(&flags, &["sources"]);
    let (_, r) = back_on_the_4th(s, r, "2026-03-04T03:00:00Z").await;
    assert!(r[0].started - utc("2026-03-04T02:00:00Z") < TimeDelta::minutes(1));
}

fn named(name: &str, expr: &str, after: &[&str]) -> ScheduledJob {
    job(name, expr, after, slow(name, expr, Duration::ZERO).run)
}

#[test]
fn unknown_names_cycles_and_impossible_orders_are_errors_naming_the_job() {
    let now = utc("2026-03-04T00:00:00Z");
    let check = |jobs: &[ScheduledJob]| check_order(jobs, now).map_err(|e| e.to_string());
    assert_eq!(
        check(&[named("daily-report", "0 8 * * *", &["source"]), named("sources", "0 7 * * *", &[])]),
        Err("job `daily-report` runs after `source`, which is not a job (jobs: daily-report, sources)".into())
    );
    assert_eq!(
        check(&[
            named("a", "0 8 * * *", &["b"]),
            named("b", "0 8 * * *", &["c"]),
            named("c", "0 8 * * *", &["a"])
        ]),
        Err("jobs run after each other in a cycle: a → b → c → a".into())
    );
    assert_eq!(
        check(&[named("a", "0 8 * * *", &["a"])]),
        Err("jobs run after each other in a cycle: a → a".into())
    );
    let e = check(&[
        named("daily-report", "0 6 * * *", &["sources"]),
        named("sources", "0 7 * * *", &[]),
    ])
    .unwrap_err();
    assert!(
        e.starts_with("job `daily-report` (`0 6 * * *`) runs after `sources` (`0 7 * * *`), but `sources` never runs on the same day before it"),
        "{e}"
    );
    // Same time, later hour, another weekday, at midnight: all fine.
    check(&[
        named("r", "0 8 * * *", &["s", "m", "w"]),
        named("s", "0 8 * * *", &[]),
        named("m", "0 0 * * *", &[]),
        named("w", "0 6 * * 1", &[]),
    ])
    .unwrap();
}
