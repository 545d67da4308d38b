//! The ranking report from known hourly data: its rows equal `lantian rank`'s (the assessment
//! over the hourly data), ranks and figures in the HTML and the CSV, charts that decode.

use crate::fixture;

use fixture::{section, table_rows};
use lantian::assess::{AssessConfig, GroupBy, Period};
use lantian::report::html::check_well_formed;
use lantian::report::{Lang, ReportConfig, ranking_figures, ranking_report};

#[test]
fn rows_equal_the_assessment_over_hourly_data() {
    let dir = tempfile::tempdir().unwrap();
    let store = fixture::store(dir.path());
    for by in [GroupBy::Station, GroupBy::District] {
        let period: Period = "2024-03".parse().unwrap();
        let f = ranking_figures(&store, period, by).unwrap();
        let reference =
            lantian::assess::rank_store(&store, period, by, &AssessConfig::default()).unwrap();
        assert_eq!(f.rows, reference.rows, "{by:?}");
    }
}

#[test]
fn station_ranking_report_and_csv() {
    let dir = tempfile::tempdir().unwrap();
    let store = fixture::store(dir.path());
    let cfg = ReportConfig {
        out_dir: dir.path().join("out"),
        lang: Lang::Zh,
    };
    let period: Period = "2024-03".parse().unwrap();
    let files = ranking_report(&store, "测试市监测网", period, GroupBy::Station, &cfg).unwrap();
    assert_eq!(
        files.html,
        dir.path().join("out/ranking-2024-03-station.html")
    );
    let html = std::fs::read_to_string(&files.html).unwrap();
    check_well_formed(&html).unwrap();

    let reference =
        lantian::assess::rank_store(&store, period, GroupBy::Station, &AssessConfig::default())
            .unwrap();
    let rows = table_rows(section(&html, "index"));
    let got: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r[0].as_str(), r[1].as_str()))
        .collect();
    assert_eq!(got, [("1", "甲站"), ("2", "丙站"), ("3", "乙站")]);
    for (row, r) in rows.iter().zip(&reference.rows) {
        // Columns: rank, station, town, six sub-indices, I_sum, valid days, good share, last
        // year's I_sum, change, last year's rank.
        assert_eq!(
            row[9],
            format!("{:.2}", r.stats.total().unwrap()),
            "I_sum of {}",
            r.id
        );
        assert_eq!(
            row[12],
            format!("{:.2}", r.previous_total().unwrap()),
            "last year of {}",
            r.id
        );
        assert_eq!(row[11], if r.id == "B" { "0.0%" } else { "100.0%" });
        assert_eq!(row[14], "1", "all stations tied last year");
        assert_eq!(row[10], "1/27*", "one valid day of 27 needed");
    }
    // PM2.5 sub-index of 乙站: 80 / 35 = 2.29.
    assert_eq!(rows[2][6], "2.29");
    // Change of 甲站 against last year (PM2.5 30 vs 100, PM10 50 vs 76.67): negative (better).
    assert!(rows[0][13].starts_with('−'), "{:?}", rows[0]);

    let best_worst = table_rows(section(&html, "best-worst"));
    assert_eq!(best_worst[0][0], "1. 甲站");
    assert_eq!(best_worst[0][2], "3. 乙站");

    let per_pollutant = table_rows(section(&html, "pollutants"));
    // rank, name, then (concentration, rank) × 6: PM2.5 is the fourth pair.
    let pm25: Vec<(&str, &str)> = per_pollutant
        .iter()
        .map(|r| (r[8].as_str(), r[9].as_str()))
        .collect();
    assert_eq!(pm25, [("30", "1"), ("60", "2"), ("80", "3")]);
    let so2_ranks: Vec<&str> = per_pollutant.iter().map(|r| r[3].as_str()).collect();
    assert_eq!(so2_ranks, ["1", "1", "1"], "equal SO2 shares the rank");

    // The CSV beside the HTML.
    let csv_path = files.csv.clone().unwrap();
    assert_eq!(csv_path, dir.path().join("out/ranking-2024-03-station.csv"));
    let mut reader = csv::Reader::from_path(&csv_path).unwrap();
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let records: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(records.len(), 3);
    let ids: Vec<&str> = records.iter().map(|r| &r[col("id")]).collect();
    assert_eq!(ids, ["A", "C", "B"]);
    assert_eq!(&records[0][col("rank")], "1");
    assert_eq!(&records[2][col("name")], "乙站");
    assert_eq!(&records[2][col("name_en")], "Bravo");
    assert_eq!(&records[2][col("district")], "东区");
    assert_eq!(&records[2][col("c_pm25")], "80.0");
    assert_eq!(&records[2][col("i_pm25")], "2.29");
    assert_eq!(&records[2][col("rank_pm25")], "3");
    assert_eq!(&records[2][col("good_share")], "0.0000");
    for (rec, r) in records.iter().zip(&reference.rows) {
        assert_eq!(
            rec[col("i_sum")],
            format!("{:.2}", r.stats.total().unwrap())
        );
    }

    assert_eq!(files.images.len(), 2);
    for png in &files.images {
        fixture::assert_png(png);
    }
    assert!(
        section(&html, "chart").contains("1. 甲站"),
        "Chinese names in the SVG"
    );
    let index = std::fs::read_to_string(&files.index).unwrap();
    assert!(index.contains("ranking-2024-03-station.csv"));
}

#[test]
fn district_ranking_in_english() {
    let dir = tempfile::tempdir().unwrap();
    let store = fixture::store(dir.path());
    let cfg = ReportConfig {
        out_dir: dir.path().join("out"),
        lang: Lang::En,
    };
    let files = ranking_report(
        &store,
        "Test network",
        "2024Q1".parse().unwrap(),
        GroupBy::District,
        &cfg,
    )
    .unwrap();
    assert_eq!(
        files.html,
        dir.path().join("out/ranking-2024Q1-district.html")
    );
    let html = std::fs::read_to_string(&files.html).unwrap();
    check_well_formed(&html).unwrap();
    let rows = table_rows(section(&html, "index"));
    // 东区 (A, B: PM2.5 55) ranks before 西区 (C: 60).
    assert_eq!((rows[0][0].as_str(), rows[0][1].as_str()), ("1", "东区"));
    assert_eq!((rows[1][0].as_str(), rows[1][1].as_str()), ("2", "西区"));
    // The PNG has no CJK glyphs: districts are named by their stations' English names there.
    let csv = std::fs::read_to_string(files.csv.unwrap()).unwrap();
    assert!(csv.contains("东区,Alpha/Bravo"), "{csv}");
    assert!(csv.contains("西区,Charlie"), "{csv}");
}

#[test]
fn a_year_to_date_ends_on_the_last_day_with_data() {
    let dir = tempfile::tempdir().unwrap();
    let store = fixture::store(dir.path());
    let f = ranking_figures(&store, "2024-ytd".parse().unwrap(), GroupBy::Station).unwrap();
    assert_eq!(
        f.period,
        Period::YearToDate {
            year: 2024,
            end: Some(fixture::day())
        }
    );
    assert_eq!(f.stem(), "ranking-2024-ytd-2024-03-10-station");
}
