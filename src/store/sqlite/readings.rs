//! The `readings` table: samples and aggregates ([`Record`]s).

use rusqlite::{OptionalExtension, ToSql, params};

use super::write_counts::{Counter, bump};
use super::{Fail, SqliteStore, StationId};
use crate::quality::Flag;
use crate::store::readings::sort_series;
use crate::store::select::{Filter, PageFn};
use crate::store::{
    DataKind, Operation, ReadingQuery, ReadingStore, Record, Resolution, Stations, StoreError,
    TimeSpan,
};
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
/// The earliest and latest label time at a resolution (`?1`): seeks on `readings_by_time`.
const FIRST_TIME: &str = "SELECT time FROM readings WHERE resolution = ?1 ORDER BY time LIMIT 1";
const LAST_TIME: &str =
    "SELECT time FROM readings WHERE resolution = ?1 ORDER BY time DESC LIMIT 1";

const PUT: Operation = Operation::Put(DataKind::Readings);
const READ: Operation = Operation::Read(DataKind::Readings);

fn write(store: &mut SqliteStore, records: &[Record]) -> Result<usize, Fail> {
    if records.is_empty() {
        return Ok(0);
    }
    // In key order each B-tree page is changed once per transaction; in arrival order (a
    // national file is ordered by time: every series' tail in turn) a batch changes a page
    // per record, and the WAL grows by as many pages. The sort is stable: of two records of
    // one key, the later still wins.
    let mut in_key_order: Vec<&Record> = records.iter().collect();
    in_key_order.sort_by(|a, b| {
        (&*a.station, a.parameter.code(), a.resolution.code(), a.time).cmp(&(
            &*b.station,
            b.parameter.code(),
            b.resolution.code(),
            b.time,
        ))
    });
    store.write_tx(|tx| {
        let mut stmt = tx.prepare_cached(INSERT)?;
        for r in in_key_order {
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
        bump(tx, Counter::Readings)
    })?;
    Ok(records.len())
}

/// The records of `query`, each series in time order ([`series_order`]).
fn read_paged(
    store: &SqliteStore,
    query: &ReadingQuery,
    page_size: usize,
    each: &mut PageFn<'_, Record>,
) -> Result<(), Fail> {
    if query.is_empty() {
        return Ok(());
    }
    let (sql, args) = select(query);
    let mut station = None;
    let from_row = |row: &rusqlite::Row<'_>| from_row(store, row, query.resolution, &mut station);
    store.query_paged(&sql, &args, page_size, from_row, each)
}

/// The statement of a paged read of `query`, with its arguments.
pub(super) fn select(query: &ReadingQuery) -> (String, Vec<Box<dyn ToSql>>) {
    let mut sql = String::from(
        "SELECT station, parameter, time, value, flag, count FROM readings
         WHERE resolution = ? AND time >= ? AND time < ?",
    );
    let mut args: Vec<Box<dyn ToSql>> = vec![
        Box::new(query.resolution.code()),
        Box::new(query.from.timestamp_millis()),
        Box::new(query.to.timestamp_millis()),
    ];
    super::push_in_list(&mut sql, &mut args, "station", &query.stations);
    // Listed stations with every parameter list every parameter too: the primary key
    // (station, parameter, resolution, time) is then sought per series, where with the
    // parameter unconstrained SQLite reads the range of every station from `readings_by_time`
    // and keeps the listed ones (one station's day of minutes read 33 days' worth of rows
    // for the demo network's health report).
    let codes: Filter<&'static str> = match (query.parameters.listed(), &query.stations) {
        (None, Stations::All) => Filter::All,
        (None, Stations::Only(_)) => Filter::only(Parameter::ALL.iter().map(|p| p.code())),
        (Some(ps), _) => Filter::only(ps.iter().map(|p| p.code())),
    };
    super::push_in_list(&mut sql, &mut args, "parameter", &codes);
    sql.push_str(series_order(
        &query.stations,
        " ORDER BY station, parameter, time",
    ));
    (sql, args)
}

