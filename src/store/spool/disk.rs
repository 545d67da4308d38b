//! The spool's files: segment naming, the `HEAD` pointer, and the scan that recovers the
//! pending entries on open.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::SpoolError;
use super::codec::{self, FRAME_HEADER, MAX_PAYLOAD};

/// First bytes of every segment (the last byte is the format version).
pub(super) const SEGMENT_MAGIC: &[u8; 8] = b"LTSPOOL\x01";
/// Length of the segment header.
pub(super) const SEGMENT_HEADER: u64 = SEGMENT_MAGIC.len() as u64;
const HEAD_MAGIC: &[u8; 4] = b"LTHD";
const HEAD_LEN: usize = 4 + 8 + 8 + 8 + 4;
/// The head pointer's file.
pub(super) const HEAD_FILE: &str = "HEAD";

/// A place in the spool: the first unacknowledged entry (`seq`) at `offset` in `segment`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Position {
    pub segment: u64,
    pub offset: u64,
    pub seq: u64,
}

/// A pending entry found by the scan (or appended since).
#[derive(Debug, Clone)]
pub(super) struct Meta {
    pub seq: u64,
    pub segment: u64,
    pub offset: u64,
    /// Frame bytes (header + payload).
    pub len: u64,
    pub records: u32,
    pub oldest: Option<DateTime<Utc>>,
    pub spooled_at_ms: i64,
}

/// What a scan found.
#[derive(Debug, Default)]
pub(super) struct Scan {
    /// Pending entries, oldest first.
    pub entries: Vec<Meta>,
    /// Every segment kept, with its (valid) length.
    pub segments: BTreeMap<u64, u64>,
    /// The sequence number the next entry gets.
    pub next_seq: u64,
}

/// The file of segment `id`.
pub(super) fn segment_path(dir: &Path, id: u64) -> PathBuf {
    dir.join(format!("{id:020}.seg"))
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> SpoolError + '_ {
    move |source| SpoolError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Segment ids in `dir`, ascending. Other files (`HEAD`, `LOCK`, a renamed `*.seg.corrupt`)
/// are ignored.
pub(super) fn list_segments(dir: &Path) -> Result<Vec<u64>, SpoolError> {
    let mut ids = Vec::new();
    for entry in fs::read_dir(dir).map_err(io_error(dir))? {
        let entry = entry.map_err(io_error(dir))?;
        let name = entry.file_name();
        let Some(stem) = name.to_str().and_then(|n| n.strip_suffix(".seg")) else {
            continue;
        };
        if stem.len() == 20
            && let Ok(id) = stem.parse()
        {
            ids.push(id);
        }
    }
    ids.sort_unstable();
    Ok(ids)
}

/// The persisted head, or `None` when there is none or it is unreadable (then every kept
/// segment is replayed from its start: possibly again, never lost).
pub(super) fn read_head(dir: &Path) -> Option<Position> {
    let path = dir.join(HEAD_FILE);
    let bytes = match fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return None,
        Err(e) => {
            tracing::warn!(
                "spool: cannot read {}: {e}; replaying from the oldest segment",
                path.display()
            );
            return None;
        }
    };
    let valid = bytes.len() == HEAD_LEN
        && &bytes[..4] == HEAD_MAGIC
        && codec::crc32(&bytes[..HEAD_LEN - 4]).to_le_bytes() == bytes[HEAD_LEN - 4..];
    if !valid {
        tracing::warn!(
            "spool: {} is damaged; replaying from the oldest segment (the store ignores repeats)",
            path.display()
        );
        return None;
    }
    let word = |i: usize| u64::from_le_bytes(bytes[4 + 8 * i..12 + 8 * i].try_into().expect("8"));
    Some(Position {
        segment: word(0),
        offset: word(1),
        seq: word(2),
    })
}

/// Persists `head` atomically: a temporary file renamed over `HEAD`. Not fsynced — a kill
/// cannot lose a rename, and after a power loss an older head only re-sends acknowledged
/// entries, which the store's idempotent writes absorb.
pub(super) fn write_head(dir: &Path, head: Position) -> Result<(), SpoolError> {
    let mut bytes = Vec::with_capacity(HEAD_LEN);
    bytes.extend_from_slice(HEAD_MAGIC);
    for w in [head.segment, head.offset, head.seq] {
        bytes.extend_from_slice(&w.to_le_bytes());
    }
    let crc = codec::crc32(&bytes);
    bytes.extend_from_slice(&crc.to_le_bytes());
    let tmp = dir.join("HEAD.tmp");
    let mut f = File::create(&tmp).map_err(io_error(&tmp))?;
    f.write_all(&bytes).map_err(io_error(&tmp))?;
    drop(f);
    let path = dir.join(HEAD_FILE);
    fs::rename(&tmp, &path).map_err(io_error(&path))
}

/// Creates segment `id` with its header, durably (file and directory entry synced).
pub(super) fn create_segment(dir: &Path, id: u64) -> Result<File, SpoolError> {
    let path = segment_path(dir, id);
    let mut f = File::options()
        .create_new(true)
        .append(true)
        .open(&path)
        .map_err(io_error(&path))?;
    if let Err(e) = f.write_all(SEGMENT_MAGIC).and_then(|()| f.sync_all()) {
        // A full disk: leave no empty segment behind, so that the next attempt can create it.
        drop(f);
        let _ = fs::remove_file(&path);
        return Err(io_error(&path)(e));
    }
    sync_dir(dir)?;
    Ok(f)
}

