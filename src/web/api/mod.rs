//! `/api/v1/…`: JSON over the store for people's scripts and machines (API tokens) and for
//! the pages' scripts (session + CSRF header). Errors are JSON `{code, message}`.

pub mod json;

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};

use super::auth::{Require, need};
use super::error::ApiError;
use super::events::{Latest, events, read_latest};
use super::state::AppState;
use json::StationJson;

/// The API's routes (mounted under `/api/v1`).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/stations", get(stations))
        .route("/latest", get(latest))
        .route("/events", get(events))
}

/// `GET /api/v1/stations`: the stations the store knows.
async fn stations(
    State(state): State<AppState>,
    _user: Require<need::Read>,
) -> Result<Json<Vec<StationJson>>, ApiError> {
    let stations = state
        .store
        .with(|s| Ok(s.stations()?.iter().map(StationJson::from).collect()))
        .await?;
    Ok(Json(stations))
}

/// `GET /api/v1/latest`: the latest minute and hourly readings and hourly AQI of every
/// station, read now.
async fn latest(
    State(state): State<AppState>,
    _user: Require<need::Read>,
) -> Result<Json<Latest>, ApiError> {
    Ok(Json(read_latest(&state.store, state.zone).await?))
}
