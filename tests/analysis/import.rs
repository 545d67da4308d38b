//! `lantian::import` and `lantian import`: PRSA, openair and wide CSV files into SQLite.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{DateTime, TimeZone, Utc};
use lantian::import::{self, Format, ImportError, ImportOptions, IssueKind, NoProgress, Summary};
use lantian::quality::Flag;
use lantian::store::sqlite::SqliteStore;
use lantian::store::{Query, Record, Resolution, Store};
use lantian::units::Parameter;

const BEIJING: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/data/beijing_multisite"
);

struct Fixture {
    dir: tempfile::TempDir,
    store: SqliteStore,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(dir.path().join("store.db")).expect("open store");
        Fixture { dir, store }
    }

    fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).expect("write input");
        path
    }

    fn import(
        &mut self,
        format: Format,
        files: &[PathBuf],
        options: &ImportOptions,
    ) -> Result<Summary, ImportError> {
        import::import(&mut self.store, format, files, options, &NoProgress)
    }

    fn all(&self) -> Vec<Record> {
        self.store
            .read(&Query {
                stations: vec![],
                parameters: vec![],
                resolution: Resolution::Hour,
                from: Utc.with_ymd_and_hms(1990, 1, 1, 0, 0, 0).unwrap(),
                to: Utc.with_ymd_and_hms(2100, 1, 1, 0, 0, 0).unwrap(),
            })
            .expect("read")
    }
}

fn utc(y: i32, mo: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, 0, 0).unwrap()
}

fn value(records: &[Record], station: &str, p: Parameter, t: DateTime<Utc>) -> Option<f64> {
    records
        .iter()
        .find(|r| &*r.station == station && r.parameter == p && r.time == t)
        .map(|r| r.value)
}

const PRSA_HEADER: &str =
    "No,year,month,day,hour,PM2.5,PM10,SO2,NO2,CO,O3,TEMP,PRES,DEWP,RAIN,wd,WSPM,station\n";

