//! A durable on-disk spool of record batches: the write-ahead queue between the collectors
//! and the store (store-and-forward).
//!
//! # Files
//!
//! A spool is a directory:
//!
//! - `NNNNNNNNNNNNNNNNNNNN.seg` — append-only **segments**, named by a 20-digit id that grows
//!   by one per segment. Each starts with the 8-byte magic `LTSPOOL\x01` and holds entries,
//!   one per [`Spool::append`]: `len: u32 LE` · `crc: u32 LE` (CRC-32/IEEE of the payload) ·
//!   payload (the batch; see `codec.rs` for the record encoding — exact times, NaN-preserving
//!   values, codes rather than enum positions).
//! - `HEAD` — the first unacknowledged entry (segment, offset, sequence number) with a CRC,
//!   replaced atomically (write `HEAD.tmp`, rename) on every [`Spool::ack`]. Missing or
//!   damaged, it is taken to be the start of the oldest segment: acknowledged entries are
//!   then sent again, which the store's idempotent writes (same key replaces) absorb.
//! - `LOCK` — held (`flock`) by the process that has the spool open; a second writer is
//!   refused with [`SpoolError::Locked`].
//! - `STORE` — the store the pending records are for ([`Spool::open_for`]): a spool belongs
//!   to one store, and records pending for another are refused ([`SpoolError::OtherStore`])
//!   rather than replayed into the wrong one.
//!
//! A segment is closed when the next entry would take it past the segment size (1/16 of the
//! maximum, at most 64 MiB) and removed once the head has moved past it.
//!
//! # Durability and cost
//!
//! `append` returns after `fdatasync`: an appended batch survives a kill -9 and a power
//! loss. That is one flush per append — 0.1–1 ms on an SSD, 5–30 ms on the SD cards and
//! cheap flash of field PCs — which is why the sink appends one coalesced batch per flush
//! (every 250 ms), not one per device. `ack` renames a small file without a flush.
//!
//! # Recovery
//!
//! [`Spool::open`] scans from the head. A torn last entry (an append cut off by a crash; it
//! was never acknowledged to the caller) is truncated with a warning. Any other damage — a
//! CRC mismatch with entries after it, a foreign segment header, sequence numbers out of
//! order — fails the open with [`SpoolError::Corrupt`] naming the file and offset, rather
//! than dropping complete entries silently. To go on anyway, move that segment out of the
//! directory (or rename it to `*.seg.corrupt`): its entries are then not replayed.
//!
//! # Bounds
//!
//! The segment files together never exceed `max_bytes`: an append that does not fit fails
//! with [`SpoolError::Full`] and leaves the spool unchanged. What to do then is the caller's
//! policy (the sink keeps the batch in memory and stops taking new ones: back-pressure).
//! A full filesystem is not the spool's bound: an append then fails with an I/O error for
//! which [`SpoolError::is_disk_full`] holds, leaving the spool unchanged (a part-written
//! entry is cut off, a segment that could not be started is removed), and an acknowledgement
//! keeps the persisted head where it was until there is room to move it.
//!
//! [`Spool::memory`] gives the same interface without files (nothing survives the process),
//! for pipelines configured without a spool directory and for benchmarks.

mod binding;
mod codec;
mod disk;

use std::collections::VecDeque;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::Record;
use codec::FRAME_HEADER;
use disk::{Meta, Position, SEGMENT_HEADER};

/// Default bound of a spool's files: 1 GiB (about a month of minute data of a 30-station
/// network).
pub const DEFAULT_MAX_BYTES: u64 = 1 << 30;
/// Largest segment file.
const MAX_SEGMENT: u64 = 64 << 20;

