//! One logger connection: bytes → framer → parse → login (MN and PW) → split packets
//! reassembled → records → the spool → acknowledgement (9014), and the platform's commands
//! out.
//!
//! Bounds: the framer holds at most one packet's maximum length plus one read; split packets
//! wait in a reassembler of [`MAX_SPLIT_PARTS`] parts for at most [`SPLIT_MAX_AGE`]; packets
//! beyond `max_packets_per_second` wait (the socket is not read meanwhile, so TCP slows the
//! sender); a connection that sends nothing for `idle_timeout`, or no packet of a known
//! logger with its PW within `login_timeout`, is closed; a write that does not complete in
//! [`WRITE_TIMEOUT`] (a peer that does not read) closes it too.
//!
//! A data packet is acknowledged only once its records are appended to the spool: an
//! acknowledged packet survives a crash. Nothing of a rejected packet is stored, and an
//! unauthenticated packet gets no answer (no oracle for MNs or PWs).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::TimeDelta;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::{mpsc, oneshot};

use super::Server;
use super::calibrate::drift_limit;
use super::command::{CommandError, CommandRequest, LoggerCommand, Outbox, command_packet, new_qn};
use super::control::LoggerControl;
use super::counters::Rejection;
use super::logger::Logger;
use super::mapping::map_packet;
use crate::collect::sink::{Batch, sleep_until_some};
use crate::hj212::reassemble::{Limits, Outcome};
use crate::hj212::reply::{data_ack, request_reply};
use crate::hj212::time::parse_local_time;
use crate::hj212::{
    Command, Field, FrameEvent, Framer, Mode, Packet, QnRtn, Reassembler, SkipReason, Status,
    SystemCode, inspect, parse,
};

/// Bytes read from the socket at a time: a connection's framer holds at most the longest
/// packet ([`crate::hj212::MAX_PACKET_LEN`]) plus this.
pub const READ_BUFFER: usize = 4096;
/// Parts of split packets one connection may hold.
const MAX_SPLIT_PARTS: usize = 64;
/// How long the parts of a split packet wait for the rest.
const SPLIT_MAX_AGE: Duration = Duration::from_secs(60);
/// A packet complete by its length but without CR LF is taken after this much quiet.
const QUIET: Duration = Duration::from_millis(200);
/// Longest a write to the peer may take.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a connection ends (for the log).
enum End {
    /// The peer closed it, or the server stops.
    Closed,
    /// Timed out (idle, or no login).
    TimedOut(&'static str),
    /// Reading or writing failed.
    Failed(String),
}

/// Token bucket of packets per second.
struct Throttle {
    rate: f64,
    tokens: f64,
    at: Instant,
}

impl Throttle {
    fn new(per_second: u32) -> Throttle {
        let rate = f64::from(per_second);
        Throttle {
            rate,
            tokens: rate,
            at: Instant::now(),
        }
    }

    /// How long to wait before the next packet (zero when it may go now).
    fn take(&mut self) -> Duration {
        let now = Instant::now();
        self.tokens =
            (self.tokens + now.duration_since(self.at).as_secs_f64() * self.rate).min(self.rate);
        self.at = now;
        self.tokens -= 1.0;
        if self.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-self.tokens / self.rate)
        }
    }
}

/// Why a packet of `status` is rejected (a `valid` one only for deviations the mode refuses).
fn cause_of(status: Status) -> Rejection {
    match status {
        Status::Malformed => Rejection::Malformed,
        Status::BadLength => Rejection::BadLength,
        Status::BadCrc => Rejection::BadCrc,
        Status::Valid => Rejection::Nonstandard,
    }
}

/// One connection's state.
pub(super) struct Session {
    server: Arc<Server>,
    peer: SocketAddr,
    writer: OwnedWriteHalf,
    framer: Framer,
    reassembler: Reassembler,
    throttle: Throttle,
    /// The loggers logged in on this connection (a concentrator may carry several), with
    /// the system code of their latest packet (for commands).
    logged_in: Vec<(Arc<Logger>, SystemCode)>,
    commands: mpsc::Sender<CommandRequest>,
    outbox: Outbox,
}

