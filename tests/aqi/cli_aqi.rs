//! `lantian aqi` and `lantian nowcast` run as a user would.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn lantian(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lantian"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run lantian")
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Parses CSV output into rows of cells (header first).
fn rows(out: &[u8]) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(out)
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

fn cell<'a>(table: &'a [Vec<String>], row: usize, col: &str) -> &'a str {
    let i = table[0]
        .iter()
        .position(|h| h == col)
        .unwrap_or_else(|| panic!("no {col}"));
    &table[row][i]
}

#[test]
fn hourly_hj633_with_units_and_a_bad_row() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "in.csv",
        "time,station,pm25,pm10,so2[ppb],no2,co[mg/m3],o3\n\
         2017-07-07 16:00,1001A,34,45,1,13,0.8,164\n\
         2017-07-07 16:00,1002A,abc,45,1,13,0.8,164\n\
         2017-07-07 17:00,1001A,120,NA,,-,,\n\
         2017-07-07 17:00,1001A,12,,,,,\n\
         2017-07-07 18:00,1001A,10,-5,,,,\n\
         2017-07-07 19:00,1001A,14,20,,,,\n",
    );
    let out = lantian(
        &[
            "aqi",
            "--standard",
            "hj633-2012",
            "--mode",
            "hourly",
            "--input",
            "in.csv",
        ],
        dir.path(),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let t = rows(&out.stdout);
    assert_eq!(t.len(), 7, "one output row per input row");
    assert_eq!(
        &t[0][8..],
        [
            "iaqi_pm25",
            "iaqi_pm10",
            "iaqi_so2",
            "iaqi_no2",
            "iaqi_co",
            "iaqi_o3",
            "aqi",
            "level",
            "category",
            "primary"
        ]
    );
    // Row 1 = CNEMC station 1001A: AQI 55, 良, primary O3; SO2 1 ppb = 2.6 µg/m³ → IAQI 1.
    assert_eq!(cell(&t, 1, "aqi"), "55");
    assert_eq!(cell(&t, 1, "iaqi_so2"), "1");
    assert_eq!(cell(&t, 1, "category"), "良");
    assert_eq!(cell(&t, 1, "level"), "2");
    assert_eq!(cell(&t, 1, "primary"), "o3");
    // Bad number on line 3: reported with line and column; row written with empty results.
    assert!(stderr.contains("line 3, column `pm25`"), "{stderr}");
    assert_eq!(cell(&t, 2, "aqi"), "");
    // Missing values → empty sub-indices; the rest computed.
    assert_eq!(cell(&t, 3, "iaqi_pm25"), "158");
    assert_eq!(cell(&t, 3, "iaqi_pm10"), "");
    assert_eq!(cell(&t, 3, "primary"), "pm25");
    // Duplicate (time, station) on line 5; negative on line 6.
    assert!(
        stderr.contains("line 5, column `time`: duplicate"),
        "{stderr}"
    );
    assert!(
        stderr.contains("line 6, column `pm10`: negative"),
        "{stderr}"
    );
    assert_eq!(cell(&t, 5, "aqi"), "");
    // AQI ≤ 50: no primary pollutant.
    assert_eq!(cell(&t, 6, "aqi"), "20");
    assert_eq!(cell(&t, 6, "primary"), "");
}

#[test]
fn daily_epa_with_native_units_to_a_file() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "in.csv",
        "time,pm25,o3_8h_max[ppm],co_8h_max[ppm],no2_1h_max[ppb]\n\
         2024-06-01,40,0.080,5.0,120\n\
         2024-06-02,-2.8,0.070,,\n",
    );
    let out = lantian(
        &[
            "aqi",
            "--standard",
            "epa-2024",
            "--mode",
            "daily",
            "--input",
            "in.csv",
            "--output",
            "out.csv",
        ],
        dir.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let t = rows(&std::fs::read(dir.path().join("out.csv")).unwrap());
    assert_eq!(cell(&t, 1, "iaqi_pm25"), "112");
    assert_eq!(cell(&t, 1, "iaqi_o3_8h_max"), "133");
    assert_eq!(cell(&t, 1, "iaqi_co_8h_max"), "56");
    assert_eq!(cell(&t, 1, "iaqi_no2_1h_max"), "105");
    assert_eq!(cell(&t, 1, "aqi"), "133");
    assert_eq!(cell(&t, 1, "category"), "Unhealthy for Sensitive Groups");
    assert_eq!(cell(&t, 1, "primary"), "o3_8h_max");
    // Negative EPA value counts as 0 with a warning; O3 0.070 ppm → exactly 100.
    assert_eq!(cell(&t, 2, "iaqi_pm25"), "0");
    assert_eq!(cell(&t, 2, "aqi"), "100");
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 3, column `pm25`: warning"));
}

