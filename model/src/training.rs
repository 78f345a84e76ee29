//! Training: scenarios, the counselors assigned to them, and their
//! assignments (at most one active per counselor and scenario).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Scenario {
    pub id: Uuid,
    pub title: String,
    pub description: String,
    pub active: bool,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Scenario {
    /// "Active" or "Inactive".
    pub fn status_label(&self) -> &'static str {
        if self.active {
            "Active"
        } else {
            "Inactive"
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct NewScenario {
    pub title: String,
    pub description: String,
}

crate::closed_set! {
    /// Where an assignment is in its life: `pending` → `in_progress` →
    /// `completed`. Stored as text (the `assignments_status` check allows
    /// exactly these).
    AssignmentStatus {
        Pending = "pending": "Pending",
        InProgress = "in_progress": "In progress",
        Completed = "completed": "Completed",
    }
}

impl AssignmentStatus {
    /// The name in a sentence: "in progress".
    pub fn words(self) -> String {
        self.as_str().replace('_', " ")
    }
}

crate::stored_as_text!(AssignmentStatus);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Assignment {
    pub id: Uuid,
    pub counselor_id: Uuid,
    pub counselor_name: String,
    /// The counselor's id in the external system, when they have one.
    pub counselor_external_id: Option<String>,
    pub scenario_id: Uuid,
    pub scenario_title: String,
    /// `staff`, `external` or `bulk`.
    pub source: String,
    /// `pending` → `in_progress` → `completed`.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub status: AssignmentStatus,
    pub due_date: Option<NaiveDate>,
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Assignment {
    pub fn is_active(&self) -> bool {
        self.status != AssignmentStatus::Completed
    }

    /// The due date (`2026-12-02`), or a dash when there is none.
    pub fn due(&self) -> String {
        self.due_date.map(|date| date.to_string()).unwrap_or_else(|| "—".to_owned())
    }
}

/// What a bulk assignment did for one counselor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BulkOutcome {
    pub counselor_id: Uuid,
    /// The counselor's name (empty when the id is not a counselor).
    pub counselor_name: String,
    pub created: bool,
    /// Why nothing was created, when it was not.
    pub reason: Option<String>,
    /// The new assignment, or the active one that was already there.
    pub assignment_id: Option<Uuid>,
}

impl BulkOutcome {
    /// The counselor's name, or the id asked for when it is no counselor's.
    pub fn who(&self) -> String {
        if self.counselor_name.is_empty() {
            self.counselor_id.to_string()
        } else {
            self.counselor_name.clone()
        }
    }
}

/// A user with the counselor role. External systems know each by its
/// `external_id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Counselor {
    pub id: Uuid,
    pub display_name: String,
    pub email: String,
    pub external_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_read_as_sentences() {
        assert_eq!(AssignmentStatus::InProgress.label(), "In progress");
        assert_eq!(AssignmentStatus::InProgress.words(), "in progress");
    }
}
