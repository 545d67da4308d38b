//! `[hj212]` in `lantian.toml`: where the ingest server listens and what a connection may
//! hold.

use std::net::SocketAddr;
use std::time::Duration;

use chrono::TimeDelta;
use serde::{Deserialize, Deserializer};

/// The HJ 212 ingest server's settings (`[hj212]`). Durations are real time.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Hj212Config {
    /// Address to listen on, e.g. `127.0.0.1:9212`; none (the default) runs no listener in
    /// `lantian run`. A non-loopback address is taken, with a warning: loggers on other
    /// machines need one, and the PW of every packet is checked.
    pub listen: Option<SocketAddr>,
    /// Connections held at once; more are closed as soon as they are accepted.
    pub max_connections: usize,
    /// Connections held at once from one IP address (a concentrator, or loggers behind one
    /// NAT, share one); more from it are closed as soon as they are accepted, and counted
    /// for it.
    pub max_connections_per_ip: usize,
    /// A connection that sends nothing for this long is closed; `idle_timeout_ms` in files.
    #[serde(rename = "idle_timeout_ms", with = "crate::collect::millis")]
    pub idle_timeout: Duration,
    /// A connection that has sent no packet from a known logger with its PW within this time
    /// is closed; `login_timeout_ms` in files.
    #[serde(rename = "login_timeout_ms", with = "crate::collect::millis")]
    pub login_timeout: Duration,
    /// Packets per second one connection may send; faster senders are slowed down (their
    /// packets wait, TCP pushes back), nothing is dropped.
    pub max_packets_per_second: u32,
    /// Take packets whose length and CRC are right but that otherwise depart from the standard
    /// (lower-case CRC, no CR LF, text after CP, …), logging their deviations once per logger;
    /// `false` rejects them.
    pub accept_deviations: bool,
    /// A logger whose clock is off the server's by more than this (estimated from its
    /// real-time data) is set (1012), at most once an hour; zero never sets clocks.
    /// `max_clock_drift_s` (whole seconds) in files.
    #[serde(rename = "max_clock_drift_s", deserialize_with = "seconds")]
    pub max_clock_drift: TimeDelta,
}

fn seconds<'de, D: Deserializer<'de>>(d: D) -> Result<TimeDelta, D::Error> {
    let s = u32::deserialize(d)?;
    Ok(TimeDelta::seconds(i64::from(s)))
}

impl Default for Hj212Config {
    fn default() -> Self {
        Hj212Config {
            listen: None,
            max_connections: 10_000,
            max_connections_per_ip: 256,
            idle_timeout: Duration::from_secs(600),
            login_timeout: Duration::from_secs(60),
            max_packets_per_second: 50,
            accept_deviations: true,
            max_clock_drift: TimeDelta::seconds(60),
        }
    }
}

impl Hj212Config {
    /// Checks the limits (each must be positive).
    pub fn validate(&self) -> Result<(), String> {
        if self.max_connections == 0 {
            return Err("[hj212] max_connections must be at least 1".into());
        }
        if self.max_connections_per_ip == 0 {
            return Err("[hj212] max_connections_per_ip must be at least 1".into());
        }
        if self.max_packets_per_second == 0 {
            return Err("[hj212] max_packets_per_second must be at least 1".into());
        }
        if self.idle_timeout.is_zero() || self.login_timeout.is_zero() {
            return Err("[hj212] idle_timeout_ms and login_timeout_ms must be positive".into());
        }
        Ok(())
    }
}
