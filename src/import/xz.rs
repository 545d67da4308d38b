//! Reading an `.xz` file as a stream, with the pure-Rust `lzma-rs` decoder (no liblzma).
//!
//! `lzma-rs` decodes xz into a writer, not as a reader; the decoder therefore runs on its own
//! thread and hands its output over a bounded channel of chunks, so that at most
//! [`CHANNEL_CHUNKS`] × [`CHUNK`] bytes are held however large the file is. When the reader is
//! dropped early the channel closes, the decoder's next write fails and the thread ends.

use std::io::{self, BufReader, Read, Write};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

/// Bytes per chunk handed from the decoder to the reader.
const CHUNK: usize = 64 * 1024;
/// Chunks in flight at most.
const CHANNEL_CHUNKS: usize = 16;

/// The decompressed bytes of an xz stream.
pub(super) struct XzReader {
    chunks: Receiver<Vec<u8>>,
    current: Vec<u8>,
    at: usize,
    decoder: Option<JoinHandle<io::Result<()>>>,
}

/// The decoder's output: buffers up to [`CHUNK`] bytes, then sends them.
struct ChunkWriter {
    tx: SyncSender<Vec<u8>>,
    buf: Vec<u8>,
}

impl ChunkWriter {
    fn send(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let full = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK));
        self.tx
            .send(full)
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "reader gone"))
    }
}

impl Write for ChunkWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let n = data.len().min(CHUNK - self.buf.len());
        self.buf.extend_from_slice(&data[..n]);
        if self.buf.len() == CHUNK {
            self.send()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

impl XzReader {
    /// Starts decoding `source`.
    pub(super) fn new(source: impl Read + Send + 'static) -> XzReader {
        let (tx, rx) = sync_channel(CHANNEL_CHUNKS);
        let decoder = std::thread::spawn(move || {
            let mut input = BufReader::new(source);
            let mut out = ChunkWriter {
                tx,
                buf: Vec::with_capacity(CHUNK),
            };
            lzma_rs::xz_decompress(&mut input, &mut out).map_err(|e| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("corrupt or truncated xz stream: {e}"),
                )
            })?;
            out.flush()
        });
        XzReader {
            chunks: rx,
            current: Vec::new(),
            at: 0,
            decoder: Some(decoder),
        }
    }

    /// The decoder's outcome once its output has ended.
    fn finish(&mut self) -> io::Result<()> {
        match self.decoder.take() {
            Some(handle) => handle
                .join()
                .map_err(|_| io::Error::other("the xz decoder panicked"))?,
            None => Ok(()),
        }
    }
}

impl Read for XzReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at == self.current.len() {
            match self.chunks.recv() {
                Ok(chunk) => {
                    self.current = chunk;
                    self.at = 0;
                }
                Err(_) => {
                    self.finish()?;
                    return Ok(0);
                }
            }
        }
        let n = buf.len().min(self.current.len() - self.at);
        buf[..n].copy_from_slice(&self.current[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compress(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        lzma_rs::xz_compress(&mut io::Cursor::new(data), &mut out).expect("compress");
        out
    }

    #[test]
    fn round_trips_more_than_the_channel_holds() {
        let data: Vec<u8> = (0..(CHUNK * CHANNEL_CHUNKS * 2 + 123))
            .map(|i| (i % 251) as u8)
            .collect();
        let mut back = Vec::new();
        XzReader::new(io::Cursor::new(compress(&data)))
            .read_to_end(&mut back)
            .expect("read");
        assert_eq!(back, data);
    }

    #[test]
    fn a_corrupt_stream_is_an_error_not_a_short_file() {
        let mut xz = compress(b"time_local,station_code\n2019-01-01 01:00,1001A\n");
        let n = xz.len();
        xz.truncate(n - 10);
        let err = XzReader::new(io::Cursor::new(xz))
            .read_to_end(&mut Vec::new())
            .expect_err("truncated");
        assert!(err.to_string().contains("xz stream"), "{err}");
    }

    #[test]
    fn dropping_the_reader_early_ends_the_decoder() {
        let data = vec![b'x'; CHUNK * CHANNEL_CHUNKS * 4];
        let mut reader = XzReader::new(io::Cursor::new(compress(&data)));
        let mut first = [0u8; 10];
        reader.read_exact(&mut first).expect("read");
        let handle = reader.decoder.take().expect("running");
        drop(reader);
        assert!(handle.join().expect("no panic").is_err());
    }
}
