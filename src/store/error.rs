//! What a store says when something fails: which store, doing what, and what kind of
//! failure — in the store's own words, with the backend's error kept as the
//! [`source`](std::error::Error::source) for the chain.

use std::fmt;

/// The kinds of data a store keeps (one trait each, see [`crate::store`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataKind {
    /// Samples and aggregates ([`crate::store::Record`]).
    Readings,
    /// Device health ([`crate::store::DeviceHealth`]).
    Health,
    /// Station metadata ([`crate::store::StationInfo`]).
    Stations,
    /// Computed indices ([`crate::store::IndexRecord`]).
    Indices,
    /// Runs of scheduled jobs ([`crate::store::JobRun`]).
    JobRuns,
    /// Source flags ([`crate::store::SourceFlag`]).
    SourceFlags,
    /// Issued forecasts ([`crate::store::ForecastHour`], [`crate::store::ForecastDay`]).
    Forecasts,
    /// Alarms and their audit logs ([`crate::store::Alarm`], [`crate::store::AlarmAction`]).
    Alarms,
}

impl DataKind {
    /// The kind in words (`job runs`).
    pub const fn name(self) -> &'static str {
        match self {
            DataKind::Readings => "readings",
            DataKind::Health => "device health",
            DataKind::Stations => "stations",
            DataKind::Indices => "indices",
            DataKind::JobRuns => "job runs",
            DataKind::SourceFlags => "source flags",
            DataKind::Forecasts => "forecasts",
            DataKind::Alarms => "alarms",
        }
    }
}

/// What the store was asked to do when it failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// Opening it (URL, file, schema, credentials).
    Open,
    /// Writing data of a kind.
    Put(DataKind),
    /// Reading data of a kind.
    Read(DataKind),
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Operation::Open => f.write_str("opening"),
            Operation::Put(kind) => write!(f, "writing {}", kind.name()),
            Operation::Read(kind) => write!(f, "reading {}", kind.name()),
        }
    }
}

/// The kind of failure, which tells the caller what to do about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The store URL cannot be understood.
    InvalidUrl,
    /// The store could not be reached or was busy (connection refused, timeout, a lock held
    /// too long, an overloaded or misconfigured server): the same call may succeed later.
    Unavailable,
    /// The store refused this data for good (a value it cannot represent, a malformed or
    /// conflicting point): writing it again fails again.
    Rejected,
    /// The store cannot be used as it is: a missing directory, a foreign or newer schema,
    /// credentials that cannot be read.
    Unusable,
    /// Stored data cannot be read back (a corrupt or foreign database, an unexpected answer).
    Corrupt,
    /// The data changed since the caller read it (another writer got there first, e.g. an
    /// alarm acknowledged while the rules updated it): read it again, and decide again.
    Conflict,
}

/// Boxed backend error kept as the source.
type Source = Box<dyn std::error::Error + Send + Sync + 'static>;

/// An error of a store: which store ([`StoreError::store`], a display name such as
/// `SQLite store data/lantian.db`), which operation, which [`ErrorKind`], and a message.
///
/// The message is complete on its own (the backend's words included), so that a run log or
/// a status line that keeps only `to_string()` still says why; the backend's error is also
/// the [`source`](std::error::Error::source).
#[derive(Debug)]
pub struct StoreError {
    store: String,
    operation: Operation,
    kind: ErrorKind,
    message: String,
    source: Option<Source>,
}

impl StoreError {
    /// An error of `store` (its display name) during `operation`.
    pub fn new(
        store: impl Into<String>,
        operation: Operation,
        kind: ErrorKind,
        message: impl Into<String>,
    ) -> StoreError {
        StoreError {
            store: store.into(),
            operation,
            kind,
            message: message.into(),
            source: None,
        }
    }

    /// The same error with `source` as its cause.
    pub fn with_source(
        mut self,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> StoreError {
        self.source = Some(Box::new(source));
        self
    }

    /// The store's display name.
    pub fn store(&self) -> &str {
        &self.store
    }

    /// What the store was doing.
    pub fn operation(&self) -> Operation {
        self.operation
    }

    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The store refused this data for good ([`ErrorKind::Rejected`]): writing it again
    /// would fail again. Other errors — unreachable, locked, overloaded, misconfigured — may
    /// pass once the cause is fixed. The forwarder quarantines rejected records and retries
    /// everything else.
    pub fn is_rejection(&self) -> bool {
        self.kind == ErrorKind::Rejected
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: ", self.store, self.operation)?;
        match self.kind {
            ErrorKind::InvalidUrl => write!(f, "invalid store URL: {}", self.message),
            ErrorKind::Rejected => write!(f, "cannot store {}", self.message),
            ErrorKind::Unusable => write!(f, "cannot be used: {}", self.message),
            ErrorKind::Corrupt => write!(f, "unreadable data: {}", self.message),
            ErrorKind::Conflict => write!(f, "conflict: {}", self.message),
            ErrorKind::Unavailable => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_store_operation_and_kind() {
        let io = std::io::Error::other("connection refused");
        let e = StoreError::new(
            "InfluxDB store http://127.0.0.1:8086 (lantian)",
            Operation::Put(DataKind::Readings),
            ErrorKind::Unavailable,
            "connection refused",
        )
        .with_source(io);
        assert_eq!(
            e.to_string(),
            "InfluxDB store http://127.0.0.1:8086 (lantian): writing readings: connection refused"
        );
        assert!(!e.is_rejection());
        assert_eq!(
            std::error::Error::source(&e).unwrap().to_string(),
            "connection refused"
        );
        let e = StoreError::new(
            "SQLite store x.db",
            Operation::Put(DataKind::Indices),
            ErrorKind::Rejected,
            "NaN pm25 concentration",
        );
        assert!(e.is_rejection());
        assert_eq!(
            e.to_string(),
            "SQLite store x.db: writing indices: cannot store NaN pm25 concentration"
        );
        let e = StoreError::new(
            "SQLite store x.db",
            Operation::Read(DataKind::JobRuns),
            ErrorKind::Corrupt,
            "bad",
        );
        assert_eq!(
            e.to_string(),
            "SQLite store x.db: reading job runs: unreadable data: bad"
        );
        assert_eq!(e.operation(), Operation::Read(DataKind::JobRuns));
        assert_eq!(e.store(), "SQLite store x.db");
    }
}
