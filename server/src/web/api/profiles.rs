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
use crate::error::Result;
use crate::profiles::{self, PersonalFields, PersonalInfo, ProfessionalFields, ProfessionalInfo, Saved};
use crate::state::AppState;

use super::{etag, Db, ReadErrors, Versioned, VersionedWrite, VersionedWriteErrors};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_personal, put_personal)).routes(routes!(get_professional, put_professional))
}

fn section_response(version: i32, body: impl Serialize) -> Response {
    (StatusCode::OK, [(header::ETAG, etag(version))], Json(body)).into_response()
}

/// The GET and versioned PUT of one profile section: the same pair for
/// each, but for its path and types.
macro_rules! profile_section {
    ($get:ident, $put:ident, $path:literal, $fields:ty, $section:ty, $read:path, $save:path) => {
        /// My section, with its version as ETag (version 0 and empty when never saved).
        #[utoipa::path(get, path = $path, tag = "profile",
            responses((status = 200, description = "The section", body = $section, headers(("ETag" = String))), ReadErrors))]
        async fn $get(SignedIn(user): SignedIn, Db(mut conn): Db) -> Result<Response> {
            let section = $read(&mut conn, user.id).await?;
            Ok(section_response(section.version, section))
        }

        /// Saves the whole section if it is still at the version you name.
        #[utoipa::path(put, path = $path, tag = "profile",
            params(("If-Match" = Option<String>, Header, description = "ETag of the version edited; \"v0\" for the first save")),
            request_body = Versioned<$fields>,
            responses((status = 200, description = "Saved; `is_new` says whether this save created the section",
                       body = Saved<$section>, headers(("ETag" = String))), VersionedWriteErrors))]
        async fn $put(State(pool): State<PgPool>, SignedIn(user): SignedIn, write: VersionedWrite<$fields>) -> Result<Response> {
            let saved = write.run(async |version, fields| $save(&pool, user.id, version, &fields).await).await?;
            Ok(section_response(saved.section.version, saved))
        }
    };
}

profile_section!(
    get_personal,
    put_personal,
    "/api/profile/personal",
    PersonalFields,
    PersonalInfo,
    profiles::personal,
    profiles::save_personal
);
profile_section!(
    get_professional,
    put_professional,
    "/api/profile/professional",
    ProfessionalFields,
    ProfessionalInfo,
    profiles::professional,
    profiles::save_professional
);
