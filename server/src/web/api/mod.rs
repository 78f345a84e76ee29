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

use serde::Deserialize;
use utoipa::ToSchema;

use crate::error::{Error, ErrorBody, Result};
use crate::state::AppState;
use crate::web::http::JsonBody;

pub mod auth;
pub mod cards;
pub mod clients;
mod document;
pub mod events;
pub mod profiles;
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
    ),
    components(schemas(crate::assessments::Tab, crate::assessment_sections::TyrePosition))
)]
struct ApiDoc;

/// Every REST route, plus `/api/openapi.json` describing them.
pub fn router() -> Router<AppState> {
    let (router, mut openapi) = documented_routes().split_for_parts();
    document::complete(&mut openapi);
    router.route("/api/openapi.json", get(move || async move { Json(openapi) }))
}

/// The OpenAPI document, built once per process (the API page reads it on
/// every visit).
pub fn openapi() -> &'static utoipa::openapi::OpenApi {
    static DOCUMENT: std::sync::OnceLock<utoipa::openapi::OpenApi> = std::sync::OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let mut openapi = documented_routes().into_openapi();
        document::complete(&mut openapi);
        openapi
    })
}

fn documented_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(auth::router())
        .merge(cards::router())
        .merge(profiles::router())
        .merge(clients::router())
        .merge(workflow::router())
        .merge(training::router())
        .merge(events::router())
}

// Versions travel as ETags (`"v3"`). A write names the version it is based
// on either in `If-Match` (stale → 412) or in the body / query as `version`
// (stale → 409); both carry the current record. Neither → 428.

/// The version an `If-Match` that is not one of our ETags names: none, so
/// the write finds the record at another version and answers 412 with it
/// (RFC 9110 13.1.1: a tag that matches no current one is a false condition).
const NO_VERSION: i32 = -1;

/// The ETag of a record version.
fn etag(version: i32) -> HeaderValue {
    HeaderValue::from_str(&format!("\"v{version}\"")).unwrap_or(HeaderValue::from_static("\"v0\""))
}

/// The version named by `If-Match: "v3"` (weak tags accepted), if sent;
/// any other tag names [`NO_VERSION`]. `*` ("whatever is there now") would
/// overwrite edits unseen, so it counts as no version named (428).
fn if_match_version(headers: &HeaderMap) -> Result<Option<i32>> {
    let Some(value) = headers.get(header::IF_MATCH) else { return Ok(None) };
    let value = value.to_str().unwrap_or_default().trim();
    if value == "*" {
        return Err(Error::PreconditionRequired);
    }
    let version = value
        .trim_start_matches("W/")
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .and_then(|v| v.strip_prefix('v'))
        .and_then(|v| v.parse::<i32>().ok())
        .filter(|version| *version >= 0);
    Ok(Some(version.unwrap_or(NO_VERSION)))
}

/// Reads a version as JSON Schema counts integers: `3` or `3.0`.
fn integral_version<'de, D: serde::Deserializer<'de>>(deserializer: D) -> std::result::Result<Option<i32>, D::Error> {
    let Some(number) = Option::<f64>::deserialize(deserializer)? else { return Ok(None) };
    if number.fract() == 0.0 && (0.0..=f64::from(i32::MAX)).contains(&number) {
        Ok(Some(number as i32))
    } else {
        Err(serde::de::Error::custom(format!("a version is a whole number from 0 to {}, not {number}", i32::MAX)))
    }
}

/// The body of every versioned write: the record's fields beside the
/// version they are based on.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Versioned<T> {
    /// The version the write is based on: 0 for a first save where there is
    /// one (or send `If-Match` instead).
    #[serde(default, deserialize_with = "integral_version")]
    version: Option<i32>,
    #[serde(flatten)]
    fields: T,
}

/// A write with no fields of its own (it only names the version).
#[derive(Debug, Deserialize, ToSchema)]
pub struct NoFields {}

/// Where a write's expected version came from, which decides how a stale
/// one is answered.
#[derive(Debug, Clone, Copy)]
enum ExpectedVersion {
    IfMatch(i32),
    Named(i32),
}

impl ExpectedVersion {
    /// From `If-Match` if sent, else from the request itself; neither → 428.
    fn new(if_match: Option<i32>, named: Option<i32>) -> Result<Self> {
        match (if_match, named) {
            (Some(version), _) => Ok(ExpectedVersion::IfMatch(version)),
            (None, Some(version)) => Ok(ExpectedVersion::Named(version)),
            (None, None) => Err(Error::PreconditionRequired),
        }
    }

