//! The uplink: lantian as a data logger towards provincial and national platforms — what
//! it stored, sent over HJ 212 to each `[[uplink]]` target, in time order, each packet
//! acknowledged (9014) before the next, with a durable cursor per target so that an outage
//! of the platform ends in an ordered backfill (补传).
//!
//! - [`config`]: the `[[uplink]]` tables (address, streams, stations with MN and PW
//!   sources, codes, timeouts, start point).
//! - [`stream`]: the four uploads ([`Stream`]: 2011, 2051, 2061, 2031) and the resolution
//!   each is made from; `daily` makes 2031 from the hourly means.
//! - `outbox` reads one station's window from the store in pages; `packet` turns it into
//!   packets through the codec ([`crate::hj212`]); `link` is the TCP connection.
//! - `cursor`: the per-station positions, on disk, written after each acknowledgement.
//! - `sender`: the task of one target (rounds, retries, back-off); [`status`]: its state
//!   for `lantian health`.
//!
//! What is sent is what the store holds when the interval is due ([`UplinkTarget::delay`]
//! after its end, and older than anything still in the spool). A record that reaches the
//! store after its interval was acknowledged (an import, a logger's late 补传 to a centre)
//! is not sent again: HJ 212 has no correction message, and a platform that received an
//! acknowledged packet for that interval does not expect a second one.

pub mod config;
mod cursor;
mod daily;
mod link;
mod outbox;
mod packet;
mod sender;
pub mod status;
pub mod stream;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

pub use config::{CredentialError, StationChoice, UplinkTarget};
pub use status::UplinkStatus;
pub use stream::Stream;

use crate::clock::Clock;
use crate::store::spool::Spool;
use crate::store::{StationInfo, Store, StoreUrl};
use sender::{Sender, Station};

/// Why the uplink cannot start or go on.
#[derive(Debug, thiserror::Error)]
pub enum UplinkError {
    /// A file of the uplink folder could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// Another process is sending this target.
    #[error(
        "uplink `{target}` is already being sent by another process (it holds {})",
        lock.display()
    )]
    Busy {
        /// The target.
        target: String,
        /// The lock file.
        lock: PathBuf,
    },
    /// The cursor file cannot be read: never guessed (that would skip or repeat data).
    #[error(
        "{}: unreadable cursor ({reason}); move it away to start the target afresh from its \
         `start`",
        path.display()
    )]
    BadCursor {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The state file cannot be read.
    #[error("{}: unreadable uplink state ({reason})", path.display())]
    BadState {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The cursor counts in another store.
    #[error(
        "{}: this cursor counts what was sent from {store}, not from {wanted}; move it away \
         to start the target afresh",
        path.display()
    )]
    OtherStore {
        /// The cursor file.
        path: PathBuf,
        /// Its store.
        store: String,
        /// The store configured now.
        wanted: String,
    },
    /// A station without MN or PW.
    #[error(transparent)]
    Credentials(#[from] CredentialError),
    /// A listed station the store does not know.
    #[error(
        "uplink `{target}`: station `{station}` is not in the store (its time zone is unknown)"
    )]
    UnknownStation {
        /// The target.
        target: String,
        /// The station.
        station: String,
    },
    /// Two targets with one name.
    #[error("two [[uplink]] targets are named `{0}`: names must differ (they name the files)")]
    DuplicateName(String),
    /// The store could not be read.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// The spool could not be inspected.
    #[error(transparent)]
    Spool(#[from] crate::store::spool::SpoolError),
    /// A packet could not be encoded (a code or value the codec refuses).
    #[error("cannot encode a packet: {0}")]
    Encode(String),
    /// A blocking read panicked or was cancelled.
    #[error("store read task failed: {0}")]
    Task(String),
}

impl UplinkError {
    /// Wraps an I/O error on `path`.
    pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> UplinkError + '_ {
        move |source| UplinkError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// The uplink folder of a spool folder: cursors, locks and state files of the targets.
pub fn uplink_dir(spool_dir: &Path) -> PathBuf {
    spool_dir.join("uplink")
}

/// Where the uplink learns the time of the oldest reading not yet in the store.
#[derive(Clone)]
pub enum Pending {
    /// Nothing is on its way to the store.
    Nothing,
    /// A spool folder another process (or this one) forwards from, inspected each round.
    SpoolDir(PathBuf),
    /// A live reading of this process' spool (`lantian run`).
    Live(Arc<dyn Fn() -> Option<DateTime<Utc>> + Send + Sync>),
}

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Pending::Nothing => f.write_str("Nothing"),
            Pending::SpoolDir(dir) => write!(f, "SpoolDir({})", dir.display()),
            Pending::Live(_) => f.write_str("Live"),
        }
    }
}

