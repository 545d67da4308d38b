//! Accounts over the API: a user's own API tokens (issued only from a browser session, shown
//! once), and for administrators the users and the audit log. Every change is audited with
//! the user as actor.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use chrono::{TimeDelta, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use super::params::Params;
use crate::web::accounts::{IssuedToken, TokenInfo, User};
use crate::web::auth::{Credential, CurrentUser, Require, need};
use crate::web::error::{ApiError, ApiJson, ErrorCode};
use crate::web::role::{Permission, Role};
use crate::web::state::AppState;

/// Runs an accounts call on a blocking thread (argon2 and SQLite block).
async fn blocking<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&crate::web::accounts::Accounts) -> Result<T, crate::web::AccountError>
    + Send
    + 'static,
) -> Result<T, ApiError> {
    let accounts = state.accounts.clone();
    tokio::task::spawn_blocking(move || f(&accounts))
        .await
        .map_err(|e| ApiError::unavailable("accounts", e))?
        .map_err(ApiError::from)
}

/// `GET /api/v1/tokens` (`?all=true` for an administrator: everyone's).
pub(super) async fn tokens(
    State(state): State<AppState>,
    user: CurrentUser,
    RawQuery(query): RawQuery,
) -> Result<Json<Vec<TokenInfo>>, ApiError> {
    let params = Params::parse(query.as_deref());
    let all = params.get::<bool>("all")?.unwrap_or(false);
    if all {
        user.require(Permission::Admin)?;
    }
    let owner = (!all).then(|| user.name.clone());
    Ok(Json(
        blocking(&state, move |a| a.tokens(owner.as_deref())).await?,
    ))
}

/// `POST /api/v1/tokens`'s body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NewToken {
    name: String,
    scopes: Vec<Permission>,
    #[serde(default)]
    days: Option<u32>,
}

/// `POST /api/v1/tokens` `{"name", "scopes": ["read", …], "days"}`: a token acting as the
/// user, never beyond their role; only from a browser session (a token cannot make tokens).
pub(super) async fn issue(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<NewToken>,
) -> Result<(StatusCode, Json<IssuedToken>), ApiError> {
    if !matches!(user.credential, Credential::Session { .. }) {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "API tokens are issued from a logged-in session, not by another token",
        ));
    }
    if body.name.trim().is_empty() || body.name.len() > 100 {
        return Err(ApiError::bad_request("`name`: 1–100 characters"));
    }
    if body.scopes.is_empty() {
        return Err(ApiError::bad_request("`scopes`: at least one"));
    }
    if let Some(p) = body.scopes.iter().find(|p| !user.role.grants(**p)) {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            format!("the role {} does not allow the scope `{p}`", user.role),
        ));
    }
    let expires = body
        .days
        .map(|d| Utc::now() + TimeDelta::days(i64::from(d.clamp(1, 3650))));
    let name = user.name.clone();
    let issued = blocking(&state, move |a| {
        a.issue_token(&name, &body.name, &body.scopes, expires, &name)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(issued)))
}

/// `DELETE /api/v1/tokens/{id}`: revokes one of the user's tokens (any, for an administrator).
pub(super) async fn revoke(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let owner = (!user.can(Permission::Admin)).then(|| user.name.clone());
    let actor = user.name.clone();
    blocking(&state, move |a| {
        a.revoke_token(&id, owner.as_deref(), &actor)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/users` (admin).
pub(super) async fn users(
    State(state): State<AppState>,
    _user: Require<need::Admin>,
) -> Result<Json<Vec<User>>, ApiError> {
    Ok(Json(blocking(&state, |a| a.users()).await?))
}

/// `POST /api/v1/users`'s body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NewUser {
    name: String,
    role: Role,
    password: String,
}

/// `POST /api/v1/users` `{"name", "role", "password"}` (admin).
pub(super) async fn add_user(
    State(state): State<AppState>,
    Require { user, .. }: Require<need::Admin>,
    ApiJson(body): ApiJson<NewUser>,
) -> Result<(StatusCode, Json<User>), ApiError> {
    let actor = user.name;
    let added = blocking(&state, move |a| {
        a.add_user(&body.name, body.role, &body.password, &actor)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(added)))
}

/// `POST /api/v1/users/{name}`'s body: any of `role`, `disabled`, `password`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct UserChange {
    #[serde(default)]
    role: Option<Role>,
    #[serde(default)]
    disabled: Option<bool>,
    #[serde(default)]
    password: Option<String>,
}

/// `POST /api/v1/users/{name}` `{"role"?, "disabled"?, "password"?}` (admin). An
/// administrator cannot disable or demote themselves (someone must stay able to undo it).
pub(super) async fn change_user(
    State(state): State<AppState>,
    Require { user, .. }: Require<need::Admin>,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<UserChange>,
) -> Result<Json<User>, ApiError> {
    if name == user.name
        && (body.disabled == Some(true) || body.role.is_some_and(|r| r != Role::Admin))
    {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "you cannot disable or demote yourself",
        ));
    }
    let actor = user.name;
    let changed = blocking(&state, move |a| {
        if let Some(password) = &body.password {
            a.set_password(&name, password, &actor)?;
        }
        if let Some(role) = body.role {
            a.set_role(&name, role, &actor)?;
        }
        if let Some(disabled) = body.disabled {
            a.set_disabled(&name, disabled, &actor)?;
        }
        a.user(&name)
    })
    .await?;
    Ok(Json(changed))
}

/// `GET /api/v1/audit?limit=&before=<seq>` (admin): the audit log, newest first.
pub(super) async fn audit(
    State(state): State<AppState>,
    _user: Require<need::Admin>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let params = Params::parse(query.as_deref());
    let page = params.page()?;
    let before = params.get::<i64>("before")?;
    let entries = blocking(&state, move |a| a.audit_log(before, page.limit)).await?;
    let next = (entries.len() == page.limit)
        .then(|| entries.last().map(|e| e.seq))
        .flatten();
    Ok(Json(json!({"items": entries, "next_before": next})))
}
