//! The staff workflow for API clients: requests → inspection →
//! appointments → assessment → report. Every "create the one X of Y" call
//! answers 201 when it created X and 200 when X already existed, with the
//! same body shape.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::appointments::{self, Appointment, Schedule};
use crate::assessment_sections::{
    self as sections, Damage, DamageFields, Identification, IdentificationFields, PreIncidentEstimate,
    PreIncidentEstimateFields, VehicleValues, VehicleValuesFields,
};
use crate::assessments::{self, Assessment, AssessmentDetail, Estimate, EstimateFields, Report, Tyre, TyreFields};
use crate::auth::StaffOrKey;
use crate::error::{Error, ErrorBody, Result};
use crate::http::JsonBody;
use crate::requests::{self, Inspection, NewRequest, Request};
use crate::state::AppState;

use super::{with_expected_version, IdempotencyHeader};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_request))
        .routes(routes!(get_request))
        .routes(routes!(create_inspection, get_inspection))
        .routes(routes!(create_appointment))
        .routes(routes!(get_appointment, reschedule_appointment))
        .routes(routes!(start_assessment))
        .routes(routes!(get_assessment))
        .routes(routes!(save_tyre))
        .routes(routes!(save_estimate))
        .routes(routes!(save_identification))
        .routes(routes!(mark_tab))
        .routes(routes!(save_damage))
        .routes(routes!(save_vehicle_values))
        .routes(routes!(save_pre_incident_estimate))
        .routes(routes!(complete_assessment))
        .routes(routes!(create_report, get_report))
}

fn created_or_found(created: bool) -> StatusCode {
    if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    }
}

/// Opens a request for a client, numbered REQ-YYYY-NNNN.
#[utoipa::path(post, path = "/api/requests", tag = "workflow", request_body = NewRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries return the first response")),
    responses((status = 201, body = Request), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_request(
    State(state): State<AppState>,
    StaffOrKey(actor): StaffOrKey,
    key: IdempotencyHeader,
    JsonBody(input): JsonBody<NewRequest>,
) -> Result<(StatusCode, Json<Request>)> {
    let request = requests::create(&state.pool, actor, &state.time_zone, &input, key.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(request)))
}

#[utoipa::path(get, path = "/api/requests/{id}", tag = "workflow", params(("id" = Uuid, Path)),
    responses((status = 200, body = Request), (status = 404, body = ErrorBody)))]
async fn get_request(
    State(state): State<AppState>,
    _caller: StaffOrKey,
    Path(id): Path<Uuid>,
) -> Result<Json<Request>> {
    let mut conn = state.pool.acquire().await?;
    Ok(Json(requests::find(&mut conn, id).await?.ok_or(Error::NotFound)?))
}

/// The request's inspection: created by the first call, returned by later ones.
#[utoipa::path(post, path = "/api/requests/{id}/inspection", tag = "workflow", params(("id" = Uuid, Path)),
    responses((status = 201, body = Inspection), (status = 200, description = "It existed", body = Inspection),
              (status = 404, body = ErrorBody)))]
async fn create_inspection(
    State(state): State<AppState>,
    StaffOrKey(actor): StaffOrKey,
    Path(id): Path<Uuid>,
) -> Result<(StatusCode, Json<Inspection>)> {
    let (inspection, created) = requests::inspection_for(&state.pool, actor, &state.time_zone, id).await?;
    Ok((created_or_found(created), Json(inspection)))
}

#[utoipa::path(post, path = "/api/inspections/{id}/appointments", tag = "workflow",
    params(("id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header, description = "Makes retries return the first response")),
    request_body = Schedule,
    responses((status = 201, body = Appointment), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_appointment(
    State(state): State<AppState>,
    StaffOrKey(actor): StaffOrKey,
    Path(id): Path<Uuid>,
    key: IdempotencyHeader,
    JsonBody(schedule): JsonBody<Schedule>,
) -> Result<(StatusCode, Json<Appointment>)> {
    let appointment = appointments::create(&state.pool, actor, &state.time_zone, id, &schedule, key.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(appointment)))
}

#[utoipa::path(get, path = "/api/appointments/{id}", tag = "workflow", params(("id" = Uuid, Path)),
    responses((status = 200, body = Appointment), (status = 404, body = ErrorBody)))]
