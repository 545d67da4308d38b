//! The task behind one device connection: polls its device(s) on a clock-aligned schedule,
//! retries and reconnects with back-off, keeps health, and aggregates samples.

use std::fmt;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use tokio::sync::mpsc;
use tokio_modbus::Slave;
use tokio_modbus::prelude::SlaveContext;
use tokio_util::sync::CancellationToken;

use super::CollectorConfig;
use super::aggregate::Aggregator;
use super::backoff::Backoff;
use super::health::{HealthBoard, Slot};
use super::metrics::LatencyHistogram;
use super::read::{Block, ReadError, Refusal, Sample, interpret, read_plan};
use super::sink::Batch;
use super::transport::{Link, connect};
use crate::clock::{Clock, next_aligned};
use crate::registry::{Device, Transport};
use crate::store::{Record, Resolution};

/// A device served by a connection task, with its schedule and aggregation state.
pub(super) struct PolledDevice {
    pub device: Device,
    pub slot: Slot,
    /// The tick to poll next (the samples' timestamp).
    next_due: Option<DateTime<Utc>>,
    /// How long after its tick the device is polled (the connection's share of the spread).
    offset: TimeDelta,
    aggregators: Vec<Aggregator>,
    /// The refusal last logged, so that a profile problem is logged once, not every poll.
    logged_refusal: Option<Refusal>,
}

impl PolledDevice {
    pub(super) fn new(device: Device, slot: Slot, min_valid_minutes: u32) -> PolledDevice {
        let aggregators = device
            .profile
            .parameters()
            .map(|p| Aggregator::new(device.station.clone(), p, min_valid_minutes))
            .collect();
        PolledDevice {
            device,
            slot,
            next_due: None,
            offset: TimeDelta::zero(),
            aggregators,
            logged_refusal: None,
        }
    }
}

/// Everything a connection task shares with the rest of the collector.
pub(super) struct Shared {
    pub clock: Clock,
    pub config: CollectorConfig,
    pub health: HealthBoard,
    pub latency: LatencyHistogram,
    pub records: mpsc::Sender<Batch>,
    pub shutdown: CancellationToken,
}

/// One connection (a TCP device, or a serial bus / gateway shared by several devices).
pub(super) struct Connection {
    transport: Transport,
    devices: Vec<PolledDevice>,
    link: Option<Link>,
    reconnect_at: Option<Instant>,
    /// Why the last connection attempt failed (shown while waiting to reconnect).
    connect_error: Option<String>,
    reconnect_backoff: Backoff,
    samples: Vec<Sample>,
    active_status: Vec<usize>,
    out: Vec<Record>,
}

impl Connection {
    /// A connection polling `devices` over `transport`, each `phase` × its interval after its
    /// aligned ticks (0 ≤ `phase` < 1).
    pub(super) fn new(
        transport: Transport,
        mut devices: Vec<PolledDevice>,
        phase: f64,
        config: &CollectorConfig,
    ) -> Self {
        for d in &mut devices {
            let interval_us = d.device.poll_interval.num_microseconds().unwrap_or(0) as f64;
            d.offset = TimeDelta::microseconds((interval_us * phase) as i64);
        }
        Connection {
            transport,
            devices,
            link: None,
            reconnect_at: None,
            connect_error: None,
            reconnect_backoff: Backoff::new(config.backoff_initial, config.backoff_max),
            samples: Vec::new(),
            active_status: Vec::new(),
            out: Vec::new(),
        }
    }

