//! The simulator's HJ 212 loggers against the independent Python peer as their platform: what
//! arrives is the world model at the stations and times the packets name (recomputed here
//! from the measurements every 30 s), and each fault shows as the peer sees it — wrong CRCs
//! rejected and sent again correctly, split writes reassembled, duplicates, a connection per
//! packet with garbage before it, and an offline spell ending in an ordered backfill.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use lantian::clock::Clock;
use lantian::hj212::codes::DEFAULT_AIR_CODES;
use lantian::hj212::time::parse_local_time;
use lantian::registry::{CodeSpec, Hj212Device, PwSource, Registry};
use lantian::sim::environment::Environment;
use lantian::sim::logger::{LoggerCode, LoggerGroup, LoggerSpec, decimals};
use lantian::sim::scenario::Scenario;
use lantian::units::{Conversion, ReferenceState, Unit};
use serde_json::Value;

use crate::common::harness::root;
use crate::common::hj212_peer::PeerPlatform;

const TZ: chrono_tz::Tz = chrono_tz::Asia::Shanghai;

/// (id, station index, MN, PW, PM2.5 unit)
const LOGGERS: [(&str, usize, &str, &str, Unit); 4] = [
    (
        "WG-1",
        0,
        "LTWG000000000001",
        "111111",
        Unit::MicrogramPerCubicMetre,
    ),
    (
        "WG-2",
        1,
        "LTWG000000000002",
        "222222",
        Unit::MicrogramPerCubicMetre,
    ),
    (
        "WG-3",
        0,
        "LTWG000000000003",
        "333333",
        Unit::MilligramPerCubicMetre,
    ),
    (
        "WG-4",
        1,
        "LTWG000000000004",
        "444444",
        Unit::MicrogramPerCubicMetre,
    ),
];

fn spec(i: usize) -> LoggerSpec {
    let (id, station, mn, pw, pm25_unit) = LOGGERS[i];
    let codes = DEFAULT_AIR_CODES
        .iter()
        .map(|e| {
            let unit = if e.code == "a34004" {
                pm25_unit
            } else {
                e.unit
            };
            LoggerCode {
                code: e.code.to_string(),
                parameter: e.parameter,
                unit,
                conversion: Conversion::to_canonical(e.parameter, unit, &ReferenceState::default())
                    .unwrap(),
            }
        })
        .collect();
    LoggerSpec {
        id: id.into(),
        station,
        mn: mn.into(),
        pw: pw.into(),
        codes,
        minute_interval: TimeDelta::minutes(1),
    }
}

/// The two-station fixture with the loggers of [`LOGGERS`] as its HJ 212 devices (a scenario's
/// logger faults must name one of the registry's).
fn registry_with_loggers() -> Registry {
    let mut registry =
        Registry::load(&root().join("tests/fixtures/two-stations/network.toml")).unwrap();
    for i in 0..LOGGERS.len() {
        let spec = spec(i);
        let station = &mut registry.stations[spec.station];
        station.hj212.push(Hj212Device {
            id: spec.id.clone(),
            station: station.id.clone(),
            mn: spec.mn.clone(),
            pw: PwSource::Env("LT_SIM_LOGGERS_UNUSED".into()),
            codes: spec
                .codes
                .iter()
                .map(|c| {
                    let code = CodeSpec {
                        parameter: c.parameter,
                        unit: c.unit,
                        conversion: c.conversion,
                    };
                    (c.code.clone(), code)
                })
                .collect(),
            minute_interval: spec.minute_interval,
            rtd_interval: None,
        });
    }
    registry
}

fn scenario(platform: &str) -> String {
    format!(
        r#"seed = 212
time_zone = "Asia/Shanghai"

[hj212]
platform = "{platform}"
realtime_interval = "30s"
ack_timeout = "300ms"
retries = 3

[[fault]]          # 2011 at 23:58:30 and 23:59:00, 2051 of 23:58: a wrong CRC first
device = "WG-2"
kind = "bad_crc"
start = "2026-03-01 23:58"
end = "2026-03-01 23:59:20"

[[fault]]
device = "WG-3"
kind = "split"
start = "2026-03-01 23:00"
end = "2026-03-02 01:00"

[[fault]]
device = "WG-3"
kind = "resend"
start = "2026-03-01 23:00"
end = "2026-03-02 01:00"

[[fault]]          # flags C from 23:59:00 to 00:00:00
device = "WG-3"
kind = "calibration"
start = "2026-03-01 23:59"
end = "2026-03-02 00:00"

[[fault]]
device = "WG-4"
kind = "disconnect"
start = "2026-03-01 23:00"
end = "2026-03-02 01:00"

[[fault]]
device = "WG-4"
kind = "garbage"
start = "2026-03-01 23:00"
end = "2026-03-02 01:00"

[[fault]]          # the 2011 of 00:00:30 waits for 00:01:00
device = "WG-1"
kind = "offline"
after = "2m20s"
duration = "30s"
"#
    )
}