async fn get_appointment(
    State(state): State<AppState>,
    _caller: StaffOrKey,
    Path(id): Path<Uuid>,
) -> Result<Json<Appointment>> {
    let mut conn = state.pool.acquire().await?;
    Ok(Json(appointments::find(&mut conn, id).await?.ok_or(Error::NotFound)?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct Reschedule {
    version: Option<i32>,
    #[serde(flatten)]
    schedule: Schedule,
}

/// Moves an appointment, if it is still at the version you name.
#[utoipa::path(patch, path = "/api/appointments/{id}", tag = "workflow", params(("id" = Uuid, Path)),
    request_body = Reschedule,
    responses((status = 200, body = Appointment), (status = 409, body = ErrorBody), (status = 412, body = ErrorBody),
              (status = 428, body = ErrorBody)))]
async fn reschedule_appointment(
    State(state): State<AppState>,
    StaffOrKey(actor): StaffOrKey,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<Reschedule>,
) -> Result<Json<Appointment>> {
    let appointment = with_expected_version(&headers, body.version, async |version| {
        appointments::reschedule(&state.pool, actor, id, version, &body.schedule).await
    })
    .await?;
    Ok(Json(appointment))
}

/// Starts the appointment's assessment (with all its sections), or returns it.
#[utoipa::path(post, path = "/api/appointments/{id}/assessment", tag = "workflow", params(("id" = Uuid, Path)),
    responses((status = 201, body = AssessmentDetail), (status = 200, description = "It existed", body = AssessmentDetail),
              (status = 404, body = ErrorBody)))]
async fn start_assessment(
    State(state): State<AppState>,
    StaffOrKey(actor): StaffOrKey,
    Path(id): Path<Uuid>,
) -> Result<(StatusCode, Json<AssessmentDetail>)> {
    let (assessment, created) = assessments::start(&state.pool, actor, &state.time_zone, id).await?;
    Ok((created_or_found(created), Json(assessment)))
}

#[utoipa::path(get, path = "/api/assessments/{id}", tag = "workflow", params(("id" = Uuid, Path)),
    responses((status = 200, body = AssessmentDetail), (status = 404, body = ErrorBody)))]
async fn get_assessment(
    State(state): State<AppState>,
    _caller: StaffOrKey,
    Path(id): Path<Uuid>,
) -> Result<Json<AssessmentDetail>> {
    let mut conn = state.pool.acquire().await?;
    Ok(Json(assessments::find(&mut conn, id).await?.ok_or(Error::NotFound)?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TyrePut {
    version: Option<i32>,
    #[serde(flatten)]
    fields: TyreFields,
}

/// Saves one tyre row, if it is still at the version you name.
#[utoipa::path(put, path = "/api/assessments/{id}/tyres/{position}", tag = "workflow",
    params(("id" = Uuid, Path), ("position" = String, Path, description = "front_left, front_right, rear_left, rear_right or spare")),
    request_body = TyrePut,
    responses((status = 200, body = Tyre), (status = 409, body = ErrorBody), (status = 412, body = ErrorBody),
              (status = 428, body = ErrorBody)))]
async fn save_tyre(
    State(state): State<AppState>,
    StaffOrKey(actor): StaffOrKey,
    Path((id, position)): Path<(Uuid, String)>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<TyrePut>,
) -> Result<Json<Tyre>> {
    let tyre = with_expected_version(&headers, body.version, async |version| {
        assessments::save_tyre(&state.pool, actor, id, &position, version, &body.fields).await
    })
    .await?;
    Ok(Json(tyre))
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct VersionOnly {
    version: Option<i32>,
}

/// Marks the assessment completed, if it is still at the version you name.
#[utoipa::path(post, path = "/api/assessments/{id}/complete", tag = "workflow", params(("id" = Uuid, Path)),
    request_body = VersionOnly,
    responses((status = 200, body = VersionOnly), (status = 409, body = ErrorBody)))]
