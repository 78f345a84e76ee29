//! Staff: one request, its inspection and its appointments.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use model::appointments::AppointmentWithAssessment;

use crate::components::{action_error, mint_idempotency_key, use_param, when_loaded, FormError, SubmitButton, Table};
use crate::error::AppError;
use crate::workflow::{
    get_request, CreateAppointment, CreateInspection, RequestDetail, RescheduleAppointment, StartAssessment,
};

use super::{load_error, AuditTrail};

#[component]
pub fn RequestPage() -> AnyView {
    let inspect = ServerAction::<CreateInspection>::new();
    let book = ServerAction::<CreateAppointment>::new();
    let reschedule = ServerAction::<RescheduleAppointment>::new();
    let id = use_param("id");
    // A stale reschedule refetches too, so the row shows the booking as it is now.
    let detail = Resource::new_blocking(
        move || (id(), inspect.version().get(), book.version().get(), reschedule.version().get()),
        |(id, _, _, _)| get_request(id),
    );
    when_loaded(
        detail,
        move |detail| view! { <RequestDetailView detail inspect book reschedule /> }.into_any(),
        load_error,
    )
    .into_any()
}

#[component]
fn RequestDetailView(
    detail: RequestDetail,
    inspect: ServerAction<CreateInspection>,
    book: ServerAction<CreateAppointment>,
    reschedule: ServerAction<RescheduleAppointment>,
) -> AnyView {
    let inspect_error = action_error(inspect);
    let reschedule_error = action_error(reschedule);
    let book_error = action_error(book);
    let idempotency_key = mint_idempotency_key();
    let rows = detail
        .appointments
        .iter()
        .map(|row| {
            let assessor = detail.assessor_of(&row.appointment).unwrap_or_default().to_owned();
            (row.clone(), assessor)
        })
        .collect::<Vec<_>>();
    let RequestDetail { request, client, inspection, assessors, time_zone, .. } = detail;
    // Times are shown and entered in the business time zone; the form says which.
    let when_label = format!("Date and time ({time_zone})");
    let (request_id, vehicle) = (request.id.to_string(), request.vehicle());
    let audit_id = request_id.clone();
    view! {
        <Title text=request.number.clone() />
        <section class="page-head">
            <h1><span class="doc-number" data-testid="request-number">{request.number.clone()}</span></h1>
            <A href=format!("/staff/clients/{}", client.id) attr:class="button ghost">{client.name.clone()}</A>
        </section>
        <section class="panel">
            <dl class="facts">
                <dt>"Vehicle"</dt><dd>{vehicle}</dd>
                <dt>"Registration"</dt><dd>{request.registration.clone()}</dd>
                <dt>"VIN"</dt><dd>{request.vin.clone()}</dd>
                <dt>"Claim reference"</dt><dd>{request.claim_reference.clone()}</dd>
                <dt>"Notes"</dt><dd>{request.notes.clone()}</dd>
            </dl>
        </section>
        <section class="panel">
            <h2>"Inspection"</h2>
            {match inspection {
                None => view! {
                    <p class="muted">"No inspection yet."</p>
                    <ActionForm action=inspect attr:class="inline-form">
                        <input type="hidden" name="request_id" value=request_id.clone() />
                        <SubmitButton pending=inspect.pending() label="Create inspection" busy_label="Creating…" />
                    </ActionForm>
                    <FormError error=inspect_error fields=&[] />
                }.into_any(),
                Some(inspection) => view! {
                    <p>"Inspection " <strong class="doc-number" data-testid="inspection-number">{inspection.number}</strong></p>
                    <h3>"Appointments"</h3>
                    <AppointmentTable rows assessors=assessors.clone() reschedule when_label=when_label.clone() />
                    {move || reschedule_error.get().map(|error| {
                        let message = match error {
                            AppError::VersionConflict { .. } => "Someone else changed this appointment first. \
                                The table shows it as it is now; your change was not saved, so reschedule again if it is still needed."
                                .to_owned(),
                            other => other.to_string(),
                        };
                        view! { <div class="alert error" role="alert" data-testid="reschedule-error">{message}</div> }
                    })}
                    <ActionForm action=book attr:class="form appointment-form" attr:novalidate=true>
                        <input type="hidden" name="inspection_id" value=inspection.id.to_string() />
                        <input type="hidden" name="idempotency_key" value=idempotency_key.clone() />
                        <div class="field-row">
                            <div class="field">
                                <label for="field-scheduled_at">{when_label.clone()}</label>
                                <input id="field-scheduled_at" name="scheduled_at" type="datetime-local" required=true />
                                <p class="field-error" role="alert">{move || book_error.get().and_then(|e| e.message_for("scheduled_at"))}</p>
                            </div>
                            <div class="field">
                                <label for="field-location">"Location"</label>
                                <input id="field-location" name="location" type="text" />
                            </div>
                            <div class="field">
                                <label for="field-assessor_id">"Assessor"</label>
                                <select id="field-assessor_id" name="assessor_id">
                                    <option value="">"Me"</option>
                                    {assessors.iter().map(|(id, name)| view! { <option value=id.clone()>{name.clone()}</option> }).collect_view()}
                                </select>
                            </div>
                        </div>
                        <FormError error=book_error fields=&["scheduled_at"] />
                        <SubmitButton pending=book.pending() label="Book appointment" busy_label="Booking…" />
                    </ActionForm>
                }.into_any(),
            }}
        </section>
        <AuditTrail entity="request" id=audit_id />
    }
    .into_any()
}