/// The `ORDER BY` of a paged read that keeps every series in time order without sorting the
/// whole range: of listed stations, the primary key's order (`by_key`: the planner seeks each
/// station's series); of all stations, time (the `*_by_time` index's order: rows stream from
/// the first page on, where ordering by series would sort the whole range before the first
/// row).
pub(super) fn series_order(stations: &Stations, by_key: &'static str) -> &'static str {
    match stations {
        Stations::All => " ORDER BY time",
        Stations::Only(_) => by_key,
    }
}

/// Skip-scans the distinct station × parameter pairs of the primary key (of every station, or
/// of each selected one) and fetches the newest record of each with one index seek:
/// O(pairs · log n), not O(n).
fn latest(
    store: &SqliteStore,
    resolution: Resolution,
    stations: &Stations,
) -> Result<Vec<Record>, Fail> {
    let mut out = Vec::new();
    let prepare = |sql| store.conn.prepare_cached(sql);
    let (mut first, mut next_parameter, mut next_station, mut one) = (
        prepare(FIRST_PAIR)?,
        prepare(NEXT_PARAMETER)?,
        prepare(NEXT_STATION)?,
        prepare(LATEST_OF_PAIR)?,
    );
    let pair = |r: &rusqlite::Row<'_>| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?));
    // Where each walk starts: the first pair of the table, or of each selected station.
    let starts: Vec<Option<(String, String)>> = match stations.listed() {
        None => vec![first.query_row([], pair).optional()?],
        Some(ids) => {
            let mut ids: Vec<&str> = ids.iter().map(|s| &**s).collect();
            ids.sort_unstable();
            ids.dedup();
            ids.into_iter()
                .map(|s| next_parameter.query_row(params![s, ""], pair).optional())
                .collect::<Result<_, _>>()?
        }
    };
    let mut last_station = None;
    for mut next in starts {
        while let Some((s, p)) = next {
            let mut rows = one.query(params![s, p, resolution.code()])?;
            while let Some(row) = rows.next()? {
                out.push(from_row(store, row, resolution, &mut last_station)?);
            }
            next = next_parameter.query_row(params![s, p], pair).optional()?;
            if next.is_none() && stations.listed().is_none() {
                next = next_station.query_row(params![s], pair).optional()?;
            }
        }
    }
    sort_series(&mut out);
    Ok(out)
}

fn count(store: &SqliteStore, resolution: Resolution) -> Result<u64, Fail> {
    let n: i64 = store
        .conn
        .prepare_cached(COUNT)?
        .query_row([resolution.code()], |r| r.get(0))?;
    Ok(n.max(0).unsigned_abs())
}

/// One row of `(station, parameter, time, value, flag, count)` as a record.
fn from_row(
    store: &SqliteStore,
    row: &rusqlite::Row<'_>,
    resolution: Resolution,
    station: &mut Option<StationId>,
) -> Result<Record, Fail> {
    let name = store.text(row, 0)?;
    let station_id = super::intern(station, name);
    let code = store.text(row, 1)?;
    let parameter = Parameter::from_code(code).ok_or_else(|| {
        Fail::Corrupt(format!("unknown parameter code `{code}` (station {name})"))
    })?;
    let time = store.time(row, 2, name)?;
    let value: Option<f64> = row.get(3)?;
    let flag_code = store.text(row, 4)?;
    let flag: Flag = flag_code.parse().map_err(|_| {
        Fail::Corrupt(format!(
            "unknown flag `{flag_code}` ({name} {code} at {time})"
        ))
    })?;
    let count: i64 = row.get(5)?;
    let count = u32::try_from(count).map_err(|_| {
        Fail::Corrupt(format!(
            "count {count} out of range ({name} {code} at {time})"
        ))
    })?;
    Ok(Record {
        station: station_id,
        parameter,
        resolution,
        time,
        value: value.unwrap_or(f64::NAN),
        flag,
        count,
    })
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

impl ReadingStore for SqliteStore {
    fn put_readings(&mut self, records: &[Record]) -> Result<usize, StoreError> {
        write(self, records).map_err(self.fail(PUT))
    }

    fn readings_paged(
        &self,
        query: &ReadingQuery,
        page_size: usize,
        each: &mut PageFn<'_, Record>,
    ) -> Result<(), StoreError> {
        read_paged(self, query, page_size, each).map_err(self.fail(READ))
    }

    fn latest_readings(
        &self,
        resolution: Resolution,
        stations: &Stations,
    ) -> Result<Vec<Record>, StoreError> {
        latest(self, resolution, stations).map_err(self.fail(READ))
    }

    fn count_readings(&self, resolution: Resolution) -> Result<u64, StoreError> {
        count(self, resolution).map_err(self.fail(READ))
    }

    fn readings_span(&self, resolution: Resolution) -> Result<Option<TimeSpan>, StoreError> {
        self.span(&[FIRST_TIME, LAST_TIME], &[&resolution.code()], "readings")
            .map_err(self.fail(READ))
    }
}
