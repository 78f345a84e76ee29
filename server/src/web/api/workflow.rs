//! The staff workflow for API clients: requests → inspection →
//! appointments → assessment → report. Every "create the one X of Y" call
//! answers 201 when it created X and 200 when X already existed, with the
//! same body shape.

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::appointments::{self, Appointment, Schedule};
use crate::assessment_sections::{
    self as sections, Damage, DamageFields, Estimate, EstimateFields, Identification, IdentificationFields,
    PreIncidentEstimate, PreIncidentEstimateFields, Tyre, TyreFields, TyrePosition, VehicleValues, VehicleValuesFields,
};
use crate::assessments::{self, Assessment, AssessmentDetail, Report, Tab};
use crate::audit::Actor;
use crate::auth::StaffOrKey;
use crate::error::{Error, ErrorBody, Result};
use crate::requests::{self, Inspection, NewRequest, Request};
use crate::state::AppState;
use crate::web::http::{ApiPath, JsonBody};

use super::{
    CreateErrors, Db, IdempotencyHeader, NoFields, ReadErrors, Versioned, VersionedWrite, VersionedWriteErrors,
};

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

/// Who does the work (staff, or an API key with the `workflow` scope) and
/// the state they do it with.
struct Work {
    actor: Actor,
    state: AppState,
}

impl FromRequestParts<AppState> for Work {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &AppState) -> Result<Self> {
        let StaffOrKey(actor) = StaffOrKey::from_request_parts(parts, state).await?;
        Ok(Work { actor, state: state.clone() })
    }
}

/// A create's answer: 201 with the record.
type Created<T> = Result<(StatusCode, Json<T>)>;

/// A get-or-create's answer: 201 when this call created the record, 200
/// when it existed, with the same body.
fn created_or_found<T>((record, created): (T, bool)) -> (StatusCode, Json<T>) {
    (if created { StatusCode::CREATED } else { StatusCode::OK }, Json(record))
}

/// Opens a request for a client, numbered REQ-YYYY-NNNN.
#[utoipa::path(post, path = "/api/requests", tag = "workflow", request_body = NewRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries return the first response")),
    responses((status = 201, body = Request), CreateErrors))]
async fn create_request(work: Work, key: IdempotencyHeader, JsonBody(input): JsonBody<NewRequest>) -> Created<Request> {
    let request = requests::create(&work.state.numbering, work.actor, &input, key.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(request)))
}

/// The request's inspection: created by the first call, returned by later ones.
#[utoipa::path(post, path = "/api/requests/{id}/inspection", tag = "workflow", params(("id" = Uuid, Path)),
    responses((status = 201, body = Inspection), (status = 200, description = "It existed", body = Inspection), ReadErrors))]
async fn create_inspection(work: Work, ApiPath(id): ApiPath<Uuid>) -> Created<Inspection> {
    Ok(created_or_found(requests::inspection_for(&work.state.numbering, work.actor, id).await?))
}

#[utoipa::path(post, path = "/api/inspections/{id}/appointments", tag = "workflow",
    params(("id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header, description = "Makes retries return the first response")),
    request_body = Schedule,
    responses((status = 201, body = Appointment), CreateErrors, (status = 404, description = "No such inspection", body = ErrorBody)))]
async fn create_appointment(
    work: Work,
    ApiPath(id): ApiPath<Uuid>,
    key: IdempotencyHeader,
    JsonBody(schedule): JsonBody<Schedule>,
) -> Created<Appointment> {
    let Work { actor, state } = work;
    let appointment = appointments::create(&state.numbering, actor, id, &schedule, key.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(appointment)))
}

/// Moves an appointment, if it is still at the version you name.
#[utoipa::path(patch, path = "/api/appointments/{id}", tag = "workflow", params(("id" = Uuid, Path)),
    request_body = Versioned<Schedule>, responses((status = 200, body = Appointment), VersionedWriteErrors))]
async fn reschedule_appointment(
    work: Work,
    ApiPath(id): ApiPath<Uuid>,
    write: VersionedWrite<Schedule>,
) -> Result<Json<Appointment>> {
    let save =
        async |version, schedule| appointments::reschedule(&work.state.pool, work.actor, id, version, &schedule).await;
    Ok(Json(write.run(save).await?))
}

/// Starts the appointment's assessment (with all its sections), or returns it.
#[utoipa::path(post, path = "/api/appointments/{id}/assessment", tag = "workflow", params(("id" = Uuid, Path)),
    responses((status = 201, body = AssessmentDetail), (status = 200, description = "It existed", body = AssessmentDetail),
              ReadErrors))]
async fn start_assessment(work: Work, ApiPath(id): ApiPath<Uuid>) -> Created<AssessmentDetail> {
    Ok(created_or_found(assessments::start(&work.state.numbering, work.actor, id).await?))
}

