//! Training over REST: scenarios and assignments for staff sessions, start
//! and complete for counselors, and `/api/external/assignments` for
//! external systems holding an API key.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::api_keys::AssignmentsKey;
use crate::assignments::{self, Assignment, BulkOutcome};
use crate::audit::Actor;
use crate::auth::{Counselor, Staff};
use crate::counselors;
use crate::error::{Error, ErrorBody, Result};
use crate::scenarios::{self, NewScenario, Scenario};
use crate::state::AppState;
use crate::web::http::{ApiPath, JsonBody};

use super::{IdempotencyHeader, NoFields, Versioned, VersionedWrite, VersionedWriteErrors};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(external_create_assignment, external_list_assignments))
        .routes(routes!(list_scenarios, create_scenario))
        .routes(routes!(scenario_assignments))
        .routes(routes!(create_assignment))
        .routes(routes!(bulk_assign))
        .routes(routes!(my_assignments))
        .routes(routes!(start_assignment))
        .routes(routes!(complete_assignment))
}

/// What a call with an API key may answer besides its own answers.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // only read by the OpenAPI document
pub enum ApiKeyErrors {
    #[response(status = 401, description = "Missing, wrong, revoked or expired key")]
    Unauthorized(ErrorBody),
    #[response(status = 403, description = "The key lacks the `assignments` scope")]
    Forbidden(ErrorBody),
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ExternalAssignment {
    /// The counselor's id in your system (their `external_id` here).
    user_id: String,
    scenario_id: Uuid,
    /// `YYYY-MM-DD`.
    due_date: Option<NaiveDate>,
}

/// Assigns a scenario to a counselor. At most one active assignment per
/// counselor and scenario: a second one is refused with 409 naming it.
#[utoipa::path(post, path = "/api/external/assignments", tag = "external",
    params(("X-API-Key" = String, Header, description = "Your API key")),
    request_body = ExternalAssignment,
    responses((status = 201, description = "Assigned", body = Assignment), ApiKeyErrors,
              (status = 404, description = "Unknown counselor or scenario", body = ErrorBody),
              (status = 409, description = "An active assignment exists (in `existing`)", body = ErrorBody),
              (status = 422, description = "The body is not valid", body = ErrorBody)))]
async fn external_create_assignment(
    State(state): State<AppState>,
    AssignmentsKey(key): AssignmentsKey,
    JsonBody(body): JsonBody<ExternalAssignment>,
) -> Result<(StatusCode, Json<Assignment>)> {
    let counselor = {
        let mut conn = state.pool.acquire().await?;
        counselors::find_by_external_id(&mut conn, body.user_id.trim()).await?.ok_or(Error::NotFound)?
    };
    let assignment =
        assignments::create(&state.pool, Actor::ApiKey(key.id), counselor.id, body.scenario_id, body.due_date).await?;
    Ok((StatusCode::CREATED, Json(assignment)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ByUser {
    /// The counselor's id in your system.
    user_id: String,
}

/// A counselor's assignments, active ones first.
#[utoipa::path(get, path = "/api/external/assignments", tag = "external",
    params(ByUser, ("X-API-Key" = String, Header, description = "Your API key")),
    responses((status = 200, body = Vec<Assignment>), ApiKeyErrors,
              (status = 404, description = "Unknown counselor", body = ErrorBody)))]
async fn external_list_assignments(
    State(state): State<AppState>,
    _key: AssignmentsKey,
    query: std::result::Result<Query<ByUser>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<Assignment>>> {
    let Query(ByUser { user_id }) = query.map_err(|rejection| Error::invalid("user_id", rejection.body_text()))?;
    let mut conn = state.pool.acquire().await?;
    let counselor = counselors::find_by_external_id(&mut conn, user_id.trim()).await?.ok_or(Error::NotFound)?;
    Ok(Json(assignments::list(&mut conn, None, Some(counselor.id)).await?))
}

#[utoipa::path(get, path = "/api/scenarios", tag = "training",
    responses((status = 200, body = Vec<Scenario>), (status = 403, body = ErrorBody)))]
async fn list_scenarios(State(state): State<AppState>, _caller: Staff) -> Result<Json<Vec<Scenario>>> {
    let mut conn = state.pool.acquire().await?;
    Ok(Json(scenarios::list(&mut conn).await?))
}

#[utoipa::path(post, path = "/api/scenarios", tag = "training", request_body = NewScenario,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries return the first response")),
    responses((status = 201, body = Scenario), (status = 409, description = "Title taken", body = ErrorBody),
              (status = 422, body = ErrorBody)))]
async fn create_scenario(
    State(state): State<AppState>,
    Staff(staff): Staff,
    key: IdempotencyHeader,
    JsonBody(input): JsonBody<NewScenario>,
) -> Result<(StatusCode, Json<Scenario>)> {
    let (scenario, _) = scenarios::create(&state.pool, staff.id, &input, key.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(scenario)))
}