/// Serves `stream` from `peer` until it closes, times out or the server stops.
pub(super) async fn serve(server: Arc<Server>, stream: TcpStream, peer: SocketAddr) {
    let (mut reader, writer) = stream.into_split();
    let (commands, mut command_rx) = mpsc::channel(4);
    let mut s = Session {
        throttle: Throttle::new(server.config.max_packets_per_second),
        framer: Framer::new(),
        reassembler: Reassembler::new(Limits {
            max_parts: MAX_SPLIT_PARTS,
            max_age: SPLIT_MAX_AGE,
        }),
        server,
        peer,
        writer,
        logged_in: Vec::new(),
        commands,
        outbox: Outbox::default(),
    };
    let opened = tokio::time::Instant::now();
    let mut last_read = opened;
    // The framer was asked for a frame waiting for its CR LF since the last read.
    let mut flushed = false;
    let mut buf = vec![0u8; READ_BUFFER];
    let shutdown = s.server.shutdown.clone();
    let end = loop {
        let config = &s.server.config;
        let (deadline, why) = if s.logged_in.is_empty() {
            (opened + config.login_timeout, "no login")
        } else {
            (last_read + config.idle_timeout, "idle")
        };
        let quiet = (s.framer.buffered() > 0 && !flushed).then(|| last_read + QUIET);
        let answer_due = s.outbox.deadline();
        tokio::select! {
            () = shutdown.cancelled() => break End::Closed,
            read = reader.read(&mut buf) => match read {
                Ok(0) => {
                    let mut end = None;
                    while let Some(event) = s.framer.finish() {
                        if let Err(e) = s.event(event).await {
                            end = Some(e);
                            break;
                        }
                    }
                    break end.unwrap_or(End::Closed);
                }
                Ok(n) => {
                    last_read = tokio::time::Instant::now();
                    flushed = false;
                    s.framer.push(&buf[..n]);
                    s.server.counters.buffered(s.framer.buffered());
                    if let Err(end) = s.drain().await {
                        break end;
                    }
                }
                Err(e) => break End::Failed(e.to_string()),
            },
            Some(request) = command_rx.recv() => {
                let admitted = s.outbox.admit(request);
                if let Err(end) = s.send_command(admitted).await {
                    break end;
                }
            }
            () = tokio::time::sleep_until(deadline) => break End::TimedOut(why),
            () = sleep_until_some(quiet) => {
                flushed = true;
                if let Some(event) = s.framer.flush()
                    && let Err(end) = s.event(event).await
                {
                    break end;
                }
            }
            () = sleep_until_some(answer_due) => {
                let next = s.outbox.timed_out();
                if let Err(end) = s.send_command(next).await {
                    break end;
                }
            }
        }
    };
    s.close(end);
}

impl Session {
    /// Handles every complete frame the framer holds.
    async fn drain(&mut self) -> Result<(), End> {
        while let Some(event) = self.framer.next_event() {
            self.event(event).await?;
        }
        Ok(())
    }

    async fn event(&mut self, event: FrameEvent) -> Result<(), End> {
        match event {
            FrameEvent::Skipped { len, reason } => {
                self.server.counters.skipped(len);
                if reason == SkipReason::Oversized {
                    self.reject(Rejection::Oversized, None);
                }
                Ok(())
            }
            FrameEvent::Frame(bytes) => {
                let wait = self.throttle.take();
                if !wait.is_zero() {
                    self.server.counters.throttled();
                    tokio::time::sleep(wait).await;
                }
                self.frame(&bytes).await
            }
        }
    }

