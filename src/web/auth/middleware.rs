//! The authentication middleware: resolves the session cookie or the API token of every
//! request once, and refuses a state-changing request of a browser session without the
//! session's CSRF token, or from another origin.

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{TimeDelta, Utc};

use super::{Authenticated, Credential, CurrentUser};
use crate::web::error::{ApiError, ErrorCode};
use crate::web::state::AppState;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "lantian_session";
/// The header scripts send the session's CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// The form field forms send the session's CSRF token in.
pub const CSRF_FIELD: &str = "csrf";

/// The largest form body read to find its CSRF field.
const MAX_FORM: usize = 256 * 1024;
/// The largest multipart form (an upload) read to find its CSRF field.
const MAX_MULTIPART: usize = 3 * 1024 * 1024;

/// The value of the cookie `name` in a request's `Cookie` headers.
pub(crate) fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// Finds the request's user (token first, then session cookie).
fn resolve(state: &AppState, headers: &HeaderMap) -> Result<Option<CurrentUser>, ApiError> {
    let now = Utc::now();
    if let Some(token) = bearer(headers) {
        return Ok(state.accounts.token(token, now)?.map(|t| CurrentUser {
            name: t.user,
            role: t.role,
            credential: Credential::Token {
                id: t.id,
                scopes: t.scopes,
            },
        }));
    }
    let Some(secret) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let idle = TimeDelta::minutes(i64::from(state.settings.idle_minutes));
    Ok(state
        .accounts
        .session(secret, now, idle)?
        .map(|s| CurrentUser {
            name: s.user,
            role: s.role,
            credential: Credential::Session { csrf: s.csrf },
        }))
}

/// Equal without telling where they differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Whether the `Origin` (when a browser sends one) is this server.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) else {
        return true;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let origin_host = origin.split_once("://").map_or("", |(_, h)| h);
    !host.is_empty() && origin_host.eq_ignore_ascii_case(host)
}

fn csrf_error(message: &str) -> Response {
    ApiError::new(ErrorCode::Csrf, message).into_response()
}

/// The middleware: every request gets an `Authenticated` extension; a state-changing
/// request (not GET, HEAD, OPTIONS) from another origin is refused, and one of a browser
/// session must carry the session's CSRF token in [`CSRF_HEADER`] or, for an urlencoded or
/// multipart form, the field [`CSRF_FIELD`].
pub async fn authenticate(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let user = match resolve(&state, request.headers()) {
        Ok(user) => user,
        Err(e) => return e.into_response(),
    };
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let mut request = request;
    if !safe {
        if !same_origin(request.headers()) {
            return csrf_error("cross-origin request refused");
        }
        if let Some(CurrentUser {
            credential: Credential::Session { csrf },
            ..
        }) = &user
        {
            match csrf_checked(request, csrf).await {
                Ok(r) => request = r,
                Err(response) => return response,
            }
        }
    }
    request.extensions_mut().insert(Authenticated(user));
    next.run(request).await
}

/// The request back when it carries `csrf`, else the refusal.
async fn csrf_checked(request: Request, csrf: &str) -> Result<Request, Response> {
    if let Some(sent) = request.headers().get(CSRF_HEADER) {
        return if same(sent.as_bytes(), csrf.as_bytes()) {
            Ok(request)
        } else {
            Err(csrf_error("wrong CSRF token"))
        };
    }
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|c| c.to_str().ok())
        .unwrap_or("");
    let multipart = content_type.starts_with("multipart/form-data");
    if !multipart && !content_type.starts_with("application/x-www-form-urlencoded") {
        return Err(csrf_error(
            "a state-changing request of a session needs its CSRF token (header x-csrf-token)",
        ));
    }
    let (parts, body) = request.into_parts();
    let limit = if multipart { MAX_MULTIPART } else { MAX_FORM };
    let bytes = to_bytes(body, limit)
        .await
        .map_err(|_| ApiError::bad_request("form too large or unreadable").into_response())?;
    let sent = if multipart {
        multipart_field(&parts.headers, bytes.clone(), CSRF_FIELD).await
    } else {
        url::form_urlencoded::parse(&bytes)
            .find(|(k, _)| k == CSRF_FIELD)
            .map(|(_, v)| v.into_owned())
    };
    if !sent.is_some_and(|v| same(v.as_bytes(), csrf.as_bytes())) {
        return Err(csrf_error("missing or wrong CSRF token in the form"));
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// The text of the field `name` of a multipart form (read with axum's own parser).
async fn multipart_field(headers: &HeaderMap, bytes: Bytes, name: &str) -> Option<String> {
    let mut request = Request::new(Body::from(bytes));
    request.headers_mut().insert(
        header::CONTENT_TYPE,
        headers.get(header::CONTENT_TYPE)?.clone(),
    );
    let mut form = Multipart::from_request(request, &()).await.ok()?;
    while let Ok(Some(field)) = form.next_field().await {
        if field.name() == Some(name) {
            return field.text().await.ok();
        }
    }
    None
}
