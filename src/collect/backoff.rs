//! Capped exponential back-off with jitter, for retries and reconnects (the collectors', the
//! uplink's and the notification outbox's).

use std::time::Duration;

/// Back-off state: `initial × 2^n`, capped at `max`, with "equal jitter" (half fixed, half
/// random) so that many devices failing together do not retry in lockstep.
#[derive(Debug, Clone)]
pub(crate) struct Backoff {
    initial: Duration,
    max: Duration,
    failures: u32,
}

impl Backoff {
    /// A back-off starting at `initial` and never exceeding `max`.
    pub(crate) fn new(initial: Duration, max: Duration) -> Backoff {
        Backoff {
            initial,
            max: max.max(initial),
            failures: 0,
        }
    }

    /// Records a failure and returns how long to wait before the next attempt.
    pub(crate) fn next_delay(&mut self) -> Duration {
        let wait = delay(self.initial, self.max, self.failures);
        self.failures = self.failures.saturating_add(1);
        wait
    }

    /// Forgets past failures (after a success).
    pub(crate) fn reset(&mut self) {
        self.failures = 0;
    }
}

/// The wait after `earlier` failures before the last one: `initial × 2^earlier` capped at
/// `max` (and never below `initial`), half of it fixed and half random ("equal jitter").
/// Also the notification outbox's retry delay, which keeps the count in its messages.
pub(crate) fn delay(initial: Duration, max: Duration, earlier: u32) -> Duration {
    let ceiling = initial
        .saturating_mul(1u32 << earlier.min(20))
        .min(max.max(initial));
    let half = ceiling / 2;
    let jitter = rand::Rng::gen_range(&mut rand::thread_rng(), 0..=half.as_micros() as u64);
    half + Duration::from_micros(jitter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_then_caps() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_secs(2));
        let delays: Vec<_> = (0..10).map(|_| b.next_delay()).collect();
        assert!(delays[0] >= Duration::from_millis(50) && delays[0] <= Duration::from_millis(100));
        assert!(delays[3] >= Duration::from_millis(400) && delays[3] <= Duration::from_millis(800));
        for d in &delays[5..] {
            assert!(
                *d >= Duration::from_secs(1) && *d <= Duration::from_secs(2),
                "{d:?}"
            );
        }
        b.reset();
        assert!(b.next_delay() <= Duration::from_millis(100));
    }
}
