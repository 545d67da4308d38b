//! `/api/v1/…`: JSON over the store for people's scripts and machines (API tokens) and for
//! the pages' scripts (session + CSRF header). Errors are JSON `{code, message}`.
//!
//! Every endpoint is one row of [`endpoints`]: its method, path, what it needs, its query
//! parameters and its handler. The router is built from the rows and so is the OpenAPI
//! document ([`openapi`]), so the two cannot disagree; the tests ask every row's endpoint
//! without a login and with each role, and check the answers against what the row says.

mod accounts;
mod alarms;
mod assess;
pub mod json;
mod loggers;
mod openapi;
mod operations;
pub mod params;
mod readings;
#[cfg(feature = "reports")]
mod reports;
pub mod stream;

use axum::extract::State;
use axum::http::Method;
use axum::routing::{MethodRouter, delete, get, post};
use axum::{Json, Router};

pub use openapi::openapi;
/// The report file a request path names (`GET /api/v1/reports/files/{path}`), for the fuzz
/// target `web_inputs` (fuzz/); not an API.
#[doc(hidden)]
pub use reports::inside as report_file;

use super::auth::{Require, need};
use super::error::ApiError;
use super::events::{Latest, events, read_latest};
use super::role::Permission;
use super::state::AppState;
use json::StationJson;

/// What an endpoint asks of the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// Nothing (logging in).
    Nothing,
    /// A login, whatever the role.
    Login,
    /// A login whose role (and token's scopes) allow the permission.
    Permission(Permission),
}

/// One endpoint of the API.
pub struct Endpoint {
    /// Its method.
    pub method: Method,
    /// Its path under `/api/v1` (`{name}` for path parameters).
    pub path: &'static str,
    /// What it does.
    pub summary: &'static str,
    /// What it needs.
    pub needs: Needs,
    /// Its query parameters: name and meaning.
    pub query: &'static [(&'static str, &'static str)],
    /// Its JSON body, if it takes one: the fields and their meaning.
    pub body: &'static [(&'static str, &'static str)],
    handler: MethodRouter<AppState>,
}

const RANGE: [(&str, &str); 2] = [
    (
        "from",
        "start, inclusive: RFC 3339, or YYYY-MM-DD[THH:MM] in the network's zone",
    ),
    ("to", "end, exclusive (default now)"),
];
const PAGE: [(&str, &str); 2] = [
    ("limit", "items per page, 1–1000 (default 100)"),
    ("offset", "items to skip (the previous page's next_offset)"),
];

macro_rules! endpoint {
    ($method:ident $path:literal, $needs:expr, $summary:literal, query: [$($q:expr),* $(,)?], body: [$($b:expr),* $(,)?], $handler:expr) => {
        Endpoint {
            method: Method::$method,
            path: $path,
            summary: $summary,
            needs: $needs,
            query: &[$($q),*],
            body: &[$($b),*],
            handler: $handler,
        }
    };
}

