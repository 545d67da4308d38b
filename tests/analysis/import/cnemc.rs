//! CNEMC national data: the long and daily wide layouts, `.xz`, the station list (cities,
//! background sites), and bad input — unknown station codes, stations without a city, a
//! duplicated column, spikes, missing hours: a clear report, nothing invented.

use lantian::import::{Format, ImportError, ImportOptions, IssueKind};
use lantian::store::{StationRole, StationStore};
use lantian::units::Parameter;

use super::{Fixture, utc, value};

const LIST: &str = "station_code,name,city,lon,lat,list_flag_y,is_background_site\n\
                    1001A,万寿西宫,北京,116.3621,39.8784,N,N\n\
                    1002A,定陵(对照点),北京,116.2202,40.2915,Y,Y\n\
                    9001A,无城市站,,,,N,N\n";

fn options(f: &Fixture) -> ImportOptions {
    ImportOptions {
        stations: Some(f.file("stations.csv", LIST)),
        index: None,
        ..ImportOptions::default()
    }
}

#[test]
fn long_layout_with_the_station_list() {
    let f = Fixture::new();
    let text = "time_local,station_code,city,lon,lat,so2,no2,pm10,pm2_5,co,o3_1h\n\
                2019-01-01 00:00,1001A,北京,116.3621,39.8784,15,75,76,53,1.2,\n\
                2019-01-01 01:00,1001A,北京,116.3621,39.8784,915,75,3761,53,-1,7\n\
                2019-01-01 01:00,1002A,北京,,,4,37,94,36,0.6,11\n\
                2019-01-01 01:00,7777A,某市,,,1,2,3,4,0.5,6\n\
                2019-01-01 02:00,9001A,,,,1,2,3,4,0.5,6\n";
    let plain = f.file("long.csv", text);
    let mut xz = Vec::new();
    lzma_rs::xz_compress(&mut std::io::Cursor::new(text.as_bytes()), &mut xz).expect("xz");
    let compressed = f.dir.path().join("long.csv.xz");
    std::fs::write(&compressed, xz).expect("write");
    let options = options(&f);
    for path in [plain, compressed] {
        let mut f2 = Fixture::new();
        let s = f2
            .import(Format::Cnemc, std::slice::from_ref(&path), &options)
            .expect("import");
        let issues: Vec<(u64, IssueKind, bool)> = s
            .issues
            .iter()
            .map(|i| {
                (
                    i.line,
                    i.kind,
                    i.message.contains("7777A") || i.message.contains("negative"),
                )
            })
            .collect();
        assert_eq!(
            issues,
            [
                (3, IssueKind::ValueRejected, true),
                (5, IssueKind::RowRejected, true)
            ],
            "{:?}",
            s.issues
        );
        assert_eq!(s.stations_without_city, ["9001A"]);
        let all = f2.all();
        // Hour-ending Beijing time: 2019-01-01 00:00 is 2018-12-31 16:00 UTC.
        assert_eq!(
            value(&all, "1001A", Parameter::Pm25, utc(2018, 12, 31, 16)),
            Some(53.0)
        );
        // Spikes are imported as published; the negative CO is not; the missing O3 is absent.
        assert_eq!(
            value(&all, "1001A", Parameter::Pm10, utc(2018, 12, 31, 17)),
            Some(3761.0)
        );
        assert_eq!(
            value(&all, "1001A", Parameter::Co, utc(2018, 12, 31, 17)),
            None
        );
        assert_eq!(
            value(&all, "1001A", Parameter::O3, utc(2018, 12, 31, 16)),
            None
        );
        let stations = f2.store.stations().expect("stations");
        let ids: Vec<(&str, &str, StationRole)> = stations
            .iter()
            .map(|s| (s.id.as_str(), s.city.as_str(), s.role))
            .collect();
        assert_eq!(
            ids,
            [
                ("1001A", "北京", StationRole::Assessment),
                ("1002A", "北京", StationRole::Background),
                ("9001A", "", StationRole::Assessment)
            ]
        );
    }
}

