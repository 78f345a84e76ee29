//! Assessments (ASM): the tyre rows and the repair estimate so far; the
//! other sections follow.

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
