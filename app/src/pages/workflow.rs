//! Staff workflow pages: clients, a request with its inspection and
//! appointments, the assessment editor (tyres) and the printable report.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::components::{
    action_error, follow_saves, mint_idempotency_key, use_toasts, BoundField, FormError, SubmitButton,
};
use crate::error::AppError;
use crate::live::{live_feed, LiveEditing, LiveFeed};
use crate::merge::{EditorState, MergePanel, SectionView, Values};
use crate::workflow::{
    audit_history, get_assessment, get_client, get_report, get_request, list_clients, tyre_label, AppointmentRow,
    AssessmentView, ClientDetail, ClientView, CompleteAssessment, CreateAppointment, CreateClient, CreateInspection,
    CreateRequest, EstimateView, GenerateReport, MarkTab, RequestDetail, RescheduleAppointment, SaveAssessmentSection,
    SaveEstimate, SaveTyre, StartAssessment, TyreView, UpdateClient, CLIENT_EDIT_FIELDS, DAMAGE_FIELDS,
    ESTIMATE_FIELDS, IDENTIFICATION_FIELDS, PRE_INCIDENT_FIELDS, TABS, TYRE_FIELDS, VEHICLE_VALUE_FIELDS,
};

fn empty_values(fields: &[&str]) -> Values {
    fields.iter().map(|field| (field.to_string(), String::new())).collect()
}

/// What a staff page shows when its data could not be loaded.
fn load_error(error: AppError) -> AnyView {
    crate::components::load_error(error, "staff", ("/staff/clients", "Clients"))
}

