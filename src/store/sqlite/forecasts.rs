//! The `forecast_hours` and `forecast_days` tables: issued forecasts ([`ForecastHour`],
//! [`ForecastDay`]).

use chrono::NaiveDate;
use rusqlite::ToSql;

use super::{ForecastDay, ForecastHour, ForecastQuery, SqliteStore, StoreError};
use crate::store::ForecastAxis;
use crate::store::forecast::{
    check, join_missing, join_parameters, join_pollutants, sort_days, sort_hours, split_missing,
    split_parameters, split_pollutants,
};

const INSERT_HOUR: &str = "INSERT OR REPLACE INTO forecast_hours
    (station, parameter, issued, valid, value, model) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
const INSERT_DAY: &str = "INSERT OR REPLACE INTO forecast_days
    (station, time, issued, date, aqi, primary_pollutants, pm25, pm10, o3_8h_max, model,
     abstained, missing, aqi_low, aqi_high)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";

/// [`Store::write_forecasts`](super::Store::write_forecasts): checks everything, then writes
/// in one transaction.
pub(super) fn write(
    store: &mut SqliteStore,
    hours: &[ForecastHour],
    days: &[ForecastDay],
) -> Result<usize, StoreError> {
    check(hours, days).map_err(|what| store.invalid(what))?;
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
                join_parameters(&d.abstained),
                join_missing(&d.missing),
                d.aqi_low,
                d.aqi_high,
            ])?;
        }
        Ok::<_, rusqlite::Error>(())
    })?;
    Ok(hours.len() + days.len())
}

/// `SELECT <columns> FROM <table> WHERE <axis column> in range [AND station IN (…)]`, with its
/// arguments.
fn select(
    columns: &str,
    table: &str,
    valid_column: &str,
    query: &ForecastQuery,
) -> (String, Vec<Box<dyn ToSql>>) {
    let column = match query.axis {
        ForecastAxis::Valid => valid_column,
        ForecastAxis::Issued => "issued",
    };
    let mut sql = format!("SELECT {columns} FROM {table} WHERE {column} >= ? AND {column} < ?");
    super::push_in_list(&mut sql, "station", query.stations.len());
    let mut args: Vec<Box<dyn ToSql>> = vec![
        Box::new(query.from.timestamp_millis()),
        Box::new(query.to.timestamp_millis()),
    ];
    args.extend(
        query
            .stations
            .iter()
            .map(|s| Box::new(s.to_string()) as Box<dyn ToSql>),
    );
    (sql, args)
}

/// [`Store::read_forecast_hours`](super::Store::read_forecast_hours).
pub(super) fn read_hours(
    store: &SqliteStore,
    query: &ForecastQuery,
) -> Result<Vec<ForecastHour>, StoreError> {
    let mut out = Vec::new();
    if query.from >= query.to {
        return Ok(out);
    }
    let (sql, args) = select(
        "station, parameter, issued, valid, value, model",
        "forecast_hours",
        "valid",
        query,
    );
    let e = |e| store.sql(e);
    let mut stmt = store.conn.prepare_cached(&sql).map_err(e)?;
    let mut rows = stmt
        .query(rusqlite::params_from_iter(args.iter()))
        .map_err(e)?;
    let mut station = None;
    while let Some(row) = rows.next().map_err(e)? {
        let name = store.text(row, 0)?;
        let code = store.text(row, 1)?;
        out.push(ForecastHour {
            station: super::intern(&mut station, name),
            parameter: code
                .parse()
                .map_err(|err| store.corrupt(format!("{err} (forecast of {name})")))?,
            issued: store.time(row, 2, name)?,
            valid: store.time(row, 3, name)?,
            value: row.get(4).map_err(e)?,
            model: store.text(row, 5)?.to_string(),
        });
    }
    sort_hours(&mut out);
    Ok(out)
}

/// [`Store::read_forecast_days`](super::Store::read_forecast_days).
pub(super) fn read_days(
    store: &SqliteStore,
    query: &ForecastQuery,
) -> Result<Vec<ForecastDay>, StoreError> {
    let mut out = Vec::new();
    if query.from >= query.to {
        return Ok(out);
    }
    let (sql, args) = select(
        "station, time, issued, date, aqi, primary_pollutants, pm25, pm10, o3_8h_max, model, \
         abstained, missing, aqi_low, aqi_high",
        "forecast_days",
        "time",
        query,
    );
    let e = |e| store.sql(e);
    let mut stmt = store.conn.prepare_cached(&sql).map_err(e)?;
    let mut rows = stmt
        .query(rusqlite::params_from_iter(args.iter()))
        .map_err(e)?;
    let mut station = None;
    while let Some(row) = rows.next().map_err(e)? {
        let name = store.text(row, 0)?;
        let corrupt = |what: String| store.corrupt(format!("{what} (daily forecast of {name})"));
        let date = store.text(row, 3)?;
        let whole = |i: usize, what: &str| -> Result<Option<u32>, StoreError> {
            let v: Option<i64> = row.get(i).map_err(e)?;
            v.map(|v| u32::try_from(v).map_err(|_| corrupt(format!("{what} {v}"))))
                .transpose()
        };
        out.push(ForecastDay {
            station: super::intern(&mut station, name),
            time: store.time(row, 1, name)?,
            issued: store.time(row, 2, name)?,
            date: date
                .parse::<NaiveDate>()
                .map_err(|_| corrupt(format!("date `{date}`")))?,
            aqi: whole(4, "AQI")?,
            aqi_low: whole(12, "AQI range low")?,
            aqi_high: whole(13, "AQI range high")?,
            primary: split_pollutants(store.text(row, 5)?).map_err(corrupt)?,
            pm25: row.get(6).map_err(e)?,
            pm10: row.get(7).map_err(e)?,
            o3_8h_max: row.get(8).map_err(e)?,
            model: store.text(row, 9)?.to_string(),
            abstained: split_parameters(store.text(row, 10)?).map_err(corrupt)?,
            missing: split_missing(store.text(row, 11)?),
        });
    }
    sort_days(&mut out);
    Ok(out)
}
