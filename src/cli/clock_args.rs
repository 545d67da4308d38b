//! Clock options shared by `sim` and `collect`.

use chrono::{DateTime, Utc};
use clap::Args;
use lantian::clock::Clock;

/// Run on a simulated clock instead of the wall clock.
#[derive(Debug, Args)]
pub(super) struct ClockArgs {
    /// Simulated seconds per real second (1 = real time).
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    /// Start of the simulated time line (RFC 3339) [default: now].
    #[arg(long, value_name = "TIME")]
    pub start: Option<DateTime<Utc>>,
}

impl ClockArgs {
    /// The clock these options describe.
    pub(super) fn clock(&self) -> anyhow::Result<Clock> {
        anyhow::ensure!(
            self.speed.is_finite() && self.speed > 0.0,
            "--speed must be positive"
        );
        Ok(match (self.start, self.speed) {
            (None, 1.0) => Clock::real(),
            (start, speed) => Clock::scaled(start.unwrap_or_else(Utc::now), speed),
        })
    }
}
