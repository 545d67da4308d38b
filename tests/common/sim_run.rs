//! `lantian run` beside the simulator, as a user runs them: two processes on one accelerated
//! clock (`--speed`, `--start`), the simulator started first and stopped after the run.

use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};

/// The `lantian` binary under test.
pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_lantian");

/// `lantian --config CONFIG sim CLOCK`, running until dropped.
pub(crate) struct Simulator(Child);

impl Simulator {
    /// Starts the simulator of `config` on `clock` and gives it half a second to listen.
    pub(crate) fn start(config: &Path, clock: &[&str]) -> Simulator {
        let sim = Command::new(BIN)
            .arg("--config")
            .arg(config)
            .arg("sim")
            .args(clock)
            .stderr(Stdio::null())
            .spawn()
            .expect("start the simulator");
        std::thread::sleep(std::time::Duration::from_millis(500));
        Simulator(sim)
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `lantian --config CONFIG FLAGS run CLOCK --duration SECONDS`, not started yet.
pub(crate) fn lantian_run(config: &Path, clock: &[&str], flags: &[&str], seconds: u32) -> Command {
    let mut run = Command::new(BIN);
    run.arg("--config")
        .arg(config)
        .args(flags)
        .arg("run")
        .args(clock)
        .args(["--duration", &seconds.to_string()]);
    run
}

/// Starts the [`Simulator`], runs [`lantian_run`] (after `customise` has set its environment
/// or output), stops the simulator and returns how the run ended.
pub(crate) fn run_beside_simulator(
    config: &Path,
    clock: &[&str],
    flags: &[&str],
    seconds: u32,
    customise: impl FnOnce(&mut Command),
) -> ExitStatus {
    let _sim = Simulator::start(config, clock);
    let mut run = lantian_run(config, clock, flags, seconds);
    customise(&mut run);
    run.status().expect("run lantian")
}
