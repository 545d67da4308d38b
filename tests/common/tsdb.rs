//! Real time-series servers for tests and benches: InfluxDB 1.x (`influxd`, Debian's
//! `influxdb` package) and VictoriaMetrics (single node), each started on free 127.0.0.1
//! ports with its data in a temporary folder, and killed (and the folder removed) on drop.
//!
//! Used by `tests/store_influx.rs` and, through `#[path]`, by `benches/store_ingest.rs`; it
//! does not decide whether a missing server skips or fails (see `peers.rs`).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::ports::free_port;

/// How long a server may take to answer its health check.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// A running server process with its data folder.
struct Process {
    child: Child,
    name: &'static str,
    dir: tempfile::TempDir,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = &self.dir; // removed after the process is gone
    }
}

impl Process {
    /// Waits until `url` answers with a success status, or panics with the server's log.
    fn wait_healthy(&mut self, url: &str) {
        lantian::store::influx::install_crypto_provider();
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()
            .expect("HTTP client");
        let start = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "{} exited with {status} while starting:\n{}",
                    self.name,
                    self.log()
                );
            }
            if http.get(url).send().is_ok_and(|r| r.status().is_success()) {
                return;
            }
            if start.elapsed() > START_TIMEOUT {
                panic!(
                    "{} did not answer {url} within {START_TIMEOUT:?}:\n{}",
                    self.name,
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    fn spawn(name: &'static str, dir: tempfile::TempDir, cmd: &mut Command) -> Process {
        let log = std::fs::File::create(dir.path().join("server.log")).expect("log file");
        let err = log.try_clone().expect("log file");
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(err))
            .spawn()
            .unwrap_or_else(|e| panic!("starting {name}: {e}"));
        Process { child, name, dir }
    }
}

/// `influxd` (1.x) on 127.0.0.1 with a configuration written for it: no reporting, no
/// monitor database, no IFQL listener, data/meta/WAL in a temporary folder.
pub(crate) struct Influxd {
    process: Process,
    /// The HTTP port.
    pub port: u16,
}

/// Numbers databases within a test binary, so that each store starts empty.
static DATABASES: AtomicUsize = AtomicUsize::new(0);

impl Influxd {
    /// Whether `influxd` can be run.
    pub(crate) fn available() -> bool {
        Command::new("influxd")
            .arg("version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    /// Starts a server and waits for `/ping`.
    pub(crate) fn start() -> Influxd {
        let dir = tempfile::tempdir().expect("temp dir");
        let (rpc, port) = (free_port(), free_port());
        let config = dir.path().join("influxdb.conf");
        std::fs::write(&config, influxd_config(dir.path(), rpc, port)).expect("write config");
        let mut process = Process::spawn(
            "influxd",
            dir,
            Command::new("influxd")
                .arg("run")
                .arg("-config")
                .arg(&config),
        );
        process.wait_healthy(&format!("http://127.0.0.1:{port}/ping"));
        Influxd { process, port }
    }

    /// The store URL of database `db` (v1 API).
    pub(crate) fn url(&self, db: &str) -> String {
        format!("influx+http://127.0.0.1:{}?db={db}", self.port)
    }

    /// A new, empty database: its store URL (the database is created, as
    /// [`lantian::store::open`] does).
    pub(crate) fn new_database(&self) -> String {
        let n = DATABASES.fetch_add(1, Ordering::Relaxed);
        let url = self.url(&format!("lantian_{}_{n}", std::process::id()));
        let config = lantian::store::influx::config::InfluxConfig::parse(&url).expect("URL");
        lantian::store::influx::InfluxStore::open(&config)
            .and_then(|mut s| s.create_database())
            .expect("CREATE DATABASE");
        url
    }

    /// The process id (for CPU accounting).
    pub(crate) fn pid(&self) -> u32 {
        self.process.child.id()
    }
}

fn influxd_config(dir: &Path, rpc: u16, http: u16) -> String {
    let d = dir.display();
    format!(
        r#"reporting-disabled = true
bind-address = "127.0.0.1:{rpc}"

[meta]
  dir = "{d}/meta"
  logging-enabled = false

[data]
  dir = "{d}/data"
  wal-dir = "{d}/wal"
  query-log-enabled = false
  trace-logging-enabled = false

[retention]
  enabled = false

[shard-precreation]
  enabled = false

[monitor]
  store-enabled = false

[http]
  enabled = true
  bind-address = "127.0.0.1:{http}"
  auth-enabled = false
  log-enabled = false

[ifql]
  enabled = false

[continuous_queries]
  enabled = false

[subscriber]
  enabled = false

[logging]
  level = "warn"
"#
    )
}

/// VictoriaMetrics (single node) on 127.0.0.1.
pub(crate) struct VictoriaMetrics {
    process: Process,
    /// The HTTP port.
    pub port: u16,
}

impl VictoriaMetrics {
    /// Whether `victoria-metrics` can be run.
    pub(crate) fn available() -> bool {
        Command::new("victoria-metrics")
            .arg("-version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    /// Starts a server and waits for `/health`.
    pub(crate) fn start() -> VictoriaMetrics {
        let dir = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let data = dir.path().join("data");
        let mut process = Process::spawn(
            "victoria-metrics",
            dir,
            Command::new("victoria-metrics")
                .arg(format!("-httpListenAddr=127.0.0.1:{port}"))
                .arg(format!("-storageDataPath={}", data.display()))
                .arg("-loggerLevel=WARN"),
        );
        process.wait_healthy(&format!("http://127.0.0.1:{port}/health"));
        VictoriaMetrics { process, port }
    }

    /// The base HTTP URL.
    pub(crate) fn http(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The process id.
    pub(crate) fn pid(&self) -> u32 {
        self.process.child.id()
    }
}