async fn complete_assessment(
    State(state): State<AppState>,
    StaffOrKey(actor): StaffOrKey,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<VersionOnly>,
) -> Result<Json<VersionOnly>> {
    let version = with_expected_version(&headers, body.version, async |version| {
        assessments::complete(&state.pool, actor, id, version).await
    })
    .await?;
    Ok(Json(VersionOnly { version: Some(version) }))
}

/// The completed assessment's report: numbered by the first call, returned by later ones.
#[utoipa::path(post, path = "/api/assessments/{id}/report", tag = "workflow", params(("id" = Uuid, Path)),
    responses((status = 201, body = Report), (status = 200, description = "It existed", body = Report),
              (status = 422, description = "The assessment is not completed", body = ErrorBody)))]
async fn create_report(
    State(state): State<AppState>,
    StaffOrKey(actor): StaffOrKey,
    Path(id): Path<Uuid>,
) -> Result<(StatusCode, Json<Report>)> {
    let (report, created) = assessments::report_for(&state.pool, actor, &state.time_zone, id).await?;
    Ok((created_or_found(created), Json(report)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct EstimatePut {
    version: Option<i32>,
    #[serde(flatten)]
    fields: EstimateFields,
}

/// Saves the repair estimate (the total is computed on the server), if it
/// is still at the version you name.
#[utoipa::path(put, path = "/api/assessments/{id}/estimate", tag = "workflow", params(("id" = Uuid, Path)),
    request_body = EstimatePut,
    responses((status = 200, body = Estimate), (status = 409, body = ErrorBody), (status = 412, body = ErrorBody),
              (status = 422, body = ErrorBody), (status = 428, body = ErrorBody)))]
async fn save_estimate(
    State(state): State<AppState>,
    StaffOrKey(actor): StaffOrKey,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<EstimatePut>,
) -> Result<Json<Estimate>> {
    let estimate = with_expected_version(&headers, body.version, async |version| {
        assessments::save_estimate(&state.pool, actor, id, version, &body.fields).await
    })
    .await?;
    Ok(Json(estimate))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct IdentificationPut {
    version: Option<i32>,
    #[serde(flatten)]
    fields: IdentificationFields,
}

/// Saves the identification section, if it is still at the version you name.
#[utoipa::path(put, path = "/api/assessments/{id}/identification", tag = "workflow", params(("id" = Uuid, Path)),
    request_body = IdentificationPut,
    responses((status = 200, body = Identification), (status = 409, body = ErrorBody), (status = 412, body = ErrorBody),
              (status = 422, body = ErrorBody), (status = 428, body = ErrorBody)))]
