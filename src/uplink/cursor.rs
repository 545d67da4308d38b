//! The durable cursor of a target: for each station, how far the platform has acknowledged.
//!
//! One small JSON file per target, `<name>.cursor` in the uplink folder (`uplink/` inside
//! the spool folder: the machine's durable state for its store), rewritten whole after every
//! acknowledgement — written to `<name>.cursor.tmp`, synced, renamed over the old one, and
//! the folder synced — so that after a `kill -9` or a power cut it is the old or the new
//! version, never a mix. It is written only once the 9014 of everything it covers has
//! arrived: a restart re-sends at most the one packet that was waiting for its
//! acknowledgement, and skips nothing.
//!
//! The file names the store it counts in ([`StoreUrl::same_store`]): a cursor of another
//! store is refused rather than used to skip or repeat data. A lock file (`<name>.lock`,
//! held while a process sends) keeps two processes from sending one target.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::UplinkError;
use super::stream::Stream;
use crate::store::StoreUrl;

/// The position of one packet in a station's sequence: packets are sent by the end of their
/// interval, then stream (2011, 2051, 2061, 2031), then part (a long CP is cut into parts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Key {
    /// The end of the packet's interval (a sample's time).
    pub(crate) ends: DateTime<Utc>,
    /// Its stream.
    pub(crate) stream: Stream,
    /// Its part, from 0.
    pub(crate) part: u16,
}

/// How far a station's sequence is done: every packet up to here has been acknowledged (or
/// there was none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Mark {
    /// Every interval that ends before this is done.
    pub(crate) through: DateTime<Utc>,
    /// Of the packets that end at `through`: the last one done (`None`: all of them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) last: Option<Done>,
}

/// The last packet done at a [`Mark`]'s time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Done {
    /// Its stream, as its CN.
    pub(crate) cn: Stream,
    /// Its part.
    pub(crate) part: u16,
}

impl Mark {
    /// Everything ending at or before `t` is done.
    pub(crate) fn through(t: DateTime<Utc>) -> Mark {
        Mark {
            through: t,
            last: None,
        }
    }

    /// The mark after the packet `key` was acknowledged.
    pub(crate) fn after(key: Key) -> Mark {
        Mark {
            through: key.ends,
            last: Some(Done {
                cn: key.stream,
                part: key.part,
            }),
        }
    }

    /// Whether `key` is still to be sent.
    pub(crate) fn is_pending(&self, key: &Key) -> bool {
        key.ends > self.through
            || (key.ends == self.through
                && self
                    .last
                    .is_some_and(|d| (key.stream, key.part) > (d.cn, d.part)))
    }
}

/// The cursor file's content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CursorFile {
    /// Format version (1).
    format: u32,
    /// The target.
    target: String,
    /// The store the positions are in.
    store: String,
    /// When the target first started (the start of `start = "now"`).
    created: DateTime<Utc>,
    /// Each station's mark.
    stations: BTreeMap<String, Mark>,
}

const FORMAT: u32 = 1;

/// A target's cursor, loaded (or created) and kept on disk.
#[derive(Debug)]
pub(crate) struct Cursor {
    path: PathBuf,
    file: CursorFile,
    /// Held for the cursor's lifetime (released when the process ends, however it ends).
    _lock: File,
}