/// Errors of the spool.
#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    /// A file operation failed.
    #[error("spool {}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// A complete entry fails its checks (see the module documentation for what to do).
    #[error("spool segment {} is damaged at byte {offset}: {reason}", path.display())]
    Corrupt {
        /// The segment file.
        path: PathBuf,
        /// Offset of the bad entry (or header).
        offset: u64,
        /// What is wrong.
        reason: String,
    },
    /// The batch does not fit within the configured maximum.
    #[error("spool full: {used} of {max} bytes used, the batch needs {needed}")]
    Full {
        /// Bytes used by the segment files.
        used: u64,
        /// The configured maximum.
        max: u64,
        /// The batch's entry size.
        needed: u64,
    },
    /// Another process has the spool open.
    #[error("spool {} is in use by another process", dir.display())]
    Locked {
        /// The spool directory.
        dir: PathBuf,
    },
    /// A record cannot be encoded (e.g. a station id above 65,535 bytes).
    #[error("cannot spool a record: {0}")]
    Invalid(String),
    /// The spool holds records for another store (see [`Spool::open_for`]).
    #[error(
        "the spool {} holds {records} records for the store `{store}`, not `{wanted}`: run \
         with --store {store} to deliver them, or move the spool away",
        dir.display()
    )]
    OtherStore {
        /// The spool directory.
        dir: PathBuf,
        /// Records pending.
        records: u64,
        /// The store they are for, as the spool's `STORE` file names it.
        store: String,
        /// The store the spool was opened for.
        wanted: String,
    },
    /// `ack` was called with an entry that is not the oldest pending one.
    #[error("acknowledged entry {got}, but the oldest pending one is {expected:?}")]
    OutOfOrder {
        /// The sequence number given.
        got: u64,
        /// The oldest pending entry.
        expected: Option<u64>,
    },
}

impl SpoolError {
    /// The filesystem under the spool has no room left (`ENOSPC`, or the user's quota):
    /// nothing is wrong with the spool, and the same append succeeds once space returns.
    pub fn is_disk_full(&self) -> bool {
        matches!(self, SpoolError::Io { source, .. } if matches!(
            source.kind(),
            std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
        ))
    }
}

/// How much is pending.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Depth {
    /// Entries (batches).
    pub entries: u64,
    /// Records in them.
    pub records: u64,
    /// Their bytes on disk (frames).
    pub bytes: u64,
}

/// An entry handed out by [`Spool::peek_oldest`].
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    /// The entry's sequence number (give it to [`Spool::ack`]).
    pub seq: u64,
    /// When it was appended (wall clock).
    pub spooled_at: DateTime<Utc>,
    /// The records, as appended.
    pub records: Vec<Record>,
}

/// What [`Spool::inspect`] sees in a spool directory.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Inspection {
    /// Pending entries, records and bytes.
    pub depth: Depth,
    /// Time of the oldest pending record.
    pub oldest: Option<DateTime<Utc>>,
    /// When the oldest pending entry was appended (wall clock).
    pub oldest_spooled_at: Option<DateTime<Utc>>,
}

struct Pending {
    meta: Meta,
    /// The records (memory spools only).
    records: Option<Vec<Record>>,
}

struct Disk {
    dir: PathBuf,
    _lock: File,
    /// Segments on disk and their lengths.
    segments: std::collections::BTreeMap<u64, u64>,
    active: File,
    active_id: u64,
    reader: Option<(u64, File)>,
    head: Position,
    segment_bytes: u64,
    /// The last head could not be persisted (a full disk): said once, until it is.
    head_unsaved: bool,
}

/// A spool (see the [module documentation](self)).
pub struct Spool {
    disk: Option<Disk>,
    pending: VecDeque<Pending>,
    next_seq: u64,
    max_bytes: u64,
    depth: Depth,
    buf: Vec<u8>,
}

