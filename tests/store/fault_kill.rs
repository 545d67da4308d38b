//! Fault campaign: `lantian run` killed with SIGKILL ten times at random moments (seeded:
//! `LANTIAN_CAMPAIGN_SEED` replays a printed seed), while collecting and while replaying a
//! spooled backlog — every third run has its SQLite store locked by the test (as another
//! writer would), so its readings wait in the spool, and the next run is killed soon after it
//! starts replaying them. After each kill the spool must open and hold each key once; at the
//! end every reading that was ever durable (in the spool or the store after a kill) is stored
//! exactly once. What a kill can lose is only what was not durable yet: the minute being
//! aggregated in memory and the ≤ 250 ms group being formed — those minutes are counted
//! apart ("in flight at a kill").
//!
//! CI length: runs of 0.8–2.5 s at ×60; `LANTIAN_CAMPAIGN=full`: runs of 5–40 s.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use lantian::store::spool::Spool;
use lantian::store::sqlite::SqliteStore;
use lantian::store::{Resolution, Store};

use crate::common::campaign::{Campaign, Counts, Key, Moments, floor_minute, length, seed, start};

/// The minute keys in a copy of the spool at `dir` (each once), checking it opens.
fn spooled(dir: &Path) -> BTreeSet<Key> {
    let copy = tempfile::tempdir().unwrap();
    if dir.is_dir() {
        for e in std::fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_file() && e.file_name() != "LOCK" {
                std::fs::copy(e.path(), copy.path().join(e.file_name())).unwrap();
            }
        }
    }
    let mut spool = Spool::open(copy.path(), 1 << 30).expect("the spool opens after kill -9");
    let mut keys = BTreeSet::new();
    while let Some(b) = spool.peek_oldest().unwrap() {
        for r in b
            .records
            .iter()
            .filter(|r| r.resolution == Resolution::Minute)
        {
            let key = (
                r.station.to_string(),
                r.parameter.to_string(),
                r.time.timestamp(),
            );
            assert!(keys.insert(key), "{r:?} twice in the spool");
        }
        spool.ack(b.seq).unwrap();
    }
    keys
}

fn stored(store: &dyn Store) -> BTreeSet<Key> {
    crate::common::harness::minute_keys(
        store,
        start() - TimeDelta::days(1),
        start() + TimeDelta::days(30),
    )
}

#[test]
fn fault_collector_sigkill_ten_times_loses_nothing_durable() {
    let seed = seed();
    let mut moments = Moments::new(seed);
    let (lo, hi) = length((800, 2500), (5_000, 40_000));
    let (lo, hi) = (Duration::from_millis(lo), Duration::from_millis(hi));
    let mut c = Campaign::new(
        60.0,
        |_| "sqlite:run.db".into(),
        "[spool]\nretry_max_ms = 500\n",
    );
    let db = c.dir.path().join("run.db");
    let spool_dir = c.dir.path().join("run.db-spool");
    c.start_simulator();
    let mut durable = BTreeSet::new();
    let mut kills: Vec<DateTime<Utc>> = Vec::new();
    let mut phases = Vec::new();
    for k in 0..10 {
        let locked = k % 3 == 1;
        let replaying = k % 3 == 2;
        // A replay starts as soon as the pipeline does: watch the backlog shrink and kill
        // the run when it has come down to a random part of it.
        let backlog = Spool::inspect(&spool_dir).unwrap().depth.records;
        let mut run = c.spawn_run(3600);
        let mut pending = backlog;
        if replaying && backlog > 0 {
            let part = moments
                .between(Duration::ZERO, Duration::from_secs(1))
                .as_secs_f64();
            let target = (backlog as f64 * (0.2 + 0.7 * part)) as u64;
            let t = std::time::Instant::now();
            // At CI length a backlog of a few seconds replays within milliseconds: the kill
            // then lands after it, and the summary says so.
            let latest = moments.between(Duration::from_millis(100), Duration::from_millis(800));
            while pending > target && t.elapsed() < latest {
                pending = Spool::inspect(&spool_dir).map_or(pending, |s| s.depth.records);
            }
        } else {
            c.wait_for_log("collecting from", Duration::from_secs(30));
        }
        let lock = locked.then(|| {
            let lock = rusqlite::Connection::open(&db).unwrap();
            lock.execute_batch("BEGIN EXCLUSIVE").unwrap();
            lock
        });
        if !replaying {
            std::thread::sleep(moments.between(lo, hi) * if locked { 2 } else { 1 });
            pending = Spool::inspect(&spool_dir).unwrap().depth.records;
        }
        run.kill().unwrap(); // SIGKILL
        run.wait().unwrap();
        kills.push(c.now());
        drop(lock);
        phases.push(if locked {
            format!("collecting with the store locked, {pending} spooled")
        } else if replaying {
            format!("replaying ({backlog} pending at start, {pending} at the kill)")
        } else {
            "collecting".to_string()
        });
        let in_spool = spooled(&spool_dir);
        let in_store = stored(&SqliteStore::open(&db).unwrap());
        durable.extend(in_spool);
        durable.extend(in_store);
    }
    // A last run delivers what the kills left in the spool.
    let mut run = c.spawn_run(4);
    c.finish(&mut run, Duration::from_secs(60));
    let end = c.now();

    let store = SqliteStore::open(&db).unwrap();
    let keys = stored(&store);
    let missing: Vec<&Key> = durable.difference(&keys).collect();
    assert!(missing.is_empty(), "durable readings lost: {missing:?}");
    assert_eq!(Spool::inspect(&spool_dir).unwrap().depth.records, 0);
    let expected = c.expected(
        start() + TimeDelta::minutes(1),
        floor_minute(end) - TimeDelta::minutes(2),
    );
    let counts = Counts::of(&store, &expected);
    // Only minutes that were never durable may be missing: the one being aggregated at a
    // kill and the one before it (its group not yet spooled), and those the restarted
    // collector was not yet polling (its start-up, ≤ 3 simulated minutes = 3 s at ×60).
    let near_kill = |t: i64| {
        kills.iter().any(|k| {
            t >= (floor_minute(*k) - TimeDelta::minutes(2)).timestamp()
                && t <= (*k + TimeDelta::minutes(3)).timestamp()
        })
    };
    let elsewhere: Vec<&Key> = counts.lost.iter().filter(|k| !near_kill(k.2)).collect();
    counts.print(
        "collector_sigkill",
        &format!(
            "10 SIGKILLs (seed {seed}); the missing were never durable (in flight at a kill \
             or the restart); {} durable readings all stored once; kills: {}",
            durable.len(),
            phases.join("; ")
        ),
    );
    assert_eq!(counts.duplicated, 0);
    assert!(
        elsewhere.is_empty(),
        "lost away from any kill: {elsewhere:?}"
    );
    assert!(
        phases
            .iter()
            .any(|p| p.starts_with("replaying (") && !p.contains("(0 pending")),
        "no backlog to replay at any kill: {phases:?}"
    );
}
