//! The spool's segment reader on random and corrupted files. The first byte chooses: a
//! random segment file (with or without the segment magic), or a real spool of a few batches
//! whose files the rest of the input corrupts (XOR patches, a truncation). Opening, inspecting
//! and reading back every pending batch answers batches or a typed error, never a panic; what
//! reads back passed its CRC and is one of the batches written.
#![no_main]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use chrono::DateTime;
use lantian::quality::Flag;
use lantian::store::spool::Spool;
use lantian::store::{Record, Resolution};
use lantian::units::Parameter;
use libfuzzer_sys::fuzz_target;

/// This process's spool folder (emptied before each input).
fn folder() -> &'static Path {
    static FOLDER: OnceLock<PathBuf> = OnceLock::new();
    FOLDER.get_or_init(|| {
        std::env::temp_dir().join(format!("lantian-fuzz-spool-{}", std::process::id()))
    })
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

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let dir = folder();
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap();
    let segment = dir.join(format!("{:020}.seg", 0));
    let written: Vec<Vec<Record>> = if mode & 1 == 0 {
        let mut file = Vec::new();
        if mode & 2 == 0 {
            file.extend_from_slice(b"LTSPOOL\x01");
        }
        file.extend_from_slice(rest);
        std::fs::write(&segment, file).unwrap();
        Vec::new()
    } else {
        let batches: Vec<Vec<Record>> = (0..(mode >> 1) % 4 + 1).map(batch).collect();
        {
            let mut spool = Spool::open(dir, 1 << 20).unwrap();
            for records in &batches {
                spool.append(records).unwrap();
            }
        }
        let mut bytes = std::fs::read(&segment).unwrap();
        let mut patches = rest.chunks_exact(3);
        for patch in &mut patches {
            let at = usize::from(u16::from_le_bytes([patch[0], patch[1]])) % bytes.len();
            bytes[at] ^= patch[2];
        }
        if let [cut, ..] = patches.remainder() {
            bytes.truncate(bytes.len() * usize::from(*cut) / 256);
        }
        std::fs::write(&segment, bytes).unwrap();
        batches
    };
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
