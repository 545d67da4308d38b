//! The uplink against the independent Python peer in platform mode
//! (`tests/peers/hj212_peer.py platform`, written from the standard's text) on loopback, as a
//! provincial platform: `lantian uplink run` as a user runs it, its packets compared with the
//! store — exactly once, in order, DataTime, values in the codes' units, flags — through
//! missing acknowledgements, an outage of the platform over simulated hours, and a `kill -9`
//! of the uplink in the middle of a backfill.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use lantian::quality::Flag;
use lantian::store::sqlite::SqliteStore;
use lantian::store::{ReadingStore, Record, Resolution, StationInfo, StationRole, StationStore};
use lantian::units::Parameter;

use super::platform::{
    CODES, Cp, Key, PW, Received, TZ, check, duplicates, expected_packets, platform_at, received,
    terminate,
};
use crate::common::hj212_peer::python3;
use crate::common::peers::free_port;

const BIN: &str = env!("CARGO_BIN_EXE_lantian");
const STATIONS: [(&str, &str); 2] = [("S1", "MN440001"), ("S2", "MN440002")];
const MNS: [&str; 2] = [STATIONS[0].1, STATIONS[1].1];

/// The parameters the synthetic site stores.
const STORED: [Parameter; 4] = [
    Parameter::Pm25,
    Parameter::Co,
    Parameter::Pressure,
    Parameter::WindSpeed,
];

fn local(h: i64, m: i64) -> DateTime<Utc> {
    TZ.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap().to_utc()
        + TimeDelta::hours(h)
        + TimeDelta::minutes(m)
}

/// A store with `minute_hours` hours of minute data and `hours` hours of hourly data from
/// local midnight of 2026-03-01 at two stations, and a configuration sending it to `port`.
struct Site {
    dir: tempfile::TempDir,
    config: PathBuf,
    stations: Vec<StationInfo>,
    records: Vec<Record>,
    port: u16,
}

impl Site {
    fn new(minute_hours: i64, hours: i64, target: &str) -> Site {
        let site = Site::empty(minute_hours, hours, target);
        site.fill();
        site
    }

    /// The site with its store still empty.
    fn empty(minute_hours: i64, hours: i64, target: &str) -> Site {
        let dir = tempfile::tempdir().unwrap();
        let stations: Vec<StationInfo> = STATIONS
            .iter()
            .map(|(id, _)| StationInfo {
                id: id.to_string(),
                name: id.to_string(),
                name_en: id.to_string(),
                district: "D".into(),
                lat: None,
                lon: None,
                time_zone: TZ,
                city: String::new(),
                role: StationRole::Assessment,
            })
            .collect();
        let mut records = Vec::new();
        for (s, (station, _)) in STATIONS.iter().enumerate() {
            let value = |p: usize, n: i64| match STORED[p] {
                Parameter::Pressure => 1013.25 - n as f64 * 0.01,
                Parameter::Co => 0.5 + (n % 7) as f64 * 0.125,
                _ => 10.0 + (n % 50) as f64 * 0.25 + s as f64,
            };
            let record = |p: usize, resolution, time, n: i64, flag| Record {
                station: (*station).into(),
                parameter: STORED[p],
                resolution,
                time,
                value: value(p, n),
                flag,
                count: 1,
            };
            for n in 1..=minute_hours * 60 {
                let flag = match n % 37 {
                    0 => Flag::Calibration,
                    19 => Flag::Maintenance,
                    _ => Flag::Normal,
                };
                for p in 0..STORED.len() {
                    records.push(record(p, Resolution::Minute, local(0, n), n, flag));
                }
            }
            for n in 1..=hours {
                let flag = if n == 5 + s as i64 {
                    Flag::Fault
                } else {
                    Flag::Normal
                };
                for p in 0..STORED.len() {
                    records.push(record(p, Resolution::Hour, local(n, 0), n, flag));
                }
            }
        }
        let port = free_port();
        let config = dir.path().join("lantian.toml");
        let mut toml = format!(
            "store = \"sqlite:store.db\"\n[[uplink]]\nname = \"prov\"\n\
             address = \"127.0.0.1:{port}\"\nstart = \"2026-03-01\"\npw_env = \"LT_UPLINK_PW\"\n\
             timeout_ms = 1000\nbackoff_initial_ms = 100\nbackoff_max_ms = 400\n{target}\n"
        );
        for (id, mn) in STATIONS {
            toml.push_str(&format!("[uplink.station.{id}]\nmn = \"{mn}\"\n"));
        }
        std::fs::write(&config, toml).unwrap();
        Site {
            dir,
            config,
            stations,
            records,
            port,
        }
    }

