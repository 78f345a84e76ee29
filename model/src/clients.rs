//! Clients of the staff workflow: people or companies whose vehicles are
//! assessed. The id may be chosen by an external system.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

crate::text_record! {
    input:
    /// A client's details as staff edit them: all of them on every save
    /// (the id never changes).
    #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    #[serde(default)]
    ClientFields;

    stored:
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    Client {
        id: String,
        version: i32,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    }

    text: {
        name: "Name",
        email: "Email",
        phone: "Phone",
        company: "Company",
    }
}

/// A new client as submitted. Without `id` (or with an empty one), one is
/// generated.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewClient {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(flatten)]
    pub fields: ClientFields,
}
