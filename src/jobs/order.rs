//! The order of jobs within a scheduled day: a job may run **after** other jobs
//! (`after = ["sources", "forecast"]`), and then each of its runs waits for their run of the
//! same day.
//!
//! - **Its run for the day.** The scheduled day of a run is the local date (network time zone)
//!   of its scheduled time. For a run of job J scheduled at `T`, the run of a job P it runs
//!   after is P's **latest scheduled time on the same local day at or before `T`**: with the
//!   forecast at 05:10 and 17:10 and the daily report at 08:00, the report of the 8th waits
//!   for the forecast of 05:10 on the 8th (whose runs come in order, so every earlier forecast
//!   run it makes is done too); a P with no time on that day before `T` holds nothing.
//! - **Finished.** P has finished its run for the day when it succeeded; when it failed for
//!   good (no attempts left, or its next scheduled time came first); or when P will not make
//!   it (its catch-up policy skipped it after downtime, or a later time superseded it). A
//!   failed run with retries left still holds J: the retry may bring the flags. Each job's
//!   runs are sequential and in order, so one watermark per job says all this: the latest
//!   scheduled time up to which the job has nothing left to do ([`Progress`]).
//! - **For how long.** At most the job's `after_timeout` (default 2 h of monitoring time)
//!   from when the run became due, so that a stuck predecessor or a long backfill does not
//!   hold the daily report forever; then it runs anyway.
//!
//! A run that goes ahead without its predecessor's successful run logs a warning naming it,
//! and the daily report says that the day's flags are not available (rather than showing a
//! quiet day). Runs by hand (`lantian jobs run`) do not wait.
//!
//! Configuration errors, each naming the job: an `after` that names no job, a cycle (a job
//! after itself included), and a predecessor that never runs on the same day before the job
//! in the coming year (a job waits only for runs of its own scheduled day).

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::schedule::Schedule;
use super::scheduler::ScheduledJob;
use crate::clock::Clock;

/// A configuration error in the jobs' order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderError {
    /// `after` names no job.
    #[error("job `{job}` runs after `{after}`, which is not a job (jobs: {known})")]
    Unknown {
        /// The job.
        job: String,
        /// The name in its `after`.
        after: String,
        /// The jobs there are.
        known: String,
    },
    /// Jobs that run after each other in a circle.
    #[error("jobs run after each other in a cycle: {}", .0.join(" → "))]
    Cycle(Vec<String>),
    /// The predecessor has no run on the same day before the job.
    #[error(
        "job `{job}` (`{schedule}`) runs after `{after}` (`{after_schedule}`), but `{after}` \
         never runs on the same day before it: a job waits only for runs of its own scheduled \
         day"
    )]
    NeverBefore {
        /// The job.
        job: String,
        /// Its schedule.
        schedule: String,
        /// The job it runs after.
        after: String,
        /// That job's schedule.
        after_schedule: String,
    },
}