    /// Runs until shutdown. Completed periods are flushed before returning.
    pub(super) async fn run(mut self, shared: &Shared) {
        let start = shared.clock.now();
        for d in &mut self.devices {
            d.next_due = Some(next_aligned(start, d.device.poll_interval));
        }
        loop {
            let wake = self
                .devices
                .iter()
                .filter_map(|d| Some(d.next_due? + d.offset))
                .min()
                .expect("a device");
            tokio::select! {
                () = shared.clock.sleep_until(wake) => {}
                () = shared.shutdown.cancelled() => break,
            }
            for i in 0..self.devices.len() {
                let d = &self.devices[i];
                if d.next_due.is_some_and(|t| t + d.offset <= wake) {
                    self.poll(i, shared).await;
                }
            }
            if !self.out.is_empty() && !self.send(shared).await {
                return;
            }
        }
        let now = shared.clock.now();
        for d in &mut self.devices {
            for agg in &mut d.aggregators {
                agg.flush_until(now, &mut self.out);
            }
        }
        self.send(shared).await;
    }

    async fn send(&mut self, shared: &Shared) -> bool {
        let batch = std::mem::take(&mut self.out);
        shared.records.send(batch.into()).await.is_ok()
    }

    /// Polls device `i` for its due tick and schedules its next tick.
    async fn poll(&mut self, i: usize, shared: &Shared) {
        let tick = self.devices[i].next_due.expect("scheduled");
        let offset = self.devices[i].offset;
        let interval = self.devices[i].device.poll_interval;
        let started = Instant::now();
        // The poll may use at most the time until the next one (in real time).
        let budget = shared
            .clock
            .real_duration(next_aligned(tick, interval) + offset - shared.clock.now());
        let deadline = started + budget;
        let result = self.read_with_retries(i, deadline, shared).await;
        let elapsed = started.elapsed();

        let dev = &mut self.devices[i];
        let mut health = shared.health.entry(&dev.slot);
        health.polls += 1;
        health.last_attempt = Some(tick);
        match result {
            Ok(blocks) => {
                dev.logged_refusal = None;
                shared.latency.record(elapsed);
                // Per device, for latency studies (`benches/faulty_devices.rs`).
                tracing::trace!(
                    device = %dev.device.id,
                    latency_us = elapsed.as_micros() as u64,
                    "poll answered"
                );
                interpret(
                    &dev.device.profile,
                    &blocks,
                    &mut self.samples,
                    &mut self.active_status,
                );
                health.online = true;
                health.successes += 1;
                health.consecutive_failures = 0;
                health.last_success = Some(tick);
                health.last_latency_ms = Some(elapsed.as_secs_f64() * 1e3);
                let status = &dev.device.profile.status;
                health.status.clear();
                health
                    .status
                    .extend(self.active_status.iter().map(|&j| status[j].name.clone()));
                for (sample, agg) in self.samples.iter().zip(&mut dev.aggregators) {
                    agg.push(tick, sample.value, sample.flag, &mut self.out);
                    if shared.config.store_samples
                        && let Some(value) = sample.value
                    {
                        self.out.push(Record {
                            station: dev.device.station.clone(),
                            parameter: sample.parameter,
                            resolution: Resolution::Sample,
                            time: tick,
                            value,
                            flag: sample.flag,
                            count: u32::from(sample.flag.is_valid()),
                        });
                    }
                }
            }
            Err(error) => {
                match &error {
                    PollError::Refused(r) if dev.logged_refusal.as_ref() != Some(r) => {
                        tracing::warn!(device = %dev.device.id, "{r}");
                        dev.logged_refusal = Some(r.clone());
                    }
                    _ => tracing::debug!(device = %dev.device.id, %error, "poll failed"),
                }
                health.online = false;
                health.consecutive_failures += 1;
                health.last_error = Some(error.to_string());
                health.last_failure = Some(tick);
                for agg in &mut dev.aggregators {
                    agg.push(tick, None, crate::quality::Flag::CommError, &mut self.out);
                }
            }
        }
        // Next tick: the first aligned instant after this tick whose poll time (tick + offset)
        // is still ahead; ticks that passed while this poll ran are skipped, never run late in
        // a burst.
        let now = shared.clock.now();
        let next = next_aligned(tick.max(now - offset), interval);
        let missed = ((next - tick).num_microseconds().unwrap_or(0)
            / interval.num_microseconds().unwrap_or(1)
            - 1)
        .max(0) as u64;
        health.skipped += missed;
        drop(health);
        dev.next_due = Some(next);
    }

