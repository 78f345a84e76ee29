//! Staff: the client list, a new client, and one client with its requests
//! and the client editor.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::components::{action_error, follow_saves, mint_idempotency_key, BoundField, FormError, SubmitButton};
use crate::live::{live_feed, LiveEditing};
use crate::merge::{EditorState, MergePanel, SectionView};
use crate::workflow::{
    client_section, get_client, list_clients, Client, ClientDetail, CreateClient, CreateRequest, UpdateClient,
    CLIENT_EDIT_FIELDS,
};

use super::{empty_values, load_error, AuditTrail};

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

/// The request form's fields, from the one definition in `model`.
static REQUEST_FIELDS: std::sync::LazyLock<Vec<&str>> = std::sync::LazyLock::new(|| {
    <model::requests::RequestFields as model::Form>::FIELDS.iter().map(|(field, _)| *field).collect()
});

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
    let state = EditorState::new(empty_values(&REQUEST_FIELDS), 0);
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
                <FormError error fields=REQUEST_FIELDS.as_slice() />
                <SubmitButton pending=action.pending() label="Open request" busy_label="Opening…" />
            </ActionForm>
        </section>
        <AuditTrail entity="client" id=audit_id />
    }
    .into_any()
}

/// The client's details, edited against the version they were loaded with.
#[component]
fn ClientEditor(client: Client) -> AnyView {
    let SectionView { values, version } = client_section(&client);
    let state = EditorState::new(values, version);
    let save = ServerAction::<UpdateClient>::new();
    let error = follow_saves(save, state, CLIENT_EDIT_FIELDS);
    let feed = live_feed(format!("client:{}", client.id));
    let client_id = StoredValue::new(client.id.clone());
    let fetch = move || async move {
        let detail = get_client(client_id.get_value()).await.ok()?;
        Some(client_section(&detail.client))
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