#[test]
fn header_errors_fail() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "unknown.csv",
        "time,pm25,benzene\n2024-01-01,1,2\n",
    );
    write(dir.path(), "unit.csv", "time,pm25[furlong]\n2024-01-01,1\n");
    write(dir.path(), "ppb_pm.csv", "time,pm25[ppb]\n2024-01-01,1\n");
    write(dir.path(), "notime.csv", "pm25\n1\n");
    for (file, needle) in [
        ("unknown.csv", "unknown column `benzene`"),
        ("unit.csv", "unknown unit `furlong`"),
        ("ppb_pm.csv", "cannot express"),
        ("notime.csv", "no `time` column"),
    ] {
        let out = lantian(
            &[
                "aqi",
                "--standard",
                "hj633-2026",
                "--mode",
                "daily",
                "--input",
                file,
            ],
            dir.path(),
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{file}");
        assert!(stderr.contains(needle), "{file}: {stderr}");
    }
    let out = lantian(
        &[
            "aqi",
            "--standard",
            "epa-2024",
            "--mode",
            "hourly",
            "--input",
            "unit.csv",
        ],
        dir.path(),
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--mode daily"));
    let out = lantian(
        &[
            "aqi",
            "--standard",
            "who-2021",
            "--mode",
            "daily",
            "--input",
            "unit.csv",
        ],
        dir.path(),
    );
    assert!(!out.status.success());
}

#[test]
fn nowcast_reference_vector_and_gaps() {
    let dir = tempfile::tempdir().unwrap();
    let values = [
        "34.9", "43", "50", "64.9", "69.2", "66.2", "53.7", "48.6", "49.2", "35", "", "21",
    ];
    let mut text = String::from("time,station,pm25\n");
    // Station B listed first and out of order: series are per station, in time order.
    text.push_str("2024-06-01 06:00,B,12\n2024-06-01 05:00,B,10\n");
    for (h, v) in values.iter().enumerate() {
        if !v.is_empty() {
            text.push_str(&format!("2024-06-01 {h:02}:00,A,{v}\n"));
        }
    }
    text.push_str("2024-06-01 13:00,A,x\n");
    write(dir.path(), "pm.csv", &text);
    let out = lantian(
        &["nowcast", "--standard", "epa-2024", "--input", "pm.csv"],
        dir.path(),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let t = rows(&out.stdout);
    assert_eq!(&t[0][3..], ["nowcast", "nowcast_aqi", "category"]);
    assert_eq!(cell(&t, 1, "nowcast"), "11.0"); // B 06:00: (12 + 0.833·10)/1.833 = 11.09 → 11.0
    assert_eq!(cell(&t, 2, "nowcast"), ""); // B 05:00: only one of the newest three
    let last_a = t.len() - 2;
    assert_eq!(cell(&t, last_a, "nowcast"), "28.4");
    assert_eq!(cell(&t, last_a, "nowcast_aqi"), "87");
    assert_eq!(cell(&t, last_a, "category"), "Moderate");
    assert!(stderr.contains("line 15, column `pm25`"), "{stderr}");
    let out = lantian(
        &["nowcast", "--standard", "epa-2012", "--input", "pm.csv"],
        dir.path(),
    );
    let t = rows(&out.stdout);
    assert_eq!(cell(&t, t.len() - 2, "nowcast_aqi"), "85");
    let out = lantian(
        &["nowcast", "--standard", "hj633-2012", "--input", "pm.csv"],
        dir.path(),
    );
    assert!(!out.status.success());
}

/// A row the CSV reader cannot read (not UTF-8) is reported with its line and counted as left
/// out (it cannot be echoed), by both commands; the rows around it are computed.
#[test]
fn unreadable_rows_name_their_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.csv"),
        b"time,station,pm25\n2024-06-01 05:00,A,10\n2024-06-01 06:00,A,\xff\xfe\n2024-06-01 07:00,A,12\n",
    )
    .unwrap();
    for args in [
        &["aqi", "--standard", "epa-2024", "--mode", "daily"][..],
        &["nowcast", "--standard", "epa-2024"][..],
    ] {
        let out = lantian(&[args, &["--input", "bad.csv"]].concat(), dir.path());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?}: {stderr}");
        assert!(
            stderr.contains("line 3: unreadable row (left out): "),
            "{args:?}: {stderr}"
        );
        assert!(
            stderr.contains("0 bad (written with empty results), 1 unreadable (left out)"),
            "{args:?}: {stderr}"
        );
        assert_eq!(rows(&out.stdout).len(), 3, "{args:?}: header and two rows");
    }
}

