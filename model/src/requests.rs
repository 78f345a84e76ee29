//! Requests (REQ): a client's vehicle to be assessed, numbered by the
//! database, and the one inspection (INS) a request may have.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

crate::text_record! {
    input:
    /// The vehicle and claim a request is about, as staff type them.
    #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    #[serde(default)]
    RequestFields;

    stored:
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    Request {
        id: Uuid,
        /// `REQ-YYYY-NNNNN`, gapless per year.
        number: String,
        client_id: String,
        status: String,
        version: i32,
        created_at: DateTime<Utc>,
    }

    text: {
        vehicle_make: "Make",
        vehicle_model: "Model",
        registration: "Registration",
        vin: "VIN",
        claim_reference: "Claim reference",
        notes: "Notes",
    }
}

/// A new request for a client.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewRequest {
    #[serde(default)]
    pub client_id: String,
    #[serde(flatten)]
    pub fields: RequestFields,
}

impl Request {
    /// Make and model, as one line.
    pub fn vehicle(&self) -> String {
        format!("{} {}", self.vehicle_make, self.vehicle_model).trim().to_owned()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Inspection {
    pub id: Uuid,
    pub number: String,
    pub request_id: Uuid,
    pub created_at: DateTime<Utc>,
}
