//! External test peers (mbpoll, socat, pymodbus, influxd, victoria-metrics, chromium,
//! python3 and aiosmtpd for notifications): found,
//! or a clear skip — or a failure when
//! `CI` (or `LANTIAN_REQUIRE_PEERS`) is set, so CI can never pass by skipping.

use std::process::{Command, Stdio};

pub(crate) use super::ports::free_port;

fn required() -> bool {
    std::env::var_os("CI").is_some() || std::env::var_os("LANTIAN_REQUIRE_PEERS").is_some()
}

/// True when `peer` is usable; otherwise skips (returns false) or, under CI, panics.
pub(crate) fn require(peer: &str, available: bool) -> bool {
    if available {
        return true;
    }
    assert!(
        !required(),
        "test peer `{peer}` is missing (run scripts/test, which installs it)"
    );
    eprintln!("SKIPPED: test peer `{peer}` is missing (scripts/test installs it)");
    false
}

/// True when `program --version`-like invocation `args` runs.
pub(crate) fn runs(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// mbpoll is installed.
pub(crate) fn mbpoll() -> bool {
    require("mbpoll", runs("mbpoll", &["-V"]))
}

/// socat is installed.
pub(crate) fn socat() -> bool {
    require("socat", runs("socat", &["-V"]))
}

/// Debian's headless-capable Chromium, as `/usr/bin/chromium` (or `chromium` on the PATH):
/// its path when it runs.
pub(crate) fn chromium() -> Option<std::path::PathBuf> {
    let found = ["/usr/bin/chromium", "chromium"]
        .into_iter()
        .find(|p| runs(p, &["--version"]))
        .map(std::path::PathBuf::from);
    require("chromium", found.is_some()).then(|| found.unwrap_or_default())
}

/// Python with pymodbus 3.x is installed.
pub(crate) fn pymodbus() -> bool {
    let ok = Command::new("python3")
        .args([
            "-c",
            "import pymodbus, sys; sys.exit(0 if pymodbus.__version__.startswith('3.') else 1)",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    require("pymodbus 3.x (python3)", ok)
}

/// Python 3 runs (the notification receivers are standard-library scripts).
pub(crate) fn python3() -> bool {
    require("python3", runs("python3", &["--version"]))
}

/// Python with aiosmtpd (PyPI) is installed: the SMTP server of the notification tests.
pub(crate) fn aiosmtpd() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    require("aiosmtpd (python3 -m pip install aiosmtpd)", ok)
}

/// InfluxDB 1.x (`influxd`, Debian package `influxdb`) is installed.
#[cfg(feature = "influxdb")]
pub(crate) fn influxd() -> bool {
    require(
        "influxd (Debian package influxdb)",
        super::tsdb::Influxd::available(),
    )
}

/// VictoriaMetrics (`victoria-metrics`, Debian package `victoria-metrics`) is installed.
#[cfg(feature = "influxdb")]
pub(crate) fn victoria_metrics() -> bool {
    require(
        "victoria-metrics (Debian package victoria-metrics)",
        super::tsdb::VictoriaMetrics::available(),
    )
}

/// A pymodbus server (`tests/peers/pymodbus_server.py`) serving fixed registers on a free
/// loopback port; killed when dropped. Lines it prints after READY (the requests it received,
/// with `--log-requests`) are collected.
pub(crate) struct PymodbusServer {
    /// The port it listens on.
    pub port: u16,
    child: std::process::Child,
    lines: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl PymodbusServer {
    /// Starts the server with `args` (besides `--port`) and waits for READY; `None` when
    /// pymodbus is missing (and that is allowed).
    pub(crate) fn start(args: &[&str]) -> Option<PymodbusServer> {
        use std::io::BufRead;
        if !pymodbus() {
            return None;
        }
        let port = free_port();
        let script =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/pymodbus_server.py");
        let mut child = Command::new("python3")
            .arg(script)
            .args(["--port", &port.to_string()])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 runs");
        let mut reader = std::io::BufReader::new(child.stdout.take().expect("stdout"));
        let mut ready = String::new();
        reader.read_line(&mut ready).expect("pymodbus prints READY");
        assert_eq!(ready.trim(), "READY", "pymodbus server did not start");
        let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = lines.clone();
        std::thread::spawn(move || {
            for line in reader.lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        Some(PymodbusServer { port, child, lines })
    }

    /// `127.0.0.1:PORT`.
    pub(crate) fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The lines printed so far that start with `prefix`.
    pub(crate) fn lines(&self, prefix: &str) -> Vec<String> {
        let lines = self.lines.lock().unwrap();
        lines
            .iter()
            .filter(|l| l.starts_with(prefix))
            .cloned()
            .collect()
    }

    /// Stops the server (its port then refuses connections).
    pub(crate) fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for PymodbusServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Two linked pseudo-terminals made by `socat` (a serial line in a box): what is written to
/// one end is read at the other. Killed when dropped.
pub(crate) struct PtyPair {
    /// One end (give it to the simulator).
    pub sim_end: std::path::PathBuf,
    /// The other end (give it to the collector or the probe).
    pub client_end: std::path::PathBuf,
    child: std::process::Child,
}

impl PtyPair {
    /// Links `dir/sim-end` and `dir/client-end`; `None` when socat is missing (and that is
    /// allowed).
    pub(crate) fn start(dir: &std::path::Path) -> Option<PtyPair> {
        if !socat() {
            return None;
        }
        let (sim_end, client_end) = (dir.join("sim-end"), dir.join("client-end"));
        let child = Command::new("socat")
            .arg(format!("pty,raw,echo=0,link={}", sim_end.display()))
            .arg(format!("pty,raw,echo=0,link={}", client_end.display()))
            .stderr(Stdio::null())
            .spawn()
            .expect("socat runs");
        for _ in 0..100 {
            if sim_end.exists() && client_end.exists() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        Some(PtyPair {
            sim_end,
            client_end,
            child,
        })
    }
}

impl Drop for PtyPair {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
