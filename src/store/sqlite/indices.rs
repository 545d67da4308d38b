//! The `indices` table: computed hourly and daily AQI ([`IndexRecord`]s).

use enum_map::EnumMap;
use rusqlite::{Row, ToSql};

use super::write_counts::{Counter, bump};
use super::{Fail, SqliteStore, StationId};
use crate::aqi::{Pollutant, Standard};
use crate::store::indices::{join_pollutants, split_pollutants};
use crate::store::select::PageFn;
use crate::store::{
    DataKind, IndexQuery, IndexRecord, IndexStore, IndexTerm, Operation, Resolution, StoreError,
    TimeSpan,
};

/// The term columns, three per [`Pollutant::ALL`] entry, in that order.
macro_rules! term_columns {
    () => {
        "so2_c, so2_iaqi, so2_n, no2_c, no2_iaqi, no2_n, pm10_c, pm10_iaqi, pm10_n, \
         pm25_c, pm25_iaqi, pm25_n, co_c, co_iaqi, co_n, o3_1h_c, o3_1h_iaqi, o3_1h_n, \
         o3_8h_c, o3_8h_iaqi, o3_8h_n"
    };
}
#[cfg(test)]
pub(super) const TERM_COLUMNS: &str = term_columns!();

const INSERT: &str = concat!(
    "INSERT OR REPLACE INTO indices (station, resolution, time, standard, aqi, \
     primary_pollutants, ",
    term_columns!(),
    ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
);
/// Columns 0–4, then the terms from [`FIRST_TERM`]; then the resolution and the time range.
pub(super) const SELECT: &str = concat!(
    "SELECT station, time, standard, aqi, primary_pollutants, ",
    term_columns!(),
    " FROM indices WHERE resolution = ? AND time >= ? AND time < ?"
);
/// The earliest and latest label time at a resolution: seeks on `indices_by_time`.
const FIRST_TIME: &str = "SELECT time FROM indices WHERE resolution = ?1 ORDER BY time LIMIT 1";
const LAST_TIME: &str = "SELECT time FROM indices WHERE resolution = ?1 ORDER BY time DESC LIMIT 1";
/// The column of the first term in [`SELECT`].
const FIRST_TERM: usize = 5;

/// Checks every record before writing any.
fn write(store: &mut SqliteStore, records: &[IndexRecord]) -> Result<usize, Fail> {
    for r in records {
        check(r)?;
    }
    if records.is_empty() {
        return Ok(0);
    }
    // Key order: each page changed once per transaction (see `readings::write`).
    let mut in_key_order: Vec<&IndexRecord> = records.iter().collect();
    in_key_order.sort_by(|a, b| {
        (&*a.station, a.resolution.code(), a.time).cmp(&(&*b.station, b.resolution.code(), b.time))
    });
    store.write_tx(|tx| {
        let mut stmt = tx.prepare_cached(INSERT)?;
        for r in in_key_order {
            let (resolution, time) = (r.resolution.code(), r.time.timestamp_millis());
            let (standard, primary) = (r.standard.name(), join_pollutants(&r.primary));
            let terms = r.terms.map(|_, t| match t {
                Some(t) => (Some(t.concentration), t.iaqi, Some(t.valid)),
                None => (None, None, None),
            });
            let mut args: Vec<&dyn ToSql> = Vec::with_capacity(FIRST_TERM + 1 + 3 * terms.len());
            args.extend([
                &r.station as &dyn ToSql,
                &resolution,
                &time,
                &standard,
                &r.aqi,
                &primary,
            ]);
            for (c, iaqi, n) in terms.values() {
                args.extend([c as &dyn ToSql, iaqi, n]);
            }
            stmt.execute(&args[..])?;
        }
        if records.iter().any(|r| r.resolution == Resolution::Day) {
            bump(tx, Counter::DailyIndices)?;
        }
        if records.iter().any(|r| r.resolution == Resolution::Hour) {
            bump(tx, Counter::HourlyIndices)?;
        }
        Ok::<_, rusqlite::Error>(())
    })?;
    Ok(records.len())
}

