//! Wide CSV files: units in the header, station metadata columns, bad lines and values,
//! structure errors that import nothing, station conflicts, and duplicates across files.

use lantian::import::{Format, ImportError, ImportOptions, IssueKind};
use lantian::store::StationStore;
use lantian::units::Parameter;

use super::{Fixture, utc, value};

#[test]
fn wide_csv_units_metadata_and_bad_lines() {
    let mut f = Fixture::new();
    let path = f.file(
        "wide.csv",
        "time,station,name,district,lat,lon,pm25,so2[ppb],co[ug/m3],temp[K],ws[km/h]\n\
         2026-11-26 08:00,DG-X,新站,莞城街道,23.05,113.75,35,10,600,300,36\n\
         2026-11-26T01:00:00Z,DG-X,,,,,36,,,,\n\
         2026-11-26 10:00,DG-X,,,,,-1,abc,NA,,\n\
         2026-11-26 11:30,DG-X,,,,,40,,,,\n\
         yesterday,DG-X,,,,,40,,,,\n\
         2026-11-26 12:00,,,,,,40,,,,\n\
         2026-11-26 13:00,DG-Y,,,,,50,,,,\n\
         2026-11-26 13:00,DG-Y,,,,,51,2,,,\n\
         2026-11-26 24:00,DG-Y,,,23.1,,52,,,,\n",
    );
    let s = f
        .import(
            Format::WideCsv,
            std::slice::from_ref(&path),
            &ImportOptions::default(),
        )
        .expect("import");
    let issues: Vec<(u64, IssueKind, &str)> = s
        .issues
        .iter()
        .map(|i| (i.line, i.kind, i.message.as_str()))
        .collect();
    let expect: [(u64, IssueKind, &str); 6] = [
        (4, IssueKind::ValueRejected, "negative concentration"),
        (4, IssueKind::ValueRejected, "`abc`"),
        (5, IssueKind::RowRejected, "not on the hour"),
        (6, IssueKind::RowRejected, "cannot read time `yesterday`"),
        (7, IssueKind::RowRejected, "no station"),
        (9, IssueKind::Duplicate, "repeats line 8"),
    ];
    assert_eq!(issues.len(), expect.len(), "{issues:#?}");
    for (got, want) in issues.iter().zip(expect) {
        assert_eq!((got.0, got.1), (want.0, want.1), "{got:?}");
        assert!(got.2.contains(want.2), "{got:?} should say {}", want.2);
    }
    assert_eq!((s.rows_read, s.rows_rejected, s.rows_superseded), (9, 3, 1));
    let all = f.all();
    let t8 = utc(2026, 11, 26, 0); // 08:00 Shanghai
    assert_eq!(value(&all, "DG-X", Parameter::Pm25, t8), Some(35.0));
    let so2 = value(&all, "DG-X", Parameter::So2, t8).unwrap();
    assert!(
        (so2 - 10.0 * 64.066 / 24.4654).abs() < 1e-3,
        "so2 {so2} at 25 °C"
    );
    assert!((value(&all, "DG-X", Parameter::Co, t8).unwrap() - 0.6).abs() < 1e-12);
    assert!((value(&all, "DG-X", Parameter::Temperature, t8).unwrap() - 26.85).abs() < 1e-9);
    assert!((value(&all, "DG-X", Parameter::WindSpeed, t8).unwrap() - 10.0).abs() < 1e-9);
    assert_eq!(
        value(&all, "DG-X", Parameter::Pm25, utc(2026, 11, 26, 1)),
        Some(36.0),
        "RFC 3339"
    );
    // Line 4: PM2.5 negative and SO2 unreadable, nothing else: no records at 10:00.
    assert!(all.iter().all(|r| r.time != utc(2026, 11, 26, 2)));
    // Lines 8 and 9 repeat 13:00 at DG-Y: the later row wins as a whole.
    let t13 = utc(2026, 11, 26, 5);
    assert_eq!(value(&all, "DG-Y", Parameter::Pm25, t13), Some(51.0));
    assert!(value(&all, "DG-Y", Parameter::So2, t13).is_some());
    // 24:00 = midnight at the end of the day, 16:00 UTC.
    assert_eq!(
        value(&all, "DG-Y", Parameter::Pm25, utc(2026, 11, 26, 16)),
        Some(52.0)
    );

    let stations = f.store.stations().expect("stations");
    assert_eq!(stations.len(), 2);
    assert_eq!(
        (stations[0].name.as_str(), stations[0].district.as_str()),
        ("新站", "莞城街道")
    );
    assert_eq!(
        (stations[0].lat, stations[0].lon),
        (Some(23.05), Some(113.75))
    );
    assert_eq!(stations[0].name_en, "DG-X", "defaults to the id");
    assert_eq!((stations[1].lat, stations[1].lon), (Some(23.1), None));
    assert_eq!(stations[1].time_zone, chrono_tz::Asia::Shanghai);
}

