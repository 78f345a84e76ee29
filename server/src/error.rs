//! The one error type of Lockstep's server side.
//!
//! Every domain operation returns [`Error`]. Each variant maps to one HTTP
//! status and one stable `code`; REST handlers render it as
//! `{"error": {"code", "message", ...}}` and the Leptos layer converts it to
//! its wire twin. Messages are fit for a user; causes go to the log only.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A field the user typed is not acceptable.
    #[error("{message}")]
    Invalid { field: String, message: String },

    /// A unique value (email, slug, …) is already taken by another record.
    #[error("{message}")]
    AlreadyExists { field: String, message: String },

    /// The record changed since the caller read it; `current` is the row as
    /// it is now, so the caller can merge.
    #[error("this record was changed by someone else")]
    VersionConflict { current: serde_json::Value },

    /// Like `VersionConflict`, for a REST client that sent `If-Match`.
    #[error("this record was changed by someone else")]
    PreconditionFailed { current: serde_json::Value },

    /// A version-checked write came without the version it was based on.
    #[error("send the version you edited, in If-Match or in a `version` field")]
    PreconditionRequired,

    /// The same idempotency key is still being processed.
    #[error("this request is already being processed")]
    InProgress,

    /// The same idempotency key was used for a different request.
    #[error("this idempotency key was already used for a different request")]
    KeyReused,

    #[error("please sign in")]
    Unauthorized,

    /// An external call without a live API key in `X-API-Key`.
    #[error("send a valid API key in the X-API-Key header")]
    InvalidApiKey,

    /// The record would duplicate one that exists; `existing` is that one.
    #[error("{message}")]
    Duplicate { message: String, existing: serde_json::Value },

    #[error("wrong email or password")]
    WrongCredentials,

    #[error("you do not have access to this")]
    Forbidden,

    #[error("not found")]
    NotFound,

    #[error("too many attempts; try again in {retry_after_secs} seconds")]
    TooManyRequests { retry_after_secs: u64 },

    /// A request body over the limit (`http::MAX_BODY_BYTES`).
    #[error("the request is too large (at most {max_bytes} bytes)")]
    PayloadTooLarge { max_bytes: usize },

    /// A request body that did not arrive within `http::BODY_TIMEOUT`.
    #[error("the request body arrived too slowly")]
    BodyTimeout,

    /// Lockstep itself is saturated (e.g. password hashing): try again soon.
    #[error("the service is busy, please try again in a moment")]
    Busy,

    /// The database could not be reached or dropped the connection: try again.
    #[error("the service is temporarily unavailable, please try again")]
    Unavailable(#[source] sqlx::Error),

    /// Serialization failure or deadlock: the transaction was rolled back
    /// and may simply be run again (see `retry`).
    #[error("the service is busy, please try again")]
    Contention(#[source] sqlx::Error),

    /// The connection died while committing: the change may or may not have
    /// been saved. Repeating the request with the same idempotency key is
    /// safe; without one, look before trying again.
    #[error("we could not confirm that your change was saved; reload to check before trying again")]
    OutcomeUnknown(#[source] sqlx::Error),

    #[error("something went wrong on our side")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl Error {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Invalid { field: field.into(), message: message.into() }
    }

    pub fn already_exists(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::AlreadyExists { field: field.into(), message: message.into() }
    }

    /// The answer to a version-checked write that matched no row: 409
    /// carrying the record as it is now, or 404 when there is none.
    pub fn stale(current: Option<impl serde::Serialize>) -> Self {
        match current.map(serde_json::to_value) {
            Some(Ok(current)) => Error::VersionConflict { current },
            Some(Err(error)) => Error::internal(error),
            None => Error::NotFound,
        }
    }

    /// True when running the same transaction again may succeed: it was
    /// rolled back by contention or by a connection lost before the commit.
    /// (A pool that timed out or closed is not worth waiting on again.)
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Contention(_) => true,
            Error::Unavailable(cause) => !matches!(cause, sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed),
            _ => false,
        }
    }

    pub fn internal(cause: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Error::Internal(cause.into())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Error::Invalid { .. } | Error::KeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            Error::AlreadyExists { .. }
            | Error::Duplicate { .. }
            | Error::VersionConflict { .. }
            | Error::InProgress => StatusCode::CONFLICT,
            Error::Unauthorized | Error::InvalidApiKey | Error::WrongCredentials => StatusCode::UNAUTHORIZED,
            Error::PreconditionFailed { .. } => StatusCode::PRECONDITION_FAILED,
            Error::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            Error::Forbidden => StatusCode::FORBIDDEN,
            Error::NotFound => StatusCode::NOT_FOUND,
            Error::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Error::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Error::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            Error::Busy | Error::Unavailable(_) | Error::Contention(_) | Error::OutcomeUnknown(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A stable, machine-readable name for the kind of error.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Invalid { .. } => "invalid",
            Error::AlreadyExists { .. } => "already_exists",
            Error::VersionConflict { .. } => "version_conflict",
            Error::PreconditionFailed { .. } => "precondition_failed",
            Error::PreconditionRequired => "precondition_required",
            Error::InProgress => "in_progress",
            Error::KeyReused => "idempotency_key_reused",
            Error::Unauthorized => "unauthorized",
            Error::InvalidApiKey => "invalid_api_key",
            Error::Duplicate { .. } => "duplicate",
            Error::WrongCredentials => "wrong_credentials",
            Error::Forbidden => "forbidden",
            Error::NotFound => "not_found",
            Error::TooManyRequests { .. } => "too_many_requests",
            Error::PayloadTooLarge { .. } => "payload_too_large",
            Error::BodyTimeout => "request_timeout",
            Error::Busy => "busy",
            Error::Unavailable(_) => "unavailable",
            Error::Contention(_) => "contention",
            Error::OutcomeUnknown(_) => "outcome_unknown",
            Error::Internal(_) => "internal",
        }
    }

    /// Logs what the user does not get to see.
    pub fn log(&self) {
        metrics::counter!("lockstep_errors_total", "code" => self.code()).increment(1);
        match self {
            Error::Internal(cause) => tracing::error!(error = ?cause, "internal error"),
            Error::Unavailable(cause) => tracing::warn!(error = %cause, "database unavailable"),
            Error::Contention(cause) => tracing::warn!(error = %cause, "transaction kept failing on contention"),
            Error::OutcomeUnknown(cause) => tracing::warn!(error = %cause, "connection lost while committing"),
            _ => {}
        }
    }

    pub fn body(&self) -> ErrorBody {
        let (field, current, retry_after_secs) = match self {
            Error::Invalid { field, .. } | Error::AlreadyExists { field, .. } => (Some(field.clone()), None, None),
            Error::VersionConflict { current } | Error::PreconditionFailed { current } => {
                (None, Some(current.clone()), None)
            }
            Error::TooManyRequests { retry_after_secs } => (None, None, Some(*retry_after_secs)),
            _ => (None, None, None),
        };
        let existing = match self {
            Error::Duplicate { existing, .. } => Some(existing.clone()),
            _ => None,
        };
        ErrorBody {
            error: ErrorDetail {
                code: self.code().to_owned(),
                message: self.to_string(),
                field,
                current,
                existing,
                retry_after_secs,
            },
        }
    }
}

