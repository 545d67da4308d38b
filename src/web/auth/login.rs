//! Logging in and out: `POST /login` and `POST /logout` for the pages' forms, `GET`, `POST`
//! and `DELETE /api/v1/session` for scripts; a per-address rate limit in front of the
//! accounts' lock-out.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use chrono::{TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::middleware::{SESSION_COOKIE, cookie};
use super::{CurrentUser, local_path};
use crate::web::accounts::Session;
use crate::web::error::{ApiError, ErrorCode};
use crate::web::role::Role;
use crate::web::state::AppState;

/// Client addresses remembered at most (older windows are dropped first).
const MAX_TRACKED: usize = 10_000;

/// Login attempts per client address per minute.
#[derive(Debug)]
pub struct LoginLimiter {
    per_minute: u32,
    windows: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl LoginLimiter {
    /// A limiter allowing `per_minute` attempts per address.
    pub fn new(per_minute: u32) -> LoginLimiter {
        LoginLimiter {
            per_minute,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts an attempt of `ip`; `false` when it is over the limit.
    pub fn allow(&self, ip: IpAddr) -> bool {
        let now = Instant::now();
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if windows.len() >= MAX_TRACKED {
            windows.retain(|_, (start, _)| now.duration_since(*start) < Duration::from_secs(60));
            if windows.len() >= MAX_TRACKED {
                return false;
            }
        }
        let (start, count) = windows.entry(ip).or_insert((now, 0));
        if now.duration_since(*start) >= Duration::from_secs(60) {
            *start = now;
            *count = 0;
        }
        *count += 1;
        *count <= self.per_minute
    }
}

/// The client's address (as the listener saw it; `None` when served otherwise).
struct Peer(Option<SocketAddr>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Peer(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0),
        ))
    }
}

/// The login routes (mounted by [`crate::web::router`]).
pub fn login_routes() -> Router<AppState> {
    Router::new()
        .route("/login", post(login_form))
        .route("/logout", post(logout_form))
        .route(
            "/api/v1/session",
            get(session_info).post(login_json).delete(logout_json),
        )
}

/// Checks the credentials and starts a session; the cookie to set and the session.
async fn login(
    state: &AppState,
    peer: Option<SocketAddr>,
    name: String,
    password: String,
) -> Result<(HeaderValue, Session), ApiError> {
    if let Some(peer) = peer
        && !state.login_limiter.allow(peer.ip())
    {
        return Err(ApiError::new(
            ErrorCode::TooManyRequests,
            "too many login attempts from this address; wait a minute",
        ));
    }
    let accounts = state.accounts.clone();
    let lifetime = TimeDelta::hours(i64::from(state.settings.session_hours));
    let (secret, session) = tokio::task::spawn_blocking(move || {
        let now = Utc::now();
        accounts.check_login(&name, &password, now)?;
        accounts.start_session(&name, now, lifetime)
    })
    .await
    .map_err(|e| ApiError::unavailable("login", e))??;
    let secure = if state.settings.secure_cookies() {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{SESSION_COOKIE}={secret}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        lifetime.num_seconds()
    );
    let cookie = HeaderValue::from_str(&cookie).map_err(|e| ApiError::unavailable("login", e))?;
    Ok((cookie, session))
}

fn clear_cookie(state: &AppState) -> HeaderValue {
    let secure = if state.settings.secure_cookies() {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("lantian_session=; Max-Age=0"))
}

async fn end(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    if let Some(secret) = cookie(headers, SESSION_COOKIE) {
        let accounts = state.accounts.clone();
        let secret = secret.to_string();
        tokio::task::spawn_blocking(move || accounts.end_session(&secret, Utc::now()))
            .await
            .map_err(|e| ApiError::unavailable("logout", e))??;
    }
    Ok(())
}

/// The login form's fields.
#[derive(Debug, Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    next: Option<String>,
}

/// `POST /login` (form `username`, `password`, `next`): to `next` (a local path) with the
/// session cookie, or back to `/login?error=…` (`credentials`, `locked`, `rate`).
async fn login_form(
    State(state): State<AppState>,
    Peer(peer): Peer,
    Form(form): Form<LoginForm>,
) -> Response {
    let next = form
        .next
        .as_deref()
        .and_then(local_path)
        .unwrap_or("/")
        .to_string();
    match login(&state, peer, form.username, form.password).await {
        Ok((cookie, _)) => {
            let mut response = Redirect::to(&next).into_response();
            response.headers_mut().insert(header::SET_COOKIE, cookie);
            response
        }
        Err(e) => {
            let why = match e.code {
                ErrorCode::Locked => "locked",
                ErrorCode::TooManyRequests => "rate",
                ErrorCode::Unauthenticated => "credentials",
                _ => "unavailable",
            };
            Redirect::to(&format!("/login?error={why}")).into_response()
        }
    }
}

/// `POST /logout`: ends the session, to the login page.
async fn logout_form(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let ended = end(&state, &headers).await;
    let mut response = match ended {
        Ok(()) => Redirect::to("/login").into_response(),
        Err(e) => e.into_response(),
    };
    response
        .headers_mut()
        .insert(header::SET_COOKIE, clear_cookie(&state));
    response
}

/// `POST /api/v1/session`'s body.
#[derive(Debug, Deserialize)]
struct LoginRequest {
    username: String,
    password: String,
}

/// Who is logged in, with the CSRF token their scripts send.
#[derive(Debug, Serialize)]
struct SessionInfo {
    user: String,
    role: Role,
    /// The session's CSRF token (`x-csrf-token`); absent for an API token.
    #[serde(skip_serializing_if = "Option::is_none")]
    csrf: Option<String>,
}

async fn login_json(
    State(state): State<AppState>,
    Peer(peer): Peer,
    Json(body): Json<LoginRequest>,
) -> Result<Response, ApiError> {
    let (cookie, session) = login(&state, peer, body.username, body.password).await?;
    let mut response = Json(SessionInfo {
        user: session.user,
        role: session.role,
        csrf: Some(session.csrf),
    })
    .into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(response)
}

async fn session_info(user: CurrentUser) -> Json<SessionInfo> {
    Json(SessionInfo {
        csrf: user.csrf_token().map(str::to_string),
        user: user.name,
        role: user.role,
    })
}

async fn logout_json(
    State(state): State<AppState>,
    _user: CurrentUser,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    end(&state, &headers).await?;
    let mut response = axum::http::StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, clear_cookie(&state));
    Ok(response)
}
