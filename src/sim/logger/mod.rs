//! Simulated HJ 212 data loggers: each connects to the scenario's platform (`[hj212]
//! platform`) and uploads real-time (2011), minute (2051), hourly (2061) and daily (2031) data
//! of the world model at its station, as a micro-station grid's loggers would, with the faults
//! of the scenario's schedule (`bad_crc`, `split`, `resend`, `disconnect`, `garbage`,
//! `offline`, and the value faults `stuck`, `calibration`, `maintenance`, `alarm`).
//!
//! Uploads wait in a bounded backlog until the platform acknowledges them (9014, when
//! `ack`), so an outage ends in an ordered backfill; after `retries` unanswered resends an
//! upload is given up (and counted). While `offline` the logger keeps measuring but has no
//! connection. Packets are built with [`crate::hj212`] from the logger's codes and units,
//! the same description the platform reads them with.

mod link;
mod settings;
mod uploads;

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use self::link::{AckOutcome, Link};
pub use self::settings::LoggerSettings;
pub use self::uploads::{DataKind, MEASURE, Schedule, Upload, decimals, upload};
use super::environment::Environment;
use crate::clock::Clock;
use crate::hj212::time::{format_data_time, format_qn};
use crate::hj212::{Command, Cp, EncodeError, Packet, SystemCode};
use crate::registry::Registry;
use crate::units::{Conversion, Parameter, Unit};

/// Uploads a logger keeps while the platform does not take them (about three days of 2011
/// every 30 s with minute and hourly data); beyond it the oldest are dropped and counted.
const MAX_BACKLOG: usize = 10_000;

/// One simulated logger: where it is in the world and how it writes its packets. Built from
/// the registry's `transport = "hj212"` device (its MN, PW and code map).
#[derive(Debug, Clone)]
pub struct LoggerSpec {
    /// Device id (faults, logs).
    pub id: String,
    /// Its station: an index into the registry's stations (the world's sites).
    pub station: usize,
    /// MN.
    pub mn: String,
    /// PW (read from the device's `pw_env`/`pw_file`).
    pub pw: String,
    /// The codes it sends, in packet order.
    pub codes: Vec<LoggerCode>,
    /// The interval of its minute data (2051).
    pub minute_interval: TimeDelta,
}

impl LoggerSpec {
    /// The loggers of `registry`: one per `transport = "hj212"` device, with its MN, its PW
    /// (read from its `pw_env`/`pw_file` now) and its code map.
    pub fn from_registry(registry: &Registry) -> Result<Vec<LoggerSpec>, LoggerError> {
        registry
            .hj212_devices()
            .map(|d| {
                Ok(LoggerSpec {
                    id: d.id.clone(),
                    station: registry
                        .stations
                        .iter()
                        .position(|s| s.id == d.station)
                        .ok_or_else(|| LoggerError::NoStation(d.id.clone()))?,
                    mn: d.mn.clone(),
                    pw: d.pw.read().map_err(|source| LoggerError::Pw {
                        id: d.id.clone(),
                        source,
                    })?,
                    minute_interval: d.minute_interval,
                    codes: d
                        .codes
                        .iter()
                        .map(|(code, c)| LoggerCode {
                            code: code.clone(),
                            parameter: c.parameter,
                            unit: c.unit,
                            conversion: c.conversion,
                        })
                        .collect(),
                })
            })
            .collect()
    }
}

/// One pollutant code of a logger: the parameter, the unit it is sent in, and the conversion
/// from that unit to the parameter's canonical unit (the logger applies its inverse).
#[derive(Debug, Clone, PartialEq)]
pub struct LoggerCode {
    /// The code, e.g. `a34004`.
    pub code: String,
    /// What it measures.
    pub parameter: Parameter,
    /// The unit of its values.
    pub unit: Unit,
    /// `unit` → canonical.
    pub conversion: Conversion,
}

