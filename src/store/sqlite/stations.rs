//! The `stations` table: [`StationInfo`] by id.

use rusqlite::params;

use super::{SqliteStore, StationInfo, StoreError};

const INSERT: &str = "INSERT OR REPLACE INTO stations
    (id, name, name_en, district, lat, lon, time_zone) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
const SELECT: &str =
    "SELECT id, name, name_en, district, lat, lon, time_zone FROM stations ORDER BY id";

/// [`Store::put_stations`](super::Store::put_stations).
pub(super) fn put(store: &mut SqliteStore, stations: &[StationInfo]) -> Result<(), StoreError> {
    for s in stations {
        check_coordinate(store, s, "lat", s.lat, 90.0)?;
        check_coordinate(store, s, "lon", s.lon, 180.0)?;
    }
    if stations.is_empty() {
        return Ok(());
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
            ])?;
        }
        Ok::<_, rusqlite::Error>(())
    })
}

/// [`Store::stations`](super::Store::stations).
pub(super) fn get(store: &SqliteStore) -> Result<Vec<StationInfo>, StoreError> {
    let sql = |e| store.sql(e);
    let mut stmt = store.conn.prepare_cached(SELECT).map_err(sql)?;
    let mut rows = stmt.query([]).map_err(sql)?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().map_err(sql)? {
        let id: String = r.get(0).map_err(sql)?;
        let zone = store.text(r, 6)?;
        let time_zone = zone
            .parse::<chrono_tz::Tz>()
            .map_err(|_| store.corrupt(format!("unknown time zone `{zone}` (station {id})")))?;
        out.push(StationInfo {
            name: r.get(1).map_err(sql)?,
            name_en: r.get(2).map_err(sql)?,
            district: r.get(3).map_err(sql)?,
            lat: r.get(4).map_err(sql)?,
            lon: r.get(5).map_err(sql)?,
            time_zone,
            id,
        });
    }
    Ok(out)
}

/// Rejects a latitude / longitude that is not finite or beyond ±`limit` degrees (SQLite would
/// turn a NaN into `NULL`, i.e. "unknown", silently).
fn check_coordinate(
    store: &SqliteStore,
    station: &StationInfo,
    name: &str,
    value: Option<f64>,
    limit: f64,
) -> Result<(), StoreError> {
    match value {
        Some(v) if !(v.is_finite() && v.abs() <= limit) => Err(store.invalid(format!(
            "{name} = {v} of station {} (must be within ±{limit}°)",
            station.id
        ))),
        _ => Ok(()),
    }
}
