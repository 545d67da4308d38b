//! The embedded SQLite store.

use std::path::Path;

use super::{DeviceHealth, Query, Record, Resolution, Store, StoreError};

/// A store in one SQLite file (WAL mode).
pub struct SqliteStore {}

impl SqliteStore {
    /// Opens (creating if needed) the store at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteStore, StoreError> {
        let _ = path;
        unimplemented!("helper B")
    }
}

impl Store for SqliteStore {
    fn write(&mut self, _: &[Record]) -> Result<usize, StoreError> {
        unimplemented!("helper B")
    }
    fn read(&self, _: &Query) -> Result<Vec<Record>, StoreError> {
        unimplemented!("helper B")
    }
    fn latest(&self, _: Resolution, _: Option<&str>) -> Result<Vec<Record>, StoreError> {
        unimplemented!("helper B")
    }
    fn count(&self, _: Resolution) -> Result<u64, StoreError> {
        unimplemented!("helper B")
    }
    fn put_health(&mut self, _: &[DeviceHealth]) -> Result<(), StoreError> {
        unimplemented!("helper B")
    }
    fn health(&self) -> Result<Vec<DeviceHealth>, StoreError> {
        unimplemented!("helper B")
    }
}