#[test]
fn daily_wide_files_with_a_duplicated_column() {
    let mut f = Fixture::new();
    let path = f.file(
        "china_sites_20190101.csv",
        "date,hour,type,1001A,1002A,1001A,7777A\n\
         20190101,0,AQI,73,,73,\n\
         20190101,0,PM2.5,53,36,53,\n\
         20190101,0,PM2.5_24h,44,36,44,\n\
         20190101,0,CO,1.2,0.6,1.3,\n\
         20190101,1,PM2.5,60,,60,9\n\
         20190101,1,SO2,abc,4,,\n\
         20190101,1,PM2.5,61,,61,\n\
         20190101,2,PM1,1,,,\n\
         20190101,25,PM2.5,1,,,\n",
    );
    let s = f
        .import(Format::Cnemc, std::slice::from_ref(&path), &options(&f))
        .expect("import");
    let mut issues: Vec<(u64, IssueKind, String)> = s
        .issues
        .iter()
        .map(|i| (i.line, i.kind, i.message.clone()))
        .collect();
    issues.sort();
    let has = |line: u64, kind: IssueKind, text: &str| {
        assert!(
            issues
                .iter()
                .any(|(l, k, m)| *l == line && *k == kind && m.contains(text)),
            "{line} {kind:?} {text}: {issues:#?}"
        );
    };
    // The repeated 1001A column disagrees on CO at line 5: reported, the first value kept.
    has(
        2,
        IssueKind::ValueRejected,
        "column 6 repeats station 1001A of column 4",
    );
    // An unknown code's hour, an unreadable value, a repeated type, an unknown type, a bad hour.
    has(6, IssueKind::RowRejected, "unknown station code `7777A`");
    has(6, IssueKind::ValueRejected, "line 7, SO2 of station 1001A");
    has(8, IssueKind::RowRejected, "repeats line 6");
    has(9, IssueKind::RowRejected, "unknown type `PM1`");
    has(10, IssueKind::RowRejected, "hour `25`");
    assert_eq!(s.issues_total, 6, "{issues:#?}");
    let all = f.all();
    assert_eq!(
        value(&all, "1001A", Parameter::Co, utc(2018, 12, 31, 16)),
        Some(1.2)
    );
    assert_eq!(
        value(&all, "1001A", Parameter::Pm25, utc(2018, 12, 31, 17)),
        Some(60.0)
    );
    assert_eq!(
        value(&all, "1002A", Parameter::So2, utc(2018, 12, 31, 17)),
        Some(4.0)
    );
    // The published statistics (AQI, *_24h) are not imported.
    assert_eq!(all.len(), 6, "{all:?}");
}

#[test]
fn unknown_codes_without_a_list_and_bad_lists() {
    let mut f = Fixture::new();
    let data = f.file(
        "long.csv",
        "time_local,station_code,pm2_5\n2019-01-01 01:00,1001A,5\n",
    );
    let s = f
        .import(
            Format::Cnemc,
            std::slice::from_ref(&data),
            &ImportOptions::default(),
        )
        .expect("import");
    assert_eq!(s.rows_rejected, 1);
    assert!(s.issues[0].message.contains("--stations"), "{:?}", s.issues);
    let bad = f.file("bad.csv", "station_code,name,city,lon\n1001A,a,北京,500\n");
    let options = ImportOptions {
        stations: Some(bad),
        ..ImportOptions::default()
    };
    match f.import(Format::Cnemc, std::slice::from_ref(&data), &options) {
        Err(ImportError::StationList {
            line: 2, reason, ..
        }) => {
            assert!(reason.contains("lon 500"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    let twice = f.file(
        "twice.csv",
        "station_code,name,city\n1001A,a,北京\n1001A,b,北京\n",
    );
    let options = ImportOptions {
        stations: Some(twice),
        ..ImportOptions::default()
    };
    assert!(matches!(
        f.import(Format::Cnemc, std::slice::from_ref(&data), &options),
        Err(ImportError::StationList { line: 3, .. })
    ));
}
