//! glibc's malloc settings for the commands that run for days (`run`, `collect`, `serve`,
//! `sim`, `uplink`, `demo`).
//!
//! With glibc's defaults a long-running `lantian run` kept most of what its jobs freed: each
//! job runs on one of the runtime's blocking threads, each such thread may take its own malloc
//! arena (up to 8 per core), and each arena keeps its own peak; large transient blocks also
//! raise the threshold below which freed memory stays in an arena. [`TUNABLES`] fixes both.
//! Measured with the soak (README, Reliability): the demo network's collector 47 → 117.6 MiB
//! over two simulated months with the threshold alone, 40 → 53 MiB over 45 days with both; the
//! web platform under `web_load` 340 → 88 MiB at the same latencies.
//!
//! glibc reads its tunables only when a program starts, and setting them from inside
//! (`mallopt`) would take unsafe code, which lantian forbids: so these commands run the program
//! once more with the variable set, in the same process (`exec`, same PID), unless
//! `GLIBC_TUNABLES` is already set (a deployment's own choice wins, even an empty one).

/// What these commands run with: a fixed mmap threshold of 128 KiB (glibc's default start,
/// never raised) and one arena.
pub(crate) const TUNABLES: &str = "glibc.malloc.mmap_threshold=131072:glibc.malloc.arena_max=1";

/// Replaces this process with the same program, arguments and environment plus
/// `GLIBC_TUNABLES=`[`TUNABLES`], when the variable is not set. Returns when it is set, and
/// when the program cannot be run again (a warning: the command goes on with glibc's
/// defaults). Call it before any thread is started.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub(crate) fn use_tunables() {
    use std::os::unix::process::CommandExt;
    if std::env::var_os("GLIBC_TUNABLES").is_some() {
        return;
    }
    let program = match std::env::current_exe() {
        Ok(program) => program,
        Err(e) => {
            tracing::warn!(
                "cannot find this program to set GLIBC_TUNABLES ({e}); glibc's malloc defaults apply"
            );
            return;
        }
    };
    let mut args = std::env::args_os();
    let mut command = std::process::Command::new(&program);
    if let Some(arg0) = args.next() {
        command.arg0(arg0);
    }
    let error = command.args(args).env("GLIBC_TUNABLES", TUNABLES).exec();
    tracing::warn!(
        "cannot run {} again with GLIBC_TUNABLES ({error}); glibc's malloc defaults apply",
        program.display()
    );
}

/// Not glibc: nothing to set.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub(crate) fn use_tunables() {}