    /// One frame: parse, log in, dispatch by command.
    async fn frame(&mut self, bytes: &[u8]) -> Result<(), End> {
        let mode = if self.server.config.accept_deviations {
            Mode::Lenient
        } else {
            Mode::Strict
        };
        let decoded = match parse(bytes, mode) {
            Ok(d) if d.status == Status::Valid => d,
            Ok(d) => {
                // Lenient mode takes e.g. a wrong length when the CRC matches; lantian takes
                // only packets whose length and CRC are right.
                let claimed = d.packet.mn.as_deref().map(str::to_string);
                self.reject(cause_of(d.status), claimed.as_deref());
                return Ok(());
            }
            Err(rejected) => {
                let claimed = inspect(bytes).header_value(Field::Mn).map(str::to_string);
                self.reject(cause_of(rejected.status), claimed.as_deref());
                return Ok(());
            }
        };
        let packet = decoded.packet;
        let Some(logger) = self.login(&packet) else {
            return Ok(());
        };
        if !decoded.deviations.is_empty() {
            let list: Vec<String> = decoded.deviations.iter().map(ToString::to_string).collect();
            let list = list.join("; ");
            if logger.first(format!("deviations {list}")) {
                tracing::info!(
                    "HJ 212 logger {} ({}): packet taken despite: {list}",
                    logger.device.id,
                    self.peer
                );
            }
        }
        match packet.cn {
            cn if cn.is_data() => self.data(&logger, packet).await,
            Command::RequestReply | Command::ExecutionResult => {
                let next = self.outbox.answer(&packet);
                self.send_command(next).await
            }
            Command::Other(code)
                if (1000..2000).contains(&code) || (3000..4000).contains(&code) =>
            {
                self.refuse_request(&logger, &packet).await
            }
            Command::GetTime
            | Command::SetTime
            | Command::GetRtdInterval
            | Command::SetRtdInterval => self.refuse_request(&logger, &packet).await,
            cn => {
                // Run status (2021), restart notices (2081) and the like: nothing is stored.
                if logger.first(format!("not stored {cn}")) {
                    tracing::info!(
                        "HJ 212 logger {}: CN {cn} packets are acknowledged but not stored",
                        logger.device.id
                    );
                }
                logger.accepted(self.server.clock.now(), self.peer, None);
                self.server.counters.accepted(self.peer.ip(), 0);
                if packet.needs_reply() && (2000..3000).contains(&cn.code()) {
                    self.write(&data_ack(&packet).encode()).await?;
                }
                Ok(())
            }
        }
    }

    /// The logger the packet is from, when its MN is known and its PW right; counts and logs
    /// the rejection otherwise. The first packet of a logger logs it in on this connection.
    fn login(&mut self, packet: &Packet<'_>) -> Option<Arc<Logger>> {
        let Some(mn) = packet.mn.as_deref() else {
            self.reject(Rejection::Malformed, None);
            return None;
        };
        let Some(logger) = self.server.loggers.get(mn).cloned() else {
            self.reject(Rejection::UnknownMn, Some(mn));
            return None;
        };
        if !logger.pw_matches(packet.pw.as_deref().unwrap_or_default()) {
            self.reject(Rejection::WrongPw, Some(mn));
            return None;
        }
        let st = packet.st.unwrap_or(SystemCode::AirQuality);
        match self
            .logged_in
            .iter_mut()
            .find(|(l, _)| Arc::ptr_eq(l, &logger))
        {
            // Answers (9xxx) are written with ST 91: commands go in the logger's own system.
            Some((_, known)) if !(9000..10000).contains(&packet.cn.code()) => *known = st,
            Some(_) => {}
            None => {
                logger.connected(self.peer);
                self.server.routes.register(mn, &self.commands);
                let due = logger.logged_in(self.server.clock.now());
                self.dispatch(&logger, due.into_iter().collect());
                tracing::debug!(
                    "HJ 212 logger {} connected from {}",
                    logger.device.id,
                    self.peer
                );
                self.logged_in.push((logger.clone(), st));
            }
        }
        Some(logger)
    }

