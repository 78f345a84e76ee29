use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::accounts::staff_overview;
use crate::error::AppError;

#[component]
pub fn StaffPage() -> impl IntoView {
    // Blocking, so a refused request answers 403 before any HTML is sent.
    let overview = Resource::new_blocking(|| (), |_| staff_overview());
    view! {
        <Title text="Staff" />
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || overview.get().map(|result| match result {
                Ok(counts) => view! {
                    <section class="panel">
                        <h1>"Staff workspace"</h1>
                        <p><A href="/staff/clients" attr:class="button primary">"Clients and requests"</A></p>
                        <p class="muted">"Accounts by role."</p>
                        <table class="table">
                            <thead><tr><th scope="col">"Role"</th><th scope="col" class="num">"Accounts"</th></tr></thead>
                            <tbody>
                                {counts.into_iter().map(|c| view! {
                                    <tr><td>{c.role}</td><td class="num">{c.count}</td></tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </section>
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
