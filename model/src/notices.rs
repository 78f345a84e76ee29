//! Live change notices: what the database announces for every committed
//! change, as the server fans it out and the browser receives it.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One committed change, as the trigger announces it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Notice {
    /// `business_card`, `personal_info`, `client`, `assessment_section`, …
    pub entity: String,
    /// The record's id (`<assessment id>/<section>` for assessment parts).
    pub id: String,
    /// `create`, `update` or `delete`.
    pub action: String,
    /// The version the change produced, when the record is versioned.
    pub version: Option<i32>,
    /// Who made it: a person's name or "API key <name>".
    pub by: String,
    pub by_id: Option<Uuid>,
}

/// What a subscriber to notices receives.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Change(Notice),
    /// Notices may have been missed: refetch.
    Resync,
}
