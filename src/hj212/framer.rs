//! A stream framer for HJ 212 over TCP: bytes in as they arrive ([`Framer::push`]), whole
//! packets out ([`Framer::next_event`]), with what was skipped reported as typed events.
//!
//! A frame starts at `##` and ends
//! 1. after the CRC its length field points at, when the length field is four digits, the
//!    data segment it delimits ends with `&&` and four hexadecimal digits follow — with the CR
//!    LF that follows it, if one does (when nothing follows yet the framer waits for more, or
//!    for [`Framer::flush`] when the line goes quiet);
//! 2. otherwise at the first CR LF;
//! 3. otherwise just before the next `##` (a packet sent without CR LF).
//!
//! Bytes before a `##` are garbage and skipped; a start that finds no end within the maximum
//! packet length is skipped too, and the search starts again at the next `##`. The buffer
//! never holds more than the maximum packet length plus one push.

use super::MAX_PACKET_LEN;
use super::crc::parse_crc;

/// What the framer hands out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameEvent {
    /// A complete frame, from `##` to its CR LF (or its end, without CR LF).
    Frame(Vec<u8>),
    /// Bytes that were skipped.
    Skipped {
        /// How many bytes.
        len: usize,
        /// Why.
        reason: SkipReason,
    },
}

/// Why bytes were skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SkipReason {
    /// Bytes that do not start with `##` (noise, the tail of a packet whose start was lost).
    Garbage,
    /// A `##` with no end within the maximum packet length: dropped up to the next `##`.
    Oversized,
}

/// Counters of what a framer has seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FramerStats {
    /// Frames handed out.
    pub frames: u64,
    /// Bytes skipped as garbage.
    pub garbage_bytes: u64,
    /// Bytes skipped as oversized.
    pub oversized_bytes: u64,
}

/// The framer of one connection.
#[derive(Debug, Clone)]
pub struct Framer {
    buf: Vec<u8>,
    start: usize,
    /// How far from `start` the search for the current frame's end has looked without
    /// finding one: the next search goes on from there, so bytes that trickle in one at a
    /// time cost linear, not quadratic, time.
    scanned: usize,
    max_len: usize,
    stats: FramerStats,
}

impl Default for Framer {
    fn default() -> Self {
        Framer::new()
    }
}

impl Framer {
    /// A framer for packets of at most [`MAX_PACKET_LEN`] bytes (`##` + 4 + 1024 + CRC 4 +
    /// CR LF 2).
    pub fn new() -> Framer {
        Framer::with_max_len(MAX_PACKET_LEN)
    }

    /// A framer for packets of at most `max_len` bytes (at least 12).
    pub fn with_max_len(max_len: usize) -> Framer {
        Framer {
            buf: Vec::new(),
            start: 0,
            scanned: 0,
            max_len: max_len.max(12),
            stats: FramerStats::default(),
        }
    }

    /// Appends bytes as they were read. Take the events with [`Framer::next_event`] before the
    /// next push to keep the buffer within the maximum packet length plus one read.
    pub fn push(&mut self, data: &[u8]) {
        if self.start > 0 && (self.start >= self.buf.len() / 2 || self.start > self.max_len) {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(data);
    }

    /// The bytes held, not yet handed out.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.start
    }

    /// What the framer has seen so far.
    pub fn stats(&self) -> FramerStats {
        self.stats
    }

    /// The next frame or skip, or `None` when more bytes are needed.
    pub fn next_event(&mut self) -> Option<FrameEvent> {
        let data = &self.buf[self.start..];
        if data.is_empty() {
            return None;
        }
        if !data.starts_with(b"##") {
            // Garbage up to the next `##` (a trailing `#` may start one).
            let len = match find2(data, b'#', b'#', 0) {
                Some(at) => at,
                None if data.ends_with(b"#") => data.len() - 1,
                None => data.len(),
            };
            if len == 0 {
                return None;
            }
            return Some(self.skip(len, SkipReason::Garbage));
        }
        match frame_end(data, self.max_len, self.scanned) {
            End::Complete(len) => Some(self.take(len)),
            End::Incomplete if data.len() > self.max_len => {
                // No end within the maximum: drop this start, resynchronise at the next `##`.
                let len = find2(data, b'#', b'#', 2).unwrap_or(data.len());
                Some(self.skip(len, SkipReason::Oversized))
            }
            End::Incomplete | End::WaitingForCrlf(_) => {
                // A CR LF or `##` may straddle the end: look again at the last byte.
                self.scanned = data.len().min(self.max_len).saturating_sub(1);
                None
            }
        }
    }

    /// The line went quiet: hands out a frame that is complete by its length field but still
    /// waiting for a CR LF that may never come.
    pub fn flush(&mut self) -> Option<FrameEvent> {
        match frame_end(&self.buf[self.start..], self.max_len, self.scanned) {
            End::WaitingForCrlf(len) => Some(self.take(len)),
            _ => None,
        }
    }

    /// The stream ended: hands out what is left — a frame when it starts with `##` (the parser
    /// says what is wrong with it), otherwise skipped garbage. Call until `None`.
    pub fn finish(&mut self) -> Option<FrameEvent> {
        if let Some(event) = self.next_event().or_else(|| self.flush()) {
            return Some(event);
        }
        let len = self.buffered();
        if len == 0 {
            None
        } else if self.buf[self.start..].starts_with(b"##") {
            Some(self.take(len))
        } else {
            Some(self.skip(len, SkipReason::Garbage))
        }
    }

    fn take(&mut self, len: usize) -> FrameEvent {
        let frame = self.buf[self.start..self.start + len].to_vec();
        self.advance(len);
        self.stats.frames += 1;
        FrameEvent::Frame(frame)
    }

