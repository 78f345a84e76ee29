//! Requests (REQ): opening one for a client, its inspection (INS), and the
//! appointments (APT) booked on it.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

use model::clients::Client;

#[cfg(feature = "ssr")]
use super::ssr;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppointmentRow {
    pub id: String,
    pub number: String,
    pub when: String,
    /// `when` as a datetime-local input wants it (UTC).
    pub when_input: String,
    pub location: String,
    pub assessor_id: String,
    pub assessor: String,
    pub version: i32,
    /// The assessment started from it: (id, number).
    pub assessment: Option<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestDetail {
    pub id: String,
    pub number: String,
    pub client: Client,
    pub vehicle: String,
    pub registration: String,
    pub vin: String,
    pub claim_reference: String,
    pub notes: String,
    /// The inspection: (id, number).
    pub inspection: Option<(String, String)>,
    pub appointments: Vec<AppointmentRow>,
    /// Who can be assigned as assessor: (id, name).
    pub assessors: Vec<(String, String)>,
}

/// A schedule from form values: `YYYY-MM-DDTHH:MM` (UTC), a location, and
/// an assessor's id (empty: `fallback`).
#[cfg(feature = "ssr")]
fn schedule(
    at: &str,
    location: String,
    assessor_id: &str,
    fallback: uuid::Uuid,
) -> Result<server::appointments::Schedule, AppError> {
    let at = chrono::NaiveDateTime::parse_from_str(at, "%Y-%m-%dT%H:%M")
        .map_err(|_| AppError::Invalid { field: "scheduled_at".into(), message: "Choose a date and time.".into() })?;
    let assessor = match assessor_id.trim() {
        "" => fallback,
        id => uuid::Uuid::parse_str(id).map_err(|_| AppError::Invalid {
            field: "assessor_id".into(),
            message: "Choose an assessor from the list.".into(),
        })?,
    };
    Ok(server::appointments::Schedule { scheduled_at: at.and_utc(), location, assessor_id: Some(assessor) })
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
    let created =
        server::requests::create(&state.pool, user.id.into(), &state.time_zone, &input, Some(&idempotency_key)).await?;
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
    let assessors: Vec<(String, String)> = server::accounts::staff_members(&mut conn)
        .await?
        .into_iter()
        .map(|(id, name)| (id.to_string(), name))
        .collect();
    let mut appointments = Vec::new();
    if let Some(inspection) = &inspection {
        for (appointment, assessment) in server::appointments::for_inspection(&mut conn, inspection.id).await? {
            let assessor_id = appointment.assessor_id.map(|id| id.to_string()).unwrap_or_default();
            let assessor =
                assessors.iter().find(|(id, _)| *id == assessor_id).map(|(_, name)| name.clone()).unwrap_or_default();
            appointments.push(AppointmentRow {
                id: appointment.id.to_string(),
                number: appointment.number,
                when: ssr::when(appointment.scheduled_at),
                when_input: appointment.scheduled_at.format("%Y-%m-%dT%H:%M").to_string(),
                location: appointment.location,
                assessor_id,
                assessor,
                version: appointment.version,
                assessment: assessment.map(|(id, number)| (id.to_string(), number)),
            });
        }
    }
    Ok(RequestDetail {
        id: request.id.to_string(),
        number: request.number,
        client,
        vehicle: format!("{} {}", request.vehicle_make, request.vehicle_model).trim().to_owned(),
        registration: request.registration,
        vin: request.vin,
        claim_reference: request.claim_reference,
        notes: request.notes,
        inspection: inspection.map(|i| (i.id.to_string(), i.number)),
        appointments,
        assessors,
    })
}

/// The request's inspection (created once; a second click returns it).
#[server(prefix = "/sfn", endpoint = "create_inspection")]
pub async fn create_inspection(request_id: String) -> Result<String, AppError> {
    let (state, user) = ssr::staff().await?;
    let (inspection, _) =
        server::requests::inspection_for(&state.pool, user.id.into(), &state.time_zone, ssr::uuid(&request_id)?)
            .await?;
    Ok(inspection.number)
}

/// Books an appointment; `scheduled_at` is `YYYY-MM-DDTHH:MM` in UTC. Without
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
    let schedule = schedule(&scheduled_at, location, &assessor_id, user.id)?;
    let appointment = server::appointments::create(
        &state.pool,
        user.id.into(),
        &state.time_zone,
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
    let schedule = schedule(&scheduled_at, location, &assessor_id, user.id)?;
    let appointment =
        server::appointments::reschedule(&state.pool, user.id.into(), ssr::uuid(&appointment_id)?, version, &schedule)
            .await?;
    Ok(appointment.number)
}