    /// Writes the stations and their records to the store.
    fn fill(&self) {
        let mut store = SqliteStore::open(self.dir.path().join("store.db")).unwrap();
        store.put_stations(&self.stations).unwrap();
        store.put_readings(&self.records).unwrap();
    }

    fn out(&self) -> PathBuf {
        self.dir.path().join("received.jsonl")
    }

    /// `lantian uplink run` with `args`, logging to `uplink-<n>.log`.
    fn uplink(&self, args: &[&str], n: u32) -> Child {
        let log = std::fs::File::create(self.dir.path().join(format!("uplink-{n}.log"))).unwrap();
        Command::new(BIN)
            .arg("--config")
            .arg(&self.config)
            .args(["-v", "uplink", "run"])
            .args(args)
            .env("LT_UPLINK_PW", PW)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap()
    }

    fn lantian(&self, args: &[&str]) -> String {
        let out = Command::new(BIN)
            .arg("--config")
            .arg(&self.config)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
    }

    fn logs(&self) -> String {
        let mut text = String::new();
        for n in 0..4 {
            if let Ok(t) = std::fs::read_to_string(self.dir.path().join(format!("uplink-{n}.log")))
            {
                text += &t;
            }
        }
        text
    }

    /// Every packet the store's data makes: minutes, hours and the day of 2026-03-01 (all
    /// its hours valid but one: ≥ 20, so `N` and the mean of the valid ones).
    fn expected(&self, streams: &[u16]) -> BTreeMap<Key, Cp> {
        let mn = |station: &str| {
            STATIONS
                .iter()
                .find(|s| s.0 == station)
                .map(|s| s.1.to_string())
        };
        let mut out = expected_packets(&self.records, streams, mn, TZ);
        if !streams.contains(&2031) {
            return out;
        }
        for (station, mn) in STATIONS {
            let mut cp = Cp::new();
            for (p, c, factor) in CODES {
                let valid: Vec<f64> = self
                    .records
                    .iter()
                    .filter(|r| {
                        *r.station == *station
                            && r.parameter == p
                            && r.resolution == Resolution::Hour
                            && r.flag == Flag::Normal
                    })
                    .map(|r| r.value * factor)
                    .collect();
                if valid.is_empty() {
                    continue;
                }
                let avg = valid.iter().sum::<f64>() / valid.len() as f64;
                let min = valid.iter().copied().fold(f64::INFINITY, f64::min);
                let max = valid.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let stats = [("Avg", avg), ("Min", min), ("Max", max)]
                    .map(|(k, v)| (k.to_string(), v.to_string()));
                let mut fields: BTreeMap<String, String> = stats.into_iter().collect();
                fields.insert("Flag".into(), "N".into());
                cp.insert(c.to_string(), fields);
            }
            let day = local(0, 0).with_timezone(&TZ).format("%Y%m%d%H%M%S");
            out.insert((mn.to_string(), 2031, day.to_string()), cp);
        }
        out
    }
}

