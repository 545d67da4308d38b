//! The `forecast_hours` and `forecast_days` tables: issued forecasts ([`ForecastHour`],
//! [`ForecastDay`]).

use chrono::NaiveDate;
use rusqlite::{Row, ToSql};

use super::write_counts::{Counter, bump};
use super::{Fail, SqliteStore, StationId};
use crate::store::forecasts::{
    check, join_missing, join_pollutants, join_targets, split_missing, split_pollutants,
    split_targets,
};
use crate::store::select::PageFn;
use crate::store::{
    DataKind, ForecastAxis, ForecastDay, ForecastHour, ForecastQuery, ForecastStore, Operation,
    StoreError, TimeSpan,
};

const INSERT_HOUR: &str = "INSERT OR REPLACE INTO forecast_hours
    (station, parameter, issued, valid, value, model) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
const INSERT_DAY: &str = "INSERT OR REPLACE INTO forecast_days
    (station, time, issued, date, aqi, primary_pollutants, pm25, pm10, o3_8h_max, model,
     abstained, missing, aqi_low, aqi_high)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";
/// The earliest and latest issue time of either table: seeks on the `issued` indexes.
const ISSUE_SPAN: [&str; 4] = [
    "SELECT issued FROM forecast_hours ORDER BY issued LIMIT 1",
    "SELECT issued FROM forecast_hours ORDER BY issued DESC LIMIT 1",
    "SELECT issued FROM forecast_days ORDER BY issued LIMIT 1",
    "SELECT issued FROM forecast_days ORDER BY issued DESC LIMIT 1",
];
const HOUR_COLUMNS: &str = "station, parameter, issued, valid, value, model";
const DAY_COLUMNS: &str = "station, time, issued, date, aqi, primary_pollutants, pm25, pm10, \
    o3_8h_max, model, abstained, missing, aqi_low, aqi_high";

const READ: Operation = Operation::Read(DataKind::Forecasts);

/// Checks everything, then writes in one transaction.
fn write(
    store: &mut SqliteStore,
    hours: &[ForecastHour],
    days: &[ForecastDay],
) -> Result<usize, Fail> {
    check(hours, days).map_err(Fail::Rejected)?;
    if hours.is_empty() && days.is_empty() {
        return Ok(0);
    }
    store.write_tx(|tx| {
        let mut stmt = tx.prepare_cached(INSERT_HOUR)?;
        for h in hours {
            stmt.execute(rusqlite::params![
                &*h.station,
                h.parameter.code(),
                h.issued.timestamp_millis(),
                h.valid.timestamp_millis(),
                h.value,
                h.model,
            ])?;
        }
        let mut stmt = tx.prepare_cached(INSERT_DAY)?;
        for d in days {
            stmt.execute(rusqlite::params![
                &*d.station,
                d.time.timestamp_millis(),
                d.issued.timestamp_millis(),
                d.date.to_string(),
                d.aqi,
                join_pollutants(&d.primary),
                d.pm25,
                d.pm10,
                d.o3_8h_max,
                d.model,
                join_targets(&d.abstained),
                join_missing(&d.missing),
                d.aqi_low,
                d.aqi_high,
            ])?;
        }
        bump(tx, Counter::Forecasts)
    })?;
    Ok(hours.len() + days.len())
}