fn local(text: &str) -> DateTime<Utc> {
    parse_local_time(text, TZ).unwrap()
}

/// The values a logger must have sent for `cn` at `data_time`: per code, suffix → (value,
/// decimals), recomputed from the world's measurements every 30 s.
fn expected(
    env: &Environment,
    spec: &LoggerSpec,
    cn: &str,
    data_time: DateTime<Utc>,
) -> BTreeMap<String, BTreeMap<&'static str, f64>> {
    let span = match cn {
        "2011" => TimeDelta::zero(),
        "2051" => TimeDelta::minutes(1),
        "2061" => TimeDelta::hours(1),
        "2031" => TimeDelta::days(1),
        other => panic!("unexpected CN {other}"),
    };
    let times: Vec<DateTime<Utc>> = if span.is_zero() {
        vec![data_time]
    } else {
        (0..span.num_seconds() / 30)
            .map(|k| data_time + TimeDelta::seconds(30 * k))
            .collect()
    };
    let samples: Vec<_> = times
        .iter()
        .map(|t| env.conditions(spec.station, *t))
        .collect();
    let mut out = BTreeMap::new();
    for c in &spec.codes {
        let values: Vec<f64> = samples
            .iter()
            .map(|s| c.conversion.invert(s.get(c.parameter)))
            .collect();
        let mut fields = BTreeMap::new();
        if span.is_zero() {
            fields.insert("Rtd", values[0]);
        } else if c.parameter.is_angle() {
            let (s, k) = values.iter().fold((0.0, 0.0), |(s, k), d: &f64| {
                (s + d.to_radians().sin(), k + d.to_radians().cos())
            });
            fields.insert("Avg", f64::atan2(s, k).to_degrees().rem_euclid(360.0));
        } else {
            fields.insert("Avg", values.iter().sum::<f64>() / values.len() as f64);
            fields.insert("Min", values.iter().copied().fold(f64::INFINITY, f64::min));
            fields.insert(
                "Max",
                values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            );
        }
        out.insert(c.code.clone(), fields);
    }
    out
}

