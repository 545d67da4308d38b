//! The InfluxDB store: line protocol over HTTP for writes, InfluxQL for reads.
//!
//! Works with InfluxDB 1.x (`/write?db=`), 2.x, 3.x and 1.8+ (`/api/v2/write` with a token;
//! reads through `/query`, which 2.x answers for a bucket through its DBRP mappings), and
//! with VictoriaMetrics for writes. The URL and its parameters are in [`config`]; the
//! measurements, tags and fields in [`schema`].
//!
//! Consistency, compared with the SQLite store:
//!
//! - A [`put_readings`](crate::store::ReadingStore::put_readings) (like every `put_*`) is
//!   checked whole before anything is sent (a record that cannot be
//!   stored fails the call and nothing is written), then sent in requests of at most
//!   `batch` points (5,000) or ~1 MB. A failure in the middle leaves the earlier requests
//!   written: batches are *not* atomic. Writes are idempotent, so the sink's retry of the
//!   whole batch repairs that.
//! - A write acknowledged by InfluxDB 1.x/2.x is visible to the next query; 3.x and
//!   VictoriaMetrics may show it a moment later.
//! - [`InfluxStore::open`] makes no request: the server may come up later.
//!   [`InfluxStore::ping`] checks it; [`InfluxStore::create_database`] creates the 1.x
//!   database ([`crate::store::open`] does that, and only warns when it fails).
//! - Long reads (`*_paged`) ask the server for a chunked answer and read it one chunk (at
//!   most a page of points) at a time from the connection.

mod alarms;
pub mod client;
pub mod config;
mod forecasts;
mod line_protocol;
mod query;
mod readings;
pub mod schema;
mod source_flags;
mod state;

use chrono::{DateTime, Utc};

use self::client::{Client, MAX_BODY};
use self::config::{Api, InfluxConfig, TokenError};
use self::query::{field_list, ident, parse_response};
use super::select::{PageFn, Pager};
use super::{ErrorKind, Operation, StoreError, TimeSpan};

pub use self::client::install_crypto_provider;

