use std::fs;

use chrono::TimeDelta;

use super::*;
use crate::quality::Flag;
use crate::store::Resolution;
use crate::units::Parameter;

fn t0() -> DateTime<Utc> {
    DateTime::from_timestamp(1_772_294_400, 0).unwrap()
}

/// Batch `n`: `len` records with distinct keys and values derived from `n`.
fn batch(n: u64, len: usize) -> Vec<Record> {
    (0..len)
        .map(|i| Record {
            station: format!("S{}", i % 3).into(),
            parameter: Parameter::ALL[i % Parameter::ALL.len()],
            resolution: Resolution::ALL[i % 4],
            time: t0() + TimeDelta::seconds(n as i64 * 1000 + i as i64),
            value: n as f64 + i as f64 / 8.0,
            flag: Flag::ALL[i % Flag::ALL.len()],
            count: (n as u32) << 4 | i as u32,
        })
        .collect()
}

fn drain(spool: &mut Spool) -> Vec<Batch> {
    let mut out = Vec::new();
    while let Some(b) = spool.peek_oldest().unwrap() {
        spool.ack(b.seq).unwrap();
        out.push(b);
    }
    out
}

fn segments(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "seg"))
        .collect();
    v.sort();
    v
}

#[test]
fn records_round_trip_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let mut spool = Spool::open(dir.path(), DEFAULT_MAX_BYTES).unwrap();
    let mut records = batch(1, 40);
    records[0].value = f64::NAN;
    records[1].value = -0.0;
    records[2].value = f64::INFINITY;
    records[3].time = DateTime::from_timestamp(-86_400, 999_999_999).unwrap();
    records[4].station = "万江-东莞 station".into();
    records[5].count = u32::MAX;
    spool.append(&records).unwrap();
    drop(spool);
    let mut spool = Spool::open(dir.path(), DEFAULT_MAX_BYTES).unwrap();
    let got = spool.peek_oldest().unwrap().unwrap().records;
    assert_eq!(got.len(), records.len());
    assert_eq!(got[0].value.to_bits(), records[0].value.to_bits());
    assert_eq!(got[1].value.to_bits(), (-0.0f64).to_bits());
    assert_eq!(got[1..], records[1..]);
}

#[test]
fn reopen_keeps_pending_in_order_and_forgets_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let mut spool = Spool::open(dir.path(), DEFAULT_MAX_BYTES).unwrap();
    for n in 0..5 {
        assert_eq!(spool.append(&batch(n, 10)).unwrap(), Some(n));
    }
    assert_eq!(spool.append(&[]).unwrap(), None);
    let first = spool.peek_oldest().unwrap().unwrap();
    assert_eq!(first.records, batch(0, 10));
    spool.ack(0).unwrap();
    assert!(matches!(
        spool.ack(3),
        Err(SpoolError::OutOfOrder { got: 3, .. })
    ));
    assert_eq!(spool.depth().entries, 4);
    assert_eq!(spool.depth().records, 40);
    assert_eq!(spool.oldest_time(), Some(t0() + TimeDelta::seconds(1000)));
    drop(spool);

    let inspected = Spool::inspect(dir.path()).unwrap();
    assert_eq!(inspected.depth.records, 40);
    let mut spool = Spool::open(dir.path(), DEFAULT_MAX_BYTES).unwrap();
    assert_eq!(spool.depth(), inspected.depth);
    let got = drain(&mut spool);
    assert_eq!(got.iter().map(|b| b.seq).collect::<Vec<_>>(), [1, 2, 3, 4]);
    for b in &got {
        assert_eq!(b.records, batch(b.seq, 10));
    }
    assert_eq!(spool.depth(), Depth::default());
    assert_eq!(spool.oldest_time(), None);
    // Sequence numbers continue after a reopen.
    assert_eq!(spool.append(&batch(9, 1)).unwrap(), Some(5));
    drop(spool);
    let spool = Spool::open(dir.path(), DEFAULT_MAX_BYTES).unwrap();
    assert_eq!(spool.depth().entries, 1);
}

