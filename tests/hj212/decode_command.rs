//! `lantian hj212 decode` on corpus lines: one JSON object per packet, the exit status and the
//! message naming the file and lines.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value;

use super::corpus::corpus;

/// The texts of corpus packets by id.
fn texts(ids: &[&str]) -> Vec<String> {
    let records = corpus();
    ids.iter()
        .map(|id| {
            let record = records.iter().find(|r| r["id"] == *id).unwrap();
            record["text"].as_str().unwrap().to_string()
        })
        .collect()
}

/// Runs `lantian hj212 decode ARGS`, writing `input` to its standard input.
fn decode(args: &[&str], input: &[u8]) -> (bool, Vec<Value>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lantian"))
        .args(["hj212", "decode"])
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    let output = child.wait_with_output().unwrap();
    let lines = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (
        output.status.success(),
        lines,
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn decodes_corpus_lines_as_json() {
    // The standard's packet, a 2017 air packet with a lower-case CRC (status valid, but
    // accepted in lenient mode only), one with a bad CRC.
    let packets = texts(&[
        "hj212-shared-0350",
        "hj212-shared-0352",
        "hj212-shared-0354",
    ]);
    let mut input = Vec::new();
    for packet in &packets {
        input.extend_from_slice(packet.as_bytes());
        if !packet.ends_with("\r\n") {
            input.push(b'\n');
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("capture.log");
    std::fs::write(&file, &input).unwrap();

    let (ok, lines, stderr) = decode(&[file.to_str().unwrap()], b"");
    assert!(!ok);
    assert!(
        stderr.contains("capture.log: 2 of 3 packets not accepted in strict mode (line 2, 3)"),
        "{stderr}"
    );
    assert_eq!(lines.len(), 3);
    let first = &lines[0];
    assert_eq!(first["status"], "valid");
    assert_eq!(first["accepted"], true);
    assert_eq!(first["cn"], "1062");
    assert_eq!(first["qn"], "20160801085857223");
    assert_eq!(first["crc"], "1C80");
    assert_eq!(first["len"], 101);
    assert_eq!(first["cp_plain"]["RtdInterval"], "30");
    assert_eq!(first["deviations"], Value::Array(vec![]));

    let second = &lines[1];
    assert_eq!(second["status"], "valid");
    assert_eq!(second["accepted"], false);
    assert_eq!(second["st"], "22");
    assert_eq!(second["datatime"], "20191012133710");
    assert_eq!(second["cp"]["a21005"]["Rtd"], "0.00");
    let kinds: Vec<&str> = second["deviations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["lower-case-crc"]);

    assert_eq!(lines[2]["status"], "bad-crc");
    let crc = &lines[2]["deviations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["kind"] == "crc-mismatch")
        .unwrap();
    assert_eq!(
        (crc["declared"].as_str(), crc["computed"].as_str()),
        (Some("f9c1"), Some("7340"))
    );

    // Lenient, from standard input: the lower-case CRC is recovered, the bad CRC is not.
    let (ok, lines, stderr) = decode(&["--lenient", "-"], &input);
    assert!(!ok);
    assert!(
        stderr.contains("standard input: 1 of 3 packets not accepted in lenient mode (line 3)"),
        "{stderr}"
    );
    let accepted: Vec<bool> = lines.iter().map(|l| l["accepted"] == true).collect();
    assert_eq!(accepted, [true, true, false]);

    // Only accepted packets: success.
    let (ok, lines, _) = decode(&[], packets[0].as_bytes());
    assert!(ok && lines.len() == 1);
}

#[test]
fn a_missing_file_is_named() {
    let (ok, lines, stderr) = decode(&["/nonexistent/capture.log"], b"");
    assert!(!ok && lines.is_empty());
    assert!(stderr.contains("/nonexistent/capture.log"), "{stderr}");
}
