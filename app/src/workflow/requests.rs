//! Requests (REQ): opening one for a client, its inspection (INS), and the
//! appointments (APT) booked on it.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

use model::appointments::{Appointment, AppointmentWithAssessment};
use model::clients::Client;
use model::requests::{Inspection, Request};

#[cfg(feature = "ssr")]
use super::ssr;

/// The request page: the request with its client, its inspection (if any),
/// the inspection's appointments, and who can be booked as assessor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestDetail {
    pub request: Request,
    pub client: Client,
    pub inspection: Option<Inspection>,
    /// Soonest first.
    pub appointments: Vec<AppointmentWithAssessment>,
    /// Who can be assigned as assessor: (id, name).
    pub assessors: Vec<(String, String)>,
    /// The business time zone appointment times are shown and entered in.
    pub time_zone: String,
}

impl RequestDetail {
    /// The name of the appointment's assessor, if they can still be assigned.
    pub fn assessor_of(&self, appointment: &Appointment) -> Option<&str> {
        let id = appointment.assessor_id?.to_string();
        self.assessors.iter().find(|(candidate, _)| *candidate == id).map(|(_, name)| name.as_str())
    }
}

/// A schedule from form values: `YYYY-MM-DDTHH:MM` in the business time
/// zone, a location, and an assessor's id (empty: `fallback`).
#[cfg(feature = "ssr")]
fn schedule(
    zone: &server::numbers::BusinessTimeZone,
    at: &str,
    location: String,
    assessor_id: &str,
    fallback: uuid::Uuid,
) -> Result<server::appointments::Schedule, AppError> {
    let at = zone.parse_local("scheduled_at", at)?;
    let assessor = match assessor_id.trim() {
        "" => fallback,
        id => uuid::Uuid::parse_str(id).map_err(|_| AppError::Invalid {
            field: "assessor_id".into(),
            message: "Choose an assessor from the list.".into(),
        })?,
    };
    Ok(server::appointments::Schedule { scheduled_at: at, location, assessor_id: Some(assessor) })
}

/// Opens a request for the client; the form's key makes a resend harmless.
#[server(prefix = "/sfn", endpoint = "create_request")]
pub async fn create_request(
    client_id: String,
    request: model::requests::RequestFields,
    idempotency_key: String,
) -> Result<String, AppError> {
    let (state, user) = ssr::staff().await?;
    let input = server::requests::NewRequest { client_id, fields: request };
    let created = server::requests::create(&state.numbering, user.id.into(), &input, Some(&idempotency_key)).await?;
    crate::ssr::redirect(&format!("/staff/requests/{}", created.id));
    Ok(created.id.to_string())
}

#[server(prefix = "/sfn", endpoint = "get_request")]
pub async fn get_request(id: String) -> Result<RequestDetail, AppError> {
    let (state, _) = ssr::staff().await?;
    let mut conn = state.pool.acquire().await.map_err(server::Error::from)?;
    let request = server::requests::find(&mut conn, ssr::uuid(&id)?).await?.ok_or(AppError::NotFound)?;
    let client = server::clients::find(&mut conn, &request.client_id).await?.ok_or(AppError::NotFound)?;
    let inspection = server::requests::find_inspection(&mut conn, request.id).await?;
    let assessors = server::accounts::staff_members(&mut conn)
        .await?
        .into_iter()
        .map(|(id, name)| (id.to_string(), name))
        .collect();
    let appointments = match &inspection {
        Some(inspection) => server::appointments::for_inspection(&mut conn, inspection.id, &state.time_zone).await?,
        None => Vec::new(),
    };
    let time_zone = state.time_zone.as_str().to_owned();
    Ok(RequestDetail { request, client, inspection, appointments, assessors, time_zone })
}

/// The request's inspection (created once; a second click returns it).
#[server(prefix = "/sfn", endpoint = "create_inspection")]
pub async fn create_inspection(request_id: String) -> Result<String, AppError> {
    let (state, user) = ssr::staff().await?;
    let (inspection, _) =
        server::requests::inspection_for(&state.numbering, user.id.into(), ssr::uuid(&request_id)?).await?;
    Ok(inspection.number)
}

/// Books an appointment; `scheduled_at` is `YYYY-MM-DDTHH:MM` in the
/// business time zone. Without
/// an assessor, the person booking is the assessor.
#[server(prefix = "/sfn", endpoint = "create_appointment")]
pub async fn create_appointment(
    inspection_id: String,
    scheduled_at: String,
    location: String,
    #[server(default)] assessor_id: String,
    idempotency_key: String,
) -> Result<String, AppError> {
    let (state, user) = ssr::staff().await?;
    let schedule = schedule(&state.time_zone, &scheduled_at, location, &assessor_id, user.id)?;
    let appointment = server::appointments::create(
        &state.numbering,
        user.id.into(),
        ssr::uuid(&inspection_id)?,
        &schedule,
        Some(&idempotency_key),
    )
    .await?;
    Ok(appointment.number)
}

/// Moves an appointment, if it is still at `version`.
#[server(prefix = "/sfn", endpoint = "reschedule_appointment")]
pub async fn reschedule_appointment(
    appointment_id: String,
    version: i32,
    scheduled_at: String,
    location: String,
    assessor_id: String,
) -> Result<String, AppError> {
    let (state, user) = ssr::staff().await?;
    let id = ssr::uuid(&appointment_id)?;
    let mut schedule = schedule(&state.time_zone, &scheduled_at, location, &assessor_id, user.id)?;
    // The form showed the stored time as wall-clock time; sent back as it
    // was, it means the stored moment, also in the hour that happens twice
    // when clocks fall back (read alone, that would be its first occurrence).
    let mut conn = state.pool.acquire().await.map_err(server::Error::from)?;
    if let Some(current) = server::appointments::find(&mut conn, id).await? {
        if state.time_zone.local(current.scheduled_at).input == scheduled_at.trim() {
            schedule.scheduled_at = current.scheduled_at;
        }
    }
    drop(conn);
    let appointment = server::appointments::reschedule(&state.pool, user.id.into(), id, version, &schedule).await?;
    Ok(appointment.number)
}