/// Simulated loggers that cannot start.
#[derive(Debug, thiserror::Error)]
pub enum LoggerError {
    /// The scenario has no `[hj212]` section.
    #[error("{}: no [hj212] section: where would the loggers send?", .0.display())]
    NoSettings(std::path::PathBuf),
    /// A fault names a device that is neither polled nor a logger.
    #[error("{}: fault for unknown device `{device}` (neither in the registry nor a logger)", scenario.display())]
    UnknownDevice {
        /// The scenario file.
        scenario: std::path::PathBuf,
        /// The device id.
        device: String,
    },
    /// A logger has a fault of a kind only a polled device can have.
    #[error("{}: fault `{kind:?}` for logger `{device}`: a logger sends, it cannot answer late or with an exception", scenario.display())]
    NotApplicable {
        /// The scenario file.
        scenario: std::path::PathBuf,
        /// The logger.
        device: String,
        /// The fault kind.
        kind: super::scenario::FaultKind,
    },
    /// A logger's station is not in the registry.
    #[error("logger `{0}`: its station is not in the registry")]
    NoStation(String),
    /// A logger's PW cannot be read.
    #[error("logger `{id}`: {source}")]
    Pw {
        /// The logger.
        id: String,
        /// Why.
        #[source]
        source: crate::registry::PwError,
    },
    /// A logger's packets cannot be encoded (a PW or MN a packet cannot carry, too many codes).
    #[error("logger `{id}`: {source}")]
    Encode {
        /// The logger.
        id: String,
        /// Why.
        #[source]
        source: EncodeError,
    },
}

/// What one logger has done so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoggerCounts {
    /// Uploads written at least once.
    pub sent: u64,
    /// Uploads the platform acknowledged.
    pub acknowledged: u64,
    /// Transmissions after the first (timeouts, lost connections).
    pub retried: u64,
    /// Uploads given up after the retries.
    pub given_up: u64,
    /// Uploads dropped because the backlog was full.
    pub dropped: u64,
    /// Connections opened.
    pub connections: u64,
    /// Uploads waiting.
    pub backlog: u64,
}

#[derive(Debug, Default)]
struct Counters {
    sent: AtomicU64,
    acknowledged: AtomicU64,
    retried: AtomicU64,
    given_up: AtomicU64,
    dropped: AtomicU64,
    connections: AtomicU64,
    backlog: AtomicU64,
}

impl Counters {
    fn add(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    fn snapshot(&self) -> LoggerCounts {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        LoggerCounts {
            sent: get(&self.sent),
            acknowledged: get(&self.acknowledged),
            retried: get(&self.retried),
            given_up: get(&self.given_up),
            dropped: get(&self.dropped),
            connections: get(&self.connections),
            backlog: get(&self.backlog),
        }
    }
}

/// Running simulated loggers.
pub struct LoggerGroup {
    tasks: JoinSet<()>,
    shutdown: CancellationToken,
    counters: Vec<(String, Arc<Counters>)>,
}

impl LoggerGroup {
    /// Starts `loggers` sending to `platform` (`None`: the scenario's `[hj212] platform`).
    /// Checks the scenario's faults: each names a polled device of `registry` or a logger,
    /// and a logger's is one a logger can have.
    pub fn start(
        registry: &Registry,
        loggers: Vec<LoggerSpec>,
        environment: Arc<Environment>,
        clock: Clock,
        platform: Option<String>,
    ) -> Result<LoggerGroup, LoggerError> {
        let scenario = environment.scenario();
        let settings = scenario
            .hj212
            .clone()
            .ok_or_else(|| LoggerError::NoSettings(scenario.path.clone()))?;
        for fault in &scenario.faults {
            if let Some(logger) = loggers.iter().find(|l| l.id == fault.device) {
                if !fault.kind.applies_to_loggers() {
                    return Err(LoggerError::NotApplicable {
                        scenario: scenario.path.clone(),
                        device: logger.id.clone(),
                        kind: fault.kind,
                    });
                }
            } else if !registry.devices().any(|d| d.id == fault.device) {
                return Err(LoggerError::UnknownDevice {
                    scenario: scenario.path.clone(),
                    device: fault.device.clone(),
                });
            }
        }
        let tz = scenario.time_zone;
        for spec in &loggers {
            if spec.station >= registry.stations.len() {
                return Err(LoggerError::NoStation(spec.id.clone()));
            }
            // The longest packet it will send: a day's statistics of every code.
            let start = environment.start();
            let day = upload(&environment, spec, DataKind::Daily, start, start + MEASURE);
            packet(spec, &settings, tz, &day, "20260101000000000")
                .encode()
                .map_err(|source| LoggerError::Encode {
                    id: spec.id.clone(),
                    source,
                })?;
        }
        let platform = platform.unwrap_or_else(|| settings.platform.clone());
        let shutdown = CancellationToken::new();
        let mut tasks = JoinSet::new();
        let mut counters = Vec::new();
        for spec in loggers {
            let counts = Arc::new(Counters::default());
            counters.push((spec.id.clone(), counts.clone()));
            let logger = Logger {
                spec,
                settings: settings.clone(),
                platform: platform.clone(),
                tz,
                environment: environment.clone(),
                clock: clock.clone(),
                counts,
                backlog: VecDeque::new(),
                link: None,
                last_qn: None,
            };
            tasks.spawn(logger.run(shutdown.clone()));
        }
        Ok(LoggerGroup {
            tasks,
            shutdown,
            counters,
        })
    }