/// Saves one tyre row, if it is still at the version you name.
#[utoipa::path(put, path = "/api/assessments/{id}/tyres/{position}", tag = "workflow",
    params(("id" = Uuid, Path), ("position" = TyrePosition, Path)),
    request_body = Versioned<TyreFields>, responses((status = 200, body = Tyre), VersionedWriteErrors))]
async fn save_tyre(
    work: Work,
    ApiPath((id, position)): ApiPath<(Uuid, String)>,
    write: VersionedWrite<TyreFields>,
) -> Result<Json<Tyre>> {
    let save = async |version, fields| {
        sections::save_tyre(&work.state.pool, work.actor, id, &position, version, &fields).await
    };
    Ok(Json(write.run(save).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TabMark {
    /// `true` to mark the tab complete, `false` to open it again.
    complete: bool,
}

/// Marks one tab of the assessment editor complete (or open again). Repeating
/// it changes nothing, so it needs no version.
#[utoipa::path(put, path = "/api/assessments/{id}/tabs/{tab}", tag = "workflow",
    params(("id" = Uuid, Path), ("tab" = Tab, Path)),
    request_body = TabMark,
    responses((status = 200, body = Assessment), ReadErrors, (status = 422, body = ErrorBody)))]
async fn mark_tab(
    work: Work,
    ApiPath((id, tab)): ApiPath<(Uuid, String)>,
    JsonBody(body): JsonBody<TabMark>,
) -> Result<Json<Assessment>> {
    Ok(Json(assessments::mark_tab(&work.state.pool, work.actor, id, &tab, body.complete).await?))
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
    work: Work,
    ApiPath(id): ApiPath<Uuid>,
    write: VersionedWrite<NoFields>,
) -> Result<Json<AssessmentVersion>> {
    let version =
        write.run(async |version, _| assessments::complete(&work.state.pool, work.actor, id, version).await).await?;
    Ok(Json(AssessmentVersion { version }))
}

/// The completed assessment's report: numbered by the first call, returned by later ones.
#[utoipa::path(post, path = "/api/assessments/{id}/report", tag = "workflow", params(("id" = Uuid, Path)),
    responses((status = 201, body = Report), (status = 200, description = "It existed", body = Report), ReadErrors,
              (status = 422, description = "The assessment is not completed", body = ErrorBody)))]
async fn create_report(work: Work, ApiPath(id): ApiPath<Uuid>) -> Created<Report> {
    Ok(created_or_found(assessments::report_for(&work.state.numbering, work.actor, id).await?))
}

/// The PUT of one assessment section that is saved whole on its own
/// version: the same handler for each, but for its path, types and save.
macro_rules! section_put {
    ($handler:ident, $path:literal, $summary:literal, $fields:ty, $section:ty, $save:path) => {
        #[doc = $summary]
        #[utoipa::path(put, path = $path, tag = "workflow", params(("id" = Uuid, Path)),
            request_body = Versioned<$fields>, responses((status = 200, body = $section), VersionedWriteErrors))]
        async fn $handler(work: Work, ApiPath(id): ApiPath<Uuid>, write: VersionedWrite<$fields>) -> Result<Json<$section>> {
            let save = async |version, fields| $save(&work.state.pool, work.actor, id, version, &fields).await;
            Ok(Json(write.run(save).await?))
        }
    };
}

section_put!(
    save_estimate,
    "/api/assessments/{id}/estimate",
    "Saves the repair estimate (the total is computed on the server), if it is still at the version you name.",
    EstimateFields,
    Estimate,
    sections::save_estimate
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

/// The GET of one workflow record by its id: the same handler for each,
/// but for its path, type and read.
macro_rules! get_by_id {
    ($handler:ident, $path:literal, $record:ty, $find:path, $missing:literal) => {
        #[utoipa::path(get, path = $path, tag = "workflow", params(("id" = Uuid, Path)),
            responses((status = 200, body = $record), ReadErrors, (status = 404, description = $missing, body = ErrorBody)))]
        async fn $handler(_caller: StaffOrKey, Db(mut conn): Db, ApiPath(id): ApiPath<Uuid>) -> Result<Json<$record>> {
            Ok(Json($find(&mut conn, id).await?.ok_or(Error::NotFound)?))
        }
    };
}

get_by_id!(get_request, "/api/requests/{id}", Request, requests::find, "No such request");
get_by_id!(get_inspection, "/api/requests/{id}/inspection", Inspection, requests::find_inspection, "No inspection yet");
get_by_id!(get_appointment, "/api/appointments/{id}", Appointment, appointments::find, "No such appointment");
get_by_id!(get_assessment, "/api/assessments/{id}", AssessmentDetail, assessments::find, "No such assessment");
get_by_id!(get_report, "/api/assessments/{id}/report", Report, assessments::find_report, "No report yet");
