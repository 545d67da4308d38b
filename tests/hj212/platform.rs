//! What the provincial platform of the uplink tests — the independent Python peer
//! (`tests/common/hj212_peer.rs`'s [`PeerPlatform`](crate::common::hj212_peer::PeerPlatform))
//! — recorded, checked against the packets the store's data makes.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use lantian::store::{Record, Resolution};
use lantian::units::Parameter;

use crate::common::hj212_peer::{PeerPlatform, recorded};

/// The zone of the tests' stations (DataTime is written in it).
pub(crate) const TZ: Tz = chrono_tz::Asia::Shanghai;
/// The PW of every station at the platform.
pub(crate) const PW: &str = "123456";

/// What a platform receives by default (HJ 212-2017's air codes, and a05024 for ozone as
/// implementations write it): the code and the factor from lantian's canonical unit to the
/// code's.
pub(crate) const CODES: [(Parameter, &str, f64); 11] = [
    (Parameter::Pm25, "a34004", 1.0),
    (Parameter::Pm10, "a34002", 1.0),
    (Parameter::So2, "a21026", 1.0),
    (Parameter::No2, "a21004", 1.0),
    (Parameter::Co, "a21005", 1.0),
    (Parameter::O3, "a05024", 1.0),
    (Parameter::Temperature, "a01001", 1.0),
    (Parameter::Humidity, "a01002", 1.0),
    (Parameter::Pressure, "a01006", 0.1), // hPa → kPa (the default table's unit)
    (Parameter::WindSpeed, "a01007", 1.0),
    (Parameter::WindDirection, "a01008", 1.0),
];

/// A packet's identity at the platform: (MN, CN, DataTime).
pub(crate) type Key = (String, u16, String);

/// Every minute and hourly packet `records` make for `streams` (2051, 2061), for the
/// stations `mn` names, with `DataTime` in `tz`.
pub(crate) fn expected_packets(
    records: &[Record],
    streams: &[u16],
    mn: impl Fn(&str) -> Option<String>,
    tz: Tz,
) -> BTreeMap<Key, Cp> {
    let mut out: BTreeMap<Key, Cp> = BTreeMap::new();
    let datatime = |t: DateTime<Utc>| t.with_timezone(&tz).format("%Y%m%d%H%M%S").to_string();
    for r in records {
        let (cn, start) = match r.resolution {
            Resolution::Minute => (2051, r.time - TimeDelta::minutes(1)),
            Resolution::Hour => (2061, r.time - TimeDelta::hours(1)),
            _ => continue,
        };
        let (Some(mn), Some((_, code, factor))) =
            (mn(&r.station), CODES.iter().find(|c| c.0 == r.parameter))
        else {
            continue;
        };
        if !streams.contains(&cn) {
            continue;
        }
        out.entry((mn, cn, datatime(start))).or_default().insert(
            code.to_string(),
            BTreeMap::from([
                ("Avg".to_string(), (r.value * factor).to_string()),
                ("Flag".to_string(), r.flag.code().to_string()),
            ]),
        );
    }
    out
}

/// `{code: {suffix: value}}`.
pub(crate) type Cp = BTreeMap<String, BTreeMap<String, String>>;

/// One line of the platform's record.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub(crate) conn: u64,
    pub(crate) accepted: bool,
    pub(crate) answered: bool,
    pub(crate) mn: String,
    pub(crate) cn: u16,
    pub(crate) qn: String,
    pub(crate) datatime: String,
    pub(crate) cp: Cp,
    pub(crate) at: DateTime<Utc>,
}

impl Received {
    /// (MN, CN, DataTime).
    pub(crate) fn key(&self) -> Key {
        (self.mn.clone(), self.cn, self.datatime.clone())
    }

    /// Its place in the sending order.
    pub(crate) fn order(&self) -> (DateTime<Utc>, u8) {
        order(self.cn, &self.datatime)
    }
}

