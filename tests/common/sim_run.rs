//! `lantian run` beside the simulator, as a user runs them: two processes on one accelerated
//! clock (`--speed`, `--start`), the simulator started first and stopped after the run.

use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};

/// The `lantian` binary under test.
pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_lantian");

/// Starts `lantian --config CONFIG sim CLOCK`, runs `lantian --config CONFIG FLAGS run CLOCK
/// --duration SECONDS` (after `customise` has set its environment or output), stops the
/// simulator and returns how the run ended.
pub(crate) fn run_beside_simulator(
    config: &Path,
    clock: &[&str],
    flags: &[&str],
    seconds: u32,
    customise: impl FnOnce(&mut Command),
) -> ExitStatus {
    let mut sim = Command::new(BIN)
        .arg("--config")
        .arg(config)
        .arg("sim")
        .args(clock)
        .stderr(Stdio::null())
        .spawn()
        .expect("start the simulator");
    std::thread::sleep(std::time::Duration::from_millis(500));
    let mut run = Command::new(BIN);
    run.arg("--config")
        .arg(config)
        .args(flags)
        .arg("run")
        .args(clock)
        .args(["--duration", &seconds.to_string()]);
    customise(&mut run);
    let status = run.status().expect("run lantian");
    let _ = sim.kill();
    let _ = sim.wait();
    status
}