#[test]
fn prsa_excerpt() {
    let mut f = Fixture::new();
    let text = format!(
        "{PRSA_HEADER}\
         1,2013,3,1,0,4,4,4,7,300,77,-0.7,1023,-18.8,0,NNW,4.4,Aotizhongxin\n\
         2,2013,3,1,1,8,NA,4,7,1300,77,-1.1,1023.2,-18.2,0,N,4.7,Aotizhongxin\n\
         3,2013,3,1,2,NA,NA,NA,NA,NA,NA,NA,NA,NA,NA,NA,NA,Aotizhongxin\n\
         4,2013,3,1,3,6,6,11,11,300,72,-1.4,1024.5,-19.4,0.3,ESE,3.1,Aotizhongxin\n\
         5,2013,3,1,4,6,6,11,11,300,72,-1.4,1024.5,-19.4,0,WSW,3.1,Dongsi\n"
    );
    let path = f.file("PRSA_Data_excerpt.csv", &text);
    let s = f
        .import(Format::Prsa, &[path], &ImportOptions::default())
        .expect("import");
    assert_eq!(s.rows_read, 5);
    assert_eq!(s.rows_rejected, 0);
    assert!(s.issues.is_empty(), "{:?}", s.issues);
    // Row 1: 12 values; row 2: 11 (PM10 NA); row 3: none; rows 4, 5: 12 each.
    assert_eq!(s.records_written(), 12 + 11 + 12 + 12);
    assert_eq!(s.records[&Parameter::Pm10], 3);
    assert_eq!(s.stations_created, ["BJ-Aotizhongxin", "BJ-Dongsi"]);

    let all = f.all();
    assert_eq!(all.len(), 47);
    assert!(
        all.iter()
            .all(|r| r.flag == Flag::Normal && r.count == 1 && r.resolution == Resolution::Hour)
    );
    let a = "BJ-Aotizhongxin";
    // 2013-03-01 00:00 Beijing (hour-ending) = 2013-02-28 16:00 UTC.
    let t0 = utc(2013, 2, 28, 16);
    assert_eq!(value(&all, a, Parameter::Pm25, t0), Some(4.0));
    assert_eq!(
        value(&all, a, Parameter::Co, t0),
        Some(0.3),
        "CO µg/m³ ÷ 1000"
    );
    assert_eq!(
        value(&all, a, Parameter::Co, utc(2013, 2, 28, 17)),
        Some(1.3)
    );
    assert_eq!(value(&all, a, Parameter::WindDirection, t0), Some(337.5));
    assert_eq!(
        value(&all, a, Parameter::WindDirection, utc(2013, 2, 28, 17)),
        Some(0.0)
    );
    assert_eq!(
        value(&all, a, Parameter::WindDirection, utc(2013, 2, 28, 19)),
        Some(112.5),
        "ESE"
    );
    assert_eq!(value(&all, a, Parameter::Temperature, t0), Some(-0.7));
    assert_eq!(value(&all, a, Parameter::Pressure, t0), Some(1023.0));
    assert_eq!(value(&all, a, Parameter::DewPoint, t0), Some(-18.8));
    assert_eq!(value(&all, a, Parameter::WindSpeed, t0), Some(4.4));
    assert_eq!(
        value(&all, a, Parameter::Rain, utc(2013, 2, 28, 19)),
        Some(0.3)
    );
    assert_eq!(
        value(&all, a, Parameter::Pm10, utc(2013, 2, 28, 17)),
        None,
        "NA"
    );
    assert!(
        all.iter().all(|r| r.time != utc(2013, 2, 28, 18)),
        "an all-NA row writes nothing"
    );
    assert_eq!(
        value(
            &all,
            "BJ-Dongsi",
            Parameter::WindDirection,
            utc(2013, 2, 28, 20)
        ),
        Some(247.5),
        "WSW"
    );

    let stations = f.store.stations().expect("stations");
    assert_eq!(stations.len(), 2);
    let aoti = &stations[0];
    assert_eq!(
        (
            aoti.id.as_str(),
            aoti.name.as_str(),
            aoti.name_en.as_str(),
            aoti.district.as_str()
        ),
        ("BJ-Aotizhongxin", "奥体中心", "Aotizhongxin", "朝阳区")
    );
    assert_eq!(aoti.time_zone, chrono_tz::Asia::Shanghai);
    let (lat, lon) = (aoti.lat.unwrap(), aoti.lon.unwrap());
    assert!((39.9..40.1).contains(&lat) && (116.3..116.5).contains(&lon));
    assert_eq!(stations[1].name, "东四");
    assert_eq!(stations[1].district, "东城区");

    // Importing again changes nothing (idempotent store, stations already known).
    let path = f.dir.path().join("PRSA_Data_excerpt.csv");
    let again = f
        .import(Format::Prsa, &[path], &ImportOptions::default())
        .expect("again");
    assert!(again.stations_created.is_empty());
    assert_eq!(f.all(), all);
}

#[test]
fn prsa_bad_values_and_rows() {
    let mut f = Fixture::new();
    let text = format!(
        "{PRSA_HEADER}\
         1,2013,3,1,0,-4,4,4,7,300,77,-0.7,1023,-18.8,0,NNW,4.4,Wanliu\n\
         2,2013,2,30,1,8,8,4,7,300,77,-1.1,1023.2,-18.2,0,N,4.7,Wanliu\n\
         3,2013,3,1,2,7,x7,5,10,300,73,-1.1,1023.5,-18.2,0,NXW,5.6,Wanliu\n\
         4,2013,3,1,3,6,6\n\
         5,2013,3,1,3,6,6,11,11,300,72,-1.4,1024.5,-19.4,0,NW,3.1,Wanliu\n"
    );
    let path = f.file("bad.csv", &text);
    let s = f
        .import(
            Format::Prsa,
            std::slice::from_ref(&path),
            &ImportOptions::default(),
        )
        .expect("import");
    assert_eq!((s.rows_read, s.rows_rejected, s.values_rejected), (5, 2, 3));
    let messages: Vec<String> = s.issues.iter().map(|i| i.to_string()).collect();
    let expect = [
        (2, "PM2.5", "negative concentration"),
        (3, "2013-2-30", "no such date"),
        (4, "x7", "PM10"),
        (4, "NXW", "compass"),
        (5, "fields", "row skipped"),
    ];
    assert_eq!(messages.len(), expect.len(), "{messages:#?}");
    for (m, (line, a, b)) in messages.iter().zip(expect) {
        assert!(
            m.starts_with(&format!("{}:{line}: ", path.display())),
            "{m}"
        );
        assert!(m.contains(a) && m.contains(b), "{m}");
        assert!(
            m.matches("column `").count() <= 1,
            "the column is named once: {m}"
        );
    }
    assert_eq!(f.all().len(), 11 + 10 + 12);
}

