//! Assessments (ASM) and their reports (RPT): the assessment's tyre rows,
//! repair estimate and free-form sections, each saved on its own version,
//! and the tabs of the editor they are filled in with.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Form as _, Versioned};

crate::closed_set! {
    /// Where a tyre is on the vehicle; every assessment has one row of each.
    TyrePosition {
        FrontLeft = "front_left": "Front left",
        FrontRight = "front_right": "Front right",
        RearLeft = "rear_left": "Rear left",
        RearRight = "rear_right": "Rear right",
        Spare = "spare": "Spare",
    }
}

crate::closed_set! {
    /// The tabs of the assessment editor, in order.
    Tab {
        Identification = "identification": "Identification",
        Tyres = "tyres": "Tyres",
        Damage = "damage": "Damage",
        VehicleValues = "vehicle_values": "Vehicle values",
        PreIncidentEstimate = "pre_incident_estimate": "Pre-incident estimate",
        Estimate = "estimate": "Estimate",
        Summary = "summary": "Summary",
    }
}

crate::stored_as_text!(TyrePosition, Tab, AssessmentStatus);

impl Tab {
    /// The tab after this one (none after the last).
    pub fn next(self) -> Option<Tab> {
        let position = Tab::ALL.iter().position(|tab| *tab == self)?;
        Tab::ALL.get(position + 1).copied()
    }
}

crate::closed_set! {
    /// The free-form sections of an assessment, each saved on its own
    /// version; each has the tab of its name.
    Section {
        Identification = "identification": "Identification",
        Damage = "damage": "Damage",
        VehicleValues = "vehicle_values": "Vehicle values",
        PreIncidentEstimate = "pre_incident_estimate": "Pre-incident estimate",
    }
}

impl Section {
    /// The editor's tab it is filled in on.
    pub fn tab(self) -> Tab {
        match self {
            Section::Identification => Tab::Identification,
            Section::Damage => Tab::Damage,
            Section::VehicleValues => Tab::VehicleValues,
            Section::PreIncidentEstimate => Tab::PreIncidentEstimate,
        }
    }

    /// Its text fields with their labels.
    pub fn fields(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Section::Identification => IdentificationFields::FIELDS,
            Section::Damage => DamageFields::FIELDS,
            Section::VehicleValues => VehicleValuesFields::FIELDS,
            Section::PreIncidentEstimate => PreIncidentEstimateFields::FIELDS,
        }
    }

    /// This section of `assessment`, as its editor loads it.
    pub fn of(self, assessment: &AssessmentDetail) -> &dyn Versioned {
        match self {
            Section::Identification => &assessment.identification,
            Section::Damage => &assessment.damage,
            Section::VehicleValues => &assessment.vehicle_values,
            Section::PreIncidentEstimate => &assessment.pre_incident_estimate,
        }
    }
}

crate::closed_set! {
    /// Where an assessment is in its life: completed ones get a report.
    AssessmentStatus {
        InProgress = "in_progress": "In progress",
        Completed = "completed": "Completed",
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Assessment {
    pub id: Uuid,
    pub number: String,
    pub appointment_id: Uuid,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub status: AssessmentStatus,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub current_tab: Tab,
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub tabs_completed: Vec<Tab>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
}

/// An assessment with the sections the workflow needs to show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssessmentDetail {
    #[serde(flatten)]
    pub assessment: Assessment,
    pub identification: Identification,
    pub tyres: Vec<Tyre>,
    pub damage: Damage,
    pub vehicle_values: VehicleValues,
    pub pre_incident_estimate: PreIncidentEstimate,
    pub estimate: Estimate,
}

impl AssessmentDetail {
    /// The tyre at `position` (every assessment has one of each).
    pub fn tyre(&self, position: TyrePosition) -> Option<&Tyre> {
        self.tyres.iter().find(|tyre| tyre.position == position)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Report {
    pub id: Uuid,
    pub number: String,
    pub assessment_id: Uuid,
    pub created_at: DateTime<Utc>,
}

crate::text_record! {
    input:
    /// One tyre as the assessor records it (a whole row: a PUT).
    #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    #[serde(default)]
    TyreFields;

    stored:
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    Tyre {
        /// `front_left`, `front_right`, `rear_left`, `rear_right` or `spare`.
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        position: TyrePosition,
        version: i32,
    }

    text: {
        make: "Make",
        size: "Size",
        /// Millimetres, like `4.5` (0–30), or empty.
        tread_depth_mm: "Tread depth (mm)",
        condition: "Condition",
    }
}

crate::text_record! {
    input:
    /// The repair estimate as the assessor types it: amounts like `1200`
    /// or `1 200.50`, empty for zero.
    #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    #[serde(default)]
    EstimateFields;

    stored:
    /// The repair estimate; `total` is computed by the database.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    Estimate {
        total: String,
        version: i32,
    }

    text: {
        labour: "Labour",
        parts: "Parts",
        paint: "Paint",
        other: "Other",
    }
}

crate::text_record! {
    input:
    /// The vehicle as found on site, as the assessor records it.
    #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    #[serde(default)]
    IdentificationFields;

    stored:
    /// The vehicle as found on site; registration and VIN start as the
    /// request's.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    Identification {
        version: i32,
    }

    text: {
        registration: "Registration",
        vin: "VIN",
        odometer_km: "Odometer (km)",
        colour: "Colour",
    }
}

crate::text_record! {
    input:
    /// The damage as the assessor describes it.
    #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    #[serde(default)]
    DamageFields;

    stored:
    /// The damage section as stored.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    Damage {
        version: i32,
    }

    text: {
        description: "Description",
        areas: "Damaged areas",
        severity: "Severity",
    }
}

crate::text_record! {
    input:
    /// Market and salvage value, as amounts like `1200` or `1 200.50`.
    #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    #[serde(default)]
    VehicleValuesFields;

    stored:
    /// The vehicle values as stored (amounts as text, two decimals).
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    VehicleValues {
        version: i32,
    }

    text: {
        market_value: "Market value",
        salvage_value: "Salvage value",
    }
}

crate::text_record! {
    input:
    /// The vehicle before the incident.
    #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    #[serde(default)]
    PreIncidentEstimateFields;

    stored:
    /// The pre-incident estimate as stored.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
    PreIncidentEstimate {
        version: i32,
    }

    text: {
        condition: "Condition before the incident",
        value: "Value before the incident",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_sets_keep_their_names_and_labels() {
        let names: Vec<&str> = TyrePosition::ALL.iter().map(|p| p.as_str()).collect();
        assert_eq!(names, ["front_left", "front_right", "rear_left", "rear_right", "spare"]);
        assert_eq!((TyrePosition::FrontLeft.label(), TyrePosition::Spare.label()), ("Front left", "Spare"));
        let tabs: Vec<&str> = Tab::ALL.iter().map(|t| t.as_str()).collect();
        assert_eq!(
            tabs,
            ["identification", "tyres", "damage", "vehicle_values", "pre_incident_estimate", "estimate", "summary"]
        );
        assert_eq!((Tab::Damage.next(), Tab::Summary.next()), (Some(Tab::VehicleValues), None));
        assert_eq!(Tab::named("nonsense"), None);
        assert_eq!("rear_left".parse::<TyrePosition>(), Ok(TyrePosition::RearLeft));
        assert_eq!(TyrePosition::Spare.to_string(), "spare");
        for section in Section::ALL {
            assert_eq!((section.tab().as_str(), section.tab().label()), (section.as_str(), section.label()));
        }
        assert_eq!(Section::named("tyres"), None, "tyres are rows, not a free-form section");
    }
}
