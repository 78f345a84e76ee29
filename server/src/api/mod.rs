//! The JSON REST API for external systems, scripts and load tests.
//!
//! One router per resource, merged here. Every handler is annotated for
//! utoipa, so `/api/openapi.json` is generated from the code and cannot
//! drift from it.

use axum::http::{header, HeaderMap, HeaderValue};
use axum::routing::get;
use axum::{Json, Router};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::error::{Error, Result};
use crate::state::AppState;

pub mod auth;
pub mod cards;
pub mod clients;
pub mod events;
pub mod profile;
pub mod training;
pub mod workflow;

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
        (name = "cards", description = "Business cards (versioned; writes need If-Match or `version`)"),
        (name = "profile", description = "Personal and professional profile sections (versioned upserts)"),
        (name = "clients", description = "Staff: clients, created idempotently by id"),
        (name = "workflow", description = "Staff: requests, inspections, appointments, assessments, reports"),
        (name = "training", description = "Staff: scenarios and assignments; counselors: their own assignments"),
        (name = "external", description = "External systems, authenticated with an `X-API-Key` header"),
        (name = "notices", description = "Live change notices (Server-Sent Events)")
    )
)]
struct ApiDoc;

/// Every REST route, plus `/api/openapi.json` describing them.
pub fn router() -> Router<AppState> {
    let (router, openapi) = documented_routes().split_for_parts();
    router.route("/api/openapi.json", get(move || async move { Json(openapi) }))
}

/// The OpenAPI document, built once per process (the API page reads it on
/// every visit).
pub fn openapi() -> &'static utoipa::openapi::OpenApi {
    static DOCUMENT: std::sync::OnceLock<utoipa::openapi::OpenApi> = std::sync::OnceLock::new();
    DOCUMENT.get_or_init(|| documented_routes().into_openapi())
}

fn documented_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(auth::router())
        .merge(cards::router())
        .merge(profile::router())
        .merge(clients::router())
        .merge(workflow::router())
        .merge(training::router())
        .merge(events::router())
}

// Versions travel as ETags (`"v3"`). A write names the version it is based
// on either in `If-Match` (stale → 412) or in the body / query as `version`
// (stale → 409); both carry the current record. Neither → 428.

/// The ETag of a record version.
fn etag(version: i32) -> HeaderValue {
    HeaderValue::from_str(&format!("\"v{version}\"")).unwrap_or(HeaderValue::from_static("\"v0\""))
}

/// The version named by `If-Match: "v3"` (weak tags accepted), if sent.
fn if_match_version(headers: &HeaderMap) -> Result<Option<i32>> {
    let Some(value) = headers.get(header::IF_MATCH) else { return Ok(None) };
    value
        .to_str()
        .ok()
        .map(|v| v.trim().trim_start_matches("W/").trim_matches('"'))
        .and_then(|v| v.strip_prefix('v'))
        .and_then(|v| v.parse::<i32>().ok())
        .map(Some)
        .ok_or_else(|| Error::invalid("If-Match", "If-Match must be an ETag of this API, like \"v3\"."))
}

/// Runs a version-checked write with the version from `If-Match` or else
/// from the request itself, answering in the matching conflict form.
async fn with_expected_version<T>(
    headers: &HeaderMap,
    from_request: Option<i32>,
    write: impl AsyncFnOnce(i32) -> Result<T>,
) -> Result<T> {
    match (if_match_version(headers)?, from_request) {
        (Some(version), _) => write(version).await.map_err(|error| match error {
            Error::VersionConflict { current } => Error::PreconditionFailed { current },
            other => other,
        }),
        (None, Some(version)) => write(version).await,
        (None, None) => Err(Error::PreconditionRequired),
    }
}

/// The `Idempotency-Key` header of a request, if it sent one.
pub struct IdempotencyHeader(pub Option<String>);

impl IdempotencyHeader {
    pub fn as_deref(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for IdempotencyHeader {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<Self> {
        parts
            .headers
            .get("idempotency-key")
            .map(|value| {
                value
                    .to_str()
                    .map(str::to_owned)
                    .map_err(|_| Error::invalid("Idempotency-Key", "The idempotency key must be plain text."))
            })
            .transpose()
            .map(IdempotencyHeader)
    }
}
