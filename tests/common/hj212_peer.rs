//! The independent HJ 212 peer (`tests/peers/hj212_peer.py`, written from the standard's text)
//! driven from Rust tests — the one wrapper every test uses: an upper platform that records
//! every packet it receives ([`PeerPlatform`]), and a data logger that sends packets from JSON
//! lines, keeps its own clock and answers commands ([`run_logger`]). PWs reach the peer
//! through environment variables of its process, never its command line.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

/// python3 is installed (the peer needs nothing else).
pub(crate) use super::peers::python3;

/// The peer's script.
pub(crate) fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/hj212_peer.py")
}

/// The peer as an upper platform on a free loopback port; killed when dropped.
pub(crate) struct PeerPlatform {
    /// The port it listens on.
    pub port: u16,
    out: PathBuf,
    events: Arc<Mutex<Vec<Value>>>,
    child: Child,
    /// The folder of `out` when the platform made it.
    temp: Option<tempfile::TempDir>,
}

impl PeerPlatform {
    /// Starts the platform accepting the stations `accept` (MN, PW) with the extra options
    /// `args` (`--drop-acks N`, `--stall S`, `--close-after N`, `--raw`, …); `None` when
    /// python3 is missing (and that is allowed).
    pub(crate) fn start(accept: &[(&str, &str)], args: &[&str]) -> Option<PeerPlatform> {
        if !python3() {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("received.jsonl");
        let mut platform = PeerPlatform::start_at(0, &out, accept, args);
        platform.temp = Some(dir);
        Some(platform)
    }

    /// Starts the platform on `port` (0: any), appending what it receives to `out` (which
    /// outlives it: a platform started again on the same port and file goes on recording).
    /// The caller has checked [`python3`].
    pub(crate) fn start_at(
        port: u16,
        out: &Path,
        accept: &[(&str, &str)],
        args: &[&str],
    ) -> PeerPlatform {
        let mut command = Command::new("python3");
        command
            .arg(script())
            .args(["platform", "--port", &port.to_string(), "--out"])
            .arg(out);
        for (i, (mn, pw)) in accept.iter().enumerate() {
            let var = format!("LANTIAN_PEER_PW_{i}");
            command
                .env(&var, pw)
                .arg("--accept")
                .arg(format!("{mn}={var}"));
        }
        let mut child = command
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 runs");
        let mut reader = BufReader::new(child.stdout.take().expect("stdout"));
        let mut first = String::new();
        reader
            .read_line(&mut first)
            .expect("the peer prints its port");
        let port = serde_json::from_str::<Value>(&first)
            .ok()
            .and_then(|v| v["listening"].as_u64())
            .unwrap_or_else(|| panic!("the HJ 212 peer did not start: {first:?}"));
        let events = Arc::new(Mutex::new(Vec::new()));
        let sink = events.clone();
        std::thread::spawn(move || {
            for line in reader.lines().map_while(Result::ok) {
                if let Ok(v) = serde_json::from_str(&line) {
                    sink.lock().unwrap().push(v);
                }
            }
        });
        PeerPlatform {
            port: u16::try_from(port).expect("a port"),
            out: out.to_path_buf(),
            events,
            child,
            temp: None,
        }
    }

    /// `127.0.0.1:PORT`.
    pub(crate) fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Every packet received so far, one JSON object each (see the peer's docstring: `mn`,
    /// `cn`, `qn`, `datatime`, `cp`, `status`, `accepted`, `answered`, `conn`, `reads`, …).
    pub(crate) fn received(&self) -> Vec<Value> {
        recorded(&self.out)
    }

    /// The packets received once `done` holds for them, waiting at most `timeout`.
    pub(crate) fn wait_for(
        &self,
        timeout: Duration,
        done: impl Fn(&[Value]) -> bool,
    ) -> Vec<Value> {
        let deadline = Instant::now() + timeout;
        loop {
            let received = self.received();
            if done(&received) || Instant::now() >= deadline {
                return received;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Connection events printed so far (`connected`, `closed` with `packets` and `skipped`
    /// bytes, `refused`).
    pub(crate) fn events(&self) -> Vec<Value> {
        self.events.lock().unwrap().clone()
    }

    /// Stops the platform (its port then refuses connections).
    pub(crate) fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for PeerPlatform {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The packets a platform recorded in `out` so far (a line being written is left out).
pub(crate) fn recorded(out: &Path) -> Vec<Value> {
    std::fs::read_to_string(out)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.ends_with('}'))
        .map(|l| serde_json::from_str(l).expect("the peer writes JSON lines"))
        .collect()
}

/// Runs the peer as a data logger against `address` with station `mn` and `pw`, sending one
/// packet per element of `packets` (`{"cn": 2011, "datatime": "…", "values": {…}}`) with the
/// extra options `args` (`--timeout 1`, `--bad-crc 2`, `--split`, …), and returns its summary
/// line; `None` when python3 is missing (and that is allowed).
pub(crate) fn run_logger(
    address: &str,
    mn: &str,
    pw: &str,
    packets: &[Value],
    args: &[&str],
) -> Option<Value> {
    if !python3() {
        return None;
    }
    let (host, port) = address.rsplit_once(':').expect("host:port");
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("packets.jsonl");
    let lines: Vec<String> = packets.iter().map(Value::to_string).collect();
    std::fs::write(&input, lines.join("\n")).unwrap();
    let output = Command::new("python3")
        .arg(script())
        .args(["logger", "--host", host, "--port", port, "--mn", mn])
        .args(["--pw-env", "LANTIAN_PEER_PW", "--input"])
        .arg(&input)
        .args(args)
        .env("LANTIAN_PEER_PW", pw)
        .output()
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let summary = stdout.lines().last().unwrap_or_default();
    Some(serde_json::from_str(summary).unwrap_or_else(|_| {
        panic!(
            "the HJ 212 peer logger printed no summary: {stdout} {}",
            String::from_utf8_lossy(&output.stderr)
        )
    }))
}

// The one-logger test network of the HJ 212 ingest tests and the web platform's logger tests.

/// The logger of the test network.
pub(crate) const MN: &str = "88888880000001";
/// Its PW (in `pw.txt` for lantian, in an environment variable for the peer).
pub(crate) const PW: &str = "654321";
/// Its device id.
pub(crate) const DEVICE: &str = "WG-1-logger";

/// A network of one micro-station whose logger sends PM2.5 in mg/m³.
pub(crate) fn write_network(dir: &Path) -> PathBuf {
    write_network_with(dir, "")
}

/// [`write_network`] with `device_keys` (TOML lines) added to the logger's device.
pub(crate) fn write_network_with(dir: &Path, device_keys: &str) -> PathBuf {
    std::fs::write(dir.join("pw.txt"), format!("{PW}\n")).unwrap();
    let path = dir.join("network.toml");
    std::fs::write(
        &path,
        format!(
            r#"[network]
id = "t"
name = "测试网"
name_en = "Test network"
time_zone = "Asia/Shanghai"

[[station]]
id = "WG-1"
name = "网格一"
name_en = "Grid 1"
district = "测试"
district_en = "Test"
lat = 23.0
lon = 113.7
elevation_m = 10
kind = "micro"

[[station.device]]
id = "{DEVICE}"
transport = "hj212"
mn = "{MN}"
pw_file = "pw.txt"
{device_keys}
[[station.device.code]]
code = "a34004"
unit = "mg/m3"
"#
        ),
    )
    .unwrap();
    path
}