/// Checks one received packet's values against the world; panics naming the difference.
fn check_values(env: &Environment, spec: &LoggerSpec, record: &Value) {
    let cn = record["cn"].as_str().unwrap();
    let data_time = local(record["datatime"].as_str().unwrap());
    let want = expected(env, spec, cn, data_time);
    let cp = record["cp"].as_object().unwrap();
    assert_eq!(cp.len(), want.len(), "{}: codes of {record}", spec.id);
    for (code, fields) in want {
        let unit = spec.codes.iter().find(|c| c.code == code).unwrap().unit;
        let tolerance = 0.5 * 10f64.powi(-(decimals(unit) as i32)) + 1e-9;
        for (suffix, value) in fields {
            let got: f64 = cp[&code][suffix].as_str().unwrap().parse().unwrap();
            let diff = if suffix == "Avg" && code == "a01008" {
                ((got - value + 180.0).rem_euclid(360.0) - 180.0).abs()
            } else {
                (got - value).abs()
            };
            assert!(
                diff <= tolerance,
                "{} {cn} {data_time} {code}-{suffix}: sent {got}, the world {value}",
                spec.id
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulated_loggers_upload_the_world_to_the_peer_platform() {
    let accept: Vec<(&str, &str)> = LOGGERS.iter().map(|l| (l.2, l.3)).collect();
    let Some(platform) = PeerPlatform::start(&accept, &[]) else {
        return;
    };
    let registry = registry_with_loggers();
    let path = std::path::PathBuf::from("sim_loggers (test scenario)");
    let scenario = Scenario::from_toml(&scenario(&platform.address()), &path).unwrap();
    let start = local("20260301235800");
    let env = Arc::new(Environment::new(scenario, &registry, start).unwrap());
    let clock = Clock::scaled(start, 60.0);
    let specs: Vec<LoggerSpec> = (0..LOGGERS.len()).map(spec).collect();
    let group =
        LoggerGroup::start(&registry, specs.clone(), env.clone(), clock.clone(), None).unwrap();
    clock.sleep_until(local("20260302000120")).await;
    let due: BTreeSet<(&str, &str)> = [
        ("2011", "20260301235830"),
        ("2011", "20260301235900"),
        ("2011", "20260301235930"),
        ("2011", "20260302000000"),
        ("2011", "20260302000030"),
        ("2011", "20260302000100"),
        ("2051", "20260301235800"),
        ("2051", "20260301235900"),
        ("2051", "20260302000000"),
        ("2061", "20260301230000"),
        ("2031", "20260301000000"),
    ]
    .into();
    // What each logger's accepted uploads were, up to 00:01:00.
    let uploads = |received: &[Value], mn: &str| -> BTreeSet<(String, String)> {
        received
            .iter()
            .filter(|r| r["mn"] == mn && r["accepted"] == true)
            .map(|r| {
                (
                    r["cn"].as_str().unwrap().to_string(),
                    r["datatime"].as_str().unwrap().to_string(),
                )
            })
            .filter(|(_, t)| t.as_str() <= "20260302000100")
            .collect()
    };
    // Everything due up to 00:01:00 (WG-1's backfill, WG-3's split packets included) has
    // arrived: wait for all of it (a loaded machine may be slow), then compare.
    let arrived = |r: &[Value]| LOGGERS.iter().all(|l| uploads(r, l.2).len() >= due.len());
    let received = platform.wait_for(Duration::from_secs(20), arrived);
    let counts = group.counts();
    group.stop().await;
    for (i, spec) in specs.iter().enumerate() {
        let mine: Vec<&Value> = received
            .iter()
            .filter(|r| r["mn"] == LOGGERS[i].2)
            .collect();
        let accepted: Vec<&Value> = mine
            .iter()
            .copied()
            .filter(|r| r["accepted"] == true)
            .collect();
        let got = uploads(&received, LOGGERS[i].2);
        let due: BTreeSet<(String, String)> = due
            .iter()
            .map(|(cn, t)| (cn.to_string(), t.to_string()))
            .collect();
        assert_eq!(got, due, "{}: uploads (counts {counts:?})", spec.id);
        for record in &accepted {
            assert_eq!(record["answered"], "9014", "{record}");
            check_values(&env, spec, record);
        }
        let flags: BTreeSet<(&str, &str)> = accepted
            .iter()
            .filter(|r| r["cp"]["a34004"]["Flag"] != "N")
            .map(|r| (r["cn"].as_str().unwrap(), r["datatime"].as_str().unwrap()))
            .collect();
        let realtime: Vec<&str> = accepted
            .iter()
            .filter(|r| r["cn"] == "2011")
            .map(|r| r["datatime"].as_str().unwrap())
            .collect();
        match spec.id.as_str() {
            "WG-1" => {
                assert!(mine.iter().all(|r| r["status"] == "valid"));
                assert!(realtime.is_sorted(), "backfill out of order: {realtime:?}");
                let early = accepted
                    .iter()
                    .filter(|r| r["datatime"].as_str() <= Some("20260302000100"));
                assert_eq!(early.count(), due.len(), "each upload once");
            }
            "WG-2" => {
                let bad: Vec<&&Value> = mine.iter().filter(|r| r["status"] == "bad-crc").collect();
                let bad_times: BTreeSet<(&str, &str)> = bad
                    .iter()
                    .map(|r| (r["cn"].as_str().unwrap(), r["datatime"].as_str().unwrap()))
                    .collect();
                let expected_bad = [
                    ("2011", "20260301235830"),
                    ("2011", "20260301235900"),
                    ("2051", "20260301235800"),
                ];
                assert_eq!(bad_times, expected_bad.into(), "{bad:?}");
                for r in bad {
                    assert_eq!(r["answered"], Value::Null, "{r}");
                    assert!(
                        accepted.iter().any(|a| a["qn"] == r["qn"]),
                        "not resent: {r}"
                    );
                }
            }
            "WG-3" => {
                assert!(accepted.iter().all(|r| r["reads"].as_u64().unwrap() >= 2));
                let mut per_qn: BTreeMap<&str, usize> = BTreeMap::new();
                for r in &accepted {
                    *per_qn.entry(r["qn"].as_str().unwrap()).or_default() += 1;
                }
                assert!(per_qn.values().all(|&n| n == 2), "resent twice: {per_qn:?}");
                let calibration: BTreeSet<(&str, &str)> = [
                    ("2011", "20260301235900"),
                    ("2011", "20260301235930"),
                    ("2051", "20260301235900"),
                    // 2 of 120 measurements of the hour, 2 of 2880 of the day: still N.
                ]
                .into();
                let seen: BTreeSet<(&str, &str)> = flags
                    .iter()
                    .copied()
                    .filter(|(_, t)| *t <= "20260302000100")
                    .collect();
                assert_eq!(seen, calibration);
            }
            "WG-4" => {
                let conns: BTreeSet<u64> =
                    mine.iter().map(|r| r["conn"].as_u64().unwrap()).collect();
                assert_eq!(conns.len(), mine.len(), "one connection per packet");
                let skipped: u64 = platform
                    .events()
                    .iter()
                    .filter(|e| {
                        e["event"] == "closed" && conns.contains(&e["conn"].as_u64().unwrap())
                    })
                    .map(|e| e["skipped"].as_u64().unwrap())
                    .sum();
                // 17 bytes of garbage before each packet, all skipped.
                assert_eq!(skipped, 17 * mine.len() as u64, "garbage seen");
            }
            _ => unreachable!(),
        }
        if spec.id != "WG-3" {
            assert!(flags.is_empty(), "{}: {flags:?}", spec.id);
        }
    }
    let (_, wg2) = counts.iter().find(|(id, _)| id == "WG-2").unwrap();
    assert!(wg2.retried >= 3 && wg2.given_up == 0, "{wg2:?}");
}

#[tokio::test]
async fn loggers_refuse_what_they_cannot_do() {
    let registry = registry_with_loggers();
    let path = std::path::PathBuf::from("loggers.toml");
    let start = local("20260301235800");
    let load = |extra: &str| {
        let text = format!("seed = 1\n[hj212]\nplatform = \"127.0.0.1:9\"\n{extra}");
        Scenario::from_toml(&text, &path)
    };
    let err = load("realtime_interval = \"10s\"\n")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("loggers.toml:4: hj212.realtime_interval"),
        "{err}"
    );
    let err = load("platform_typo = 1\n").unwrap_err().to_string();
    assert!(err.contains("platform_typo"), "{err}");

    let fault = |device: &str, kind: &str| {
        load(&format!(
            "[[fault]]\ndevice = \"{device}\"\nkind = \"{kind}\"\nafter = \"1m\"\nduration = \"1m\"\n"
        ))
        .unwrap()
    };
    let start_group = |scenario: Scenario| {
        let env = Arc::new(Environment::new(scenario, &registry, start)?);
        let clock = Clock::scaled(start, 1.0);
        Ok::<_, Box<dyn std::error::Error>>(LoggerGroup::start(
            &registry,
            vec![spec(0)],
            env,
            clock,
            None,
        )?)
    };
    let err = start_group(fault("WG-1", "exception"))
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("`Exception` for logger `WG-1`"), "{err}");
    let err = start_group(fault("WG-9", "split"))
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("unknown device `WG-9`"), "{err}");
    let err = start_group(fault("T-A-NOX", "bad_crc"))
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("this is a Modbus device"), "{err}");
    let mut bad_pw = spec(0);
    bad_pw.pw = "12;34".into();
    let env = Arc::new(Environment::new(fault("WG-1", "split"), &registry, start).unwrap());
    let err = LoggerGroup::start(
        &registry,
        vec![bad_pw],
        env,
        Clock::scaled(start, 1.0),
        None,
    )
    .err()
    .unwrap()
    .to_string();
    assert!(err.contains("logger `WG-1`") && err.contains("PW"), "{err}");
    // A fault for a device nobody has, without [hj212]: refused when the environment is built.
    let plain = Scenario::from_toml(
        "seed = 1\n[[fault]]\ndevice = \"WG-1\"\nkind = \"offline\"\nafter = \"1m\"\nduration = \"1m\"\n",
        &path,
    )
    .unwrap();
    assert!(Environment::new(plain, &registry, start).is_err());
}
