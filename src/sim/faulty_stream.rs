//! A TCP stream wrapper through which the simulator breaks a connection on purpose: it can
//! cut the connection (a device going offline), abort it with a reset, or replace the next
//! response frame with noise (a garbled frame, as from a failing serial gateway).

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// Switches shared between a connection's Modbus service and its stream.
#[derive(Debug, Default)]
pub(super) struct Sabotage {
    cut: AtomicBool,
    reset: AtomicBool,
    garble_next: AtomicBool,
}

impl Sabotage {
    /// Closes the connection at the next read or write.
    pub(super) fn cut(&self) {
        self.cut.store(true, Ordering::Relaxed);
    }

    /// Aborts the connection at the next read or write: the peer gets a TCP reset.
    pub(super) fn reset(&self) {
        self.reset.store(true, Ordering::Relaxed);
        self.cut();
    }

    /// Replaces the next frame written with noise of the same length.
    pub(super) fn garble_next(&self) {
        self.garble_next.store(true, Ordering::Relaxed);
    }
}

/// A TCP stream that obeys a [`Sabotage`].
#[derive(Debug)]
pub(super) struct FaultyStream {
    inner: TcpStream,
    sabotage: Arc<Sabotage>,
    noise: Vec<u8>,
}

impl FaultyStream {
    /// Wraps `inner`.
    pub(super) fn new(inner: TcpStream, sabotage: Arc<Sabotage>) -> Self {
        FaultyStream {
            inner,
            sabotage,
            noise: Vec::new(),
        }
    }

    /// The error that ends a cut connection. A reset sets `SO_LINGER` to zero first, so that
    /// closing the socket (the server drops it on this error) sends a RST, not a FIN.
    fn cut_error(&self) -> io::Error {
        if self.sabotage.reset.load(Ordering::Relaxed)
            && let Err(e) = self.inner.set_zero_linger()
        {
            tracing::debug!("simulated reset: cannot set SO_LINGER: {e}");
        }
        io::Error::new(
            io::ErrorKind::ConnectionReset,
            "simulated device went offline",
        )
    }
}

impl AsyncRead for FaultyStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.sabotage.cut.load(Ordering::Relaxed) {
            return Poll::Ready(Err(self.cut_error()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for FaultyStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.sabotage.cut.load(Ordering::Relaxed) {
            return Poll::Ready(Err(self.cut_error()));
        }
        if self.sabotage.garble_next.swap(false, Ordering::Relaxed) {
            let this = &mut *self;
            this.noise.clear();
            // Same length, unrelated content: header fields and payload no longer match.
            this.noise
                .extend((0..buf.len()).map(|i| (i as u8).wrapping_mul(97).wrapping_add(0x5A)));
            return Pin::new(&mut this.inner).poll_write(cx, &this.noise);
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
