//! Any bytes as a file of one of the three importers (PRSA, openair, wide CSV; the first
//! byte chooses, and whether the AQI of the imported days is computed too) into a SQLite
//! store: a summary or an error, never a panic.
#![no_main]

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use lantian::import::{Format, ImportOptions, NoProgress, import};
use lantian::store::sqlite::SqliteStore;
use libfuzzer_sys::fuzz_target;

/// This process's folder, and its store (kept across inputs: opening one costs more than
/// most imports).
fn setup() -> &'static (PathBuf, Mutex<SqliteStore>) {
    static SETUP: OnceLock<(PathBuf, Mutex<SqliteStore>)> = OnceLock::new();
    SETUP.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("lantian-fuzz-import-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temporary folder");
        let store = SqliteStore::open(dir.join("store.db")).expect("a SQLite store");
        (dir, Mutex::new(store))
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&choice, text)) = data.split_first() else {
        return;
    };
    let format = [Format::Prsa, Format::Openair, Format::WideCsv][usize::from(choice % 3)];
    let options = ImportOptions {
        index: if choice & 0x80 == 0 {
            None
        } else {
            ImportOptions::default().index
        },
        ..ImportOptions::default()
    };
    let (dir, store) = setup();
    let file: &Path = &dir.join("input.csv");
    std::fs::write(file, text).unwrap();
    let mut store = store.lock().unwrap();
    let _ = import(
        &mut *store,
        format,
        &[file.to_path_buf()],
        &options,
        &NoProgress,
    );
});