#[component]
pub fn ClientsPage() -> AnyView {
    let query = use_query_map();
    let search = move || query.read().get("q").unwrap_or_default();
    let clients = Resource::new_blocking(search, list_clients);
    view! {
        <Title text="Clients" />
        <section class="page-head">
            <h1>"Clients"</h1>
            <A href="/staff/clients/new" attr:class="button primary">"New client"</A>
        </section>
        <form method="get" action="/staff/clients" class="search-form" role="search">
            <label for="client-search" class="visually-hidden">"Search clients"</label>
            <input id="client-search" type="search" name="q" placeholder="Search by id, name, email or company"
                value=search />
            <button type="submit" class="button">"Search"</button>
        </form>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || clients.get().map(|result| match result {
                Ok(clients) if clients.is_empty() => view! {
                    <section class="panel empty-state" data-testid="clients-empty">
                        <h2>"No clients found"</h2>
                        <p class="muted">"Create one, or search for something else."</p>
                    </section>
                }.into_any(),
                Ok(clients) => view! {
                    <table class="table panel" data-testid="client-list">
                        <thead><tr><th scope="col">"Id"</th><th scope="col">"Name"</th><th scope="col">"Company"</th><th scope="col">"Email"</th></tr></thead>
                        <tbody>
                            {clients.into_iter().map(|client| view! {
                                <tr>
                                    <td><code>{client.id.clone()}</code></td>
                                    <td><A href=format!("/staff/clients/{}", client.id)>{client.name.clone()}</A></td>
                                    <td>{client.company.clone()}</td>
                                    <td>{client.email.clone()}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any(),
                Err(error) => load_error(error),
            })}
        </Suspense>
    }
    .into_any()
}

const CLIENT_FIELDS: &[&str] = &["id", "name", "email", "phone", "company"];

#[component]
pub fn NewClientPage() -> AnyView {
    let action = ServerAction::<CreateClient>::new();
    let error = action_error(action);
    let state = EditorState::new(empty_values(CLIENT_FIELDS), 0);
    view! {
        <Title text="New client" />
        <section class="page-head">
            <h1>"New client"</h1>
            <A href="/staff/clients" attr:class="button ghost">"Clients"</A>
        </section>
        <section class="panel narrow-form">
            <ActionForm action=action attr:class="form" attr:novalidate=true>
                <BoundField state form="client" field="id" label="Client id" error
                    hint="Optional: your system's id (letters, digits, - and _). An existing id opens that client." />
                <BoundField state form="client" field="name" label="Name" required=true error />
                <div class="field-row">
                    <BoundField state form="client" field="email" label="Email" input_type="email" error />
                    <BoundField state form="client" field="phone" label="Phone" input_type="tel" error />
                </div>
                <BoundField state form="client" field="company" label="Company" error />
                <FormError error fields=CLIENT_FIELDS />
                <SubmitButton pending=action.pending() label="Create client" busy_label="Creating…" />
            </ActionForm>
        </section>
    }
    .into_any()
}

const REQUEST_FIELDS: &[&str] = &["vehicle_make", "vehicle_model", "registration", "vin", "claim_reference", "notes"];

#[component]
pub fn ClientPage() -> AnyView {
    let params = use_params_map();
    let query = use_query_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let detail = Resource::new_blocking(id, get_client);
    let existed = move || query.read().get("existing").is_some();
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || detail.get().map(|result| match result {
                Ok(detail) => view! { <ClientDetailView detail existed=existed() /> }.into_any(),
                Err(error) => load_error(error),
            })}
        </Suspense>
    }
    .into_any()
}

#[component]
fn ClientDetailView(detail: ClientDetail, existed: bool) -> AnyView {
    let ClientDetail { client, requests } = detail;
    let action = ServerAction::<CreateRequest>::new();
    let error = action_error(action);
    let state = EditorState::new(empty_values(REQUEST_FIELDS), 0);
    let idempotency_key = mint_idempotency_key();
    let audit_id = client.id.clone();
    view! {
        <Title text=client.name.clone() />
        <section class="page-head">
            <h1 data-testid="client-name">{client.name.clone()}</h1>
            <A href="/staff/clients" attr:class="button ghost">"Clients"</A>
        </section>
        {existed.then(|| view! {
            <div class="alert info" role="status" data-testid="client-existed">
                "A client with this id already existed, so it was opened; nothing was changed."
            </div>
        })}
        <ClientEditor client=client.clone() />
        <section class="panel">
            <h2>"Requests"</h2>
            {if requests.is_empty() {
                view! { <p class="muted" data-testid="requests-empty">"No requests yet."</p> }.into_any()
            } else {
                view! {
                    <table class="table" data-testid="request-list">
                        <thead><tr><th scope="col">"Number"</th><th scope="col">"Vehicle"</th><th scope="col">"Registration"</th><th scope="col">"Opened"</th></tr></thead>
                        <tbody>
                            {requests.into_iter().map(|r| view! {
                                <tr>
                                    <td><A href=format!("/staff/requests/{}", r.id)>{r.number.clone()}</A></td>
                                    <td>{r.vehicle.clone()}</td>
                                    <td>{r.registration.clone()}</td>
                                    <td>{r.created.clone()}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
        <section class="panel">
            <h2>"New request"</h2>
            <ActionForm action=action attr:class="form" attr:novalidate=true>
                <input type="hidden" name="client_id" value=client.id.clone() />
                <input type="hidden" name="idempotency_key" value=idempotency_key />
                <div class="field-row">
                    <BoundField state form="request" field="vehicle_make" label="Make" error />
                    <BoundField state form="request" field="vehicle_model" label="Model" error />
                </div>
                <div class="field-row">
                    <BoundField state form="request" field="registration" label="Registration" error />
                    <BoundField state form="request" field="vin" label="VIN" error />
                </div>
                <BoundField state form="request" field="claim_reference" label="Claim reference" error />
                <BoundField state form="request" field="notes" label="Notes" multiline=true error />
                <FormError error fields=REQUEST_FIELDS />
                <SubmitButton pending=action.pending() label="Open request" busy_label="Opening…" />
            </ActionForm>
        </section>
        <AuditTrail entity="client" id=audit_id />
    }
    .into_any()
}

#[component]
pub fn RequestPage() -> AnyView {
    let params = use_params_map();
    let inspect = ServerAction::<CreateInspection>::new();
    let book = ServerAction::<CreateAppointment>::new();
    let reschedule = ServerAction::<RescheduleAppointment>::new();
    let id = move || params.read().get("id").unwrap_or_default();
    // A stale reschedule refetches too, so the row shows the booking as it is now.
    let detail = Resource::new_blocking(
        move || (id(), inspect.version().get(), book.version().get(), reschedule.version().get()),
        |(id, _, _, _)| get_request(id),
    );
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || detail.get().map(|result| match result {
                Ok(detail) => view! { <RequestDetailView detail inspect book reschedule /> }.into_any(),
                Err(error) => load_error(error),
            })}
        </Suspense>
    }
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
    let assessor_options = detail.assessors.clone();
    let book_error = action_error(book);
    let idempotency_key = mint_idempotency_key();
    let audit_id = detail.id.clone();
    view! {
        <Title text=detail.number.clone() />
        <section class="page-head">
            <h1><span class="doc-number" data-testid="request-number">{detail.number.clone()}</span></h1>
            <A href=format!("/staff/clients/{}", detail.client.id) attr:class="button ghost">{detail.client.name.clone()}</A>
        </section>
        <section class="panel">
            <dl class="facts">
                <dt>"Vehicle"</dt><dd>{detail.vehicle.clone()}</dd>
                <dt>"Registration"</dt><dd>{detail.registration.clone()}</dd>
                <dt>"VIN"</dt><dd>{detail.vin.clone()}</dd>
                <dt>"Claim reference"</dt><dd>{detail.claim_reference.clone()}</dd>
                <dt>"Notes"</dt><dd>{detail.notes.clone()}</dd>
            </dl>
        </section>
        <section class="panel">
            <h2>"Inspection"</h2>
            {match detail.inspection.clone() {
                None => view! {
                    <p class="muted">"No inspection yet."</p>
                    <ActionForm action=inspect attr:class="inline-form">
                        <input type="hidden" name="request_id" value=detail.id.clone() />
                        <SubmitButton pending=inspect.pending() label="Create inspection" busy_label="Creating…" />
                    </ActionForm>
                    <FormError error=inspect_error fields=&[] />
                }.into_any(),
                Some((inspection_id, number)) => view! {
                    <p>"Inspection " <strong class="doc-number" data-testid="inspection-number">{number}</strong></p>
                    <h3>"Appointments"</h3>
                    <AppointmentTable rows=detail.appointments.clone() assessors=detail.assessors.clone() reschedule />
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
                        <input type="hidden" name="inspection_id" value=inspection_id />
                        <input type="hidden" name="idempotency_key" value=idempotency_key.clone() />
                        <div class="field-row">
                            <div class="field">
                                <label for="field-scheduled_at">"Date and time (UTC)"</label>
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
                                    {assessor_options.iter().map(|(id, name)| view! { <option value=id.clone()>{name.clone()}</option> }).collect_view()}
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

#[component]
fn AppointmentTable(
    rows: Vec<AppointmentRow>,
    assessors: Vec<(String, String)>,
    reschedule: ServerAction<RescheduleAppointment>,
) -> AnyView {
    if rows.is_empty() {
        return view! { <p class="muted" data-testid="appointments-empty">"None booked yet."</p> }.into_any();
    }
    view! {
        <table class="table" data-testid="appointment-list">
            <thead><tr>
                <th scope="col">"Number"</th><th scope="col">"When"</th><th scope="col">"Location"</th>
                <th scope="col">"Assessor"</th><th scope="col">"Assessment"</th>
            </tr></thead>
            <tbody>
                {rows.into_iter().map(|row| view! { <AppointmentLine row assessors=assessors.clone() reschedule /> }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
fn AppointmentLine(
    row: AppointmentRow,
    assessors: Vec<(String, String)>,
    reschedule: ServerAction<RescheduleAppointment>,
) -> AnyView {
    let start = ServerAction::<StartAssessment>::new();
    let error = action_error(start);
    let can_reschedule = row.assessment.is_none();
    let options = assessors
        .into_iter()
        .map(|(id, name)| {
            let selected = id == row.assessor_id;
            view! { <option value=id selected=selected>{name}</option> }
        })
        .collect_view();
    let (id, when, location) = (row.id.clone(), row.when_input.clone(), row.location.clone());
    let reschedule_form = can_reschedule.then(move || {
        view! {
            <details class="reschedule">
                <summary>"Reschedule"</summary>
                <ActionForm action=reschedule attr:class="form" attr:novalidate=true>
                    <input type="hidden" name="appointment_id" value=id.clone() />
                    <input type="hidden" name="version" value=row.version />
                    <div class="field-row">
                        <div class="field">
                            <label for=format!("when-{id}")>"Date and time (UTC)"</label>
                            <input id=format!("when-{id}") name="scheduled_at" type="datetime-local" required=true value=when />
                        </div>
                        <div class="field">
                            <label for=format!("where-{id}")>"Location"</label>
                            <input id=format!("where-{id}") name="location" type="text" value=location />
                        </div>
                        <div class="field">
                            <label for=format!("who-{id}")>"Assessor"</label>
                            <select id=format!("who-{id}") name="assessor_id">{options}</select>
                        </div>
                    </div>
                    <SubmitButton pending=reschedule.pending() label="Save new time" busy_label="Saving…" class="button small primary" />
                </ActionForm>
            </details>
        }
    });
    view! {
        <tr data-testid="appointment">
            <td class="doc-number">{row.number.clone()}</td>
            <td>{row.when.clone()}{reschedule_form}</td>
            <td>{row.location.clone()}</td>
            <td>{row.assessor.clone()}</td>
            <td>
                {match row.assessment.clone() {
                    Some((id, number)) => view! {
                        <A href=format!("/staff/assessments/{id}") attr:data-testid="assessment-link">{format!("Open {number}")}</A>
                    }.into_any(),
                    None => view! {
                        <ActionForm action=start attr:class="inline-form">
                            <input type="hidden" name="appointment_id" value=row.id.clone() />
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

#[component]
pub fn AssessmentPage() -> AnyView {
    let params = use_params_map();
    let complete = ServerAction::<CompleteAssessment>::new();
    let id = move || params.read().get("id").unwrap_or_default();
    let assessment = Resource::new_blocking(move || (id(), complete.version().get()), |(id, _)| get_assessment(id));
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || assessment.get().map(|result| match result {
                Ok(assessment) => view! { <AssessmentEditor assessment complete /> }.into_any(),
                Err(error) => load_error(error),
            })}
        </Suspense>
    }
    .into_any()
}

#[component]
fn AssessmentEditor(assessment: AssessmentView, complete: ServerAction<CompleteAssessment>) -> AnyView {
    let report = ServerAction::<GenerateReport>::new();
    let mark = ServerAction::<MarkTab>::new();
    let complete_error = action_error(complete);
    let report_error = action_error(report);
    let mark_error = action_error(mark);
    let completed = assessment.status == "completed";
    let id = assessment.id.clone();
    // Every tab stays mounted and the others are only hidden, so switching
    // tabs never loses what was typed. `?tab=` makes tabs links that work
    // without JavaScript; the editor opens where work left off.
    let query = use_query_map();
    let opened_on = assessment.current_tab.clone();
    let active = Memo::new(move |_| {
        query.read().get("tab").filter(|tab| TABS.iter().any(|(name, _)| name == tab)).unwrap_or(opened_on.clone())
    });
    // One stream for every section of this assessment.
    let feed = live_feed(format!("assessment_section:{id},assessment_tyre:{id}", id = assessment.id));
    let done_tabs = RwSignal::new(assessment.tabs_completed.clone());
    Effect::new(move |_| {
        if let Some(Ok(tabs)) = mark.value().get() {
            done_tabs.set(tabs);
        }
    });
    let is_done = move |tab: &str| done_tabs.with(|tabs| tabs.iter().any(|t| t == tab));
    let panel = move |tab: &'static str, content: AnyView| {
        let assessment_id = id.clone();
        view! {
            <div role="tabpanel" id=format!("tab-panel-{tab}") data-testid=format!("tab-panel-{tab}")
                aria-labelledby=format!("tab-{tab}") hidden=move || active.get() != tab>
                {content}
                {(!completed).then(|| view! { <TabMark assessment_id tab done=Signal::derive(move || is_done(tab)) mark /> })}
            </div>
        }
    };
    let tabs_nav = TABS
        .iter()
        .map(|(tab, label)| {
            let tab = *tab;
            view! {
                <A href=format!("/staff/assessments/{}?tab={tab}", assessment.id)
                    attr:role="tab" attr:id=format!("tab-{tab}") attr:data-testid=format!("tab-{tab}")
                    attr:aria-controls=format!("tab-panel-{tab}")
                    attr:aria-selected=move || (active.get() == tab).to_string()
                    attr:class=move || if active.get() == tab { "tab active" } else { "tab" }>
                    {*label}
                    <span class="tab-done">{move || if is_done(tab) { " \u{2713}" } else { "" }}</span>
                </A>
            }
        })
        .collect_view();
    let tyres = view! {
        <section class="panel">
            <h2>"Tyres"</h2>
            <p class="muted">"Each row saves on its own, so two people can work on different tyres at once."</p>
            <div class="tyre-list">
                {assessment.tyres.into_iter().map(|tyre| view! { <TyreRow assessment_id=assessment.id.clone() tyre feed /> }).collect_view()}
            </div>
        </section>
    }
    .into_any();
    let (report_id, complete_id) = (assessment.id.clone(), assessment.id.clone());
    let summary = view! {
        <section class="panel">
            <h2>"Summary"</h2>
            <ul class="tab-checklist" data-testid="tab-checklist">
                {TABS.iter().filter(|(tab, _)| *tab != "summary").map(|(tab, label)| {
                    let tab = *tab;
                    view! {
                        <li class:done=move || is_done(tab)>
                            {*label} ": " {move || if is_done(tab) { "complete" } else { "open" }}
                        </li>
                    }
                }).collect_view()}
            </ul>
            {if completed {
                view! {
                    <ActionForm action=report attr:class="inline-form">
                        <input type="hidden" name="assessment_id" value=report_id />
                        <SubmitButton pending=report.pending() label="Generate report" busy_label="Generating…" />
                    </ActionForm>
                    <FormError error=report_error fields=&[] />
                }.into_any()
            } else {
                view! {
                    <ActionForm action=complete attr:class="inline-form">
                        <input type="hidden" name="id" value=complete_id />
                        <input type="hidden" name="version" value=assessment.version />
                        <SubmitButton pending=complete.pending() label="Mark assessment completed" busy_label="Completing…" />
                    </ActionForm>
                    <FormError error=complete_error fields=&[] />
                }.into_any()
            }}
        </section>
    }
    .into_any();
    view! {
        <Title text=assessment.number.clone() />
        <section class="page-head">
            <h1>
                <span class="doc-number" data-testid="assessment-number">{assessment.number.clone()}</span>
                <span class="badge" data-testid="assessment-status">{if completed { "Completed" } else { "In progress" }}</span>
            </h1>
        </section>
        <nav class="tabs" role="tablist" aria-label="Assessment sections">{tabs_nav}</nav>
        <FormError error=mark_error fields=&[] />
        {panel("identification", view! {
            <SectionPanel feed assessment_id=assessment.id.clone() section="identification" title="Identification"
                fields=IDENTIFICATION_FIELDS initial=assessment.identification.clone() />
        }.into_any())}
        {panel("tyres", tyres)}
        {panel("damage", view! {
            <SectionPanel feed assessment_id=assessment.id.clone() section="damage" title="Damage" fields=DAMAGE_FIELDS
                initial=assessment.damage.clone() />
        }.into_any())}
        {panel("vehicle_values", view! {
            <SectionPanel feed assessment_id=assessment.id.clone() section="vehicle_values" title="Vehicle values"
                fields=VEHICLE_VALUE_FIELDS initial=assessment.vehicle_values.clone() />
        }.into_any())}
        {panel("pre_incident_estimate", view! {
            <SectionPanel feed assessment_id=assessment.id.clone() section="pre_incident_estimate" title="Pre-incident estimate"
                fields=PRE_INCIDENT_FIELDS initial=assessment.pre_incident_estimate.clone() />
        }.into_any())}
        {panel("estimate", view! { <EstimateSection assessment_id=assessment.id.clone() estimate=assessment.estimate.clone() /> }.into_any())}
        {panel("summary", summary)}
        <AuditTrail entity="assessment" id=assessment.id.clone() />
    }
    .into_any()
}

/// "Mark tab complete" under a tab's content; once complete, a note and a
/// "Reopen tab" button beside it. The button that was clicked disappears, so
/// the second click of a double click lands on the note instead of undoing
/// the first.
#[component]
fn TabMark(assessment_id: String, tab: &'static str, done: Signal<bool>, mark: ServerAction<MarkTab>) -> impl IntoView {
    let assessment_id = StoredValue::new(assessment_id);
    view! {
        <div class="tab-mark">
            <Show when=move || done.get() fallback=move || view! {
                <ActionForm action=mark attr:class="inline-form">
                    <input type="hidden" name="assessment_id" value=assessment_id.get_value() />
                    <input type="hidden" name="tab" value=tab />
                    <input type="hidden" name="complete" value="true" />
                    <button type="submit" class="button ghost small" disabled=move || mark.pending().get()
                        data-testid=format!("mark-{tab}")>"Mark tab complete"</button>
                </ActionForm>
            }>
                <span class="tab-complete" data-testid=format!("complete-{tab}")>"\u{2713} Tab complete"</span>
                <ActionForm action=mark attr:class="inline-form">
                    <input type="hidden" name="assessment_id" value=assessment_id.get_value() />
                    <input type="hidden" name="tab" value=tab />
                    <input type="hidden" name="complete" value="false" />
                    <button type="submit" class="button ghost small" disabled=move || mark.pending().get()
                        data-testid=format!("reopen-{tab}")>"Reopen tab"</button>
                </ActionForm>
            </Show>
        </div>
    }
}

#[component]
fn TyreRow(assessment_id: String, tyre: TyreView, feed: LiveFeed) -> AnyView {
    let state = EditorState::new(tyre.values.clone(), tyre.version);
    let save = ServerAction::<SaveTyre>::new();
    let record = format!("{assessment_id}/{}", tyre.position);
    let (of, at) = (StoredValue::new(assessment_id.clone()), StoredValue::new(tyre.position.clone()));
    let fetch = move || async move {
        let assessment = get_assessment(of.get_value()).await.ok()?;
        let tyre = assessment.tyres.into_iter().find(|tyre| tyre.position == at.get_value())?;
        Some(SectionView { values: tyre.values, version: tyre.version })
    };
    let error = follow_saves(save, state, TYRE_FIELDS);
    let position = tyre.position.clone();
    let label = tyre_label(&position);
    let prefix = format!("{position}-");
    let testid = format!("tyre-{position}");
    let panel_id = position.clone();
    view! {
        <section class="tyre" data-testid=testid aria-label=format!("{label} tyre")>
            <h3>{label}</h3>
            <LiveEditing feed entity="assessment_tyre" id=record state saving=save.pending() fetch />
            <MergePanel state labels=TYRE_FIELDS id=panel_id />
            <ActionForm action=save attr:class="form tyre-form" attr:novalidate=true>
                <input type="hidden" name="assessment_id" value=assessment_id />
                <input type="hidden" name="position" value=position />
                <input type="hidden" name="version" value=state.version.get_untracked()
                    prop:value=move || state.version.get().to_string() />
                <div class="field-row">
                    <BoundField state form="tyre" field="make" label="Make" error id_prefix=prefix.clone() />
                    <BoundField state form="tyre" field="size" label="Size" error id_prefix=prefix.clone() />
                    <BoundField state form="tyre" field="tread_depth_mm" label="Tread depth (mm)" error id_prefix=prefix.clone() />
                    <BoundField state form="tyre" field="condition" label="Condition" error id_prefix=prefix.clone() />
                </div>
                <FormError error fields=&["make", "size", "tread_depth_mm", "condition"] />
                <div class="form-actions">
                    <SubmitButton pending=save.pending() label="Save tyre" busy_label="Saving…" class="button small primary" />
                    <span class="muted small" data-testid="tyre-version">{move || format!("Version {}", state.version.get())}</span>
                </div>
            </ActionForm>
        </section>
    }
    .into_any()
}

#[component]
pub fn ReportPage() -> AnyView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let report = Resource::new_blocking(id, get_report);
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || report.get().map(|result| match result {
                Ok(report) => view! {
                    <Title text=report.number.clone() />
                    <article class="report panel" data-testid="report">
                        <header class="report-head">
                            <h1 class="doc-number" data-testid="report-number">{report.number.clone()}</h1>
                            <p class="muted">{format!("Assessment {} · generated {}", report.assessment.number, report.created)}</p>
                        </header>
                        <ReportSection title="Identification" fields=IDENTIFICATION_FIELDS
                            section=report.assessment.identification.clone() />
                        <h2>"Tyres"</h2>
                        <table class="table">
                            <thead><tr><th scope="col">"Position"</th>
                                {TYRE_FIELDS.iter().map(|(_, label)| view! { <th scope="col">{*label}</th> }).collect_view()}
                            </tr></thead>
                            <tbody>
                                {report.assessment.tyres.iter().map(|tyre| view! {
                                    <tr>
                                        <th scope="row">{tyre_label(&tyre.position)}</th>
                                        {TYRE_FIELDS.iter().map(|(field, _)| view! {
                                            <td>{tyre.values.get(*field).cloned().unwrap_or_default()}</td>
                                        }).collect_view()}
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                        <ReportSection title="Damage" fields=DAMAGE_FIELDS section=report.assessment.damage.clone() />
                        <ReportSection title="Vehicle values" fields=VEHICLE_VALUE_FIELDS section=report.assessment.vehicle_values.clone() />
                        <ReportSection title="Pre-incident estimate" fields=PRE_INCIDENT_FIELDS
                            section=report.assessment.pre_incident_estimate.clone() />
                        <h2>"Estimate"</h2>
                        <dl class="facts">
                            {ESTIMATE_FIELDS.iter().map(|(field, label)| view! {
                                <dt>{*label}</dt><dd>{report.assessment.estimate.values.get(*field).cloned().unwrap_or_default()}</dd>
                            }).collect_view()}
                        </dl>
                        <p class="report-total">"Estimate total: " <strong>{report.assessment.estimate.total.clone()}</strong></p>
                    </article>
                }.into_any(),
                Err(error) => load_error(error),
            })}
        </Suspense>
    }
    .into_any()
}

/// Who did what to a record, oldest first.
#[component]
fn AuditTrail(entity: &'static str, id: String) -> impl IntoView {
    let history = Resource::new(move || id.clone(), move |id| audit_history(entity.to_owned(), id));
    view! {
        <section class="panel audit-trail" data-testid="audit-trail">
            <h2>"History"</h2>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || history.get().map(|result| match result {
                    Ok(lines) if lines.is_empty() => view! { <p class="muted">"Nothing recorded yet."</p> }.into_any(),
                    Ok(lines) => view! {
                        <ol>
                            {lines.into_iter().map(|line| view! {
                                <li><span class="muted small">{line.when}</span>" " <strong>{line.who}</strong>" " {line.what}</li>
                            }).collect_view()}
                        </ol>
                    }.into_any(),
                    Err(error) => view! { <p class="alert error">{error.to_string()}</p> }.into_any(),
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn EstimateSection(assessment_id: String, estimate: EstimateView) -> AnyView {
    let state = EditorState::new(estimate.values.clone(), estimate.version);
    let total = RwSignal::new(estimate.total.clone());
    let save = ServerAction::<SaveEstimate>::new();
    let toasts = use_toasts();
    Effect::new(move |_| match save.value().get() {
        Some(Ok(saved)) => {
            state.saved(saved.values, saved.version);
            total.set(saved.total);
            toasts.success("Estimate saved.");
        }
        Some(Err(AppError::VersionConflict { current })) => {
            let theirs = EstimateView::from_json(&current);
            total.set(theirs.total);
            state.conflicted(theirs.values, theirs.version);
        }
        _ => {}
    });
    let error = Signal::derive(move || match save.value().get() {
        Some(Err(AppError::VersionConflict { .. })) | Some(Ok(_)) | None => None,
        Some(Err(error)) => Some(error),
    });
    view! {
        <section class="panel" data-testid="estimate">
            <h2>"Estimate"</h2>
            <MergePanel state labels=ESTIMATE_FIELDS />
            <ActionForm action=save attr:class="form" attr:novalidate=true>
                <input type="hidden" name="assessment_id" value=assessment_id />
                <input type="hidden" name="version" value=state.version.get_untracked()
                    prop:value=move || state.version.get().to_string() />
                <div class="field-row">
                    <BoundField state form="estimate" field="labour" label="Labour" input_type="text" error />
                    <BoundField state form="estimate" field="parts" label="Parts" input_type="text" error />
                    <BoundField state form="estimate" field="paint" label="Paint" input_type="text" error />
                    <BoundField state form="estimate" field="other" label="Other" input_type="text" error />
                </div>
                <FormError error fields=&["labour", "parts", "paint", "other"] />
                <div class="form-actions">
                    <SubmitButton pending=save.pending() label="Save estimate" busy_label="Saving…" />
                    <span>"Total (computed on save): " <strong data-testid="estimate-total">{move || total.get()}</strong></span>
                    <span class="muted small" data-testid="estimate-version">{move || format!("Version {}", state.version.get())}</span>
                </div>
            </ActionForm>
        </section>
    }
    .into_any()
}

/// One free-form section of the assessment, saved on its own version.
#[component]
fn SectionPanel(
    feed: LiveFeed,
    assessment_id: String,
    section: &'static str,
    title: &'static str,
    fields: &'static [(&'static str, &'static str)],
    initial: SectionView,
) -> AnyView {
    let state = EditorState::new(initial.values, initial.version);
    let save = ServerAction::<SaveAssessmentSection>::new();
    let record = format!("{assessment_id}/{section}");
    let of = StoredValue::new(assessment_id.clone());
    let fetch = move || async move {
        let assessment = get_assessment(of.get_value()).await.ok()?;
        match section {
            "identification" => Some(assessment.identification),
            "damage" => Some(assessment.damage),
            "vehicle_values" => Some(assessment.vehicle_values),
            "pre_incident_estimate" => Some(assessment.pre_incident_estimate),
            _ => None,
        }
    };
    let error = follow_saves(save, state, fields);
    let names: Vec<&'static str> = fields.iter().map(|(name, _)| *name).collect();
    view! {
        <section class="panel" data-testid=format!("section-{section}")>
            <h2>{title}</h2>
            <LiveEditing feed entity="assessment_section" id=record state saving=save.pending() fetch />
            <MergePanel state labels=fields id=section />
            <ActionForm action=save attr:class="form" attr:novalidate=true>
                <input type="hidden" name="assessment_id" value=assessment_id />
                <input type="hidden" name="section" value=section />
                <input type="hidden" name="version" value=state.version.get_untracked()
                    prop:value=move || state.version.get().to_string() />
                <div class="field-row">
                    {fields.iter().map(|(field, label)| view! {
                        <BoundField state form="values" field=*field label=*label error
                            multiline=*field == "description" id_prefix=format!("{section}-") />
                    }).collect_view()}
                </div>
                <p class="field-error" role="alert">
                    {move || error.get().filter(|e| e.field().is_none_or(|f| !names.contains(&f))).map(|e| e.to_string())}
                </p>
                <div class="form-actions">
                    <SubmitButton pending=save.pending() label="Save section" busy_label="Saving…" />
                    <span class="muted small" data-testid="section-version">{move || format!("Version {}", state.version.get())}</span>
                </div>
            </ActionForm>
        </section>
    }
    .into_any()
}

#[component]
fn ReportSection(
    title: &'static str,
    fields: &'static [(&'static str, &'static str)],
    section: SectionView,
) -> impl IntoView {
    view! {
        <h2>{title}</h2>
        <dl class="facts">
            {fields.iter().map(|(field, label)| view! {
                <dt>{*label}</dt><dd>{section.values.get(*field).cloned().unwrap_or_default()}</dd>
            }).collect_view()}
        </dl>
    }
}

/// The client's details, edited against the version they were loaded with.
#[component]
fn ClientEditor(client: ClientView) -> AnyView {
    let state = EditorState::new(client.values(), client.version);
    let save = ServerAction::<UpdateClient>::new();
    let error = follow_saves(save, state, CLIENT_EDIT_FIELDS);
    let feed = live_feed(format!("client:{}", client.id));
    let client_id = StoredValue::new(client.id.clone());
    let fetch = move || async move {
        let detail = get_client(client_id.get_value()).await.ok()?;
        Some(SectionView { values: detail.client.values(), version: detail.client.version })
    };
    view! {
        <section class="panel" data-testid="client-details">
            <p class="muted">"Client id " <code data-testid="client-id">{client.id.clone()}</code></p>
            <LiveEditing feed entity="client" id=client.id.clone() state saving=save.pending() fetch />
            <MergePanel state labels=CLIENT_EDIT_FIELDS id="client" />
            <ActionForm action=save attr:class="form" attr:novalidate=true>
                <input type="hidden" name="id" value=client.id.clone() />
                <input type="hidden" name="version" value=state.version.get_untracked()
                    prop:value=move || state.version.get().to_string() />
                <div class="field-row">
                    <BoundField state form="client" field="name" label="Name" required=true error />
                    <BoundField state form="client" field="company" label="Company" error />
                </div>
                <div class="field-row">
                    <BoundField state form="client" field="email" label="Email" input_type="email" error />
                    <BoundField state form="client" field="phone" label="Phone" input_type="tel" error />
                </div>
                <FormError error fields=&["name", "email", "phone", "company"] />
                <div class="form-actions">
                    <SubmitButton pending=save.pending() label="Save client" busy_label="Saving…" />
                    <span class="muted small" data-testid="client-version">{move || format!("Version {}", state.version.get())}</span>
                </div>
            </ActionForm>
        </section>
    }
    .into_any()
}
