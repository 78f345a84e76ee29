//! `/api/auth/*`: the same sessions as the browser, for API clients.

use axum::http::StatusCode;
use axum::{extract::State, Json};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::accounts::UserView;
use crate::auth::{self, AuthSession, Credentials};
use crate::devices::Origin;
use crate::error::{ErrorBody, Result};
use crate::state::AppState;
use crate::web::http::JsonBody;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(login)).routes(routes!(logout)).routes(routes!(me))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    email: String,
    password: String,
}

/// Signs in and sets the session cookie.
#[utoipa::path(
    post, path = "/api/auth/login", tag = "auth",
    request_body = LoginRequest,
    responses((status = 200, description = "Signed in", body = UserView),
              (status = 401, description = "Wrong email or password", body = ErrorBody),
              (status = 429, description = "Too many failed attempts; see Retry-After", body = ErrorBody)))]
async fn login(
    State(state): State<AppState>,
    origin: Origin,
    mut session: AuthSession,
    JsonBody(body): JsonBody<LoginRequest>,
) -> Result<Json<UserView>> {
    let credentials = Credentials { email: body.email, password: body.password, address: origin.ip };
    let user = auth::check_credentials(&state.pool, &credentials).await?;
    auth::log_in(&state, &mut session, &user, &origin).await?;
    Ok(Json(UserView::from(&user)))
}

/// Ends this session (other devices stay signed in).
#[utoipa::path(
    post, path = "/api/auth/logout", tag = "auth",
    responses((status = 204, description = "Signed out"))
)]
async fn logout(State(state): State<AppState>, mut session: AuthSession) -> Result<StatusCode> {
    auth::log_out(&state, &mut session).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Who is signed in on this session.
#[utoipa::path(
    get, path = "/api/auth/me", tag = "auth",
    responses(
        (status = 200, description = "The signed-in user", body = UserView),
        (status = 401, description = "Not signed in", body = ErrorBody),
    )
)]
async fn me(session: AuthSession) -> Result<Json<UserView>> {
    Ok(Json(UserView::from(auth::require_user(&session)?)))
}
