//! Server functions of the staff workflow: clients, requests, inspections,
//! appointments, assessments (tyres) and reports. Staff only.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::merge::{SectionView, Values};

pub use model::assessments::TyreFields;

pub const TYRE_FIELDS: &[(&str, &str)] = <TyreFields as model::Form>::FIELDS;

pub fn tyre_label(position: &str) -> &'static str {
    match position {
        "front_left" => "Front left",
        "front_right" => "Front right",
        "rear_left" => "Rear left",
        "rear_right" => "Rear right",
        _ => "Spare",
    }
}

pub use model::clients::{Client, ClientFields, NewClient};
use model::Form as _;

pub const CLIENT_EDIT_FIELDS: &[(&str, &str)] = <ClientFields as model::Form>::FIELDS;

/// A client's details as its editor holds them.
pub fn client_section(client: &Client) -> SectionView {
    SectionView { values: client.fields().values(), version: client.version }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestRow {
    pub id: String,
    pub number: String,
    pub vehicle: String,
    pub registration: String,
    pub status: String,
    pub created: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientDetail {
    pub client: Client,
    pub requests: Vec<RequestRow>,
}

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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TyreView {
    pub position: String,
    pub values: Values,
    pub version: i32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssessmentView {
    pub id: String,
    pub number: String,
    pub status: String,
    pub version: i32,
    /// The tab the editor opens on.
    pub current_tab: String,
    pub tabs_completed: Vec<String>,
    pub identification: SectionView,
    pub tyres: Vec<TyreView>,
    pub damage: SectionView,
    pub vehicle_values: SectionView,
    pub pre_incident_estimate: SectionView,
    pub estimate: Estimate,
}

/// The assessment editor's tabs, in order: (name, label).
pub const TABS: &[(&str, &str)] = &[
    ("identification", "Identification"),
    ("tyres", "Tyres"),
    ("damage", "Damage"),
    ("vehicle_values", "Vehicle values"),
    ("pre_incident_estimate", "Pre-incident estimate"),
    ("estimate", "Estimate"),
    ("summary", "Summary"),
];

use model::assessments::{DamageFields, IdentificationFields, PreIncidentEstimateFields, VehicleValuesFields};

pub const IDENTIFICATION_FIELDS: &[(&str, &str)] = <IdentificationFields as model::Form>::FIELDS;
pub const DAMAGE_FIELDS: &[(&str, &str)] = <DamageFields as model::Form>::FIELDS;
pub const VEHICLE_VALUE_FIELDS: &[(&str, &str)] = <VehicleValuesFields as model::Form>::FIELDS;
pub const PRE_INCIDENT_FIELDS: &[(&str, &str)] = <PreIncidentEstimateFields as model::Form>::FIELDS;

pub use model::assessments::{Estimate, EstimateFields};

pub const ESTIMATE_FIELDS: &[(&str, &str)] = <EstimateFields as model::Form>::FIELDS;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportView {
    pub number: String,
    pub created: String,
    pub assessment: AssessmentView,
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::*;

    pub async fn staff() -> Result<(server::AppState, server::accounts::User), AppError> {
        let state = crate::ssr::state()?;
        let session = crate::ssr::auth_session().await?;
        let user = server::auth::require_staff(&session)?.clone();
        Ok((state, user))
    }

    pub fn uuid(id: &str) -> Result<uuid::Uuid, AppError> {
        uuid::Uuid::parse_str(id).map_err(|_| AppError::NotFound)
    }

    pub fn when(at: chrono::DateTime<chrono::Utc>) -> String {
        at.format("%Y-%m-%d %H:%M UTC").to_string()
    }

    /// A schedule from form values: `YYYY-MM-DDTHH:MM` (UTC), a location, and
    /// an assessor's id (empty: `fallback`).
    pub fn schedule(
        at: &str,
        location: String,
        assessor_id: &str,
        fallback: uuid::Uuid,
    ) -> Result<server::appointments::Schedule, AppError> {
        let at = chrono::NaiveDateTime::parse_from_str(at, "%Y-%m-%dT%H:%M").map_err(|_| AppError::Invalid {
            field: "scheduled_at".into(),
            message: "Choose a date and time.".into(),
        })?;
        let assessor = match assessor_id.trim() {
            "" => fallback,
            id => uuid::Uuid::parse_str(id).map_err(|_| AppError::Invalid {
                field: "assessor_id".into(),
                message: "Choose an assessor from the list.".into(),
            })?,
        };
        Ok(server::appointments::Schedule { scheduled_at: at.and_utc(), location, assessor_id: Some(assessor) })
    }

    /// A stored section as its editor holds it.
    pub fn section(fields: impl model::Form, version: i32) -> SectionView {
        SectionView { values: fields.values(), version }
    }

    pub fn tyre_view(tyre: &server::assessments::Tyre) -> Result<TyreView, AppError> {
        Ok(TyreView { position: tyre.position.clone(), values: tyre.fields().values(), version: tyre.version })
    }

    pub async fn assessment_view(state: &server::AppState, id: uuid::Uuid) -> Result<AssessmentView, AppError> {
        let mut conn = state.pool.acquire().await.map_err(server::Error::from)?;
        let detail = server::assessments::find(&mut conn, id).await?.ok_or(AppError::NotFound)?;
        Ok(AssessmentView {
            id: detail.assessment.id.to_string(),
            number: detail.assessment.number,
            status: detail.assessment.status,
            version: detail.assessment.version,
            current_tab: detail.assessment.current_tab,
            tabs_completed: detail.assessment.tabs_completed,
            identification: section(detail.identification.fields(), detail.identification.version),
            tyres: detail.tyres.iter().map(tyre_view).collect::<Result<_, _>>()?,
            damage: section(detail.damage.fields(), detail.damage.version),
            vehicle_values: section(detail.vehicle_values.fields(), detail.vehicle_values.version),
            pre_incident_estimate: section(detail.pre_incident_estimate.fields(), detail.pre_incident_estimate.version),
            estimate: detail.estimate,
        })
    }
}

#[server(prefix = "/sfn", endpoint = "list_clients")]
pub async fn list_clients(query: String) -> Result<Vec<Client>, AppError> {
    let (state, _) = ssr::staff().await?;
    let mut conn = state.pool.acquire().await.map_err(server::Error::from)?;
    Ok(server::clients::search(&mut conn, &query).await?)
}

/// Creates a client, or opens the one that already has this id.
#[server(prefix = "/sfn", endpoint = "create_client")]
pub async fn create_client(client: NewClient) -> Result<Client, AppError> {
    let (state, user) = ssr::staff().await?;
    let created = server::clients::create(&state.pool, user.id.into(), &client).await?;
    let view = created.client;
    let notice = if created.created { "" } else { "?existing=1" };
    crate::ssr::redirect(&format!("/staff/clients/{}{notice}", view.id));
    Ok(view)
}

#[server(prefix = "/sfn", endpoint = "get_client")]
pub async fn get_client(id: String) -> Result<ClientDetail, AppError> {
    let (state, _) = ssr::staff().await?;
    let mut conn = state.pool.acquire().await.map_err(server::Error::from)?;
    let client = server::clients::find(&mut conn, &id).await?.ok_or(AppError::NotFound)?;
    let requests = server::requests::for_client(&mut conn, &id).await?;
    Ok(ClientDetail {
        client,
        requests: requests
            .into_iter()
            .map(|r| RequestRow {
                id: r.id.to_string(),
                number: r.number,
                vehicle: format!("{} {}", r.vehicle_make, r.vehicle_model).trim().to_owned(),
                registration: r.registration,
                status: r.status,
                created: ssr::when(r.created_at),
            })
            .collect(),
    })
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
    let schedule = ssr::schedule(&scheduled_at, location, &assessor_id, user.id)?;
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
    let schedule = ssr::schedule(&scheduled_at, location, &assessor_id, user.id)?;
    let appointment =
        server::appointments::reschedule(&state.pool, user.id.into(), ssr::uuid(&appointment_id)?, version, &schedule)
            .await?;
    Ok(appointment.number)
}

/// Starts the appointment's assessment, or opens the one already started.
#[server(prefix = "/sfn", endpoint = "start_assessment")]
pub async fn start_assessment(appointment_id: String) -> Result<String, AppError> {
    let (state, user) = ssr::staff().await?;
    let (detail, _) =
        server::assessments::start(&state.pool, user.id.into(), &state.time_zone, ssr::uuid(&appointment_id)?).await?;
    let id = detail.assessment.id.to_string();
    crate::ssr::redirect(&format!("/staff/assessments/{id}"));
    Ok(id)
}

#[server(prefix = "/sfn", endpoint = "get_assessment")]
pub async fn get_assessment(id: String) -> Result<AssessmentView, AppError> {
    let (state, _) = ssr::staff().await?;
    ssr::assessment_view(&state, ssr::uuid(&id)?).await
}

/// Saves one tyre row if it is still at `version`.
#[server(prefix = "/sfn", endpoint = "save_tyre")]
pub async fn save_tyre(
    assessment_id: String,
    position: String,
    version: i32,
    tyre: TyreFields,
) -> Result<SectionView, AppError> {
    let (state, user) = ssr::staff().await?;
    let fields = tyre;
    let saved = server::assessments::save_tyre(
        &state.pool,
        user.id.into(),
        ssr::uuid(&assessment_id)?,
        &position,
        version,
        &fields,
    )
    .await?;
    Ok(SectionView { values: saved.fields().values(), version: saved.version })
}

#[server(prefix = "/sfn", endpoint = "complete_assessment")]
pub async fn complete_assessment(id: String, version: i32) -> Result<i32, AppError> {
    let (state, user) = ssr::staff().await?;
    Ok(server::assessments::complete(&state.pool, user.id.into(), ssr::uuid(&id)?, version).await?)
}

/// Numbers the report once and opens it.
#[server(prefix = "/sfn", endpoint = "generate_report")]
pub async fn generate_report(assessment_id: String) -> Result<String, AppError> {
    let (state, user) = ssr::staff().await?;
    let assessment_id = ssr::uuid(&assessment_id)?;
    let (report, _) =
        server::assessments::report_for(&state.pool, user.id.into(), &state.time_zone, assessment_id).await?;
    crate::ssr::redirect(&format!("/staff/assessments/{assessment_id}/report"));
    Ok(report.number)
}

#[server(prefix = "/sfn", endpoint = "get_report")]
pub async fn get_report(assessment_id: String) -> Result<ReportView, AppError> {
    let (state, _) = ssr::staff().await?;
    let mut conn = state.pool.acquire().await.map_err(server::Error::from)?;
    let id = ssr::uuid(&assessment_id)?;
    let report = server::assessments::find_report(&mut conn, id).await?.ok_or(AppError::NotFound)?;
    drop(conn);
    Ok(ReportView {
        number: report.number,
        created: ssr::when(report.created_at),
        assessment: ssr::assessment_view(&state, id).await?,
    })
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkItem {
    /// Where the item opens.
    pub href: String,
    pub number: String,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Worklists {
    pub open_requests: Vec<WorkItem>,
    pub todays_appointments: Vec<WorkItem>,
    pub open_assessments: Vec<WorkItem>,
}

#[server(prefix = "/sfn", endpoint = "staff_worklists")]
pub async fn staff_worklists() -> Result<Worklists, AppError> {
    let (state, _) = ssr::staff().await?;
    let mut conn = state.pool.acquire().await.map_err(server::Error::from)?;
    let open_requests = server::requests::open(&mut conn)
        .await?
        .into_iter()
        .map(|r| WorkItem {
            href: format!("/staff/requests/{}", r.id),
            detail: format!("{} {} {}", r.vehicle_make, r.vehicle_model, r.registration).trim().to_owned(),
            number: r.number,
        })
        .collect();
    let todays_appointments = server::appointments::today(&mut conn, &state.time_zone)
        .await?
        .into_iter()
        .map(|a| WorkItem {
            href: format!("/staff/requests/{}", a.request_id),
            detail: format!("{} · {}", ssr::when(a.scheduled_at), a.location),
            number: a.number,
        })
        .collect();
    let open_assessments = server::assessments::open(&mut conn)
        .await?
        .into_iter()
        .map(|a| WorkItem {
            href: format!("/staff/assessments/{}", a.id),
            detail: format!("started {}", ssr::when(a.created_at)),
            number: a.number,
        })
        .collect();
    Ok(Worklists { open_requests, todays_appointments, open_assessments })
}

/// Opens the document with this number (REQ-…, INS-…, APT-…, ASM-…, RPT-…).
#[server(prefix = "/sfn", endpoint = "find_document")]
pub async fn find_document(number: String) -> Result<String, AppError> {
    use server::documents::{self, Found};
    let (state, _) = ssr::staff().await?;
    let mut conn = state.pool.acquire().await.map_err(server::Error::from)?;
    let path = match documents::find_by_number(&mut conn, &number).await? {
        Some(Found::Request(id) | Found::RequestOf(id)) => format!("/staff/requests/{id}"),
        Some(Found::Assessment(id)) => format!("/staff/assessments/{id}"),
        Some(Found::Report(id)) => format!("/staff/assessments/{id}/report"),
        None => {
            return Err(AppError::from_server(server::Error::invalid(
                "number",
                format!("No document has the number \u{201c}{}\u{201d}.", number.trim()),
            )))
        }
    };
    crate::ssr::redirect(&path);
    Ok(path)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditLine {
    pub when: String,
    pub who: String,
    pub what: String,
}

/// The history of a workflow record (staff only).
#[server(prefix = "/sfn", endpoint = "audit_history")]
pub async fn audit_history(entity: String, id: String) -> Result<Vec<AuditLine>, AppError> {
    const ENTITIES: &[&str] = &["client", "request", "inspection", "appointment", "assessment", "report"];
    let (state, _) = ssr::staff().await?;
    if !ENTITIES.contains(&entity.as_str()) {
        return Err(AppError::NotFound);
    }
    let mut conn = state.pool.acquire().await.map_err(server::Error::from)?;
    let entries = server::audit::history(&mut conn, &entity, &id).await?;
    Ok(entries
        .into_iter()
        .map(|entry| AuditLine {
            when: ssr::when(entry.at),
            who: entry.actor.unwrap_or_else(|| "someone no longer here".to_owned()),
            what: match (entry.action.as_str(), entry.old_version, entry.new_version) {
                ("create", _, _) => "created it".to_owned(),
                ("update", Some(old), Some(new)) => format!("changed it (version {old} → {new})"),
                ("update", _, _) => "changed it".to_owned(),
                ("delete", _, _) => "deleted it".to_owned(),
                (other, _, _) => other.to_owned(),
            },
        })
        .collect())
}

/// Saves the estimate if it is still at `version`; the total comes back computed.
#[server(prefix = "/sfn", endpoint = "save_estimate")]
pub async fn save_estimate(
    assessment_id: String,
    version: i32,
    estimate: EstimateFields,
) -> Result<Estimate, AppError> {
    let (state, user) = ssr::staff().await?;
    let saved =
        server::assessments::save_estimate(&state.pool, user.id.into(), ssr::uuid(&assessment_id)?, version, &estimate)
            .await?;
    Ok(saved)
}

/// Marks one tab of the assessment editor complete (`complete` = "true") or
/// open again; answers with the tabs now complete.
#[server(prefix = "/sfn", endpoint = "mark_tab")]
pub async fn mark_tab(assessment_id: String, tab: String, complete: String) -> Result<Vec<String>, AppError> {
    let (state, user) = ssr::staff().await?;
    let assessment = server::assessments::mark_tab(
        &state.pool,
        user.id.into(),
        ssr::uuid(&assessment_id)?,
        &tab,
        complete == "true",
    )
    .await?;
    Ok(assessment.tabs_completed)
}

/// Saves one free-form section of an assessment (`identification`, `damage`,
/// `vehicle_values` or `pre_incident_estimate`) if it is still at `version`.
#[server(prefix = "/sfn", endpoint = "save_assessment_section")]
pub async fn save_assessment_section(
    assessment_id: String,
    section: String,
    version: i32,
    values: std::collections::BTreeMap<String, String>,
) -> Result<SectionView, AppError> {
    use server::assessment_sections as sections;
    let (state, user) = ssr::staff().await?;
    let id = ssr::uuid(&assessment_id)?;
    match section.as_str() {
        "identification" => {
            let fields = IdentificationFields::from_values(&values);
            let saved = sections::save_identification(&state.pool, user.id.into(), id, version, &fields).await?;
            Ok(ssr::section(saved.fields(), saved.version))
        }
        "damage" => {
            let fields = DamageFields::from_values(&values);
            let saved = sections::save_damage(&state.pool, user.id.into(), id, version, &fields).await?;
            Ok(ssr::section(saved.fields(), saved.version))
        }
        "vehicle_values" => {
            let fields = VehicleValuesFields::from_values(&values);
            let saved = sections::save_vehicle_values(&state.pool, user.id.into(), id, version, &fields).await?;
            Ok(ssr::section(saved.fields(), saved.version))
        }
        "pre_incident_estimate" => {
            let fields = PreIncidentEstimateFields::from_values(&values);
            let saved = sections::save_pre_incident_estimate(&state.pool, user.id.into(), id, version, &fields).await?;
            Ok(ssr::section(saved.fields(), saved.version))
        }
        _ => Err(AppError::NotFound),
    }
}

/// Saves a client's details if they are still at `version`.
#[server(prefix = "/sfn", endpoint = "update_client")]
pub async fn update_client(id: String, version: i32, client: ClientFields) -> Result<SectionView, AppError> {
    let (state, user) = ssr::staff().await?;
    let saved = server::clients::update(&state.pool, user.id.into(), &id, version, &client).await?;
    Ok(client_section(&saved))
}
