//! The `device_health` table: the latest [`DeviceHealth`] of each device.

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::{Fail, SqliteStore};
use crate::store::{DataKind, DeviceHealth, HealthStore, Operation, StoreError};

/// Ends each status name in the `status` column.
const STATUS_SEP: char = '\u{1f}';

const INSERT: &str = "INSERT OR REPLACE INTO device_health
    (device, station, online, last_success, last_attempt, polls, successes, skipped,
     consecutive_failures, last_latency_ms, status, last_error, last_failure, peer, rejected)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)";
const SELECT: &str = "SELECT device, station, online, last_success, last_attempt, polls,
    successes, skipped, consecutive_failures, last_latency_ms, status, last_error,
    last_failure, peer, rejected FROM device_health ORDER BY device";

fn put(store: &mut SqliteStore, health: &[DeviceHealth]) -> Result<usize, Fail> {
    let mut rows = Vec::with_capacity(health.len());
    for h in health {
        let int = |name: &str, v: u64| {
            i64::try_from(v)
                .map_err(|_| Fail::Rejected(format!("{name} = {v} of device {}", h.device)))
        };
        let mut status = String::new();
        for s in &h.status {
            if s.contains(STATUS_SEP) {
                return Err(Fail::Rejected(format!(
                    "status name {s:?} of device {} (contains U+001F)",
                    h.device
                )));
            }
            status.push_str(s);
            status.push(STATUS_SEP);
        }
        let counters = [
            int("polls", h.polls)?,
            int("successes", h.successes)?,
            int("skipped", h.skipped)?,
        ];
        for (cause, n) in &h.rejected {
            int(cause, *n)?;
        }
        let rejected = if h.rejected.is_empty() {
            None
        } else {
            Some(serde_json::to_string(&h.rejected).map_err(|e| {
                Fail::Rejected(format!("rejected counts of device {}: {e}", h.device))
            })?)
        };
        rows.push((h, counters, status, rejected));
    }
    store.write_tx(|tx| {
        let mut stmt = tx.prepare_cached(INSERT)?;
        for (h, [polls, successes, skipped], status, rejected) in &rows {
            stmt.execute(params![
                h.device,
                h.station,
                h.online,
                h.last_success.map(|t| t.timestamp_millis()),
                h.last_attempt.map(|t| t.timestamp_millis()),
                polls,
                successes,
                skipped,
                h.consecutive_failures,
                h.last_latency_ms,
                status,
                h.last_error,
                h.last_failure.map(|t| t.timestamp_millis()),
                h.peer,
                rejected,
            ])?;
        }
        Ok::<_, rusqlite::Error>(rows.len())
    })
}

fn get(store: &SqliteStore) -> Result<Vec<DeviceHealth>, Fail> {
    let mut stmt = store.conn.prepare_cached(SELECT)?;
    let mut rows = stmt.query([])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let device: String = r.get(0)?;
        let time = |i: usize| -> Result<Option<DateTime<Utc>>, Fail> {
            match r.get::<_, Option<i64>>(i)? {
                None => Ok(None),
                Some(ms) => DateTime::from_timestamp_millis(ms)
                    .map(Some)
                    .ok_or_else(|| {
                        Fail::Corrupt(format!("health time {ms} ms out of range ({device})"))
                    }),
            }
        };
        let uint = |i: usize| -> Result<u64, Fail> {
            let v: i64 = r.get(i)?;
            u64::try_from(v)
                .map_err(|_| Fail::Corrupt(format!("negative health counter {v} ({device})")))
        };
        let status: String = r.get(10)?;
        if !status.is_empty() && !status.ends_with(STATUS_SEP) {
            return Err(Fail::Corrupt(format!(
                "malformed status list {status:?} ({device})"
            )));
        }
        out.push(DeviceHealth {
            station: r.get(1)?,
            online: r.get(2)?,
            last_success: time(3)?,
            last_attempt: time(4)?,
            polls: uint(5)?,
            successes: uint(6)?,
            skipped: uint(7)?,
            consecutive_failures: r.get(8)?,
            last_latency_ms: r.get(9)?,
            status: status
                .split_terminator(STATUS_SEP)
                .map(str::to_string)
                .collect(),
            last_error: r.get(11)?,
            last_failure: time(12)?,
            peer: r.get(13)?,
            rejected: match r.get::<_, Option<String>>(14)? {
                None => Default::default(),
                Some(text) => serde_json::from_str(&text).map_err(|e| {
                    Fail::Corrupt(format!("rejected counts {text:?} of {device}: {e}"))
                })?,
            },
            device,
        });
    }
    Ok(out)
}

impl HealthStore for SqliteStore {
    fn put_health(&mut self, health: &[DeviceHealth]) -> Result<usize, StoreError> {
        put(self, health).map_err(self.fail(Operation::Put(DataKind::Health)))
    }

    fn health(&self) -> Result<Vec<DeviceHealth>, StoreError> {
        get(self).map_err(self.fail(Operation::Read(DataKind::Health)))
    }
}
