//! A store that passes every call of the collectors' pipeline ([`IngestStore`]: readings,
//! health, stations, indices, alarms) to another and logs the reading batches it wrote
//! successfully, in order — to check what reached the store, how often, in which order. Its
//! writes can be made to fail on demand (`down`), like an unreachable server.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use lantian::store::{
    Alarm, AlarmAction, AlarmIdPrefix, AlarmKey, AlarmQuery, AlarmStore, AlarmSubject, DataKind,
    DeviceHealth, ErrorKind, HealthStore, IndexQuery, IndexRecord, IndexStore, IngestStore,
    Operation, PageFn, ReadingQuery, ReadingStore, Record, Resolution, StationInfo, StationStore,
    Stations, StoreError, TimeSpan,
};

/// Batches written successfully, in the order of their commits.
pub(crate) type WriteLog = Arc<Mutex<Vec<Vec<Record>>>>;

/// See the module documentation.
pub(crate) struct RecordingStore {
    /// The store that does the work.
    pub inner: Box<dyn IngestStore>,
    /// What was written.
    pub log: WriteLog,
    /// While set, writes fail at once.
    pub down: Arc<AtomicBool>,
}

impl RecordingStore {
    /// Wraps `inner`.
    pub(crate) fn new(inner: Box<dyn IngestStore>) -> RecordingStore {
        RecordingStore {
            inner,
            log: WriteLog::default(),
            down: Arc::default(),
        }
    }

    /// Fails a write of `kind` while the store is down.
    fn check(&self, kind: DataKind) -> Result<(), StoreError> {
        if self.down.load(Ordering::SeqCst) {
            return Err(StoreError::new(
                "test-server",
                Operation::Put(kind),
                ErrorKind::Unavailable,
                "connection refused (test)",
            ));
        }
        Ok(())
    }
}

impl ReadingStore for RecordingStore {
    fn put_readings(&mut self, records: &[Record]) -> Result<usize, StoreError> {
        self.check(DataKind::Readings)?;
        let n = self.inner.put_readings(records)?;
        self.log.lock().unwrap().push(records.to_vec());
        Ok(n)
    }
    fn readings_paged(
        &self,
        query: &ReadingQuery,
        page_size: usize,
        each: &mut PageFn<'_, Record>,
    ) -> Result<(), StoreError> {
        self.inner.readings_paged(query, page_size, each)
    }
    fn latest_readings(&self, r: Resolution, s: &Stations) -> Result<Vec<Record>, StoreError> {
        self.inner.latest_readings(r, s)
    }
    fn count_readings(&self, r: Resolution) -> Result<u64, StoreError> {
        self.inner.count_readings(r)
    }
    fn readings_span(&self, r: Resolution) -> Result<Option<TimeSpan>, StoreError> {
        self.inner.readings_span(r)
    }
}

impl HealthStore for RecordingStore {
    fn put_health(&mut self, h: &[DeviceHealth]) -> Result<usize, StoreError> {
        self.check(DataKind::Health)?;
        self.inner.put_health(h)
    }
    fn health(&self) -> Result<Vec<DeviceHealth>, StoreError> {
        self.inner.health()
    }
}

impl StationStore for RecordingStore {
    fn put_stations(&mut self, s: &[StationInfo]) -> Result<usize, StoreError> {
        self.inner.put_stations(s)
    }
    fn stations(&self) -> Result<Vec<StationInfo>, StoreError> {
        self.inner.stations()
    }
}

impl IndexStore for RecordingStore {
    fn put_indices(&mut self, r: &[IndexRecord]) -> Result<usize, StoreError> {
        self.check(DataKind::Indices)?;
        self.inner.put_indices(r)
    }
    fn indices_paged(
        &self,
        query: &IndexQuery,
        page_size: usize,
        each: &mut PageFn<'_, IndexRecord>,
    ) -> Result<(), StoreError> {
        self.inner.indices_paged(query, page_size, each)
    }
    fn indices_span(&self, r: Resolution) -> Result<Option<TimeSpan>, StoreError> {
        self.inner.indices_span(r)
    }
}

impl AlarmStore for RecordingStore {
    fn put_alarms(&mut self, a: &[Alarm], actions: &[AlarmAction]) -> Result<usize, StoreError> {
        self.check(DataKind::Alarms)?;
        self.inner.put_alarms(a, actions)
    }
    fn alarms_paged(
        &self,
        query: &AlarmQuery,
        page_size: usize,
        each: &mut PageFn<'_, Alarm>,
    ) -> Result<(), StoreError> {
        self.inner.alarms_paged(query, page_size, each)
    }
    fn alarms_span(&self) -> Result<Option<TimeSpan>, StoreError> {
        self.inner.alarms_span()
    }
    fn open_alarm(&self, rule: &str, subject: &AlarmSubject) -> Result<Option<Alarm>, StoreError> {
        self.inner.open_alarm(rule, subject)
    }
    fn alarms_by_id(&self, id: &AlarmIdPrefix) -> Result<Vec<Alarm>, StoreError> {
        self.inner.alarms_by_id(id)
    }
    fn alarm_actions(&self, alarms: &[AlarmKey]) -> Result<Vec<AlarmAction>, StoreError> {
        self.inner.alarm_actions(alarms)
    }
}
