//! `/api/clients`: staff create clients with their own ids (idempotent by id).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use sqlx::PgPool;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::auth::StaffOrKey;
use crate::clients::{self, Client, ClientFields, Created, NewClient};
use crate::error::{Error, ErrorBody, Result};
use crate::state::AppState;
use crate::web::http::{ApiPath, JsonBody};

use super::{CreateErrors, Versioned, VersionedWrite, VersionedWriteErrors};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create_client)).routes(routes!(get_client, update_client))
}

/// Creates a client. An `id` that already exists returns that client
/// (200, `created: false`) and changes nothing.
#[utoipa::path(
    post, path = "/api/clients", tag = "clients",
    request_body = NewClient,
    responses((status = 201, description = "Created", body = Created),
              (status = 200, description = "A client with this id already existed", body = Created), CreateErrors,
              (status = 409, description = "Another client has this email", body = ErrorBody)))]
async fn create_client(
    State(pool): State<PgPool>,
    StaffOrKey(actor): StaffOrKey,
    JsonBody(input): JsonBody<NewClient>,
) -> Result<(StatusCode, Json<Created>)> {
    let created = clients::create(&pool, actor, &input).await?;
    let status = if created.created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(created)))
}

#[utoipa::path(
    get, path = "/api/clients/{id}", tag = "clients",
    params(("id" = String, Path)),
    responses(
        (status = 200, description = "The client", body = Client),
        (status = 404, description = "No such client", body = ErrorBody),
    )
)]
async fn get_client(
    State(pool): State<PgPool>,
    _caller: StaffOrKey,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Client>> {
    let mut conn = pool.acquire().await?;
    Ok(Json(clients::find(&mut conn, &id).await?.ok_or(Error::NotFound)?))
}

/// Changes a client, if it is still at the version you name.
#[utoipa::path(
    put, path = "/api/clients/{id}", tag = "clients",
    params(("id" = String, Path)),
    request_body = Versioned<ClientFields>,
    responses(
        (status = 200, description = "Saved", body = Client),
        VersionedWriteErrors,
        (status = 409, description = "Stale version (with `current`), or the email is taken", body = ErrorBody),
    )
)]
async fn update_client(
    State(pool): State<PgPool>,
    StaffOrKey(actor): StaffOrKey,
    ApiPath(id): ApiPath<String>,
    write: VersionedWrite<ClientFields>,
) -> Result<Json<Client>> {
    let client =
        write.run(async |version, changes| clients::update(&pool, actor, &id, version, &changes).await).await?;
    Ok(Json(client))
}
