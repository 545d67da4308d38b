//! The platform's commands to a logger — 1012 (set its clock), 1062 (set its real-time
//! interval) — and how they reach it: over the connection the logger opened, by its MN.
//! The logger answers 9011 (`QnRtn`: 1 = will do) then 9012 (`ExeRtn`); each answer is
//! awaited [`ANSWER_TIMEOUT`] (the standard's 10 s) and a command that gets none is sent
//! again, [`RETRIES`] times (the standard's Table 1). (Answers to uploads — 9014, 9011 — are
//! the codec's [`crate::hj212::reply`].)

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use tokio::sync::{mpsc, oneshot};

use crate::hj212::time::{format_data_time, format_qn};
use crate::hj212::{Command, Cp, EncodeError, ExeRtn, Packet, QnRtn, SystemCode};
use crate::registry::RtdInterval;

/// How long a logger has to answer each step of a command (HJ 212-2017 Table 1).
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);
/// How often a command without an answer is sent again (HJ 212-2017 Table 1).
pub const RETRIES: u32 = 3;

/// Why a command did not execute.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    /// No connection of this logger is open.
    #[error("logger {0} is not connected")]
    NotConnected(String),
    /// The logger refused the request (its 9011 `QnRtn`).
    #[error("logger {mn} refused {command}: QnRtn {}", rtn.code())]
    Refused {
        /// The logger.
        mn: String,
        /// The command.
        command: Command,
        /// Its answer.
        rtn: QnRtn,
    },
    /// No answer within [`ANSWER_TIMEOUT`], [`RETRIES`] + 1 times.
    #[error("logger {mn} did not answer {command} (timeout)")]
    Timeout {
        /// The logger.
        mn: String,
        /// The command.
        command: Command,
    },
    /// The connection closed before the answer came.
    #[error("logger {0}'s connection closed before it answered")]
    Closed(String),
    /// The logger's connection has too many commands waiting already.
    #[error("logger {0} has too many commands waiting")]
    Busy(String),
    /// The command cannot be written (a PW or MN a packet cannot carry).
    #[error("cannot write the command: {0}")]
    Encode(#[from] EncodeError),
}

/// What a command came to: the logger's execution result, or why there is none.
pub type CommandOutcome = Result<ExeRtn, CommandError>;

/// A command on its way to a session, and where its outcome goes.
#[derive(Debug)]
pub(super) struct CommandRequest {
    /// The logger it is for (a connection may carry several).
    pub mn: String,
    pub command: LoggerCommand,
    pub done: oneshot::Sender<CommandOutcome>,
}

/// Commands queued on one connection beside the one being answered; more are refused
/// ([`CommandError::Busy`]).
const QUEUED: usize = 8;

/// A command written on this connection, waiting for the logger's answers.
struct Pending {
    qn: String,
    request: CommandRequest,
    /// The 9011 said "will do"; waiting for the 9012.
    ready: bool,
    deadline: tokio::time::Instant,
}

/// One connection's commands: the one being answered and those waiting for it (one at a
/// time, so that answers cannot be confused).
#[derive(Default)]
pub(super) struct Outbox {
    pending: Option<Pending>,
    queued: VecDeque<CommandRequest>,
}

impl Outbox {
    /// When the pending command's next answer is due.
    pub(super) fn deadline(&self) -> Option<tokio::time::Instant> {
        self.pending.as_ref().map(|p| p.deadline)
    }

    /// `request` when it may be written now; else it waits (or is refused when too many do).
    pub(super) fn admit(&mut self, request: CommandRequest) -> Option<CommandRequest> {
        if self.pending.is_none() {
            return Some(request);
        }
        if self.queued.len() < QUEUED {
            self.queued.push_back(request);
        } else {
            let _ = request.done.send(Err(CommandError::Busy(request.mn)));
        }
        None
    }

    /// The next queued command when none is being answered.
    pub(super) fn next_queued(&mut self) -> Option<CommandRequest> {
        if self.pending.is_some() {
            return None;
        }
        self.queued.pop_front()
    }

    /// `request` was written as `qn`: its answers are awaited now.
    pub(super) fn sent(&mut self, request: CommandRequest, qn: String) {
        self.pending = Some(Pending {
            qn,
            request,
            ready: false,
            deadline: tokio::time::Instant::now() + ANSWER_TIMEOUT,
        });
    }

    /// Ends the pending command with `outcome`; returns the next command to write.
    fn finish(&mut self, outcome: CommandOutcome) -> Option<CommandRequest> {
        if let Some(p) = self.pending.take() {
            if let Ok(exe) = &outcome {
                tracing::info!(
                    "HJ 212 logger {}: {} answered ExeRtn {}",
                    p.request.mn,
                    p.request.command,
                    exe.code()
                );
            }
            let _ = p.request.done.send(outcome);
        }
        self.queued.pop_front()
    }

