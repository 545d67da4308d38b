//! The `readings` table: samples and aggregates ([`Record`]s).

use rusqlite::{OptionalExtension, ToSql, params};

use super::{Query, Record, Resolution, SqliteStore, StationId, StoreError};
use crate::quality::Flag;
use crate::units::Parameter;

const INSERT: &str = "INSERT OR REPLACE INTO readings
    (station, parameter, resolution, time, value, flag, count) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
const COUNT: &str = "SELECT count(*) FROM readings WHERE resolution = ?1";
pub(super) const FIRST_PAIR: &str =
    "SELECT station, parameter FROM readings ORDER BY station, parameter LIMIT 1";
pub(super) const NEXT_PARAMETER: &str = "SELECT station, parameter FROM readings
    WHERE station = ?1 AND parameter > ?2 ORDER BY parameter LIMIT 1";
pub(super) const NEXT_STATION: &str = "SELECT station, parameter FROM readings
    WHERE station > ?1 ORDER BY station, parameter LIMIT 1";
pub(super) const LATEST_OF_PAIR: &str = "SELECT station, parameter, time, value, flag, count
    FROM readings WHERE station = ?1 AND parameter = ?2 AND resolution = ?3
    ORDER BY time DESC LIMIT 1";

/// [`Store::write`](super::Store::write).
pub(super) fn write(store: &mut SqliteStore, records: &[Record]) -> Result<usize, StoreError> {
    if records.is_empty() {
        return Ok(0);
    }
    store.write_tx(|tx| {
        let mut stmt = tx.prepare_cached(INSERT)?;
        for r in records {
            let value = (!r.value.is_nan()).then_some(r.value);
            stmt.execute(params![
                &*r.station,
                r.parameter.code(),
                r.resolution.code(),
                r.time.timestamp_millis(),
                value,
                flag_str(r.flag),
                r.count,
            ])?;
        }
        Ok::<_, rusqlite::Error>(())
    })?;
    Ok(records.len())
}

/// [`Store::read`](super::Store::read).
pub(super) fn read(store: &SqliteStore, query: &Query) -> Result<Vec<Record>, StoreError> {
    let mut out = Vec::new();
    if query.from >= query.to {
        return Ok(out);
    }
    let mut sql = String::from(
        "SELECT station, parameter, time, value, flag, count FROM readings
         WHERE resolution = ?1 AND time >= ?2 AND time < ?3",
    );
    super::push_in_list(&mut sql, "station", query.stations.len());
    super::push_in_list(&mut sql, "parameter", query.parameters.len());
    sql.push_str(" ORDER BY station, parameter, time");
    let res = query.resolution.code();
    let (from, to) = (query.from.timestamp_millis(), query.to.timestamp_millis());
    let codes: Vec<&'static str> = query.parameters.iter().map(|p| p.code()).collect();
    let mut args: Vec<&dyn ToSql> = vec![&res, &from, &to];
    args.extend(query.stations.iter().map(|s| s as &dyn ToSql));
    args.extend(codes.iter().map(|c| c as &dyn ToSql));
    let mut stmt = store.conn.prepare_cached(&sql).map_err(|e| store.sql(e))?;
    let mut rows = stmt.query(&args[..]).map_err(|e| store.sql(e))?;
    collect_rows(store, &mut rows, query.resolution, &mut out)?;
    sort_series(&mut out);
    Ok(out)
}

/// [`Store::latest`](super::Store::latest): skip-scans the distinct station × parameter pairs
/// of the primary key and fetches the newest record of each with one index seek.
pub(super) fn latest(
    store: &SqliteStore,
    resolution: Resolution,
    station: Option<&str>,
) -> Result<Vec<Record>, StoreError> {
    let mut out = Vec::new();
    let prepare = |sql| store.conn.prepare_cached(sql).map_err(|e| store.sql(e));
    let (mut first, mut next_parameter, mut next_station, mut one) = (
        prepare(FIRST_PAIR)?,
        prepare(NEXT_PARAMETER)?,
        prepare(NEXT_STATION)?,
        prepare(LATEST_OF_PAIR)?,
    );
    let pair = |r: &rusqlite::Row<'_>| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?));
    let mut next = match station {
        Some(s) => next_parameter.query_row(params![s, ""], pair),
        None => first.query_row([], pair),
    }
    .optional()
    .map_err(|e| store.sql(e))?;
    while let Some((s, p)) = next {
        let mut rows = one
            .query(params![s, p, resolution.code()])
            .map_err(|e| store.sql(e))?;
        collect_rows(store, &mut rows, resolution, &mut out)?;
        next = next_parameter
            .query_row(params![s, p], pair)
            .optional()
            .map_err(|e| store.sql(e))?;
        if next.is_none() && station.is_none() {
            next = next_station
                .query_row(params![s], pair)
                .optional()
                .map_err(|e| store.sql(e))?;
        }
    }
    sort_series(&mut out);
    Ok(out)
}

/// [`Store::count`](super::Store::count).
pub(super) fn count(store: &SqliteStore, resolution: Resolution) -> Result<u64, StoreError> {
    let n: i64 = store
        .conn
        .prepare_cached(COUNT)
        .and_then(|mut s| s.query_row([resolution.code()], |r| r.get(0)))
        .map_err(|e| store.sql(e))?;
    Ok(n.max(0).unsigned_abs())
}

/// Reads rows of `(station, parameter, time, value, flag, count)` into records.
fn collect_rows(
    store: &SqliteStore,
    rows: &mut rusqlite::Rows<'_>,
    resolution: Resolution,
    out: &mut Vec<Record>,
) -> Result<(), StoreError> {
    let mut station: Option<StationId> = None;
    while let Some(row) = rows.next().map_err(|e| store.sql(e))? {
        let name = store.text(row, 0)?;
        let station_id = super::intern(&mut station, name);
        let code = store.text(row, 1)?;
        let parameter = Parameter::from_code(code).ok_or_else(|| {
            store.corrupt(format!("unknown parameter code `{code}` (station {name})"))
        })?;
        let time = store.time(row, 2, name)?;
        let value: Option<f64> = row.get(3).map_err(|e| store.sql(e))?;
        let flag_code = store.text(row, 4)?;
        let flag: Flag = flag_code.parse().map_err(|_| {
            store.corrupt(format!(
                "unknown flag `{flag_code}` ({name} {code} at {time})"
            ))
        })?;
        let count: i64 = row.get(5).map_err(|e| store.sql(e))?;
        let count = u32::try_from(count).map_err(|_| {
            store.corrupt(format!(
                "count {count} out of range ({name} {code} at {time})"
            ))
        })?;
        out.push(Record {
            station: station_id,
            parameter,
            resolution,
            time,
            value: value.unwrap_or(f64::NAN),
            flag,
            count,
        });
    }
    Ok(())
}

/// Sorts records by station, then [`Parameter`] order, keeping time order within each series.
fn sort_series(records: &mut [Record]) {
    records.sort_by(|a, b| {
        a.station
            .cmp(&b.station)
            .then(a.parameter.cmp(&b.parameter))
    });
}

fn flag_str(flag: Flag) -> &'static str {
    match flag {
        Flag::Normal => "N",
        Flag::Stopped => "F",
        Flag::Maintenance => "M",
        Flag::Manual => "S",
        Flag::Fault => "D",
        Flag::Calibration => "C",
        Flag::OverRange => "T",
        Flag::CommError => "B",
    }
}