/// Makes created, renamed and removed entries of `dir` durable.
pub(super) fn sync_dir(dir: &Path) -> Result<(), SpoolError> {
    #[cfg(unix)]
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_error(dir))?;
    Ok(())
}

/// Removes segment `id` (already acknowledged).
pub(super) fn remove_segment(dir: &Path, id: u64) -> Result<(), SpoolError> {
    let path = segment_path(dir, id);
    match fs::remove_file(&path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_error(&path)(e)),
    }
}

/// Reads every pending entry from `head` on.
///
/// A torn last entry of the last segment (a crash in the middle of an append: the frame
/// runs past the end of the file, or it is the last frame and its CRC fails) is cut off with
/// a warning when `repair` is set, and ignored otherwise. Anything else that does not check
/// out — a bad CRC with data after it, a bad segment header, sequence numbers out of order —
/// is [`SpoolError::Corrupt`], naming the file and offset: complete entries are never
/// dropped silently. Segments older than the head (acknowledged, removal interrupted) are
/// removed when `repair` is set.
pub(super) fn scan(dir: &Path, head: Option<Position>, repair: bool) -> Result<Scan, SpoolError> {
    let ids = list_segments(dir)?;
    let mut scan = Scan {
        next_seq: head.map_or(0, |h| h.seq),
        ..Scan::default()
    };
    let live: Vec<u64> = ids
        .iter()
        .copied()
        .filter(|&id| head.is_none_or(|h| id >= h.segment))
        .collect();
    if repair {
        for &id in ids.iter().filter(|id| !live.contains(id)) {
            remove_segment(dir, id)?;
        }
    }
    let mut last_seq: Option<u64> = None;
    for (i, &id) in live.iter().enumerate() {
        let last = i + 1 == live.len();
        let path = segment_path(dir, id);
        let data = fs::read(&path).map_err(io_error(&path))?;
        let len = data.len() as u64;
        let corrupt = |offset: u64, reason: String| SpoolError::Corrupt {
            path: path.clone(),
            offset,
            reason,
        };
        if len < SEGMENT_HEADER {
            if !last {
                return Err(corrupt(0, "segment header cut short".into()));
            }
            tracing::warn!(
                "spool: {} has an incomplete header (created when the process died); removed",
                path.display()
            );
            if repair {
                remove_segment(dir, id)?;
            }
            continue;
        }
        if &data[..SEGMENT_HEADER as usize] != SEGMENT_MAGIC {
            return Err(corrupt(0, "not a lantian spool segment (version 1)".into()));
        }
        let mut off = match head {
            Some(h) if h.segment == id => h.offset,
            _ => SEGMENT_HEADER,
        };
        if off < SEGMENT_HEADER || off > len {
            return Err(corrupt(
                off,
                format!("head offset outside the segment ({len} bytes)"),
            ));
        }
        let mut torn = None;
        while off < len {
            let rest = &data[off as usize..];
            if rest.len() < FRAME_HEADER {
                torn = Some("frame header cut short");
                break;
            }
            let plen = u32::from_le_bytes(rest[..4].try_into().expect("4")) as usize;
            let crc = u32::from_le_bytes(rest[4..8].try_into().expect("4"));
            let end = FRAME_HEADER + plen;
            if plen > MAX_PAYLOAD || end > rest.len() {
                torn = Some("entry runs past the end of the file");
                break;
            }
            let payload = &rest[FRAME_HEADER..end];
            if codec::crc32(payload) != crc {
                if end == rest.len() {
                    torn = Some("CRC mismatch in the last entry");
                    break;
                }
                return Err(corrupt(off, "CRC mismatch (entries follow it)".into()));
            }
            let d = codec::decode(payload).map_err(|e| corrupt(off, e))?;
            if last_seq.is_some_and(|s| d.seq <= s) {
                return Err(corrupt(
                    off,
                    format!("sequence {} after {}", d.seq, last_seq.unwrap_or(0)),
                ));
            }
            last_seq = Some(d.seq);
            scan.entries.push(Meta {
                seq: d.seq,
                segment: id,
                offset: off,
                len: end as u64,
                records: d.records.len() as u32,
                oldest: d.oldest(),
                spooled_at_ms: d.spooled_at_ms,
            });
            off += end as u64;
        }
        if let Some(why) = torn {
            if !last {
                return Err(corrupt(
                    off,
                    format!("{why} in a segment that is not the last"),
                ));
            }
            if repair {
                tracing::warn!(
                    "spool: torn entry at the end of {} (offset {off}, {} bytes: {why}) — an \
                     append cut off by a crash, never acknowledged; truncated",
                    path.display(),
                    len - off
                );
                let f = File::options()
                    .write(true)
                    .open(&path)
                    .map_err(io_error(&path))?;
                f.set_len(off).map_err(io_error(&path))?;
                f.sync_all().map_err(io_error(&path))?;
            }
        }
        scan.segments.insert(id, off);
    }
    if let Some(s) = last_seq {
        scan.next_seq = scan.next_seq.max(s + 1);
    }
    Ok(scan)
}
