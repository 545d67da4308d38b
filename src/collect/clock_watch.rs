//! Notices when the shared clock steps (set by NTP or by hand, or a simulated step) and says
//! what collection does about it: the pollers keep their schedule in clock time, so a step
//! forward skips the ticks in between (counted as skipped, their minutes without records) and
//! a step back holds every poll until the clock passes the last tick again (nothing is
//! labelled twice).

use std::time::{Duration, Instant};

use chrono::TimeDelta;
use tokio_util::sync::CancellationToken;

use crate::clock::Clock;

/// How often the clock is compared with real time.
const EVERY: Duration = Duration::from_secs(1);

/// A jump is a departure from the expected advance by more than this, plus half the advance
/// (scheduling delays of a busy machine on a fast simulated clock are not steps).
const SLACK: TimeDelta = TimeDelta::seconds(60);

/// Compares `clock` with real time every second until `shutdown`, logging each step.
pub(super) async fn watch(clock: Clock, shutdown: CancellationToken) {
    let (mut real, mut read) = (Instant::now(), clock.now());
    loop {
        tokio::select! {
            () = tokio::time::sleep(EVERY) => {}
            () = shutdown.cancelled() => return,
        }
        let (real_now, now) = (Instant::now(), clock.now());
        let elapsed = real_now - real;
        let advance = TimeDelta::from_std(elapsed.mul_f64(clock.speed())).unwrap_or(TimeDelta::MAX);
        if let Some(step) = step(read, now, advance) {
            if step > TimeDelta::zero() {
                tracing::warn!(
                    "the clock jumped forward by {} (now {now}): polls skip the ticks in \
                     between (counted as skipped); the minutes they would have filled have no \
                     records",
                    describe(step)
                );
            } else {
                tracing::warn!(
                    "the clock went back by {} (now {now}): polls wait until it passes their \
                     next tick again; nothing is labelled twice",
                    describe(-step)
                );
            }
        }
        (real, read) = (real_now, now);
    }
}

/// The step between readings `before` and `after` of a clock that should have advanced by
/// `advance`, if they differ by more than scheduling can explain.
fn step(
    before: chrono::DateTime<chrono::Utc>,
    after: chrono::DateTime<chrono::Utc>,
    advance: TimeDelta,
) -> Option<TimeDelta> {
    let drift = after - before - advance;
    (drift.abs() > SLACK + advance / 2).then_some(drift)
}

/// A step as hours and minutes (to the nearest minute: the readings are a moment apart).
fn describe(d: TimeDelta) -> String {
    let minutes = (d.num_seconds() + 30) / 60;
    format!("{}h {:02}m", minutes / 60, minutes % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_told_from_scheduling_delays() {
        let t = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let minute = TimeDelta::minutes(1);
        // ×600: a second of real time is ten minutes; a late wake-up is no step.
        assert_eq!(step(t, t + minute * 10, minute * 10), None);
        assert_eq!(step(t, t + minute * 14, minute * 10), None);
        assert_eq!(
            step(t, t + minute * 70, minute * 10),
            Some(TimeDelta::hours(1))
        );
        assert_eq!(
            step(t, t - minute * 50, minute * 10),
            Some(TimeDelta::hours(-1))
        );
        // The wall clock: an NTP slew is nothing, a step of two minutes is one.
        let second = TimeDelta::seconds(1);
        assert_eq!(step(t, t + second, second), None);
        assert_eq!(step(t, t + minute * 2, second), Some(minute * 2 - second));
        assert_eq!(describe(TimeDelta::seconds(3725)), "1h 02m");
        assert_eq!(describe(TimeDelta::seconds(3598)), "1h 00m");
    }
}