#[test]
fn wide_csv_structure_errors_import_nothing() {
    let mut f = Fixture::new();
    let good = f.file("good.csv", "time,station,pm25\n2026-11-26 08:00,A,1\n");
    let cases = [
        ("time,station,pm25,benzene\n", "`benzene`"),
        ("time,station,so2[furlong]\n", "`so2[furlong]`"),
        ("time,station,pm25[ppb]\n", "`pm25[ppb]`"),
        ("time,station,pm25,PM25[ug/m3]\n", "both hold pm25"),
        ("station,pm25\n", "`time`"),
        ("time,pm25\n", "`station`"),
        ("", "empty"),
    ];
    for (i, (header, needle)) in cases.iter().enumerate() {
        let text = if header.is_empty() {
            String::new()
        } else {
            format!("{header}2026-11-26 08:00,A,1\n")
        };
        let bad = f.file(&format!("bad{i}.csv"), &text);
        let err = f
            .import(
                Format::WideCsv,
                &[good.clone(), bad.clone()],
                &ImportOptions::default(),
            )
            .expect_err("structure error");
        let msg = err.to_string();
        assert!(matches!(err, ImportError::Header { .. }), "{msg}");
        assert!(msg.contains(needle), "{msg} should name {needle}");
        assert!(msg.contains(&*bad.to_string_lossy()), "{msg}");
        assert!(msg.contains("nothing was imported"), "{msg}");
    }
    assert!(f.all().is_empty(), "not even the good file");
    assert!(f.store.stations().unwrap().is_empty());

    // Without a station column, --station gives it.
    let options = ImportOptions {
        station: Some("Z".to_string()),
        ..ImportOptions::default()
    };
    let nostation = f.file("nostation.csv", "time,pm25\n2026-11-26 08:00,3\n");
    f.import(Format::WideCsv, &[nostation], &options)
        .expect("--station");
    assert_eq!(&*f.all()[0].station, "Z");
}

#[test]
fn wide_csv_station_conflicts_name_the_line() {
    let mut f = Fixture::new();
    let first = f.file(
        "first.csv",
        "time,station,name,lat,lon,pm25\n2026-11-26 08:00,A,甲站,23.0,113.0,1\n",
    );
    f.import(Format::WideCsv, &[first], &ImportOptions::default())
        .expect("first");
    let before = f.all();
    for (text, line, needle) in [
        (
            "time,station,name,pm25\n2026-11-26 09:00,A,甲站,2\n2026-11-26 10:00,A,乙站,3\n",
            3,
            "name `乙站`",
        ),
        (
            "time,station,lat,pm25\n2026-11-26 09:00,A,23.5,2\n",
            2,
            "lat 23.5",
        ),
        (
            "time,station,district,pm25\n2026-11-26 09:00,B,东城,2\n2026-11-26 10:00,B,西城,3\n",
            3,
            "district `西城`",
        ),
    ] {
        let path = f.file("conflict.csv", text);
        let err = f
            .import(Format::WideCsv, &[path], &ImportOptions::default())
            .expect_err("conflict");
        let msg = err.to_string();
        assert!(
            matches!(err, ImportError::StationConflict { line: l, .. } if l == line),
            "{msg}"
        );
        assert!(msg.contains(needle), "{msg}");
        assert!(msg.contains(&format!("conflict.csv:{line}:")), "{msg}");
    }
    assert_eq!(f.all(), before, "nothing imported");
    // A known station's missing district is filled in; agreeing metadata is fine.
    let fill = f.file(
        "fill.csv",
        "time,station,name,district,lat,pm25\n2026-11-26 09:00,A,甲站,东城,23.0000001,2\n",
    );
    let s = f
        .import(Format::WideCsv, &[fill], &ImportOptions::default())
        .expect("fill");
    assert_eq!(s.stations_updated, ["A"]);
    assert_eq!(f.store.stations().unwrap()[0].district, "东城");
}

#[test]
fn duplicates_across_files_last_wins() {
    let mut f = Fixture::new();
    let a = f.file("a.csv", "time,station,pm25,pm10\n2026-11-26 08:00,A,1,10\n");
    let b = f.file("b.csv", "time,station,pm25\n2026-11-26 08:00,A,2\n");
    let s = f
        .import(Format::WideCsv, &[a, b.clone()], &ImportOptions::default())
        .expect("import");
    assert_eq!(s.rows_superseded, 1);
    assert_eq!(s.issues.len(), 1);
    assert_eq!(s.issues[0].file, b);
    assert!(s.issues[0].message.contains("a.csv"), "{}", s.issues[0]);
    let all = f.all();
    assert_eq!(all.len(), 1, "the earlier row's PM10 is not written");
    assert_eq!(all[0].value, 2.0);
}
