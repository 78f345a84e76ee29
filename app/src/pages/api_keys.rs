//! Pages for administrators and integrators: API keys and the readable
//! API reference.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::components::A;

use crate::components::{action_error, when_loaded, FormError, PageHead, SubmitButton, Table};
use crate::training::{
    api_endpoints, list_api_keys, take_issued_api_key, ApiKeyList, CreateApiKey, Endpoint, RevokeApiKey,
};

use super::training::load_error;

#[component]
pub fn ApiKeysPage() -> AnyView {
    let create = ServerAction::<CreateApiKey>::new();
    let revoke = ServerAction::<RevokeApiKey>::new();
    let create_error = action_error(create);
    let revoke_error = action_error(revoke);
    let keys = Resource::new_blocking(move || (create.version().get(), revoke.version().get()), |_| list_api_keys());
    // A key made by the form posted without JavaScript arrives this way.
    let handed_over = Resource::new_blocking(|| (), |_| take_issued_api_key());
    let issued =
        move || create.value().get().and_then(Result::ok).or_else(|| handed_over.get().and_then(Result::ok).flatten());
    view! {
        <PageHead title="API keys"><A href="/docs/api" attr:class="button ghost">"API reference"</A></PageHead>
        <section class="panel narrow-form">
            <h2>"New key"</h2>
            <p class="muted">"External systems send the key in the " <code>"X-API-Key"</code> " header. It is shown once: Lockstep keeps only a hash of it."</p>
            <ActionForm action=create attr:class="form" attr:novalidate=true>
                <div class="field">
                    <label for="field-key-name">"Name"</label>
                    <input id="field-key-name" name="name" type="text" required=true maxlength="100"
                        placeholder="The system that will use it, e.g. Training portal" />
                    <p class="field-error" role="alert">{move || create_error.get().and_then(|e| e.message_for("name"))}</p>
                </div>
                <fieldset class="field">
                    <legend>"What it may do"</legend>
                    <label class="check"><input type="checkbox" name="workflow" value="on" checked=true />" Clients and workflow"</label>
                    <label class="check"><input type="checkbox" name="assignments" value="on" checked=true />" Training assignments"</label>
                    <p class="field-error" role="alert">{move || create_error.get().and_then(|e| e.message_for("scopes"))}</p>
                </fieldset>
                <div class="field">
                    <label for="field-key-expiry">"Expires after (days)"</label>
                    <input id="field-key-expiry" name="expires_in_days" type="number" min="1" max="3650" inputmode="numeric"
                        placeholder="Empty: never" />
                    <p class="field-error" role="alert">{move || create_error.get().and_then(|e| e.message_for("expires_in_days"))}</p>
                </div>
                <FormError error=create_error fields=&["name", "scopes", "expires_in_days"] />
                <SubmitButton pending=create.pending() label="Create key" busy_label="Creating…" />
            </ActionForm>
            <Suspense fallback=|| ()>
                {move || issued().map(|issued| view! {
                    <div class="alert success" role="status" data-testid="new-api-key">
                        <p>{format!("The key for \u{201c}{}\u{201d}. Copy it now; it will not be shown again:", issued.key.name)}</p>
                        <p><code class="secret">{issued.secret}</code></p>
                    </div>
                })}
            </Suspense>
        </section>
        <FormError error=revoke_error fields=&[] />
        {when_loaded(keys, move |keys| key_table(keys, revoke), |error| load_error(error, "administrators"))}
    }
    .into_any()
}

/// A moment to the minute, or "never".
fn moment_or_never(at: Option<chrono::DateTime<chrono::Utc>>) -> String {
    at.map(model::time::minute).unwrap_or_else(|| "never".to_owned())
}

fn key_table(list: ApiKeyList, revoke: ServerAction<RevokeApiKey>) -> AnyView {
    let ApiKeyList { keys, as_of } = list;
    if keys.is_empty() {
        return view! { <p class="muted">"No keys yet."</p> }.into_any();
    }
    view! {
        <Table class="table panel" testid="api-keys" columns=&["Name", "Key", "May do", "Created", "Expires", "Last used", ""]>
            {keys.into_iter().map(|key| view! {
                <tr class:revoked=key.is_revoked()>
                    <td>{key.name.clone()}</td>
                    <td><code>{key.public_part()}</code></td>
                    <td class="small">{key.scope_labels()}</td>
                    <td class="muted small">{model::time::minute(key.created_at)}</td>
                    <td class="muted small" class:expired=key.is_expired_at(as_of)>{moment_or_never(key.expires_at)}</td>
                    <td class="muted small">{moment_or_never(key.last_used_at)}</td>
                    <td>
                        {if key.is_revoked() {
                            view! { <span class="status status-revoked">"Revoked"</span> }.into_any()
                        } else {
                            view! {
                                <ActionForm action=revoke attr:class="inline-form">
                                    <input type="hidden" name="id" value=key.id.to_string() />
                                    <SubmitButton pending=revoke.pending() label="Revoke" busy_label="Revoking…" class="button small danger" />
                                </ActionForm>
                            }.into_any()
                        }}
                    </td>
                </tr>
            }).collect_view()}
        </Table>
    }
    .into_any()
}

/// A readable version of `/api/openapi.json`.
#[component]
pub fn ApiDocsPage() -> AnyView {
    let endpoints = Resource::new_blocking(|| (), |_| api_endpoints());
    view! {
        <PageHead title="API reference">
            <a href="/api/openapi.json" class="button ghost" rel="external">"OpenAPI document"</a>
        </PageHead>
        <section class="panel prose">
            <p>"Lockstep's REST API speaks JSON. Staff and members sign in with "
               <code>"POST /api/auth/login"</code> " and send the session cookie it sets; external systems send an API key in the "
               <code>"X-API-Key"</code> " header (an administrator creates keys)."</p>
            <p>"Errors come as " <code>"{\"error\": {\"code\", \"message\", \"field\"?, \"current\"?, \"existing\"?}}"</code>
               " with the matching status: 401 not signed in or bad key, 403 not allowed, 404 not found, 409 conflict, 422 invalid input."</p>
            <p>"Versioned records are read with an " <code>"ETag"</code> " and written with " <code>"If-Match"</code>
               " (412 when stale) or a " <code>"version"</code> " field (409 with the current record). Creates accept an "
               <code>"Idempotency-Key"</code> " header: a retry with the same key returns the first answer."</p>
        </section>
        {when_loaded(endpoints, endpoint_table, |error| load_error(error, "everyone"))}
    }
    .into_any()
}

fn endpoint_table(endpoints: Vec<Endpoint>) -> AnyView {
    view! {
        <Table class="table panel" testid="api-endpoints" columns=&["Area", "Method", "Path", "What it does"]>
            {endpoints.into_iter().map(|e| view! {
                <tr>
                    <td class="muted small">{e.tag.clone()}</td>
                    <td><code class=format!("method method-{}", e.method.to_lowercase())>{e.method.clone()}</code></td>
                    <td><code>{e.path.clone()}</code></td>
                    <td>{e.summary.clone()}</td>
                </tr>
            }).collect_view()}
        </Table>
    }
    .into_any()
}
