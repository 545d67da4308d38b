//! The HJ 212 ingest server against the independent Python peer (`tests/peers/hj212_peer.py`,
//! written from the standard's text) in logger mode, on loopback: values stored exactly in
//! canonical units with hour-ending labels, 9014 only after the spool, re-sends not
//! duplicated, bad CRC / wrong PW / unknown MN rejected and counted with nothing stored, split
//! packets and several per write, and raw clients that send garbage, never finish a packet or
//! open too many connections (commands to loggers: `commands.rs`).

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use chrono::{DateTime, Utc};
use lantian::clock::Clock;
use lantian::collect::hj212::{
    CountersSnapshot, Hj212Config, Hj212Listener, Loggers, READ_BUFFER, Rejection,
};
use lantian::collect::{CollectorConfig, Pipeline, SpoolConfig};
use lantian::compute::IndexConfig;
use lantian::hj212::MAX_PACKET_LEN;
use lantian::quality::Flag;
use lantian::registry::Registry;
use lantian::store::spool::Spool;
use lantian::store::sqlite::SqliteStore;
use lantian::store::{
    DeviceHealth, HealthStore, ReadingQuery, ReadingStore, Record, Resolution, StoreUrl,
};
use lantian::units::Parameter;
use serde_json::{Value, json};

use crate::common::hj212_peer::{python3, run_logger};

pub(crate) use crate::common::hj212_peer::{DEVICE, MN, PW, write_network, write_network_with};

/// A listener and pipeline into a SQLite store in a temporary folder.
pub(crate) struct Ingest {
    dir: tempfile::TempDir,
    pub(crate) listener: Hj212Listener,
    pipeline: Pipeline,
}

impl Ingest {
    pub(crate) async fn start(config: Hj212Config) -> Ingest {
        Ingest::start_with(config, "", Clock::real()).await
    }

    /// The listener for the test network's logger with `device_keys`, on `clock`.
    pub(crate) async fn start_with(config: Hj212Config, device_keys: &str, clock: Clock) -> Ingest {
        let dir = tempfile::tempdir().unwrap();
        let registry = Registry::load(&write_network_with(dir.path(), device_keys)).unwrap();
        let db = dir.path().join("store.db");
        let mut store = SqliteStore::open(&db).unwrap();
        lantian::store::StationStore::put_stations(&mut store, &registry.station_infos()).unwrap();
        let spool =
            Spool::open_for(dir.path().join("spool"), 64 << 20, &StoreUrl::Sqlite(db)).unwrap();
        let pipeline = Pipeline::start_spooled(
            &[],
            clock.clone(),
            CollectorConfig::default(),
            IndexConfig::default(),
            Box::new(store),
            spool,
            &SpoolConfig::default(),
        );
        let listener = Hj212Listener::start(
            &config,
            "127.0.0.1:0".parse().unwrap(),
            Loggers::from_registry(&registry).unwrap(),
            clock,
            pipeline.intake(),
            pipeline.health(),
        )
        .await
        .unwrap();
        Ingest {
            dir,
            listener,
            pipeline,
        }
    }

    pub(crate) fn addr(&self) -> SocketAddr {
        self.listener.local_addr()
    }

    /// Runs the peer as a logger (blocking, on a helper thread) and returns its summary.
    pub(crate) async fn logger(&self, packets: &[Value], options: &[&str]) -> Value {
        run_peer(self.addr().port(), packets, options).await
    }

    /// Stops everything; returns the counters and the store.
    pub(crate) async fn stop(self) -> (CountersSnapshot, SqliteStore, tempfile::TempDir) {
        let counters = self.listener.counters();
        self.listener.stop().await;
        self.pipeline.stop().await.unwrap();
        let store = SqliteStore::open(self.dir.path().join("store.db")).unwrap();
        (counters, store, self.dir)
    }
}

/// Runs the peer as the test network's logger against `port` with `packets` as its input
/// (on a blocking thread) and returns its summary; `--mn` in `options` names another MN.
pub(crate) async fn run_peer(port: u16, packets: &[Value], options: &[&str]) -> Value {
    let packets = packets.to_vec();
    let options: Vec<String> = options.iter().map(ToString::to_string).collect();
    tokio::task::spawn_blocking(move || {
        let options: Vec<&str> = options.iter().map(String::as_str).collect();
        let address = format!("127.0.0.1:{port}");
        run_logger(&address, MN, PW, &packets, &options).expect("python3 runs the peer")
    })
    .await
    .unwrap()
}

