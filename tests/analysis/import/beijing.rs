//! The Beijing multi-site data set: all twelve station files, checked against counts computed
//! independently from the files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use lantian::import::{Format, ImportOptions};
use lantian::store::{ReadingQuery, ReadingStore, Resolution, StationStore, Stations};
use lantian::units::Parameter;

use super::{Fixture, utc};

const BEIJING: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/data/beijing_multisite"
);

/// The 12 station files, sorted: the complete set in `../shared/data` when present, else the
/// three-month excerpt that ships with the tests.
fn beijing_files() -> Vec<PathBuf> {
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
    files
}

#[test]
fn beijing_twelve_stations() {
    let files = beijing_files();
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

    let q = ReadingQuery::new(Resolution::Hour, utc(2013, 1, 1, 0), utc(2017, 1, 1, 0))
        .for_stations(Stations::one("BJ-Dongsi"));
    let records = f.store.readings(&q).expect("read");
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
