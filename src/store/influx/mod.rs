//! The InfluxDB store: line protocol over HTTP for writes, InfluxQL for reads.
//!
//! Works with InfluxDB 1.x (`/write?db=`), 2.x, 3.x and 1.8+ (`/api/v2/write` with a token;
//! reads through `/query`, which 2.x answers for a bucket through its DBRP mappings), and
//! with VictoriaMetrics for writes. The URL and its parameters are in [`config`]; the
//! measurements, tags and fields in [`schema`].
//!
//! Consistency, compared with the SQLite store:
//!
//! - A [`Store::write`] is checked whole before anything is sent (a record that cannot be
//!   stored fails the call and nothing is written), then sent in requests of at most
//!   `batch` points (5,000) or ~1 MB. A failure in the middle leaves the earlier requests
//!   written: batches are *not* atomic. Writes are idempotent, so the sink's retry of the
//!   whole batch repairs that.
//! - A write acknowledged by InfluxDB 1.x/2.x is visible to the next query; 3.x and
//!   VictoriaMetrics may show it a moment later.
//! - Opening a store makes no request: the server may come up later. [`InfluxStore::ping`]
//!   checks it; [`InfluxStore::create_database`] creates the 1.x database.

pub mod client;
pub mod config;
pub mod forecasts;
pub mod line_protocol;
pub mod query;
pub mod schema;
pub mod source_flags;

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use self::client::{Client, MAX_BODY};
use self::config::{Api, ConfigError, InfluxConfig};
use self::query::{field_list, ident, literal, parse_response, push_any_of, time_range};
use self::schema::{DEVICE_HEALTH, INDICES, JOB_RUNS, READINGS, STATIONS};
use self::source_flags::{SOURCE_FLAG_FIELDS, SOURCE_FLAGS};
use super::{
    DeviceHealth, ForecastDay, ForecastHour, ForecastQuery, IndexRecord, JobRun, Query, Record,
    Resolution, SourceFlag, StationInfo, Store, StoreError,
};

/// Errors of the InfluxDB store.
#[derive(Debug, thiserror::Error)]
pub enum InfluxError {
    /// The store URL is wrong or the token cannot be read.
    #[error(transparent)]
    Config(#[from] ConfigError),
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
    /// The server refused the data itself (HTTP 400 bad or conflicting points, 413 too large,
    /// 422 unprocessable), or a value cannot be written: sending it again fails again. See
    /// [`StoreError::is_rejection`](crate::store::StoreError::is_rejection).
    pub fn is_rejection(&self) -> bool {
        match self {
            InfluxError::Invalid { .. } => true,
            InfluxError::Server { status, .. } => matches!(status, 400 | 413 | 422),
            _ => false,
        }
    }
}

/// A store in an InfluxDB database or bucket. See the [module documentation](self).
#[derive(Debug)]
pub struct InfluxStore {
    client: Client,
    config: InfluxConfig,
    /// Time of the last `stations` point this handle wrote (unix ms).
    last_station_stamp: i64,
    /// Minute slot of the last `device_health` snapshot this handle wrote (unix ms).
    last_health_slot: i64,
}

impl InfluxStore {
    /// Opens the store named by an `influx+http(s)://` URL (see [`config`]). Makes no request.
    pub fn open(url: &str) -> Result<InfluxStore, InfluxError> {
        InfluxStore::with_config(InfluxConfig::parse(url)?)
    }

