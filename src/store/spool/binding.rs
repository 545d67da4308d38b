//! A spool belongs to one store: its `STORE` file names the store its pending records are
//! for, so that they are never replayed into another.

use std::path::Path;

use super::{Spool, SpoolError};
use crate::store::StoreUrl;

/// The file in a spool folder that names its store.
pub(super) const STORE_FILE: &str = "STORE";

impl Spool {
    /// Opens the spool in `dir` (see [`Spool::open`]) for the store `url`.
    ///
    /// When its `STORE` file names another store (a SQLite file by its absolute path, an
    /// InfluxDB server and database whatever the tuning parameters: [`StoreUrl::same_store`])
    /// and records are pending, they are refused with [`SpoolError::OtherStore`] rather than
    /// delivered to the wrong store. Otherwise the spool is (re)bound to `url`.
    pub fn open_for(
        dir: impl AsRef<Path>,
        max_bytes: u64,
        url: &StoreUrl,
    ) -> Result<Spool, SpoolError> {
        let dir = dir.as_ref();
        let spool = Spool::open(dir, max_bytes)?;
        let file = dir.join(STORE_FILE);
        let bound = match url {
            StoreUrl::Sqlite(path) => {
                StoreUrl::Sqlite(std::path::absolute(path).unwrap_or_else(|_| path.clone()))
            }
            #[cfg(feature = "influxdb")]
            other => other.clone(),
        }
        .to_string();
        let previous = match std::fs::read_to_string(&file) {
            Ok(text) => Some(text.trim().to_string()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(source) => return Err(SpoolError::Io { path: file, source }),
        };
        if let Some(previous) = &previous {
            let same = previous
                .parse::<StoreUrl>()
                .is_ok_and(|p| p.same_store(url));
            let records = spool.depth().records;
            if !same && records > 0 {
                return Err(SpoolError::OtherStore {
                    dir: dir.to_path_buf(),
                    records,
                    store: previous.clone(),
                    wanted: url.to_string(),
                });
            }
        }
        if previous.as_deref() != Some(bound.as_str()) {
            std::fs::write(&file, format!("{bound}\n"))
                .map_err(|source| SpoolError::Io { path: file, source })?;
        }
        Ok(spool)
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::quality::Flag;
    use crate::store::{Record, Resolution};
    use crate::units::Parameter;

    const MAX: u64 = 16 << 20;

    fn record() -> Record {
        Record {
            station: "A".into(),
            parameter: Parameter::Pm25,
            resolution: Resolution::Minute,
            time: Utc.with_ymd_and_hms(2025, 6, 1, 0, 1, 0).unwrap(),
            value: 12.0,
            flag: Flag::Normal,
            count: 1,
        }
    }

    #[test]
    fn pending_records_stay_with_their_store() {
        let dir = tempfile::tempdir().unwrap();
        let spool_dir = dir.path().join("spool");
        let a: StoreUrl = format!("sqlite:{}", dir.path().join("a.db").display())
            .parse()
            .unwrap();
        let b: StoreUrl = "influx+http://127.0.0.1:8086?db=b".parse().unwrap();
        let written = |dir: &Path| std::fs::read_to_string(dir.join(STORE_FILE)).unwrap();

        // A new spool is bound to its store; records wait in it.
        let mut spool = Spool::open_for(&spool_dir, MAX, &a).unwrap();
        assert_eq!(written(&spool_dir), format!("{a}\n"));
        spool.append(&[record()]).unwrap();
        drop(spool);

        // Another store is refused while they wait, naming the store they are for.
        let e = Spool::open_for(&spool_dir, MAX, &b).err().unwrap();
        assert!(
            matches!(&e, SpoolError::OtherStore { records: 1, store, .. } if *store == a.to_string()),
            "{e}"
        );
        assert!(e.to_string().contains(&format!("--store {a}")), "{e}");
        assert_eq!(written(&spool_dir), format!("{a}\n"));

        // The same store under another spelling is the same store.
        let again: StoreUrl = a.to_string().trim_start_matches("sqlite:").parse().unwrap();
        let mut spool = Spool::open_for(&spool_dir, MAX, &again).unwrap();
        let batch = spool.peek_oldest().unwrap().unwrap();
        spool.ack(batch.seq).unwrap();
        drop(spool);

        // Once delivered, the spool may change stores.
        Spool::open_for(&spool_dir, MAX, &b).unwrap();
        assert_eq!(written(&spool_dir), format!("{b}\n"));
    }

    #[test]
    fn relative_sqlite_paths_are_bound_absolute() {
        let dir = tempfile::tempdir().unwrap();
        let url: StoreUrl = "sqlite:some/x.db".parse().unwrap();
        Spool::open_for(dir.path(), MAX, &url).unwrap();
        let text = std::fs::read_to_string(dir.path().join(STORE_FILE)).unwrap();
        let bound: StoreUrl = text.trim().parse().unwrap();
        assert!(
            matches!(&bound, StoreUrl::Sqlite(p) if p.is_absolute()),
            "{text}"
        );
        assert!(bound.same_store(&url));
    }
}
