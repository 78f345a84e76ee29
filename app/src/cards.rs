//! Server functions for business cards, and the card as pages see it.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::merge::Values;

/// The editable fields of a card with their labels, in form order.
pub const FIELDS: &[(&str, &str)] = &[
    ("name", "Card name"),
    ("slug", "Web address"),
    ("template", "Template"),
    ("layout", "Layout"),
    ("accent_color", "Accent color"),
    ("full_name", "Full name"),
    ("job_title", "Job title"),
    ("company", "Company"),
    ("email", "Email"),
    ("phone", "Phone"),
    ("website", "Website"),
    ("address", "Address"),
    ("tagline", "Tagline"),
];

pub const TEMPLATES: &[(&str, &str)] = &[("classic", "Classic"), ("modern", "Modern"), ("bold", "Bold")];
pub const LAYOUTS: &[(&str, &str)] = &[("left", "Aligned left"), ("center", "Centered")];

/// A card, as the browser gets it (the same JSON as the REST API).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CardView {
    pub id: String,
    pub slug: String,
    pub version: i32,
    pub name: String,
    pub template: String,
    pub full_name: String,
    pub job_title: String,
    pub company: String,
    pub email: String,
    pub phone: String,
    pub website: String,
    pub address: String,
    pub tagline: String,
    pub accent_color: String,
    pub layout: String,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl CardView {
    /// The card as an editor's section: its values and version.
    pub fn section(&self) -> crate::merge::SectionView {
        crate::merge::SectionView { values: self.values(), version: self.version }
    }

    /// The editable fields as form values.
    pub fn values(&self) -> Values {
        let pairs = [
            ("name", &self.name),
            ("slug", &self.slug),
            ("template", &self.template),
            ("layout", &self.layout),
            ("accent_color", &self.accent_color),
            ("full_name", &self.full_name),
            ("job_title", &self.job_title),
            ("company", &self.company),
            ("email", &self.email),
            ("phone", &self.phone),
            ("website", &self.website),
            ("address", &self.address),
            ("tagline", &self.tagline),
        ];
        pairs.into_iter().map(|(field, value)| (field.to_owned(), value.clone())).collect()
    }
}

/// Default values of a new card's form.
pub fn new_card_values() -> Values {
    let mut values: Values = FIELDS.iter().map(|(field, _)| (field.to_string(), String::new())).collect();
    values.insert("template".into(), "classic".into());
    values.insert("layout".into(), "left".into());
    values.insert("accent_color".into(), "#2563eb".into());
    values
}

/// What the card form posts, as `card[field]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CardInput {
    pub name: String,
    pub slug: String,
    pub template: String,
    pub full_name: String,
    pub job_title: String,
    pub company: String,
    pub email: String,
    pub phone: String,
    pub website: String,
    pub address: String,
    pub tagline: String,
    pub accent_color: String,
    pub layout: String,
}

#[cfg(feature = "ssr")]
mod convert {
    use super::*;
    use server::cards::{Card, CardChanges, CardFields};

    impl From<Card> for CardView {
        fn from(card: Card) -> Self {
            CardView {
                id: card.id.to_string(),
                slug: card.slug,
                version: card.version,
                name: card.name,
                template: card.template,
                full_name: card.full_name,
                job_title: card.job_title,
                company: card.company,
                email: card.email,
                phone: card.phone,
                website: card.website,
                address: card.address,
                tagline: card.tagline,
                accent_color: card.accent_color,
                layout: card.layout,
                updated_at: card.updated_at,
            }
        }
    }

    impl CardInput {
        pub fn into_fields(self) -> CardFields {
            CardFields {
                name: self.name,
                template: self.template,
                full_name: self.full_name,
                job_title: self.job_title,
                company: self.company,
                email: self.email,
                phone: self.phone,
                website: self.website,
                address: self.address,
                tagline: self.tagline,
                accent_color: self.accent_color,
                layout: self.layout,
            }
        }

        /// Every field is sent by the editor, so every field is a change.
        pub fn into_changes(self) -> CardChanges {
            CardChanges {
                name: Some(self.name),
                slug: Some(self.slug),
                template: Some(self.template),
                full_name: Some(self.full_name),
                job_title: Some(self.job_title),
                company: Some(self.company),
                email: Some(self.email),
                phone: Some(self.phone),
                website: Some(self.website),
                address: Some(self.address),
                tagline: Some(self.tagline),
                accent_color: Some(self.accent_color),
                layout: Some(self.layout),
            }
        }
    }
}

#[cfg(feature = "ssr")]
fn parse_id(id: &str) -> Result<uuid::Uuid, AppError> {
    uuid::Uuid::parse_str(id).map_err(|_| AppError::NotFound)
}

#[server(prefix = "/sfn", endpoint = "list_cards")]
pub async fn list_cards() -> Result<Vec<CardView>, AppError> {
    let state = crate::ssr::state()?;
    let user = crate::ssr::signed_in_user().await?;
    let mut conn = state.pool.acquire().await.map_err(server::Error::from)?;
    let cards = server::cards::list(&mut conn, user.id).await?;
    Ok(cards.into_iter().map(CardView::from).collect())
}

#[server(prefix = "/sfn", endpoint = "get_card")]
pub async fn get_card(id: String) -> Result<CardView, AppError> {
    let state = crate::ssr::state()?;
    let user = crate::ssr::signed_in_user().await?;
    let mut conn = state.pool.acquire().await.map_err(server::Error::from)?;
    let card = server::cards::find(&mut conn, user.id, parse_id(&id)?).await?;
    card.map(CardView::from).ok_or_else(|| AppError::from_server(server::Error::NotFound))
}

/// Anyone, signed in or not: the card behind a public address.
#[server(prefix = "/sfn", endpoint = "public_card")]
pub async fn public_card(slug: String) -> Result<CardView, AppError> {
    let state = crate::ssr::state()?;
    let mut conn = state.pool.acquire().await.map_err(server::Error::from)?;
    let card = server::cards::find_by_slug(&mut conn, &slug).await?;
    card.map(CardView::from).ok_or_else(|| AppError::from_server(server::Error::NotFound))
}

/// Creates a card and opens its editor. The form's `idempotency_key` makes
/// a double click, a refresh or a resend return the first card.
#[server(prefix = "/sfn", endpoint = "create_card")]
pub async fn create_card(card: CardInput, idempotency_key: String) -> Result<CardView, AppError> {
    let state = crate::ssr::state()?;
    let user = crate::ssr::signed_in_user().await?;
    let created = server::cards::create(&state.pool, user.id, card.into_fields(), Some(&idempotency_key)).await?;
    let card = CardView::from(created.into_card());
    crate::ssr::redirect(&format!("/cards/{}", card.id));
    Ok(card)
}

/// Saves the editor if the card is still at `version`; otherwise the error
/// carries the card as it is now, for the merge panel.
#[server(prefix = "/sfn", endpoint = "update_card")]
pub async fn update_card(id: String, version: i32, card: CardInput) -> Result<CardView, AppError> {
    let state = crate::ssr::state()?;
    let user = crate::ssr::signed_in_user().await?;
    let card = server::cards::update(&state.pool, user.id, parse_id(&id)?, version, card.into_changes()).await?;
    Ok(CardView::from(card))
}

#[server(prefix = "/sfn", endpoint = "delete_card")]
pub async fn delete_card(id: String, version: i32) -> Result<(), AppError> {
    let state = crate::ssr::state()?;
    let user = crate::ssr::signed_in_user().await?;
    server::cards::delete(&state.pool, user.id, parse_id(&id)?, version).await?;
    crate::ssr::redirect("/cards");
    Ok(())
}
