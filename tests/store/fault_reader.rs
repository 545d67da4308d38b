//! Fault campaign: an analyst holds a long read transaction on the SQLite store with the
//! `sqlite3` CLI (Debian package `sqlite3`) while `lantian run` collects into it. In WAL mode
//! the writer goes on; no checkpoint can pass the reader's snapshot, so the `-wal` file grows
//! while the transaction is held (its size is printed) and is reused from its start once it
//! ends. Every minute of the simulator's truth must be stored once.
//!
//! CI length: 8 s held in a 20 s run at ×60; `LANTIAN_CAMPAIGN=full`: 5 minutes held in an
//! 8-minute run at ×60.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use lantian::store::sqlite::SqliteStore;

use crate::common::campaign::{Campaign, Counts, length};
use crate::common::peers;

fn wal_bytes(dir: &std::path::Path) -> u64 {
    std::fs::metadata(dir.join("run.db-wal")).map_or(0, |m| m.len())
}

#[test]
fn fault_long_sqlite_read_transaction_blocks_no_write() {
    if !peers::require(
        "sqlite3 (Debian package sqlite3)",
        peers::runs("sqlite3", &["-version"]),
    ) {
        return;
    }
    let (run_s, hold_from, hold) = length((20, 5, 8), (480, 90, 300));
    let mut c = Campaign::new(60.0, |_| "sqlite:run.db".into(), "");
    c.start_simulator();
    let mut run = c.spawn_run(run_s);
    c.wait_for_log("collecting from", Duration::from_secs(30));
    std::thread::sleep(Duration::from_secs(hold_from));
    // The analyst: a read transaction on a snapshot, held open.
    let mut analyst = Command::new("sqlite3")
        .arg(c.dir.path().join("run.db"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = analyst.stdin.take().unwrap();
    writeln!(input, "BEGIN;\nSELECT count(*) FROM readings;").unwrap();
    input.flush().unwrap();
    let held_at = c.now();
    let wal_before = wal_bytes(c.dir.path());
    let t = Instant::now();
    let mut wal_max = wal_before;
    while t.elapsed() < Duration::from_secs(hold) {
        wal_max = wal_max.max(wal_bytes(c.dir.path()));
        std::thread::sleep(Duration::from_millis(200));
    }
    let released_at = c.now();
    writeln!(input, "COMMIT;\n.quit").unwrap();
    drop(input);
    let out = analyst.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "sqlite3: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: u64 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
    c.finish(&mut run, Duration::from_secs(u64::from(run_s) + 60));
    let wal_after = wal_bytes(c.dir.path());

    let (from, to) = c.covered();
    let expected = c.expected(from, to);
    let store = SqliteStore::open(c.dir.path().join("run.db")).unwrap();
    let counts = Counts::of(&store, &expected);
    let held_minutes = (released_at - held_at).num_minutes();
    counts.print(
        "sqlite_long_read",
        &format!(
            "read transaction held {hold} s ({held_minutes} simulated min; it saw {seen} \
             readings); WAL {:.1} MiB when taken, {:.1} MiB at most while held, {:.1} MiB after \
             the run",
            wal_before as f64 / 1048576.0,
            wal_max as f64 / 1048576.0,
            wal_after as f64 / 1048576.0
        ),
    );
    counts.assert_stored_once(&c.logs());
    // The writer went on while the snapshot was held: minutes of that time are stored (the
    // counts above), and no store write failed for it.
    assert!(
        !c.logs().contains("store write failed"),
        "a write failed behind the reader:\n{}",
        c.logs()
    );
}