    /// What each logger has done so far, by device id.
    pub fn counts(&self) -> Vec<(String, LoggerCounts)> {
        self.counters
            .iter()
            .map(|(id, c)| (id.clone(), c.snapshot()))
            .collect()
    }

    /// Stops every logger (closing its connection).
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        while self.tasks.join_next().await.is_some() {}
    }
}

/// The packet of `upload` with QN `qn`.
fn packet<'a>(
    spec: &'a LoggerSpec,
    settings: &LoggerSettings,
    tz: Tz,
    upload: &Upload,
    qn: &str,
) -> Packet<'a> {
    let mut cp = Cp::new();
    cp.push("DataTime", format_data_time(upload.data_time, tz));
    for (code, fields) in &upload.items {
        cp.push_group(
            fields
                .iter()
                .map(|(suffix, value)| (format!("{code}-{suffix}"), value.clone())),
        );
    }
    let command = match upload.kind {
        DataKind::Realtime => Command::RealTimeData,
        DataKind::Minute => Command::MinuteData,
        DataKind::Hourly => Command::HourlyData,
        DataKind::Daily => Command::DailyData,
    };
    Packet::new(
        qn.to_string(),
        SystemCode::AirQuality,
        command,
        spec.pw.as_str(),
        spec.mn.as_str(),
        settings.ack,
        cp,
    )
}

/// An upload waiting for the platform, with the QN of its first transmission.
struct Pending {
    upload: Upload,
    qn: Option<String>,
    attempts: u32,
}

/// One logger's task state.
struct Logger {
    spec: LoggerSpec,
    settings: LoggerSettings,
    platform: String,
    tz: Tz,
    environment: Arc<Environment>,
    clock: Clock,
    counts: Arc<Counters>,
    backlog: VecDeque<Pending>,
    link: Option<Link>,
    last_qn: Option<DateTime<Utc>>,
}

impl Logger {
    async fn run(mut self, stop: CancellationToken) {
        let s = &self.settings;
        let mut schedule = Schedule::new(
            Some(s.realtime_interval.0),
            s.minute_data.then_some(self.spec.minute_interval),
            s.hourly_data,
            s.daily_data.then_some(self.tz),
            self.clock.now(),
        );
        while let Some(at) = schedule.next_instant() {
            tokio::select! {
                () = self.clock.sleep_until(at) => {}
                () = stop.cancelled() => break,
            }
            for (kind, start, end) in schedule.take_due(at) {
                let upload = upload(&self.environment, &self.spec, kind, start, end);
                self.queue(upload);
            }
            let state = self.environment.device_state(&self.spec.id, at);
            if state.offline {
                if let Some(link) = self.link.take() {
                    link.close().await;
                }
                continue;
            }
            tokio::select! {
                () = self.flush(state.link, state.garbage) => {}
                () = stop.cancelled() => break,
            }
        }
        if let Some(link) = self.link.take() {
            link.close().await;
        }
    }

