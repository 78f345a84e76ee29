//! `/cards` (my cards), `/cards/new`, `/cards/{id}` (editor) and the public
//! `/c/{slug}`.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use crate::cards::{
    editor_values, get_card, list_cards, new_card_values, public_card, section, Card, CreateCard, DeleteCard,
    UpdateCard, EDITOR_FIELDS, EDITOR_FIELD_NAMES, LAYOUTS, TEMPLATES,
};
use crate::components::{
    action_error, mint_idempotency_key, use_toasts, BoundField, BoundSelect, FormError, SubmitButton,
};
use crate::error::AppError;
use crate::live::{live_feed, use_change_notices, LiveEditing};
use crate::merge::{EditorState, MergePanel, Values};
use crate::profile::get_profile;

#[component]
pub fn CardsPage() -> AnyView {
    let cards = Resource::new_blocking(|| (), |_| list_cards());
    // A card made or changed in another tab or device shows up here too.
    use_change_notices("business_card:*".to_owned(), move |_| cards.refetch());
    view! {
        <Title text="Your cards" />
        <section class="page-head">
            <h1>"Your business cards"</h1>
            <A href="/cards/new" attr:class="button primary">"New card"</A>
        </section>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || cards.get().map(|result| match result {
                Ok(cards) if cards.is_empty() => view! {
                    <section class="panel empty-state" data-testid="cards-empty">
                        <h2>"No cards yet"</h2>
                        <p class="muted">"Design a card and share it with its own web address."</p>
                        <A href="/cards/new" attr:class="button primary">"Create your first card"</A>
                    </section>
                }.into_any(),
                Ok(cards) => view! {
                    <ul class="card-grid" data-testid="card-list">
                        {cards.into_iter().map(|card| view! { <CardTile card /> }).collect_view()}
                    </ul>
                }.into_any(),
                Err(error) => view! { <div class="alert error" role="alert">{error.to_string()}</div> }.into_any(),
            })}
        </Suspense>
    }
    .into_any()
}

#[component]
fn CardTile(card: Card) -> AnyView {
    let values = editor_values(&card);
    let edit = format!("/cards/{}", card.id);
    let public = format!("/c/{}", card.slug);
    view! {
        <li class="card-tile">
            <A href=edit.clone() attr:class="card-tile-preview" attr:aria-label=format!("Edit {}", card.name)>
                <CardPreview values=Signal::stored(values) compact=true />
            </A>
            <div class="card-tile-meta">
                <A href=edit attr:class="card-tile-name">{card.name.clone()}</A>
                <a href=public.clone() class="muted small" rel="external">{public.clone()}</a>
            </div>
        </li>
    }
    .into_any()
}

#[component]
pub fn NewCardPage() -> AnyView {
    let action = ServerAction::<CreateCard>::new();
    let error = action_error(action);
    let idempotency_key = mint_idempotency_key();
    let state = EditorState::new(new_card_values(), 0);
    Effect::new(move |_| {
        if let Some(Ok(card)) = action.value().get() {
            use_toasts().success(format!("Card \u{201c}{}\u{201d} created.", card.name));
        }
    });
    view! {
        <Title text="New card" />
        <section class="page-head">
            <h1>"New business card"</h1>
            <A href="/cards" attr:class="button ghost">"Back to your cards"</A>
        </section>
        <div class="editor">
            <ActionForm action=action attr:class="form editor-form" attr:novalidate=true>
                <input type="hidden" name="idempotency_key" value=idempotency_key />
                <CardFormFields state error with_slug=false />
                <FormError error fields=EDITOR_FIELD_NAMES.as_slice() />
                <SubmitButton pending=action.pending() label="Create card" busy_label="Creating…" />
            </ActionForm>
            <aside class="editor-preview" aria-label="Preview">
                <CardPreview values=state.values.into() />
            </aside>
        </div>
    }
    .into_any()
}

/// The card's inputs, shared by the create form and the editor.
#[component]
fn CardFormFields(state: EditorState, #[prop(into)] error: Signal<Option<AppError>>, with_slug: bool) -> AnyView {
    view! {
        <fieldset>
            <legend>"Card"</legend>
            <BoundField state form="card" field="name" label="Card name" required=true error
                hint="For you; the web address is made from it." />
            {with_slug.then(|| view! {
                <BoundField state form="card" field="slug" label="Web address" error
                    hint="Lowercase letters, digits and hyphens: /c/your-name" />
            })}
            <div class="field-row">
                <BoundSelect state form="card" field="template" label="Template" options=TEMPLATES error />
                <BoundSelect state form="card" field="layout" label="Layout" options=LAYOUTS error />
                <BoundField state form="card" field="accent_color" label="Accent color" input_type="color" error />
            </div>
        </fieldset>
        <fieldset>
            <legend>"On the card"</legend>
            <FillFromProfile state />
            <BoundField state form="card" field="full_name" label="Full name" error />
            <div class="field-row">
                <BoundField state form="card" field="job_title" label="Job title" error />
                <BoundField state form="card" field="company" label="Company" error />
            </div>
            <div class="field-row">
                <BoundField state form="card" field="email" label="Email" input_type="email" error />
                <BoundField state form="card" field="phone" label="Phone" input_type="tel" error />
            </div>
            <BoundField state form="card" field="website" label="Website" error />
            <BoundField state form="card" field="address" label="Address" multiline=true error />
            <BoundField state form="card" field="tagline" label="Tagline" error />
        </fieldset>
    }
    .into_any()
}

