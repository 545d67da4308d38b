//! The daily report from known hourly data (written through the index stage): its figures
//! (AQI, categories, counts, ranks, year to date) in the HTML, well-formed HTML, decodable
//! PNGs, and the index page.

use crate::fixture;

use fixture::{section, table_rows, text};
use lantian::assess::{AssessConfig, GroupBy, Period};
use lantian::report::html::check_well_formed;
use lantian::report::{Lang, ReportConfig, daily_figures, daily_report};

#[test]
fn figures_follow_the_definitions() {
    let dir = tempfile::tempdir().unwrap();
    let store = fixture::store(dir.path());
    let f = daily_figures(&store, fixture::day()).unwrap();
    assert_eq!(f.network.aqi, Some(78));
    assert_eq!(f.network.primary, [lantian::aqi::Pollutant::Pm25]);
    let ids: Vec<(&str, Option<u32>, Option<u32>)> = f
        .stations
        .iter()
        .map(|s| (s.info.id.as_str(), s.rank, s.aqi))
        .collect();
    assert_eq!(
        ids,
        [
            ("A", Some(1), Some(50)),
            ("C", Some(2), Some(82)),
            ("B", Some(3), Some(107))
        ]
    );
    assert_eq!(f.category_counts, [1, 1, 1, 0, 0, 0]);
    let towns: Vec<(&str, Option<u32>, Option<u32>)> = f
        .districts
        .iter()
        .map(|d| (d.name.as_str(), d.rank, d.aqi))
        .collect();
    assert_eq!(
        towns,
        [("东区", Some(1), Some(75)), ("西区", Some(2), Some(82))]
    );
    assert!(f.hourly.iter().all(|h| *h == Some(78)), "{:?}", f.hourly);
    assert_eq!(f.hourly_range[0], Some((50, 107)));
    assert_eq!(f.completeness.hours, 3 * 24 * 6);
    assert_eq!(f.completeness.complete, 3);

    // Year to date equals the assessment over the hourly data (`lantian rank --by network`).
    let period = Period::YearToDate {
        year: 2024,
        end: Some(fixture::day()),
    };
    let reference =
        lantian::assess::rank_store(&store, period, GroupBy::Network, &AssessConfig::default())
            .unwrap()
            .rows
            .pop()
            .unwrap();
    assert_eq!(f.ytd.stats.total(), reference.stats.total());
    assert_eq!(f.ytd.previous_total(), reference.previous_total());
    assert_eq!(f.ytd.stats.aqi, reference.stats.aqi);
    assert_eq!(f.ytd.stats.good_share(), Some(1.0));
    assert_eq!(
        f.ytd.previous.as_ref().and_then(|p| p.good_share()),
        Some(0.0)
    );
}