pub(crate) fn utc(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn all(store: &SqliteStore, resolution: Resolution) -> Vec<Record> {
    let q = ReadingQuery::new(
        resolution,
        utc("2000-01-01T00:00:00Z"),
        utc("2100-01-01T00:00:00Z"),
    );
    store.readings(&q).unwrap()
}

fn value(records: &[Record], parameter: Parameter, time: &str) -> Option<(f64, Flag)> {
    records
        .iter()
        .find(|r| r.parameter == parameter && r.time == utc(time))
        .map(|r| (r.value, r.flag))
}

pub(crate) fn logger_health(store: &SqliteStore) -> DeviceHealth {
    store
        .health()
        .unwrap()
        .into_iter()
        .find(|h| h.device == DEVICE)
        .expect("the logger's health is stored")
}

/// A day of data of every kind, as a logger sends it (local times, Asia/Shanghai).
pub(crate) fn a_day_of_packets() -> Vec<Value> {
    let mut packets = vec![
        json!({"cn": 2011, "datatime": "20260301083015", "values": {
            "a34004": {"Rtd": "0.0352", "Flag": "N"}, "a21004": {"Rtd": "41.5", "Flag": "N"}}}),
        json!({"cn": 2051, "datatime": "20260301083000", "values": {
            "a34004": {"Avg": "0.0348", "Min": "0.030", "Max": "0.040", "Flag": "N"}}}),
        json!({"cn": 2031, "datatime": "20260301000000", "values": {
            "a34004": {"Avg": "0.0412", "Flag": "N"}, "a05024": {"Avg": "95", "Flag": "N"}}}),
    ];
    for hour in 0..24 {
        packets.push(
            json!({"cn": 2061, "datatime": format!("20260301{hour:02}0000"), "values": {
            "a34004": {"Avg": format!("0.0{:02}", 20 + hour), "Flag": "N"},
            "a21005": {"Avg": "0.8", "Flag": if hour == 8 { "C" } else { "N" }},
            "a21026": {"Avg": "12", "Flag": "N"},
            "a01006": {"Avg": "101.3"},
            "SB1": {"RS": "1"}}}),
        );
    }
    packets
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_logger_s_data_is_stored_exactly_with_hour_ending_labels() {
    if !python3() {
        return;
    }
    let ingest = Ingest::start(Hj212Config::default()).await;
    let packets = a_day_of_packets();
    let summary = ingest.logger(&packets, &["--timeout", "5"]).await;
    assert_eq!(summary["sent"], packets.len(), "{summary}");
    assert_eq!(
        summary["acknowledged"],
        packets.len(),
        "every packet acked: {summary}"
    );
    assert_eq!(summary["failed"], 0, "{summary}");
    let (counters, store, _dir) = ingest.stop().await;
    assert_eq!(counters.accepted, packets.len() as u64);
    assert!(counters.rejected.is_empty(), "{counters:?}");

    let hours = all(&store, Resolution::Hour);
    assert_eq!(hours.len(), 24 * 4, "PM2.5, CO, SO2, pressure for 24 hours");
    // DataTime 08:00 local = 00:00 UTC starts the hour labelled 09:00 local = 01:00 UTC;
    // 0.028 mg/m³ = 28 µg/m³.
    let (pm, flag) = value(&hours, Parameter::Pm25, "2026-03-01T01:00:00Z").unwrap();
    assert!((pm - 28.0).abs() < 1e-9, "{pm}");
    assert_eq!(flag, Flag::Normal);
    assert_eq!(
        value(&hours, Parameter::Co, "2026-03-01T01:00:00Z"),
        Some((0.8, Flag::Calibration))
    );
    assert_eq!(
        value(&hours, Parameter::So2, "2026-03-01T01:00:00Z"),
        Some((12.0, Flag::Normal))
    );
    // kPa → hPa; no -Flag is N.
    assert_eq!(
        value(&hours, Parameter::Pressure, "2026-03-01T01:00:00Z"),
        Some((1013.0, Flag::Normal))
    );
    // The first hour (00:00–01:00 local) is labelled 01:00 local = 17:00 UTC the day before.
    let (first, _) = value(&hours, Parameter::Pm25, "2026-02-28T17:00:00Z").unwrap();
    assert!((first - 20.0).abs() < 1e-9, "{first}");
    let samples = all(&store, Resolution::Sample);
    let (rtd, _) = value(&samples, Parameter::Pm25, "2026-03-01T00:30:15Z").unwrap();
    assert!((rtd - 35.2).abs() < 1e-9, "{rtd}");
    assert_eq!(
        value(&samples, Parameter::No2, "2026-03-01T00:30:15Z"),
        Some((41.5, Flag::Normal))
    );
    let minutes = all(&store, Resolution::Minute);
    let (minute, _) = value(&minutes, Parameter::Pm25, "2026-03-01T00:31:00Z").unwrap();
    assert!((minute - 34.8).abs() < 1e-9, "{minute}");
    let days = all(&store, Resolution::Day);
    assert_eq!(
        value(&days, Parameter::O3, "2026-02-28T16:00:00Z"),
        Some((95.0, Flag::Normal)),
        "a daily record is labelled with its local day's midnight"
    );
    let health = logger_health(&store);
    assert_eq!(health.station, "WG-1");
    assert_eq!((health.polls, health.successes), (27, 27));
    assert!(health.peer.is_some_and(|p| p.starts_with("127.0.0.1:")));
    assert_eq!(health.skipped, 0, "no gaps in the hours");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn re_sent_packets_are_not_duplicated() {
    if !python3() {
        return;
    }
    let ingest = Ingest::start(Hj212Config::default()).await;
    let packets = a_day_of_packets();
    ingest.logger(&packets, &["--resend"]).await;
    // The whole day again, on a new connection (a logger's backfill after an outage).
    let again = ingest.logger(&packets, &[]).await;
    assert_eq!(again["acknowledged"], packets.len(), "{again}");
    let (counters, store, _dir) = ingest.stop().await;
    assert_eq!(counters.accepted, 3 * packets.len() as u64, "{counters:?}");
    assert_eq!(store.count_readings(Resolution::Hour).unwrap(), 96);
    assert_eq!(store.count_readings(Resolution::Sample).unwrap(), 2);
    assert_eq!(store.count_readings(Resolution::Day).unwrap(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_crc_wrong_pw_and_unknown_mn_are_rejected_counted_and_not_stored() {
    if !python3() {
        return;
    }
    let ingest = Ingest::start(Hj212Config::default()).await;
    let packets = &a_day_of_packets()[3..6];
    let quick = ["--timeout", "0.5", "--retries", "0"];
    let wrong_pw = ingest
        .logger(packets, &[&quick[..], &["--wrong-pw"]].concat())
        .await;
    assert_eq!(wrong_pw["acknowledged"], 0, "{wrong_pw}");
    let unknown = ingest
        .logger(packets, &[&quick[..], &["--mn", "99999990000009"]].concat())
        .await;
    assert_eq!(unknown["acknowledged"], 0, "{unknown}");
    // Every packet's first transmission corrupted, no retry: nothing arrives intact.
    let bad_crc = ingest
        .logger(packets, &[&quick[..], &["--bad-crc", "1"]].concat())
        .await;
    assert_eq!(bad_crc["acknowledged"], 0, "{bad_crc}");
    let (counters, store, _dir) = ingest.stop().await;
    assert_eq!(counters.accepted, 0);
    assert_eq!(counters.rejected.get(&Rejection::WrongPw), Some(&3));
    assert_eq!(counters.rejected.get(&Rejection::UnknownMn), Some(&3));
    assert_eq!(counters.rejected.get(&Rejection::BadCrc), Some(&3));
    let peer = &counters.peers[&Some("127.0.0.1".parse().unwrap())];
    assert_eq!(peer.rejected.values().sum::<u64>(), 9);
    assert_eq!(peer.accepted, 0);
    for resolution in Resolution::ALL {
        assert_eq!(store.count_readings(resolution).unwrap(), 0, "{resolution}");
    }
    // Per logger: the packets that named its MN (wrong PW, bad CRC), not the unknown MN's.
    let health = logger_health(&store);
    let expected: BTreeMap<String, u64> =
        [("bad-crc".to_string(), 3), ("wrong-pw".to_string(), 3)].into();
    assert_eq!(health.rejected, expected);
    assert_eq!((health.polls, health.successes), (6, 0));
    assert!(health.last_error.is_some_and(|e| e.contains("127.0.0.1")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn split_packets_and_several_packets_per_write() {
    if !python3() {
        return;
    }
    let ingest = Ingest::start(Hj212Config::default()).await;
    let packets = a_day_of_packets();
    // CP cut into parts of at most 60 characters (PNUM/PNO), each packet in 3 writes.
    let split = ingest
        .logger(
            &packets[3..9],
            &["--max-cp", "60", "--split", "--split-pause", "0.02"],
        )
        .await;
    assert_eq!(split["acknowledged"], 6, "{split}");
    // Five packets per write, with noise between them.
    let together = ingest
        .logger(&packets[9..], &["--together", "5", "--garbage"])
        .await;
    assert_eq!(together["acknowledged"], 18, "{together}");
    let (counters, store, _dir) = ingest.stop().await;
    assert_eq!(counters.accepted, 24);
    assert!(counters.skipped_bytes > 0, "the noise was skipped");
    assert_eq!(store.count_readings(Resolution::Hour).unwrap(), 96);
    let hours = all(&store, Resolution::Hour);
    let (pm, _) = value(&hours, Parameter::Pm25, "2026-03-01T01:00:00Z").unwrap();
    assert!(
        (pm - 28.0).abs() < 1e-9,
        "a reassembled packet's values: {pm}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_and_unfinished_packets_cannot_grow_memory() {
    let config = Hj212Config {
        login_timeout: Duration::from_secs(2),
        ..Hj212Config::default()
    };
    let ingest = Ingest::start(config).await;
    let addr = ingest.addr();
    let outcome = tokio::task::spawn_blocking(move || {
        let mut garbage = TcpStream::connect(addr).unwrap();
        let mut unfinished = TcpStream::connect(addr).unwrap();
        let noise = vec![b'x'; 64 * 1024];
        // 4 MB of noise, and a packet start whose end never comes (no `##` after it).
        let mut start = b"##1000QN=20260301000000000;ST=22;CN=2011;PW=".to_vec();
        start.extend_from_slice(&vec![b'7'; 64 * 1024]);
        for _ in 0..64 {
            garbage.write_all(&noise).unwrap();
            unfinished.write_all(&start).unwrap();
            start = vec![b'7'; 64 * 1024];
        }
        // Neither logs in: the server closes both after login_timeout.
        let closed = |mut s: TcpStream| {
            s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            let mut buf = [0u8; 16];
            matches!(s.read(&mut buf), Ok(0) | Err(_))
        };
        (closed(garbage), closed(unfinished))
    })
    .await
    .unwrap();
    assert_eq!(
        outcome,
        (true, true),
        "both connections closed by the server"
    );
    let (counters, store, _dir) = ingest.stop().await;
    assert!(
        counters.max_buffered <= (MAX_PACKET_LEN + READ_BUFFER) as u64,
        "a connection held {} bytes",
        counters.max_buffered
    );
    assert!(counters.skipped_bytes >= 8 << 20, "{counters:?}");
    assert!(
        counters.rejected.contains_key(&Rejection::Oversized),
        "{counters:?}"
    );
    assert_eq!(counters.timed_out, 2);
    assert_eq!(store.count_readings(Resolution::Sample).unwrap(), 0);
}

/// A connection to `addr` from the loopback address `from` (127.0.0.0/8 is all loopback).
async fn connect_from(from: [u8; 4], addr: SocketAddr) -> tokio::net::TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::from((from, 0))).unwrap();
    socket.connect(addr).await.unwrap()
}

/// Does the server close `stream` within `wait`?
async fn closed_within(stream: &mut tokio::net::TcpStream, wait: Duration) -> bool {
    use tokio::io::AsyncReadExt;
    let read = tokio::time::timeout(wait, stream.read(&mut [0u8; 1])).await;
    matches!(read, Ok(Ok(0) | Err(_)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_limits_are_closed_and_counted() {
    let config = Hj212Config {
        max_connections: 3,
        max_connections_per_ip: 2,
        ..Hj212Config::default()
    };
    let ingest = Ingest::start(config).await;
    let addr = ingest.addr();
    let (short, long) = (Duration::from_millis(300), Duration::from_secs(5));
    let mut held = vec![
        connect_from([127, 0, 0, 1], addr).await,
        connect_from([127, 0, 0, 1], addr).await,
    ];
    // A third from the same address is closed at once; one from another address is held …
    let mut third = connect_from([127, 0, 0, 1], addr).await;
    assert!(closed_within(&mut third, long).await, "127.0.0.1's third");
    let mut other = connect_from([127, 0, 0, 2], addr).await;
    assert!(
        !closed_within(&mut other, short).await,
        "127.0.0.2 beside 127.0.0.1's two"
    );
    held.push(other);
    // … until the server's own limit is reached.
    let mut fourth = connect_from([127, 0, 0, 3], addr).await;
    assert!(closed_within(&mut fourth, long).await, "the fourth in all");
    // Once 127.0.0.1's close, it may connect again.
    held.truncate(0);
    tokio::time::sleep(short).await;
    let mut again = connect_from([127, 0, 0, 1], addr).await;
    assert!(!closed_within(&mut again, short).await, "127.0.0.1 again");
    drop(again);
    let (counters, _store, _dir) = ingest.stop().await;
    assert_eq!((counters.refused_per_ip, counters.refused), (1, 1));
    assert_eq!(counters.connections, 4);
    let peer = |ip: &str| counters.peers[&Some(ip.parse().unwrap())].clone();
    assert_eq!(
        (peer("127.0.0.1").refused, peer("127.0.0.1").connections),
        (1, 3)
    );
    assert_eq!(
        (peer("127.0.0.2").refused, peer("127.0.0.2").connections),
        (0, 1)
    );
    assert_eq!(
        (peer("127.0.0.3").refused, peer("127.0.0.3").connections),
        (1, 0)
    );
}

/// An hourly packet of the test logger, as the codec writes it.
fn hourly_packet(hour: u32) -> Vec<u8> {
    let mut cp = lantian::hj212::Cp::new();
    cp.push("DataTime", format!("20260301{hour:02}0000"));
    cp.push_group([("a21026-Avg", "12"), ("a21026-Flag", "N")]);
    let qn = format!("20260301{hour:02}0000123");
    lantian::hj212::Packet::new(
        qn.as_str(),
        lantian::hj212::SystemCode::AirQuality,
        lantian::hj212::Command::HourlyData,
        PW,
        MN,
        true,
        cp,
    )
    .encode()
    .unwrap()
}

/// Sends `packets` on one connection, then reads what comes back until the server is quiet.
async fn exchange(addr: SocketAddr, packets: Vec<Vec<u8>>) -> String {
    tokio::task::spawn_blocking(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        for p in packets {
            s.write_all(&p).unwrap();
        }
        s.set_read_timeout(Some(Duration::from_millis(700)))
            .unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(n) = s.read(&mut buf) {
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
        String::from_utf8_lossy(&got).into_owned()
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deviations_are_taken_but_a_wrong_length_never() {
    // Hour 1: as written. Hour 2: CRC in lower case and no CR LF (a deviation). Hour 3: the
    // length field off by one, the CRC right (the codec's lenient mode would take it).
    let lower = {
        let p = hourly_packet(2);
        let text = String::from_utf8(p).unwrap();
        let body = text.trim_end_matches("\r\n");
        let (head, crc) = body.split_at(body.len() - 4);
        format!("{head}{}", crc.to_lowercase()).into_bytes()
    };
    let wrong_length = {
        let mut p = hourly_packet(3);
        let digits: usize = std::str::from_utf8(&p[2..6]).unwrap().parse().unwrap();
        p.splice(2..6, format!("{:04}", digits + 1).bytes());
        p
    };
    for accept_deviations in [true, false] {
        let config = Hj212Config {
            accept_deviations,
            ..Hj212Config::default()
        };
        let ingest = Ingest::start(config).await;
        let replies = exchange(
            ingest.addr(),
            vec![hourly_packet(1), lower.clone(), wrong_length.clone()],
        )
        .await;
        let acks = replies.matches("CN=9014").count();
        let (counters, store, _dir) = ingest.stop().await;
        assert_eq!(counters.rejected.get(&Rejection::BadLength), Some(&1));
        if accept_deviations {
            assert_eq!(acks, 2, "{replies}");
            assert_eq!(store.count_readings(Resolution::Hour).unwrap(), 2);
        } else {
            assert_eq!(acks, 1, "{replies}");
            assert_eq!(counters.rejected.get(&Rejection::Nonstandard), Some(&1));
            assert_eq!(store.count_readings(Resolution::Hour).unwrap(), 1);
        }
    }
}
