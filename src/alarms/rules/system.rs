//! System rules: the platform itself — store writes failing (the spool growing), the oldest
//! spooled reading too old, a scheduled job failed after all its retries, and too little free
//! space on the store's or spool's filesystem.

use std::path::Path;

use chrono::{DateTime, TimeDelta, Utc};

use super::finding::{Condition, Finding};
use crate::store::{
    AlarmSubject, Direction, JobRun, Lasting, Measure, Observation, SystemComponent,
};

/// What the forwarder knows of the spool and the store at an evaluation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SpoolFacts {
    /// Since when store writes have been failing (`None`: the last one succeeded).
    pub failing_since: Option<DateTime<Utc>>,
    /// The label time of the oldest reading waiting in the spool.
    pub oldest: Option<DateTime<Utc>>,
}

/// A finding about a system component at `now`.
fn finding(
    rule: usize,
    component: SystemComponent,
    measure: Measure,
    threshold: f64,
    value: f64,
    now: DateTime<Utc>,
    condition: Condition,
) -> Finding {
    Finding {
        rule,
        subject: AlarmSubject::System(component),
        measure,
        direction: Direction::Above,
        threshold,
        clear_level: threshold,
        value: Observation { time: now, value },
        since: now,
        condition,
        warning: None,
        note: None,
    }
}

fn minutes(d: TimeDelta) -> f64 {
    d.num_seconds() as f64 / 60.0
}

/// How long something started at `since` has lasted at `now`, against `allowed`.
fn lasted(
    since: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    allowed: TimeDelta,
) -> (f64, Condition) {
    match since.map(|s| now - s) {
        Some(d) if d > allowed => (minutes(d), Condition::Holds),
        Some(d) => (minutes(d), Condition::Clear),
        None => (0.0, Condition::Clear),
    }
}

/// The store rule: writes failing for longer than `allowed` (wall-clock times: the
/// forwarder's retries are real time).
pub fn store_failing(
    rule: usize,
    allowed: TimeDelta,
    spool: &SpoolFacts,
    wall_now: DateTime<Utc>,
) -> Finding {
    let (value, condition) = lasted(spool.failing_since, wall_now, allowed);
    let measure = Measure::Lasting {
        what: Lasting::SpoolBacklog,
    };
    finding(
        rule,
        SystemComponent::Store,
        measure,
        minutes(allowed),
        value,
        wall_now,
        condition,
    )
}

/// The spool rule: the oldest spooled reading older than `allowed` (monitoring time).
pub fn spool_age(
    rule: usize,
    allowed: TimeDelta,
    spool: &SpoolFacts,
    now: DateTime<Utc>,
) -> Finding {
    let (value, condition) = lasted(spool.oldest, now, allowed);
    let measure = Measure::Lasting {
        what: Lasting::SpoolBacklog,
    };
    finding(
        rule,
        SystemComponent::Spool,
        measure,
        minutes(allowed),
        value,
        now,
        condition,
    )
}

/// The job rule on the latest runs of one job (newest first, as the store lists them) when
/// each scheduled time may take `attempts` attempts: the latest scheduled time failed every
/// attempt holds; a success clears; a failure with attempts left changes nothing yet
/// (`Between`). `None` without runs.
pub fn job_failed(rule: usize, job: &str, runs: &[JobRun], attempts: u32) -> Option<Finding> {
    let latest = runs.first()?;
    let of_latest: Vec<&JobRun> = runs
        .iter()
        .filter(|r| r.scheduled == latest.scheduled)
        .collect();
    let failed = of_latest.iter().filter(|r| !r.outcome.succeeded()).count() as u32;
    let condition = if of_latest.iter().any(|r| r.outcome.succeeded()) {
        Condition::Clear
    } else if failed >= attempts.max(1) {
        Condition::Holds
    } else {
        Condition::Between
    };
    let mut f = finding(
        rule,
        SystemComponent::Job(job.to_string()),
        Measure::FailedAttempts,
        f64::from(attempts.max(1)),
        f64::from(failed),
        latest.finished,
        condition,
    );
    if condition == Condition::Holds
        && let crate::store::JobOutcome::Failed(why) = &latest.outcome
    {
        f.note = Some(format!(
            "run scheduled {}: {why}",
            latest.scheduled.format("%Y-%m-%d %H:%M UTC")
        ));
    }
    Some(f)
}

