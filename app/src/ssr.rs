//! What server functions need from the server side: the shared state, the
//! session, the caller's address. Server functions stay thin: authorise,
//! call a `server` operation, convert its error.

use server::auth::AuthSession;
use server::AppState;

use crate::error::AppError;

pub fn state() -> Result<AppState, AppError> {
    leptos::prelude::use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from the server function context");
        AppError::Internal
    })
}

pub async fn auth_session() -> Result<AuthSession, AppError> {
    leptos_axum::extract::<AuthSession>().await.map_err(|error| {
        tracing::error!(?error, "no auth session on the request; is the auth layer installed?");
        AppError::Internal
    })
}

/// The caller's User-Agent and address.
pub async fn origin() -> server::devices::Origin {
    leptos_axum::extract::<server::devices::Origin>().await.unwrap_or_default()
}

/// True when the browser posted a plain HTML form (no JavaScript). Leptos
/// then answers with a redirect back to the form, carrying the error in the
/// URL; changing the status code would break that redirect.
pub fn is_plain_form_post() -> bool {
    leptos::prelude::use_context::<axum::http::request::Parts>().is_some_and(|parts| {
        parts.method == axum::http::Method::POST
            && parts
                .headers
                .get(axum::http::header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|accept| accept.contains("text/html"))
    })
}

/// The signed-in user, or 401.
pub async fn signed_in_user() -> Result<server::accounts::User, AppError> {
    let session = auth_session().await?;
    Ok(server::auth::require_user(&session)?.clone())
}
