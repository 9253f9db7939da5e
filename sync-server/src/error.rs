//! One error type for every handler, rendered as JSON `{code, message}` with the right status.
//!
//! Database errors are classified here (not in handlers): a lock wait that timed out is `busy`
//! (409 + `Retry-After`), an unreachable database is `unavailable` (503 + `Retry-After`).

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::model::Conflict;

/// The JSON body of every error response.
#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
pub struct ErrorBody {
    /// Stable machine-readable code, e.g. `conflict`, `rate_limited`.
    pub code: String,
    /// Human-readable explanation (not stable).
    pub message: String,
    /// For `conflict` (412): the server's current copy of every record whose base was stale.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub conflicts: Option<Vec<Conflict>>,
}

/// Everything a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("missing, invalid or revoked bearer token")]
    Unauthorized,
    #[error("wrong email or authentication key")]
    InvalidCredentials,
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("an account with this email already exists")]
    EmailTaken,
    #[error("the account is busy with another write; retry shortly")]
    Busy,
    #[error("the cursor is older than the kept tombstones; resync from 0")]
    CursorTooOld,
    #[error("{} record(s) changed on the server since their base version", .0.len())]
    Conflict(Vec<Conflict>),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    QuotaExceeded(String),
    #[error("too many requests; retry in {0} s")]
    RateLimited(u64),
    #[error("the database is unavailable; retry shortly")]
    Unavailable,
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized | ApiError::InvalidCredentials => StatusCode::UNAUTHORIZED,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::EmailTaken | ApiError::Busy => StatusCode::CONFLICT,
            ApiError::CursorTooOld => StatusCode::GONE,
            ApiError::Conflict(_) => StatusCode::PRECONDITION_FAILED,
            ApiError::PayloadTooLarge(_) | ApiError::QuotaExceeded(_) => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            ApiError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "invalid_request",
            ApiError::Unauthorized => "unauthorized",
            ApiError::InvalidCredentials => "invalid_credentials",
            ApiError::NotFound(_) => "not_found",
            ApiError::EmailTaken => "email_taken",
            ApiError::Busy => "busy",
            ApiError::CursorTooOld => "cursor_too_old",
            ApiError::Conflict(_) => "conflict",
            ApiError::PayloadTooLarge(_) => "payload_too_large",
            ApiError::QuotaExceeded(_) => "quota_exceeded",
            ApiError::RateLimited(_) => "rate_limited",
            ApiError::Unavailable => "unavailable",
            ApiError::Internal(_) => "internal",
        }
    }

    fn retry_after(&self) -> Option<u64> {
        match self {
            ApiError::Busy | ApiError::Unavailable => Some(1),
            ApiError::RateLimited(secs) => Some(*secs),
            _ => None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let ApiError::Internal(detail) = &self {
            tracing::error!(%detail, "internal error");
        }
        let retry_after = self.retry_after();
        let message = self.to_string();
        let code = self.code().to_string();
        let conflicts = match self {
            ApiError::Conflict(c) => Some(c),
            _ => None,
        };
        let mut response = (
            status,
            axum::Json(ErrorBody {
                code,
                message,
                conflicts,
            }),
        )
            .into_response();
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(err: sqlx::Error) -> Self {
        match &err {
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::WorkerCrashed => ApiError::Unavailable,
            sqlx::Error::Database(db) => match db.code().as_deref() {
                // lock_not_available (lock_timeout), query_canceled (statement_timeout),
                // serialization_failure, deadlock_detected.
                Some("55P03" | "57014" | "40001" | "40P01") => ApiError::Busy,
                // admin_shutdown, crash_shutdown, cannot_connect_now, connection exceptions.
                Some(code) if code.starts_with("57P") || code.starts_with("08") => {
                    ApiError::Unavailable
                }
                _ => ApiError::Internal(err.to_string()),
            },
            sqlx::Error::Protocol(_) => ApiError::Unavailable,
            _ => ApiError::Internal(err.to_string()),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rej: JsonRejection) -> Self {
        if rej.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge("request body too large".into())
        } else {
            ApiError::BadRequest(rej.body_text())
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rej: QueryRejection) -> Self {
        ApiError::BadRequest(rej.body_text())
    }
}

impl From<PathRejection> for ApiError {
    fn from(rej: PathRejection) -> Self {
        ApiError::BadRequest(rej.body_text())
    }
}
