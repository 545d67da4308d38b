//! Errors of the API as JSON `{code, message}` with their HTTP status: bad parameters are
//! 400 with a message naming the parameter, never a 500.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::accounts::AccountError;

/// What went wrong, as the API says it (the `code` of the JSON body).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// A parameter is missing or does not read (400).
    BadRequest,
    /// No valid session or token (401).
    Unauthenticated,
    /// Logged in, but the role or the token's scopes do not allow it (403).
    Forbidden,
    /// A state-changing request without the session's CSRF token, or from another origin (403).
    Csrf,
    /// No such thing (404).
    NotFound,
    /// The step does not apply to the thing's state (409).
    Conflict,
    /// Too many requests (429).
    TooManyRequests,
    /// The account is locked after failed logins (423).
    Locked,
    /// The store or the accounts database failed (503: try again).
    Unavailable,
    /// A device did not answer in time (504: an HJ 212 logger's command).
    GatewayTimeout,
    /// A fault of ours (500).
    Internal,
}

impl ErrorCode {
    /// The HTTP status of the code.
    pub fn status(self) -> StatusCode {
        match self {
            ErrorCode::BadRequest => StatusCode::BAD_REQUEST,
            ErrorCode::Unauthenticated => StatusCode::UNAUTHORIZED,
            ErrorCode::Forbidden | ErrorCode::Csrf => StatusCode::FORBIDDEN,
            ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::Conflict => StatusCode::CONFLICT,
            ErrorCode::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::Locked => StatusCode::LOCKED,
            ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::GatewayTimeout => StatusCode::GATEWAY_TIMEOUT,
            ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// An error answered as JSON `{"code": …, "message": …}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    /// What went wrong.
    pub code: ErrorCode,
    /// In words, naming the parameter or the thing.
    pub message: String,
}

impl ApiError {
    /// An error of `code` saying `message`.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            message: message.into(),
        }
    }

    /// A bad parameter (400).
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorCode::BadRequest, message)
    }

    /// Not found (404).
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorCode::NotFound, message)
    }

    /// The store or a database failed (logged; 503).
    pub fn unavailable(what: &str, error: impl std::fmt::Display) -> ApiError {
        tracing::error!("{what}: {error}");
        ApiError::new(ErrorCode::Unavailable, format!("{what}: {error}"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.code.status(), Json(self)).into_response()
    }
}

impl From<AccountError> for ApiError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::UnknownUser(_) | AccountError::UnknownToken(_) => {
                ApiError::not_found(e.to_string())
            }
            AccountError::UserExists(_) => ApiError::new(ErrorCode::Conflict, e.to_string()),
            AccountError::BadName(_) | AccountError::WeakPassword { .. } => {
                ApiError::bad_request(e.to_string())
            }
            AccountError::BadCredentials => {
                ApiError::new(ErrorCode::Unauthenticated, e.to_string())
            }
            AccountError::Locked { .. } => ApiError::new(ErrorCode::Locked, e.to_string()),
            AccountError::Database { .. }
            | AccountError::Schema { .. }
            | AccountError::Corrupt(_)
            | AccountError::Hash(_) => ApiError::unavailable("accounts", e),
        }
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        ApiError::unavailable("store", e)
    }
}

/// The answer to an unknown `/api/…` path: JSON 404 too.
pub(crate) async fn api_not_found() -> ApiError {
    ApiError::not_found("no such API endpoint")
}

/// A JSON request body whose rejections (not JSON, missing or wrong fields) are 400 with the
/// reason as [`ApiError`]s, like every other bad parameter (axum's `Json` answers 415/422 in
/// plain text).
#[derive(Debug, Clone)]
pub struct ApiJson<T>(pub T);

impl<T, S> axum::extract::FromRequest<S> for ApiJson<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| ApiError::bad_request(e.body_text()))?;
        parse_body(&bytes).map(ApiJson)
    }
}

/// A JSON body, or the error naming what is wrong with it.
pub(crate) fn parse_body<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| ApiError::bad_request(format!("the JSON body: {e}")))
}
