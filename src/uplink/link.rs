//! One TCP connection to a platform: write a packet, wait for its acknowledgement.
//!
//! What the platform sends is framed by the codec's [`Framer`] (memory bounded by the
//! longest packet) and parsed leniently; an acknowledgement is a 9014 carrying the upload's
//! own QN (HJ 212-2017 Table C.16), a refusal a 9011 with that QN and a `QnRtn` other than 1.
//! Anything else — a late 9014 of an earlier try, a command of the platform's, garbage — is
//! logged and passed over: the uplink sends data, it does not execute the platform's
//! commands. All waits are real time.

use std::io;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout_at};

use crate::hj212::{Command, FrameEvent, Framer, Mode, QnRtn, parse};

/// What came back for a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answer {
    /// 9014: the platform has it.
    Acknowledged,
    /// 9011 with this `QnRtn` (not 1): the platform refuses it.
    Refused(QnRtn),
    /// Nothing in time.
    TimedOut,
}

/// Why a connection is unusable.
#[derive(Debug, thiserror::Error)]
pub(crate) enum LinkError {
    /// Connecting failed (refused, unreachable, timed out).
    #[error("cannot connect to {address}: {source}")]
    Connect {
        /// The platform.
        address: String,
        /// Why.
        source: io::Error,
    },
    /// The platform closed the connection.
    #[error("the platform closed the connection")]
    Closed,
    /// Reading or writing failed.
    #[error("connection to the platform failed: {0}")]
    Io(#[from] io::Error),
}

/// An open connection.
#[derive(Debug)]
pub(crate) struct Link {
    stream: TcpStream,
    framer: Framer,
    buf: Box<[u8]>,
}

impl Link {
    /// Connects to `address` within `timeout`.
    pub(crate) async fn connect(address: &str, timeout: Duration) -> Result<Link, LinkError> {
        let failed = |source| LinkError::Connect {
            address: address.to_string(),
            source,
        };
        let stream = tokio::time::timeout(timeout, TcpStream::connect(address))
            .await
            .map_err(|_| failed(io::Error::new(io::ErrorKind::TimedOut, "timed out")))?
            .map_err(failed)?;
        stream.set_nodelay(true)?;
        Ok(Link {
            stream,
            framer: Framer::new(),
            buf: vec![0; 4096].into_boxed_slice(),
        })
    }

    /// Writes a whole packet within `timeout`.
    pub(crate) async fn send(&mut self, packet: &[u8], timeout: Duration) -> Result<(), LinkError> {
        tokio::time::timeout(timeout, self.stream.write_all(packet))
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "write timed out"))??;
        Ok(())
    }

    /// Waits up to `timeout` for the answer to the upload with request number `qn`.
    pub(crate) async fn answer(
        &mut self,
        qn: &str,
        timeout: Duration,
    ) -> Result<Answer, LinkError> {
        let deadline = Instant::now() + timeout;
        loop {
            while let Some(event) = self.framer.next_event() {
                if let Some(answer) = answer_in(&event, qn) {
                    return Ok(answer);
                }
            }
            match timeout_at(deadline, self.stream.read(&mut self.buf)).await {
                Err(_) => return Ok(Answer::TimedOut),
                Ok(Ok(0)) => return Err(LinkError::Closed),
                Ok(Ok(n)) => self.framer.push(&self.buf[..n]),
                Ok(Err(e)) => return Err(e.into()),
            }
        }
    }

    /// Reads and passes over whatever the platform sends until `deadline` (while there is
    /// nothing to send), so that a closed connection is noticed and the buffer kept small.
    pub(crate) async fn idle_until(&mut self, deadline: Instant) -> Result<(), LinkError> {
        loop {
            while let Some(event) = self.framer.next_event() {
                let _ = answer_in(&event, "");
            }
            match timeout_at(deadline, self.stream.read(&mut self.buf)).await {
                Err(_) => return Ok(()),
                Ok(Ok(0)) => return Err(LinkError::Closed),
                Ok(Ok(n)) => self.framer.push(&self.buf[..n]),
                Ok(Err(e)) => return Err(e.into()),
            }
        }
    }
}

/// The answer to `qn` that `event` is, if it is one.
fn answer_in(event: &FrameEvent, qn: &str) -> Option<Answer> {
    let frame = match event {
        FrameEvent::Frame(frame) => frame,
        FrameEvent::Skipped { len, reason } => {
            tracing::debug!("uplink: {len} bytes from the platform skipped ({reason:?})");
            return None;
        }
    };
    let decoded = match parse(frame, Mode::Lenient) {
        Ok(d) => d,
        Err(e) => {
            tracing::debug!("uplink: unreadable packet from the platform: {e}");
            return None;
        }
    };
    let packet = decoded.packet;
    let ours = packet.qn.as_deref() == Some(qn)
        || (packet.qn.is_none() && packet.cp.get("QN") == Some(qn));
    match packet.cn {
        Command::DataAck if ours => Some(Answer::Acknowledged),
        Command::RequestReply if ours => match packet.cp.get("QnRtn").and_then(QnRtn::from_text) {
            Some(QnRtn::Ready) => None,
            Some(refusal) => Some(Answer::Refused(refusal)),
            None => Some(Answer::Refused(QnRtn::Unknown)),
        },
        cn => {
            tracing::debug!(
                "uplink: packet CN={cn} QN={:?} from the platform passed over",
                packet.qn
            );
            None
        }
    }
}
