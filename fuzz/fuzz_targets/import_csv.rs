//! Any bytes as a file of one of the three importers (PRSA, openair, wide CSV; the first
//! byte chooses, and whether the AQI of the imported days is computed too) into a SQLite
//! store: a summary or an error, never a panic.
//!
//! The store is in memory (`:memory:`: the same schema and statements as a file, without the
//! disk). Creating its schema costs more than most imports, so one store takes
//! `INPUTS_PER_STORE` inputs and is then replaced by an empty one: imports also meet a store
//! that already holds readings, and the store does not grow over millions of executions. (A
//! crash that needs the earlier inputs' readings does not reproduce from its input alone;
//! none has been seen.) The file is written to a folder on tmpfs (`scratch`) and read by the
//! importer as any file.
#![no_main]

use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

use lantian::import::{Format, ImportOptions, NoProgress, import};
use lantian::store::sqlite::SqliteStore;
use libfuzzer_sys::fuzz_target;

mod scratch;

/// The input file of this process.
fn input_file() -> &'static PathBuf {
    static FILE: OnceLock<PathBuf> = OnceLock::new();
    FILE.get_or_init(|| scratch::folder("import").join("input.csv"))
}

/// Inputs imported into one store before it is replaced by an empty one.
const INPUTS_PER_STORE: u32 = 256;

/// This process's store and the inputs it has taken.
fn store() -> &'static Mutex<(SqliteStore, u32)> {
    static STORE: OnceLock<Mutex<(SqliteStore, u32)>> = OnceLock::new();
    STORE.get_or_init(|| Mutex::new((empty_store(), 0)))
}

fn empty_store() -> SqliteStore {
    SqliteStore::open(":memory:").expect("a SQLite store in memory")
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
    let file = input_file();
    std::fs::write(file, text).unwrap();
    let mut guard = store().lock().unwrap();
    let (store, inputs) = &mut *guard;
    if *inputs == INPUTS_PER_STORE {
        *store = empty_store();
        *inputs = 0;
    }
    *inputs += 1;
    let _ = import(
        store,
        format,
        std::slice::from_ref(file),
        &options,
        &NoProgress,
    );
});
