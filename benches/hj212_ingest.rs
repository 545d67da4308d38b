//! The HJ 212 ingest server at scale: `lantian hj212 listen` in its own process, and a load
//! generator here holding thousands of logger connections, each sending a real-time packet
//! (2011) every interval and waiting for its 9014.
//!
//! ```text
//! cargo bench --bench hj212_ingest -- [--loggers 5000] [--interval 30] [--seconds 120] [--ramp 20]
//! ```
//! Connections are opened over `--ramp` seconds; each logger sends at its own phase of the
//! interval. After one interval of warm-up, `--seconds` are measured: connections held,
//! packets sent and acknowledged per second, the 9014 latency (p50/p99), the server's CPU
//! (share of one core) and resident memory (peak, and per connection). Records go through
//! the spool into SQLite as in production.

mod support;

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use lantian::hj212::time::{format_data_time, format_qn};
use lantian::hj212::{Command as Cn, Cp, FrameEvent, Framer, Packet, SystemCode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const PW: &str = "123456";

struct Args {
    loggers: usize,
    interval: u64,
    seconds: u64,
    ramp: u64,
}

fn args() -> Args {
    // A short smoke run when not benchmarking (`cargo test --all-targets`).
    let (loggers, interval, seconds, ramp) = if support::benchmarking() {
        (5000, 30, 120, 20)
    } else {
        (20, 1, 2, 1)
    };
    Args {
        loggers: support::option("--loggers").unwrap_or(loggers),
        interval: support::option("--interval").unwrap_or(interval),
        seconds: support::option("--seconds").unwrap_or(seconds),
        ramp: support::option("--ramp").unwrap_or(ramp),
    }
}

fn mn(i: usize) -> String {
    format!("LOAD{i:010}")
}

/// A network of `loggers` micro-stations, one HJ 212 logger each, and its configuration.
fn write_config(dir: &Path, loggers: usize, port: u16) -> std::path::PathBuf {
    std::fs::write(dir.join("pw.txt"), PW).unwrap();
    let mut t = String::from(
        "[network]\nid = \"load\"\nname = \"负载\"\nname_en = \"Load test\"\ntime_zone = \"Asia/Shanghai\"\n",
    );
    for s in 0..loggers {
        let (lat, lon) = (
            22.6 + (s % 100) as f64 * 0.005,
            113.5 + (s / 100) as f64 * 0.005,
        );
        t += &format!(
            "\n[[station]]\nid = \"W{s:05}\"\nname = \"微站{s}\"\nname_en = \"M{s}\"\ndistrict = \"区\"\ndistrict_en = \"D\"\nlat = {lat}\nlon = {lon}\nelevation_m = 10\nkind = \"micro\"\n\
             [[station.device]]\nid = \"W{s:05}-logger\"\ntransport = \"hj212\"\nmn = \"{}\"\npw_file = \"pw.txt\"\n",
            mn(s)
        );
    }
    std::fs::write(dir.join("network.toml"), t).unwrap();
    let config = dir.join("lantian.toml");
    std::fs::write(
        &config,
        format!(
            "registry = \"network.toml\"\nstore = \"sqlite:load.db\"\n\
             [hj212]\nlisten = \"127.0.0.1:{port}\"\nmax_connections = {}\n\
             max_connections_per_ip = {}\n",
            loggers + 100,
            loggers + 100
        ),
    )
    .unwrap();
    config
}

/// What the loggers did, shared.
#[derive(Default)]
struct Tally {
    connected: AtomicU64,
    sent: AtomicU64,
    acked: AtomicU64,
    latencies_us: std::sync::Mutex<Vec<u64>>,
}

/// One logger: connects, then every `interval` (at its own phase) sends a real-time packet
/// and waits for the 9014.
async fn logger(
    i: usize,
    addr: SocketAddr,
    interval: Duration,
    phase: Duration,
    tally: Arc<Tally>,
) {
    let Ok(mut stream) = TcpStream::connect(addr).await else {
        return;
    };
    tally.connected.fetch_add(1, Ordering::Relaxed);
    let mn = mn(i);
    let zone = chrono_tz::Asia::Shanghai;
    let mut framer = Framer::new();
    let mut buf = [0u8; 1024];
    let mut next = tokio::time::Instant::now() + phase;
    loop {
        tokio::time::sleep_until(next).await;
        next += interval;
        let now = Utc::now();
        let mut cp = Cp::new();
        cp.push("DataTime", format_data_time(now, zone));
        let pm = format!("{:.1}", 20.0 + (i % 50) as f64);
        cp.push_group([("a34004-Rtd", pm.as_str()), ("a34004-Flag", "N")]);
        cp.push_group([("a34002-Rtd", "61.0"), ("a34002-Flag", "N")]);
        cp.push_group([("a21004-Rtd", "33.5"), ("a21004-Flag", "N")]);
        let qn = format_qn(now, zone);
        let packet = Packet::new(
            qn.as_str(),
            SystemCode::AirQuality,
            Cn::RealTimeData,
            PW,
            mn.as_str(),
            true,
            cp,
        )
        .encode()
        .unwrap();
        let sent = Instant::now();
        if stream.write_all(&packet).await.is_err() {
            return;
        }
        tally.sent.fetch_add(1, Ordering::Relaxed);
        'ack: loop {
            let n = match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            framer.push(&buf[..n]);
            while let Some(event) = framer.next_event() {
                if let FrameEvent::Frame(frame) = event
                    && frame.windows(8).any(|w| w == b"CN=9014;")
                {
                    tally.acked.fetch_add(1, Ordering::Relaxed);
                    let us = sent.elapsed().as_micros() as u64;
                    tally.latencies_us.lock().unwrap().push(us);
                    break 'ack;
                }
            }
        }
    }
}

