//! `/api/profile/{personal,professional}`: the two profile sections, each
//! read with its version as ETag and saved by a versioned PUT (version 0,
//! or `If-Match: "v0"`, for the first save).

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use sqlx::PgPool;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::auth::SignedIn;
use crate::error::{ErrorBody, Result};
use crate::profiles::{self, PersonalFields, PersonalInfo, ProfessionalFields, ProfessionalInfo, Saved};
use crate::state::AppState;

use super::{etag, Versioned, VersionedWrite, VersionedWriteErrors};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_personal, put_personal)).routes(routes!(get_professional, put_professional))
}

fn section_response(version: i32, body: impl Serialize) -> Response {
    (StatusCode::OK, [(header::ETAG, etag(version))], Json(body)).into_response()
}

/// My personal section (version 0 and empty when never saved).
#[utoipa::path(
    get, path = "/api/profile/personal", tag = "profile",
    responses(
        (status = 200, description = "The section", body = PersonalInfo, headers(("ETag" = String))),
        (status = 401, description = "Not signed in", body = ErrorBody),
    )
)]
async fn get_personal(State(pool): State<PgPool>, SignedIn(user): SignedIn) -> Result<Response> {
    let mut conn = pool.acquire().await?;
    let section = profiles::personal(&mut conn, user.id).await?;
    Ok(section_response(section.version, section))
}

/// Saves the whole personal section if it is still at the version you name.
#[utoipa::path(
    put, path = "/api/profile/personal", tag = "profile",
    params(("If-Match" = Option<String>, Header, description = "ETag of the version edited; \"v0\" for the first save")),
    request_body = Versioned<PersonalFields>,
    responses(
        (status = 200, description = "Saved; `is_new` says whether this save created the section", body = Saved<PersonalInfo>,
         headers(("ETag" = String))),
        VersionedWriteErrors,
    )
)]
async fn put_personal(
    State(pool): State<PgPool>,
    SignedIn(user): SignedIn,
    write: VersionedWrite<PersonalFields>,
) -> Result<Response> {
    let saved =
        write.run(async |version, fields| profiles::save_personal(&pool, user.id, version, &fields).await).await?;
    Ok(section_response(saved.section.version, saved))
}

/// My professional section (version 0 and empty when never saved).
#[utoipa::path(
    get, path = "/api/profile/professional", tag = "profile",
    responses(
        (status = 200, description = "The section", body = ProfessionalInfo, headers(("ETag" = String))),
        (status = 401, description = "Not signed in", body = ErrorBody),
    )
)]
async fn get_professional(State(pool): State<PgPool>, SignedIn(user): SignedIn) -> Result<Response> {
    let mut conn = pool.acquire().await?;
    let section = profiles::professional(&mut conn, user.id).await?;
    Ok(section_response(section.version, section))
}

/// Saves the whole professional section if it is still at the version you name.
#[utoipa::path(
    put, path = "/api/profile/professional", tag = "profile",
    params(("If-Match" = Option<String>, Header, description = "ETag of the version edited; \"v0\" for the first save")),
    request_body = Versioned<ProfessionalFields>,
    responses(
        (status = 200, description = "Saved; `is_new` says whether this save created the section", body = Saved<ProfessionalInfo>,
         headers(("ETag" = String))),
        VersionedWriteErrors,
    )
)]
async fn put_professional(
    State(pool): State<PgPool>,
    SignedIn(user): SignedIn,
    write: VersionedWrite<ProfessionalFields>,
) -> Result<Response> {
    let saved =
        write.run(async |version, fields| profiles::save_professional(&pool, user.id, version, &fields).await).await?;
    Ok(section_response(saved.section.version, saved))
}