/// Errors inside the InfluxDB store; the store traits turn them into [`StoreError`]s
/// ([`InfluxError::into_store`]) that keep them as their source.
#[derive(Debug, thiserror::Error)]
pub enum InfluxError {
    /// The token cannot be read.
    #[error(transparent)]
    Token(#[from] TokenError),
    /// The token cannot be sent in an HTTP header.
    #[error("the token contains characters that cannot be sent in an HTTP header")]
    BadToken,
    /// The HTTP client could not be set up.
    #[error("cannot set up the HTTP client: {0}")]
    Client(#[source] reqwest::Error),
    /// A record cannot be represented (nothing of the call was written).
    #[error("cannot store {what}")]
    Invalid {
        /// What and why.
        what: String,
    },
    /// The server could not be reached, or did not answer in time, after every retry.
    #[error("{endpoint}: {source} (attempt {attempts})")]
    Http {
        /// The endpoint (no secret in it).
        endpoint: String,
        /// Attempts made.
        attempts: u32,
        /// The last error.
        #[source]
        source: reqwest::Error,
    },
    /// The server refused a request.
    #[error("{endpoint}: HTTP {status}: {message}")]
    Server {
        /// The endpoint.
        endpoint: String,
        /// HTTP status.
        status: u16,
        /// The server's message.
        message: String,
    },
    /// The server reported an error for a query.
    #[error("query `{query}`: {message}")]
    Query {
        /// The InfluxQL statement.
        query: String,
        /// The server's message.
        message: String,
    },
    /// A response could not be turned into records.
    #[error("unreadable result: {reason}")]
    Corrupt {
        /// What was wrong.
        reason: String,
    },
    /// Compressing a request body failed.
    #[error("gzip: {0}")]
    Compress(String),
}

impl InfluxError {
    /// The kind of failure: the server refused the data itself (HTTP 400 bad or conflicting
    /// points, 413 too large, 422 unprocessable) or a value cannot be written —
    /// [`ErrorKind::Rejected`], sending it again fails again; unreachable, timeouts, other
    /// answers (401, 404, 429, 5xx) and query errors may pass.
    pub fn kind(&self) -> ErrorKind {
        match self {
            InfluxError::Invalid { .. } => ErrorKind::Rejected,
            InfluxError::Server {
                status: 400 | 413 | 422,
                ..
            } => ErrorKind::Rejected,
            InfluxError::Server { .. }
            | InfluxError::Http { .. }
            | InfluxError::Query { .. }
            | InfluxError::Compress(_) => ErrorKind::Unavailable,
            InfluxError::Corrupt { .. } => ErrorKind::Corrupt,
            InfluxError::Token(_) | InfluxError::BadToken | InfluxError::Client(_) => {
                ErrorKind::Unusable
            }
        }
    }

    /// The [`StoreError`] of `store` (its display name) during `operation`.
    pub fn into_store(self, store: &str, operation: Operation) -> StoreError {
        let kind = self.kind();
        match self {
            InfluxError::Invalid { what } => StoreError::new(store, operation, kind, what),
            InfluxError::Corrupt { reason } => StoreError::new(store, operation, kind, reason),
            e => StoreError::new(store, operation, kind, e.to_string()).with_source(e),
        }
    }
}

/// A store in an InfluxDB database or bucket. See the [module documentation](self).
#[derive(Debug)]
pub struct InfluxStore {
    client: Client,
    config: InfluxConfig,
    /// The display name in errors.
    name: String,
    /// Time of the last `stations` point this handle wrote (unix ms).
    last_station_stamp: i64,
    /// Minute slot of the last `device_health` snapshot this handle wrote (unix ms).
    last_health_slot: i64,
    /// This handle created the 1.x database (or found it there).
    database_ready: bool,
}

impl InfluxStore {
    /// Opens the store of a parsed URL, reading its token. Makes no request.
    pub fn open(config: &InfluxConfig) -> Result<InfluxStore, StoreError> {
        let name = format!("InfluxDB store {config}");
        let client = config
            .token()
            .map_err(InfluxError::from)
            .and_then(|token| Client::new(config, token.as_ref(), schema::PRECISION))
            .map_err(|e| e.into_store(&name, Operation::Open))?;
        Ok(InfluxStore {
            client,
            config: config.clone(),
            name,
            last_station_stamp: i64::MIN,
            last_health_slot: i64::MIN,
            database_ready: false,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &InfluxConfig {
        &self.config
    }

    /// Checks that the server answers `/ping`.
    pub fn ping(&self) -> Result<(), StoreError> {
        self.client.ping().map_err(self.fail(Operation::Open))
    }

    /// `CREATE DATABASE` (1.x; a no-op when it exists). 2.x/3.x buckets are created with
    /// their own tools. When the server is down as the store is opened, the first
    /// [`put_stations`](crate::store::StationStore::put_stations) tries again.
    pub fn create_database(&mut self) -> Result<(), StoreError> {
        let q = format!("CREATE DATABASE {}", ident(&self.config.database));
        self.client
            .query_with(&q, &[])
            .and_then(|body| parse_response(&body, &q).map(drop))
            .map_err(self.fail(Operation::Open))?;
        self.database_ready = true;
        Ok(())
    }

    /// [`InfluxStore::create_database`] once per handle, for a 1.x server that was not
    /// reachable when the store was opened. A refusal (a user without the right to create
    /// databases) is only logged: the write that follows says whether the database is there.
    fn ensure_database(&mut self) {
        if self.config.api == Api::V1
            && !self.database_ready
            && let Err(e) = self.create_database()
        {
            tracing::debug!("could not create the InfluxDB database: {e}");
        }
    }

    /// Turns an internal error into the store's error for `operation`.
    fn fail(&self, operation: Operation) -> impl Fn(InfluxError) -> StoreError + '_ {
        move |e| e.into_store(&self.name, operation)
    }

    /// Encodes points with `encode` into request bodies of at most `batch` points or
    /// [`MAX_BODY`] bytes, checking every item before anything is sent, then sends them.
    fn send<T>(
        &self,
        items: &[T],
        mut encode: impl FnMut(&mut String, &T) -> Result<(), InfluxError>,
    ) -> Result<(), InfluxError> {
        let mut bodies = Vec::new();
        let mut body = String::new();
        let mut points = 0;
        for item in items {
            encode(&mut body, item)?;
            points += 1;
            if points >= self.config.batch || body.len() >= MAX_BODY {
                bodies.push(std::mem::take(&mut body));
                points = 0;
            }
        }
        if !body.is_empty() {
            bodies.push(body);
        }
        for body in &bodies {
            self.client.write(body)?;
        }
        Ok(())
    }

    /// The whole (short) answer to `q`.
    fn select(&self, q: &str) -> Result<Vec<query::Series>, InfluxError> {
        let body = self.client.query(q)?;
        parse_response(&body, q)
    }

    /// Reads the answer to `q` chunk by chunk (chunks of `page_size` points), decodes each
    /// with `decode` and hands the items out in pages of at most `page_size`.
    fn select_paged<T>(
        &self,
        operation: Operation,
        q: &str,
        page_size: usize,
        decode: impl Fn(&[query::Series], &mut Vec<T>) -> Result<(), InfluxError>,
        each: &mut PageFn<'_, T>,
    ) -> Result<(), StoreError> {
        let fail = self.fail(operation);
        let mut chunks = self.client.query_chunks(q, page_size).map_err(&fail)?;
        let mut pager = Pager::new(page_size, each);
        let mut items = Vec::new();
        while let Some(series) = chunks.next_chunk().map_err(&fail)? {
            decode(&series, &mut items).map_err(&fail)?;
            for item in items.drain(..) {
                pager.push(item)?;
            }
        }
        pager.finish()
    }

    /// The time span of the answers to single-value queries, each `(query, column)`: the
    /// column holds a time (`time` of a selector such as `first()`, or the value of an
    /// aggregate such as `min()` of a millisecond field). Queries without an answer (no data)
    /// add nothing.
    fn span(
        &self,
        queries: [(String, &str); 2],
        operation: Operation,
    ) -> Result<Option<TimeSpan>, StoreError> {
        let one = |(q, column): &(String, &str)| -> Result<Option<DateTime<Utc>>, InfluxError> {
            let series = self.select(q)?;
            let Some((s, row)) = series.first().and_then(|s| Some((s, s.values.first()?))) else {
                return Ok(None);
            };
            let cell = query::Row::new(s, row).at(s.column(column)?);
            if cell.is_null() {
                Ok(None)
            } else {
                cell.millis().map(Some)
            }
        };
        let mut times = Vec::new();
        for q in &queries {
            times.extend(one(q).map_err(self.fail(operation))?);
        }
        Ok(TimeSpan::of(times))
    }

    fn newest_per(&self, measurement: &str, fields: &[&str], tag: &str) -> String {
        format!(
            "SELECT {} FROM {} GROUP BY {} ORDER BY time DESC LIMIT 1",
            field_list(fields),
            ident(measurement),
            ident(tag)
        )
    }
}

/// Reads `body` as an answer of `/query` (one JSON document, or one a chunk) and decodes its
/// series as one of the store's readers does — `reader % 10` chooses: readings, indices,
/// device health, stations, job runs, alarms, forecast hours, forecast days, source flags,
/// analysed days. The number of items decoded, or the error the read would give.
///
/// Not an API: the entry of the fuzz target `influx_response` (fuzz/), which must reach
/// these private readers without a server. Hidden rather than behind `cfg(fuzzing)` so that
/// every build and lint checks it.
#[doc(hidden)]
pub fn decode_response(body: &str, reader: u8) -> Result<usize, InfluxError> {
    use crate::store::Resolution;
    fn count<T>(
        series: &[query::Series],
        decode: impl FnOnce(&[query::Series], &mut Vec<T>) -> Result<(), InfluxError>,
    ) -> Result<usize, InfluxError> {
        let mut out = Vec::new();
        decode(series, &mut out)?;
        Ok(out.len())
    }
    let series = parse_response(body, "SELECT")?;
    match reader % 10 {
        0 => count(&series, |s, out| {
            schema::decode_records(s, Resolution::Hour, out)
        }),
        1 => count(&series, |s, out| {
            schema::decode_indices(s, Resolution::Day, out)
        }),
        2 => schema::decode_health(&series).map(|v| v.len()),
        3 => schema::decode_stations(&series).map(|v| v.len()),
        4 => schema::decode_job_runs(&series).map(|v| v.len()),
        5 => count(&series, alarms::decode_alarms),
        6 => count(&series, forecasts::decode_hours),
        7 => count(&series, forecasts::decode_days),
        8 => source_flags::decode_flags(&series).map(|v| v.len()),
        _ => source_flags::decode_analysed_days(&series).map(|v| v.len()),
    }
}

/// Keeps the last of items with the same key (later puts in one batch win).
fn last_per_key<T, K: Eq + std::hash::Hash>(items: &[T], key: impl Fn(&T) -> K) -> Vec<&T> {
    let mut seen = std::collections::HashSet::new();
    let mut out: Vec<&T> = items.iter().rev().filter(|i| seen.insert(key(i))).collect();
    out.reverse();
    out
}

/// `WHERE`-clause text selecting `filter`'s items of `tag` (nothing for all).
fn push_filter<T: AsRef<str>>(q: &mut String, tag: &str, filter: &super::Filter<T>) {
    if let Some(items) = filter.listed() {
        query::push_any_of(q, tag, items);
    }
}
