//! Staff: the assessment editor: its tabs, tyres, sections and estimate.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};
use model::Form as _;

use crate::components::{action_error, follow_saves, use_toasts, BoundField, FormError, SubmitButton};
use crate::error::AppError;
use crate::live::{live_feed, LiveEditing, LiveFeed};
use crate::merge::{EditorState, MergePanel, SectionView};
use crate::workflow::{
    get_assessment, tyre_label, AssessmentView, CompleteAssessment, Estimate, GenerateReport, MarkTab,
    SaveAssessmentSection, SaveEstimate, SaveTyre, TyreView, DAMAGE_FIELDS, ESTIMATE_FIELDS, IDENTIFICATION_FIELDS,
    PRE_INCIDENT_FIELDS, TABS, TYRE_FIELDS, VEHICLE_VALUE_FIELDS,
};

use super::{load_error, AuditTrail};

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
fn EstimateSection(assessment_id: String, estimate: Estimate) -> AnyView {
    let state = EditorState::new(estimate.fields().values(), estimate.version);
    let total = RwSignal::new(estimate.total.clone());
    let save = ServerAction::<SaveEstimate>::new();
    let toasts = use_toasts();
    Effect::new(move |_| match save.value().get() {
        Some(Ok(saved)) => {
            state.saved(saved.fields().values(), saved.version);
            total.set(saved.total);
            toasts.success("Estimate saved.");
        }
        Some(Err(AppError::VersionConflict { current })) => match serde_json::from_value::<Estimate>(current) {
            Ok(theirs) => {
                total.set(theirs.total.clone());
                state.conflicted(theirs.fields().values(), theirs.version);
            }
            Err(_) => toasts.error("This estimate was changed elsewhere. Reload the page to see it."),
        },
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
