//! Staff: the printable report of a completed assessment.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use model::Form as _;

use crate::merge::SectionView;
use crate::workflow::{
    get_report, tyre_label, DAMAGE_FIELDS, ESTIMATE_FIELDS, IDENTIFICATION_FIELDS, PRE_INCIDENT_FIELDS, TYRE_FIELDS,
    VEHICLE_VALUE_FIELDS,
};

use super::load_error;

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
                                <dt>{*label}</dt><dd>{report.assessment.estimate.fields().values().get(*field).cloned().unwrap_or_default()}</dd>
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
