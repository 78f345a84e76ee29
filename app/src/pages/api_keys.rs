//! Pages for administrators and integrators: API keys and the readable
//! API reference.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::components::{action_error, FormError, SubmitButton};
use crate::training::{api_endpoints, list_api_keys, CreateApiKey, RevokeApiKey};

use super::training::{load_error, loading};

#[component]
pub fn ApiKeysPage() -> AnyView {
    let create = ServerAction::<CreateApiKey>::new();
    let revoke = ServerAction::<RevokeApiKey>::new();
    let create_error = action_error(create);
    let revoke_error = action_error(revoke);
    let keys = Resource::new_blocking(move || (create.version().get(), revoke.version().get()), |_| list_api_keys());
    view! {
        <Title text="API keys" />
        <section class="page-head"><h1>"API keys"</h1><A href="/docs/api" attr:class="button ghost">"API reference"</A></section>
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
            {move || create.value().get().and_then(Result::ok).map(|issued| view! {
                <div class="alert success" role="status" data-testid="new-api-key">
                    <p>{format!("The key for \u{201c}{}\u{201d}. Copy it now; it will not be shown again:", issued.name)}</p>
                    <p><code class="secret">{issued.secret}</code></p>
                </div>
            })}
        </section>
        <FormError error=revoke_error fields=&[] />
        <Suspense fallback=loading>
            {move || keys.get().map(|result| match result {
                Ok(keys) if keys.is_empty() => view! { <p class="muted">"No keys yet."</p> }.into_any(),
                Ok(keys) => view! {
                    <table class="table panel" data-testid="api-keys">
                        <thead><tr>
                            <th scope="col">"Name"</th><th scope="col">"Key"</th><th scope="col">"May do"</th>
                            <th scope="col">"Created"</th><th scope="col">"Expires"</th>
                            <th scope="col">"Last used"</th><th scope="col"></th>
                        </tr></thead>
                        <tbody>
                            {keys.into_iter().map(|key| view! {
                                <tr class:revoked=key.revoked>
                                    <td>{key.name.clone()}</td>
                                    <td><code>{key.prefix.clone()}</code></td>
                                    <td class="small">{key.scopes.clone()}</td>
                                    <td class="muted small">{key.created.clone()}</td>
                                    <td class="muted small" class:expired=key.expired>{key.expires.clone()}</td>
                                    <td class="muted small">{key.last_used.clone()}</td>
                                    <td>
                                        {if key.revoked {
                                            view! { <span class="status status-revoked">"Revoked"</span> }.into_any()
                                        } else {
                                            view! {
                                                <ActionForm action=revoke attr:class="inline-form">
                                                    <input type="hidden" name="id" value=key.id.clone() />
                                                    <SubmitButton pending=revoke.pending() label="Revoke" busy_label="Revoking…" class="button small danger" />
                                                </ActionForm>
                                            }.into_any()
                                        }}
                                    </td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any(),
                Err(error) => load_error(error, "administrators"),
            })}
        </Suspense>
    }
    .into_any()
}

/// A readable version of `/api/openapi.json`.
#[component]
pub fn ApiDocsPage() -> AnyView {
    let endpoints = Resource::new_blocking(|| (), |_| api_endpoints());
    view! {
        <Title text="API reference" />
        <section class="page-head">
            <h1>"API reference"</h1>
            <a href="/api/openapi.json" class="button ghost" rel="external">"OpenAPI document"</a>
        </section>
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
        <Suspense fallback=loading>
            {move || endpoints.get().map(|result| match result {
                Ok(endpoints) => view! {
                    <table class="table panel" data-testid="api-endpoints">
                        <thead><tr><th scope="col">"Area"</th><th scope="col">"Method"</th><th scope="col">"Path"</th><th scope="col">"What it does"</th></tr></thead>
                        <tbody>
                            {endpoints.into_iter().map(|e| view! {
                                <tr>
                                    <td class="muted small">{e.tag.clone()}</td>
                                    <td><code class=format!("method method-{}", e.method.to_lowercase())>{e.method.clone()}</code></td>
                                    <td><code>{e.path.clone()}</code></td>
                                    <td>{e.summary.clone()}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any(),
                Err(error) => load_error(error, "everyone"),
            })}
        </Suspense>
    }
    .into_any()
}
