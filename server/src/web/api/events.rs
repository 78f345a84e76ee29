//! `GET /api/events`: live change notices as Server-Sent Events.

use axum::extract::State;

use crate::web::http::ApiQuery;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::auth::{require_user, AuthSession};
use crate::error::{Error, ErrorBody, Result};
use crate::notices::{self, Topic};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(events))
}

/// Records whose changes only their owner can make: a user watching them is
/// told about changes made by that user (on another tab or device).
const OWN_RECORDS: &[&str] = &["business_card", "personal_info", "professional_info"];
/// Records of the staff workflow: staff and admins only.
const STAFF_RECORDS: &[&str] = &[
    "client",
    "appointment",
    "assessment",
    "assessment_section",
    "assessment_tyre",
    "assessment_estimate",
    "assignment",
];

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct Watch {
    /// Comma-separated `entity:id` topics, e.g.
    /// `business_card:1b4e…,assessment_section:9c0d…`; `entity:*` is every
    /// record of a kind.
    watch: String,
}

/// Live notices about the watched records: `change` events carry
/// `{entity, id, action, version, by, by_id}` (never the data), `resync`
/// means notices may have been missed and the page should refetch. A
/// comment every 15 s keeps idle streams open through proxies. Sending
/// `Last-Event-ID` (browsers do when they reconnect) starts with `resync`.
#[utoipa::path(
    get, path = "/api/events", tag = "notices",
    params(Watch),
    responses((status = 200, description = "text/event-stream of `change` and `resync` events"),
              (status = 401, description = "Not signed in", body = ErrorBody),
              (status = 403, description = "A topic this user may not watch", body = ErrorBody),
              (status = 422, description = "A malformed topic, or too many", body = ErrorBody),
              (status = 429, description = "Too many streams open for this user", body = ErrorBody)))]
async fn events(
    State(state): State<AppState>,
    session: AuthSession,
    headers: HeaderMap,
    ApiQuery(watch): ApiQuery<Watch>,
) -> Result<Response> {
    let user = require_user(&session)?;
    // Every signed-in session has a device (sessions without one are
    // signed out before they get here).
    let device = crate::auth::current_device(&session).await.ok_or(Error::Unauthorized)?;
    let mut topics = Vec::new();
    for topic in watch.watch.split(',').map(str::trim).filter(|topic| !topic.is_empty()) {
        if topics.len() == notices::MAX_TOPICS_PER_STREAM {
            return Err(Error::invalid(
                "watch",
                format!("Watch at most {} topics per stream.", notices::MAX_TOPICS_PER_STREAM),
            ));
        }
        if topic.len() > 200 || topic.chars().any(char::is_control) {
            return Err(Error::invalid("watch", "A topic is entity:id, at most 200 characters."));
        }
        let Some((entity, key)) = topic.split_once(':').filter(|(_, key)| !key.is_empty()) else {
            return Err(Error::invalid("watch", format!("{topic:?} is not an entity:id topic")));
        };
        let by = if OWN_RECORDS.contains(&entity) {
            Some(user.id)
        } else if STAFF_RECORDS.contains(&entity) {
            if !user.role.is_staff() {
                return Err(Error::Forbidden);
            }
            None
        } else {
            return Err(Error::invalid("watch", format!("there are no notices about {entity:?}")));
        };
        topics.push(Topic { entity: entity.to_owned(), key: key.to_owned(), by });
    }
    if topics.is_empty() {
        return Err(Error::invalid("watch", "Name at least one entity:id topic."));
    }
    let resumed = headers.contains_key("last-event-id");
    let viewer = notices::Viewer { user: user.id, device };
    Ok(notices::stream(&state.notices, state.pool.clone(), viewer, topics, resumed).await?.into_response())
}
