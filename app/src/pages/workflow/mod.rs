//! Staff workflow pages, one file per page: clients, a request with its
//! inspection and appointments, the assessment editor and the report.

use leptos::prelude::*;

use crate::components::when_loaded;
use crate::error::AppError;
use crate::workflow::{audit_history, AuditLine};

mod assessments;
mod clients;
mod reports;
mod requests;

pub use assessments::AssessmentPage;
pub use clients::{ClientPage, ClientsPage, NewClientPage};
pub use reports::ReportPage;
pub use requests::RequestPage;

/// What a staff page shows when its data could not be loaded.
fn load_error(error: AppError) -> AnyView {
    crate::components::load_error(error, "staff", ("/staff/clients", "Clients"))
}

fn history_lines(lines: Vec<AuditLine>) -> AnyView {
    if lines.is_empty() {
        return view! { <p class="muted">"Nothing recorded yet."</p> }.into_any();
    }
    view! {
        <ol>
            {lines.into_iter().map(|line| view! {
                <li><span class="muted small">{line.when}</span>" " <strong>{line.who}</strong>" " {line.what}</li>
            }).collect_view()}
        </ol>
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
            {when_loaded(history, history_lines, |error| view! { <p class="alert error">{error.to_string()}</p> }.into_any())}
        </section>
    }
}
