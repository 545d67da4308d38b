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

/// The five analyzers of each station of [`gateway_network`]: id suffix and profile.
pub(crate) const GATEWAY_DEVICES: [(&str, &str); 5] = [
    ("NOX", "thermo-42i"),
    ("SO2", "thermo-43i"),
    ("CO", "thermo-48i"),
    ("O3", "thermo-49i"),
    ("PM25", "metone-bam1020-pm25"),
];

/// Writes `dir/network.toml`: `stations` stations `{prefix}0000` …, each a gateway at
/// `127.0.0.1:{first_port + k}` with the [`GATEWAY_DEVICES`] behind it (ids
/// `{prefix}0000-NOX` …, unit ids 1–5), polled every second; `dir/profiles` links to the
/// repository's profiles. Returns the network file.
pub(crate) fn gateway_network(
    dir: &std::path::Path,
    stations: usize,
    prefix: &str,
    first_port: usize,
) -> std::path::PathBuf {
    let profiles = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("stations/profiles");
    std::os::unix::fs::symlink(profiles, dir.join("profiles")).unwrap();
    let mut t = format!(
        "[network]\nid = \"{prefix}\"\nname = \"负载\"\nname_en = \"Load test\"\ntime_zone = \"Asia/Shanghai\"\n"
    );
    for s in 0..stations {
        let (lat, lon) = (
            22.6 + (s % 50) as f64 * 0.01,
            113.5 + (s / 50) as f64 * 0.01,
        );
        t += &format!(
            "\n[[station]]\nid = \"{prefix}{s:04}\"\nname = \"站{s}\"\nname_en = \"S{s}\"\ndistrict = \"区\"\ndistrict_en = \"D\"\nlat = {lat}\nlon = {lon}\nelevation_m = 10\nkind = \"micro\"\n"
        );
        for (u, (suffix, profile)) in GATEWAY_DEVICES.iter().enumerate() {
            t += &format!(
                "[[station.device]]\nid = \"{prefix}{s:04}-{suffix}\"\nprofile = \"{profile}\"\ntransport = \"tcp\"\naddress = \"127.0.0.1:{}\"\nunit = {}\npoll_interval = \"1s\"\n",
                first_port + s,
                u + 1
            );
        }
    }
    let path = dir.join("network.toml");
    std::fs::write(&path, t).unwrap();
    path
}