impl std::fmt::Debug for Spool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Spool")
            .field("dir", &self.dir())
            .field("depth", &self.depth)
            .finish()
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SpoolError + '_ {
    move |source| SpoolError::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl Spool {
    /// Opens (creating if needed) the spool in `dir`, bounded to `max_bytes`, and recovers
    /// its pending entries (see the [module documentation](self)).
    pub fn open(dir: impl AsRef<Path>, max_bytes: u64) -> Result<Spool, SpoolError> {
        let dir = dir.as_ref().to_path_buf();
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        let lock_path = dir.join("LOCK");
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io(&lock_path))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => return Err(SpoolError::Locked { dir }),
            Err(std::fs::TryLockError::Error(e)) => return Err(io(&lock_path)(e)),
        }
        let head = disk::read_head(&dir);
        let scan = disk::scan(&dir, head, true)?;
        let mut segments = scan.segments;
        let (active_id, active) = match segments.last_key_value() {
            Some((&id, _)) => {
                let path = disk::segment_path(&dir, id);
                let f = File::options()
                    .append(true)
                    .open(&path)
                    .map_err(io(&path))?;
                (id, f)
            }
            None => {
                let id = head.map_or(0, |h| h.segment + 1);
                let f = disk::create_segment(&dir, id)?;
                segments.insert(id, SEGMENT_HEADER);
                (id, f)
            }
        };
        let segment_bytes = (max_bytes / 16).clamp(4096, MAX_SEGMENT);
        let mut spool = Spool {
            disk: Some(Disk {
                dir,
                _lock: lock,
                segments,
                active,
                active_id,
                reader: None,
                // Unlike any real head: the first `collect` persists the recovered one and
                // removes segments before it.
                head: Position {
                    segment: u64::MAX,
                    offset: 0,
                    seq: 0,
                },
                segment_bytes,
                head_unsaved: false,
            }),
            pending: VecDeque::new(),
            next_seq: scan.next_seq,
            max_bytes,
            depth: Depth::default(),
            buf: Vec::new(),
        };
        for meta in scan.entries {
            spool.push(meta, None);
        }
        if spool.depth.entries > 0 {
            tracing::info!(
                "spool {}: {} records in {} batches pending from an earlier run",
                spool
                    .dir()
                    .map(|d| d.display().to_string())
                    .unwrap_or_default(),
                spool.depth.records,
                spool.depth.entries
            );
        }
        spool.collect()?;
        Ok(spool)
    }

    /// A spool in memory, bounded to `max_bytes` of encoded entries: the same behaviour,
    /// without durability.
    pub fn memory(max_bytes: u64) -> Spool {
        Spool {
            disk: None,
            pending: VecDeque::new(),
            next_seq: 0,
            max_bytes,
            depth: Depth::default(),
            buf: Vec::new(),
        }
    }

    /// Reads what is pending in the spool at `dir` without opening it for writing (another
    /// process may be appending; a torn tail is ignored, not repaired). An absent directory
    /// is an empty spool.
    pub fn inspect(dir: impl AsRef<Path>) -> Result<Inspection, SpoolError> {
        let dir = dir.as_ref();
        if !dir.is_dir() {
            return Ok(Inspection::default());
        }
        let scan = disk::scan(dir, disk::read_head(dir), false)?;
        let mut out = Inspection::default();
        for m in &scan.entries {
            out.depth.entries += 1;
            out.depth.records += u64::from(m.records);
            out.depth.bytes += m.len;
            out.oldest = min_time(out.oldest, m.oldest);
        }
        out.oldest_spooled_at = scan
            .entries
            .first()
            .and_then(|m| DateTime::from_timestamp_millis(m.spooled_at_ms));
        Ok(out)
    }

    /// The directory (`None` for a memory spool).
    pub fn dir(&self) -> Option<&Path> {
        self.disk.as_ref().map(|d| d.dir.as_path())
    }

    /// Whether entries survive the process.
    pub fn is_durable(&self) -> bool {
        self.disk.is_some()
    }

    /// The configured maximum.
    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    /// Bytes counted against the maximum: the segment files (disk), or the pending entries
    /// (memory).
    pub fn used_bytes(&self) -> u64 {
        match &self.disk {
            Some(d) => d.segments.values().sum(),
            None => self.depth.bytes,
        }
    }

    /// Pending entries, records and bytes.
    pub fn depth(&self) -> Depth {
        self.depth
    }

    /// Time of the oldest pending record.
    pub fn oldest_time(&self) -> Option<DateTime<Utc>> {
        self.pending
            .iter()
            .fold(None, |acc, p| min_time(acc, p.meta.oldest))
    }

    /// When the oldest pending entry was appended (wall clock).
    pub fn oldest_spooled_at(&self) -> Option<DateTime<Utc>> {
        self.pending
            .front()
            .and_then(|p| DateTime::from_timestamp_millis(p.meta.spooled_at_ms))
    }

    /// Appends `records` as one entry and returns its sequence number once it is durable
    /// (`None` for an empty batch, which is not stored). Fails with [`SpoolError::Full`]
    /// (changing nothing) when it does not fit within the maximum.
    pub fn append(&mut self, records: &[Record]) -> Result<Option<u64>, SpoolError> {
        if records.is_empty() {
            return Ok(None);
        }
        let needed = codec::frame_len(records) as u64;
        let used = self.used_bytes();
        if used + needed > self.max_bytes {
            return Err(SpoolError::Full {
                used,
                max: self.max_bytes,
                needed,
            });
        }
        let seq = self.next_seq;
        let now = Utc::now().timestamp_millis();
        let meta = Meta {
            seq,
            segment: 0,
            offset: 0,
            len: needed,
            records: records.len() as u32,
            oldest: records.iter().map(|r| r.time).min(),
            spooled_at_ms: now,
        };
        let Some(disk) = &mut self.disk else {
            if records
                .iter()
                .any(|r| r.station.len() > usize::from(u16::MAX))
            {
                return Err(SpoolError::Invalid("station id above 65,535 bytes".into()));
            }
            self.next_seq += 1;
            self.push(meta, Some(records.to_vec()));
            return Ok(Some(seq));
        };
        self.buf.clear();
        codec::encode(seq, now, records, &mut self.buf).map_err(SpoolError::Invalid)?;
        debug_assert_eq!(self.buf.len() as u64, needed);
        let len = disk.segments[&disk.active_id];
        if len > SEGMENT_HEADER && len + needed > disk.segment_bytes {
            let id = disk.active_id + 1;
            disk.active = disk::create_segment(&disk.dir, id)?;
            disk.active_id = id;
            disk.segments.insert(id, SEGMENT_HEADER);
        }
        let id = disk.active_id;
        let offset = disk.segments[&id];
        let path = disk::segment_path(&disk.dir, id);
        let written = disk
            .active
            .write_all(&self.buf)
            .and_then(|()| disk.active.sync_data());
        if let Err(e) = written {
            // Cut off whatever part was written, so that the next append starts clean.
            if let Err(e2) = disk.active.set_len(offset) {
                tracing::error!(
                    "spool: cannot truncate {} after a failed append: {e2}",
                    path.display()
                );
            }
            return Err(io(&path)(e));
        }
        *disk.segments.get_mut(&id).expect("active") += needed;
        self.next_seq += 1;
        self.push(
            Meta {
                segment: id,
                offset,
                ..meta
            },
            None,
        );
        self.collect()?;
        Ok(Some(seq))
    }

    /// The oldest pending entry, read back (and checked) from its segment.
    pub fn peek_oldest(&mut self) -> Result<Option<Batch>, SpoolError> {
        self.peek(0)
    }

    /// The oldest pending entries in order, as many as hold at most `max_records` records
    /// together (at least the oldest, however large): a backlog is written in fewer, larger
    /// store transactions. Acknowledge each with [`Spool::ack`], oldest first.
    pub fn peek_oldest_run(&mut self, max_records: usize) -> Result<Vec<Batch>, SpoolError> {
        let mut run = Vec::new();
        let mut records = 0;
        for i in 0..self.pending.len() {
            let n = self.pending[i].meta.records as usize;
            if i > 0 && records + n > max_records {
                break;
            }
            records += n;
            run.extend(self.peek(i)?);
        }
        Ok(run)
    }

    /// The pending entry at `index` (0: the oldest), read back (and checked).
    fn peek(&mut self, index: usize) -> Result<Option<Batch>, SpoolError> {
        let Some(front) = self.pending.get(index) else {
            return Ok(None);
        };
        let meta = front.meta.clone();
        let spooled_at = DateTime::from_timestamp_millis(meta.spooled_at_ms).unwrap_or_default();
        let Some(disk) = &mut self.disk else {
            return Ok(Some(Batch {
                seq: meta.seq,
                spooled_at,
                records: front.records.clone().unwrap_or_default(),
            }));
        };
        let path = disk::segment_path(&disk.dir, meta.segment);
        if disk
            .reader
            .as_ref()
            .is_none_or(|(id, _)| *id != meta.segment)
        {
            let f = File::open(&path).map_err(io(&path))?;
            disk.reader = Some((meta.segment, f));
        }
        let (_, f) = disk.reader.as_mut().expect("reader");
        let mut frame = vec![0; meta.len as usize];
        f.seek(SeekFrom::Start(meta.offset))
            .and_then(|_| f.read_exact(&mut frame))
            .map_err(io(&path))?;
        let corrupt = |reason: String| SpoolError::Corrupt {
            path: path.clone(),
            offset: meta.offset,
            reason,
        };
        let crc = u32::from_le_bytes(frame[4..8].try_into().expect("4"));
        if codec::crc32(&frame[FRAME_HEADER..]) != crc {
            return Err(corrupt("CRC mismatch on reading back".into()));
        }
        let d = codec::decode(&frame[FRAME_HEADER..]).map_err(corrupt)?;
        if d.seq != meta.seq {
            return Err(corrupt(format!(
                "sequence {} where {} was written",
                d.seq, meta.seq
            )));
        }
        Ok(Some(Batch {
            seq: d.seq,
            spooled_at,
            records: d.records,
        }))
    }

    /// Marks the oldest pending entry, `seq`, as delivered: the head moves past it
    /// (persisted) and fully delivered segments are removed.
    pub fn ack(&mut self, seq: u64) -> Result<(), SpoolError> {
        let expected = self.pending.front().map(|p| p.meta.seq);
        if expected != Some(seq) {
            return Err(SpoolError::OutOfOrder { got: seq, expected });
        }
        let p = self.pending.pop_front().expect("front");
        self.depth.entries -= 1;
        self.depth.records -= u64::from(p.meta.records);
        self.depth.bytes -= p.meta.len;
        self.collect()
    }

    fn push(&mut self, meta: Meta, records: Option<Vec<Record>>) {
        self.depth.entries += 1;
        self.depth.records += u64::from(meta.records);
        self.depth.bytes += meta.len;
        self.pending.push_back(Pending { meta, records });
    }

    /// Moves the persisted head to the oldest pending entry and removes the segments before
    /// it.
    fn collect(&mut self) -> Result<(), SpoolError> {
        let Some(disk) = &mut self.disk else {
            return Ok(());
        };
        let head = match self.pending.front() {
            Some(p) => Position {
                segment: p.meta.segment,
                offset: p.meta.offset,
                seq: p.meta.seq,
            },
            None => Position {
                segment: disk.active_id,
                offset: disk.segments[&disk.active_id],
                seq: self.next_seq,
            },
        };
        if head == disk.head {
            return Ok(());
        }
        match disk::write_head(&disk.dir, head) {
            Ok(()) => {
                if std::mem::take(&mut disk.head_unsaved) {
                    tracing::info!("spool: its head is persisted again");
                }
            }
            // The disk is full: the head stays where it was persisted (a crash now would send
            // the entries acknowledged since again, which the store absorbs), and so do the
            // segments after it; the next acknowledgement tries again.
            Err(e) if e.is_disk_full() => {
                if !std::mem::replace(&mut disk.head_unsaved, true) {
                    tracing::warn!("{e}; the spool's head is persisted once there is room");
                }
                return Ok(());
            }
            Err(e) => return Err(e),
        }
        disk.head = head;
        let done: Vec<u64> = disk
            .segments
            .range(..head.segment)
            .map(|(&id, _)| id)
            .collect();
        for id in done {
            disk::remove_segment(&disk.dir, id)?;
            disk.segments.remove(&id);
            if disk.reader.as_ref().is_some_and(|(r, _)| *r == id) {
                disk.reader = None;
            }
        }
        Ok(())
    }
}

fn min_time(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests;