    /// Counts (per peer, and per logger when the packet names a known MN) and logs once.
    fn reject(&self, cause: Rejection, claimed_mn: Option<&str>) {
        let server = &self.server;
        let now = server.clock.now();
        let logger = claimed_mn.and_then(|mn| server.loggers.get(mn));
        if let Some(logger) = logger {
            logger.rejected(now, self.peer, cause);
        }
        let first_of_peer = server.counters.rejected(self.peer.ip(), cause);
        let first_mn = cause == Rejection::UnknownMn
            && claimed_mn.is_some_and(|mn| server.counters.first_unknown_mn(mn));
        let whose = match (logger, claimed_mn) {
            (Some(l), _) => format!(" (logger {}, MN {})", l.device.id, l.device.mn),
            (None, Some(mn)) => format!(" (MN {mn})"),
            (None, None) => String::new(),
        };
        if first_of_peer || first_mn {
            tracing::warn!(
                "HJ 212: rejected a {cause} packet from {}{whose}; further ones are counted \
                 (lantian health, the listener's counters)",
                self.peer
            );
        } else {
            tracing::debug!(
                "HJ 212: rejected a {cause} packet from {}{whose}",
                self.peer
            );
        }
    }

    /// A data packet (or a part of one): reassemble, map, spool, then acknowledge.
    async fn data(&mut self, logger: &Arc<Logger>, packet: Packet<'_>) -> Result<(), End> {
        self.reassembler.expire(Instant::now());
        for dropped in self.reassembler.take_dropped() {
            tracing::warn!(
                "HJ 212 logger {}: split packet QN {} dropped with {} of {} parts ({:?})",
                logger.device.id,
                dropped.qn,
                dropped.have,
                dropped.total,
                dropped.reason
            );
            self.reject(Rejection::BadSplit, Some(&dropped.mn));
        }
        let packet = match self.reassembler.push(packet, Instant::now()) {
            Ok(Outcome::Complete(packet)) => packet,
            Ok(Outcome::Waiting { .. } | Outcome::Duplicate) => return Ok(()),
            Err(e) => {
                tracing::debug!("HJ 212 logger {}: {e}", logger.device.id);
                self.reject(Rejection::BadSplit, Some(&logger.device.mn));
                return Ok(());
            }
        };
        let zone = self.server.zone;
        let mapped = match map_packet(packet.cn, &packet.cp, &logger.device, zone) {
            Some(Ok(mapped)) => mapped,
            Some(Err(e)) => {
                if logger.first(format!("datatime {e}")) {
                    tracing::warn!("HJ 212 logger {}: CN {}: {e}", logger.device.id, packet.cn);
                }
                self.reject(Rejection::BadDataTime, Some(&logger.device.mn));
                return Ok(());
            }
            None => return Ok(()),
        };
        for code in &mapped.unmapped {
            if logger.first(format!("unmapped {code}")) {
                tracing::warn!(
                    "HJ 212 logger {}: code {code} is not in its code map (not stored; map it \
                     with [[station.device.code]])",
                    logger.device.id
                );
            }
        }
        for (code, why) in &mapped.unreadable {
            if logger.first(format!("unreadable {code}")) {
                tracing::warn!("HJ 212 logger {}: {why} (not stored)", logger.device.id);
            }
        }
        let records = mapped.records.len();
        let (spooled, durable) = oneshot::channel();
        let batch = Batch {
            records: mapped.records,
            spooled: Some(spooled),
        };
        if self.server.intake.send(batch).await.is_err() || durable.await.is_err() {
            return Err(End::Failed("the store pipeline stopped".into()));
        }
        let period = match packet.cn {
            Command::MinuteData => Some(logger.device.minute_interval),
            Command::HourlyData => Some(TimeDelta::hours(1)),
            Command::DailyData => Some(TimeDelta::days(1)),
            _ => None,
        };
        let data = period.map(|p| (packet.cn, mapped.start, p));
        let now = self.server.clock.now();
        logger.accepted(now, self.peer, data);
        if packet.cn == Command::RealTimeData {
            let qn = packet.qn.as_deref();
            let sent = qn.and_then(|qn| parse_local_time(qn, zone).ok());
            let server = &self.server;
            let max_drift = drift_limit(server.config.max_clock_drift, server.clock.speed());
            let due = logger.realtime(now, mapped.start, sent, max_drift);
            self.dispatch(logger, due);
        }
        self.server.counters.accepted(self.peer.ip(), records);
        if packet.needs_reply() {
            self.write(&data_ack(&packet).encode()).await?;
        }
        Ok(())
    }