#[test]
fn openair_ppb_at_20_degrees() {
    let mut f = Fixture::new();
    let path = f.file(
        "mydata.csv",
        "date,ws,wd,nox,no2,o3,pm10,so2,co,pm25\n\
         1998-01-01 00:00:00,0.6,280,285,39,1,29,4.7225,3.3725,NA\n\
         1998-01-01 01:00,2.16,230,NA,NA,NA,37,NA,NA,NA\n",
    );
    let s = f
        .import(
            Format::Openair,
            std::slice::from_ref(&path),
            &ImportOptions::default(),
        )
        .expect("import");
    assert!(s.issues.is_empty(), "{:?}", s.issues);
    assert_eq!(s.records_written(), 8 + 3);
    let all = f.all();
    // openair's 00:00 is the hour beginning: hour-ending label 01:00 UTC.
    let t = utc(1998, 1, 1, 1);
    // By hand: molar volume at 20 °C, 1013 hPa = 8.314462618 × 293.15 / 101300 = 24.06105 L/mol.
    // NO2 39 ppb × 46.0055 / 24.06105 = 74.5692 µg/m³; NOx (as NO2) 285 ppb = 544.929;
    // CO 3.3725 ppm × 28.010 / 24.06105 = 3.92600 mg/m³; SO2 4.7225 ppb = 12.5743 µg/m³.
    let close = |p: Parameter, want: f64| {
        let got = value(&all, "MY1", p, t).expect("value");
        assert!((got - want).abs() < 1e-3, "{p}: {got} vs {want}");
    };
    close(Parameter::No2, 74.5692);
    close(Parameter::Nox, 544.929);
    close(Parameter::Co, 3.92600);
    close(Parameter::So2, 12.5743);
    close(Parameter::O3, 1.99480);
    close(Parameter::Pm10, 29.0);
    close(Parameter::WindSpeed, 0.6);
    close(Parameter::WindDirection, 280.0);
    assert_eq!(value(&all, "MY1", Parameter::Pm25, t), None);
    assert_eq!(
        value(&all, "MY1", Parameter::Pm10, utc(1998, 1, 1, 2)),
        Some(37.0)
    );
    let stations = f.store.stations().expect("stations");
    assert_eq!(stations.len(), 1);
    assert_eq!(stations[0].time_zone, chrono_tz::Europe::London);
    assert_eq!(
        (stations[0].lat, stations[0].lon),
        (Some(51.5225), Some(-0.1546))
    );

    // At 25 °C / 1013 hPa instead (the option), under another id.
    let options = ImportOptions {
        reference_temperature_c: Some(25.0),
        station: Some("MY1-25C".to_string()),
        ..ImportOptions::default()
    };
    f.import(Format::Openair, &[path], &options)
        .expect("import");
    let no2 = value(&f.all(), "MY1-25C", Parameter::No2, t).expect("value");
    // 39 × 46.0055 / (8.314462618 × 298.15 / 101300) = 73.3187.
    assert!((no2 - 73.3187).abs() < 1e-3, "{no2}");
}

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

/// The 12 station files, sorted: the complete set in `../shared/data` when present, else the
/// three-month excerpt that ships with the tests.
fn beijing_files() -> Option<Vec<PathBuf>> {
    let excerpt = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/beijing_multisite_excerpt"
    );
    let dir = if Path::new(BEIJING).is_dir() {
        Path::new(BEIJING)
    } else {
        Path::new(excerpt)
    };
    let entries = std::fs::read_dir(dir).expect("Beijing data folder");
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.expect("dir entry").path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("PRSA_Data_") && n.ends_with(".csv"))
        })
        .collect();
    files.sort();
    assert_eq!(files.len(), 12, "{files:?}");
    Some(files)
}

