//! `/cards` (my cards), `/cards/new`, `/cards/{id}` (editor) and the public
//! `/c/{slug}`.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use model::cards::SLUG_LABEL;
use model::profiles::{PersonalFields, ProfessionalFields};
use model::Form as _;

use crate::cards::{
    editor_values, get_card, list_cards, new_card_values, public_card, site_address, stored_card, Card, CardFields,
    CreateCard, DeleteCard, UpdateCard, EDITOR_FIELDS, LAYOUTS, TEMPLATES,
};
use crate::components::{
    action_error, error_alert, mint_idempotency_key, use_param, use_toasts, when_loaded, EmptyState, FormError,
    PageHead, SubmitButton,
};
use crate::editor::{shows_all, with_preview, Editor, Fields, FormFields, Input, Line, VersionInput};
use crate::error::AppError;
use crate::live::{live_feed, use_change_notices, Live};
use crate::merge::{EditorState, SectionView, Values};
use crate::profiles::get_profile;

#[component]
pub fn CardsPage() -> AnyView {
    let cards = Resource::new_blocking(|| (), |_| list_cards());
    // A card made or changed in another tab or device shows up here too.
    use_change_notices("business_card:*".to_owned(), move |_| cards.refetch());
    let ready = |cards: Vec<Card>| {
        match cards.is_empty() {
        true => view! {
            <EmptyState testid="cards-empty" title="No cards yet" text="Design a card and share it with its own web address.">
                <A href="/cards/new" attr:class="button primary">"Create your first card"</A>
            </EmptyState>
        }
        .into_any(),
        false => view! {
            <ul class="card-grid" data-testid="card-list">
                {cards.into_iter().map(|card| view! { <CardTile card /> }).collect_view()}
            </ul>
        }
        .into_any(),
    }
    };
    view! {
        <PageHead title="Your cards" heading="Your business cards">
            <A href="/cards/new" attr:class="button primary">"New card"</A>
        </PageHead>
        {when_loaded(cards, ready, error_alert)}
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
    let form = view! {
        <ActionForm action=action attr:class="form editor-form" attr:novalidate=true>
            <input type="hidden" name="idempotency_key" value=idempotency_key />
            <FormFields state form="card" fields=CardFields::FIELDS layout=NEW_CARD error />
            <SubmitButton pending=action.pending() label="Create card" busy_label="Creating…" />
        </ActionForm>
    };
    view! {
        <PageHead title="New card" heading="New business card">
            <A href="/cards" attr:class="button ghost">"Back to your cards"</A>
        </PageHead>
        {with_preview(form.into_any(), view! { <CardPreview values=state.values.into() /> }.into_any())}
    }
    .into_any()
}

const NAME: Line =
    Line::One(Input::of(CardFields::FIELDS, "name").required().hint("For you; the web address is made from it."));
const SLUG: Line =
    Line::One(Input::new("slug", SLUG_LABEL).hint("Lowercase letters, digits and hyphens: /c/your-name"));
const LOOK: Line = Line::Row(&[
    Input::of(CardFields::FIELDS, "template").choice(TEMPLATES),
    Input::of(CardFields::FIELDS, "layout").choice(LAYOUTS),
    Input::of(CardFields::FIELDS, "accent_color").typed("color"),
]);
const ON_THE_CARD: Line = {
    const F: Fields = CardFields::FIELDS;
    Line::Group(
        "On the card",
        &[
            Line::Control(fill_from_profile),
            Line::One(Input::of(F, "full_name")),
            Line::Row(&[Input::of(F, "job_title"), Input::of(F, "company")]),
            Line::Row(&[Input::of(F, "email").typed("email"), Input::of(F, "phone").typed("tel")]),
            Line::One(Input::of(F, "website")),
            Line::One(Input::of(F, "address").multiline()),
            Line::One(Input::of(F, "tagline")),
        ],
    )
};
/// The create form: the address is drawn from the name.
const NEW_CARD: &[Line] = &[Line::Group("Card", &[NAME, LOOK]), ON_THE_CARD];
const EDIT_CARD: &[Line] = &[Line::Group("Card", &[NAME, SLUG, LOOK]), ON_THE_CARD];
const _: () = assert!(shows_all(NEW_CARD, CardFields::FIELDS) && shows_all(EDIT_CARD, CardFields::FIELDS));

fn fill_from_profile(state: EditorState) -> AnyView {
    view! { <FillFromProfile state /> }.into_any()
}

/// Copies name, title, company and contact details from the profile into
/// the card's form (only what the profile has; nothing is saved yet).
#[component]
fn FillFromProfile(state: EditorState) -> impl IntoView {
    let fill = Action::new(|_: &()| get_profile());
    let toasts = use_toasts();
    Effect::new(move |_| match fill.value().get() {
        Some(Ok(profile)) => {
            let personal = PersonalFields::from_values(&profile.personal.values);
            let professional = ProfessionalFields::from_values(&profile.professional.values);
            let from = [
                ("full_name", personal.full_name),
                ("email", personal.primary_email),
                ("phone", personal.phone),
                ("job_title", professional.job_title),
                ("company", professional.company),
                ("website", professional.website),
            ];
            let mut copied = 0;
            for (field, value) in from.into_iter().filter(|(_, value)| !value.is_empty()) {
                state.set(field, value);
                copied += 1;
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
    let id = use_param("id");
    let card = Resource::new_blocking(id, get_card);
    let failed = |error| {
        match error {
        AppError::NotFound => view! {
            <CardMissing heading="This card does not exist" text="It may have been deleted, or it belongs to someone else.">
                <A href="/cards" attr:class="button primary">"Your cards"</A>
            </CardMissing>
        }
        .into_any(),
        error => error_alert(error),
    }
    };
    when_loaded(card, |card| view! { <CardEditor card /> }.into_any(), failed).into_any()
}

/// Said where a card was asked for that is not there (or not yours).
#[component]
fn CardMissing(
    heading: &'static str,
    text: &'static str,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    view! {
        <Title text="Card not found" />
        <section class="panel narrow" data-testid="card-missing">
            <h1>{heading}</h1>
            <p class="muted">{text}</p>
            {children.map(|children| children())}
        </section>
    }
}

#[component]
fn CardEditor(card: Card) -> AnyView {
    let id = card.id.to_string();
    let state = EditorState::from(SectionView::from(card));
    // The heading and the public address show the stored card: what the
    // form was loaded with, last saved, or last merged from elsewhere.
    let stored = move |field: &'static str| state.base.with(|base| base.get(field).cloned().unwrap_or_default());
    let save = ServerAction::<UpdateCard>::new();
    let delete = ServerAction::<DeleteCard>::new();
    let delete_error = action_error(delete);
    let toasts = use_toasts();
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            toasts.success("Card deleted.");
        }
    });

    // Saves made elsewhere (another tab, another device) arrive as notices.
    let card_id = StoredValue::new(id.clone());
    let fetch = move || async move { get_card(card_id.get_value()).await.ok().map(SectionView::from) };
    let live = Live::new(live_feed(format!("business_card:{id}")), "business_card", Some(id.clone()), fetch);

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
        <Editor save state theirs=stored_card live form="card" fields=EDITOR_FIELDS.as_slice() layout=EDIT_CARD
            hidden=vec![("id", id.clone())] form_class="form editor-form" save_label="Save" version_testid="version"
            preview=move || view! { <CardPreview values=state.values.into() /> } />
        <section class="panel">
            <h2>"Share"</h2>
            <ShareCard slug=Signal::derive(move || stored("slug")) />
        </section>
        <section class="panel danger-zone">
            <h2>"Delete this card"</h2>
            <p class="muted">"Its public page stops working and its address becomes free."</p>
            <ActionForm action=delete attr:class="inline-form">
                <input type="hidden" name="id" value=id />
                <VersionInput state />
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
    let slug = use_param("slug");
    let card = Resource::new_blocking(slug, public_card);
    let ready = |card: Card| {
        let title = card.display_name().to_owned();
        let slug = Signal::stored(card.slug.clone());
        view! {
            <Title text=title />
            <section class="public-card">
                <CardPreview values=Signal::stored(editor_values(&card)) />
                <ShareCard slug />
            </section>
        }
        .into_any()
    };
    let failed = |error| {
        match error {
        AppError::NotFound => view! {
            <CardMissing heading="No card at this address" text="Check the link; the card may have moved or been deleted." />
        }
        .into_any(),
        // Not "no such card": the card may well exist, we just could not look.
        error => view! {
            <Title text="Card unavailable" />
            <section class="panel narrow" data-testid="card-unavailable">
                <h1>"This card cannot be shown right now"</h1>
                <p class="muted">{error.to_string()}</p>
            </section>
        }
        .into_any(),
    }
    };
    when_loaded(card, ready, failed).into_any()
}

/// How a card is shared: its QR code (downloadable, for print), its full
/// address with a copy button, and the contact file. The copy button is
/// worked by `/share.js`, since the public page loads no WASM; without
/// JavaScript it is hidden and the address stays selectable.
#[component]
fn ShareCard(slug: Signal<String>) -> impl IntoView {
    let origin = Resource::new_blocking(|| (), |_| site_address());
    let address = move || format!("{}/c/{}", origin.get().and_then(Result::ok).unwrap_or_default(), slug.get());
    let qr = move || format!("/c/{}/qr.svg", slug.get());
    view! {
        <section class="share" data-testid="share" aria-label="Share this card">
            <img class="qr-code" src=qr alt="QR code of the card's address" width="168" height="168" data-testid="qr-code" />
            <div class="share-actions">
                <Suspense fallback=|| ()>
                    <p class="share-address"><a href=address rel="external" data-testid="card-address">{address}</a></p>
                    <button type="button" class="button small js-only" data-copy=address data-testid="copy-link">"Copy link"</button>
                </Suspense>
                <a href=qr class="button small ghost" rel="external" download=move || format!("{}-qr.svg", slug.get())>"Download QR code"</a>
                <a href=move || format!("/c/{}/card.vcf", slug.get()) class="button small ghost" rel="external" download="">
                    "Add to contacts (vCard)"
                </a>
            </div>
        </section>
    }
}

/// The card itself, in its template: the live preview and the public page.
#[component]
pub fn CardPreview(values: Signal<Values>, #[prop(optional)] compact: bool) -> AnyView {
    // The form's values read as a card's fields, so a renamed field is a
    // compile error here rather than an empty line on the card.
    let card = Memo::new(move |_| values.with(CardFields::from_values));
    let text = move |field: fn(&CardFields) -> &String| move || card.with(|c| field(c).clone());
    let has = move |field: fn(&CardFields) -> &String| move || card.with(|c| !field(c).is_empty());
    let class = move || {
        card.with(|c| {
            let template = if c.template.is_empty() { TEMPLATES[0].0 } else { c.template.as_str() };
            let layout = if c.layout.is_empty() { LAYOUTS[0].0 } else { c.layout.as_str() };
            format!("business-card template-{template} layout-{layout}{}", if compact { " compact" } else { "" })
        })
    };
    let style = move || card.with(|c| format!("--accent: {}", c.accent_color));
    let display_name = move || card.with(|c| model::cards::display_name(&c.full_name, &c.name).to_owned());
    view! {
        <article class=class style=style data-testid="card-preview">
            <div class="business-card-band" aria-hidden="true"></div>
            <div class="business-card-body">
                <h2 class="business-card-name">{display_name}</h2>
                <Show when=has(|c| &c.job_title)><p class="business-card-title">{text(|c| &c.job_title)}</p></Show>
                <Show when=has(|c| &c.company)><p class="business-card-company">{text(|c| &c.company)}</p></Show>
                <Show when=has(|c| &c.tagline)><p class="business-card-tagline">{text(|c| &c.tagline)}</p></Show>
                <ul class="business-card-contact">
                    <Show when=has(|c| &c.email)><li>{text(|c| &c.email)}</li></Show>
                    <Show when=has(|c| &c.phone)><li>{text(|c| &c.phone)}</li></Show>
                    <Show when=has(|c| &c.website)><li>{text(|c| &c.website)}</li></Show>
                    <Show when=has(|c| &c.address)><li>{text(|c| &c.address)}</li></Show>
                </ul>
            </div>
        </article>
    }
    .into_any()
}
