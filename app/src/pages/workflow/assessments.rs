//! Staff: the assessment editor: its tabs, tyres, sections and estimate.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;
use model::assessments::DamageFields;
use model::Form as _;

use crate::components::{action_error, use_param, when_loaded, FormError, SubmitButton};
use crate::editor::{shows_all, Editor, Fields, Input, Line};
use crate::error::AppError;
use crate::live::{live_feed, Live, LiveFeed};
use crate::merge::SectionView;
use crate::workflow::{
    get_assessment, stored_section, AssessmentDetail, AssessmentStatus, CompleteAssessment, Estimate, EstimateFields,
    GenerateReport, MarkTab, SaveAssessmentSection, SaveEstimate, SaveTyre, Section, Tab, Tyre, TyreFields,
};

use super::{load_error, AuditTrail};

#[component]
pub fn AssessmentPage() -> AnyView {
    let complete = ServerAction::<CompleteAssessment>::new();
    let id = use_param("id");
    let assessment = Resource::new_blocking(move || (id(), complete.version().get()), |(id, _)| get_assessment(id));
    when_loaded(assessment, move |assessment| view! { <AssessmentEditor assessment complete /> }.into_any(), load_error)
        .into_any()
}

#[component]
fn AssessmentEditor(assessment: AssessmentDetail, complete: ServerAction<CompleteAssessment>) -> AnyView {
    let report = ServerAction::<GenerateReport>::new();
    let mark = ServerAction::<MarkTab>::new();
    let complete_error = action_error(complete);
    let report_error = action_error(report);
    let mark_error = action_error(mark);
    let status = assessment.assessment.status;
    let completed = status == AssessmentStatus::Completed;
    let id = assessment.assessment.id.to_string();
    // Every tab stays mounted and the others are only hidden, so switching
    // tabs never loses what was typed. `?tab=` makes tabs links that work
    // without JavaScript; the editor opens where work left off.
    let query = use_query_map();
    let opened_on = assessment.assessment.current_tab;
    let active = Memo::new(move |_| query.read().get("tab").and_then(|tab| Tab::named(&tab)).unwrap_or(opened_on));
    // One stream for every section of this assessment.
    let feed = live_feed(format!("assessment_section:{id},assessment_tyre:{id}"));
    let done_tabs = RwSignal::new(assessment.assessment.tabs_completed.clone());
    Effect::new(move |_| {
        if let Some(Ok(tabs)) = mark.value().get() {
            done_tabs.set(tabs);
        }
    });
    let is_done = move |tab: Tab| done_tabs.with(|tabs| tabs.contains(&tab));
    let panel_of = id.clone();
    let panel = move |tab: Tab, content: AnyView| {
        let assessment_id = panel_of.clone();
        view! {
            <div role="tabpanel" id=format!("tab-panel-{tab}") data-testid=format!("tab-panel-{tab}")
                aria-labelledby=format!("tab-{tab}") hidden=move || active.get() != tab>
                {content}
                {(!completed).then(|| view! { <TabMark assessment_id tab done=Signal::derive(move || is_done(tab)) mark /> })}
            </div>
        }
    };
    let tabs_nav = Tab::ALL
        .iter()
        .map(|&tab| {
            view! {
                <A href=format!("/staff/assessments/{id}?tab={tab}")
                    attr:role="tab" attr:id=format!("tab-{tab}") attr:data-testid=format!("tab-{tab}")
                    attr:aria-controls=format!("tab-panel-{tab}")
                    attr:aria-selected=move || (active.get() == tab).to_string()
                    attr:class=move || if active.get() == tab { "tab active" } else { "tab" }>
                    {tab.label()}
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
                {assessment.tyres.iter().cloned().map(|tyre| view! { <TyreRow assessment_id=id.clone() tyre feed /> }).collect_view()}
            </div>
        </section>
    }
    .into_any();
    let (report_id, complete_id) = (id.clone(), id.clone());
    let section = |section: Section| {
        let initial = SectionView::of(section.of(&assessment));
        panel(section.tab(), view! { <SectionPanel feed assessment_id=id.clone() section initial /> }.into_any())
    };
    let summary = view! {
        <section class="panel">
            <h2>"Summary"</h2>
            <ul class="tab-checklist" data-testid="tab-checklist">
                {Tab::ALL.iter().filter(|&&tab| tab != Tab::Summary).map(|&tab| {
                    view! {
                        <li class:done=move || is_done(tab)>
                            {tab.label()} ": " {move || if is_done(tab) { "complete" } else { "open" }}
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
                        <input type="hidden" name="version" value=assessment.assessment.version />
                        <SubmitButton pending=complete.pending() label="Mark assessment completed" busy_label="Completing…" />
                    </ActionForm>
                    <FormError error=complete_error fields=&[] />
                }.into_any()
            }}
        </section>
    }
    .into_any();
    view! {
        <Title text=assessment.assessment.number.clone() />
        <section class="page-head">
            <h1>
                <span class="doc-number" data-testid="assessment-number">{assessment.assessment.number.clone()}</span>
                <span class="badge" data-testid="assessment-status">{status.label()}</span>
            </h1>
        </section>
        <nav class="tabs" role="tablist" aria-label="Assessment sections">{tabs_nav}</nav>
        <FormError error=mark_error fields=&[] />
        {section(Section::Identification)}
        {panel(Tab::Tyres, tyres)}
        {section(Section::Damage)}
        {section(Section::VehicleValues)}
        {section(Section::PreIncidentEstimate)}
        {panel(Tab::Estimate, view! { <EstimateSection assessment_id=id.clone() estimate=assessment.estimate.clone() /> }.into_any())}
        {panel(Tab::Summary, summary)}
        <AuditTrail entity="assessment" id=id.clone() />
    }
    .into_any()
}

/// "Mark tab complete" under a tab's content; once complete, a note and a
/// "Reopen tab" button beside it. The button that was clicked disappears, so
/// the second click of a double click lands on the note instead of undoing
/// the first.
#[component]
fn TabMark(assessment_id: String, tab: Tab, done: Signal<bool>, mark: ServerAction<MarkTab>) -> impl IntoView {
    let assessment_id = StoredValue::new(assessment_id);
    // `complete`: what the button makes the tab.
    let button = move |complete: bool, testid: String, label: &'static str| {
        view! {
            <ActionForm action=mark attr:class="inline-form">
                <input type="hidden" name="assessment_id" value=assessment_id.get_value() />
                <input type="hidden" name="tab" value=tab.as_str() />
                <input type="hidden" name="complete" value=if complete { "true" } else { "false" } />
                <button type="submit" class="button ghost small" disabled=move || mark.pending().get()
                    data-testid=testid>{label}</button>
            </ActionForm>
        }
    };
    view! {
        <div class="tab-mark">
            <Show when=move || done.get() fallback=move || button(true, format!("mark-{tab}"), "Mark tab complete")>
                <span class="tab-complete" data-testid=format!("complete-{tab}")>"\u{2713} Tab complete"</span>
                {button(false, format!("reopen-{tab}"), "Reopen tab")}
            </Show>
        </div>
    }
}

#[component]
fn TyreRow(assessment_id: String, tyre: Tyre, feed: LiveFeed) -> AnyView {
    let save = ServerAction::<SaveTyre>::new();
    let (position, section) = (tyre.position, SectionView::of(&tyre));
    let of = StoredValue::new(assessment_id.clone());
    let fetch = move || async move {
        let assessment = get_assessment(of.get_value()).await.ok()?;
        assessment.tyre(position).map(SectionView::of)
    };
    let live = Live::new(feed, "assessment_tyre", Some(format!("{assessment_id}/{position}")), fetch);
    let label = position.label();
    let position = position.as_str();
    view! {
        <section class="tyre" data-testid=format!("tyre-{position}") aria-label=format!("{label} tyre")>
            <h3>{label}</h3>
            <Editor save state=section theirs={SectionView::stored::<Tyre>} live form="tyre" fields=TyreFields::FIELDS
                hidden=vec![("assessment_id", assessment_id), ("position", position.to_owned())]
                id=position id_prefix=format!("{position}-") form_class="form tyre-form"
                save_label="Save tyre" button_class="button small primary" version_testid="tyre-version" />
        </section>
    }
    .into_any()
}

#[component]
fn EstimateSection(assessment_id: String, estimate: Estimate) -> AnyView {
    let save = ServerAction::<SaveEstimate>::new();
    let loaded = estimate.total.clone();
    // Computed by the database: the total of the estimate last saved, or
    // merged from elsewhere.
    let total = Memo::new(move |shown: Option<&String>| match save.value().get() {
        Some(Ok(saved)) => saved.total,
        Some(Err(AppError::VersionConflict { current })) => match crate::merge::current_record::<Estimate>(&current) {
            Some(theirs) => theirs.total,
            None => shown.cloned().unwrap_or_default(),
        },
        _ => shown.cloned().unwrap_or_else(|| loaded.clone()),
    });
    let actions = move || {
        view! { <span>"Total (computed on save): " <strong data-testid="estimate-total">{move || total.get()}</strong></span> }
    };
    view! {
        <section class="panel" data-testid="estimate">
            <h2>"Estimate"</h2>
            <Editor save state=SectionView::of(&estimate) theirs={SectionView::stored::<Estimate>} form="estimate"
                fields=EstimateFields::FIELDS hidden=vec![("assessment_id", assessment_id)]
                save_label="Save estimate" saved_toast="Estimate saved." actions version_testid="estimate-version" />
        </section>
    }
    .into_any()
}

/// The damage is described in words, not one line.
const DAMAGE: &[Line] = {
    const F: Fields = DamageFields::FIELDS;
    &[Line::Row(&[Input::of(F, "description").multiline(), Input::of(F, "areas"), Input::of(F, "severity")])]
};
const _: () = assert!(shows_all(DAMAGE, DamageFields::FIELDS));

/// One free-form section of the assessment, saved on its own version.
#[component]
fn SectionPanel(feed: LiveFeed, assessment_id: String, section: Section, initial: SectionView) -> AnyView {
    let save = ServerAction::<SaveAssessmentSection>::new();
    let name = section.as_str();
    let of = StoredValue::new(assessment_id.clone());
    let fetch =
        move || async move { get_assessment(of.get_value()).await.ok().map(|a| SectionView::of(section.of(&a))) };
    let live = Live::new(feed, "assessment_section", Some(format!("{assessment_id}/{name}")), fetch);
    let layout = (section == Section::Damage).then_some(DAMAGE);
    view! {
        <section class="panel" data-testid=format!("section-{name}")>
            <h2>{section.label()}</h2>
            <Editor save state=initial theirs=stored_section(section) live form="values" fields=section.fields() layout
                hidden=vec![("assessment_id", assessment_id), ("section", name.to_owned())]
                id=name id_prefix=format!("{name}-") save_label="Save section" version_testid="section-version" />
        </section>
    }
    .into_any()
}
