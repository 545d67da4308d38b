//! The one clock shared by the simulator, the collectors and the scheduler.
//!
//! A [`Clock`] either follows the wall clock or runs a simulated time line that starts at a
//! chosen instant and advances `speed` times faster than real time. Everything that decides
//! *when* something happens in monitoring terms (poll schedules, sample timestamps, simulated
//! weather, job schedules) reads this clock. Network timeouts and retry back-off are real-time
//! durations and do not scale.
//!
//! The scaled clock is anchored to [`tokio::time::Instant`], so tests that pause tokio's time
//! drive it deterministically. It can be given [`ClockStep`]s: jumps forward or back at chosen
//! instants, as a wall clock makes when it is set (NTP stepping, a hand-set date) — how the
//! pipeline rides out such a step is tested on them.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

/// A cheap-to-clone handle to the pipeline's clock.
#[derive(Debug, Clone)]
pub struct Clock {
    inner: Arc<Inner>,
}

#[derive(Debug)]
enum Inner {
    Real,
    Scaled {
        origin: DateTime<Utc>,
        anchor: tokio::time::Instant,
        speed: f64,
        steps: Vec<ClockStep>,
    },
}

/// A jump of a simulated clock: when it reads `at`, it reads `at + by` from then on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockStep {
    /// When the step happens (on the clock as it reads before the step).
    pub at: DateTime<Utc>,
    /// How far the clock jumps (negative: back).
    pub by: TimeDelta,
}

impl Clock {
    /// The wall clock.
    pub fn real() -> Clock {
        Clock {
            inner: Arc::new(Inner::Real),
        }
    }

    /// A simulated time line that reads `origin` now and advances `speed` simulated seconds per
    /// real second.
    ///
    /// # Panics
    /// If `speed` is not a positive finite number.
    pub fn scaled(origin: DateTime<Utc>, speed: f64) -> Clock {
        Clock::scaled_with_steps(origin, speed, Vec::new())
    }

    /// A simulated time line like [`Clock::scaled`] that jumps at each of `steps`, applied in
    /// the order given (each `at` on the clock as it reads after the earlier steps).
    ///
    /// # Panics
    /// If `speed` is not a positive finite number.
    pub fn scaled_with_steps(origin: DateTime<Utc>, speed: f64, steps: Vec<ClockStep>) -> Clock {
        assert!(
            speed.is_finite() && speed > 0.0,
            "clock speed must be positive, got {speed}"
        );
        let anchor = tokio::time::Instant::now();
        Clock {
            inner: Arc::new(Inner::Scaled {
                origin,
                anchor,
                speed,
                steps,
            }),
        }
    }

    /// The current time on this clock.
    pub fn now(&self) -> DateTime<Utc> {
        match &*self.inner {
            Inner::Real => Utc::now(),
            Inner::Scaled {
                origin,
                anchor,
                speed,
                steps,
            } => {
                let real = anchor.elapsed().as_secs_f64();
                let mut now = *origin + TimeDelta::microseconds((real * speed * 1e6) as i64);
                for step in steps {
                    if now >= step.at {
                        now += step.by;
                    }
                }
                now
            }
        }
    }

    /// How many simulated seconds pass per real second.
    pub fn speed(&self) -> f64 {
        match &*self.inner {
            Inner::Real => 1.0,
            Inner::Scaled { speed, .. } => *speed,
        }
    }

    /// The real time that passes while this clock advances by `simulated`.
    pub fn real_duration(&self, simulated: TimeDelta) -> Duration {
        let secs = simulated.as_seconds_f64().max(0.0) / self.speed();
        Duration::from_secs_f64(secs)
    }

    /// Sleeps until this clock reads `at` (returns at once if it already has).
    pub async fn sleep_until(&self, at: DateTime<Utc>) {
        loop {
            let left = at - self.now();
            if left <= TimeDelta::zero() {
                return;
            }
            // One sleep normally suffices; the loop absorbs rounding of the real duration.
            tokio::time::sleep(self.real_duration(left).max(Duration::from_micros(50))).await;
        }
    }
}

/// The next instant strictly after `after` that is a whole multiple of `interval` since the
/// Unix epoch — the wall-clock-aligned schedule of polls and aggregations (a 10-s poll fires at
/// :00, :10, :20 …).
///
/// # Panics
/// If `interval` is not positive.
pub fn next_aligned(after: DateTime<Utc>, interval: TimeDelta) -> DateTime<Utc> {
    let step = interval
        .num_microseconds()
        .expect("interval fits in microseconds");
    assert!(step > 0, "interval must be positive");
    let t = after.timestamp_micros();
    let next = (t.div_euclid(step) + 1) * step;
    DateTime::from_timestamp_micros(next).expect("aligned time in range")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligned_schedule() {
        let t = DateTime::parse_from_rfc3339("2026-01-01T10:00:07.5Z")
            .unwrap()
            .to_utc();
        let n = next_aligned(t, TimeDelta::seconds(10));
        assert_eq!(n.to_rfc3339(), "2026-01-01T10:00:10+00:00");
        assert_eq!(
            next_aligned(n, TimeDelta::seconds(10)).to_rfc3339(),
            "2026-01-01T10:00:20+00:00"
        );
        let m = next_aligned(t, TimeDelta::minutes(1));
        assert_eq!(m.to_rfc3339(), "2026-01-01T10:01:00+00:00");
    }

    #[tokio::test(start_paused = true)]
    async fn scaled_clock_runs_fast() {
        let origin = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .to_utc();
        let clock = Clock::scaled(origin, 3600.0);
        let target = origin + TimeDelta::hours(2);
        clock.sleep_until(target).await;
        let now = clock.now();
        assert!(
            now >= target && now - target < TimeDelta::seconds(1),
            "{now}"
        );
        assert_eq!(
            clock.real_duration(TimeDelta::hours(1)),
            Duration::from_secs(1)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn steps_jump_forward_and_back() {
        let origin = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .to_utc();
        let steps = vec![
            ClockStep {
                at: origin + TimeDelta::minutes(30),
                by: TimeDelta::hours(1),
            },
            ClockStep {
                at: origin + TimeDelta::hours(2),
                by: TimeDelta::hours(-1),
            },
        ];
        // One simulated minute per real second.
        let clock = Clock::scaled_with_steps(origin, 60.0, steps);
        let at = |minutes| origin + TimeDelta::minutes(minutes);
        tokio::time::advance(Duration::from_secs(29)).await;
        assert_eq!(clock.now().timestamp(), at(29).timestamp());
        tokio::time::advance(Duration::from_secs(2)).await;
        assert_eq!(clock.now().timestamp(), at(91).timestamp());
        // 29 more minutes: 02:00 on the stepped clock, back to 01:00.
        tokio::time::advance(Duration::from_secs(29)).await;
        assert_eq!(clock.now().timestamp(), at(60).timestamp());
        // Waiting for 01:30 after the step back takes 30 minutes.
        let t0 = tokio::time::Instant::now();
        clock.sleep_until(at(90)).await;
        assert!(t0.elapsed() >= Duration::from_secs(30));
    }
}