/// The JSON body of every REST error response.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable kind, e.g. `already_exists`, `version_conflict`.
    pub code: String,
    /// A message fit to show to a person.
    pub message: String,
    /// The input field the error is about, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// On `version_conflict`: the record as it is now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current: Option<serde_json::Value>,
    /// On `duplicate`: the record that already exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub existing: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_secs: Option<u64>,
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        self.log();
        let mut response = (self.status(), axum::Json(self.body())).into_response();
        let retry_after = match self {
            Error::TooManyRequests { retry_after_secs } => Some(retry_after_secs),
            // The database is away: tell clients when trying again makes sense.
            Error::Unavailable(_) | Error::OutcomeUnknown(_) => Some(5),
            Error::Contention(_) | Error::Busy => Some(1),
            _ => None,
        };
        if let Some(value) = retry_after.and_then(|secs| HeaderValue::from_str(&secs.to_string()).ok()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

impl From<sqlx::Error> for Error {
    fn from(error: sqlx::Error) -> Self {
        if let Some(code) = error.as_database_error().and_then(|db| db.code()) {
            metrics::counter!("lockstep_db_errors_total", "sqlstate" => code.into_owned()).increment(1);
        }
        if is_contention(&error) {
            Error::Contention(error)
        } else if is_connection_error(&error) {
            Error::Unavailable(error)
        } else {
            Error::Internal(Box::new(error))
        }
    }
}

/// Errors that say "the database is not there right now", as opposed to "this
/// statement is wrong".
pub fn is_connection_error(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Tls(_) => true,
        sqlx::Error::Database(db) => {
            // 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now,
            // 08xxx connection exceptions, and 25006 read_only_sql_transaction:
            // during a failover a connection can reach the old primary after it
            // became a standby, and no write there has happened.
            db.code().is_some_and(|code| code.starts_with("08") || code.starts_with("57P") || code == "25006")
        }
        _ => false,
    }
}

/// 25006 read_only_sql_transaction: a standby refused the write, so it
/// certainly did not happen.
pub fn is_refused_write(error: &sqlx::Error) -> bool {
    error.as_database_error().and_then(|db| db.code()).is_some_and(|code| code == "25006")
}

/// 40001 serialization_failure, 40P01 deadlock_detected, and 55P03
/// lock_not_available (a numbered batch's `lock_timeout`): each rolled back
/// the statement's work, and running it again may succeed.
pub fn is_contention(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .and_then(|db| db.code())
        .is_some_and(|code| code == "40001" || code == "40P01" || code == "55P03")
}

/// The name of the constraint a database error violated, if any.
pub fn violated_constraint(error: &sqlx::Error) -> Option<&str> {
    match error {
        sqlx::Error::Database(db) => db.constraint(),
        _ => None,
    }
}

/// Extension for mapping a named constraint violation to a precise error,
/// leaving every other error as it is.
pub trait ResultExt<T> {
    fn on_constraint(self, name: &str, map: impl FnOnce() -> Error) -> Result<T>;
}

impl<T> ResultExt<T> for std::result::Result<T, sqlx::Error> {
    fn on_constraint(self, name: &str, map: impl FnOnce() -> Error) -> Result<T> {
        self.map_err(|error| if violated_constraint(&error) == Some(name) { map() } else { Error::from(error) })
    }
}
