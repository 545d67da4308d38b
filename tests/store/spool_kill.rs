//! The spool under kill -9: a child process appends batches in a loop and reports each one
//! as soon as `append` returns; the parent kills it at a random moment and reopens the spool.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use chrono::{DateTime, TimeDelta};
use lantian::quality::Flag;
use lantian::store::spool::Spool;
use lantian::store::{Record, Resolution};
use lantian::units::Parameter;

const CHILD_ENV: &str = "LANTIAN_TEST_SPOOL_CHILD";

/// Batch `n`: a size that varies, so that kills land at every kind of offset.
fn batch(n: u64) -> Vec<Record> {
    let t0 = DateTime::from_timestamp(1_780_000_000, 0).unwrap();
    (0..(1 + n % 97))
        .map(|i| Record {
            station: format!("S{}", n % 5).into(),
            parameter: Parameter::ALL[(i % 15) as usize],
            resolution: Resolution::Minute,
            time: t0 + TimeDelta::minutes((n * 100 + i) as i64),
            value: n as f64 * 0.5 + i as f64,
            flag: Flag::Normal,
            count: i as u32,
        })
        .collect()
}

/// Child mode: appends forever (acknowledging now and then, like a forwarder), printing
/// each durable append. A no-op in a normal test run.
#[test]
fn spool_appender_child() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return;
    };
    let mut spool = Spool::open(&dir, 64 << 20).expect("child open");
    for n in 0.. {
        spool.append(&batch(n)).expect("append");
        println!("appended {n}");
        if n % 7 == 3 {
            let b = spool.peek_oldest().unwrap().expect("pending");
            spool.ack(b.seq).unwrap();
            println!("acked {}", b.seq);
        }
    }
}

#[test]
fn killed_appender_loses_no_appended_batch_and_duplicates_none() {
    for round in 0..3u64 {
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "spool_kill::spool_appender_child",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (mut appended, mut acked) = (None, None);
        let stop_at = 150 + round * 173;
        for line in BufReader::new(stdout).lines() {
            let line = line.unwrap();
            if let Some(n) = line.strip_prefix("appended ") {
                appended = Some(n.parse::<u64>().unwrap());
                if appended == Some(stop_at) {
                    child.kill().unwrap(); // SIGKILL
                    break;
                }
            } else if let Some(n) = line.strip_prefix("acked ") {
                acked = Some(n.parse::<u64>().unwrap());
            }
        }
        child.wait().unwrap();
        let appended = appended.unwrap();
        let acked = acked.unwrap();
        let mut spool = Spool::open(dir.path(), 64 << 20).expect("reopen after kill -9");
        // Every reported append is there once, in order, after the last reported ack. The
        // child goes on appending until the signal lands (its reports may lag behind in the
        // pipe): those appends are there whole and in sequence, and one in flight at the kill
        // is there complete or not at all.
        let mut seqs = Vec::new();
        while let Some(b) = spool.peek_oldest().unwrap() {
            assert_eq!(b.records, batch(b.seq), "batch {} intact", b.seq);
            seqs.push(b.seq);
            spool.ack(b.seq).unwrap();
        }
        assert!(
            seqs.windows(2).all(|w| w[1] == w[0] + 1),
            "gap or repeat: {seqs:?}"
        );
        let (first, last) = (seqs[0], *seqs.last().unwrap());
        assert!(last >= appended, "last {last}, reported {appended}");
        // Acks are persisted before the next append starts: a reported ack is never replayed.
        assert!(first > acked, "acked {acked} replayed from {first}");
    }
}
