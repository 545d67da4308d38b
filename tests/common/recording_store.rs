//! A store that passes every call to another and logs the record batches it wrote
//! successfully, in order — to check what reached the store, how often, in which order. Its
//! writes can be made to fail on demand (`down`), like an unreachable server.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use lantian::store::{
    DeviceHealth, ForecastDay, ForecastHour, ForecastQuery, IndexRecord, JobRun, Query, Record,
    Resolution, SourceFlag, StationInfo, Store, StoreError,
};

/// Batches written successfully, in the order of their commits.
pub type WriteLog = Arc<Mutex<Vec<Vec<Record>>>>;

/// See the module documentation.
pub struct RecordingStore {
    /// The store that does the work.
    pub inner: Box<dyn Store>,
    /// What was written.
    pub log: WriteLog,
    /// While set, writes fail at once.
    pub down: Arc<AtomicBool>,
}

impl RecordingStore {
    /// Wraps `inner`.
    pub fn new(inner: Box<dyn Store>) -> RecordingStore {
        RecordingStore {
            inner,
            log: WriteLog::default(),
            down: Arc::default(),
        }
    }

    fn check(&self) -> Result<(), StoreError> {
        if self.down.load(Ordering::SeqCst) {
            return Err(StoreError::Unusable {
                path: "test-server".into(),
                reason: "connection refused (test)".into(),
            });
        }
        Ok(())
    }
}

impl Store for RecordingStore {
    fn write(&mut self, records: &[Record]) -> Result<usize, StoreError> {
        self.check()?;
        let n = self.inner.write(records)?;
        self.log.lock().unwrap().push(records.to_vec());
        Ok(n)
    }
    fn read(&self, query: &Query) -> Result<Vec<Record>, StoreError> {
        self.inner.read(query)
    }
    fn latest(&self, r: Resolution, s: Option<&str>) -> Result<Vec<Record>, StoreError> {
        self.inner.latest(r, s)
    }
    fn count(&self, r: Resolution) -> Result<u64, StoreError> {
        self.inner.count(r)
    }
    fn put_health(&mut self, h: &[DeviceHealth]) -> Result<(), StoreError> {
        self.check()?;
        self.inner.put_health(h)
    }
    fn health(&self) -> Result<Vec<DeviceHealth>, StoreError> {
        self.inner.health()
    }
    fn put_stations(&mut self, s: &[StationInfo]) -> Result<(), StoreError> {
        self.inner.put_stations(s)
    }
    fn stations(&self) -> Result<Vec<StationInfo>, StoreError> {
        self.inner.stations()
    }
    fn write_indices(&mut self, r: &[IndexRecord]) -> Result<usize, StoreError> {
        self.check()?;
        self.inner.write_indices(r)
    }
    fn read_indices(&self, q: &Query) -> Result<Vec<IndexRecord>, StoreError> {
        self.inner.read_indices(q)
    }
    fn record_job_run(&mut self, run: &JobRun) -> Result<(), StoreError> {
        self.inner.record_job_run(run)
    }
    fn job_runs(&self, job: Option<&str>, limit: usize) -> Result<Vec<JobRun>, StoreError> {
        self.inner.job_runs(job, limit)
    }
    fn put_source_flags(&mut self, flags: &[SourceFlag]) -> Result<usize, StoreError> {
        self.check()?;
        self.inner.put_source_flags(flags)
    }
    fn source_flags(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        station: Option<&str>,
    ) -> Result<Vec<SourceFlag>, StoreError> {
        self.inner.source_flags(from, to, station)
    }
    fn write_forecasts(
        &mut self,
        h: &[ForecastHour],
        d: &[ForecastDay],
    ) -> Result<usize, StoreError> {
        self.check()?;
        self.inner.write_forecasts(h, d)
    }
    fn read_forecast_hours(&self, q: &ForecastQuery) -> Result<Vec<ForecastHour>, StoreError> {
        self.inner.read_forecast_hours(q)
    }
    fn read_forecast_days(&self, q: &ForecastQuery) -> Result<Vec<ForecastDay>, StoreError> {
        self.inner.read_forecast_days(q)
    }
}