/// The assignment board of one scenario.
#[utoipa::path(get, path = "/api/scenarios/{id}/assignments", tag = "training", params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<Assignment>), (status = 404, body = ErrorBody)))]
async fn scenario_assignments(
    State(state): State<AppState>,
    _caller: Staff,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<Vec<Assignment>>> {
    let mut conn = state.pool.acquire().await?;
    scenarios::find(&mut conn, id).await?.ok_or(Error::NotFound)?;
    Ok(Json(assignments::list(&mut conn, Some(id), None).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewAssignment {
    counselor_id: Uuid,
    scenario_id: Uuid,
    due_date: Option<NaiveDate>,
}

/// Staff assign a scenario to one counselor.
#[utoipa::path(post, path = "/api/assignments", tag = "training", request_body = NewAssignment,
    responses((status = 201, body = Assignment), (status = 404, body = ErrorBody),
              (status = 409, description = "An active assignment exists (in `existing`)", body = ErrorBody)))]
async fn create_assignment(
    State(state): State<AppState>,
    Staff(staff): Staff,
    JsonBody(body): JsonBody<NewAssignment>,
) -> Result<(StatusCode, Json<Assignment>)> {
    let assignment =
        assignments::create(&state.pool, Actor::User(staff.id), body.counselor_id, body.scenario_id, body.due_date)
            .await?;
    Ok((StatusCode::CREATED, Json(assignment)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct BulkAssignment {
    scenario_id: Uuid,
    counselor_ids: Vec<Uuid>,
    due_date: Option<NaiveDate>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BulkReport {
    created: usize,
    skipped: usize,
    /// One entry per distinct counselor asked for.
    outcomes: Vec<BulkOutcome>,
}

/// Assigns a scenario to many counselors at once; each is reported as
/// created or skipped with the reason.
#[utoipa::path(post, path = "/api/assignments/bulk", tag = "training", request_body = BulkAssignment,
    responses((status = 200, body = BulkReport), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn bulk_assign(
    State(state): State<AppState>,
    Staff(staff): Staff,
    JsonBody(body): JsonBody<BulkAssignment>,
) -> Result<Json<BulkReport>> {
    let outcomes =
        assignments::bulk_assign(&state.pool, staff.id, body.scenario_id, &body.counselor_ids, body.due_date).await?;
    let created = outcomes.iter().filter(|o| o.created).count();
    Ok(Json(BulkReport { created, skipped: outcomes.len() - created, outcomes }))
}

/// The signed-in counselor's assignments.
#[utoipa::path(get, path = "/api/assignments/mine", tag = "training",
    responses((status = 200, body = Vec<Assignment>), (status = 403, body = ErrorBody)))]
async fn my_assignments(
    State(state): State<AppState>,
    Counselor(counselor): Counselor,
) -> Result<Json<Vec<Assignment>>> {
    let mut conn = state.pool.acquire().await?;
    Ok(Json(assignments::list(&mut conn, None, Some(counselor.id)).await?))
}

/// The counselor starts their pending assignment (version checked).
#[utoipa::path(post, path = "/api/assignments/{id}/start", tag = "training", params(("id" = Uuid, Path)),
    request_body = Versioned<NoFields>, responses((status = 200, body = Assignment), VersionedWriteErrors))]
async fn start_assignment(
    state: State<AppState>,
    counselor: Counselor,
    id: ApiPath<Uuid>,
    write: VersionedWrite<NoFields>,
) -> Result<Json<Assignment>> {
    advance(state, counselor, id, write, assignments::Step::Start).await
}

/// The counselor completes their assignment in progress (version checked).
#[utoipa::path(post, path = "/api/assignments/{id}/complete", tag = "training", params(("id" = Uuid, Path)),
    request_body = Versioned<NoFields>, responses((status = 200, body = Assignment), VersionedWriteErrors))]
async fn complete_assignment(
    state: State<AppState>,
    counselor: Counselor,
    id: ApiPath<Uuid>,
    write: VersionedWrite<NoFields>,
) -> Result<Json<Assignment>> {
    advance(state, counselor, id, write, assignments::Step::Complete).await
}

/// Moves the counselor's own assignment one step on, version checked.
async fn advance(
    State(state): State<AppState>,
    Counselor(counselor): Counselor,
    ApiPath(id): ApiPath<Uuid>,
    write: VersionedWrite<NoFields>,
    step: assignments::Step,
) -> Result<Json<Assignment>> {
    let advance = async |version, _| assignments::advance(&state.pool, counselor.id, id, version, step).await;
    Ok(Json(write.run(advance).await?))
}