    fn queue(&mut self, upload: Upload) {
        if self.backlog.len() >= MAX_BACKLOG {
            self.backlog.pop_front();
            Counters::add(&self.counts.dropped);
        }
        self.backlog.push_back(Pending {
            upload,
            qn: None,
            attempts: 0,
        });
        self.counts
            .backlog
            .store(self.backlog.len() as u64, Ordering::Relaxed);
    }

    /// A QN from the clock, later than the last one.
    fn next_qn(&mut self) -> String {
        let mut t = self.clock.now();
        if let Some(last) = self.last_qn
            && t <= last
        {
            t = last + TimeDelta::milliseconds(1);
        }
        self.last_qn = Some(t);
        format_qn(t, self.tz)
    }

    /// Sends the backlog in order until it is empty or the platform cannot be reached.
    async fn flush(&mut self, faults: crate::sim::environment::LinkFaults, garbage: bool) {
        let timeout = self
            .settings
            .ack_timeout
            .0
            .to_std()
            .unwrap_or(std::time::Duration::from_secs(10));
        while !self.backlog.is_empty() {
            if self.link.is_none() {
                match Link::connect(&self.platform).await {
                    Ok(link) => {
                        Counters::add(&self.counts.connections);
                        self.link = Some(link);
                    }
                    Err(e) => {
                        tracing::debug!(logger = %self.spec.id, "cannot reach {}: {e}", self.platform);
                        return;
                    }
                }
            }
            let qn = match self.backlog.front().and_then(|p| p.qn.clone()) {
                Some(qn) => qn,
                None => self.next_qn(),
            };
            let Some(pending) = self.backlog.front_mut() else {
                return;
            };
            pending.qn = Some(qn.clone());
            pending.attempts += 1;
            let first = pending.attempts == 1;
            let bytes = match packet(&self.spec, &self.settings, self.tz, &pending.upload, &qn)
                .encode()
            {
                Ok(bytes) => bytes,
                Err(e) => {
                    // Values wider than when the logger started (checked then) made it too long.
                    tracing::error!(logger = %self.spec.id, qn, "upload cannot be encoded: {e}");
                    Counters::add(&self.counts.given_up);
                    self.backlog.pop_front();
                    continue;
                }
            };
            if first {
                Counters::add(&self.counts.sent);
            } else {
                Counters::add(&self.counts.retried);
            }
            let Some(link) = self.link.as_mut() else {
                return;
            };
            let outcome = match link.send(&bytes, faults, garbage, first).await {
                Err(_) => AckOutcome::Closed,
                Ok(()) if !self.settings.ack => AckOutcome::Acknowledged,
                Ok(()) => link.wait_ack(&qn, timeout).await,
            };
            let attempts = pending.attempts;
            match outcome {
                AckOutcome::Acknowledged => {
                    if self.settings.ack {
                        Counters::add(&self.counts.acknowledged);
                    }
                    self.backlog.pop_front();
                }
                AckOutcome::TimedOut | AckOutcome::Closed => {
                    if outcome == AckOutcome::Closed
                        && let Some(link) = self.link.take()
                    {
                        link.close().await;
                    }
                    if attempts > self.settings.retries {
                        tracing::warn!(logger = %self.spec.id, qn, "upload given up after {attempts} transmissions");
                        Counters::add(&self.counts.given_up);
                        self.backlog.pop_front();
                    }
                }
            }
            self.counts
                .backlog
                .store(self.backlog.len() as u64, Ordering::Relaxed);
            if faults.disconnect
                && let Some(link) = self.link.take()
            {
                link.close().await;
            }
        }
    }
}
