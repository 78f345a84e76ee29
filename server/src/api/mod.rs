//! The JSON REST API for external systems, scripts and load tests.
//!
//! One router per resource, merged here. Every handler is annotated for
//! utoipa, so `/api/openapi.json` is generated from the code and cannot
//! drift from it.

use axum::routing::get;
use axum::{Json, Router};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

pub mod auth;
pub mod cards;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Lockstep API",
        description = "JSON API of Lockstep. Errors are `{\"error\": {\"code\", \"message\", ...}}` \
                       with the matching HTTP status. Sign in with `POST /api/auth/login`; the \
                       session cookie it sets authenticates later calls.",
        version = "1"
    ),
    tags(
        (name = "auth", description = "Signing in and out"),
        (name = "cards", description = "Business cards (versioned; writes need If-Match or `version`)")
    )
)]
struct ApiDoc;

/// Every REST route, plus `/api/openapi.json` describing them.
pub fn router() -> Router<AppState> {
    let (router, openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(auth::router())
        .merge(cards::router())
        .split_for_parts();
    let document = openapi.clone();
    router.route("/api/openapi.json", get(move || async move { Json(document) }))
}

/// The OpenAPI document, for tests and tooling.
pub fn openapi() -> utoipa::openapi::OpenApi {
    OpenApiRouter::<AppState>::with_openapi(ApiDoc::openapi())
        .merge(auth::router())
        .merge(cards::router())
        .into_openapi()
}
