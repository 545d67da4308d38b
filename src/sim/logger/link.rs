//! One simulated logger's connection to its platform: writing a packet the way the fault
//! schedule says (a wrong CRC, in pieces, twice, garbage before it) and waiting for the 9014
//! acknowledgement that carries its QN.

use std::io;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::hj212::{Command, FrameEvent, Framer, Mode, parse};
use crate::sim::environment::LinkFaults;

/// Bytes that are no packet, written before each packet under a `garbage` fault: a `#`, a
/// false start and a line end, which a framer must skip.
const GARBAGE: &[u8] = b"\x00\xff#GARBAGE##12x\r\n";

/// The pause between the pieces of a packet under a `split` fault (real time).
const SPLIT_PAUSE: Duration = Duration::from_millis(20);

/// How long a connection attempt may take (real time).
pub(super) const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// What became of waiting for an acknowledgement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum AckOutcome {
    /// The 9014 with the packet's QN came.
    Acknowledged,
    /// Nothing with the QN came in time.
    TimedOut,
    /// The platform closed the connection (or it broke).
    Closed,
}

/// An open connection to the platform.
pub(super) struct Link {
    stream: TcpStream,
    framer: Framer,
}

impl Link {
    /// Connects to `address` (within [`CONNECT_TIMEOUT`]).
    pub(super) async fn connect(address: &str) -> io::Result<Link> {
        let stream = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(address))
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "connect timed out"))??;
        stream.set_nodelay(true)?;
        Ok(Link {
            stream,
            framer: Framer::new(),
        })
    }

    /// Writes `packet` as the faults say; `first` is its first transmission (only that one
    /// gets a wrong CRC).
    pub(super) async fn send(
        &mut self,
        packet: &[u8],
        faults: LinkFaults,
        garbage: bool,
        first: bool,
    ) -> io::Result<()> {
        let corrupted;
        let bytes = if faults.bad_crc && first {
            corrupted = with_wrong_crc(packet);
            &corrupted[..]
        } else {
            packet
        };
        if garbage {
            self.stream.write_all(GARBAGE).await?;
        }
        let copies = if faults.resend { 2 } else { 1 };
        for _ in 0..copies {
            if faults.split {
                let third = bytes.len() / 3;
                for piece in [
                    &bytes[..third],
                    &bytes[third..2 * third],
                    &bytes[2 * third..],
                ] {
                    self.stream.write_all(piece).await?;
                    self.stream.flush().await?;
                    tokio::time::sleep(SPLIT_PAUSE).await;
                }
            } else {
                self.stream.write_all(bytes).await?;
            }
        }
        self.stream.flush().await
    }

    /// Reads until the platform acknowledges `qn` (a valid 9014 carrying it), at most
    /// `timeout`. Anything else the platform sends is skipped.
    pub(super) async fn wait_ack(&mut self, qn: &str, timeout: Duration) -> AckOutcome {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut buf = [0u8; 2048];
        loop {
            while let Some(event) = self.framer.next_event() {
                let FrameEvent::Frame(bytes) = event else {
                    continue;
                };
                let Ok(decoded) = parse(&bytes, Mode::Strict) else {
                    tracing::debug!("simulated logger: unreadable packet from the platform");
                    continue;
                };
                let p = decoded.packet;
                if p.cn == Command::DataAck && p.qn.as_deref() == Some(qn) {
                    return AckOutcome::Acknowledged;
                }
            }
            match tokio::time::timeout_at(deadline, self.stream.read(&mut buf)).await {
                Err(_) => return AckOutcome::TimedOut,
                Ok(Ok(0) | Err(_)) => return AckOutcome::Closed,
                Ok(Ok(n)) => self.framer.push(&buf[..n]),
            }
        }
    }

    /// Closes the connection.
    pub(super) async fn close(mut self) {
        let _ = self.stream.shutdown().await;
    }
}

/// `packet` with a different (still upper-case hex) CRC.
fn with_wrong_crc(packet: &[u8]) -> Vec<u8> {
    let mut out = packet.to_vec();
    let n = out.len();
    if n >= 6 {
        let field = std::str::from_utf8(&out[n - 6..n - 2])
            .ok()
            .and_then(|t| u16::from_str_radix(t, 16).ok())
            .unwrap_or(0);
        out[n - 6..n - 2].copy_from_slice(format!("{:04X}", field ^ 0x5A5A).as_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrong_crc_differs_and_keeps_the_form() {
        let packet = b"##0010QN=1;CP=&&&&1C80\r\n";
        let bad = with_wrong_crc(packet);
        assert_eq!(&bad[..bad.len() - 6], &packet[..packet.len() - 6]);
        assert_eq!(&bad[bad.len() - 6..], b"46DA\r\n");
    }
}