/// Used share of a filesystem, percent: its blocks less those available to unprivileged
/// users, over all its blocks.
pub fn disk_used_percent(path: &Path) -> std::io::Result<f64> {
    let s = rustix::fs::statvfs(path)?;
    if s.f_blocks == 0 {
        return Ok(0.0);
    }
    Ok(100.0 * (1.0 - s.f_bavail as f64 / s.f_blocks as f64))
}

/// The disk rule on the fullest of the watched filesystems (`used_percent`, with the path it
/// was measured at): less than `min_free_percent` free holds.
pub fn disk_space(
    rule: usize,
    min_free_percent: f64,
    used_percent: f64,
    path: &Path,
    now: DateTime<Utc>,
) -> Finding {
    let limit = 100.0 - min_free_percent;
    let condition = Condition::of(used_percent, Direction::Above, limit, limit);
    let mut f = finding(
        rule,
        SystemComponent::Disk,
        Measure::DiskUsed,
        limit,
        used_percent,
        now,
        condition,
    );
    f.note =
        (condition == Condition::Holds).then(|| format!("fullest filesystem: {}", path.display()));
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{JobOutcome, JobOutput};

    fn at(min: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_767_225_600 + min * 60, 0).unwrap()
    }

    #[test]
    fn spool_and_store() {
        let allowed = TimeDelta::minutes(5);
        let spool = SpoolFacts {
            failing_since: Some(at(0)),
            oldest: Some(at(-20)),
        };
        assert_eq!(
            store_failing(0, allowed, &spool, at(5)).condition,
            Condition::Clear
        );
        assert_eq!(
            store_failing(0, allowed, &spool, at(6)).condition,
            Condition::Holds
        );
        assert_eq!(
            spool_age(0, TimeDelta::minutes(15), &spool, at(0)).condition,
            Condition::Holds
        );
        let empty = SpoolFacts::default();
        assert_eq!(
            spool_age(0, TimeDelta::minutes(15), &empty, at(0)).condition,
            Condition::Clear
        );
    }

    #[test]
    fn a_job_fails_after_its_retries() {
        let run = |scheduled: i64, started: i64, ok: bool| JobRun {
            job: "daily".into(),
            scheduled: at(scheduled),
            started: at(started),
            finished: at(started + 1),
            outcome: if ok {
                JobOutcome::Succeeded(JobOutput::Text { lines: vec![] })
            } else {
                JobOutcome::Failed("share away".into())
            },
        };
        let c = |runs: &[JobRun]| job_failed(0, "daily", runs, 3).map(|f| f.condition);
        assert_eq!(c(&[]), None);
        assert_eq!(
            c(&[run(0, 20, false), run(0, 10, false)]),
            Some(Condition::Between),
            "a retry left"
        );
        let failed = [run(0, 30, false), run(0, 20, false), run(0, 10, false)];
        assert_eq!(c(&failed), Some(Condition::Holds));
        let f = job_failed(0, "daily", &failed, 3).unwrap();
        assert!(f.note.unwrap().contains("share away"));
        assert_eq!(
            c(&[run(1440, 1440, true), run(0, 30, false)]),
            Some(Condition::Clear)
        );
    }

    #[test]
    fn disk_space_of_a_real_filesystem() {
        let used = disk_used_percent(Path::new(".")).unwrap();
        assert!((0.0..=100.0).contains(&used), "{used}");
        let f = disk_space(0, 10.0, 95.0, Path::new("/data"), at(0));
        assert_eq!(f.condition, Condition::Holds);
        assert_eq!(
            disk_space(0, 10.0, 80.0, Path::new("/data"), at(0)).condition,
            Condition::Clear
        );
    }
}