    fn skip(&mut self, len: usize, reason: SkipReason) -> FrameEvent {
        self.advance(len);
        match reason {
            SkipReason::Garbage => self.stats.garbage_bytes += len as u64,
            SkipReason::Oversized => self.stats.oversized_bytes += len as u64,
        }
        FrameEvent::Skipped { len, reason }
    }

    fn advance(&mut self, len: usize) {
        self.start += len;
        self.scanned = 0;
        if self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        }
    }
}

/// Where a frame starting at `data[0..2] == "##"` ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// The frame is `data[..len]`.
    Complete(usize),
    /// Complete by its length field at `data[..len]`, nothing after it yet.
    WaitingForCrlf(usize),
    /// More bytes are needed.
    Incomplete,
}

/// `scanned`: how far earlier searches looked and found no CR LF and no `##`.
fn frame_end(data: &[u8], max_len: usize, scanned: usize) -> End {
    let window = &data[..data.len().min(max_len)];
    let from = scanned.max(2);
    let crlf = find2(window, b'\r', b'\n', from);
    let next_start = find2(window, b'#', b'#', from);
    // The earliest end wins: a CR LF or a new `##` before the length field's end means that
    // the length field is wrong.
    if let Some(end) = length_end(window)
        .filter(|&end| crlf.is_none_or(|at| at >= end) && next_start.is_none_or(|at| at >= end))
    {
        return match &data[end..] {
            [] | [b'\r'] => End::WaitingForCrlf(end),
            [b'\r', b'\n', ..] => End::Complete(end + 2),
            _ => End::Complete(end),
        };
    }
    match (crlf, next_start) {
        (Some(crlf), Some(next)) if next < crlf => End::Complete(next),
        (Some(crlf), _) => End::Complete(crlf + 2),
        (None, Some(next)) => End::Complete(next),
        (None, None) => End::Incomplete,
    }
}

/// The end of the CRC the length field points at, when it checks out: four digits, the data
/// segment ends with `&&`, four hexadecimal digits follow it.
fn length_end(data: &[u8]) -> Option<usize> {
    let digits = data.get(2..6)?;
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let len = digits
        .iter()
        .fold(0usize, |n, d| n * 10 + usize::from(d - b'0'));
    let segment_end = 6 + len;
    let crc = data.get(segment_end..segment_end + 4)?;
    (len >= 2 && &data[segment_end - 2..segment_end] == b"&&" && parse_crc(crc).is_some())
        .then_some(segment_end + 4)
}

/// The first position ≥ `from` of the two bytes `a b`.
fn find2(data: &[u8], a: u8, b: u8, from: usize) -> Option<usize> {
    let hay = data.get(from..)?;
    memchr::memmem::find(hay, &[a, b]).map(|at| at + from)
}

#[cfg(test)]
mod tests {
    use super::*;

    const P1: &[u8] = b"##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&1C80\r\n";

    fn drain(framer: &mut Framer) -> Vec<FrameEvent> {
        std::iter::from_fn(|| framer.next_event()).collect()
    }

    #[test]
    fn split_reads_several_packets_and_garbage() {
        let mut stream = b"noise".to_vec();
        stream.extend_from_slice(P1);
        stream.extend_from_slice(P1);
        let mut framer = Framer::new();
        let mut events = Vec::new();
        for chunk in stream.chunks(7) {
            framer.push(chunk);
            events.extend(drain(&mut framer));
        }
        assert_eq!(
            events,
            vec![
                FrameEvent::Skipped {
                    len: 5,
                    reason: SkipReason::Garbage
                },
                FrameEvent::Frame(P1.to_vec()),
                FrameEvent::Frame(P1.to_vec()),
            ]
        );
        assert_eq!(framer.buffered(), 0);
        assert_eq!(framer.stats().frames, 2);
    }

    #[test]
    fn frames_without_crlf() {
        let bare = &P1[..P1.len() - 2];
        // Closed by the length field when the next packet follows.
        let mut framer = Framer::new();
        framer.push(bare);
        assert_eq!(framer.next_event(), None);
        framer.push(b"#");
        assert_eq!(framer.next_event(), Some(FrameEvent::Frame(bare.to_vec())));
        // Waiting for CR LF: handed out by flush when the line goes quiet.
        let mut framer = Framer::new();
        framer.push(bare);
        assert_eq!(framer.flush(), Some(FrameEvent::Frame(bare.to_vec())));
        // A wrong length and no CR LF: closed by the next `##`.
        let mut wrong = bare.to_vec();
        wrong[5] = b'9';
        let mut framer = Framer::new();
        framer.push(&wrong);
        framer.push(P1);
        assert_eq!(
            drain(&mut framer),
            vec![
                FrameEvent::Frame(wrong.clone()),
                FrameEvent::Frame(P1.to_vec())
            ]
        );
    }

    #[test]
    fn oversized_start_is_dropped_and_memory_stays_bounded() {
        let mut framer = Framer::with_max_len(200);
        framer.push(b"##0999");
        for _ in 0..100 {
            framer.push(&[b'x'; 50]);
            drain(&mut framer);
            assert!(framer.buffered() <= 250);
        }
        framer.push(P1);
        let events = drain(&mut framer);
        assert_eq!(events.last(), Some(&FrameEvent::Frame(P1.to_vec())));
        assert!(framer.stats().oversized_bytes + framer.stats().garbage_bytes >= 5000);
    }

    #[test]
    fn finish_hands_out_the_rest() {
        let mut framer = Framer::new();
        framer.push(b"##0010QN=1;");
        assert_eq!(framer.next_event(), None);
        assert_eq!(
            framer.finish(),
            Some(FrameEvent::Frame(b"##0010QN=1;".to_vec()))
        );
        assert_eq!(framer.finish(), None);
    }
}
