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

/// After a form posted without JavaScript, hands `value` (a secret shown
/// once) to the page the browser is sent back to: the redirect can carry
/// only errors (see `server::web::handover`). With JavaScript the server
/// function's answer carries it, so nothing is handed over.
pub fn hand_over(handover: server::web::handover::Handover, value: &str) {
    if !is_plain_form_post() {
        return;
    }
    let offer = handover.offer(value);
    if let (Some(offer), Some(response)) = (offer, leptos::prelude::use_context::<leptos_axum::ResponseOptions>()) {
        response.append_header(axum::http::header::SET_COOKIE, offer);
    }
}

/// The values handed to this page under `handover`, which the response
/// deletes. Claims only: anyone able to plant a cookie could have sent
/// them, so the caller checks each against the database.
pub fn take_handed_over(handover: server::web::handover::Handover) -> Vec<String> {
    let Some(parts) = leptos::prelude::use_context::<axum::http::request::Parts>() else { return Vec::new() };
    let (values, deletion) = handover.take(&parts.headers);
    if let (Some(deletion), Some(response)) = (deletion, leptos::prelude::use_context::<leptos_axum::ResponseOptions>())
    {
        response.append_header(axum::http::header::SET_COOKIE, deletion);
    }
    values
}

/// Keeps this response out of every cache: the page shows a secret.
pub fn never_store() {
    if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        response.insert_header(axum::http::header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store"));
    }
}

/// Where this site is reached, for absolute links (see `AppState::site_origin`).
pub fn site_origin(state: &AppState) -> String {
    match leptos::prelude::use_context::<axum::http::request::Parts>() {
        Some(parts) => state.site_origin(&parts.headers),
        None => state.site_origin(&axum::http::HeaderMap::new()),
    }
}

/// The signed-in user, or 401.
pub async fn signed_in_user() -> Result<server::accounts::User, AppError> {
    let session = auth_session().await?;
    Ok(server::auth::require_user(&session)?.clone())
}

/// The shared state and the signed-in staff member (401, 403): what a
/// staff server function starts with.
pub async fn staff() -> Result<(AppState, server::accounts::User), AppError> {
    let state = state()?;
    let session = auth_session().await?;
    let user = server::auth::require_staff(&session)?.clone();
    Ok((state, user))
}

/// The shared state and the signed-in user, or 401: what a member's server
/// function starts with.
pub async fn member() -> Result<(AppState, server::accounts::User), AppError> {
    Ok((state()?, signed_in_user().await?))
}

/// What every page render and server function gets beside Leptos' own
/// context: the shared state, and the nonce `server::web::headers::protect`
/// made for this request, in place of the one Leptos made, so the inline
/// scripts carry the nonce that the page's policy names.
pub fn provide_request_context(state: AppState) {
    use leptos::prelude::{provide_context, use_context};
    provide_context(state);
    match use_context::<axum::http::request::Parts>().and_then(|parts| server::web::headers::request_nonce(&parts)) {
        Some(nonce) => provide_context(nonce),
        None => tracing::error!("the request has no nonce: is the server::web::headers::protect layer installed?"),
    }
}

/// Redirects after a server function. Leptos panics on a `Location` that is
/// not a valid header value; every path given here is built by us, but a
/// path that is somehow invalid must still get an answer: `/` instead.
pub fn redirect(path: &str) {
    if axum::http::HeaderValue::from_str(path).is_ok() {
        leptos_axum::redirect(path);
    } else {
        tracing::error!(?path, "refused to redirect to a path that is not a valid header");
        leptos_axum::redirect("/");
    }
}
