//! `lantian::import` and `lantian import`: PRSA, openair and wide CSV files into SQLite. One
//! format a file ([`prsa`], [`openair`], [`wide_csv`]), the complete Beijing data set
//! ([`beijing`]) and the command line ([`cli`]); the fixture they share is here.

use std::path::PathBuf;

use chrono::{DateTime, TimeZone, Utc};
use lantian::import::{self, Format, ImportError, ImportOptions, NoProgress, Summary};
use lantian::store::sqlite::SqliteStore;
use lantian::store::{ReadingQuery, ReadingStore, Record, Resolution};
use lantian::units::Parameter;

mod beijing;
mod cli;
mod cnemc;
mod openair;
mod prsa;
mod wide_csv;

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
            .readings(&ReadingQuery::new(
                Resolution::Hour,
                Utc.with_ymd_and_hms(1990, 1, 1, 0, 0, 0).unwrap(),
                Utc.with_ymd_and_hms(2100, 1, 1, 0, 0, 0).unwrap(),
            ))
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