#[test]
fn chinese_report_shows_the_figures() {
    let dir = tempfile::tempdir().unwrap();
    let store = fixture::store(dir.path());
    let cfg = ReportConfig {
        out_dir: dir.path().join("out"),
        lang: Lang::Zh,
    };
    let files = daily_report(&store, "测试市监测网", fixture::day(), &cfg).unwrap();
    assert_eq!(files.html, dir.path().join("out/daily-2024-03-10.html"));
    let html = std::fs::read_to_string(&files.html).unwrap();
    check_well_formed(&html).unwrap();
    assert!(html.contains("<html lang=\"zh-CN\">"));
    for external in [
        "<link",
        "<script",
        "src=\"http",
        "href=\"http",
        "@import",
        "url(",
    ] {
        assert!(!html.contains(external), "external asset: {external}");
    }

    let summary = text(section(&html, "summary"));
    assert!(
        summary.contains(
            "2024年3月10日，全市环境空气质量为良（II级），AQI为78，首要污染物为细颗粒物(PM2.5)"
        ),
        "{summary}"
    );
    assert!(
        summary.contains("3个站点中，优1个、良1个、轻度污染1个"),
        "{summary}"
    );
    assert!(
        summary.contains("东区空气质量最好（AQI 75），西区最差（AQI 82）"),
        "{summary}"
    );
    assert!(
        summary.contains("今年以来优良天数比例为100.0%，较去年同期上升100.0个百分点"),
        "{summary}"
    );

    let stations = table_rows(section(&html, "stations"));
    let head: Vec<(&str, &str, &str, &str)> = stations
        .iter()
        .map(|r| (r[0].as_str(), r[1].as_str(), r[3].as_str(), r[4].as_str()))
        .collect();
    assert_eq!(
        head,
        [
            ("1", "甲站", "50", "优"),
            ("2", "丙站", "82", "良"),
            ("3", "乙站", "107", "轻度污染")
        ]
    );
    assert_eq!(stations[2][5], "细颗粒物(PM2.5)");
    assert_eq!(stations[2][6], "80", "PM2.5 of 乙站");

    let towns = table_rows(section(&html, "towns"));
    assert_eq!(
        (
            towns[0][0].as_str(),
            towns[0][1].as_str(),
            towns[0][3].as_str()
        ),
        ("1", "东区", "75")
    );
    assert_eq!(
        (
            towns[1][0].as_str(),
            towns[1][1].as_str(),
            towns[1][3].as_str()
        ),
        ("2", "西区", "82")
    );

    let cats = table_rows(section(&html, "categories"));
    let counts: Vec<&str> = cats.iter().map(|r| r[3].as_str()).collect();
    assert_eq!(counts, ["1", "1", "1", "0", "0", "0", "0"]);

    let overview = table_rows(section(&html, "overview"));
    let pm25 = overview.iter().find(|r| r[0] == "细颗粒物(PM2.5)").unwrap();
    assert_eq!((pm25[1].as_str(), pm25[2].as_str()), ("57", "78"));

    let ytd = table_rows(section(&html, "ytd"));
    assert_eq!(ytd[0][1..3], ["100.0%".to_string(), "0.0%".to_string()]);
    assert_eq!(ytd[1][1..3], ["1/1".to_string(), "0/1".to_string()]);

    // Sections that depend on unfinished work say so; nothing invented.
    assert!(text(section(&html, "events")).contains("暂无"));
    assert!(text(section(&html, "forecast")).contains("暂无"));
    assert!(text(section(&html, "completeness")).contains("3个站点中3个有数据"));

    // Charts: inline SVG with Chinese names, and PNGs that decode.
    let map = section(&html, "map");
    assert!(map.contains("<svg"), "inline SVG map");
    assert!(map.contains("甲站 50"), "Chinese names in the SVG");
    assert!(section(&html, "curve").contains("<svg"));
    assert_eq!(files.images.len(), 2);
    for png in &files.images {
        fixture::assert_png(png);
    }

    // The index page lists it.
    let index = std::fs::read_to_string(&files.index).unwrap();
    check_well_formed(&index).unwrap();
    assert!(index.contains("href=\"daily-2024-03-10.html\""));
    assert!(index.contains("daily-2024-03-10/aqi-24h.png"));
}

#[test]
fn english_report_uses_english_names() {
    let dir = tempfile::tempdir().unwrap();
    let store = fixture::store(dir.path());
    let cfg = ReportConfig {
        out_dir: dir.path().join("out"),
        lang: Lang::En,
    };
    let files = daily_report(&store, "Test network", fixture::day(), &cfg).unwrap();
    let html = std::fs::read_to_string(&files.html).unwrap();
    check_well_formed(&html).unwrap();
    assert!(html.contains("<html lang=\"en\">"));
    let summary = text(section(&html, "summary"));
    assert!(summary.contains("On 10 March 2024 the network's air quality was good (level II), AQI 78, primary pollutant PM2.5."), "{summary}");
    assert!(
        summary.contains("Of 3 stations, 1 excellent, 1 good, 1 lightly polluted."),
        "{summary}"
    );
    let stations = table_rows(section(&html, "stations"));
    assert_eq!(stations[0][1], "Alpha");
    assert_eq!(stations[2][4], "lightly polluted");
    assert!(section(&html, "map").contains("Alpha 50"));
    assert!(text(section(&html, "forecast")).contains("No forecast"));
}

#[test]
fn a_store_without_stations_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let store = lantian::store::sqlite::SqliteStore::open(dir.path().join("e.db")).unwrap();
    let cfg = ReportConfig {
        out_dir: dir.path().join("out"),
        lang: Lang::Zh,
    };
    let err = daily_report(&store, "x", fixture::day(), &cfg).unwrap_err();
    assert!(err.to_string().contains("no stations"), "{err}");
}
