//! The staff workflow for API clients: requests → inspection →
//! appointments → assessment → report. Every "create the one X of Y" call
//! answers 201 when it created X and 200 when X already existed, with the
//! same body shape.

use axum::extract::{Path, State};
use axum::http::StatusCode;
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

use super::{IdempotencyHeader, NoFields, Versioned, VersionedWrite, VersionedWriteErrors};

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

/// Moves an appointment, if it is still at the version you name.
#[utoipa::path(patch, path = "/api/appointments/{id}", tag = "workflow", params(("id" = Uuid, Path)),
    request_body = Versioned<Schedule>, responses((status = 200, body = Appointment), VersionedWriteErrors))]
async fn reschedule_appointment(
    State(state): State<AppState>,
    StaffOrKey(actor): StaffOrKey,
    Path(id): Path<Uuid>,
    write: VersionedWrite<Schedule>,
) -> Result<Json<Appointment>> {
    let save = async |version, schedule| appointments::reschedule(&state.pool, actor, id, version, &schedule).await;
    Ok(Json(write.run(save).await?))
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

/// Saves one tyre row, if it is still at the version you name.
#[utoipa::path(put, path = "/api/assessments/{id}/tyres/{position}", tag = "workflow",
    params(("id" = Uuid, Path), ("position" = String, Path, description = "front_left, front_right, rear_left, rear_right or spare")),
    request_body = Versioned<TyreFields>, responses((status = 200, body = Tyre), VersionedWriteErrors))]
async fn save_tyre(
    State(state): State<AppState>,
    StaffOrKey(actor): StaffOrKey,
    Path((id, position)): Path<(Uuid, String)>,
    write: VersionedWrite<TyreFields>,
) -> Result<Json<Tyre>> {
    let save =
        async |version, fields| assessments::save_tyre(&state.pool, actor, id, &position, version, &fields).await;
    Ok(Json(write.run(save).await?))
}

/// The version an assessment is at.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssessmentVersion {
    version: i32,
}

/// Marks the assessment completed, if it is still at the version you name.
#[utoipa::path(post, path = "/api/assessments/{id}/complete", tag = "workflow", params(("id" = Uuid, Path)),
    request_body = Versioned<NoFields>, responses((status = 200, body = AssessmentVersion), VersionedWriteErrors))]
async fn complete_assessment(
    State(state): State<AppState>,
    StaffOrKey(actor): StaffOrKey,
    Path(id): Path<Uuid>,
    write: VersionedWrite<NoFields>,
) -> Result<Json<AssessmentVersion>> {
    let version = write.run(async |version, _| assessments::complete(&state.pool, actor, id, version).await).await?;
    Ok(Json(AssessmentVersion { version }))
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

/// The PUT of one assessment section that is saved whole on its own
/// version: the same handler for each, but for its path, types and save.
macro_rules! section_put {
    ($handler:ident, $path:literal, $summary:literal, $fields:ty, $section:ty, $save:path) => {
        #[doc = $summary]
        #[utoipa::path(put, path = $path, tag = "workflow", params(("id" = Uuid, Path)),
            request_body = Versioned<$fields>, responses((status = 200, body = $section), VersionedWriteErrors))]
        async fn $handler(
            State(state): State<AppState>,
            StaffOrKey(actor): StaffOrKey,
            Path(id): Path<Uuid>,
            write: VersionedWrite<$fields>,
        ) -> Result<Json<$section>> {
            Ok(Json(write.run(async |version, fields| $save(&state.pool, actor, id, version, &fields).await).await?))
        }
    };
}

section_put!(
    save_estimate,
    "/api/assessments/{id}/estimate",
    "Saves the repair estimate (the total is computed on the server), if it is still at the version you name.",
    EstimateFields,
    Estimate,
    assessments::save_estimate
);
section_put!(
    save_identification,
    "/api/assessments/{id}/identification",
    "Saves the identification section, if it is still at the version you name.",
    IdentificationFields,
    Identification,
    sections::save_identification
);
section_put!(
    save_damage,
    "/api/assessments/{id}/damage",
    "Saves the damage section, if it is still at the version you name.",
    DamageFields,
    Damage,
    sections::save_damage
);
section_put!(
    save_vehicle_values,
    "/api/assessments/{id}/vehicle-values",
    "Saves the vehicle values, if it is still at the version you name.",
    VehicleValuesFields,
    VehicleValues,
    sections::save_vehicle_values
);
section_put!(
    save_pre_incident_estimate,
    "/api/assessments/{id}/pre-incident-estimate",
    "Saves the pre-incident estimate, if it is still at the version you name.",
    PreIncidentEstimateFields,
    PreIncidentEstimate,
    sections::save_pre_incident_estimate
);