    /// A 9011 or 9012 from the logger: the answer to the pending command when its QN is the
    /// command's. Returns the next command to write when this one is done.
    pub(super) fn answer(&mut self, packet: &Packet<'_>) -> Option<CommandRequest> {
        let p = self.pending.as_mut()?;
        if packet.qn.as_deref() != Some(p.qn.as_str()) {
            return None;
        }
        if packet.cn == Command::RequestReply {
            match packet.cp.get("QnRtn").and_then(QnRtn::from_text) {
                Some(QnRtn::Ready) => {
                    p.ready = true;
                    p.deadline = tokio::time::Instant::now() + ANSWER_TIMEOUT;
                    None
                }
                rtn => {
                    let refused = CommandError::Refused {
                        mn: p.request.mn.clone(),
                        command: p.request.command.command(),
                        rtn: rtn.unwrap_or(QnRtn::Unknown),
                    };
                    self.finish(Err(refused))
                }
            }
        } else {
            let exe = packet.cp.get("ExeRtn").and_then(ExeRtn::from_text);
            self.finish(Ok(exe.unwrap_or(ExeRtn::Failed)))
        }
    }

    /// The pending command's answer did not come in time; returns the next command to write.
    pub(super) fn timed_out(&mut self) -> Option<CommandRequest> {
        let p = self.pending.as_ref()?;
        let timeout = CommandError::Timeout {
            mn: p.request.mn.clone(),
            command: p.request.command.command(),
        };
        self.finish(Err(timeout))
    }

    /// The connection closed: every command waiting here ends so.
    pub(super) fn close(mut self) {
        let waiting = self.pending.take().map(|p| p.request);
        for request in waiting.into_iter().chain(self.queued) {
            let _ = request.done.send(Err(CommandError::Closed(request.mn)));
        }
    }
}

/// The sessions that can carry commands, by the MNs they are logged in as.
#[derive(Debug, Default)]
pub(super) struct Routes(Mutex<HashMap<String, mpsc::Sender<CommandRequest>>>);

impl Routes {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, mpsc::Sender<CommandRequest>>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Commands for `mn` go to `tx` (the newest connection of a logger wins).
    pub(super) fn register(&self, mn: &str, tx: &mpsc::Sender<CommandRequest>) {
        self.lock().insert(mn.to_string(), tx.clone());
    }

    /// The MNs that have a session, sorted.
    pub(super) fn connected(&self) -> Vec<String> {
        let mut mns: Vec<String> = self.lock().keys().cloned().collect();
        mns.sort();
        mns
    }

    /// The session of `tx` ended: its MNs no longer route to it.
    pub(super) fn unregister(&self, mn: &str, tx: &mpsc::Sender<CommandRequest>) {
        let mut routes = self.lock();
        if routes.get(mn).is_some_and(|t| t.same_channel(tx)) {
            routes.remove(mn);
        }
    }

    /// Sends `command` to `mn`'s session and waits for the outcome, sending it again after a
    /// timeout, [`RETRIES`] times.
    pub(super) async fn send(&self, mn: &str, command: LoggerCommand) -> CommandOutcome {
        let mut attempt = 0;
        loop {
            let session = self.lock().get(mn).cloned();
            let Some(session) = session else {
                return Err(CommandError::NotConnected(mn.to_string()));
            };
            let (done, outcome) = oneshot::channel();
            let request = CommandRequest {
                mn: mn.to_string(),
                command,
                done,
            };
            if session.send(request).await.is_err() {
                return Err(CommandError::NotConnected(mn.to_string()));
            }
            match outcome.await {
                Ok(Err(CommandError::Timeout { .. })) if attempt < RETRIES => attempt += 1,
                Ok(result) => return result,
                Err(_) => return Err(CommandError::Closed(mn.to_string())),
            }
        }
    }
}

/// A command the platform sends a logger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoggerCommand {
    /// 1012: set the logger's clock to this time (sent as local time of its station).
    SetTime(DateTime<Utc>),
    /// 1012 with the platform's time when the packet is written (a resend carries the time
    /// of the resend): what clock calibration sends.
    SyncClock,
    /// 1062: send real-time data (2011) at this interval.
    SetRtdInterval(RtdInterval),
}

impl LoggerCommand {
    /// Its command code.
    pub const fn command(self) -> Command {
        match self {
            LoggerCommand::SetTime(_) | LoggerCommand::SyncClock => Command::SetTime,
            LoggerCommand::SetRtdInterval(_) => Command::SetRtdInterval,
        }
    }
}