#[test]
fn a_second_writer_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let _spool = Spool::open(dir.path(), DEFAULT_MAX_BYTES).unwrap();
    assert!(matches!(
        Spool::open(dir.path(), DEFAULT_MAX_BYTES),
        Err(SpoolError::Locked { .. })
    ));
}

#[test]
fn torn_tail_is_truncated_and_complete_entries_kept() {
    let dir = tempfile::tempdir().unwrap();
    let mut spool = Spool::open(dir.path(), DEFAULT_MAX_BYTES).unwrap();
    for n in 0..3 {
        spool.append(&batch(n, 20)).unwrap();
    }
    drop(spool);
    let seg = segments(dir.path()).pop().unwrap();
    let full = fs::metadata(&seg).unwrap().len();
    let entry = codec::frame_len(&batch(2, 20)) as u64;
    // Every cut inside the last entry loses only that entry.
    for cut in [1, 4, 8, 9, entry / 2, entry - 1] {
        let copy = tempfile::tempdir().unwrap();
        let target = copy.path().join(seg.file_name().unwrap());
        fs::copy(&seg, &target).unwrap();
        fs::File::options()
            .write(true)
            .open(&target)
            .unwrap()
            .set_len(full - entry + cut)
            .unwrap();
        let mut spool = Spool::open(copy.path(), DEFAULT_MAX_BYTES).unwrap();
        assert_eq!(spool.depth().entries, 2, "cut at {cut}");
        assert_eq!(fs::metadata(&target).unwrap().len(), full - entry);
        spool.append(&batch(7, 5)).unwrap();
        let got = drain(&mut spool);
        assert_eq!(got.len(), 3);
        assert_eq!(got[2].records, batch(7, 5));
    }
    // A garbled last entry (full length, bad bytes: power loss) is torn too.
    let mut bytes = fs::read(&seg).unwrap();
    let last = bytes.len() - 3;
    bytes[last] ^= 0xff;
    fs::write(&seg, &bytes).unwrap();
    let spool = Spool::open(dir.path(), DEFAULT_MAX_BYTES).unwrap();
    assert_eq!(spool.depth().entries, 2);
}

#[test]
fn corruption_in_the_middle_names_file_and_offset() {
    let dir = tempfile::tempdir().unwrap();
    let mut spool = Spool::open(dir.path(), DEFAULT_MAX_BYTES).unwrap();
    for n in 0..3 {
        spool.append(&batch(n, 20)).unwrap();
    }
    drop(spool);
    let seg = segments(dir.path()).pop().unwrap();
    let mut bytes = fs::read(&seg).unwrap();
    let second = SEGMENT_HEADER as usize + codec::frame_len(&batch(0, 20));
    bytes[second + 30] ^= 0x01;
    fs::write(&seg, &bytes).unwrap();
    match Spool::open(dir.path(), DEFAULT_MAX_BYTES) {
        Err(SpoolError::Corrupt { path, offset, .. }) => {
            assert_eq!(path, seg);
            assert_eq!(offset, second as u64);
        }
        other => panic!("expected corruption, got {other:?}"),
    }
    let message = Spool::inspect(dir.path()).unwrap_err().to_string();
    assert!(message.contains(&format!("at byte {second}")), "{message}");
    // Nothing was truncated: the damage is left for a person to look at.
    assert_eq!(fs::read(&seg).unwrap(), bytes);
    // A foreign file with the segment name is refused, not overwritten.
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join(format!("{:020}.seg", 3)),
        b"not a spool segment",
    )
    .unwrap();
    assert!(matches!(
        Spool::open(dir.path(), DEFAULT_MAX_BYTES),
        Err(SpoolError::Corrupt { offset: 0, .. })
    ));
}

