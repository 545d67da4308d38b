//! Commands that only read the store work from any folder: run from an empty temporary folder
//! (no `lantian.toml`, no `stations/`), against a store that holds the stations.

use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_lantian");

fn lantian(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .current_dir(dir)
        .args(args)
        .output()
        .expect("lantian runs")
}

fn ok(out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn store_commands_need_no_registry() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path();
    // One station, one local day of hourly values (hour-ending labels, Asia/Shanghai).
    let mut csv = String::from("time,station,name,district,lat,lon,pm25,pm10,no2,o3\n");
    for hour in 1..=24 {
        let label = if hour == 24 {
            "2026-03-01 24:00".to_string()
        } else {
            format!("2026-03-01 {hour:02}:00")
        };
        csv += &format!(
            "{label},S1,一站,一区,23.0,113.7,{},{},30,60\n",
            30 + hour,
            50 + hour
        );
    }
    std::fs::write(path.join("hours.csv"), csv).unwrap();
    let store = ["--store", "sqlite:demo-out/lantian.db"];
    std::fs::create_dir(path.join("demo-out")).unwrap();
    let with_store = |args: &[&str]| lantian(path, &[&store[..], args].concat());

    ok(&with_store(&["import", "--format", "csv", "hours.csv"]));
    let health = with_store(&["health"]);
    ok(&health);
    assert!(
        String::from_utf8_lossy(&health.stderr).contains("times in Asia/Shanghai"),
        "the store's stations give the time zone"
    );
    let rows = ok(&with_store(&[
        "query",
        "--station",
        "S1",
        "-p",
        "pm25",
        "--resolution",
        "1h",
        "--from",
        "2026-03-01",
        "--to",
        "2026-03-02",
        "--format",
        "csv",
    ]));
    assert!(rows.lines().count() >= 24, "{rows}");
    assert!(ok(&with_store(&["jobs", "list"])).contains("daily-report"));
    ok(&with_store(&["rank", "--period", "2026-03"]));
    for kind in ["daily", "health"] {
        let files = ok(&with_store(&[
            "report",
            kind,
            "--date",
            "2026-03-01",
            "--out",
            "reports",
        ]));
        assert!(files.contains(".html"), "{files}");
    }
    let run = ok(&with_store(&[
        "jobs",
        "run",
        "daily-report",
        "--at",
        "2026-03-02 08:00",
    ]));
    assert!(run.contains("daily-report: ok"), "{run}");
}

#[test]
fn a_missing_file_is_named_without_a_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let out = lantian(dir.path(), &["stations"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("stations/dongguan.toml: cannot read the file: No such file or directory"),
        "{stderr}"
    );
    assert!(!stderr.contains(":0:0"), "{stderr}");
}