/// Copies name, title, company and contact details from the profile into
/// the card's form (only what the profile has; nothing is saved yet).
#[component]
fn FillFromProfile(state: EditorState) -> impl IntoView {
    let fill = Action::new(|_: &()| get_profile());
    let toasts = use_toasts();
    Effect::new(move |_| match fill.value().get() {
        Some(Ok(profile)) => {
            let from = [
                ("full_name", &profile.personal.values, "full_name"),
                ("email", &profile.personal.values, "primary_email"),
                ("phone", &profile.personal.values, "phone"),
                ("job_title", &profile.professional.values, "job_title"),
                ("company", &profile.professional.values, "company"),
                ("website", &profile.professional.values, "website"),
            ];
            let mut copied = 0;
            for (field, section, source) in from {
                if let Some(value) = section.get(source).filter(|v| !v.is_empty()) {
                    state.set(field, value.clone());
                    copied += 1;
                }
            }
            if copied == 0 {
                toasts.error("Your profile is empty. Fill it in under Profile first.");
            }
        }
        Some(Err(error)) => toasts.error(error.to_string()),
        None => {}
    });
    view! {
        <button type="button" class="button small ghost fill-from-profile" disabled=move || fill.pending().get()
            on:click=move |_| { fill.dispatch(()); }>
            "Fill from my profile"
        </button>
    }
}

#[component]
pub fn CardEditorPage() -> AnyView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let card = Resource::new_blocking(id, get_card);
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || card.get().map(|result| match result {
                Ok(card) => view! { <CardEditor card /> }.into_any(),
                Err(AppError::NotFound) => view! {
                    <Title text="Card not found" />
                    <section class="panel narrow" data-testid="card-missing">
                        <h1>"This card does not exist"</h1>
                        <p class="muted">"It may have been deleted, or it belongs to someone else."</p>
                        <A href="/cards" attr:class="button primary">"Your cards"</A>
                    </section>
                }.into_any(),
                Err(error) => view! { <div class="alert error" role="alert">{error.to_string()}</div> }.into_any(),
            })}
        </Suspense>
    }
    .into_any()
}

#[component]
fn CardEditor(card: Card) -> AnyView {
    let state = EditorState::new(editor_values(&card), card.version);
    let id = card.id.to_string();
    let delete_id = card.id.to_string();
    // The heading and the public address show the stored card: what the
    // form was loaded with, last saved, or last merged from elsewhere.
    let stored = move |field: &'static str| state.base.with(|base| base.get(field).cloned().unwrap_or_default());
    let save = ServerAction::<UpdateCard>::new();
    let delete = ServerAction::<DeleteCard>::new();
    let save_error = Signal::derive(move || match save.value().get() {
        Some(Err(AppError::VersionConflict { .. })) => None,
        Some(Err(error)) => Some(error),
        _ => None,
    });
    let delete_error = action_error(delete);
    let toasts = use_toasts();

    Effect::new(move |_| match save.value().get() {
        Some(Ok(card)) => {
            state.saved(editor_values(&card), card.version);
            toasts.success("Saved.");
        }
        Some(Err(AppError::VersionConflict { current })) => match serde_json::from_value::<Card>(current) {
            Ok(theirs) => state.conflicted(editor_values(&theirs), theirs.version),
            Err(_) => toasts.error("This card was changed elsewhere. Reload the page to see it."),
        },
        _ => {}
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            toasts.success("Card deleted.");
        }
    });

    // Saves made elsewhere (another tab, another device) arrive as notices.
    let card_id = StoredValue::new(card.id.to_string());
    let fetch_card = move || async move { get_card(card_id.get_value()).await.ok().map(|card| section(&card)) };
    let feed = live_feed(format!("business_card:{}", card.id));

    let public_url = move || format!("/c/{}", stored("slug"));
    view! {
        <Title text=move || format!("Edit {}", stored("name")) />
        <section class="page-head">
            <h1>{move || stored("name")}</h1>
            <div class="page-actions">
                <a href=public_url class="button ghost" rel="external" data-testid="public-link">"View public page"</a>
                <A href="/cards" attr:class="button ghost">"Your cards"</A>
            </div>
        </section>
        <LiveEditing feed entity="business_card" id=card.id.to_string() state saving=save.pending() fetch=fetch_card />
        <MergePanel state labels=EDITOR_FIELDS.as_slice() />
        <div class="editor">
            <ActionForm action=save attr:class="form editor-form" attr:novalidate=true>
                <input type="hidden" name="id" value=id />
                <input type="hidden" name="version" value=state.version.get_untracked()
                    prop:value=move || state.version.get().to_string() />
                <CardFormFields state error=save_error with_slug=true />
                <FormError error=save_error fields=EDITOR_FIELD_NAMES.as_slice() />
                <div class="form-actions">
                    <SubmitButton pending=save.pending() label="Save" busy_label="Saving…" />
                    <span class="muted small" data-testid="version">{move || format!("Version {}", state.version.get())}</span>
                </div>
            </ActionForm>
            <aside class="editor-preview" aria-label="Preview">
                <CardPreview values=state.values.into() />
            </aside>
        </div>
        <section class="panel danger-zone">
            <h2>"Delete this card"</h2>
            <p class="muted">"Its public page stops working and its address becomes free."</p>
            <ActionForm action=delete attr:class="inline-form">
                <input type="hidden" name="id" value=delete_id />
                <input type="hidden" name="version" value=state.version.get_untracked()
                    prop:value=move || state.version.get().to_string() />
                <SubmitButton pending=delete.pending() label="Delete card" busy_label="Deleting…" class="button danger" />
            </ActionForm>
            <FormError error=delete_error fields=&[] />
        </section>
    }
    .into_any()
}

