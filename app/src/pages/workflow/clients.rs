//! Staff: the client list, a new client, and one client with its requests
//! and the client editor.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use model::requests::RequestFields;
use model::time::minute;
use model::Form as _;

use crate::components::{
    action_error, mint_idempotency_key, search_query, use_param, when_loaded, EmptyState, PageHead, SearchBox,
    SubmitButton, Table,
};
use crate::editor::{shows_all, Editor, Fields, FormFields, Input, Line};
use crate::live::{live_feed, Live};
use crate::merge::{EditorState, SectionView, Values};
use crate::workflow::{
    get_client, list_clients, Client, ClientDetail, ClientFields, CreateClient, CreateRequest, UpdateClient,
};

use super::{load_error, AuditTrail};

#[component]
pub fn ClientsPage() -> AnyView {
    let search = search_query();
    let clients = Resource::new_blocking(search, list_clients);
    view! {
        <PageHead title="Clients">
            <A href="/staff/clients/new" attr:class="button primary">"New client"</A>
        </PageHead>
        <SearchBox action="/staff/clients" id="client-search" label="Search clients"
            placeholder="Search by id, name, email or company" />
        {when_loaded(clients, client_list, load_error)}
    }
    .into_any()
}

fn client_list(clients: Vec<Client>) -> AnyView {
    if clients.is_empty() {
        return view! {
            <EmptyState testid="clients-empty" title="No clients found" text="Create one, or search for something else." />
        }
        .into_any();
    }
    view! {
        <Table class="table panel" testid="client-list" columns=&["Id", "Name", "Company", "Email"]>
            {clients.into_iter().map(|client| view! {
                <tr>
                    <td><code>{client.id.clone()}</code></td>
                    <td><A href=format!("/staff/clients/{}", client.id)>{client.name.clone()}</A></td>
                    <td>{client.company.clone()}</td>
                    <td>{client.email.clone()}</td>
                </tr>
            }).collect_view()}
        </Table>
    }
    .into_any()
}

const NEW_CLIENT: &[Line] = {
    const F: Fields = ClientFields::FIELDS;
    &[
        Line::One(
            Input::new("id", "Client id")
                .hint("Optional: your system's id (letters, digits, - and _). An existing id opens that client."),
        ),
        Line::One(Input::of(F, "name").required()),
        Line::Row(&[Input::of(F, "email").typed("email"), Input::of(F, "phone").typed("tel")]),
        Line::One(Input::of(F, "company")),
    ]
};
const EDIT_CLIENT: &[Line] = {
    const F: Fields = ClientFields::FIELDS;
    &[
        Line::Row(&[Input::of(F, "name").required(), Input::of(F, "company")]),
        Line::Row(&[Input::of(F, "email").typed("email"), Input::of(F, "phone").typed("tel")]),
    ]
};
const NEW_REQUEST: &[Line] = {
    const F: Fields = RequestFields::FIELDS;
    &[
        Line::Row(&[Input::of(F, "vehicle_make"), Input::of(F, "vehicle_model")]),
        Line::Row(&[Input::of(F, "registration"), Input::of(F, "vin")]),
        Line::One(Input::of(F, "claim_reference")),
        Line::One(Input::of(F, "notes").multiline()),
    ]
};
const _: () = assert!(
    shows_all(NEW_CLIENT, ClientFields::FIELDS)
        && shows_all(EDIT_CLIENT, ClientFields::FIELDS)
        && shows_all(NEW_REQUEST, RequestFields::FIELDS)
);

#[component]
pub fn NewClientPage() -> AnyView {
    let action = ServerAction::<CreateClient>::new();
    let error = action_error(action);
    let state = EditorState::new(Values::new(), 0);
    view! {
        <PageHead title="New client">
            <A href="/staff/clients" attr:class="button ghost">"Clients"</A>
        </PageHead>
        <section class="panel narrow-form">
            <ActionForm action=action attr:class="form" attr:novalidate=true>
                <FormFields state form="client" fields=ClientFields::FIELDS layout=NEW_CLIENT error />
                <SubmitButton pending=action.pending() label="Create client" busy_label="Creating…" />
            </ActionForm>
        </section>
    }
    .into_any()
}

#[component]
pub fn ClientPage() -> AnyView {
    let query = use_query_map();
    let id = use_param("id");
    let detail = Resource::new_blocking(id, get_client);
    let existed = move || query.read().get("existing").is_some();
    when_loaded(detail, move |detail| view! { <ClientDetailView detail existed=existed() /> }.into_any(), load_error)
        .into_any()
}

#[component]
fn ClientDetailView(detail: ClientDetail, existed: bool) -> AnyView {
    let ClientDetail { client, requests } = detail;
    let action = ServerAction::<CreateRequest>::new();
    let error = action_error(action);
    let state = EditorState::new(Values::new(), 0);
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
                    <Table testid="request-list" columns=&["Number", "Vehicle", "Registration", "Opened"]>
                        {requests.into_iter().map(|r| {
                            let (vehicle, opened) = (r.vehicle(), minute(r.created_at));
                            view! {
                                <tr>
                                    <td><A href=format!("/staff/requests/{}", r.id)>{r.number.clone()}</A></td>
                                    <td>{vehicle}</td>
                                    <td>{r.registration.clone()}</td>
                                    <td>{opened}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </Table>
                }.into_any()
            }}
        </section>
        <section class="panel">
            <h2>"New request"</h2>
            <ActionForm action=action attr:class="form" attr:novalidate=true>
                <input type="hidden" name="client_id" value=client.id.clone() />
                <input type="hidden" name="idempotency_key" value=idempotency_key />
                <FormFields state form="request" fields=RequestFields::FIELDS layout=NEW_REQUEST error />
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
    let save = ServerAction::<UpdateClient>::new();
    let client_id = StoredValue::new(client.id.clone());
    let fetch = move || async move { get_client(client_id.get_value()).await.ok().map(|d| SectionView::of(&d.client)) };
    let live = Live::new(live_feed(format!("client:{}", client.id)), "client", Some(client.id.clone()), fetch);
    view! {
        <section class="panel" data-testid="client-details">
            <p class="muted">"Client id " <code data-testid="client-id">{client.id.clone()}</code></p>
            <Editor save state=SectionView::of(&client) theirs={SectionView::stored::<Client>} live form="client"
                fields=ClientFields::FIELDS layout=EDIT_CLIENT hidden=vec![("id", client.id.clone())] id="client"
                save_label="Save client" version_testid="client-version" />
        </section>
    }
    .into_any()
}
