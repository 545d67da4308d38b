//! Opening Modbus connections: TCP, RTU on a serial port, RTU through a TCP serial gateway.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_modbus::Slave;
use tokio_modbus::client::{Context, rtu, tcp};

use crate::registry::Transport;

/// An open connection.
pub struct Link {
    /// The Modbus client.
    pub ctx: Context,
    /// Set when the device closed the connection. tokio-modbus 0.17 reports a peer's close
    /// as `io::Error::last_os_error()` (a stale, unrelated errno), so the stream itself
    /// records it to let errors say what happened.
    pub closed_by_peer: Arc<AtomicBool>,
}

/// Opens a client connection for `transport`, addressed to unit `unit`, within `timeout`.
///
/// TCP connections get `TCP_NODELAY`: a Modbus request is one small segment and Nagle's
/// algorithm would hold it back waiting for an acknowledgement.
pub async fn connect(transport: &Transport, unit: u8, timeout: Duration) -> io::Result<Link> {
    let slave = Slave(unit);
    let closed_by_peer = Arc::new(AtomicBool::new(false));
    let attempt = async {
        match transport {
            Transport::Tcp { address } => {
                let stream = tcp_stream(address, &closed_by_peer).await?;
                io::Result::Ok(tcp::attach_slave(stream, slave))
            }
            Transport::RtuOverTcp { address } => {
                let stream = tcp_stream(address, &closed_by_peer).await?;
                Ok(rtu::attach_slave(stream, slave))
            }
            Transport::Rtu { path, baud } => {
                let builder = tokio_serial::new(path.to_string_lossy(), *baud);
                let port = tokio_serial::SerialStream::open(&builder).map_err(io::Error::from)?;
                Ok(rtu::attach_slave(port, slave))
            }
        }
    };
    match tokio::time::timeout(timeout, attempt).await {
        Ok(ctx) => Ok(Link {
            ctx: ctx?,
            closed_by_peer,
        }),
        Err(_) => Err(io::Error::new(io::ErrorKind::TimedOut, "connect timed out")),
    }
}

async fn tcp_stream(address: &str, closed: &Arc<AtomicBool>) -> io::Result<WatchedStream> {
    let stream = TcpStream::connect(address).await?;
    stream.set_nodelay(true)?;
    Ok(WatchedStream {
        inner: stream,
        closed: closed.clone(),
    })
}

/// A TCP stream that notes end-of-file.
#[derive(Debug)]
struct WatchedStream {
    inner: TcpStream,
    closed: Arc<AtomicBool>,
}

impl AsyncRead for WatchedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let poll = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(result) = &poll {
            let eof = buf.filled().len() == before && buf.remaining() > 0;
            if result.is_err() || eof {
                self.closed.store(true, Ordering::Relaxed);
            }
        }
        poll
    }
}

impl AsyncWrite for WatchedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
