//! Commands to loggers against the independent Python peer in logger mode (its own clock,
//! honouring 1012 and 1062 as the standard's text says): sent on request through
//! [`LoggerControl`], and by the server itself — the registry's `rtd_interval` when the logger
//! logs in, and its clock set (1012) when its real-time data show it off by more than
//! `max_clock_drift_s`.

use std::time::Duration;

use chrono::{TimeDelta, Utc};
use lantian::clock::Clock;
use lantian::collect::hj212::{CLOCK_DRIFT_STATUS, CommandError, Hj212Config, LoggerCommand};
use lantian::hj212::ExeRtn;
use lantian::registry::RtdInterval;
use lantian::store::{ReadingStore, Resolution};
use serde_json::Value;

use super::ingest::{Ingest, MN, a_day_of_packets, logger_health, run_peer, utc};
use crate::common::hj212_peer::python3;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_on_request_set_a_logger_s_time_and_interval() {
    if !python3() {
        return;
    }
    let ingest = Ingest::start(Hj212Config::default()).await;
    let packets = a_day_of_packets()[..1].to_vec();
    let port = ingest.addr().port();
    let peer = tokio::spawn(async move { run_peer(port, &packets, &["--linger", "3"]).await });
    let control = ingest.listener.control();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while control.connected().is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the logger never logged in"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let at = utc("2026-03-01T00:30:15Z");
    let minute = RtdInterval::from_seconds(60).unwrap();
    // Two at once: the second waits for the first's answers on the connection.
    let (time, interval) = tokio::join!(
        control.send(MN, LoggerCommand::SetTime(at)),
        control.send(MN, LoggerCommand::SetRtdInterval(minute))
    );
    assert_eq!((time, interval), (Ok(ExeRtn::Success), Ok(ExeRtn::Success)));
    let unknown = control
        .send("00000000000000", LoggerCommand::SetRtdInterval(minute))
        .await;
    assert_eq!(
        unknown,
        Err(CommandError::NotConnected("00000000000000".into()))
    );
    let status = &control.loggers()[0];
    assert_eq!(status.mn, MN);
    assert!(status.connected);
    assert_eq!(
        (status.commands.clock_sets, status.commands.interval_sets),
        (1, 1)
    );
    let summary = peer.await.unwrap();
    let commands = summary["commands"].as_array().unwrap();
    assert_eq!(commands[0]["cn"], 1012);
    assert_eq!(
        commands[0]["system_time"], "20260301083015",
        "local time of the station"
    );
    assert_eq!(commands[1]["cn"], 1062);
    assert_eq!(commands[1]["rtd_interval"], 60);
    ingest.stop().await;
}

/// The peer's commands of `cn` (its summary's `commands`).
fn answered(summary: &Value, cn: u64) -> Vec<Value> {
    summary["commands"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["cn"] == cn)
        .cloned()
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_skewed_logger_is_set_right_and_sends_at_the_registry_s_interval() {
    if !python3() {
        return;
    }
    // The server's clock and the logger's both run 60 times as fast from the same moment, the
    // logger's 10 minutes ahead; it sends real-time data every 30 s of its clock (0.5 s real),
    // the registry wants 60 s.
    const RATE: f64 = 60.0;
    let origin = Utc::now();
    let clock = Clock::scaled(origin, RATE);
    let config = Hj212Config {
        max_clock_drift: TimeDelta::seconds(60),
        ..Hj212Config::default()
    };
    let ingest = Ingest::start_with(config, "rtd_interval = \"60s\"\n", clock).await;
    let anchor = format!("{:.6}", origin.timestamp_micros() as f64 / 1e6);
    let rate = RATE.to_string();
    let options = [
        "--clock-skew",
        "600",
        "--clock-rate",
        &rate,
        "--clock-anchor",
        &anchor,
        "--rtd-interval",
        "30",
        "--rtd-for",
        "14",
        "--timeout",
        "5",
    ];
    let summary = ingest.logger(&[], &options).await;
    let status = ingest.listener.control().loggers()[0].clone();
    let (counters, store, _dir) = ingest.stop().await;

    // 1062 when it logged in: from then on every 60 s of its clock.
    let interval = answered(&summary, 1062);
    assert_eq!(interval.len(), 1, "{summary}");
    assert_eq!(
        (&interval[0]["rtd_interval"], &interval[0]["exe_rtn"]),
        (&60.into(), &1.into())
    );
    let realtime = summary["realtime"].as_array().unwrap();
    assert_eq!(realtime[0]["interval"], 30, "{summary}");
    assert_eq!(summary["rtd_interval"], 60);
    let late: Vec<&Value> = realtime
        .iter()
        .skip_while(|r| r["interval"] == 30)
        .collect();
    assert!(late.len() >= 6, "{summary}");
    // 1012 once the median of its offsets showed the 10 minutes: its clock is right since.
    let time = answered(&summary, 1012);
    assert_eq!(time.len(), 1, "one clock setting: {summary}");
    let before = time[0]["clock_error_before"].as_f64().unwrap();
    assert!((before - 600.0).abs() < 5.0, "{summary}");
    assert_eq!(time[0]["exe_rtn"], 1);
    let after = summary["clock_error"].as_f64().unwrap();
    assert!(
        after.abs() < 10.0,
        "the logger's clock is {after} s off: {summary}"
    );
    let steps: Vec<i64> = late
        .windows(2)
        .filter(|w| w[0]["clock_error"].as_f64().unwrap().abs() < 10.0)
        .map(|w| {
            let t = |v: &Value| {
                chrono::NaiveDateTime::parse_from_str(
                    v["datatime"].as_str().unwrap(),
                    "%Y%m%d%H%M%S",
                )
                .unwrap()
            };
            (t(w[1]) - t(w[0])).num_seconds()
        })
        .collect();
    assert!(steps.len() >= 3, "{summary}");
    assert!(
        steps.iter().all(|s| (55..=65).contains(s)),
        "steps {steps:?}"
    );

    // The server's view: both executed, counted; the clock estimated right again.
    assert_eq!(
        (status.commands.clock_sets, status.commands.interval_sets),
        (1, 1)
    );
    assert_eq!(status.commands.failed, 0);
    let offset = status
        .clock_offset
        .expect("estimated again since the setting");
    assert!(offset.num_seconds().abs() < 10, "{offset}");
    let health = logger_health(&store);
    assert!(
        !health.status.iter().any(|s| s == CLOCK_DRIFT_STATUS),
        "{health:?}"
    );
    assert_eq!(health.last_error, None);
    let sent = realtime.len() as u64;
    assert_eq!(counters.accepted, sent);
    assert_eq!(store.count_readings(Resolution::Sample).unwrap(), sent);
}