/// Waits until the platform has recorded `n` packets, at most `secs` (the checks then say
/// what is missing).
fn wait_for(site: &Site, n: usize, secs: u64) -> Vec<Received> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let got = received(&site.out());
        if got.len() >= n || Instant::now() > deadline {
            return got;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn every_stored_reading_arrives_once_in_order() {
    if !python3() {
        return;
    }
    let site = Site::new(2, 24, "data = [2051, 2061, 2031]");
    let expected = site.expected(&[2051, 2061, 2031]);
    // 2 stations × (120 minutes + 24 hours + 1 day).
    assert_eq!(expected.len(), 2 * (120 + 24 + 1));
    let _platform = platform_at(site.port, &site.out(), &[], &MNS);
    let uplink = site.uplink(&[], 0);
    let got = wait_for(&site, expected.len(), 120);
    std::thread::sleep(Duration::from_millis(500));
    let got_after = received(&site.out());
    assert_eq!(
        got_after.len(),
        expected.len(),
        "packets after the last expected one"
    );
    let counts = check(&got, &expected, &site.logs());
    assert!(duplicates(&counts).is_empty());
    assert!(got.iter().all(|r| r.conn == got[0].conn), "one connection");
    let took = got.last().unwrap().at - got[0].at;
    eprintln!(
        "backfill: {} packets in {:.2} s, each acknowledged and the cursor synced",
        got.len(),
        took.as_seconds_f64()
    );
    // The daily packet comes after the day's last hour.
    let last = got.iter().rfind(|r| r.mn == STATIONS[0].1).unwrap();
    assert_eq!((last.cn, last.datatime.as_str()), (2031, "20260301000000"));
    // QNs are unique.
    let mut qns: Vec<&str> = got.iter().map(|r| r.qn.as_str()).collect();
    qns.sort_unstable();
    qns.dedup();
    assert_eq!(qns.len(), got.len());
    let status = site.lantian(&["uplink", "status", "--stations"]);
    assert!(
        status.contains("prov") && status.contains("connected"),
        "{status}"
    );
    assert!(status.contains(&expected.len().to_string()), "{status}");
    terminate(uplink);
    let health = site.lantian(&["health"]);
    assert!(
        health.contains("uplink prov → 127.0.0.1") && health.contains("backlog 0.0 h"),
        "{health}"
    );
}

#[test]
fn stations_the_store_learns_after_the_start_are_sent() {
    if !python3() {
        return;
    }
    // `lantian uplink run` as its own service, started before the collectors registered
    // their stations (they do at their first write): the store is empty when it starts.
    let site = Site::empty(1, 3, "data = [2051, 2061]");
    let expected = site.expected(&[2051, 2061]);
    let _platform = platform_at(site.port, &site.out(), &[], &MNS);
    let uplink = site.uplink(&[], 0);
    let deadline = Instant::now() + Duration::from_secs(30);
    while !site.logs().contains("sending 2051, 2061 of 0 stations") {
        assert!(Instant::now() < deadline, "{}", site.logs());
        std::thread::sleep(Duration::from_millis(100));
    }
    site.fill();
    let got = wait_for(&site, expected.len(), 60);
    terminate(uplink);
    let logs = site.logs();
    let counts = check(&got, &expected, &logs);
    assert!(duplicates(&counts).is_empty());
    for (station, _) in STATIONS {
        assert!(
            logs.contains(&format!("station {station} is new in the store")),
            "{logs}"
        );
    }
}

#[test]
fn missing_acknowledgements_are_resent_after_the_timeout_then_the_connection_is_renewed() {
    if !python3() {
        return;
    }
    let site = Site::new(1, 24, "data = [2061]\nretries = 3");
    let expected = site.expected(&[2061]);
    // Five acknowledgements withheld: the first packet is sent, re-sent three times a second
    // apart (Table 1: 3 retries), the connection given up; on the next connection it is sent
    // again, once more unacknowledged, then acknowledged.
    let _platform = platform_at(site.port, &site.out(), &["--drop-acks", "5"], &MNS);
    let uplink = site.uplink(&[], 0);
    let got = wait_for(&site, expected.len() + 5, 60);
    terminate(uplink);
    let counts = check(&got, &expected, &site.logs());
    let first = &got[0];
    let copies: Vec<&Received> = got.iter().filter(|r| r.key() == first.key()).collect();
    assert_eq!(copies.len(), 6, "{copies:?}");
    assert_eq!(
        duplicates(&counts).len(),
        1,
        "only the first packet repeats"
    );
    assert!(
        copies[..4]
            .iter()
            .all(|r| r.conn == first.conn && r.qn == first.qn)
    );
    assert!(
        copies[4].conn > first.conn,
        "a new connection after 1 + 3 tries"
    );
    assert!(copies[5].answered && !copies[4].answered);
    for w in copies[..4].windows(2) {
        let gap = w[1].at - w[0].at;
        assert!(
            gap >= TimeDelta::milliseconds(950) && gap < TimeDelta::milliseconds(3000),
            "re-sent after {gap}"
        );
    }
    let status = site.lantian(&["uplink", "status"]);
    assert!(status.contains("no acknowledgement"), "{status}");
}

#[test]
fn an_outage_of_the_platform_ends_in_an_ordered_backfill() {
    if !python3() {
        return;
    }
    let site = Site::new(6, 6, "data = [2051, 2061]\ndelay_s = 60");
    let expected = site.expected(&[2051, 2061]);
    let mut platform = platform_at(site.port, &site.out(), &[], &MNS);
    // 20 simulated minutes per real second from local midnight: the six hours of data
    // become due over 18 s.
    let spawned = Utc::now();
    let uplink = site.uplink(&["--speed", "1200", "--start", "2026-02-28T16:00:00Z"], 0);
    wait_for(&site, 100, 30);
    platform.stop();
    let before = received(&site.out());
    // Three simulated hours without the platform.
    std::thread::sleep(Duration::from_secs(9));
    let mut platform = platform_at(site.port, &site.out(), &[], &MNS);
    let got = wait_for(&site, expected.len(), 60);
    std::thread::sleep(Duration::from_millis(500));
    terminate(uplink);
    platform.stop();
    let got_all = received(&site.out());
    let counts = check(&got_all, &expected, &site.logs());
    // The packet in flight when the platform died may arrive twice (the platform recorded
    // it, its acknowledgement was lost); nothing else.
    let dups = duplicates(&counts);
    assert!(dups.len() <= 1 && dups.iter().all(|d| d.1 == 2), "{dups:?}");
    if let Some((key, _)) = dups.first() {
        assert_eq!(**key, before.last().unwrap().key());
    }
    // The backfill begins where the first platform stopped, and was a backfill: after the
    // restart the first packets are hours old in simulated time.
    let after: Vec<&Received> = got[before.len()..].iter().collect();
    assert!(!after.is_empty());
    let resumed = after[0].order().0;
    let last_before = before.iter().map(Received::order).max().unwrap();
    assert!(resumed >= last_before.0);
    // The uplink's clock when the platform came back (20 simulated minutes per real second,
    // from local midnight when it was spawned): hours after the data it resumed with.
    let clock_then = local(0, 0) + (after[0].at - spawned) * 1200;
    let behind = clock_then - resumed;
    assert!(behind >= TimeDelta::hours(2), "backfill of {behind}");
    assert!(got_all.len() <= expected.len() + 1);
}

#[test]
fn a_killed_uplink_resumes_from_its_cursor() {
    if !python3() {
        return;
    }
    let site = Site::new(2, 24, "data = [2051, 2061, 2031]");
    let expected = site.expected(&[2051, 2061, 2031]);
    let _platform = platform_at(site.port, &site.out(), &["--stall", "0.005"], &MNS);
    let mut uplink = site.uplink(&[], 0);
    let before = wait_for(&site, 120, 60);
    uplink.kill().unwrap(); // SIGKILL
    uplink.wait().unwrap();
    let before = received(&site.out()).len().max(before.len());
    assert!(before < expected.len(), "killed mid-backfill");
    let uplink = site.uplink(&[], 1);
    wait_for(&site, expected.len(), 90);
    std::thread::sleep(Duration::from_millis(500));
    terminate(uplink);
    let got = received(&site.out()).into_iter().collect::<Vec<_>>();
    let counts = check(&got, &expected, &site.logs());
    // At most the packet waiting for its acknowledgement at the kill is sent again.
    let dups = duplicates(&counts);
    assert!(dups.len() <= 1 && dups.iter().all(|d| d.1 == 2), "{dups:?}");
    assert!(got.len() <= expected.len() + 1);
    eprintln!(
        "kill -9 after {before} packets: {} duplicate(s) on resuming",
        dups.len()
    );
}
