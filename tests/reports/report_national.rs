//! The national key-city ranking report, from the excerpt of the national network's January
//! 2019 (`tests/data/cnemc_national_excerpt`: 北京, 拉萨 and 海口) imported with `lantian
//! import --format cnemc`: its table's numbers equal `lantian rank --by city`'s, the chosen city
//! is highlighted and explained, the map is drawn, region groups are summarised, and the
//! report says how dust was handled — both ways.

use std::path::Path;
use std::process::Command;

use crate::fixture::{assert_png, section, table_rows, text};
use lantian::assess::round_half_even;
use lantian::report::html::check_well_formed;

const EXCERPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/cnemc_national_excerpt"
);

/// Runs `lantian` on the store `db`, returning its standard output.
fn lantian(db: &Path, args: &[&str]) -> String {
    let store = format!("sqlite:{}", db.display());
    let out = Command::new(env!("CARGO_BIN_EXE_lantian"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["--store", &store, "-q"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Imports the excerpt into `db` with `lantian import --format cnemc`.
fn import_excerpt(db: &Path) {
    let e = Path::new(EXCERPT);
    let list = e.join("stations.csv");
    let hourly = e.join("cnemc_station_hourly_2019-01_excerpt.csv.xz");
    lantian(
        db,
        &[
            "import",
            "--format",
            "cnemc",
            "--stations",
            list.to_str().unwrap(),
            hourly.to_str().unwrap(),
        ],
    );
}

#[test]
fn national_report_equals_the_city_ranking() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("national.db");
    import_excerpt(&db);
    let out = dir.path().join("out");
    let files = lantian(
        &db,
        &[
            "report",
            "--out",
            out.to_str().unwrap(),
            "--lang",
            "zh",
            "national",
            "--month",
            "2019-01",
            "--focus",
            "北京",
        ],
    );
    let html_path = out.join("national-2019-01.html");
    assert!(files.contains("national-2019-01.html"), "{files}");
    let html = std::fs::read_to_string(&html_path).unwrap();
    check_well_formed(&html).unwrap();
    assert!(html.contains(r#"<meta name="lantian:kind" content="national""#));
    assert_png(&out.join("national-2019-01/city-map.png"));
    assert!(section(&html, "map").contains("<svg"));

    // The table against `lantian rank --by city` (JSON, unrounded figures).
    let ranking: serde_json::Value = serde_json::from_str(&lantian(
        &db,
        &[
            "rank", "--by", "city", "--period", "2019-01", "--format", "json",
        ],
    ))
    .unwrap();
    let rows = table_rows(section(&html, "index"));
    let expected = ranking["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 168, "every listed city has a row");
    assert_eq!(expected.len(), 168);
    let ranked: Vec<&serde_json::Value> =
        expected.iter().filter(|r| !r["rank"].is_null()).collect();
    assert_eq!(ranked.len(), 3, "北京, 拉萨 and 海口 have data");
    for (row, want) in rows.iter().zip(expected) {
        assert_eq!(row[1], want["id"].as_str().unwrap());
        let rank = want["rank"]
            .as_u64()
            .map_or("—".to_string(), |r| r.to_string());
        assert_eq!(row[0], rank, "rank of {}", row[1]);
        assert_eq!(row[2], want["province"].as_str().unwrap());
        assert_eq!(row[3], want["region"].as_str().unwrap());
        let fixed = |v: &serde_json::Value| {
            v.as_f64().map_or("—".to_string(), |v| {
                format!("{:.2}", round_half_even(v, 2))
            })
        };
        for (k, p) in ["so2", "no2", "pm10", "pm25", "co", "o3"]
            .iter()
            .enumerate()
        {
            assert_eq!(
                row[4 + k],
                fixed(&want["sub_indices"][p]),
                "{p} of {}",
                row[1]
            );
        }
        assert_eq!(row[10], fixed(&want["i_sum"]), "I_sum of {}", row[1]);
        let share = want["good_share"].as_f64().map_or("—".to_string(), |g| {
            format!("{:.1}%", round_half_even(g * 100.0, 1))
        });
        assert_eq!(row[12], share, "good share of {}", row[1]);
    }
    // Lhasa and Haikou are better than Beijing in January.
    let order: Vec<&str> = ranked.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(order[2], "北京", "{order:?}");
    // The CSV beside the page is `lantian rank --by city --format csv`'s table.
    let csv = std::fs::read_to_string(out.join("national-2019-01.csv")).unwrap();
    let cli = lantian(
        &db,
        &[
            "rank", "--by", "city", "--period", "2019-01", "--format", "csv",
        ],
    );
    let records = |text: &str| -> Vec<csv::StringRecord> {
        csv::Reader::from_reader(text.as_bytes())
            .records()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(records(&csv), records(&cli));

    // The chosen city: highlighted, its rank and the places each pollutant costs it.
    let beijing = section(&html, "index")
        .split("<tr>")
        .find(|r| r.contains(">北京<"))
        .unwrap();
    assert!(beijing.contains("background-color:#FFF2CC"), "{beijing}");
    let focus = text(section(&html, "focus"));
    assert!(focus.contains("北京排第3名（共3个）"), "{focus}");
    let costs = table_rows(section(&html, "focus"));
    assert_eq!(costs.len(), 6, "one row per pollutant");
    // The best and worst: three ranked, so three rows, best first.
    let ends = table_rows(section(&html, "ends"));
    assert_eq!(ends.len(), 3);
    assert_eq!(ends[0][2], "3. 北京");
    // Region groups: 北京 in 京津冀及周边地区, the other two among 其他重点城市.
    let regions = table_rows(section(&html, "regions"));
    let jjj = regions.iter().find(|r| r[0] == "京津冀及周边地区").unwrap();
    assert_eq!(jjj[2], "1", "one ranked city");
    assert_eq!(jjj[3], rows.iter().find(|r| r[1] == "北京").unwrap()[10]);
    let others = regions.iter().find(|r| r[0] == "其他重点城市").unwrap();
    assert_eq!(others[2], "2");
    // Without a dust list, the report says so.
    assert!(text(section(&html, "summary")).contains("未提供沙尘名单"));

    // With a dust list: Beijing's first week removed from PM, stated, and the numbers equal
    // `lantian rank --by city --dust`.
    let dust = dir.path().join("dust.csv");
    let days: String = (1..=7).map(|d| format!("北京,2019-01-0{d}\n")).collect();
    std::fs::write(&dust, format!("city,date\n{days}")).unwrap();
    lantian(
        &db,
        &[
            "report",
            "--out",
            out.to_str().unwrap(),
            "--lang",
            "en",
            "national",
            "--month",
            "2019-01",
            "--dust",
            dust.to_str().unwrap(),
        ],
    );
    let html = std::fs::read_to_string(&html_path).unwrap();
    check_well_formed(&html).unwrap();
    assert!(
        text(section(&html, "summary")).contains("PM10 and PM2.5 of 7 dust-affected city-days"),
        "{}",
        text(section(&html, "summary"))
    );
    let with_dust: serde_json::Value = serde_json::from_str(&lantian(
        &db,
        &[
            "rank",
            "--by",
            "city",
            "--period",
            "2019-01",
            "--format",
            "json",
            "--dust",
            dust.to_str().unwrap(),
        ],
    ))
    .unwrap();
    let beijing = |rows: &[serde_json::Value]| {
        rows.iter()
            .find(|r| r["id"] == "北京")
            .map(|r| r["i_sum"].as_f64().unwrap())
            .unwrap()
    };
    let row = table_rows(section(&html, "index"))
        .into_iter()
        .find(|r| r[1] == "北京")
        .unwrap();
    let want = beijing(with_dust["rows"].as_array().unwrap());
    assert_eq!(row[10], format!("{:.2}", round_half_even(want, 2)));
    assert_ne!(want, beijing(expected), "dust days change the index");
}

/// The `national-ranking` job kind, configured in lantian.toml as a user would and run for
/// its scheduled time on 1 February: the report of January, with the configured focus and
/// dust list (relative to the configuration file).
#[test]
fn the_national_ranking_job_reports_the_previous_month() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("national.db");
    import_excerpt(&db);
    std::fs::write(dir.path().join("dust.csv"), "city,date\n海口,2019-01-05\n").unwrap();
    let config = dir.path().join("lantian.toml");
    std::fs::write(
        &config,
        "store = \"sqlite:national.db\"\n\
         [report]\nout_dir = \"out\"\nlang = \"en\"\n\
         [[job]]\nname = \"national\"\nschedule = \"0 10 1 * *\"\nkind = \"national-ranking\"\n\
         focus = \"海口\"\ndust = \"dust.csv\"\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_lantian"))
        .arg("--config")
        .arg(&config)
        .args(["-q", "jobs", "run", "national", "--at", "2019-02-01 10:00"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html_path = dir.path().join("out/national-2019-01.html");
    assert!(stdout.contains("national-2019-01.html"), "{stdout}");
    let html = std::fs::read_to_string(html_path).unwrap();
    check_well_formed(&html).unwrap();
    let focus = text(section(&html, "focus"));
    assert!(focus.contains("海口 ranks"), "{focus}");
    let summary = text(section(&html, "summary"));
    assert!(
        summary.contains("of 1 dust-affected city-days"),
        "{summary}"
    );
}
