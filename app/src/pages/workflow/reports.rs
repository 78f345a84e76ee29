//! Staff: the printable report of a completed assessment.

use leptos::prelude::*;
use leptos_meta::Title;
use model::time::minute;
use model::{Form as _, Versioned as _};

use crate::components::{use_param, when_loaded};
use crate::editor::Fields;
use crate::merge::Values;
use crate::workflow::{
    get_report, AssessmentDetail, AssessmentStatus, EstimateFields, ReportDetail, Section, Tab, TyreFields,
};

use super::load_error;

#[component]
pub fn ReportPage() -> AnyView {
    let id = use_param("id");
    let report = Resource::new_blocking(id, get_report);
    let ready = |ReportDetail { report, assessment }: ReportDetail| {
        let Some(report) = report else { return not_yet(&assessment) };
        view! {
            <Title text=report.number.clone() />
            <article class="report panel" data-testid="report">
                <header class="report-head">
                    <h1 class="doc-number" data-testid="report-number">{report.number.clone()}</h1>
                    <p class="muted">
                        {format!("Assessment {} · generated {}", assessment.assessment.number, minute(report.created_at))}
                    </p>
                </header>
                {report_section(&assessment, Section::Identification)}
                <h2>"Tyres"</h2>
                <table class="table">
                    <thead><tr><th scope="col">"Position"</th>
                        {TyreFields::FIELDS.iter().map(|(_, label)| view! { <th scope="col">{*label}</th> }).collect_view()}
                    </tr></thead>
                    <tbody>
                        {assessment.tyres.iter().map(|tyre| {
                            let values = tyre.values();
                            view! {
                                <tr>
                                    <th scope="row">{tyre.position.label()}</th>
                                    {TyreFields::FIELDS.iter().map(|(field, _)| view! {
                                        <td>{values.get(*field).cloned().unwrap_or_default()}</td>
                                    }).collect_view()}
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
                {report_section(&assessment, Section::Damage)}
                {report_section(&assessment, Section::VehicleValues)}
                {report_section(&assessment, Section::PreIncidentEstimate)}
                <h2>"Estimate"</h2>
                {facts(EstimateFields::FIELDS, &assessment.estimate.values())}
                <p class="report-total">"Estimate total: " <strong>{assessment.estimate.total.clone()}</strong></p>
            </article>
        }
        .into_any()
    };
    when_loaded(report, ready, load_error).into_any()
}

/// A report link opened before the report exists: what is missing, and the
/// way back to the assessment.
fn not_yet(detail: &AssessmentDetail) -> AnyView {
    let assessment = &detail.assessment;
    let open_tabs: Vec<&str> =
        Tab::ALL.iter().filter(|tab| !assessment.tabs_completed.contains(tab)).map(|tab| tab.label()).collect();
    let missing = if assessment.status == AssessmentStatus::Completed {
        "The assessment is completed; its report has not been generated yet.".to_owned()
    } else if open_tabs.is_empty() {
        "Every tab is marked complete; the assessment itself is not completed yet.".to_owned()
    } else {
        format!("The assessment is not completed yet. Tabs still open: {}.", open_tabs.join(", "))
    };
    view! {
        <Title text=format!("No report yet · {}", assessment.number) />
        <section class="panel narrow" data-testid="report-not-yet">
            <h1>"No report yet"</h1>
            <p>{format!("Assessment {} has no report. A report is generated from a completed assessment.", assessment.number)}</p>
            <p>{missing}</p>
            <p><a class="button primary" href=format!("/staff/assessments/{}", assessment.id)>"Back to the assessment"</a></p>
        </section>
    }
    .into_any()
}

fn report_section(assessment: &AssessmentDetail, section: Section) -> impl IntoView {
    view! {
        <h2>{section.label()}</h2>
        {facts(section.fields(), &section.of(assessment).values())}
    }
}

/// Every field of a table with its value.
fn facts(fields: Fields, values: &Values) -> impl IntoView {
    view! {
        <dl class="facts">
            {fields.iter().map(|(field, label)| view! {
                <dt>{*label}</dt><dd>{values.get(*field).cloned().unwrap_or_default()}</dd>
            }).collect_view()}
        </dl>
    }
}