impl Pending {
    /// The time of the oldest reading not yet in the store.
    async fn oldest(&self) -> Result<Option<DateTime<Utc>>, UplinkError> {
        match self {
            Pending::Nothing => Ok(None),
            Pending::Live(read) => Ok(read()),
            Pending::SpoolDir(dir) => {
                let dir = dir.clone();
                tokio::task::spawn_blocking(move || Spool::inspect(&dir))
                    .await
                    .map_err(|e| UplinkError::Task(e.to_string()))?
                    .map(|i| i.oldest)
                    .map_err(Into::into)
            }
        }
    }
}

/// The running targets.
pub struct Uplinks {
    tasks: JoinSet<()>,
    stop: CancellationToken,
}

impl Uplinks {
    /// Starts a task per target on the current tokio runtime, after checking every target
    /// (MN and PW of each station, names, cursors and locks) so that nothing starts when one
    /// is wrong. The stations are those of the store and `registered`, the registry's, which
    /// the collectors register in the store before their first write (which may be after
    /// this start: `lantian run` starts while the store is down). `store` is the store to
    /// read (its own connection), `url` names it in the cursors, `dir` is the uplink folder
    /// ([`uplink_dir`]).
    pub fn start(
        targets: &[UplinkTarget],
        registered: &[StationInfo],
        store: Box<dyn Store>,
        url: &StoreUrl,
        dir: &Path,
        clock: Clock,
        pending: Pending,
    ) -> Result<Uplinks, UplinkError> {
        let mut known = store.stations()?;
        for station in registered {
            if !known.iter().any(|s| s.id == station.id) {
                known.push(station.clone());
            }
        }
        let ids: Vec<String> = known.iter().map(|s| s.id.clone()).collect();
        let store = Arc::new(Mutex::new(store));
        let mut senders = Vec::new();
        for (n, target) in targets.iter().enumerate() {
            if targets[..n].iter().any(|t| t.name == target.name) {
                return Err(UplinkError::DuplicateName(target.name.to_string()));
            }
            let mut stations = Vec::new();
            for credentials in target.credentials(&ids)? {
                let Some(tz) = known
                    .iter()
                    .find(|s| s.id == credentials.station)
                    .map(|s| s.time_zone)
                else {
                    return Err(UplinkError::UnknownStation {
                        target: target.name.to_string(),
                        station: credentials.station,
                    });
                };
                stations.push(Station {
                    id: credentials.station.as_str().into(),
                    credentials,
                    tz,
                });
            }
            if stations.is_empty() {
                tracing::warn!(
                    "uplink `{}`: no station to send (neither the registry nor the store has one)",
                    target.name
                );
            }
            let cursor = cursor::Cursor::open(dir, target.name.as_str(), url, clock.now())?;
            senders.push(Sender::new(
                target.clone(),
                stations,
                cursor,
                dir.to_path_buf(),
                store.clone(),
                clock.clone(),
                pending.clone(),
            ));
        }
        let stop = CancellationToken::new();
        let mut tasks = JoinSet::new();
        for sender in senders {
            tasks.spawn(sender.run(stop.clone()));
        }
        Ok(Uplinks { tasks, stop })
    }

    /// Stops every target (the packet in flight is sent again at the next start) and waits
    /// for their cursors to be written.
    pub async fn stop(mut self) {
        self.stop.cancel();
        while let Some(result) = self.tasks.join_next().await {
            if let Err(e) = result {
                tracing::error!("uplink task failed: {e}");
            }
        }
    }
}

/// What `lantian uplink status` shows of a target: its state file and cursor as on disk.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetReport {
    /// The live state (`None`: never ran here).
    pub status: Option<UplinkStatus>,
    /// Each station's position: every interval ending at or before it was acknowledged.
    pub positions: Vec<(String, DateTime<Utc>)>,
}

/// Reads the state and cursor of `target` in the uplink folder `dir`.
pub fn report(dir: &Path, target: &str) -> Result<TargetReport, UplinkError> {
    let positions = cursor::read_marks(dir, target)?
        .unwrap_or_default()
        .into_iter()
        .map(|(station, mark)| (station, mark.through))
        .collect();
    Ok(TargetReport {
        status: status::read(dir, target)?,
        positions,
    })
}
