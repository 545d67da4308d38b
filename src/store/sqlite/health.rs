//! The `device_health` table: the latest [`DeviceHealth`] of each device.

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::{DeviceHealth, SqliteStore, StoreError};

/// Ends each status name in the `status` column.
const STATUS_SEP: char = '\u{1f}';

const INSERT: &str = "INSERT OR REPLACE INTO device_health
    (device, station, online, last_success, last_attempt, polls, successes, skipped,
     consecutive_failures, last_latency_ms, status, last_error, last_failure)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";
const SELECT: &str = "SELECT device, station, online, last_success, last_attempt, polls,
    successes, skipped, consecutive_failures, last_latency_ms, status, last_error,
    last_failure FROM device_health ORDER BY device";

/// [`Store::put_health`](super::Store::put_health).
pub(super) fn put(store: &mut SqliteStore, health: &[DeviceHealth]) -> Result<(), StoreError> {
    let mut rows = Vec::with_capacity(health.len());
    for h in health {
        let int = |name: &str, v: u64| {
            i64::try_from(v)
                .map_err(|_| store.invalid(format!("{name} = {v} of device {}", h.device)))
        };
        let mut status = String::new();
        for s in &h.status {
            if s.contains(STATUS_SEP) {
                return Err(store.invalid(format!(
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
        rows.push((h, counters, status));
    }
    store.write_tx(|tx| {
        let mut stmt = tx.prepare_cached(INSERT)?;
        for (h, [polls, successes, skipped], status) in &rows {
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
            ])?;
        }
        Ok::<_, rusqlite::Error>(())
    })
}

/// [`Store::health`](super::Store::health).
pub(super) fn get(store: &SqliteStore) -> Result<Vec<DeviceHealth>, StoreError> {
    let sql = |e| store.sql(e);
    let mut stmt = store.conn.prepare_cached(SELECT).map_err(sql)?;
    let mut rows = stmt.query([]).map_err(sql)?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().map_err(sql)? {
        let device: String = r.get(0).map_err(sql)?;
        let time = |i: usize| -> Result<Option<DateTime<Utc>>, StoreError> {
            match r.get::<_, Option<i64>>(i).map_err(sql)? {
                None => Ok(None),
                Some(ms) => DateTime::from_timestamp_millis(ms)
                    .map(Some)
                    .ok_or_else(|| {
                        store.corrupt(format!("health time {ms} ms out of range ({device})"))
                    }),
            }
        };
        let uint = |i: usize| -> Result<u64, StoreError> {
            let v: i64 = r.get(i).map_err(sql)?;
            u64::try_from(v)
                .map_err(|_| store.corrupt(format!("negative health counter {v} ({device})")))
        };
        let status: String = r.get(10).map_err(sql)?;
        if !status.is_empty() && !status.ends_with(STATUS_SEP) {
            return Err(store.corrupt(format!("malformed status list {status:?} ({device})")));
        }
        out.push(DeviceHealth {
            station: r.get(1).map_err(sql)?,
            online: r.get(2).map_err(sql)?,
            last_success: time(3)?,
            last_attempt: time(4)?,
            polls: uint(5)?,
            successes: uint(6)?,
            skipped: uint(7)?,
            consecutive_failures: r.get(8).map_err(sql)?,
            last_latency_ms: r.get(9).map_err(sql)?,
            status: status
                .split_terminator(STATUS_SEP)
                .map(str::to_string)
                .collect(),
            last_error: r.get(11).map_err(sql)?,
            last_failure: time(12)?,
            device,
        });
    }
    Ok(out)
}
