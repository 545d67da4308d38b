//! Fault campaign: the disk under the spool fills up. The spool lives on a small tmpfs
//! mounted by the test (the tests run as root; without the right to mount, the test skips
//! and says why); while `lantian run` collects, a filler file takes every free byte, is held,
//! then removed. Collection must not stop: the collector logs the full disk, `lantian health`
//! shows it, the sink holds the records in memory until the spool can take them again, and
//! every minute of the simulator's truth is stored once.
//!
//! CI length: the disk full for 8 s of a 24 s run at ×60; `LANTIAN_CAMPAIGN=full`: 5 minutes
//! of a 10-minute run at ×60.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use lantian::store::sqlite::SqliteStore;

use crate::common::campaign::{Campaign, Counts, length};
use crate::common::sim_run::BIN;

/// A tmpfs of `size`, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(at: &Path, size: &str) -> Result<Tmpfs, String> {
        std::fs::create_dir_all(at).unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .output()
            .map_err(|e| format!("mount(8) cannot run: {e}"))?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
        }
        Ok(Tmpfs(at.to_path_buf()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Writes `path` until the filesystem is full; returns the bytes written.
fn fill(path: &Path) -> u64 {
    let mut f = std::fs::File::create(path).unwrap();
    let mut written = 0;
    for chunk in [64 << 10, 4 << 10, 512, 1] {
        let buf = vec![0u8; chunk];
        while f.write_all(&buf).and_then(|()| f.sync_data()).is_ok() {
            written += chunk as u64;
        }
    }
    written
}

#[test]
fn fault_disk_full_under_the_spool_pauses_nothing_and_loses_nothing() {
    let (run_s, fill_at, hold) = length((24, 5, 8), (600, 120, 300));
    let holder = tempfile::tempdir().unwrap();
    let disk = match Tmpfs::mount(&holder.path().join("disk"), "4m") {
        Ok(d) => d,
        Err(why) => {
            eprintln!("SKIPPED: cannot mount a small tmpfs for the spool ({why}); run as root");
            return;
        }
    };
    let spool = disk.0.join("spool");
    let mut c = Campaign::new(
        60.0,
        |_| "sqlite:run.db".into(),
        &format!(
            "[spool]\ndir = \"{}\"\nretry_max_ms = 1000\ndrain_timeout_ms = 60000\n",
            spool.display()
        ),
    );
    c.start_simulator();
    let mut run = c.spawn_run(run_s);
    c.wait_for_log("collecting from", Duration::from_secs(30));
    std::thread::sleep(Duration::from_secs(fill_at));
    let filler = disk.0.join("filler");
    let full_at = c.now();
    let t = Instant::now();
    let filled = fill(&filler);
    c.wait_for_log("the disk under the spool is full", Duration::from_secs(20));
    let health = Command::new(BIN)
        .arg("--config")
        .arg(&c.config)
        .arg("health")
        .output()
        .unwrap();
    let health = String::from_utf8_lossy(&health.stderr).to_string();
    assert!(
        health.contains("its filesystem is FULL"),
        "lantian health does not show the full disk:\n{health}"
    );
    while t.elapsed() < Duration::from_secs(hold) {
        std::thread::sleep(Duration::from_millis(200));
    }
    std::fs::remove_file(&filler).unwrap();
    let room_at = c.now();
    c.wait_for_log("the disk has room again", Duration::from_secs(20));
    c.finish(&mut run, Duration::from_secs(u64::from(run_s) + 60));

    let (from, to) = c.covered();
    let expected = c.expected(from, to);
    let store = SqliteStore::open(c.dir.path().join("run.db")).unwrap();
    let counts = Counts::of(&store, &expected);
    counts.print(
        "disk_full",
        &format!(
            "4 MiB tmpfs under the spool filled ({:.1} MiB filler) for {hold} s ({} simulated \
             min) of a {run_s} s run at ×60; logged, shown by `lantian health`, records held \
             in memory meanwhile",
            filled as f64 / 1048576.0,
            (room_at - full_at).num_minutes()
        ),
    );
    counts.assert_stored_once(&c.logs());
}