    /// Runs the version-checked `write`; a stale `If-Match` is a 412, a stale
    /// named version the write's own 409.
    async fn run<T>(self, write: impl AsyncFnOnce(i32) -> Result<T>) -> Result<T> {
        match self {
            ExpectedVersion::IfMatch(version) => write(version).await.map_err(|error| match error {
                Error::VersionConflict { current } => Error::PreconditionFailed { current },
                other => other,
            }),
            ExpectedVersion::Named(version) => write(version).await,
        }
    }
}

/// Extracts a versioned write: its body's fields and the version it is
/// based on (from `If-Match` or the body's `version`).
pub struct VersionedWrite<T> {
    expected: ExpectedVersion,
    fields: T,
}

impl<T> VersionedWrite<T> {
    /// Runs `write` with the expected version and the fields.
    pub async fn run<R>(self, write: impl AsyncFnOnce(i32, T) -> Result<R>) -> Result<R> {
        let fields = self.fields;
        self.expected.run(async |version| write(version, fields).await).await
    }
}

impl<S, T> axum::extract::FromRequest<S> for VersionedWrite<T>
where
    T: serde::de::DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self> {
        let if_match = if_match_version(request.headers())?;
        let JsonBody(body) = JsonBody::<Versioned<T>>::from_request(request, state).await?;
        Ok(VersionedWrite { expected: ExpectedVersion::new(if_match, body.version)?, fields: body.fields })
    }
}

/// Runs a version-checked write whose version is not in a JSON body (a
/// delete names it in the query).
async fn with_expected_version<T>(
    headers: &HeaderMap,
    from_request: Option<i32>,
    write: impl AsyncFnOnce(i32) -> Result<T>,
) -> Result<T> {
    ExpectedVersion::new(if_match_version(headers)?, from_request)?.run(write).await
}

/// What every versioned write may answer besides its success.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // only read by the OpenAPI document
pub enum VersionedWriteErrors {
    #[response(status = 401, description = "Not signed in")]
    Unauthorized(ErrorBody),
    #[response(status = 403, description = "Not allowed to change it")]
    Forbidden(ErrorBody),
    #[response(status = 404, description = "No such record (of yours)")]
    NotFound(ErrorBody),
    #[response(status = 409, description = "Stale `version`; `current` is the record now")]
    Stale(ErrorBody),
    #[response(status = 412, description = "Stale `If-Match`; `current` is the record now")]
    PreconditionFailed(ErrorBody),
    #[response(status = 422, description = "A field is invalid")]
    Invalid(ErrorBody),
    #[response(status = 428, description = "No version given: send `If-Match` or `version`")]
    NoVersion(ErrorBody),
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

/// A pooled connection for a handler's reads (writes run their own
/// transactions under the retry policy).
pub struct Db(pub sqlx::pool::PoolConnection<sqlx::Postgres>);

impl<S> axum::extract::FromRequestParts<S> for Db
where
    sqlx::PgPool: axum::extract::FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request_parts(_: &mut axum::http::request::Parts, state: &S) -> Result<Self> {
        let pool = <sqlx::PgPool as axum::extract::FromRef<S>>::from_ref(state);
        Ok(Db(pool.acquire().await?))
    }
}

/// What reading one record may answer besides the record.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // only read by the OpenAPI document
pub enum ReadErrors {
    #[response(status = 401, description = "Not signed in")]
    Unauthorized(ErrorBody),
    #[response(status = 403, description = "Not allowed to read it")]
    Forbidden(ErrorBody),
    #[response(status = 404, description = "No such record")]
    NotFound(ErrorBody),
}

/// What a create may answer besides the record.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // only read by the OpenAPI document
pub enum CreateErrors {
    #[response(status = 401, description = "Not signed in")]
    Unauthorized(ErrorBody),
    #[response(status = 403, description = "Not allowed to create it")]
    Forbidden(ErrorBody),
    #[response(
        status = 409,
        description = "It conflicts with a record that exists, or the same key is still in progress"
    )]
    Conflict(ErrorBody),
    #[response(status = 422, description = "A field is invalid, or the key was used for another request")]
    Invalid(ErrorBody),
}
