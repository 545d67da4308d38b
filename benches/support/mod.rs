//! Helpers shared by the bench binaries that measure whole processes (`collect_load`,
//! `store_ingest`): command-line options and process statistics from `/proc`.

#![allow(dead_code)]

use std::str::FromStr;

/// True under `cargo bench` (which passes `--bench`); `cargo test --all-targets` runs the
/// bench binaries without it, and they then make a short smoke run.
pub(crate) fn benchmarking() -> bool {
    std::env::args().any(|a| a == "--bench")
}

/// The value after `--name` on the command line, if given.
///
/// # Panics
/// When the value does not parse (a bench is run by hand; a clear panic is the right error).
pub(crate) fn option<T: FromStr>(name: &str) -> Option<T> {
    let argv: Vec<String> = std::env::args().collect();
    let at = argv.iter().position(|a| a == name)?;
    let text = argv
        .get(at + 1)
        .unwrap_or_else(|| panic!("{name} needs a value"));
    Some(
        text.parse()
            .unwrap_or_else(|_| panic!("{name}: cannot read `{text}`")),
    )
}

/// CPU seconds (user + system) of a process (`"self"` or a pid), from `/proc`.
pub(crate) fn cpu_seconds(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = f.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0)
        + f.get(12).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    ticks / 100.0
}

/// Resident set size in MiB of a process (`"self"` or a pid).
pub(crate) fn rss_mib(pid: &str) -> f64 {
    status_mib(pid, "VmRSS:")
}

/// Peak resident set size in MiB of a process (`"self"` or a pid): `VmHWM`.
pub(crate) fn peak_rss_mib(pid: &str) -> f64 {
    status_mib(pid, "VmHWM:")
}

/// A `kB` line of `/proc/PID/status`, in MiB (0 when absent).
fn status_mib(pid: &str, key: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0
}

/// Open file descriptors of a process (`"self"` or a pid): the entries of `/proc/PID/fd`.
pub(crate) fn open_fds(pid: &str) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count())
}

/// Least-squares slope of `y` over `x` (0 with fewer than two points).
pub(crate) fn slope(points: &[(f64, f64)]) -> f64 {
    let n = points.len() as f64;
    if points.len() < 2 {
        return 0.0;
    }
    let (mx, my) = (
        points.iter().map(|p| p.0).sum::<f64>() / n,
        points.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    if sxx == 0.0 { 0.0 } else { sxy / sxx }
}
