//! Readings and indices over a range: `/api/v1/series` (stations × parameters × resolution ×
//! range) and `/api/v1/aqi` (stored hourly or daily AQI), as JSON or CSV, streamed.

use axum::extract::{RawQuery, State};
use axum::response::Response;
use chrono::TimeDelta;
use serde_json::json;

use super::json::{IndexJson, ReadingJson, time};
use super::params::Params;
use super::stream::{Csv, JsonArray, STREAM_PAGE, stream};
use crate::store::{
    DataKind, Filter, IndexQuery, IndexRecord, PageFn, ReadingQuery, Record, Resolution, Store,
};
use crate::units::Parameter;
use crate::web::auth::CurrentUser;
use crate::web::error::ApiError;
use crate::web::role::Permission;
use crate::web::state::AppState;

/// `json` (default) or `csv` (needs the export permission).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Csv,
}

fn format(params: &Params, user: &CurrentUser) -> Result<Format, ApiError> {
    match params.one("format")? {
        None | Some("json") => Ok(Format::Json),
        Some("csv") => {
            user.require(Permission::Export)?;
            Ok(Format::Csv)
        }
        Some(other) => Err(ApiError::bad_request(format!(
            "`format={other}`: json or csv"
        ))),
    }
}

/// `GET /api/v1/series?station=…&parameter=…&resolution=hour&from=…&to=…&format=json|csv`:
/// the readings of the stations and parameters (all when not given) at the resolution
/// (`sample`, `minute`, `hour` default, `day`) with label times in `[from, to)` (default the
/// last day); each series in time order.
pub(super) async fn series(
    State(state): State<AppState>,
    user: CurrentUser,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    user.require(Permission::Read)?;
    let params = Params::parse(query.as_deref());
    let format = format(&params, &user)?;
    let resolution = params
        .get::<Resolution>("resolution")?
        .unwrap_or(Resolution::Hour);
    let parameters: Vec<Parameter> = params.list("parameter")?;
    let (from, to) = params.range(state.zone, TimeDelta::days(1), None)?;
    let query = ReadingQuery::new(resolution, from, to)
        .for_stations(params.stations()?)
        .for_parameters(if parameters.is_empty() {
            Filter::All
        } else {
            Filter::only(parameters)
        });
    let zone = state.zone;
    let read = move |s: &dyn Store, each: &mut PageFn<'_, Record>| {
        s.readings_paged(&query, STREAM_PAGE, each)
    };
    Ok(match format {
        Format::Json => stream(
            &state.store,
            DataKind::Readings,
            JsonArray::new(
                format!(
                    "\"resolution\":\"{}\",\"from\":\"{}\",\"to\":\"{}\",",
                    resolution.code(),
                    time(from, zone),
                    time(to, zone)
                ),
                "records",
                move |r: &Record| json!(ReadingJson::of(r, zone)),
            ),
            read,
        ),
        Format::Csv => stream(
            &state.store,
            DataKind::Readings,
            Csv::new(
                &[
                    "station",
                    "parameter",
                    "resolution",
                    "time",
                    "value",
                    "unit",
                    "flag",
                    "count",
                ],
                move |r: &Record| {
                    let j = ReadingJson::of(r, zone);
                    vec![
                        j.station,
                        j.parameter.code().to_string(),
                        j.resolution.code().to_string(),
                        j.time,
                        j.value.to_string(),
                        j.unit.to_string(),
                        char::from(j.flag).to_string(),
                        j.count.to_string(),
                    ]
                },
            ),
            read,
        ),
    })
}

/// `GET /api/v1/aqi?station=…&resolution=hour|day&from=…&to=…&format=json|csv`: the stored
/// AQI (hourly by default) with sub-indices and primary pollutants.
pub(super) async fn aqi(
    State(state): State<AppState>,
    user: CurrentUser,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    user.require(Permission::Read)?;
    let params = Params::parse(query.as_deref());
    let format = format(&params, &user)?;
    let resolution = params
        .get::<Resolution>("resolution")?
        .unwrap_or(Resolution::Hour);
    if !matches!(resolution, Resolution::Hour | Resolution::Day) {
        return Err(ApiError::bad_request(format!(
            "`resolution={}`: the AQI is hourly or daily",
            resolution.code()
        )));
    }
    let default_span = match resolution {
        Resolution::Day => TimeDelta::days(31),
        _ => TimeDelta::days(1),
    };
    let (from, to) = params.range(state.zone, default_span, None)?;
    let query = IndexQuery::new(resolution, from, to).for_stations(params.stations()?);
    let zone = state.zone;
    let read = move |s: &dyn Store, each: &mut PageFn<'_, IndexRecord>| {
        s.indices_paged(&query, STREAM_PAGE, each)
    };
    Ok(match format {
        Format::Json => stream(
            &state.store,
            DataKind::Indices,
            JsonArray::new(String::new(), "records", move |r: &IndexRecord| {
                json!(IndexJson::of(r, zone))
            }),
            read,
        ),
        Format::Csv => stream(
            &state.store,
            DataKind::Indices,
            Csv::new(
                &[
                    "station",
                    "resolution",
                    "time",
                    "aqi",
                    "primary",
                    "standard",
                ],
                move |r: &IndexRecord| {
                    let j = IndexJson::of(r, zone);
                    vec![
                        j.station,
                        j.resolution.code().to_string(),
                        j.time,
                        j.aqi.map(|a| a.to_string()).unwrap_or_default(),
                        j.primary.join(";"),
                        j.standard.to_string(),
                    ]
                },
            ),
            read,
        ),
    })
}