/// The public page of a card: no login, rendered on the server.
#[component]
pub fn PublicCardPage() -> AnyView {
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let card = Resource::new_blocking(slug, public_card);
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || card.get().map(|result| match result {
                Ok(card) => {
                    let title = card.display_name().to_owned();
                    let vcard = format!("/c/{}/card.vcf", card.slug);
                    view! {
                        <Title text=title />
                        <section class="public-card">
                            <CardPreview values=Signal::stored(editor_values(&card)) />
                            <a href=vcard class="button primary" rel="external" download="">"Add to contacts (vCard)"</a>
                        </section>
                    }.into_any()
                }
                Err(AppError::NotFound) => view! {
                    <Title text="Card not found" />
                    <section class="panel narrow" data-testid="card-missing">
                        <h1>"No card at this address"</h1>
                        <p class="muted">"Check the link; the card may have moved or been deleted."</p>
                    </section>
                }.into_any(),
                // Not "no such card": the card may well exist, we just could not look.
                Err(error) => view! {
                    <Title text="Card unavailable" />
                    <section class="panel narrow" data-testid="card-unavailable">
                        <h1>"This card cannot be shown right now"</h1>
                        <p class="muted">{error.to_string()}</p>
                    </section>
                }.into_any(),
            })}
        </Suspense>
    }
    .into_any()
}

/// The card itself, in its template: the live preview and the public page.
#[component]
pub fn CardPreview(values: Signal<Values>, #[prop(optional)] compact: bool) -> AnyView {
    let get = move |field: &'static str| move || values.with(|v| v.get(field).cloned().unwrap_or_default());
    let class = move || {
        values.with(|v| {
            let template = v.get("template").map(String::as_str).unwrap_or("classic");
            let layout = v.get("layout").map(String::as_str).unwrap_or("left");
            format!("business-card template-{template} layout-{layout}{}", if compact { " compact" } else { "" })
        })
    };
    let style = move || format!("--accent: {}", get("accent_color")());
    let has = move |field: &'static str| move || values.with(|v| v.get(field).is_some_and(|s| !s.is_empty()));
    let display_name = move || {
        values.with(|v| {
            let full = v.get("full_name").cloned().unwrap_or_default();
            if full.is_empty() {
                v.get("name").cloned().unwrap_or_default()
            } else {
                full
            }
        })
    };
    view! {
        <article class=class style=style data-testid="card-preview">
            <div class="business-card-band" aria-hidden="true"></div>
            <div class="business-card-body">
                <h2 class="business-card-name">{display_name}</h2>
                <Show when=has("job_title")><p class="business-card-title">{get("job_title")}</p></Show>
                <Show when=has("company")><p class="business-card-company">{get("company")}</p></Show>
                <Show when=has("tagline")><p class="business-card-tagline">{get("tagline")}</p></Show>
                <ul class="business-card-contact">
                    <Show when=has("email")><li>{get("email")}</li></Show>
                    <Show when=has("phone")><li>{get("phone")}</li></Show>
                    <Show when=has("website")><li>{get("website")}</li></Show>
                    <Show when=has("address")><li>{get("address")}</li></Show>
                </ul>
            </div>
        </article>
    }
    .into_any()
}