impl Cursor {
    /// Opens the cursor of `target` in `dir` for `store`, creating it (with `created = now`)
    /// when there is none. Takes the target's lock first.
    pub(crate) fn open(
        dir: &Path,
        target: &str,
        store: &StoreUrl,
        now: DateTime<Utc>,
    ) -> Result<Cursor, UplinkError> {
        fs::create_dir_all(dir).map_err(UplinkError::io(dir))?;
        let lock_path = dir.join(format!("{target}.lock"));
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(UplinkError::io(&lock_path))?;
        lock.try_lock().map_err(|e| match e {
            fs::TryLockError::WouldBlock => UplinkError::Busy {
                target: target.to_string(),
                lock: lock_path.clone(),
            },
            fs::TryLockError::Error(e) => UplinkError::io(&lock_path)(e),
        })?;
        let path = dir.join(format!("{target}.cursor"));
        let bound = absolute(store);
        let file = match fs::read_to_string(&path) {
            Ok(text) => {
                let file: CursorFile =
                    serde_json::from_str(&text).map_err(|e| UplinkError::BadCursor {
                        path: path.clone(),
                        reason: e.to_string(),
                    })?;
                if file.format != FORMAT || file.target != target {
                    return Err(UplinkError::BadCursor {
                        path,
                        reason: format!(
                            "format {} of target `{}`, expected format {FORMAT} of `{target}`",
                            file.format, file.target
                        ),
                    });
                }
                let same = file
                    .store
                    .parse::<StoreUrl>()
                    .is_ok_and(|s| s.same_store(store));
                if !same {
                    return Err(UplinkError::OtherStore {
                        path,
                        store: file.store,
                        wanted: bound,
                    });
                }
                file
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => CursorFile {
                format: FORMAT,
                target: target.to_string(),
                store: bound,
                created: now,
                stations: BTreeMap::new(),
            },
            Err(e) => return Err(UplinkError::io(&path)(e)),
        };
        let cursor = Cursor {
            path,
            file,
            _lock: lock,
        };
        // A new target's `created` must survive a restart (it is where `start = "now"` is).
        cursor.save()?;
        Ok(cursor)
    }

    /// When the target first started.
    pub(crate) fn created(&self) -> DateTime<Utc> {
        self.file.created
    }

    /// The mark of `station` (`None` before its first packet).
    pub(crate) fn mark(&self, station: &str) -> Option<Mark> {
        self.file.stations.get(station).copied()
    }

    /// Sets the mark of `station` in memory (saved with the next [`Cursor::save`]).
    pub(crate) fn set(&mut self, station: &str, mark: Mark) {
        match self.file.stations.get_mut(station) {
            Some(m) => *m = mark,
            None => {
                self.file.stations.insert(station.to_string(), mark);
            }
        }
    }

    /// Writes the cursor durably: a temporary file, synced, renamed over the cursor, the
    /// folder synced.
    pub(crate) fn save(&self) -> Result<(), UplinkError> {
        let tmp = self.path.with_extension("cursor.tmp");
        let text = serde_json::to_string_pretty(&self.file).expect("a cursor serializes");
        let write = || -> std::io::Result<()> {
            let mut f = File::create(&tmp)?;
            f.write_all(text.as_bytes())?;
            f.write_all(b"\n")?;
            f.sync_all()?;
            fs::rename(&tmp, &self.path)?;
            if let Some(dir) = self.path.parent() {
                File::open(dir)?.sync_all()?;
            }
            Ok(())
        };
        write().map_err(UplinkError::io(&self.path))
    }

    /// The cursor file.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

/// The marks of a target's cursor file as they are on disk, without taking its lock (for
/// `lantian uplink status`); `None` when the target never started.
pub(crate) fn read_marks(
    dir: &Path,
    target: &str,
) -> Result<Option<BTreeMap<String, Mark>>, UplinkError> {
    let path = dir.join(format!("{target}.cursor"));
    match fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str::<CursorFile>(&text)
            .map(|f| Some(f.stations))
            .map_err(|e| UplinkError::BadCursor {
                path,
                reason: e.to_string(),
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(UplinkError::io(&path)(e)),
    }
}

/// The store as the cursor names it: a SQLite file by its absolute path.
fn absolute(store: &StoreUrl) -> String {
    match store {
        StoreUrl::Sqlite(path) => {
            StoreUrl::Sqlite(std::path::absolute(path).unwrap_or_else(|_| path.clone()))
        }
        #[cfg(feature = "influxdb")]
        other => other.clone(),
    }
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    fn t(minutes: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_772_323_200, 0).unwrap() + TimeDelta::minutes(minutes)
    }

    #[test]
    fn pending_follows_the_packet_order() {
        let key = |m, stream, part| Key {
            ends: t(m),
            stream,
            part,
        };
        let mark = Mark::after(key(60, Stream::Minute, 0));
        assert!(!mark.is_pending(&key(59, Stream::Day, 9)));
        assert!(!mark.is_pending(&key(60, Stream::Minute, 0)));
        assert!(!mark.is_pending(&key(60, Stream::RealTime, 3)));
        assert!(mark.is_pending(&key(60, Stream::Minute, 1)));
        assert!(mark.is_pending(&key(60, Stream::Hour, 0)));
        assert!(mark.is_pending(&key(61, Stream::RealTime, 0)));
        let all = Mark::through(t(60));
        assert!(!all.is_pending(&key(60, Stream::Day, 5)));
        assert!(all.is_pending(&key(61, Stream::Minute, 0)));
    }

    #[test]
    fn survives_reopening_and_refuses_another_store() {
        let dir = tempfile::tempdir().unwrap();
        let store = StoreUrl::Sqlite(dir.path().join("a.db"));
        let mut cursor = Cursor::open(dir.path(), "prov", &store, t(0)).unwrap();
        // The lock keeps a second sender out.
        let busy = Cursor::open(dir.path(), "prov", &store, t(5)).unwrap_err();
        assert!(matches!(busy, UplinkError::Busy { .. }), "{busy}");
        cursor.set(
            "S1",
            Mark::after(Key {
                ends: t(61),
                stream: Stream::Hour,
                part: 0,
            }),
        );
        cursor.save().unwrap();
        drop(cursor);
        let again = Cursor::open(dir.path(), "prov", &store, t(99)).unwrap();
        assert_eq!(again.created(), t(0));
        assert_eq!(
            again.mark("S1"),
            Some(Mark {
                through: t(61),
                last: Some(Done {
                    cn: Stream::Hour,
                    part: 0
                })
            })
        );
        assert_eq!(again.mark("S2"), None);
        drop(again);
        let other = StoreUrl::Sqlite(dir.path().join("b.db"));
        let err = Cursor::open(dir.path(), "prov", &other, t(0)).unwrap_err();
        assert!(matches!(err, UplinkError::OtherStore { .. }), "{err}");
        assert!(
            read_marks(dir.path(), "prov")
                .unwrap()
                .unwrap()
                .contains_key("S1")
        );
        assert!(read_marks(dir.path(), "none").unwrap().is_none());
    }

    #[test]
    fn a_damaged_cursor_is_an_error_not_a_fresh_start() {
        let dir = tempfile::tempdir().unwrap();
        let store = StoreUrl::Sqlite(dir.path().join("a.db"));
        fs::write(dir.path().join("prov.cursor"), "{\"format\":1,").unwrap();
        let err = Cursor::open(dir.path(), "prov", &store, t(0)).unwrap_err();
        assert!(err.to_string().contains("prov.cursor"), "{err}");
    }
}
