//! Business cards: what a person edits, a change to it, the stored card.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The templates we ship, with their labels; the database CHECK lists the
/// same names.
pub const TEMPLATES: &[(&str, &str)] = &[("classic", "Classic"), ("modern", "Modern"), ("bold", "Bold")];
pub const LAYOUTS: &[(&str, &str)] = &[("left", "Aligned left"), ("center", "Centered")];
pub const DEFAULT_ACCENT_COLOR: &str = "#2563eb";

/// The label of the one field that is not part of [`CardFields`]: the
/// public address, chosen by the database at create, editable afterwards.
pub const SLUG_LABEL: &str = "Web address";

crate::text_record! {
    input:
    /// What a person edits on a card. Missing fields take their defaults,
    /// so `{"name": "…"}` is a whole card.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    #[serde(default)]
    CardFields;

    changes:
    /// A change to a card: only the fields given change. The browser's
    /// editor sends them all; REST clients may send a few.
    #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    CardChanges {
        slug: Option<String>,
    }

    stored:
    /// A card as stored.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    Card {
        id: Uuid,
        slug: String,
        version: i32,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    }

    text: {
        name: "Card name",
        template: "Template",
        layout: "Layout",
        accent_color: "Accent color",
        full_name: "Full name",
        job_title: "Job title",
        company: "Company",
        email: "Email",
        phone: "Phone",
        website: "Website",
        address: "Address",
        tagline: "Tagline",
    }
}

impl Default for CardFields {
    fn default() -> Self {
        CardFields {
            template: TEMPLATES[0].0.to_owned(),
            layout: LAYOUTS[0].0.to_owned(),
            accent_color: DEFAULT_ACCENT_COLOR.to_owned(),
            ..CardFields::empty()
        }
    }
}

impl CardFields {
    fn empty() -> Self {
        <CardFields as crate::Form>::from_values(&crate::Values::new())
    }
}

/// The name a card shows in big letters: the person's, else the card's.
pub fn display_name<'a>(full_name: &'a str, name: &'a str) -> &'a str {
    if full_name.is_empty() {
        name
    } else {
        full_name
    }
}

impl Card {
    /// The name the card shows in big letters: the person's, else the card's.
    pub fn display_name(&self) -> &str {
        display_name(&self.full_name, &self.name)
    }
}