/// An inspection's appointments, each with its assessor's name.
#[component]
fn AppointmentTable(
    rows: Vec<(AppointmentWithAssessment, String)>,
    assessors: Vec<(String, String)>,
    reschedule: ServerAction<RescheduleAppointment>,
    when_label: String,
) -> AnyView {
    if rows.is_empty() {
        return view! { <p class="muted" data-testid="appointments-empty">"None booked yet."</p> }.into_any();
    }
    view! {
        <Table testid="appointment-list" columns=&["Number", "When", "Location", "Assessor", "Assessment"]>
            {rows.into_iter().map(|(row, assessor)| view! {
                <AppointmentLine row assessor assessors=assessors.clone() reschedule when_label=when_label.clone() />
            }).collect_view()}
        </Table>
    }
    .into_any()
}

#[component]
fn AppointmentLine(
    row: AppointmentWithAssessment,
    /// The assessor's name.
    assessor: String,
    assessors: Vec<(String, String)>,
    reschedule: ServerAction<RescheduleAppointment>,
    /// "Date and time (<zone>)".
    when_label: String,
) -> AnyView {
    let start = ServerAction::<StartAssessment>::new();
    let error = action_error(start);
    let AppointmentWithAssessment { appointment, assessment, when } = row;
    let can_reschedule = assessment.is_none();
    let assessor_id = appointment.assessor_id.map(|id| id.to_string()).unwrap_or_default();
    // An assessor who is no longer on the list (no longer staff) stays the
    // assessor unless someone else is chosen.
    let unlisted = (!assessor_id.is_empty() && !assessors.iter().any(|(id, _)| *id == assessor_id))
        .then(|| view! { <option value=assessor_id.clone() selected=true>"The current assessor"</option> });
    let options = assessors
        .into_iter()
        .map(|(id, name)| {
            let selected = id == assessor_id;
            view! { <option value=id selected=selected>{name}</option> }
        })
        .collect_view();
    let id = appointment.id.to_string();
    let (when_input, location) = (when.input.clone(), appointment.location.clone());
    let reschedule_form = can_reschedule.then(move || {
        view! {
            <details class="reschedule">
                <summary>"Reschedule"</summary>
                <ActionForm action=reschedule attr:class="form" attr:novalidate=true>
                    <input type="hidden" name="appointment_id" value=id.clone() />
                    <input type="hidden" name="version" value=appointment.version />
                    <div class="field-row">
                        <div class="field">
                            <label for=format!("when-{id}")>{when_label}</label>
                            <input id=format!("when-{id}") name="scheduled_at" type="datetime-local" required=true value=when_input />
                        </div>
                        <div class="field">
                            <label for=format!("where-{id}")>"Location"</label>
                            <input id=format!("where-{id}") name="location" type="text" value=location />
                        </div>
                        <div class="field">
                            <label for=format!("who-{id}")>"Assessor"</label>
                            <select id=format!("who-{id}") name="assessor_id">
                                // Without an assessor (theirs was removed), saving makes it "me",
                                // as booking does; the form says so instead of picking someone.
                                <option value="" selected=assessor_id.is_empty()>"Me"</option>
                                {unlisted}
                                {options}
                            </select>
                        </div>
                    </div>
                    <SubmitButton pending=reschedule.pending() label="Save new time" busy_label="Saving…" class="button small primary" />
                </ActionForm>
            </details>
        }
    });
    view! {
        <tr data-testid="appointment">
            <td class="doc-number">{appointment.number.clone()}</td>
            <td>{when.shown.clone()}{reschedule_form}</td>
            <td>{appointment.location.clone()}</td>
            <td>{assessor}</td>
            <td>
                {match assessment {
                    Some((id, number)) => view! {
                        <A href=format!("/staff/assessments/{id}") attr:data-testid="assessment-link">{format!("Open {number}")}</A>
                    }.into_any(),
                    None => view! {
                        <ActionForm action=start attr:class="inline-form">
                            <input type="hidden" name="appointment_id" value=appointment.id.to_string() />
                            <SubmitButton pending=start.pending() label="Start assessment" busy_label="Starting…" class="button small primary" />
                        </ActionForm>
                        <FormError error fields=&[] />
                    }.into_any(),
                }}
            </td>
        </tr>
    }
    .into_any()
}