    /// A request to the platform (lantian executes none): 9011 "rejected" when asked.
    async fn refuse_request(&mut self, logger: &Logger, packet: &Packet<'_>) -> Result<(), End> {
        if logger.first(format!("request {}", packet.cn)) {
            tracing::info!(
                "HJ 212 logger {} sent request CN {}: refused (lantian executes no requests)",
                logger.device.id,
                packet.cn
            );
        }
        if packet.needs_reply() {
            self.write(&request_reply(packet, QnRtn::Rejected).encode())
                .await?;
        }
        Ok(())
    }

    /// Writes a packet the codec built (an encoding error is logged: nothing to send).
    async fn write(
        &mut self,
        packet: &Result<Vec<u8>, crate::hj212::EncodeError>,
    ) -> Result<(), End> {
        let bytes = match packet {
            Ok(bytes) => bytes,
            Err(e) => {
                tracing::warn!("HJ 212: cannot write an answer to {}: {e}", self.peer);
                return Ok(());
            }
        };
        match tokio::time::timeout(WRITE_TIMEOUT, self.writer.write_all(bytes)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(End::Failed(e.to_string())),
            Err(_) => Err(End::Failed(
                "write timed out (the peer does not read)".into(),
            )),
        }
    }

    /// Writes `request` (when there is one) to the logger it names, logged in here; one that
    /// cannot be written ends at once, and the next queued one goes instead.
    async fn send_command(&mut self, mut request: Option<CommandRequest>) -> Result<(), End> {
        while let Some(r) = request.take() {
            let logged_in = self.logged_in.iter().find(|(l, _)| l.device.mn == r.mn);
            let Some((logger, st)) = logged_in.cloned() else {
                let _ = r.done.send(Err(CommandError::Closed(r.mn)));
                request = self.outbox.next_queued();
                continue;
            };
            let now = self.server.clock.now();
            let zone = self.server.zone;
            let qn = new_qn(now, zone);
            match command_packet(r.command, now, &qn, st, zone, &r.mn, &logger.pw) {
                Ok(bytes) => {
                    tracing::info!("HJ 212 logger {}: {}", logger.device.id, r.command);
                    self.write(&Ok(bytes)).await?;
                    self.outbox.sent(r, qn);
                }
                Err(e) => {
                    let _ = r.done.send(Err(e.into()));
                    request = self.outbox.next_queued();
                }
            }
        }
        Ok(())
    }

    /// Sends `commands` to `logger` in the background (with their retries; each outcome is
    /// counted in its state and a failure shown in its health).
    fn dispatch(&self, logger: &Logger, commands: Vec<LoggerCommand>) {
        for command in commands {
            let control = LoggerControl::new(&self.server);
            let mn = logger.device.mn.clone();
            tokio::spawn(async move { control.send(&mn, command).await });
        }
    }

    /// Logs the loggers out and says why the connection ended.
    fn close(self, end: End) {
        for (logger, _) in &self.logged_in {
            logger.disconnected();
            self.server
                .routes
                .unregister(&logger.device.mn, &self.commands);
        }
        self.outbox.close();
        match end {
            End::Closed => tracing::debug!("HJ 212 connection from {} closed", self.peer),
            End::TimedOut(why) => {
                self.server.counters.timed_out();
                tracing::debug!("HJ 212 connection from {} closed ({why})", self.peer);
            }
            End::Failed(e) => tracing::debug!("HJ 212 connection from {}: {e}", self.peer),
        }
    }
}