/// `SELECT <columns> FROM <table> WHERE <axis column> in range [AND station IN (…)]`, its
/// rows read by `from_row` and handed out a page at a time.
fn read_paged<T>(
    store: &SqliteStore,
    (columns, table, valid_column): (&str, &str, &str),
    query: &ForecastQuery,
    page_size: usize,
    from_row: impl Fn(&Row<'_>, &mut Option<StationId>) -> Result<T, Fail>,
    each: &mut PageFn<'_, T>,
) -> Result<(), Fail> {
    if query.is_empty() {
        return Ok(());
    }
    let column = match query.axis {
        ForecastAxis::Valid => valid_column,
        ForecastAxis::Issued => "issued",
    };
    let mut sql = format!("SELECT {columns} FROM {table} WHERE {column} >= ? AND {column} < ?");
    let mut args: Vec<Box<dyn ToSql>> = vec![
        Box::new(query.from.timestamp_millis()),
        Box::new(query.to.timestamp_millis()),
    ];
    super::push_in_list(&mut sql, &mut args, "station", &query.stations);
    let mut station = None;
    store.query_paged(
        &sql,
        &args,
        page_size,
        |row| from_row(row, &mut station),
        each,
    )
}

/// A row of [`HOUR_COLUMNS`] as a forecast.
fn hour_from_row(
    store: &SqliteStore,
    row: &Row<'_>,
    station: &mut Option<StationId>,
) -> Result<ForecastHour, Fail> {
    let name = store.text(row, 0)?;
    let code = store.text(row, 1)?;
    Ok(ForecastHour {
        station: super::intern(station, name),
        parameter: code
            .parse()
            .map_err(|err| Fail::Corrupt(format!("{err} (forecast of {name})")))?,
        issued: store.time(row, 2, name)?,
        valid: store.time(row, 3, name)?,
        value: row.get(4)?,
        model: store.text(row, 5)?.to_string(),
    })
}

/// A row of [`DAY_COLUMNS`] as a daily forecast.
fn day_from_row(
    store: &SqliteStore,
    row: &Row<'_>,
    station: &mut Option<StationId>,
) -> Result<ForecastDay, Fail> {
    let name = store.text(row, 0)?;
    let corrupt = |what: String| Fail::Corrupt(format!("{what} (daily forecast of {name})"));
    let date = store.text(row, 3)?;
    let whole = |i: usize, what: &str| -> Result<Option<u32>, Fail> {
        let v: Option<i64> = row.get(i)?;
        v.map(|v| u32::try_from(v).map_err(|_| corrupt(format!("{what} {v}"))))
            .transpose()
    };
    Ok(ForecastDay {
        station: super::intern(station, name),
        time: store.time(row, 1, name)?,
        issued: store.time(row, 2, name)?,
        date: date
            .parse::<NaiveDate>()
            .map_err(|_| corrupt(format!("date `{date}`")))?,
        aqi: whole(4, "AQI")?,
        aqi_low: whole(12, "AQI range low")?,
        aqi_high: whole(13, "AQI range high")?,
        primary: split_pollutants(store.text(row, 5)?).map_err(corrupt)?,
        pm25: row.get(6)?,
        pm10: row.get(7)?,
        o3_8h_max: row.get(8)?,
        model: store.text(row, 9)?.to_string(),
        abstained: split_targets(store.text(row, 10)?).map_err(corrupt)?,
        missing: split_missing(store.text(row, 11)?).map_err(corrupt)?,
    })
}

impl ForecastStore for SqliteStore {
    fn put_forecasts(
        &mut self,
        hours: &[ForecastHour],
        days: &[ForecastDay],
    ) -> Result<usize, StoreError> {
        write(self, hours, days).map_err(self.fail(Operation::Put(DataKind::Forecasts)))
    }

    fn forecast_hours_paged(
        &self,
        query: &ForecastQuery,
        page_size: usize,
        each: &mut PageFn<'_, ForecastHour>,
    ) -> Result<(), StoreError> {
        let table = (HOUR_COLUMNS, "forecast_hours", "valid");
        let from_row = |row: &Row<'_>, station: &mut _| hour_from_row(self, row, station);
        read_paged(self, table, query, page_size, from_row, each).map_err(self.fail(READ))
    }

    fn forecast_days_paged(
        &self,
        query: &ForecastQuery,
        page_size: usize,
        each: &mut PageFn<'_, ForecastDay>,
    ) -> Result<(), StoreError> {
        let table = (DAY_COLUMNS, "forecast_days", "time");
        let from_row = |row: &Row<'_>, station: &mut _| day_from_row(self, row, station);
        read_paged(self, table, query, page_size, from_row, each).map_err(self.fail(READ))
    }

    fn forecasts_span(&self) -> Result<Option<TimeSpan>, StoreError> {
        self.span(&ISSUE_SPAN, &[], "forecasts")
            .map_err(self.fail(READ))
    }
}
