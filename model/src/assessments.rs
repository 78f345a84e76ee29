//! Assessments (ASM): their tyre rows, repair estimate and free-form
//! sections, each saved on its own version.

use serde::{Deserialize, Serialize};

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
        position: String,
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