/// Every endpoint of the API.
pub fn endpoints() -> Vec<Endpoint> {
    use Needs::{Login, Nothing, Permission as P};
    use Permission::{Admin, Maintain, Read};
    #[allow(unused_mut)]
    let mut all = vec![
        endpoint!(GET "/session", Login, "who is logged in, with the session's CSRF token",
            query: [], body: [], get(super::auth::session_info)),
        endpoint!(POST "/session", Nothing, "log in: sets the session cookie, answers the CSRF token",
            query: [], body: [("username", "login name"), ("password", "password")],
            post(super::auth::login_json)),
        endpoint!(DELETE "/session", Login, "log out", query: [], body: [],
            delete(super::auth::logout_json)),
        endpoint!(GET "/stations", P(Read), "the stations", query: [], body: [], get(stations)),
        endpoint!(GET "/latest", P(Read), "latest minute and hourly readings and hourly AQI",
            query: [("station", "station ids, repeated or comma-separated (default all)")],
            body: [], get(latest)),
        endpoint!(GET "/events", P(Read),
            "server-sent events: `snapshot` (everything latest) then `update`s (what changed)",
            query: [], body: [], get(events)),
        endpoint!(GET "/series", P(Read),
            "readings of stations × parameters × resolution × range, streamed (CSV needs export)",
            query: [("station", "station ids, repeated or comma-separated (default all)"),
                ("parameter", "parameter codes: pm25, pm10, o3, … (default all)"),
                ("resolution", "sample, minute, hour (default), day"),
                RANGE[0], RANGE[1], ("format", "json (default) or csv")],
            body: [], get(readings::series)),
        endpoint!(GET "/aqi", P(Read), "stored hourly or daily AQI with sub-indices, streamed",
            query: [("station", "station ids"), ("resolution", "hour (default) or day"),
                RANGE[0], RANGE[1], ("format", "json (default) or csv")],
            body: [], get(readings::aqi)),
        endpoint!(GET "/rankings", P(Read),
            "HJ 663 ranking by the comprehensive index, with the change against last year (as `lantian rank`)",
            query: [("period", "2026-11, 2026Q4, 2026 or 2026-ytd (required)"),
                ("by", "station (default), district or network"),
                ("end", "last day of a year to date (YYYY-MM-DD)"),
                ("rules", "daily AQI rules: auto (default), 2012, 2026"),
                ("format", "json (default) or csv")],
            body: [], get(assess::rankings)),
        endpoint!(GET "/health", P(Read), "every device's health",
            query: [("station", "station ids"), ("problems", "true: only devices with a problem")],
            body: [], get(operations::health)),
        endpoint!(GET "/source-flags", P(Read), "source flags of pollution episodes, most severe first",
            query: [("station", "station ids"), RANGE[0], RANGE[1], PAGE[0], PAGE[1]],
            body: [], get(operations::source_flags)),
        endpoint!(GET "/forecasts", P(Read), "daily forecasts (latest issue of each station's day)",
            query: [("station", "station ids"), ("from", "first day's start"), ("to", "end")],
            body: [], get(operations::forecasts)),
        endpoint!(GET "/jobs", P(Read), "job runs, newest first",
            query: [("job", "job names"), RANGE[0], RANGE[1], PAGE[0], PAGE[1]],
            body: [], get(operations::jobs)),
        endpoint!(GET "/alarms", P(Read), "alarms opened in the range, newest first",
            query: [("state", "open, acknowledged, closed"), ("station", "station ids"),
                ("severity", "least severity: info, minor, major, critical"), ("rule", "rule ids"),
                RANGE[0], RANGE[1], PAGE[0], PAGE[1], ("lang", "en (default) or zh")],
            body: [], get(alarms::list)),
        endpoint!(GET "/alarms/{id}", P(Read), "one alarm with its audit log",
            query: [("lang", "en (default) or zh")], body: [], get(alarms::show)),
        endpoint!(POST "/alarms/{id}/{step}", P(Maintain),
            "a step on an alarm: ack, assign (to), comment (text), close (note)",
            query: [], body: [("to", "assign: to whom"), ("text", "comment: its text"),
                ("note", "close: why, what was done")],
            post(alarms::step)),
        endpoint!(GET "/loggers", P(Read),
            "the HJ 212 loggers of this process's listener: connection, clock offset, real-time cadence, commands (409 without a listener)",
            query: [], body: [], get(loggers::list)),
        endpoint!(POST "/loggers/{id}/{command}", P(Maintain),
            "a command to an HJ 212 logger (device id or MN), answered with its execution result: time (1012: set its clock) or interval (1062: its real-time interval); 409 when it is not connected, 504 when it does not answer",
            query: [], body: [("time", "time: the time to set, RFC 3339 (default the platform's clock)"),
                ("seconds", "interval: the real-time interval, 30–3600 s")],
            post(loggers::command)),
        endpoint!(GET "/tokens", Login, "your API tokens (all=true: everyone's, admin)",
            query: [("all", "true: every user's (admin)")], body: [], get(accounts::tokens)),
        endpoint!(POST "/tokens", Login, "issue an API token (shown once; from a session only)",
            query: [], body: [("name", "what it is for"), ("scopes", "read, export, maintain, admin"),
                ("days", "days until it expires (default never)")],
            post(accounts::issue)),
        endpoint!(DELETE "/tokens/{id}", Login, "revoke an API token", query: [], body: [],
            delete(accounts::revoke)),
        endpoint!(GET "/users", P(Admin), "the users", query: [], body: [], get(accounts::users)),
        endpoint!(POST "/users", P(Admin), "add a user",
            query: [], body: [("name", "login name"), ("role", "leader, analyst, maintainer, admin"),
                ("password", "at least 10 characters")],
            post(accounts::add_user)),
        endpoint!(POST "/users/{name}", P(Admin), "change a user's role, password or disabled state",
            query: [], body: [("role", "new role"), ("disabled", "true or false"), ("password", "new password")],
            post(accounts::change_user)),
        endpoint!(GET "/audit", P(Admin), "the audit log, newest first",
            query: [("limit", "entries (1–1000)"), ("before", "entries before this seq")],
            body: [], get(accounts::audit)),
        endpoint!(GET "/openapi.json", Login, "this API as OpenAPI 3.1", query: [], body: [],
            get(openapi::document)),
    ];
    #[cfg(feature = "reports")]
    all.extend([
        endpoint!(GET "/reports", P(Read), "generated reports, newest first",
            query: [("kind", "daily, ranking or health"), PAGE[0], PAGE[1]],
            body: [], get(reports::list)),
        endpoint!(GET "/reports/files/{path}", P(Read), "a file of the report folder (nothing outside it)",
            query: [("download", "true: as an attachment")], body: [], get(reports::file)),
    ]);
    all
}

/// The API's routes (mounted under `/api/v1`), from [`endpoints`].
pub fn routes() -> Router<AppState> {
    endpoints().into_iter().fold(Router::new(), |router, e| {
        // `{path}` of the report files spans folders: a catch-all.
        let path = e.path.replace("{path}", "{*path}");
        router.route(&path, e.handler)
    })
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

/// `GET /api/v1/latest[?station=…]`: the latest minute and hourly readings and hourly AQI of
/// the stations (default every one), read now.
async fn latest(
    State(state): State<AppState>,
    _user: Require<need::Read>,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Result<Json<Latest>, ApiError> {
    let stations = params::Params::parse(query.as_deref()).stations()?;
    Ok(Json(read_latest(&state.store, state.zone, stations).await?))
}
