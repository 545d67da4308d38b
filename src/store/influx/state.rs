//! Device health, stations and job runs (the `device_health`, `stations` and `job_runs`
//! measurements, see [`super::schema`]).

use std::fmt::Write as _;

use chrono::Utc;

use super::query::{self, field_list, ident};
use super::schema::{self, DEVICE_HEALTH, JOB_RUNS, STATIONS};
use super::{InfluxError, InfluxStore, last_per_key, push_filter};
use crate::store::job_runs::sort_newest_first;
use crate::store::select::PageFn;
use crate::store::{
    DataKind, DeviceHealth, HealthStore, JobRun, JobRunQuery, JobRunStore, Jobs, Operation,
    StationInfo, StationStore, StoreError, TimeSpan,
};

const READ_RUNS: Operation = Operation::Read(DataKind::JobRuns);

/// ` WHERE (…)` selecting `jobs` (nothing for all).
fn jobs_filter(jobs: &Jobs) -> String {
    let mut filter = String::new();
    push_filter(&mut filter, "job", jobs);
    match filter.strip_prefix(" AND ") {
        Some(rest) => format!(" WHERE {rest}"),
        None => filter,
    }
}

impl InfluxStore {
    /// [`JobRunStore::latest_job_runs`]. InfluxQL orders by time (= `started`) only, so the
    /// runs are sorted here. To avoid reading a job's whole history for its latest runs, a
    /// first query finds the `limit`-th greatest `scheduled` with `top()` and the second reads
    /// only the runs scheduled at or after it (ties included, so the cut below is exact).
    fn read_job_runs(&self, jobs: &Jobs, limit: usize) -> Result<Vec<JobRun>, InfluxError> {
        /// Above this limit every run is read (`top()` keeps `limit` points in memory).
        const TOP_LIMIT: usize = 10_000;
        if limit == 0 || jobs.selects_nothing() {
            return Ok(Vec::new());
        }
        let filter = jobs_filter(jobs);
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
        sort_newest_first(&mut runs);
        runs.truncate(limit);
        Ok(runs)
    }
}

impl HealthStore for InfluxStore {
    fn put_health(&mut self, health: &[DeviceHealth]) -> Result<usize, StoreError> {
        if health.is_empty() {
            return Ok(0);
        }
        let now = Utc::now().timestamp_millis();
        let slot = (now - now.rem_euclid(60_000)).max(self.last_health_slot);
        let latest = last_per_key(health, |h| h.device.clone());
        self.send(&latest, |buf, h| schema::encode_health(buf, h, slot))
            .map_err(self.fail(Operation::Put(DataKind::Health)))?;
        self.last_health_slot = slot;
        Ok(latest.len())
    }

    fn health(&self) -> Result<Vec<DeviceHealth>, StoreError> {
        let q = self.newest_per(DEVICE_HEALTH, &schema::HEALTH_FIELDS, "device");
        self.select(&q)
            .and_then(|series| schema::decode_health(&series))
            .map_err(self.fail(Operation::Read(DataKind::Health)))
    }
}

impl StationStore for InfluxStore {
    fn put_stations(&mut self, stations: &[StationInfo]) -> Result<usize, StoreError> {
        if stations.is_empty() {
            return Ok(0);
        }
        // Stations are registered first (the collectors' forwarder, before any reading).
        self.ensure_database();
        let stamp = Utc::now()
            .timestamp_millis()
            .max(self.last_station_stamp.saturating_add(1));
        let latest = last_per_key(stations, |s| s.id.clone());
        self.send(&latest, |buf, s| schema::encode_station(buf, s, stamp))
            .map_err(self.fail(Operation::Put(DataKind::Stations)))?;
        self.last_station_stamp = stamp;
        Ok(latest.len())
    }

    fn stations(&self) -> Result<Vec<StationInfo>, StoreError> {
        let q = self.newest_per(STATIONS, &schema::STATION_FIELDS, "id");
        self.select(&q)
            .and_then(|series| schema::decode_stations(&series))
            .map_err(self.fail(Operation::Read(DataKind::Stations)))
    }
}

impl JobRunStore for InfluxStore {
    /// Rejects an empty job name (InfluxDB has no empty tag values) and start times InfluxDB
    /// cannot store (outside 1677–2262). See [`schema`] for runs starting in the same
    /// millisecond.
    fn put_job_runs(&mut self, runs: &[JobRun]) -> Result<usize, StoreError> {
        self.send(runs, schema::encode_job_run)
            .map_err(self.fail(Operation::Put(DataKind::JobRuns)))?;
        Ok(runs.len())
    }

    fn latest_job_runs(&self, jobs: &Jobs, limit: usize) -> Result<Vec<JobRun>, StoreError> {
        self.read_job_runs(jobs, limit)
            .map_err(self.fail(READ_RUNS))
    }

    fn job_runs_paged(
        &self,
        query: &JobRunQuery,
        page_size: usize,
        each: &mut PageFn<'_, JobRun>,
    ) -> Result<(), StoreError> {
        if query.is_empty() {
            return Ok(());
        }
        let scheduled = ident("scheduled");
        let mut q = format!(
            "SELECT {} FROM {} WHERE {scheduled} >= {} AND {scheduled} < {}",
            field_list(&schema::JOB_RUN_FIELDS),
            ident(JOB_RUNS),
            query.from.timestamp_millis(),
            query.to.timestamp_millis(),
        );
        push_filter(&mut q, "job", &query.jobs);
        q.push_str(" GROUP BY \"job\"");
        self.select_paged(
            READ_RUNS,
            &q,
            page_size,
            |series, out| {
                out.extend(schema::decode_job_runs(series)?);
                Ok(())
            },
            each,
        )
    }

    fn job_runs_span(&self) -> Result<Option<TimeSpan>, StoreError> {
        let [min, max] = ["min", "max"].map(|f| {
            let q = format!(
                "SELECT {f}({}) FROM {}",
                ident("scheduled"),
                ident(JOB_RUNS)
            );
            (q, f)
        });
        self.span([min, max], READ_RUNS)
    }
}