/// Checks the jobs' `after` lists (see the [module documentation](self)); `from` starts the
/// year in which every predecessor must run before its job on some day.
pub(super) fn check_order(jobs: &[ScheduledJob], from: DateTime<Utc>) -> Result<(), OrderError> {
    let by_name: BTreeMap<&str, &ScheduledJob> =
        jobs.iter().map(|j| (j.name.as_str(), j)).collect();
    for job in jobs {
        for after in &job.after {
            let Some(before) = by_name.get(after.as_str()) else {
                return Err(OrderError::Unknown {
                    job: job.name.clone(),
                    after: after.clone(),
                    known: jobs
                        .iter()
                        .map(|j| j.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            };
            if before.name != job.name && !ever_before(&before.schedule, &job.schedule, from) {
                return Err(OrderError::NeverBefore {
                    job: job.name.clone(),
                    schedule: job.schedule.expression().into(),
                    after: after.clone(),
                    after_schedule: before.schedule.expression().into(),
                });
            }
        }
    }
    if let Some(cycle) = find_cycle(&by_name) {
        return Err(OrderError::Cycle(cycle));
    }
    Ok(())
}

/// Whether `before` has a time on some local day at or before a time of `after` on that day,
/// within a year from `from`.
fn ever_before(before: &Schedule, after: &Schedule, from: DateTime<Utc>) -> bool {
    let horizon = from + TimeDelta::days(366);
    let mut t = before.next_after(from);
    // At most one look per day of the year.
    for _ in 0..=366 {
        let Some(first) = t.filter(|t| *t <= horizon) else {
            return false;
        };
        let (_, day_end) = before.day_of(first);
        if after
            .fire_times_through(first, day_end)
            .any(|a| a < day_end)
        {
            return true;
        }
        t = before.next_after(day_end - TimeDelta::seconds(1));
    }
    false
}

/// A cycle of `after` edges, as the names along it (the first repeated at the end).
fn find_cycle(by_name: &BTreeMap<&str, &ScheduledJob>) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    fn visit<'a>(
        name: &'a str,
        by_name: &BTreeMap<&'a str, &'a ScheduledJob>,
        marks: &mut BTreeMap<&'a str, Mark>,
        path: &mut Vec<&'a str>,
    ) -> Option<Vec<String>> {
        match marks.get(name) {
            Some(Mark::Done) => return None,
            Some(Mark::Open) => {
                let at = path.iter().position(|n| *n == name).unwrap_or(0);
                let mut cycle: Vec<String> = path[at..].iter().map(|n| n.to_string()).collect();
                cycle.push(name.to_string());
                return Some(cycle);
            }
            None => {}
        }
        marks.insert(name, Mark::Open);
        path.push(name);
        for after in by_name.get(name).map(|j| j.after.as_slice()).unwrap_or(&[]) {
            if let Some(cycle) = visit(after, by_name, marks, path) {
                return Some(cycle);
            }
        }
        path.pop();
        marks.insert(name, Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    by_name
        .keys()
        .find_map(|name| visit(name, by_name, &mut marks, &mut Vec::new()))
}

/// How far a job has got: every scheduled time up to `through` is finished (see the
/// [module documentation](self)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Progress {
    /// The latest scheduled time up to which the job has nothing left to do.
    pub through: DateTime<Utc>,
    /// The latest scheduled time it ran, and whether that run (its last attempt) succeeded.
    pub ran: Option<(DateTime<Utc>, bool)>,
}

/// Every job's [`Progress`], shared by the scheduler's tasks.
pub(crate) struct Board {
    jobs: BTreeMap<String, (Schedule, watch::Sender<Progress>)>,
}

impl Board {
    /// A board of `jobs`, each starting from its progress.
    pub(super) fn new<'a>(jobs: impl IntoIterator<Item = (&'a ScheduledJob, Progress)>) -> Board {
        let jobs = jobs
            .into_iter()
            .map(|(job, progress)| {
                let (sender, _) = watch::channel(progress);
                (job.name.clone(), (job.schedule.clone(), sender))
            })
            .collect();
        Board { jobs }
    }

    /// Everything up to `t` is finished for `job` (a time it skipped, or its schedule ended).
    pub(super) fn finished_through(&self, job: &str, t: DateTime<Utc>) {
        self.update(job, |p| p.through = p.through.max(t));
    }

    /// `job` finished its run for `t`.
    pub(super) fn ran(&self, job: &str, t: DateTime<Utc>, succeeded: bool) {
        self.update(job, |p| {
            p.through = p.through.max(t);
            p.ran = Some((t, succeeded));
        });
    }

    fn update(&self, job: &str, change: impl FnOnce(&mut Progress)) {
        if let Some((_, sender)) = self.jobs.get(job) {
            sender.send_modify(change);
        }
    }

    /// Waits until each job `job` runs after has finished its run for the day of `scheduled`,
    /// or `job.after_timeout` has passed (on `clock`). Returns `false` when stopped first.
    pub(super) async fn wait_for_predecessors(
        &self,
        job: &ScheduledJob,
        scheduled: DateTime<Utc>,
        clock: &Clock,
        stop: &CancellationToken,
    ) -> bool {
        if job.after.is_empty() {
            return true;
        }
        let deadline =
            clock.now() + TimeDelta::from_std(job.after_timeout).unwrap_or(TimeDelta::MAX);
        let (day_start, _) = job.schedule.day_of(scheduled);
        for after in &job.after {
            let Some((schedule, sender)) = self.jobs.get(after) else {
                continue;
            };
            let Some(needed) = schedule.fire_times_through(day_start, scheduled).last() else {
                continue;
            };
            let mut progress = sender.subscribe();
            tracing::debug!(job = %job.name, %scheduled, "waiting for {after} ({needed})");
            let finished = tokio::select! {
                p = progress.wait_for(|p| p.through >= needed) => p.ok().map(|p| *p),
                () = clock.sleep_until(deadline) => None,
                () = stop.cancelled() => return false,
            };
            match finished {
                Some(Progress {
                    ran: Some((t, true)),
                    ..
                }) if t >= needed => {}
                Some(Progress {
                    ran: Some((t, false)),
                    ..
                }) if t >= needed => tracing::warn!(
                    job = %job.name,
                    %scheduled,
                    "runs although `{after}` failed its run for {t}"
                ),
                Some(_) => tracing::warn!(
                    job = %job.name,
                    %scheduled,
                    "runs although `{after}` did not run for {needed} (skipped by its catch-up)"
                ),
                None => tracing::warn!(
                    job = %job.name,
                    %scheduled,
                    "runs without `{after}`'s run for {needed}: not finished after {:?}",
                    job.after_timeout
                ),
            }
        }
        true
    }
}

#[cfg(test)]
#[path = "order_tests.rs"]
mod tests;