/// Rejects what the table cannot keep: resolutions other than hours and days, NaN
/// concentrations (SQLite would store `NULL`, an absent term).
fn check(r: &IndexRecord) -> Result<(), Fail> {
    let whose = || format!("index of station {} at {}", r.station, r.time);
    if !matches!(r.resolution, Resolution::Hour | Resolution::Day) {
        return Err(Fail::Rejected(format!(
            "{} at resolution {} (indices are hourly or daily)",
            whose(),
            r.resolution
        )));
    }
    for (p, term) in &r.terms {
        if term.is_some_and(|t| t.concentration.is_nan()) {
            return Err(Fail::Rejected(format!(
                "NaN {} concentration ({})",
                p.code(),
                whose()
            )));
        }
    }
    Ok(())
}

/// The indices of `query`, each station's in time order
/// ([`series_order`](super::readings::series_order)).
fn read_paged(
    store: &SqliteStore,
    query: &IndexQuery,
    page_size: usize,
    each: &mut PageFn<'_, IndexRecord>,
) -> Result<(), Fail> {
    if query.is_empty() {
        return Ok(());
    }
    let mut sql = String::from(SELECT);
    let mut args: Vec<Box<dyn ToSql>> = vec![
        Box::new(query.resolution.code()),
        Box::new(query.from.timestamp_millis()),
        Box::new(query.to.timestamp_millis()),
    ];
    super::push_in_list(&mut sql, &mut args, "station", &query.stations);
    sql.push_str(super::readings::series_order(
        &query.stations,
        " ORDER BY station, time",
    ));
    let mut station = None;
    let from_row = |row: &Row<'_>| from_row(store, row, query.resolution, &mut station);
    store.query_paged(&sql, &args, page_size, from_row, each)
}

/// One row of [`SELECT`] as a record.
fn from_row(
    store: &SqliteStore,
    row: &Row<'_>,
    resolution: Resolution,
    last_station: &mut Option<StationId>,
) -> Result<IndexRecord, Fail> {
    let name = store.text(row, 0)?;
    let station = super::intern(last_station, name);
    let time = store.time(row, 1, name)?;
    let corrupt = |what: String| Fail::Corrupt(format!("{what} (index of {name} at {time})"));

    let standard_name = store.text(row, 2)?;
    let standard: Standard = standard_name
        .parse()
        .map_err(|_| corrupt(format!("unknown standard `{standard_name}`")))?;
    let aqi: Option<i64> = row.get(3)?;
    let aqi = aqi
        .map(|v| u32::try_from(v).map_err(|_| corrupt(format!("AQI {v} out of range"))))
        .transpose()?;
    let primary = split_pollutants(store.text(row, 4)?).map_err(corrupt)?;

    let mut terms: EnumMap<Pollutant, Option<IndexTerm>> = EnumMap::default();
    for (i, (p, term)) in terms.iter_mut().enumerate() {
        let col = FIRST_TERM + 3 * i;
        let c: Option<f64> = row.get(col)?;
        let iaqi: Option<i64> = row.get(col + 1)?;
        let n: Option<i64> = row.get(col + 2)?;
        *term = match (c, iaqi, n) {
            (None, None, None) => None,
            (Some(concentration), iaqi, Some(n)) => Some(IndexTerm {
                concentration,
                iaqi: iaqi
                    .map(|v| {
                        u32::try_from(v)
                            .map_err(|_| corrupt(format!("{} IAQI {v} out of range", p.code())))
                    })
                    .transpose()?,
                valid: u8::try_from(n)
                    .map_err(|_| corrupt(format!("{} valid count {n} out of range", p.code())))?,
            }),
            _ => return Err(corrupt(format!("incomplete {} term", p.code()))),
        };
    }
    Ok(IndexRecord {
        station,
        resolution,
        time,
        standard,
        aqi,
        primary,
        terms,
    })
}

impl IndexStore for SqliteStore {
    fn put_indices(&mut self, records: &[IndexRecord]) -> Result<usize, StoreError> {
        write(self, records).map_err(self.fail(Operation::Put(DataKind::Indices)))
    }

    fn indices_paged(
        &self,
        query: &IndexQuery,
        page_size: usize,
        each: &mut PageFn<'_, IndexRecord>,
    ) -> Result<(), StoreError> {
        read_paged(self, query, page_size, each)
            .map_err(self.fail(Operation::Read(DataKind::Indices)))
    }

    fn indices_span(&self, resolution: Resolution) -> Result<Option<TimeSpan>, StoreError> {
        self.span(&[FIRST_TIME, LAST_TIME], &[&resolution.code()], "indices")
            .map_err(self.fail(Operation::Read(DataKind::Indices)))
    }
}
