//! Training pages: scenarios and their assignment boards (staff), "my
//! assignments" (counselors).

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::components::{
    action_error, mint_idempotency_key, use_param, use_toasts, when_loaded, EmptyState, FormError, PageHead,
    SubmitButton, Table,
};
use crate::error::AppError;
use crate::live::use_change_notices;
use crate::training::{
    get_scenario_board, list_scenarios, my_assignments, AdvanceAssignment, AssignCounselor, Assignment,
    AssignmentStatus, BulkAssign, CreateScenario, Scenario, ScenarioBoard, SetScenarioActive,
};

/// What a page shows when its data could not be loaded.
pub(super) fn load_error(error: AppError, who: &'static str) -> AnyView {
    crate::components::load_error(error, who, ("/", "Home"))
}

#[component]
pub fn ScenariosPage() -> AnyView {
    let scenarios = Resource::new_blocking(|| (), |_| list_scenarios());
    let create = ServerAction::<CreateScenario>::new();
    let error = action_error(create);
    let idempotency_key = mint_idempotency_key();
    view! {
        <PageHead title="Training scenarios">
            <A href="/staff" attr:class="button ghost">"Staff workspace"</A>
        </PageHead>
        {when_loaded(scenarios, scenario_list, |error| load_error(error, "staff"))}
        <section class="panel narrow-form">
            <h2>"New scenario"</h2>
            <ActionForm action=create attr:class="form" attr:novalidate=true>
                <input type="hidden" name="idempotency_key" value=idempotency_key />
                <div class="field" class:has-error=move || error.get().and_then(|e| e.message_for("title")).is_some()>
                    <label for="field-title">"Title"</label>
                    <input id="field-title" name="title" type="text" required=true maxlength="200"
                        aria-describedby="field-title-error" />
                    <p class="field-error" id="field-title-error" role="alert">
                        {move || error.get().and_then(|e| e.message_for("title"))}
                    </p>
                </div>
                <div class="field">
                    <label for="field-description">"Description"</label>
                    <textarea id="field-description" name="description" rows="3" maxlength="2000"></textarea>
                </div>
                <FormError error fields=&["title"] />
                <SubmitButton pending=create.pending() label="Create scenario" busy_label="Creating…" />
            </ActionForm>
        </section>
    }
    .into_any()
}

fn scenario_list(scenarios: Vec<Scenario>) -> AnyView {
    if scenarios.is_empty() {
        return view! { <EmptyState testid="scenarios-empty" title="No scenarios yet" text="Create the first one below." /> }
            .into_any();
    }
    view! {
        <Table class="table panel" testid="scenario-list" columns=&["Scenario", "Status", "Description"]>
            {scenarios.into_iter().map(|s| {
                let status = s.status_label();
                view! {
                    <tr>
                        <td><A href=format!("/staff/scenarios/{}", s.id)>{s.title.clone()}</A></td>
                        <td>{status}</td>
                        <td class="muted">{s.description.clone()}</td>
                    </tr>
                }
            }).collect_view()}
        </Table>
    }
    .into_any()
}

#[component]
pub fn ScenarioBoardPage() -> AnyView {
    let assign = ServerAction::<AssignCounselor>::new();
    let bulk = ServerAction::<BulkAssign>::new();
    let toggle = ServerAction::<SetScenarioActive>::new();
    let id = use_param("id");
    let board = Resource::new_blocking(
        move || (id(), assign.version().get(), bulk.version().get(), toggle.version().get()),
        |(id, _, _, _)| get_scenario_board(id),
    );
    // Assignments made elsewhere (a colleague, an external system) or
    // started and completed by counselors show up without a reload.
    use_change_notices("assignment:*".to_owned(), move |_| board.refetch());
    let toasts = use_toasts();
    Effect::new(move |_| {
        if let Some(Ok(row)) = assign.value().get() {
            toasts.success(format!("Assigned to {}.", row.counselor_name));
        }
    });
    let ready = move |board| view! { <Board board assign bulk toggle /> }.into_any();
    when_loaded(board, ready, |error| load_error(error, "staff")).into_any()
}

