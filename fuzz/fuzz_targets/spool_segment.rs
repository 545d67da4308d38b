//! The spool's segment reader on random and corrupted files. The first byte chooses: a
//! random segment file (with or without the segment magic), or a real spool of a few batches
//! whose files the rest of the input corrupts (XOR patches, a truncation). Opening, inspecting
//! and reading back every pending batch answers batches or a typed error, never a panic; what
//! reads back passed its CRC and is one of the batches written.
//!
//! The spool folder is on tmpfs (`scratch`; fsync costs nothing there) and made afresh for
//! each input. The real spools of 1–4 batches are written by `Spool::append` once per process
//! and their files kept; each input then starts from a copy of them.
#![no_main]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use chrono::DateTime;
use lantian::quality::Flag;
use lantian::store::spool::Spool;
use lantian::store::{Record, Resolution};
use lantian::units::Parameter;
use libfuzzer_sys::fuzz_target;

mod scratch;

/// A spool's files (but its `LOCK`): names and contents.
type Files = Vec<(String, Vec<u8>)>;

/// The first segment's file name.
fn segment_name() -> String {
    format!("{:020}.seg", 0)
}

/// This process's spool folder (made afresh for each input).
fn folder() -> &'static Path {
    static FOLDER: OnceLock<PathBuf> = OnceLock::new();
    FOLDER.get_or_init(|| scratch::folder("spool"))
}

/// Batch `n`: three records.
fn batch(n: u8) -> Vec<Record> {
    (0..3)
        .map(|i| Record {
            station: format!("S{i}").into(),
            parameter: Parameter::ALL[usize::from(n + i) % Parameter::ALL.len()],
            resolution: Resolution::ALL[usize::from(i) % 4],
            time: DateTime::from_timestamp(1_772_294_400 + i64::from(n) * 60, 0).unwrap(),
            value: f64::from(n) + f64::from(i) / 8.0,
            flag: Flag::ALL[usize::from(i) % Flag::ALL.len()],
            count: u32::from(i),
        })
        .collect()
}

/// A fresh, empty spool folder.
fn empty_folder() -> &'static Path {
    let dir = folder();
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap();
    dir
}

/// The files of a spool holding batches `0..count` (written once per count).
fn written_spool(count: u8) -> &'static Files {
    static SPOOLS: [OnceLock<Files>; 4] = [const { OnceLock::new() }; 4];
    SPOOLS[usize::from(count - 1)].get_or_init(|| {
        let dir = empty_folder();
        {
            let mut spool = Spool::open(dir, 1 << 20).unwrap();
            for n in 0..count {
                spool.append(&batch(n)).unwrap();
            }
        }
        let mut files: Files = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.file_name().is_some_and(|name| name != "LOCK"))
            .map(|path| {
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                (name, std::fs::read(&path).unwrap())
            })
            .collect();
        files.sort();
        assert!(files.iter().any(|(name, _)| *name == segment_name()));
        files
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let segment_name = segment_name();
    let written: Vec<Vec<Record>> = if mode & 1 == 0 {
        let mut file = Vec::new();
        if mode & 2 == 0 {
            file.extend_from_slice(b"LTSPOOL\x01");
        }
        file.extend_from_slice(rest);
        std::fs::write(empty_folder().join(&segment_name), file).unwrap();
        Vec::new()
    } else {
        let count = (mode >> 1) % 4 + 1;
        let files = written_spool(count);
        let dir = empty_folder();
        for (name, contents) in files {
            if *name != segment_name {
                std::fs::write(dir.join(name), contents).unwrap();
                continue;
            }
            let mut bytes = contents.clone();
            let mut patches = rest.chunks_exact(3);
            for patch in &mut patches {
                let at = usize::from(u16::from_le_bytes([patch[0], patch[1]])) % bytes.len();
                bytes[at] ^= patch[2];
            }
            if let [cut, ..] = patches.remainder() {
                bytes.truncate(bytes.len() * usize::from(*cut) / 256);
            }
            std::fs::write(dir.join(name), bytes).unwrap();
        }
        (0..count).map(batch).collect()
    };
    let dir = folder();
    let _ = Spool::inspect(dir);
    let Ok(mut spool) = Spool::open(dir, 1 << 20) else {
        return;
    };
    for _ in 0..16 {
        match spool.peek_oldest() {
            Ok(Some(batch)) => {
                if !written.is_empty() {
                    assert!(written.contains(&batch.records), "{batch:?}");
                }
                if spool.ack(batch.seq).is_err() {
                    break;
                }
            }
            Ok(None) | Err(_) => break,
        }
    }
});
