//! `/api/cards`: business cards for API clients.
//!
//! Versions travel as ETags (`"v3"`). A write names the version it is based
//! on either in `If-Match` (stale → 412) or in the body / query as `version`
//! (stale → 409); both carry the current card. Neither → 428.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use sqlx::PgPool;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::auth::SignedIn;
use crate::cards::{self, Card, CardChanges, CardFields};
use crate::error::{Error, ErrorBody, Result};
use crate::state::AppState;
use crate::web::http::{ApiPath, ApiQuery, JsonBody};

use super::{etag, with_expected_version, IdempotencyHeader, Versioned, VersionedWrite, VersionedWriteErrors};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_cards, create_card)).routes(routes!(get_card, update_card, delete_card))
}

fn card_response(status: StatusCode, card: Card) -> Response {
    let mut response = (status, [(header::ETAG, etag(card.version))], Json(&card)).into_response();
    if status == StatusCode::CREATED {
        if let Ok(location) = HeaderValue::from_str(&format!("/api/cards/{}", card.id)) {
            response.headers_mut().insert(header::LOCATION, location);
        }
    }
    response
}

/// My cards, newest first.
#[utoipa::path(
    get, path = "/api/cards", tag = "cards",
    responses(
        (status = 200, description = "The signed-in user's cards", body = Vec<Card>),
        (status = 401, description = "Not signed in", body = ErrorBody),
    )
)]
async fn list_cards(State(pool): State<PgPool>, SignedIn(user): SignedIn) -> Result<Json<Vec<Card>>> {
    let mut conn = pool.acquire().await?;
    Ok(Json(cards::list(&mut conn, user.id).await?))
}

/// Creates a card. `{"name": "…"}` is enough. Send `Idempotency-Key` to make
/// retries safe: the same key returns the first response.
#[utoipa::path(
    post, path = "/api/cards", tag = "cards",
    request_body = CardFields,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries return the first response")),
    responses(
        (status = 201, description = "Created (or the stored response of the same key)", body = Card,
         headers(("Location" = String), ("ETag" = String))),
        (status = 409, description = "Same key still in progress", body = ErrorBody),
        (status = 422, description = "A field is invalid, or the key was used for another request", body = ErrorBody),
    )
)]
async fn create_card(
    State(pool): State<PgPool>,
    SignedIn(user): SignedIn,
    key: IdempotencyHeader,
    JsonBody(fields): JsonBody<CardFields>,
) -> Result<Response> {
    let created = cards::create(&pool, user.id, fields, key.as_deref()).await?;
    Ok(card_response(StatusCode::CREATED, created.into_card()))
}

/// One of my cards, with its version as ETag.
#[utoipa::path(
    get, path = "/api/cards/{id}", tag = "cards",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "The card", body = Card, headers(("ETag" = String))),
        (status = 404, description = "No such card of yours", body = ErrorBody),
    )
)]
async fn get_card(
    State(pool): State<PgPool>,
    SignedIn(user): SignedIn,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Response> {
    let mut conn = pool.acquire().await?;
    let card = cards::find(&mut conn, user.id, id).await?.ok_or(Error::NotFound)?;
    Ok(card_response(StatusCode::OK, card))
}

/// Changes some fields of a card, if it is still at the version you name.
#[utoipa::path(
    patch, path = "/api/cards/{id}", tag = "cards",
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "ETag of the version edited")),
    request_body = Versioned<CardChanges>,
    responses(
        (status = 200, description = "Updated", body = Card, headers(("ETag" = String))),
        VersionedWriteErrors,
        (status = 409, description = "Stale `version`, or the slug is taken; `current` is the card now", body = ErrorBody),
    )
)]
async fn update_card(
    State(pool): State<PgPool>,
    SignedIn(user): SignedIn,
    ApiPath(id): ApiPath<Uuid>,
    write: VersionedWrite<CardChanges>,
) -> Result<Response> {
    let card = write.run(async |version, changes| cards::update(&pool, user.id, id, version, changes).await).await?;
    Ok(card_response(StatusCode::OK, card))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeleteQuery {
    /// The version being deleted (or send `If-Match`).
    #[serde(default, deserialize_with = "super::integral_version")]
    version: Option<i32>,
}

/// Deletes a card, if it is still at the version you name.
#[utoipa::path(
    delete, path = "/api/cards/{id}", tag = "cards",
    params(("id" = Uuid, Path), DeleteQuery, ("If-Match" = Option<String>, Header)),
    responses(
        (status = 204, description = "Deleted"),
        VersionedWriteErrors,
    )
)]
async fn delete_card(
    State(pool): State<PgPool>,
    SignedIn(user): SignedIn,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(query): ApiQuery<DeleteQuery>,
    headers: HeaderMap,
) -> Result<StatusCode> {
    with_expected_version(&headers, query.version, async |version| cards::delete(&pool, user.id, id, version).await)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