impl std::fmt::Display for LoggerCommand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoggerCommand::SetTime(t) => write!(f, "set time ({}) to {t}", self.command()),
            LoggerCommand::SyncClock => {
                write!(f, "set time ({}) to the platform's", self.command())
            }
            LoggerCommand::SetRtdInterval(i) => {
                let s = i.seconds();
                write!(f, "set real-time interval ({}) to {s} s", self.command())
            }
        }
    }
}

/// The request packet of `command` written at `now` for the logger `mn` (PW `pw`) of system
/// `st` whose station keeps time in `zone`, numbered `qn`, asking for replies (Flag A bit:
/// 9011, then 9012).
pub(super) fn command_packet(
    command: LoggerCommand,
    now: DateTime<Utc>,
    qn: &str,
    st: SystemCode,
    zone: Tz,
    mn: &str,
    pw: &str,
) -> Result<Vec<u8>, EncodeError> {
    let mut cp = Cp::new();
    match command {
        LoggerCommand::SetTime(time) => cp.push("SystemTime", format_data_time(time, zone)),
        LoggerCommand::SyncClock => cp.push("SystemTime", format_data_time(now, zone)),
        LoggerCommand::SetRtdInterval(interval) => {
            cp.push("RtdInterval", interval.seconds().to_string())
        }
    };
    Packet::new(qn, st, command.command(), pw, mn, true, cp).encode()
}

/// A new QN (request number) for a command sent at `now`.
pub(super) fn new_qn(now: DateTime<Utc>, zone: Tz) -> String {
    format_qn(now, zone)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hj212::{Mode, parse};

    fn request(mn: &str) -> (CommandRequest, oneshot::Receiver<CommandOutcome>) {
        let (done, outcome) = oneshot::channel();
        let command = LoggerCommand::SyncClock;
        let mn = mn.to_string();
        (CommandRequest { mn, command, done }, outcome)
    }

    #[tokio::test]
    async fn one_command_at_a_time_the_others_queued_boundedly() {
        let mut outbox = Outbox::default();
        let (first, first_outcome) = request("A");
        let first = outbox.admit(first).expect("idle: written at once");
        outbox.sent(first, "1".into());
        assert!(outbox.deadline().is_some());
        let mut waiting = Vec::new();
        for _ in 0..QUEUED {
            let (r, outcome) = request("B");
            assert!(outbox.admit(r).is_none());
            waiting.push(outcome);
        }
        let (extra, extra_outcome) = request("C");
        assert!(outbox.admit(extra).is_none());
        assert_eq!(extra_outcome.await, Ok(Err(CommandError::Busy("C".into()))));
        assert!(outbox.next_queued().is_none(), "one is being answered");
        // The first times out: the next queued goes.
        let next = outbox.timed_out().expect("the next");
        assert_eq!(next.mn, "B");
        assert!(matches!(
            first_outcome.await,
            Ok(Err(CommandError::Timeout { .. }))
        ));
        outbox.sent(next, "2".into());
        outbox.close();
        for outcome in waiting {
            assert_eq!(outcome.await, Ok(Err(CommandError::Closed("B".into()))));
        }
    }

    #[test]
    fn commands_carry_local_time_and_ask_for_replies() {
        let at: DateTime<Utc> = "2026-03-01T00:30:15Z".parse().unwrap();
        let zone = chrono_tz::Asia::Shanghai;
        let qn = new_qn(at, zone);
        assert_eq!(qn, "20260301083015000");
        let (mn, pw) = ("8888800000001", "123456");
        let command = LoggerCommand::SetTime(at);
        let st = SystemCode::AirQuality;
        let packet = command_packet(command, at, &qn, st, zone, mn, pw).unwrap();
        let decoded = parse(&packet, Mode::Strict).unwrap().packet;
        assert_eq!(decoded.cn, Command::SetTime);
        assert_eq!(decoded.cp.get("SystemTime"), Some("20260301083015"));
        let later = at + chrono::TimeDelta::seconds(20);
        let sync = command_packet(LoggerCommand::SyncClock, later, &qn, st, zone, mn, pw).unwrap();
        let decoded = parse(&sync, Mode::Strict).unwrap().packet;
        assert_eq!(decoded.cp.get("SystemTime"), Some("20260301083035"));
        assert_eq!(decoded.mn.as_deref(), Some(mn));
        assert!(decoded.needs_reply());
        let command = LoggerCommand::SetRtdInterval(RtdInterval::from_seconds(60).unwrap());
        let packet = command_packet(command, at, &qn, st, zone, mn, pw).unwrap();
        let decoded = parse(&packet, Mode::Strict).unwrap().packet;
        assert_eq!(decoded.cn, Command::SetRtdInterval);
        assert_eq!(decoded.cp.get("RtdInterval"), Some("60"));
    }
}
