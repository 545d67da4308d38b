//! The web platform under load, over real HTTP on loopback (the server and this client in one
//! process, on the same 2 cores): a store with the demo network (two days of the simulator's
//! history) plus 2,000 simulated stations (two days of hourly data), hourly and daily AQI.
//!
//! - the latest-values API, `GET /api/v1/latest?station=ID` (a random station each), driven
//!   **open-loop** at a fixed rate (default 500 requests/s): each request is sent at its
//!   scheduled time whether or not earlier ones have answered, and its latency runs from that
//!   scheduled time (so a stalled server is not hidden by a waiting client); then the whole
//!   network's `GET /api/v1/latest`, closed-loop, a few times;
//! - the overview's live part, `GET /overview/live`: the first render after the server
//!   starts, then after the day's indices change (the rankings recomputed), then kept;
//! - 1,000 concurrent SSE clients on `/api/v1/events`: after all have their snapshot, one new
//!   hourly value is written to the store; each client's delay from the write to its `update`;
//! - the process's resident memory (RSS, `/proc/self/status`) after each.
//!
//! `cargo bench --bench web_load [-- --rate 500 --seconds 20 --clients 1000 --stations 2000]`
//! (`cargo test` runs every phase small: 20 requests/s for 1 s, 20 clients, 100 stations)

#[path = "common/web_stores.rs"]
mod web_stores;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::TimeDelta;
use lantian::quality::Flag;
use lantian::store::sqlite::SqliteStore;
use lantian::store::{ReadingStore, Record, Resolution, StoreUrl};
use lantian::units::Parameter;
use lantian::web::{Permission, Role, Server, ServerParts, WebConfig};
use rand::Rng;
use tokio::sync::Mutex;

fn arg(name: &str, default: f64) -> f64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Resident memory of this process, MiB.
fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// p50, p90, p99, max of `samples` (ms).
fn percentiles(samples: &mut [f64]) -> String {
    if samples.is_empty() {
        return "no samples".into();
    }
    samples.sort_by(f64::total_cmp);
    let q = |p: f64| samples[((samples.len() - 1) as f64 * p).round() as usize];
    format!(
        "p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} samples)",
        q(0.5),
        q(0.9),
        q(0.99),
        samples[samples.len() - 1],
        samples.len()
    )
}

