//! Clock options shared by `sim` and `collect`.

use chrono::{DateTime, TimeDelta, Utc};
use clap::Args;
use lantian::clock::{Clock, ClockStep};

/// Run on a simulated clock instead of the wall clock.
#[derive(Debug, Args)]
pub(super) struct ClockArgs {
    /// Simulated seconds per real second (1 = real time).
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    /// Start of the simulated time line (RFC 3339) [default: now].
    #[arg(long, value_name = "TIME")]
    pub start: Option<DateTime<Utc>>,
    /// The wall-clock time (RFC 3339) at which the simulated clock reads --start [default: when
    /// the process starts]: processes started apart (the simulator and the collector) share
    /// one time line to the microsecond.
    #[arg(long, value_name = "WALL", requires = "start")]
    pub anchor: Option<DateTime<Utc>>,
    /// Step the simulated clock when it reads TIME by SECONDS (signed: `-3600` sets it back an
    /// hour), as a wall clock set by NTP or by hand jumps; repeatable. For tests of clock
    /// steps: give the simulator and the collector the same steps.
    #[arg(long, value_name = "TIME=SECONDS", value_parser = parse_step, hide = true)]
    pub clock_step: Vec<ClockStep>,
}

/// `2026-03-01T02:30:00Z=-3600` → a step back of an hour at 02:30 UTC.
fn parse_step(text: &str) -> Result<ClockStep, String> {
    let (at, by) = text.split_once('=').ok_or_else(|| {
        format!("`{text}`: expected TIME=SECONDS, e.g. 2026-03-01T02:30:00Z=3600")
    })?;
    let at = DateTime::parse_from_rfc3339(at)
        .map_err(|e| format!("`{at}`: not an RFC 3339 time: {e}"))?
        .to_utc();
    let seconds: i64 = by
        .trim_start_matches('+')
        .parse()
        .map_err(|e| format!("`{by}`: not a whole number of seconds: {e}"))?;
    let by = TimeDelta::try_seconds(seconds).ok_or_else(|| format!("`{by}`: too large a step"))?;
    Ok(ClockStep { at, by })
}

impl ClockArgs {
    /// The clock these options describe.
    pub(super) fn clock(&self) -> anyhow::Result<Clock> {
        anyhow::ensure!(
            self.speed.is_finite() && self.speed > 0.0,
            "--speed must be positive"
        );
        Ok(match (self.start, self.speed) {
            (None, 1.0) if self.clock_step.is_empty() => Clock::real(),
            (start, speed) => {
                let start = start.unwrap_or_else(Utc::now);
                // Where the time line is now, if it read `start` at the anchor.
                let since_anchor = self
                    .anchor
                    .map_or(0.0, |wall| (Utc::now() - wall).as_seconds_f64() * speed);
                let origin = start + TimeDelta::microseconds((since_anchor * 1e6) as i64);
                Clock::scaled_with_steps(origin, speed, self.clock_step.clone())
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_parse_and_refuse_nonsense() {
        let step = parse_step("2026-03-01T02:30:00Z=-3600").unwrap();
        assert_eq!(step.at.to_rfc3339(), "2026-03-01T02:30:00+00:00");
        assert_eq!(step.by, TimeDelta::hours(-1));
        assert_eq!(
            parse_step("2026-03-01T02:30:00+08:00=+60").unwrap().by,
            TimeDelta::minutes(1)
        );
        for bad in [
            "2026-03-01T02:30:00Z",
            "02:30=60",
            "2026-03-01T02:30:00Z=1h",
        ] {
            assert!(parse_step(bad).is_err(), "{bad}");
        }
    }
}
