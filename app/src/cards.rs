//! Server functions for business cards, and the card as pages see it.

use std::sync::LazyLock;

use leptos::prelude::*;

use crate::error::AppError;
use crate::merge::{SectionView, Values};

pub use model::cards::{Card, CardChanges, CardFields, LAYOUTS, TEMPLATES};
use model::Form;

/// The editor's fields with their labels, in form order: the slug, then
/// the card's own fields.
pub static EDITOR_FIELDS: LazyLock<Vec<(&str, &str)>> = LazyLock::new(|| {
    std::iter::once(("slug", model::cards::SLUG_LABEL)).chain(CardFields::FIELDS.iter().copied()).collect()
});

/// The card as the editor holds it: every editable field, the slug
/// included, as form values.
pub fn editor_values(card: &Card) -> Values {
    let mut values = card.fields().values();
    values.insert("slug".to_owned(), card.slug.clone());
    values
}

impl From<Card> for SectionView {
    /// The card as its editor holds it: its values, the slug among them.
    fn from(card: Card) -> Self {
        SectionView { values: editor_values(&card), version: card.version }
    }
}

/// The card a 409 carries as `current`, as its editor holds it.
pub fn stored_card(current: serde_json::Value) -> Option<SectionView> {
    SectionView::read(&current, &EDITOR_FIELDS)
}

/// Default values of a new card's form.
pub fn new_card_values() -> Values {
    CardFields::default().values()
}

/// What the card editor posts as `card[…]`: the card's fields and its slug.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct CardEdit {
    #[serde(default)]
    pub slug: String,
    #[serde(flatten)]
    pub fields: CardFields,
}

#[cfg(feature = "ssr")]
fn parse_id(id: &str) -> Result<uuid::Uuid, AppError> {
    uuid::Uuid::parse_str(id).map_err(|_| AppError::NotFound)
}

#[server(prefix = "/sfn", endpoint = "list_cards")]
pub async fn list_cards() -> Result<Vec<Card>, AppError> {
    let (state, user) = crate::ssr::member().await?;
    let mut conn = state.pool.acquire().await.map_err(server::Error::from)?;
    let cards = server::cards::list(&mut conn, user.id).await?;
    Ok(cards)
}

#[server(prefix = "/sfn", endpoint = "get_card")]
pub async fn get_card(id: String) -> Result<Card, AppError> {
    let (state, user) = crate::ssr::member().await?;
    let mut conn = state.pool.acquire().await.map_err(server::Error::from)?;
    let card = server::cards::find(&mut conn, user.id, parse_id(&id)?).await?;
    card.ok_or_else(|| AppError::from_server(server::Error::NotFound))
}

/// Anyone, signed in or not: the card behind a public address.
/// Where this site is reached (`--public-url`, else the browser's address),
/// for the full address of a card.
#[server(prefix = "/sfn", endpoint = "site_address")]
pub async fn site_address() -> Result<String, AppError> {
    let state = crate::ssr::state()?;
    Ok(crate::ssr::site_origin(&state))
}

#[server(prefix = "/sfn", endpoint = "public_card")]
pub async fn public_card(slug: String) -> Result<Card, AppError> {
    let state = crate::ssr::state()?;
    let mut conn = state.pool.acquire().await.map_err(server::Error::from)?;
    let card = server::cards::find_by_slug(&mut conn, &slug).await?;
    card.ok_or_else(|| AppError::from_server(server::Error::NotFound))
}

/// Creates a card and opens its editor. The form's `idempotency_key` makes
/// a double click, a refresh or a resend return the first card.
#[server(prefix = "/sfn", endpoint = "create_card")]
pub async fn create_card(card: CardFields, idempotency_key: String) -> Result<Card, AppError> {
    let (state, user) = crate::ssr::member().await?;
    let created = server::cards::create(&state.pool, user.id, card, Some(&idempotency_key)).await?;
    let card = created.into_card();
    crate::ssr::redirect(&format!("/cards/{}", card.id));
    Ok(card)
}

/// Saves the editor if the card is still at `version`; otherwise the error
/// carries the card as it is now, for the merge panel. The editor sends
/// every field (`card[…]`, the slug among them), so every field is a change.
#[server(prefix = "/sfn", endpoint = "update_card")]
pub async fn update_card(id: String, version: i32, card: CardEdit) -> Result<Card, AppError> {
    let (state, user) = crate::ssr::member().await?;
    let changes = CardChanges { slug: Some(card.slug), ..card.fields.into_changes() };
    let card = server::cards::update(&state.pool, user.id, parse_id(&id)?, version, changes).await?;
    Ok(card)
}

#[server(prefix = "/sfn", endpoint = "delete_card")]
pub async fn delete_card(id: String, version: i32) -> Result<(), AppError> {
    let (state, user) = crate::ssr::member().await?;
    server::cards::delete(&state.pool, user.id, parse_id(&id)?, version).await?;
    crate::ssr::redirect("/cards");
    Ok(())
}
