//! What operations watch: device health, source flags, forecasts, job runs.

use axum::Json;
use axum::extract::{RawQuery, State};
use chrono::TimeDelta;
use serde::Serialize;
use serde_json::{Value, json};

use super::json::time;
use super::params::{Paged, Params};
use crate::store::{
    DeviceHealth, Filter, ForecastAxis, ForecastQuery, JobOutcome, JobRunQuery, Jobs,
    SourceFlagQuery,
};
use crate::web::auth::{Require, need};
use crate::web::error::ApiError;
use crate::web::state::AppState;

/// A device's health with times in the network's zone.
#[derive(Debug, Serialize)]
struct HealthJson {
    #[serde(flatten)]
    health: DeviceHealth,
    success_ratio: f64,
    problem: bool,
}

/// `GET /api/v1/health?station=…&problems=true`: every device's health (online, success
/// ratio, latency, status bits, last error), problems only when asked.
pub(super) async fn health(
    State(state): State<AppState>,
    _user: Require<need::Read>,
    RawQuery(query): RawQuery,
) -> Result<Json<Vec<Value>>, ApiError> {
    let params = Params::parse(query.as_deref());
    let problems = params.get::<bool>("problems")?.unwrap_or(false);
    let only = params.stations()?;
    let zone = state.zone;
    let devices = state.store.with(|s| Ok(s.health()?)).await?;
    Ok(Json(
        devices
            .into_iter()
            .filter(|d| only.contains(d.station.as_str()))
            .filter(|d| !problems || d.has_problem())
            .map(|d| {
                let mut v = json!(HealthJson {
                    success_ratio: d.success_ratio(),
                    problem: d.has_problem(),
                    health: d.clone(),
                });
                for (field, t) in [
                    ("last_success", d.last_success),
                    ("last_attempt", d.last_attempt),
                    ("last_failure", d.last_failure),
                ] {
                    v[field] = t.map(|t| time(t, zone)).into();
                }
                v
            })
            .collect(),
    ))
}

/// `GET /api/v1/source-flags?station=…&from=…&to=…&limit=&offset=`: source flags of episodes
/// starting in the range (default the last 30 days), most severe first.
pub(super) async fn source_flags(
    State(state): State<AppState>,
    _user: Require<need::Read>,
    RawQuery(query): RawQuery,
) -> Result<Json<Paged<Value>>, ApiError> {
    let params = Params::parse(query.as_deref());
    let page = params.page()?;
    let (from, to) = params.range(state.zone, TimeDelta::days(30), Some(TimeDelta::days(400)))?;
    let query = SourceFlagQuery::new(from, to).for_stations(params.stations()?);
    let mut flags = state
        .store
        .with(move |s| {
            let mut all = Vec::new();
            s.source_flags_paged(&query, crate::store::PAGE_SIZE, &mut |p| {
                all.extend(p);
                Ok(())
            })?;
            Ok(all)
        })
        .await?;
    flags.sort_by(|a, b| b.severity.total_cmp(&a.severity));
    Ok(Json(page.of(flags.iter().map(|f| json!(f)).collect())))
}

/// `GET /api/v1/forecasts?station=…&from=…&to=…`: daily forecasts (AQI with its range,
/// primary pollutants, what was missing) for days starting in the range (default from now
/// for 3 days), the latest issue of each.
pub(super) async fn forecasts(
    State(state): State<AppState>,
    _user: Require<need::Read>,
    RawQuery(query): RawQuery,
) -> Result<Json<Vec<Value>>, ApiError> {
    let params = Params::parse(query.as_deref());
    let zone = state.zone;
    let now = chrono::Utc::now();
    let from = params
        .time("from", zone)?
        .unwrap_or(now - TimeDelta::days(1));
    let to = params
        .time("to", zone)?
        .unwrap_or(from + TimeDelta::days(4));
    if from >= to || to - from > TimeDelta::days(400) {
        return Err(ApiError::bad_request(
            "`from` must be before `to`, at most 400 days apart",
        ));
    }
    let query = ForecastQuery::new(ForecastAxis::Valid, from, to).for_stations(params.stations()?);
    let days = state
        .store
        .with(move |s| Ok(s.forecast_days(&query)?))
        .await?;
    // The latest issue of each station's day.
    let mut latest: std::collections::BTreeMap<(String, chrono::NaiveDate), _> = Default::default();
    for d in days {
        let key = (d.station.to_string(), d.date);
        let newer = latest
            .get(&key)
            .is_none_or(|old: &crate::store::ForecastDay| old.issued < d.issued);
        if newer {
            latest.insert(key, d);
        }
    }
    Ok(Json(
        latest
            .values()
            .map(|d| {
                json!({
                    "station": &*d.station,
                    "date": d.date.to_string(),
                    "issued": time(d.issued, zone),
                    "aqi": d.aqi,
                    "aqi_low": d.aqi_low,
                    "aqi_high": d.aqi_high,
                    "primary": d.primary.iter().map(|p| p.code()).collect::<Vec<_>>(),
                    "pm25": d.pm25,
                    "pm10": d.pm10,
                    "o3_8h_max": d.o3_8h_max,
                    "model": d.model,
                    "abstained": d.abstained.iter().map(|t| t.code()).collect::<Vec<_>>(),
                    "missing": d.missing.iter().map(|m| m.to_string()).collect::<Vec<_>>(),
                })
            })
            .collect(),
    ))
}

/// `GET /api/v1/jobs?job=…&from=…&to=…&limit=&offset=`: job runs scheduled in the range
/// (default the last 7 days), newest first.
pub(super) async fn jobs(
    State(state): State<AppState>,
    _user: Require<need::Read>,
    RawQuery(query): RawQuery,
) -> Result<Json<Paged<Value>>, ApiError> {
    let params = Params::parse(query.as_deref());
    let page = params.page()?;
    let (from, to) = params.range(state.zone, TimeDelta::days(7), Some(TimeDelta::days(400)))?;
    let names: Vec<String> = params.list("job")?;
    let jobs: Jobs = if names.is_empty() {
        Filter::All
    } else {
        Filter::only(names)
    };
    let query = JobRunQuery::new(from, to).for_jobs(jobs);
    let zone = state.zone;
    let mut runs = state.store.with(move |s| Ok(s.job_runs(&query)?)).await?;
    runs.sort_by_key(|r| std::cmp::Reverse(r.scheduled));
    Ok(Json(
        page.of(runs
            .iter()
            .map(|r| {
                json!({
                    "job": r.job,
                    "scheduled": time(r.scheduled, zone),
                    "started": time(r.started, zone),
                    "finished": time(r.finished, zone),
                    "succeeded": r.outcome.succeeded(),
                    "detail": match &r.outcome {
                        JobOutcome::Succeeded(output) => output.lines(),
                        JobOutcome::Failed(why) => vec![why.clone()],
                    },
                })
            })
            .collect()),
    ))
}
