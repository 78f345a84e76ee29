//! `/staff`: the staff workspace: find a document by number, the open
//! requests, today's appointments and the open assessments.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use model::appointments::DayEntry;
use model::assessments::Assessment;
use model::requests::Request;
use model::time::minute;

use crate::accounts::staff_overview;
use crate::components::{action_error, loading, SubmitButton};
use crate::error::AppError;
use crate::live::use_change_notices;
use crate::workflow::{staff_worklists, FindDocument};

#[component]
pub fn StaffPage() -> impl IntoView {
    // Blocking, so a refused request answers 403 before any HTML is sent.
    let worklists = Resource::new_blocking(|| (), |_| staff_worklists());
    let accounts = Resource::new_blocking(|| (), |_| staff_overview());
    // Appointments and assessments change under colleagues' hands.
    use_change_notices("appointment:*,assessment:*".to_owned(), move |_| worklists.refetch());
    let find = ServerAction::<FindDocument>::new();
    let find_error = action_error(find);
    view! {
        <Title text="Staff" />
        <Suspense fallback=loading>
            {move || worklists.get().map(|result| match result {
                Ok(lists) => view! {
                    <section class="page-head">
                        <h1>"Staff workspace"</h1>
                        <div class="actions">
                            <A href="/staff/clients" attr:class="button primary">"Clients and requests"</A>
                            <A href="/staff/scenarios" attr:class="button">"Training scenarios"</A>
                            <A href="/admin/users" attr:class="button ghost">"People"</A>
                            <A href="/admin/api-keys" attr:class="button ghost">"API keys"</A>
                            <A href="/admin/metrics" attr:class="button ghost">"Metrics"</A>
                        </div>
                    </section>
                    <section class="panel">
                        <ActionForm action=find attr:class="search-form" attr:role="search">
                            <label for="field-number" class="visually-hidden">"Document number"</label>
                            <input id="field-number" name="number" type="search" required=true
                                placeholder="Find a document: REQ-2026-0001, ASM-…, RPT-…"
                                aria-describedby="field-number-error" />
                            <SubmitButton pending=find.pending() label="Find" busy_label="Finding…" class="button" />
                        </ActionForm>
                        <p class="field-error" id="field-number-error" role="alert">
                            {move || find_error.get().map(|e| e.to_string())}
                        </p>
                    </section>
                    <div class="worklists">
                        <Worklist title="Open requests" testid="open-requests" items=work_items(lists.open_requests) empty="No open requests." />
                        <Worklist title="Today's appointments" testid="todays-appointments" items=work_items(lists.todays_appointments) empty="Nothing booked for today." />
                        <Worklist title="Open assessments" testid="open-assessments" items=work_items(lists.open_assessments) empty="No assessment in progress." />
                        <section class="panel worklist">
                            <h2>"Accounts by role"</h2>
                            <ul>
                                {move || accounts.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|c| view! {
                                    <li><span>{format!("{}: {}", c.role.as_str(), c.count)}</span></li>
                                }).collect_view()}
                            </ul>
                        </section>
                    </div>
                }.into_any(),
                Err(AppError::Forbidden) => view! {
                    <section class="panel narrow" data-testid="forbidden">
                        <h1>"No access"</h1>
                        <p>"This page is for staff. If you need access, ask an administrator."</p>
                    </section>
                }.into_any(),
                Err(error) => view! {
                    <section class="panel narrow"><h1>"Could not load"</h1><p class="alert error">{error.to_string()}</p></section>
                }.into_any(),
            })}
        </Suspense>
    }
}

/// One line of a worklist: where it opens, its number, and a detail.
struct WorkItem {
    href: String,
    number: String,
    detail: String,
}

fn work_items<T: Into<WorkItem>>(records: Vec<T>) -> Vec<WorkItem> {
    records.into_iter().map(Into::into).collect()
}

impl From<Request> for WorkItem {
    fn from(r: Request) -> Self {
        WorkItem {
            href: format!("/staff/requests/{}", r.id),
            detail: format!("{} {} {}", r.vehicle_make, r.vehicle_model, r.registration).trim().to_owned(),
            number: r.number,
        }
    }
}

impl From<(DayEntry, model::time::BusinessTime)> for WorkItem {
    fn from((a, when): (DayEntry, model::time::BusinessTime)) -> Self {
        WorkItem {
            href: format!("/staff/requests/{}", a.request_id),
            detail: format!("{} · {}", when.shown, a.location),
            number: a.number,
        }
    }
}

impl From<Assessment> for WorkItem {
    fn from(a: Assessment) -> Self {
        WorkItem {
            href: format!("/staff/assessments/{}", a.id),
            detail: format!("started {}", minute(a.created_at)),
            number: a.number,
        }
    }
}

#[component]
fn Worklist(title: &'static str, testid: &'static str, items: Vec<WorkItem>, empty: &'static str) -> impl IntoView {
    view! {
        <section class="panel worklist" data-testid=testid>
            <h2>{title}</h2>
            {if items.is_empty() {
                view! { <p class="muted">{empty}</p> }.into_any()
            } else {
                view! {
                    <ul>
                        {items.into_iter().map(|item| view! {
                            <li>
                                <A href=item.href.clone() attr:class="doc-number">{item.number.clone()}</A>
                                <span class="muted small">{item.detail.clone()}</span>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}