#[test]
fn bounded_appends_fail_when_full_and_change_nothing() {
    for durable in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let max = 64 * 1024;
        let mut spool = if durable {
            Spool::open(dir.path(), max).unwrap()
        } else {
            Spool::memory(max)
        };
        let mut n = 0;
        let err = loop {
            match spool.append(&batch(n, 50)) {
                Ok(_) => n += 1,
                Err(e) => break e,
            }
        };
        assert!(matches!(err, SpoolError::Full { max: 65536, .. }), "{err}");
        assert!(spool.used_bytes() <= max);
        assert!(n > 10, "{n} batches fit");
        let depth = spool.depth();
        assert_eq!(depth.entries, n);
        // Delivering makes room again; the order is kept across segments.
        let got = drain(&mut spool);
        assert_eq!(got.len() as u64, n);
        assert!(
            got.iter()
                .enumerate()
                .all(|(i, b)| b.records == batch(i as u64, 50))
        );
        spool.append(&batch(n, 50)).unwrap();
        if durable {
            // Delivered segments are gone; only the active one (and maybe one more) stays.
            assert!(
                segments(dir.path()).len() <= 2,
                "{:?}",
                segments(dir.path())
            );
        }
    }
}

#[test]
fn interleaved_appends_and_acks_across_segments_keep_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut spool = Spool::open(dir.path(), 128 * 1024).unwrap();
    let mut expected = 0;
    for n in 0..200u64 {
        spool.append(&batch(n, 7)).unwrap();
        if n % 3 != 0 {
            let b = spool.peek_oldest().unwrap().unwrap();
            assert_eq!(b.seq, expected);
            assert_eq!(b.records, batch(expected, 7));
            spool.ack(b.seq).unwrap();
            expected += 1;
        }
        if n % 50 == 0 {
            drop(spool);
            spool = Spool::open(dir.path(), 128 * 1024).unwrap();
        }
    }
    let rest = drain(&mut spool);
    assert_eq!(rest.first().map(|b| b.seq), Some(expected));
    assert_eq!(expected + rest.len() as u64, 200);
    assert!(segments(dir.path()).len() <= 2);
}

#[test]
fn a_damaged_head_replays_from_the_oldest_segment() {
    let dir = tempfile::tempdir().unwrap();
    let mut spool = Spool::open(dir.path(), DEFAULT_MAX_BYTES).unwrap();
    for n in 0..3 {
        spool.append(&batch(n, 4)).unwrap();
    }
    spool.ack(0).unwrap();
    drop(spool);
    fs::write(dir.path().join("HEAD"), b"garbage").unwrap();
    let mut spool = Spool::open(dir.path(), DEFAULT_MAX_BYTES).unwrap();
    // Entry 0 comes again (the store absorbs it); nothing is lost.
    let seqs: Vec<u64> = drain(&mut spool).iter().map(|b| b.seq).collect();
    assert_eq!(seqs, [0, 1, 2]);
}

#[test]
fn a_run_of_oldest_entries_fits_its_bound_in_order_across_segments() {
    for memory in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let mut spool = if memory {
            Spool::memory(1 << 20)
        } else {
            // Small segments: a run spans several.
            Spool::open(dir.path(), 64 * 1024).unwrap()
        };
        assert!(spool.peek_oldest_run(100).unwrap().is_empty());
        let sizes = [30, 40, 50, 200, 10, 10];
        for (n, len) in sizes.iter().enumerate() {
            spool.append(&batch(n as u64, *len)).unwrap();
        }
        if !memory {
            assert!(segments(dir.path()).len() > 1, "one segment");
        }
        let seqs = |run: &[Batch]| run.iter().map(|b| b.seq).collect::<Vec<_>>();
        // 30 + 40 fit in 100, 50 more would not.
        let run = spool.peek_oldest_run(100).unwrap();
        assert_eq!(seqs(&run), [0, 1]);
        assert_eq!(run[1].records, batch(1, 40));
        // Peeking acknowledges nothing.
        assert_eq!(seqs(&spool.peek_oldest_run(100).unwrap()), [0, 1]);
        for b in &run {
            spool.ack(b.seq).unwrap();
        }
        // An entry over the bound goes alone when it is the oldest.
        assert_eq!(seqs(&spool.peek_oldest_run(100).unwrap()), [2]);
        spool.ack(2).unwrap();
        let run = spool.peek_oldest_run(100).unwrap();
        assert_eq!(seqs(&run), [3]);
        assert_eq!(run[0].records, batch(3, 200));
        spool.ack(3).unwrap();
        assert_eq!(seqs(&spool.peek_oldest_run(100).unwrap()), [4, 5]);
    }
}
