//! A SQLite store with known hourly data for the report tests (shared by `tests/report_*.rs`).
//!
//! Three stations on 2024-03-10 (Asia/Shanghai), every pollutant constant all day:
//!
//! | station | town | PM2.5 | PM10 | daily AQI | category | primary |
//! |---|---|---|---|---|---|---|
//! | A 甲站 | 东区 | 30 | 50 | 50 | 优 | — |
//! | B 乙站 | 东区 | 80 | 100 | 107 | 轻度污染 | PM2.5 |
//! | C 丙站 | 西区 | 60 | 80 | 82 | 良 | PM2.5 |
//!
//! SO2 10, NO2 20, CO 0.5, O3 60 everywhere (sub-indices below 50). Network (means of the
//! stations' daily values): PM2.5 56.67 → IAQI 78, PM10 76.67 → 64: AQI 78, 良, primary
//! PM2.5. Towns: 东区 (A, B) PM2.5 55 → 75; 西区 (C) 82. The same day of 2023 has PM2.5 100
//! at every station (AQI 132, not a good day).
#![allow(dead_code)]

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, TimeDelta, TimeZone, Utc};
use chrono_tz::Asia::Shanghai;
use lantian::compute::{IndexConfig, IndexStage};
use lantian::quality::Flag;
use lantian::store::sqlite::SqliteStore;
use lantian::store::{Record, Resolution, StationInfo, Store};
use lantian::units::Parameter;

pub fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 3, 10).unwrap()
}

pub fn last_year() -> NaiveDate {
    NaiveDate::from_ymd_opt(2023, 3, 10).unwrap()
}

pub fn station(
    id: &str,
    name: &str,
    name_en: &str,
    district: &str,
    lon: f64,
    lat: f64,
) -> StationInfo {
    StationInfo {
        id: id.into(),
        name: name.into(),
        name_en: name_en.into(),
        district: district.into(),
        lat: Some(lat),
        lon: Some(lon),
        time_zone: Shanghai,
    }
}

/// The hour-ending label `hour` (1..=24) of a local day, in UTC.
pub fn label(date: NaiveDate, hour: i64) -> DateTime<Utc> {
    Shanghai
        .from_local_datetime(&(date.and_time(Default::default()) + TimeDelta::hours(hour)))
        .unwrap()
        .to_utc()
}

pub fn hour(
    station: &str,
    date: NaiveDate,
    h: i64,
    p: Parameter,
    value: f64,
    flag: Flag,
) -> Record {
    Record {
        station: Arc::from(station),
        parameter: p,
        resolution: Resolution::Hour,
        time: label(date, h),
        value,
        flag,
        count: if flag == Flag::Normal { 60 } else { 0 },
    }
}

/// 24 valid hours of constant values.
pub fn constant_day(station: &str, date: NaiveDate, values: &[(Parameter, f64)]) -> Vec<Record> {
    let mut out = Vec::new();
    for h in 1..=24 {
        for &(p, v) in values {
            out.push(hour(station, date, h, p, v, Flag::Normal));
        }
    }
    out
}

pub fn pollutants(pm25: f64, pm10: f64) -> Vec<(Parameter, f64)> {
    vec![
        (Parameter::Pm25, pm25),
        (Parameter::Pm10, pm10),
        (Parameter::So2, 10.0),
        (Parameter::No2, 20.0),
        (Parameter::Co, 0.5),
        (Parameter::O3, 60.0),
    ]
}

/// Writes records and lets the index stage compute the indices, as the pipeline does.
pub fn write(store: &mut SqliteStore, records: &[Record]) {
    store.write(records).unwrap();
    IndexStage::new(IndexConfig::default())
        .update(store, records)
        .unwrap();
}

/// The three-station store described in the module docs.
pub fn store(dir: &std::path::Path) -> SqliteStore {
    let mut store = SqliteStore::open(dir.join("report.db")).unwrap();
    store
        .put_stations(&[
            station("A", "甲站", "Alpha", "东区", 113.70, 23.05),
            station("B", "乙站", "Bravo", "东区", 113.80, 23.02),
            station("C", "丙站", "Charlie", "西区", 113.60, 22.95),
        ])
        .unwrap();
    let mut records = Vec::new();
    records.extend(constant_day("A", day(), &pollutants(30.0, 50.0)));
    records.extend(constant_day("B", day(), &pollutants(80.0, 100.0)));
    records.extend(constant_day("C", day(), &pollutants(60.0, 80.0)));
    for s in ["A", "B", "C"] {
        records.extend(constant_day(
            s,
            last_year(),
            &pollutants(100.0, 76.0 + 2.0 / 3.0),
        ));
    }
    write(&mut store, &records);
    store
}

/// The text content of an HTML fragment (tags removed, entities of the writer decoded).
pub fn text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
}

/// The HTML of the `<section id="{id}">`.
pub fn section<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!("<section id=\"{id}\">"))
        .unwrap_or_else(|| panic!("no section {id}"));
    let end = html[start..].find("</section>").unwrap() + start;
    &html[start..end]
}

/// The rows of the first table in `html`, as cell texts.
pub fn table_rows(html: &str) -> Vec<Vec<String>> {
    let start = html.find("<tbody>").expect("a table");
    let end = html[start..].find("</tbody>").unwrap() + start;
    html[start..end]
        .split("<tr>")
        .skip(1)
        .map(|row| {
            row.split("<td")
                .skip(1)
                .map(|cell| {
                    let body = &cell[cell.find('>').unwrap() + 1..];
                    let body = &body[..body.find("</td>").unwrap()];
                    text(body).trim().to_string()
                })
                .collect()
        })
        .collect()
}

/// Checks that a PNG file decodes and has a plausible size.
pub fn assert_png(path: &std::path::Path) {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let decoder = png::Decoder::new(std::io::BufReader::new(file));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert!(
        info.width >= 400 && info.height >= 150,
        "{}: {}×{}",
        path.display(),
        info.width,
        info.height
    );
    // Not blank: more than one colour.
    let first = &buf[..3];
    assert!(
        buf.chunks(3).any(|px| px != first),
        "{} is blank",
        path.display()
    );
}