/// End to end: the CLI reproduces every EPA daily value of the official files.
#[test]
fn cli_reproduces_epa_daily_files() {
    let dir = tempfile::tempdir().unwrap();
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/aqi_checks/epa_daily");
    let mut input = String::from("time,station,pm25\n");
    let mut expected = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(&data)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for f in files {
        let mut r = csv::Reader::from_path(&f).unwrap();
        for rec in r.records() {
            let rec = rec.unwrap();
            let (m, d, y) = (&rec[0][0..2], &rec[0][3..5], &rec[0][6..10]);
            input.push_str(&format!(
                "{y}-{m}-{d},{}-{},{}\n",
                &rec[2], &rec[3], &rec[4]
            ));
            expected.push(rec[6].to_string());
        }
    }
    write(dir.path(), "epa.csv", &input);
    let out = lantian(
        &[
            "aqi",
            "--standard",
            "epa-2012",
            "--mode",
            "daily",
            "--input",
            "epa.csv",
        ],
        dir.path(),
    );
    assert!(out.status.success());
    let t = rows(&out.stdout);
    assert_eq!(t.len() - 1, expected.len());
    let matched = (1..t.len())
        .filter(|&i| cell(&t, i, "aqi") == expected[i - 1])
        .count();
    println!(
        "CLI, EPA daily files: {matched} / {} reproduced",
        expected.len()
    );
    assert_eq!(matched, expected.len());
}

/// End to end: the CLI reproduces every CNEMC hourly AQI and primary pollutant.
#[test]
fn cli_reproduces_cnemc_snapshot() {
    use lantian::aqi::Pollutant;
    let dir = tempfile::tempdir().unwrap();
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/aqi_checks/cnemc_hourly/cnemc_2017-07-07T16_stations.csv");
    let mut r = csv::Reader::from_path(path).unwrap();
    let h = r.headers().unwrap().clone();
    let c = |n: &str| h.iter().position(|x| x == n).unwrap();
    let mut input = String::from("time,station,pm25,pm10,so2,no2,co,o3\n");
    let mut expected = Vec::new();
    for rec in r.records() {
        let rec = rec.unwrap();
        // `o3_24h` holds the O3 1-hour value (labels swapped at the source).
        let cols = ["pm2_5", "pm10", "so2", "no2", "co", "o3_24h"].map(|n| rec[c(n)].to_string());
        input.push_str(&format!(
            "{},{},{}\n",
            &rec[c("timepoint")],
            &rec[c("stationcode")],
            cols.join(",")
        ));
        let aqi = rec[c("aqi")].replace("-;", "");
        let mut primary: Vec<&str> =
            if aqi.is_empty() || rec[c("primarypollutant")].starts_with('-') {
                Vec::new()
            } else {
                rec[c("primarypollutant")]
                    .split(',')
                    .map(|n| match Pollutant::from_name_zh(n).unwrap() {
                        Pollutant::O3_1h => "o3",
                        p => p.code(),
                    })
                    .collect()
            };
        primary.sort();
        expected.push((aqi, primary.join(";")));
    }
    write(dir.path(), "cnemc.csv", &input);
    let out = lantian(
        &[
            "aqi",
            "--standard",
            "hj633-2012",
            "--mode",
            "hourly",
            "--input",
            "cnemc.csv",
        ],
        dir.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let t = rows(&out.stdout);
    assert_eq!(t.len() - 1, 1495);
    let mut with_aqi = 0;
    let mut matched = 0;
    for (i, (aqi, primary)) in expected.iter().enumerate() {
        if aqi.is_empty() {
            continue;
        }
        with_aqi += 1;
        let mut ours: Vec<&str> = cell(&t, i + 1, "primary")
            .split(';')
            .filter(|s| !s.is_empty())
            .collect();
        ours.sort();
        if cell(&t, i + 1, "aqi") == aqi && ours.join(";") == *primary {
            matched += 1;
        }
    }
    println!("CLI, CNEMC snapshot: {matched} / {with_aqi} reproduced");
    assert_eq!(with_aqi, 1462);
    assert_eq!(matched, with_aqi);
}