#[component]
fn Board(
    board: ScenarioBoard,
    assign: ServerAction<AssignCounselor>,
    bulk: ServerAction<BulkAssign>,
    toggle: ServerAction<SetScenarioActive>,
) -> AnyView {
    let assign_error = action_error(assign);
    let bulk_error = action_error(bulk);
    let toggle_error = action_error(toggle);
    let scenario = board.scenario.clone();
    let active = scenario.active;
    let options = board
        .counselors
        .iter()
        .map(|c| view! { <option value=c.id.to_string()>{format!("{} ({})", c.display_name, c.email)}</option> })
        .collect_view();
    let checkboxes = board
        .counselors
        .iter()
        .map(|c| {
            view! {
                <label class="check">
                    <input type="checkbox" name=format!("counselors[c_{}]", c.id) value="on" />
                    {c.display_name.clone()}
                </label>
            }
        })
        .collect_view();
    let (assign_scenario, bulk_scenario) = (scenario.id.to_string(), scenario.id.to_string());
    view! {
        <Title text=scenario.title.clone() />
        <section class="page-head">
            <h1>
                <span data-testid="scenario-title">{scenario.title.clone()}</span>
                <span class="badge" data-testid="scenario-status">{scenario.status_label()}</span>
            </h1>
            <A href="/staff/scenarios" attr:class="button ghost">"All scenarios"</A>
        </section>
        {(!scenario.description.is_empty()).then(|| view! { <p class="lead">{scenario.description.clone()}</p> })}
        <section class="panel" data-testid="assignment-board">
            <h2>"Assignments"</h2>
            <AssignmentTable rows=board.assignments.clone() />
        </section>
        {if active {
            view! {
                <div class="columns">
                    <section class="panel">
                        <h2>"Assign a counselor"</h2>
                        <ActionForm action=assign attr:class="form" attr:novalidate=true>
                            <input type="hidden" name="scenario_id" value=assign_scenario />
                            <div class="field">
                                <label for="field-counselor_id">"Counselor"</label>
                                <select id="field-counselor_id" name="counselor_id" required=true>
                                    <option value="">"Choose…"</option>
                                    {options}
                                </select>
                                <p class="field-error" role="alert">{move || assign_error.get().and_then(|e| e.message_for("counselor_id"))}</p>
                            </div>
                            <div class="field">
                                <label for="field-due_date">"Due date (optional)"</label>
                                <input id="field-due_date" name="due_date" type="date" />
                                <p class="field-error" role="alert">{move || assign_error.get().and_then(|e| e.message_for("due_date"))}</p>
                            </div>
                            <FormError error=assign_error fields=&["counselor_id", "due_date"] />
                            <SubmitButton pending=assign.pending() label="Assign" busy_label="Assigning…" />
                        </ActionForm>
                    </section>
                    <section class="panel">
                        <h2>"Bulk assign"</h2>
                        <ActionForm action=bulk attr:class="form" attr:novalidate=true>
                            <input type="hidden" name="scenario_id" value=bulk_scenario />
                            <fieldset class="checklist">
                                <legend>"Counselors"</legend>
                                {checkboxes}
                            </fieldset>
                            <div class="field">
                                <label for="field-bulk-due_date">"Due date (optional)"</label>
                                <input id="field-bulk-due_date" name="due_date" type="date" />
                            </div>
                            <FormError error=bulk_error fields=&[] />
                            <SubmitButton pending=bulk.pending() label="Assign selected" busy_label="Assigning…" />
                        </ActionForm>
                        <BulkResult bulk />
                    </section>
                </div>
            }.into_any()
        } else {
            view! { <p class="alert" role="status">"This scenario is inactive: it takes no new assignments."</p> }.into_any()
        }}
        <section class="panel">
            <ActionForm action=toggle attr:class="inline-form">
                <input type="hidden" name="id" value=scenario.id.to_string() />
                <input type="hidden" name="version" value=scenario.version />
                <input type="hidden" name="active" value=if active { "false" } else { "true" } />
                <SubmitButton pending=toggle.pending()
                    label=if active { "Deactivate scenario" } else { "Activate scenario" }
                    busy_label="Saving…" class="button ghost" />
            </ActionForm>
            <FormError error=toggle_error fields=&[] />
        </section>
    }
    .into_any()
}

