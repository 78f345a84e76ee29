//! The error that crosses the wire between server functions and the browser.
//!
//! It is the serialisable twin of `server::Error`: the same kinds, the same
//! messages, none of the causes. On the server, [`AppError::from_server`]
//! also sets the HTTP status of the response, because Leptos answers every
//! server-function error with 500 unless told otherwise.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("{message}")]
    Invalid { field: String, message: String },
    #[error("{message}")]
    AlreadyExists { field: String, message: String },
    /// `current` is the record as it is now, as JSON, for the merge panel.
    #[error("Not saved: someone else changed this first. The form now shows what is stored; make your changes again.")]
    VersionConflict { current: serde_json::Value },
    /// `existing` is the record this one would have duplicated, as JSON.
    #[error("{message}")]
    Duplicate { message: String, existing: serde_json::Value },
    #[error("This request is already being processed.")]
    InProgress,
    #[error("This form was already submitted with different values. Reload the page and try again.")]
    KeyReused,
    #[error("Please log in.")]
    Unauthorized,
    #[error("Wrong email or password.")]
    WrongCredentials,
    #[error("You do not have access to this.")]
    Forbidden,
    #[error("Not found.")]
    NotFound,
    #[error("Too many attempts. Try again in {retry_after_secs} seconds.")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("The service is temporarily unavailable. Please try again.")]
    Unavailable,
    #[error("This is too much to send at once.")]
    TooLarge,
    /// The connection broke while saving: it may or may not have been saved.
    #[error("We could not confirm that your change was saved. Reload the page to check before trying again.")]
    OutcomeUnknown,
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
    /// The request did not reach the server or its answer was unreadable.
    #[error("Could not reach Lockstep: {0}")]
    Transport(String),
}

impl AppError {
    /// The form field this error belongs beside, if any.
    pub fn field(&self) -> Option<&str> {
        match self {
            AppError::Invalid { field, .. } | AppError::AlreadyExists { field, .. } => Some(field),
            _ => None,
        }
    }

    /// The message for `field`, when this error is about that field.
    pub fn message_for(&self, field: &str) -> Option<String> {
        (self.field() == Some(field)).then(|| self.to_string())
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(message) | ServerFnErrorErr::MissingArg(message) => {
                // A malformed body is the caller's mistake, not ours: 422.
                #[cfg(feature = "ssr")]
                if !crate::ssr::is_plain_form_post() {
                    if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
                        response.set_status(axum::http::StatusCode::UNPROCESSABLE_ENTITY);
                    }
                }
                AppError::Invalid { field: String::new(), message: format!("The form is incomplete: {message}") }
            }
            other => AppError::Transport(other.to_string()),
        }
    }
}

#[cfg(feature = "ssr")]
impl AppError {
    /// Converts a domain error, logs what the user does not see, and sets
    /// the status of the HTTP response that will carry it.
    pub fn from_server(error: server::Error) -> Self {
        use server::Error as E;
        error.log();
        if !crate::ssr::is_plain_form_post() {
            if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
                response.set_status(error.status());
            }
        }
        match error {
            E::Invalid { field, message } => AppError::Invalid { field, message },
            E::AlreadyExists { field, message } => AppError::AlreadyExists { field, message },
            E::VersionConflict { current } | E::PreconditionFailed { current } => AppError::VersionConflict { current },
            E::PreconditionRequired => AppError::Invalid {
                field: "version".to_owned(),
                message: "The form is missing the version it was loaded with. Reload the page.".to_owned(),
            },
            E::InProgress => AppError::InProgress,
            E::KeyReused => AppError::KeyReused,
            E::Unauthorized | E::InvalidApiKey => AppError::Unauthorized,
            E::Duplicate { message, existing } => AppError::Duplicate { message, existing },
            E::WrongCredentials => AppError::WrongCredentials,
            E::Forbidden => AppError::Forbidden,
            E::NotFound => AppError::NotFound,
            E::TooManyRequests { retry_after_secs } => AppError::TooManyRequests { retry_after_secs },
            E::PayloadTooLarge { .. } => AppError::TooLarge,
            E::BodyTimeout => AppError::Transport(error.to_string()),
            E::Busy | E::Unavailable(_) | E::Contention(_) => AppError::Unavailable,
            E::OutcomeUnknown(_) => AppError::OutcomeUnknown,
            E::Internal(_) => AppError::Internal,
        }
    }
}

#[cfg(feature = "ssr")]
impl From<server::Error> for AppError {
    fn from(error: server::Error) -> Self {
        AppError::from_server(error)
    }
}