#[test]
fn beijing_twelve_stations() {
    let Some(files) = beijing_files() else {
        return;
    };
    // The expected count for Dongsi, computed independently: non-`NA` cells of columns 5..=16.
    let dongsi = files
        .iter()
        .find(|p| p.to_string_lossy().contains("Dongsi"))
        .expect("Dongsi file");
    let text = std::fs::read_to_string(dongsi).expect("read");
    let mut expected: BTreeMap<&str, u64> = BTreeMap::new();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    for line in lines {
        for (i, cell) in line.split(',').enumerate().take(17).skip(5) {
            if cell != "NA" {
                *expected.entry(header[i]).or_default() += 1;
            }
        }
    }
    let expected_total: u64 = expected.values().sum();

    let mut f = Fixture::new();
    let s = f
        .import(Format::Prsa, &files, &ImportOptions::default())
        .expect("import");
    let rows: u64 = files
        .iter()
        .map(|f| std::fs::read_to_string(f).expect("read").lines().count() as u64 - 1)
        .sum();
    assert_eq!(s.rows_read, rows);
    assert_eq!(s.rows_rejected, 0);
    assert_eq!(s.issues_total, 0, "{:?}", s.issues.first());
    assert_eq!(s.stations_created.len(), 12);
    let stations = f.store.stations().expect("stations");
    assert!(
        stations
            .iter()
            .all(|s| s.lat.is_some() && !s.district.is_empty())
    );

    let q = Query {
        stations: vec!["BJ-Dongsi".into()],
        parameters: vec![],
        resolution: Resolution::Hour,
        from: utc(2013, 1, 1, 0),
        to: utc(2017, 1, 1, 0),
    };
    let records = f.store.read(&q).expect("read");
    assert_eq!(records.len() as u64, expected_total);
    assert_eq!(
        records
            .iter()
            .filter(|r| r.parameter == Parameter::Co)
            .count() as u64,
        expected["CO"]
    );
    assert_eq!(
        records
            .iter()
            .filter(|r| r.parameter == Parameter::WindDirection)
            .count() as u64,
        expected["wd"]
    );
    // First and last hours: 2013-03-01 00:00 (the excerpt: 2015-12-01 00:00) and 2016-02-29
    // 23:00 Beijing, hour-ending.
    let full = rows == 12 * 26_304;
    let first = if full {
        utc(2013, 2, 28, 16)
    } else {
        utc(2015, 11, 30, 16)
    };
    assert_eq!(records.iter().map(|r| r.time).min(), Some(first));
    assert_eq!(
        records.iter().map(|r| r.time).max(),
        Some(utc(2016, 2, 29, 15))
    );
}

#[test]
fn cli_import_then_query() {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("PRSA_Data_Tiantan_excerpt.csv");
    std::fs::write(
        &input,
        format!(
            "{PRSA_HEADER}\
             1,2013,3,1,0,6,18,5,NA,800,88,0.1,1021.1,-18.6,0,NW,4.4,Tiantan\n\
             2,2013,3,1,1,6,15,5,NA,bad,88,-0.3,1021.5,-19,0,NW,4,Tiantan\n"
        ),
    )
    .expect("write");
    let store = format!("sqlite:{}", dir.path().join("x.db").display());
    let registry = concat!(env!("CARGO_MANIFEST_DIR"), "/stations/dongguan.toml");
    let lantian = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_lantian"))
            .current_dir(dir.path())
            .args(["--store", &store, "--registry", registry])
            .args(args)
            .output()
            .expect("run lantian")
    };
    let out = lantian(&["import", "--format", "prsa", &input.to_string_lossy()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("rows read 2"), "{stdout}");
    assert!(stdout.contains("BJ-Tiantan"), "{stdout}");
    assert!(
        stderr.contains("PRSA_Data_Tiantan_excerpt.csv:3:") && stderr.contains("`bad`"),
        "{stderr}"
    );

    let out = lantian(&[
        "query",
        "--from",
        "2013-02-28T16:00:00Z",
        "--to",
        "2013-02-28T18:00:00Z",
        "--utc",
        "--format",
        "csv",
        "-p",
        "co",
        "-p",
        "wd",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<&str> = stdout.lines().skip(1).collect();
    assert_eq!(
        rows,
        [
            "2013-02-28 16:00:00,BJ-Tiantan,co,0.800,mg/m3,N,1",
            "2013-02-28 16:00:00,BJ-Tiantan,wd,315.000,deg,N,1",
            "2013-02-28 17:00:00,BJ-Tiantan,wd,315.000,deg,N,1",
        ]
    );

    // A structure error: non-zero exit, the column named, nothing written.
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "time,station,benzene\n2013-03-01 00:00,X,1\n").expect("write");
    let out = lantian(&["import", "--format", "csv", &bad.to_string_lossy()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("`benzene`"), "{stderr}");
}