#[tokio::main]
async fn main() {
    // `cargo bench` measures; `cargo test` (CI) only checks that every phase runs, small.
    let benchmarking = std::env::args().any(|a| a == "--bench");
    let full = |measured: f64, smoke: f64| if benchmarking { measured } else { smoke };
    let rate = arg("--rate", full(500.0, 20.0));
    let seconds = arg("--seconds", full(20.0, 1.0));
    let clients = arg("--clients", full(1000.0, 20.0)) as usize;
    let large = arg("--stations", full(2000.0, 100.0)) as usize;
    let _ = rustls::crypto::ring::default_provider().install_default();

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("load.db");
    let built = Instant::now();
    let mut store = SqliteStore::open(&db).unwrap();
    web_stores::fill_demo(&mut store, 2);
    web_stores::fill_large(&mut store, large);
    let stations: Vec<String> = lantian::store::StationStore::stations(&store)
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    println!(
        "store: {} stations, built in {:.0} s",
        stations.len(),
        built.elapsed().as_secs_f64()
    );
    let settings = WebConfig {
        poll_seconds: 1,
        max_connections: clients + 200,
        ..WebConfig::default()
    };
    let server = Server::start(
        ServerParts {
            settings,
            store: (StoreUrl::Sqlite(db.clone()), Box::new(store)),
            registry: Some(Arc::new(web_stores::demo_registry())),
            accounts: dir.path().join("web.db"),
            report_dir: dir.path().join("reports"),
            alarm_hook: None,
            loggers: None,
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let accounts = server.state.accounts.clone();
    accounts
        .add_user("load", Role::Analyst, "a long load password", "bench")
        .unwrap();
    let token = accounts
        .issue_token("load", "bench", &[Permission::Read], None, "bench")
        .unwrap()
        .token;
    let base = format!("http://{}", server.addr);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        // Below the server's 30-s keep-alive limit: a connection the server has closed is
        // never reused (it would be reset).
        .pool_idle_timeout(std::time::Duration::from_secs(10))
        .build()
        .unwrap();
    println!(
        "server on {base}; RSS {:.0} MiB; load average {}",
        rss_mib(),
        load_average()
    );

    // The overview: first render (the server warms the rankings in the background from its
    // start; this asks at once), after a change of the day's indices, then kept.
    let session = http
        .post(format!("{base}/api/v1/session"))
        .header("content-type", "application/json")
        .body(r#"{"username": "load", "password": "a long load password"}"#)
        .send()
        .await
        .unwrap();
    let cookie = session
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("lantian_session="))
        .map(|v| v.split(';').next().unwrap().to_string())
        .unwrap();
    let overview = |label: &'static str| {
        let (http, base, cookie) = (http.clone(), base.clone(), cookie.clone());
        async move {
            let t = Instant::now();
            let r = http
                .get(format!("{base}/overview/live"))
                .header("cookie", cookie)
                .send()
                .await
                .unwrap();
            assert!(r.status().is_success(), "{}", r.status());
            let bytes = r.bytes().await.unwrap().len();
            println!(
                "overview /overview/live {label}: {:.0} ms ({} KiB); RSS {:.0} MiB; load average {}",
                t.elapsed().as_secs_f64() * 1000.0,
                bytes / 1024,
                rss_mib(),
                load_average()
            );
        }
    };
    overview("first, right after the start").await;
    // A change of the day's indices (the index stage rewrites a day): the next render
    // recomputes the rankings unless the background warming got there first.
    {
        let mut writer = SqliteStore::open(&db).unwrap();
        let days = lantian::assess::DateRange {
            first: web_stores::end()
                .with_timezone(&chrono_tz::Asia::Shanghai)
                .date_naive(),
            last: web_stores::end()
                .with_timezone(&chrono_tz::Asia::Shanghai)
                .date_naive(),
        };
        lantian::compute::recompute_days(
            &mut writer,
            lantian::compute::IndexConfig::default(),
            &["S0000".to_string()],
            days,
        )
        .unwrap();
    }
    overview("right after the day's indices changed").await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    for _ in 0..3 {
        overview("kept").await;
    }

    // The latest-values API, open-loop.
    let total = (rate * seconds) as usize;
    let interval = Duration::from_secs_f64(1.0 / rate);
    let latencies = Arc::new(Mutex::new(Vec::with_capacity(total)));
    let errors = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let start = tokio::time::Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    let mut peak_rss = rss_mib();
    for i in 0..total {
        let scheduled = start + interval * i as u32;
        tokio::time::sleep_until(scheduled).await;
        let station = &stations[rand::thread_rng().gen_range(0..stations.len())];
        let request = http
            .get(format!("{base}/api/v1/latest?station={station}"))
            .bearer_auth(&token);
        let (latencies, errors) = (latencies.clone(), errors.clone());
        tasks.spawn(async move {
            let ok = match request.send().await {
                Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                Err(_) => false,
            };
            if ok {
                let ms = (tokio::time::Instant::now() - scheduled).as_secs_f64() * 1000.0;
                latencies.lock().await.push(ms);
            } else {
                errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        });
        if i % 500 == 0 {
            peak_rss = peak_rss.max(rss_mib());
        }
    }
    while tasks.join_next().await.is_some() {}
    let elapsed = start.elapsed().as_secs_f64();
    let mut l = latencies.lock().await.clone();
    println!(
        "latest ?station=ID, open-loop {rate} req/s for {seconds} s: {}; achieved {:.0} req/s; \
         {} errors; RSS peak {:.0} MiB; load average {}",
        percentiles(&mut l),
        total as f64 / elapsed,
        errors.load(std::sync::atomic::Ordering::Relaxed),
        peak_rss,
        load_average()
    );
    let mut whole = Vec::new();
    let mut size = 0;
    for _ in 0..5 {
        let t = Instant::now();
        let r = http
            .get(format!("{base}/api/v1/latest"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        size = r.bytes().await.unwrap().len();
        whole.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    println!(
        "latest, the whole network ({} KiB), closed-loop: {}",
        size / 1024,
        percentiles(&mut whole)
    );

    // SSE: `clients` connections, each waits for its snapshot, then for the update of one
    // new hourly value written to the store. Each client is a bare HTTP/1.1 request on a TCP
    // socket read through one 16-KiB buffer, so the process's RSS is the server's plus at most
    // 16 MiB of clients (an HTTP client library keeps a read buffer of up to ≈ 400 KiB per
    // connection: 400 MiB of client for 1,000 of them).
    let connected = Arc::new(tokio::sync::Barrier::new(clients + 1));
    let written: Arc<std::sync::OnceLock<Instant>> = Arc::new(std::sync::OnceLock::new());
    let delays = Arc::new(Mutex::new(Vec::with_capacity(clients)));
    let mut sse = tokio::task::JoinSet::new();
    let before_sse = rss_mib();
    let connect_start = Instant::now();
    for _ in 0..clients {
        let request = format!(
            "GET /api/v1/events HTTP/1.1\r\nhost: {}\r\nauthorization: Bearer {token}\r\n\r\n",
            server.addr
        );
        let addr = server.addr;
        let (connected, written, delays) = (connected.clone(), written.clone(), delays.clone());
        sse.spawn(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let mut socket = tokio::net::TcpStream::connect(addr).await.unwrap();
            socket.write_all(request.as_bytes()).await.unwrap();
            // The snapshot (compact JSON on one line) is the first event: it ends at the
            // stream's first blank line ("\n\n"; the headers end in "\r\n\r\n"). Then the
            // update of the value written. Reads keep the last bytes of the one before, so a
            // marker cut between two reads is still seen.
            const KEEP: usize = 32;
            let mut buffer = vec![0u8; 16 * 1024];
            let mut kept = 0;
            let mut snapshot = false;
            loop {
                let n = socket.read(&mut buffer[kept..]).await.unwrap();
                assert!(n > 0, "the server closed an event stream");
                let seen = &buffer[..kept + n];
                let has = |marker: &[u8]| seen.windows(marker.len()).any(|w| w == marker);
                if !snapshot && has(b"\n\n") {
                    // What follows the snapshot comes after the write (after every client
                    // has its snapshot): nothing of this read is needed.
                    snapshot = true;
                    kept = 0;
                    connected.wait().await;
                    continue;
                } else if snapshot && has(b"event: update") && has(b"99.99") {
                    let at = *written.get().expect("written before the update");
                    delays
                        .lock()
                        .await
                        .push(at.elapsed().as_secs_f64() * 1000.0);
                    return;
                }
                // An update is small: after the snapshot, keep it whole until it is complete.
                let keep = seen
                    .len()
                    .min(if snapshot { buffer.len() / 2 } else { KEEP });
                let from = seen.len() - keep;
                buffer.copy_within(from..from + keep, 0);
                kept = keep;
            }
        });
    }
    connected.wait().await;
    println!(
        "SSE: {clients} clients connected with their snapshots in {:.1} s; RSS {:.0} MiB \
         (before them {before_sse:.0} MiB); load average {}",
        connect_start.elapsed().as_secs_f64(),
        rss_mib(),
        load_average()
    );
    {
        let mut writer = SqliteStore::open(&db).unwrap();
        let record = Record {
            station: "S0000".into(),
            parameter: Parameter::Pm25,
            resolution: Resolution::Minute,
            time: web_stores::end() + TimeDelta::minutes(1),
            value: 99.99,
            flag: Flag::Normal,
            count: 1,
        };
        written.set(Instant::now()).unwrap();
        writer.put_readings(&[record]).unwrap();
    }
    let waited = tokio::time::timeout(Duration::from_secs(30), async {
        while sse.join_next().await.is_some() {}
    })
    .await;
    let mut d = delays.lock().await.clone();
    let late = d.iter().filter(|ms| **ms > 1000.0).count();
    println!(
        "SSE: delay from the store write to each client's update: {}; {} of {clients} over 1 s; \
         {} never got it; RSS {:.0} MiB; load average {}",
        percentiles(&mut d),
        late,
        clients - d.len(),
        rss_mib(),
        load_average()
    );
    if waited.is_err() {
        sse.abort_all();
    }
    server.stop().await;
}