fn quantile(sorted: &[u64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize] as f64 / 1000.0
}

fn main() {
    let args = args();
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo bench -- --list` asks for criterion-style names; there are none.
    }
    rlimit::increase_nofile_limit(u64::MAX).expect("raise the open-files limit");
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = write_config(dir.path(), args.loggers, port);
    eprintln!(
        "HJ 212 load: {} loggers, one 2011 packet each every {} s",
        args.loggers, args.interval
    );
    let mut server = Command::new(env!("CARGO_BIN_EXE_lantian"))
        .arg("--config")
        .arg(&config)
        .args(["-q", "hj212", "listen", "--report-every", "3600"])
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start lantian hj212 listen");
    let pid = server.id().to_string();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let started = Instant::now();
    while std::net::TcpStream::connect(addr).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the server never listened"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let idle_rss = support::rss_mib(&pid);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let tally = Arc::new(Tally::default());
        let interval = Duration::from_secs(args.interval);
        for i in 0..args.loggers {
            let phase = interval.mul_f64((i as f64 * 0.618_033_988_749_894_8).fract());
            tokio::spawn(logger(i, addr, interval, phase, tally.clone()));
            if args.ramp > 0 && i % 100 == 99 {
                let step = Duration::from_secs(args.ramp).mul_f64(100.0 / args.loggers as f64);
                tokio::time::sleep(step).await;
            }
        }
        tokio::time::sleep(interval).await;
        let sent0 = tally.sent.load(Ordering::Relaxed);
        let acked0 = tally.acked.load(Ordering::Relaxed);
        tally.latencies_us.lock().unwrap().clear();
        let (cpu0, t0) = (support::cpu_seconds(&pid), Instant::now());
        tokio::time::sleep(Duration::from_secs(args.seconds)).await;
        let elapsed = t0.elapsed().as_secs_f64();
        let cpu = support::cpu_seconds(&pid) - cpu0;
        let sent = tally.sent.load(Ordering::Relaxed) - sent0;
        let acked = tally.acked.load(Ordering::Relaxed) - acked0;
        let (rss, peak) = (support::rss_mib(&pid), support::peak_rss_mib(&pid));
        let mut lat = tally.latencies_us.lock().unwrap().clone();
        lat.sort_unstable();
        let connected = tally.connected.load(Ordering::Relaxed);
        println!("loggers connected       {connected} of {}", args.loggers);
        println!(
            "packets                 {sent} sent, {acked} acknowledged in {elapsed:.0} s ({:.0}/s; target {:.0}/s)",
            acked as f64 / elapsed,
            args.loggers as f64 / args.interval as f64
        );
        println!(
            "9014 latency            p50 {:.1} ms  p99 {:.1} ms",
            quantile(&lat, 0.5),
            quantile(&lat, 0.99)
        );
        println!(
            "server CPU              {:.1} % of one core ({:.2} ms per packet)",
            100.0 * cpu / elapsed,
            1000.0 * cpu / acked.max(1) as f64
        );
        println!(
            "server memory           {rss:.0} MiB resident ({idle_rss:.0} MiB before the loggers; peak {peak:.0} MiB; {:.1} KiB per connection)",
            (rss - idle_rss) * 1024.0 / connected.max(1) as f64
        );
    });
    drop(runtime);
    let _ = Command::new("kill").args(["-TERM", &pid]).status();
    let _ = server.wait();
}