    /// Opens the store of a parsed configuration. Makes no request.
    pub fn with_config(config: InfluxConfig) -> Result<InfluxStore, InfluxError> {
        Ok(InfluxStore {
            client: Client::new(&config, schema::PRECISION)?,
            config,
            last_station_stamp: i64::MIN,
            last_health_slot: i64::MIN,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &InfluxConfig {
        &self.config
    }

    /// Checks that the server answers `/ping`.
    pub fn ping(&self) -> Result<(), InfluxError> {
        self.client.ping()
    }

    /// `CREATE DATABASE` (1.x; a no-op when it exists). 2.x/3.x buckets are created with
    /// their own tools.
    pub fn create_database(&self) -> Result<(), InfluxError> {
        let q = format!("CREATE DATABASE {}", ident(&self.config.database));
        let body = self.client.query_with(&q, &[])?;
        parse_response(&body, &q).map(drop)
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

    fn select(&self, q: &str) -> Result<Vec<query::Series>, InfluxError> {
        let body = self.client.query(q)?;
        parse_response(&body, q)
    }

    fn read_records(&self, query: &Query) -> Result<Vec<Record>, InfluxError> {
        let mut out = Vec::new();
        if query.from >= query.to {
            return Ok(out);
        }
        let mut q = format!(
            "SELECT {} FROM {} WHERE {} = {} AND {}",
            field_list(&schema::READING_FIELDS),
            ident(READINGS),
            ident("resolution"),
            literal(query.resolution.code()),
            time_range(query.from, query.to)
        );
        push_any_of(&mut q, "station", &query.stations);
        let codes: Vec<&str> = query.parameters.iter().map(|p| p.code()).collect();
        push_any_of(&mut q, "parameter", &codes);
        q.push_str(" GROUP BY \"station\", \"parameter\"");
        schema::decode_records(&self.select(&q)?, query.resolution, &mut out)?;
        sort_series(&mut out);
        Ok(out)
    }

    fn latest_records(
        &self,
        resolution: Resolution,
        station: Option<&str>,
    ) -> Result<Vec<Record>, InfluxError> {
        let mut q = format!(
            "SELECT {} FROM {} WHERE {} = {}",
            field_list(&schema::READING_FIELDS),
            ident(READINGS),
            ident("resolution"),
            literal(resolution.code()),
        );
        push_any_of(&mut q, "station", station.as_slice());
        q.push_str(" GROUP BY \"station\", \"parameter\" ORDER BY time DESC LIMIT 1");
        let mut out = Vec::new();
        schema::decode_records(&self.select(&q)?, resolution, &mut out)?;
        sort_series(&mut out);
        Ok(out)
    }

    fn count_records(&self, resolution: Resolution) -> Result<u64, InfluxError> {
        let q = format!(
            "SELECT count({}) FROM {} WHERE {} = {}",
            ident("flag"),
            ident(READINGS),
            ident("resolution"),
            literal(resolution.code())
        );
        let series = self.select(&q)?;
        let Some(s) = series.first() else {
            return Ok(0);
        };
        let c = s.column("count")?;
        let mut total = 0u64;
        for row in &s.values {
            let n = query::Row::new(s, row).at(c).i64()?;
            total += u64::try_from(n).map_err(|_| InfluxError::Corrupt {
                reason: format!("count {n}"),
            })?;
        }
        Ok(total)
    }

    /// [`Store::job_runs`]. InfluxQL orders by time (= `started`) only, so the runs are sorted
    /// here. To avoid reading a job's whole history for its latest runs, a first query finds
    /// the `limit`-th greatest `scheduled` with `top()` and the second reads only the runs
    /// scheduled at or after it (ties included, so the cut below is exact).
    fn read_job_runs(&self, job: Option<&str>, limit: usize) -> Result<Vec<JobRun>, InfluxError> {
        /// Above this limit every run is read (`top()` keeps `limit` points in memory).
        const TOP_LIMIT: usize = 10_000;
        if limit == 0 {
            return Ok(Vec::new());
        }
        let filter = match job {
            Some(job) => format!(" WHERE {} = {}", ident("job"), literal(job)),
            None => String::new(),
        };
        let mut q = format!(
            "SELECT {} FROM {}{filter}",
            field_list(&schema::JOB_RUN_FIELDS),
            ident(JOB_RUNS)
        );
        if limit <= TOP_LIMIT {
            let top = format!(
                "SELECT top({}, {limit}) FROM {}{filter}",
                ident("scheduled"),
                ident(JOB_RUNS)
            );
            let series = self.select(&top)?;
            let Some(s) = series.first() else {
                return Ok(Vec::new());
            };
            let c = s.column("top")?;
            let mut values = Vec::with_capacity(s.values.len());
            for row in &s.values {
                values.push(query::Row::new(s, row).at(c).i64()?);
            }
            if values.len() >= limit
                && let Some(min) = values.iter().min()
            {
                q.push_str(if filter.is_empty() {
                    " WHERE "
                } else {
                    " AND "
                });
                let _ = write!(q, "{} >= {min}", ident("scheduled"));
            }
        }
        q.push_str(" GROUP BY \"job\"");
        let mut runs = schema::decode_job_runs(&self.select(&q)?)?;
        runs.sort_by(|a, b| {
            (b.scheduled, b.started)
                .cmp(&(a.scheduled, a.started))
                .then_with(|| a.job.cmp(&b.job))
        });
        runs.truncate(limit);
        Ok(runs)
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

/// Sorts records by station (byte order), then [`Parameter`](crate::units::Parameter) order, keeping time order.
fn sort_series(records: &mut [crate::store::Record]) {
    records.sort_by(|a, b| {
        a.station
            .cmp(&b.station)
            .then(a.parameter.cmp(&b.parameter))
    });
}

/// Keeps the last of items with the same key (later puts in one batch win).
fn last_per_key<T, K: Eq + std::hash::Hash>(items: &[T], key: impl Fn(&T) -> K) -> Vec<&T> {
    let mut seen = std::collections::HashSet::new();
    let mut out: Vec<&T> = items.iter().rev().filter(|i| seen.insert(key(i))).collect();
    out.reverse();
    out
}

impl Store for InfluxStore {
    fn write(&mut self, records: &[Record]) -> Result<usize, StoreError> {
        self.send(records, schema::encode_record)?;
        Ok(records.len())
    }

    fn read(&self, query: &Query) -> Result<Vec<Record>, StoreError> {
        Ok(self.read_records(query)?)
    }

    fn latest(
        &self,
        resolution: Resolution,
        station: Option<&str>,
    ) -> Result<Vec<Record>, StoreError> {
        Ok(self.latest_records(resolution, station)?)
    }

    fn count(&self, resolution: Resolution) -> Result<u64, StoreError> {
        Ok(self.count_records(resolution)?)
    }

    fn put_health(&mut self, health: &[DeviceHealth]) -> Result<(), StoreError> {
        if health.is_empty() {
            return Ok(());
        }
        let now = Utc::now().timestamp_millis();
        let slot = (now - now.rem_euclid(60_000)).max(self.last_health_slot);
        let latest = last_per_key(health, |h| h.device.clone());
        self.send(&latest, |buf, h| schema::encode_health(buf, h, slot))?;
        self.last_health_slot = slot;
        Ok(())
    }

    fn health(&self) -> Result<Vec<DeviceHealth>, StoreError> {
        let q = self.newest_per(DEVICE_HEALTH, &schema::HEALTH_FIELDS, "device");
        Ok(schema::decode_health(&self.select(&q)?)?)
    }

    fn put_stations(&mut self, stations: &[StationInfo]) -> Result<(), StoreError> {
        if stations.is_empty() {
            return Ok(());
        }
        let stamp = Utc::now()
            .timestamp_millis()
            .max(self.last_station_stamp.saturating_add(1));
        let latest = last_per_key(stations, |s| s.id.clone());
        self.send(&latest, |buf, s| schema::encode_station(buf, s, stamp))?;
        self.last_station_stamp = stamp;
        Ok(())
    }

    fn stations(&self) -> Result<Vec<StationInfo>, StoreError> {
        let q = self.newest_per(STATIONS, &schema::STATION_FIELDS, "id");
        Ok(schema::decode_stations(&self.select(&q)?)?)
    }

    fn write_indices(&mut self, records: &[IndexRecord]) -> Result<usize, StoreError> {
        self.send(records, schema::encode_index)?;
        Ok(records.len())
    }

    fn read_indices(&self, query: &Query) -> Result<Vec<IndexRecord>, StoreError> {
        let mut out = Vec::new();
        if query.from >= query.to {
            return Ok(out);
        }
        let fields = schema::index_fields();
        let names: Vec<&str> = fields.iter().map(String::as_str).collect();
        let mut q = format!(
            "SELECT {} FROM {} WHERE {} = {} AND {}",
            field_list(&names),
            ident(INDICES),
            ident("resolution"),
            literal(query.resolution.code()),
            time_range(query.from, query.to)
        );
        push_any_of(&mut q, "station", &query.stations);
        q.push_str(" GROUP BY \"station\"");
        schema::decode_indices(&self.select(&q)?, query.resolution, &mut out)
            .map_err(StoreError::from)?;
        out.sort_by(|a, b| a.station.cmp(&b.station));
        Ok(out)
    }

    /// Rejects an empty job name (InfluxDB has no empty tag values) and start times InfluxDB
    /// cannot store (outside 1677–2262). See [`schema`] for runs starting in the same
    /// millisecond.
    fn record_job_run(&mut self, run: &JobRun) -> Result<(), StoreError> {
        self.send(std::slice::from_ref(run), schema::encode_job_run)?;
        Ok(())
    }

    fn job_runs(&self, job: Option<&str>, limit: usize) -> Result<Vec<JobRun>, StoreError> {
        Ok(self.read_job_runs(job, limit)?)
    }

    /// Also rejects what InfluxDB cannot store: a start outside 1677–2262, and line breaks in
    /// the station id (a tag value).
    fn put_source_flags(&mut self, flags: &[SourceFlag]) -> Result<usize, StoreError> {
        self.send(flags, source_flags::encode_flag)?;
        Ok(flags.len())
    }

    fn source_flags(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        station: Option<&str>,
    ) -> Result<Vec<SourceFlag>, StoreError> {
        if from >= to {
            return Ok(Vec::new());
        }
        let mut q = format!(
            "SELECT {} FROM {} WHERE {}",
            field_list(&SOURCE_FLAG_FIELDS),
            ident(SOURCE_FLAGS),
            time_range(from, to)
        );
        push_any_of(&mut q, "station", station.as_slice());
        q.push_str(" GROUP BY \"station\", \"pollutants\"");
        let mut flags = source_flags::decode_flags(&self.select(&q)?)?;
        flags.sort_by(|a, b| {
            (a.start, &a.station, a.pollutant_key()).cmp(&(b.start, &b.station, b.pollutant_key()))
        });
        Ok(flags)
    }

    fn write_forecasts(
        &mut self,
        hours: &[ForecastHour],
        days: &[ForecastDay],
    ) -> Result<usize, StoreError> {
        Ok(self.put_forecasts(hours, days)?)
    }

    fn read_forecast_hours(&self, query: &ForecastQuery) -> Result<Vec<ForecastHour>, StoreError> {
        Ok(self.get_forecast_hours(query)?)
    }

    fn read_forecast_days(&self, query: &ForecastQuery) -> Result<Vec<ForecastDay>, StoreError> {
        Ok(self.get_forecast_days(query)?)
    }
}

impl Api {
    /// `v1` or `v2`.
    pub const fn code(self) -> &'static str {
        match self {
            Api::V1 => "v1",
            Api::V2 => "v2",
        }
    }
}