/// The end of a packet's interval and its stream's place: the order the uplink sends in.
pub(crate) fn order(cn: u16, datatime: &str) -> (DateTime<Utc>, u8) {
    let naive = chrono::NaiveDateTime::parse_from_str(datatime, "%Y%m%d%H%M%S").unwrap();
    let start = TZ.from_local_datetime(&naive).single().unwrap().to_utc();
    match cn {
        2051 => (start + TimeDelta::minutes(1), 1),
        2061 => (start + TimeDelta::hours(1), 2),
        2031 => (start + TimeDelta::days(1), 3),
        cn => panic!("unexpected CN {cn}"),
    }
}

/// The peer platform on `port` accepting `mns` with [`PW`], recording to `out`.
pub(crate) fn platform_at(port: u16, out: &Path, extra: &[&str], mns: &[&str]) -> PeerPlatform {
    let accept: Vec<(&str, &str)> = mns.iter().map(|mn| (*mn, PW)).collect();
    PeerPlatform::start_at(port, out, &accept, extra)
}

/// What the platform has recorded in `out`.
pub(crate) fn received(out: &Path) -> Vec<Received> {
    recorded(out)
        .into_iter()
        .map(|v| {
            let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
            let cp: Cp = serde_json::from_value(v["cp"].clone()).unwrap_or_default();
            Received {
                conn: v["conn"].as_u64().unwrap(),
                accepted: v["accepted"].as_bool().unwrap(),
                answered: !v["answered"].is_null(),
                mn: s("mn"),
                cn: s("cn").parse().unwrap(),
                qn: s("qn"),
                datatime: s("datatime"),
                cp,
                at: s("at").parse().unwrap(),
            }
        })
        .collect()
}

/// Stops `child` with SIGTERM, as a service manager does.
pub(crate) fn terminate(mut child: Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "uplink exited with {status}");
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    panic!("the uplink did not stop on SIGTERM");
}

/// Checks what the platform accepted against the store: every expected packet, its values
/// and flags, in order per station; returns how many times each was received.
pub(crate) fn check(
    got: &[Received],
    expected: &BTreeMap<Key, Cp>,
    logs: &str,
) -> HashMap<Key, usize> {
    let mut counts: HashMap<Key, usize> = HashMap::new();
    for r in got {
        assert!(r.accepted, "refused: {r:?}");
        let want = expected
            .get(&r.key())
            .unwrap_or_else(|| panic!("unexpected packet {r:?}"));
        assert!(
            same_cp(&r.cp, want),
            "{:?}: got {:?}, expected {want:?}",
            r.key(),
            r.cp
        );
        *counts.entry(r.key()).or_default() += 1;
    }
    let missing: Vec<_> = expected
        .keys()
        .filter(|k| !counts.contains_key(*k))
        .collect();
    assert!(
        missing.is_empty(),
        "{} packets missing: {:?}; log:\n{}",
        missing.len(),
        &missing[..missing.len().min(5)],
        logs
    );
    // In order per station: each packet after the one before (a re-sent packet repeats the
    // last one, never goes back further).
    let mut mns: Vec<&str> = got.iter().map(|r| r.mn.as_str()).collect();
    mns.sort_unstable();
    mns.dedup();
    for mn in mns {
        let seq: Vec<_> = got
            .iter()
            .filter(|r| r.mn == mn)
            .map(Received::order)
            .collect();
        for w in seq.windows(2) {
            assert!(w[0] <= w[1], "{mn}: {:?} after {:?}", w[1], w[0]);
        }
    }
    counts
}

/// The same codes and suffixes, flags equal, values equal to the three decimals sent.
fn same_cp(got: &Cp, want: &Cp) -> bool {
    got.len() == want.len()
        && got.iter().zip(want).all(|((gc, gs), (wc, ws))| {
            gc == wc
                && gs.len() == ws.len()
                && gs.iter().zip(ws).all(|((gk, gv), (wk, wv))| {
                    gk == wk
                        && if gk == "Flag" {
                            gv == wv
                        } else {
                            let (g, w): (f64, f64) = (gv.parse().unwrap(), wv.parse().unwrap());
                            (g - w).abs() <= 0.000_5 + 1e-9
                        }
                })
        })
}

/// The packets received more than once, with their count.
pub(crate) fn duplicates(counts: &HashMap<Key, usize>) -> Vec<(&Key, usize)> {
    counts
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(k, n)| (k, *n))
        .collect()
}
