//! The `stations` table: [`StationInfo`] by id.

use rusqlite::params;

use super::{Fail, SqliteStore};
use crate::store::{DataKind, Operation, StationInfo, StationRole, StationStore, StoreError};

const INSERT: &str = "INSERT OR REPLACE INTO stations
    (id, name, name_en, district, lat, lon, time_zone, city, role)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
const SELECT: &str = "SELECT id, name, name_en, district, lat, lon, time_zone, city, role
    FROM stations ORDER BY id";

fn put(store: &mut SqliteStore, stations: &[StationInfo]) -> Result<usize, Fail> {
    for s in stations {
        check_coordinate(s, "lat", s.lat, 90.0)?;
        check_coordinate(s, "lon", s.lon, 180.0)?;
    }
    if stations.is_empty() {
        return Ok(0);
    }
    store.write_tx(|tx| {
        let mut stmt = tx.prepare_cached(INSERT)?;
        for s in stations {
            stmt.execute(params![
                s.id,
                s.name,
                s.name_en,
                s.district,
                s.lat,
                s.lon,
                s.time_zone.name(),
                s.city,
                s.role.code(),
            ])?;
        }
        Ok::<_, rusqlite::Error>(stations.len())
    })
}

fn get(store: &SqliteStore) -> Result<Vec<StationInfo>, Fail> {
    let mut stmt = store.conn.prepare_cached(SELECT)?;
    let mut rows = stmt.query([])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let id: String = r.get(0)?;
        let zone = store.text(r, 6)?;
        let time_zone = zone
            .parse::<chrono_tz::Tz>()
            .map_err(|_| Fail::Corrupt(format!("unknown time zone `{zone}` (station {id})")))?;
        let role = store.text(r, 8)?;
        let role = role
            .parse::<StationRole>()
            .map_err(|e| Fail::Corrupt(format!("{e} (station {id})")))?;
        out.push(StationInfo {
            name: r.get(1)?,
            name_en: r.get(2)?,
            district: r.get(3)?,
            lat: r.get(4)?,
            lon: r.get(5)?,
            time_zone,
            id,
            city: r.get(7)?,
            role,
        });
    }
    Ok(out)
}

/// Rejects a latitude / longitude that is not finite or beyond ±`limit` degrees (SQLite would
/// turn a NaN into `NULL`, i.e. "unknown", silently).
fn check_coordinate(
    station: &StationInfo,
    name: &str,
    value: Option<f64>,
    limit: f64,
) -> Result<(), Fail> {
    match value {
        Some(v) if !(v.is_finite() && v.abs() <= limit) => Err(Fail::Rejected(format!(
            "{name} = {v} of station {} (must be within ±{limit}°)",
            station.id
        ))),
        _ => Ok(()),
    }
}

impl StationStore for SqliteStore {
    fn put_stations(&mut self, stations: &[StationInfo]) -> Result<usize, StoreError> {
        put(self, stations).map_err(self.fail(Operation::Put(DataKind::Stations)))
    }

    fn stations(&self) -> Result<Vec<StationInfo>, StoreError> {
        get(self).map_err(self.fail(Operation::Read(DataKind::Stations)))
    }
}
