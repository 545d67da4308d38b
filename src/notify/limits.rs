//! How often a channel may send, and how long it waits after a failure: the
//! [`RateLimit`]s (`rate_limit`, `per_alarm`) and the [`RetryPolicy`] (`retry`) of `[notify]`.

use std::time::Duration;

use serde::Deserialize;

/// A capped exponential back-off with jitter: the n-th retry waits between half and all of
/// `initial × 2ⁿ`, at most `max` (equal jitter: channels failing together do not retry in
/// lockstep). `retry = { initial_ms = …, max_ms = … }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetryPolicy {
    /// First delay (`initial_ms`, default 5 s).
    #[serde(rename = "initial_ms", with = "millis")]
    pub initial: Duration,
    /// Largest delay (`max_ms`, default 10 min).
    #[serde(rename = "max_ms", with = "millis")]
    pub max: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            initial: Duration::from_secs(5),
            max: Duration::from_secs(600),
        }
    }
}

impl RetryPolicy {
    /// The wait before retrying after `failures` failed attempts (1 for the first failure).
    pub fn delay(&self, failures: u32) -> Duration {
        crate::collect::backoff::delay(self.initial, self.max, failures.saturating_sub(1))
    }
}

/// At most `count` messages per window: `{ count = 3, minutes = 60 }` (or `seconds = …`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "RateLimitSection")]
pub struct RateLimit {
    /// Messages.
    pub count: u32,
    /// The window.
    pub window: Duration,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RateLimitSection {
    count: u32,
    minutes: Option<u32>,
    seconds: Option<u32>,
}

impl TryFrom<RateLimitSection> for RateLimit {
    type Error = String;
    fn try_from(r: RateLimitSection) -> Result<Self, Self::Error> {
        let window = match (r.minutes, r.seconds) {
            (Some(m), None) => Duration::from_secs(u64::from(m) * 60),
            (None, Some(s)) => Duration::from_secs(u64::from(s)),
            _ => return Err("give the window as `minutes` or as `seconds`".into()),
        };
        if r.count == 0 || window.is_zero() {
            return Err("count and the window must be at least 1".into());
        }
        Ok(RateLimit {
            count: r.count,
            window,
        })
    }
}

mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer};

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_millis(u64::deserialize(d)?))
    }
}
