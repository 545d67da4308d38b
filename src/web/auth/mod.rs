//! Who is asking: the [`authenticate`] middleware resolves every request's session cookie or
//! API token once (and refuses a state-changing request of a session without its CSRF
//! token); the extractors hand the user to handlers, with role checks:
//!
//! - API handlers: [`CurrentUser`] (401 JSON without a login) and [`Require<P>`] (also 403
//!   JSON without permission `P`, e.g. `Require<need::Maintain>`);
//! - pages: [`PageUser`] (a redirect to `/login?next=…` without a login) and [`Page<P>`]
//!   (also 403 without permission `P`).
//!
//! Logins (`login`) are rate-limited per client address and lock accounts after repeated
//! failures (the accounts database's policy).

mod login;
mod middleware;

use std::marker::PhantomData;

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};

pub use login::{LoginLimiter, login_routes};
pub(crate) use login::{login_json, logout_json, session_info};
pub use middleware::{CSRF_FIELD, CSRF_HEADER, SESSION_COOKIE, authenticate};

use super::error::{ApiError, ErrorCode};
use super::role::{Permission, Role};
use super::state::AppState;

/// How the request proved who it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// A browser session; state-changing requests carry `csrf`.
    Session {
        /// The session's CSRF token (for forms: a hidden field [`CSRF_FIELD`]; for scripts:
        /// the header [`CSRF_HEADER`]).
        csrf: String,
    },
    /// An API token, limited to its scopes.
    Token {
        /// The token's id.
        id: String,
        /// Its scopes.
        scopes: Vec<Permission>,
    },
}

/// The user of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrentUser {
    /// Login name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Session or token.
    pub credential: Credential,
}

impl CurrentUser {
    /// Whether the user (and, for a token, its scopes) allows `permission`.
    pub fn can(&self, permission: Permission) -> bool {
        self.role.grants(permission)
            && match &self.credential {
                Credential::Session { .. } => true,
                Credential::Token { scopes, .. } => scopes.contains(&permission),
            }
    }

    /// `Ok` when the user [can](Self::can) do it, else 403 naming what is missing.
    pub fn require(&self, permission: Permission) -> Result<(), ApiError> {
        if self.can(permission) {
            return Ok(());
        }
        let why = match &self.credential {
            Credential::Token { .. } if self.role.grants(permission) => {
                format!("this API token lacks the scope `{permission}`")
            }
            _ => format!("the role {} does not allow `{permission}`", self.role),
        };
        Err(ApiError::new(ErrorCode::Forbidden, why))
    }

    /// The session's CSRF token, for the forms and scripts of a page (`None` for a token).
    pub fn csrf_token(&self) -> Option<&str> {
        match &self.credential {
            Credential::Session { csrf } => Some(csrf),
            Credential::Token { .. } => None,
        }
    }

    /// The actor named in audit logs: the user's name.
    pub fn actor(&self) -> &str {
        &self.name
    }
}

/// The user the [`authenticate`] middleware found, if any (an extension of the request).
#[derive(Debug, Clone)]
pub(crate) struct Authenticated(pub(crate) Option<CurrentUser>);

fn found(parts: &Parts) -> Option<CurrentUser> {
    parts
        .extensions
        .get::<Authenticated>()
        .and_then(|a| a.0.clone())
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        found(parts).ok_or_else(|| {
            ApiError::new(
                ErrorCode::Unauthenticated,
                "log in (session cookie) or send `Authorization: Bearer <API token>`",
            )
        })
    }
}

/// The permissions handlers ask for by type ([`Require`], [`Page`]).
pub mod need {
    use super::Permission;

    /// A permission as a type.
    pub trait Need: Send + Sync + 'static {
        /// The permission.
        const PERMISSION: Permission;
    }

    macro_rules! need {
        ($($name:ident => $p:ident),*) => {$(
            #[doc = concat!("Needs [`Permission::", stringify!($p), "`].")]
            #[derive(Debug, Clone, Copy)]
            pub struct $name;
            impl Need for $name {
                const PERMISSION: Permission = Permission::$p;
            }
        )*};
    }
    need!(Read => Read, Export => Export, Maintain => Maintain, Admin => Admin);
}

/// An API user allowed `P` (401 JSON without a login, 403 JSON without the permission).
#[derive(Debug, Clone)]
pub struct Require<P: need::Need> {
    /// The user.
    pub user: CurrentUser,
    need: PhantomData<P>,
}

impl<P: need::Need> FromRequestParts<AppState> for Require<P> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let user = CurrentUser::from_request_parts(parts, state).await?;
        user.require(P::PERMISSION)?;
        Ok(Require {
            user,
            need: PhantomData,
        })
    }
}

/// Why a page is not shown.
#[derive(Debug, Clone)]
pub enum PageRejection {
    /// Not logged in: to `/login?next=<the page>`.
    Login {
        /// The page asked for (path and query).
        next: String,
    },
    /// Logged in without the permission.
    Forbidden(Permission),
}

impl IntoResponse for PageRejection {
    fn into_response(self) -> Response {
        match self {
            PageRejection::Login { next } => {
                let next: String = url_encode(&next);
                Redirect::to(&format!("/login?next={next}")).into_response()
            }
            PageRejection::Forbidden(p) => (
                StatusCode::FORBIDDEN,
                format!("403 — your role does not allow this page (`{p}`)"),
            )
                .into_response(),
        }
    }
}

/// Percent-encodes everything but unreserved characters.
fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A page's user (a redirect to the login page without one).
#[derive(Debug, Clone)]
pub struct PageUser(pub CurrentUser);

impl FromRequestParts<AppState> for PageUser {
    type Rejection = PageRejection;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        found(parts)
            .map(PageUser)
            .ok_or_else(|| PageRejection::Login {
                next: parts
                    .uri
                    .path_and_query()
                    .map_or("/".to_string(), |p| p.to_string()),
            })
    }
}

/// A page's user allowed `P` (to the login page without a login, 403 without `P`).
#[derive(Debug, Clone)]
pub struct Page<P: need::Need> {
    /// The user.
    pub user: CurrentUser,
    need: PhantomData<P>,
}

impl<P: need::Need> FromRequestParts<AppState> for Page<P> {
    type Rejection = PageRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let PageUser(user) = PageUser::from_request_parts(parts, state).await?;
        if !user.can(P::PERMISSION) {
            return Err(PageRejection::Forbidden(P::PERMISSION));
        }
        Ok(Page {
            user,
            need: PhantomData,
        })
    }
}

/// Whether a `next` target after login stays on this site (a path, not `//host`).
pub(crate) fn local_path(next: &str) -> Option<&str> {
    (next.starts_with('/') && !next.starts_with("//") && !next.contains('\\')).then_some(next)
}
