//! Appointments (APT) for an inspection: when, where, which assessor.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Appointment {
    pub id: Uuid,
    pub number: String,
    pub inspection_id: Uuid,
    pub scheduled_at: DateTime<Utc>,
    pub location: String,
    pub assessor_id: Option<Uuid>,
    pub status: String,
    pub version: i32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Schedule {
    pub scheduled_at: DateTime<Utc>,
    #[serde(default)]
    pub location: String,
    #[serde(default)]
    pub assessor_id: Option<Uuid>,
}

/// An appointment on the day's list, with the request it belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DayEntry {
    pub id: Uuid,
    pub number: String,
    pub scheduled_at: DateTime<Utc>,
    pub location: String,
    pub request_id: Uuid,
}

/// An appointment as its inspection lists it: with the assessment started
/// from it, if any (id, number).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppointmentWithAssessment {
    pub appointment: Appointment,
    pub assessment: Option<(Uuid, String)>,
    /// When, in the business time zone.
    pub when: crate::time::BusinessTime,
}