async fn save_identification(
    State(state): State<AppState>,
    StaffOrKey(actor): StaffOrKey,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<IdentificationPut>,
) -> Result<Json<Identification>> {
    let saved = with_expected_version(&headers, body.version, async |version| {
        sections::save_identification(&state.pool, actor, id, version, &body.fields).await
    })
    .await?;
    Ok(Json(saved))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TabMark {
    /// `true` to mark the tab complete, `false` to open it again.
    complete: bool,
}

/// Marks one tab of the assessment editor complete (or open again). Repeating
/// it changes nothing, so it needs no version.
#[utoipa::path(put, path = "/api/assessments/{id}/tabs/{tab}", tag = "workflow",
    params(("id" = Uuid, Path), ("tab" = String, Path, description = "identification, tyres, damage, vehicle_values, pre_incident_estimate, estimate or summary")),
    request_body = TabMark,
    responses((status = 200, body = Assessment), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn mark_tab(
    State(state): State<AppState>,
    StaffOrKey(actor): StaffOrKey,
    Path((id, tab)): Path<(Uuid, String)>,
    JsonBody(body): JsonBody<TabMark>,
) -> Result<Json<Assessment>> {
    Ok(Json(assessments::mark_tab(&state.pool, actor, id, &tab, body.complete).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct DamagePut {
    version: Option<i32>,
    #[serde(flatten)]
    fields: DamageFields,
}

/// Saves the damage section, if it is still at the version you name.
#[utoipa::path(put, path = "/api/assessments/{id}/damage", tag = "workflow", params(("id" = Uuid, Path)),
    request_body = DamagePut,
    responses((status = 200, body = Damage), (status = 409, body = ErrorBody), (status = 412, body = ErrorBody),
              (status = 422, body = ErrorBody), (status = 428, body = ErrorBody)))]
async fn save_damage(
    State(state): State<AppState>,
    StaffOrKey(actor): StaffOrKey,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<DamagePut>,
) -> Result<Json<Damage>> {
    let saved = with_expected_version(&headers, body.version, async |version| {
        sections::save_damage(&state.pool, actor, id, version, &body.fields).await
    })
    .await?;
    Ok(Json(saved))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct VehicleValuesPut {
    version: Option<i32>,
    #[serde(flatten)]
    fields: VehicleValuesFields,
}

/// Saves the vehicle values, if it is still at the version you name.
#[utoipa::path(put, path = "/api/assessments/{id}/vehicle-values", tag = "workflow", params(("id" = Uuid, Path)),
    request_body = VehicleValuesPut,
    responses((status = 200, body = VehicleValues), (status = 409, body = ErrorBody), (status = 412, body = ErrorBody),
              (status = 422, body = ErrorBody), (status = 428, body = ErrorBody)))]
async fn save_vehicle_values(
    State(state): State<AppState>,
    StaffOrKey(actor): StaffOrKey,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<VehicleValuesPut>,
) -> Result<Json<VehicleValues>> {
    let saved = with_expected_version(&headers, body.version, async |version| {
        sections::save_vehicle_values(&state.pool, actor, id, version, &body.fields).await
    })
    .await?;
    Ok(Json(saved))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PreIncidentEstimatePut {
    version: Option<i32>,
    #[serde(flatten)]
    fields: PreIncidentEstimateFields,
}

/// Saves the pre-incident estimate, if it is still at the version you name.
#[utoipa::path(put, path = "/api/assessments/{id}/pre-incident-estimate", tag = "workflow", params(("id" = Uuid, Path)),
    request_body = PreIncidentEstimatePut,
    responses((status = 200, body = PreIncidentEstimate), (status = 409, body = ErrorBody), (status = 412, body = ErrorBody),
              (status = 422, body = ErrorBody), (status = 428, body = ErrorBody)))]
async fn save_pre_incident_estimate(
    State(state): State<AppState>,
    StaffOrKey(actor): StaffOrKey,
    Path(id): Path<Uuid>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<PreIncidentEstimatePut>,
) -> Result<Json<PreIncidentEstimate>> {
    let saved = with_expected_version(&headers, body.version, async |version| {
        sections::save_pre_incident_estimate(&state.pool, actor, id, version, &body.fields).await
    })
    .await?;
    Ok(Json(saved))
}

#[utoipa::path(get, path = "/api/requests/{id}/inspection", tag = "workflow", params(("id" = Uuid, Path)),
    responses((status = 200, body = Inspection), (status = 404, description = "No inspection yet", body = ErrorBody)))]
async fn get_inspection(
    State(state): State<AppState>,
    _caller: StaffOrKey,
    Path(id): Path<Uuid>,
) -> Result<Json<Inspection>> {
    let mut conn = state.pool.acquire().await?;
    Ok(Json(requests::find_inspection(&mut conn, id).await?.ok_or(Error::NotFound)?))
}

#[utoipa::path(get, path = "/api/assessments/{id}/report", tag = "workflow", params(("id" = Uuid, Path)),
    responses((status = 200, body = Report), (status = 404, description = "No report yet", body = ErrorBody)))]
async fn get_report(State(state): State<AppState>, _caller: StaffOrKey, Path(id): Path<Uuid>) -> Result<Json<Report>> {
    let mut conn = state.pool.acquire().await?;
    Ok(Json(assessments::find_report(&mut conn, id).await?.ok_or(Error::NotFound)?))
}
