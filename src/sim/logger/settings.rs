//! The `[hj212]` section of a scenario: how the simulated HJ 212 data loggers upload.

use chrono::TimeDelta;
use serde::Deserialize;

use super::super::timespec::Dur;

/// How the simulated HJ 212 data loggers upload (`[hj212]` in a scenario). Which loggers
/// there are, their MN, PW and codes, is the registry's (`transport = "hj212"` devices).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoggerSettings {
    /// Where the loggers connect, `host:port`: the platform's HJ 212 listener (lantian's
    /// `[hj212] listen`, or an upper platform).
    pub platform: String,
    /// Real-time data (2011) every so long, on the clock's multiples of it (the standard's
    /// `RtdInterval`, 30 s … 1 h).
    #[serde(default = "thirty_seconds")]
    pub realtime_interval: Dur,
    /// Send minute data (2051) at the end of each of the logger's minute intervals.
    #[serde(default = "yes")]
    pub minute_data: bool,
    /// Send hourly data (2061) at the end of each hour.
    #[serde(default = "yes")]
    pub hourly_data: bool,
    /// Send daily data (2031) at the end of each local day.
    #[serde(default = "yes")]
    pub daily_data: bool,
    /// Ask for a data acknowledgement (9014) of every upload (the Flag's A bit).
    #[serde(default = "yes")]
    pub ack: bool,
    /// How long to wait for an acknowledgement before sending again (real time).
    #[serde(default = "ten_seconds")]
    pub ack_timeout: Dur,
    /// How often to send again before giving an upload up (the standard's Table 1: 3).
    #[serde(default = "three")]
    pub retries: u32,
}

fn thirty_seconds() -> Dur {
    Dur(TimeDelta::seconds(30))
}

fn ten_seconds() -> Dur {
    Dur(TimeDelta::seconds(10))
}

fn yes() -> bool {
    true
}

fn three() -> u32 {
    3
}

impl LoggerSettings {
    /// Why the settings cannot be used: `(key, message)`.
    pub(crate) fn check(&self) -> Result<(), (&'static str, String)> {
        let rtd = self.realtime_interval.0;
        if rtd < TimeDelta::seconds(30) || rtd > TimeDelta::hours(1) {
            return Err((
                "realtime_interval",
                "must lie in 30 s … 1 h (the standard's RtdInterval)".into(),
            ));
        }
        if rtd.num_milliseconds() % 1000 != 0 {
            return Err(("realtime_interval", "must be whole seconds".into()));
        }
        let timeout = self.ack_timeout.0;
        if timeout <= TimeDelta::zero() || timeout > TimeDelta::minutes(10) {
            return Err(("ack_timeout", "must lie in (0, 10 min]".into()));
        }
        if self.retries > 10 {
            return Err(("retries", "at most 10".into()));
        }
        if self
            .platform
            .rsplit_once(':')
            .is_none_or(|(host, port)| host.is_empty() || port.parse::<u16>().is_err())
        {
            return Err(("platform", format!("`{}` is not host:port", self.platform)));
        }
        Ok(())
    }
}