    /// Reads device `i`'s plan, reconnecting and retrying with back-off until `deadline`.
    /// Answers that asking again cannot change (a refused request, a device failure) end the
    /// poll at once.
    async fn read_with_retries(
        &mut self,
        i: usize,
        deadline: Instant,
        shared: &Shared,
    ) -> Result<Vec<Block>, PollError> {
        let config = &shared.config;
        let unit = self.devices[i].device.unit;
        let mut retry_backoff = Backoff::new(config.backoff_initial, config.backoff_max);
        let mut attempt = 0;
        loop {
            let error = match self.attempt(i, unit, config.timeout).await {
                Ok(blocks) => {
                    self.reconnect_backoff.reset();
                    return Ok(blocks);
                }
                Err(e) => e,
            };
            attempt += 1;
            let delay = retry_backoff.next_delay();
            if !error.is_transient()
                || attempt > config.retries
                || self.reconnect_at.is_some()
                || Instant::now() + delay >= deadline
            {
                return Err(error);
            }
            tokio::time::sleep(delay).await;
        }
    }

    /// One attempt: connect if needed, then read. Transport failures close the connection
    /// and set when the next connection attempt may happen.
    async fn attempt(
        &mut self,
        i: usize,
        unit: u8,
        timeout: Duration,
    ) -> Result<Vec<Block>, PollError> {
        if self.link.is_none() {
            if self.reconnect_at.is_some_and(|at| Instant::now() < at) {
                return Err(PollError::WaitingToReconnect(
                    self.connect_error.clone().unwrap_or_default(),
                ));
            }
            match connect(&self.transport, unit, timeout).await {
                Ok(link) => {
                    self.link = Some(link);
                    self.reconnect_at = None;
                    self.connect_error = None;
                }
                Err(e) => {
                    self.reconnect_at = Some(Instant::now() + self.reconnect_backoff.next_delay());
                    let error = format!("connect to {}: {e}", self.transport);
                    self.connect_error = Some(error.clone());
                    return Err(PollError::Connect(error));
                }
            }
        }
        let link = self.link.as_mut().expect("connected");
        link.ctx.set_slave(Slave(unit));
        let profile = &self.devices[i].device.profile;
        match read_plan(link, &profile.plan, timeout).await {
            Ok(blocks) => Ok(blocks),
            Err(e) => {
                if e.needs_reconnect() {
                    self.link = None;
                }
                Err(match Refusal::of(&e, profile) {
                    Some(refusal) => PollError::Refused(refusal),
                    None => PollError::Read(e),
                })
            }
        }
    }
}

/// Why a poll failed; its text is the device's `last_error`.
#[derive(Debug)]
enum PollError {
    /// The connection could not be opened (the text names the endpoint and the cause).
    Connect(String),
    /// Not connected: the last attempt failed for the reason given, and the next one is not
    /// due yet.
    WaitingToReconnect(String),
    /// A request failed.
    Read(ReadError),
    /// The device refused a request of the profile: a profile problem, never retried.
    Refused(Refusal),
}

impl PollError {
    /// True when asking again within the poll may help.
    fn is_transient(&self) -> bool {
        match self {
            PollError::Connect(_) | PollError::WaitingToReconnect(_) => true,
            PollError::Read(e) => e.is_transient(),
            PollError::Refused(_) => false,
        }
    }
}

impl fmt::Display for PollError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PollError::Connect(cause) => f.write_str(cause),
            PollError::WaitingToReconnect(cause) => write!(f, "{cause}; waiting to reconnect"),
            PollError::Read(e) => write!(f, "{e}"),
            PollError::Refused(r) => write!(f, "{r}"),
        }
    }
}