#[component]
fn AssignmentTable(rows: Vec<Assignment>) -> AnyView {
    if rows.is_empty() {
        return view! { <p class="muted" data-testid="assignments-empty">"Nobody is assigned yet."</p> }.into_any();
    }
    view! {
        <Table columns=&["Counselor", "Status", "Due", "Assigned", "By"]>
            {rows.into_iter().map(|row| view! {
                <tr data-testid="assignment-row" data-status=row.status.as_str()>
                    <td>{row.counselor_name.clone()}</td>
                    <td><span class=format!("status status-{}", row.status.as_str())>{row.status.label()}</span></td>
                    <td>{row.due()}</td>
                    <td class="muted small">{model::time::minute(row.created_at)}</td>
                    <td class="muted small">{row.source.clone()}</td>
                </tr>
            }).collect_view()}
        </Table>
    }
    .into_any()
}

/// The answer to the last bulk assignment: one line per counselor.
#[component]
fn BulkResult(bulk: ServerAction<BulkAssign>) -> impl IntoView {
    move || {
        bulk.value().get().and_then(Result::ok).map(|rows| {
            let created = rows.iter().filter(|r| r.created).count();
            view! {
                <div class="bulk-result" data-testid="bulk-result" role="status">
                    <p><strong>{format!("{created} created, {} skipped", rows.len() - created)}</strong></p>
                    <ul>
                        {rows.into_iter().map(|row| view! {
                            <li data-testid="bulk-outcome" data-created=row.created.to_string()>
                                <span>{row.who()}</span>
                                {if row.created {
                                    view! { <span class="status status-created">"created"</span> }.into_any()
                                } else {
                                    view! { <span class="status status-skipped">{format!("skipped: {}", row.reason.as_deref().unwrap_or_default())}</span> }.into_any()
                                }}
                            </li>
                        }).collect_view()}
                    </ul>
                </div>
            }
        })
    }
}

/// One of the counselor's assignments, with the button for its next step.
fn my_assignment_row(row: Assignment, advance: ServerAction<AdvanceAssignment>) -> impl IntoView {
    let step = match row.status {
        AssignmentStatus::Pending => Some(("start", "Start", "Starting…")),
        AssignmentStatus::InProgress => Some(("complete", "Complete", "Completing…")),
        AssignmentStatus::Completed => None,
    };
    view! {
        <tr data-testid="my-assignment" data-scenario=row.scenario_title.clone() data-status=row.status.as_str()>
            <td>{row.scenario_title.clone()}</td>
            <td><span class=format!("status status-{}", row.status.as_str())>{row.status.label()}</span></td>
            <td>{row.due()}</td>
            <td>
                {step.map(|(step, label, busy_label)| view! {
                    <ActionForm action=advance attr:class="inline-form">
                        <input type="hidden" name="id" value=row.id.to_string() />
                        <input type="hidden" name="version" value=row.version />
                        <input type="hidden" name="step" value=step />
                        <SubmitButton pending=advance.pending() label busy_label class="button small primary" />
                    </ActionForm>
                })}
            </td>
        </tr>
    }
}

#[component]
pub fn MyAssignmentsPage() -> AnyView {
    let advance = ServerAction::<AdvanceAssignment>::new();
    let error = action_error(advance);
    let assignments = Resource::new_blocking(move || advance.version().get(), |_| my_assignments());
    let toasts = use_toasts();
    Effect::new(move |_| {
        if let Some(Ok(row)) = advance.value().get() {
            let what = if row.status == AssignmentStatus::Completed { "Completed" } else { "Started" };
            toasts.success(format!("{what} \u{201c}{}\u{201d}.", row.scenario_title));
        }
    });
    let ready = move |rows: Vec<Assignment>| {
        if rows.is_empty() {
            return view! {
                <EmptyState testid="my-assignments-empty" title="Nothing assigned"
                    text="New training scenarios assigned to you appear here." />
            }
            .into_any();
        }
        view! {
            <Table class="table panel" testid="my-assignments" columns=&["Scenario", "Status", "Due", ""]>
                {rows.into_iter().map(|row| my_assignment_row(row, advance)).collect_view()}
            </Table>
        }
        .into_any()
    };
    view! {
        <PageHead title="My assignments" />
        <FormError error fields=&[] />
        {when_loaded(assignments, ready, |error| load_error(error, "counselors"))}
    }
    .into_any()
}
