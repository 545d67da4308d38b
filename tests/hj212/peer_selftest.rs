//! The independent HJ 212 peer checks itself: the standard's CRC vector (1C80), the shared
//! corpus's computed CRCs and lengths, build → parse round trips, and its logger against its
//! platform on loopback with every misbehaviour; then the same two processes as the other
//! tests start them (tests/common/hj212_peer.rs).

use std::process::Command;
use std::time::Duration;

use serde_json::json;

use crate::common::hj212_peer::{PeerPlatform, python3, run_logger, script};

#[test]
fn the_peer_passes_its_selftest() {
    if !python3() {
        return;
    }
    let output = Command::new("python3")
        .arg(script())
        .arg("selftest")
        .output()
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "selftest failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("CRC vector 1C80"), "{stdout}");
    assert!(stdout.contains("on loopback: ok"), "{stdout}");
}

#[test]
fn the_peer_logger_and_platform_processes_talk() {
    let Some(platform) = PeerPlatform::start(&[("LT-PEER-01", "246810")], &["--drop-acks", "1"])
    else {
        return;
    };
    let packets = [
        json!({"cn": 2011, "datatime": "20260301080000",
               "values": {"a34004": {"Rtd": "35.2", "Flag": "N"}}}),
        json!({"cn": 2061, "datatime": "20260301080000",
               "values": {"a34004": {"Avg": "33.0", "Min": "30.1", "Max": "38.4", "Flag": "N"}}}),
    ];
    let args = ["--timeout", "0.5", "--split"];
    let summary = run_logger(&platform.address(), "LT-PEER-01", "246810", &packets, &args)
        .expect("python3 is there");
    assert_eq!(summary["acknowledged"], 2, "{summary}");
    assert_eq!(summary["retried"], 1, "{summary}");
    let received = platform.wait_for(Duration::from_secs(5), |r| r.len() >= 3);
    assert_eq!(received.len(), 3, "{received:?}");
    assert!(
        received
            .iter()
            .all(|r| r["status"] == "valid" && r["reads"] == 3)
    );
    assert_eq!(received[2]["cp"]["a34004"]["Max"], "38.4");
    let wrong = run_logger(
        &platform.address(),
        "LT-PEER-01",
        "000000",
        &packets[..1],
        &["--timeout", "0.2", "--retries", "0"],
    )
    .unwrap();
    assert_eq!(wrong["failed"], 1, "{wrong}");
    let last = platform.wait_for(Duration::from_secs(5), |r| r.len() >= 4);
    assert_eq!(last[3]["reason"], "wrong PW", "{last:?}");
}
