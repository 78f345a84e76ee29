//! Assessments (ASM): starting one from an appointment, its tabs, tyre rows,
//! free-form sections and repair estimate, each saved on its own version.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use model::assessments::{
    Damage, DamageFields, Identification, IdentificationFields, PreIncidentEstimate, PreIncidentEstimateFields,
    VehicleValues, VehicleValuesFields,
};
use model::Form;

use crate::editor::Fields;
use crate::error::AppError;
use crate::merge::SectionView;

pub use model::assessments::{Estimate, EstimateFields, Tyre, TyreFields};

#[cfg(feature = "ssr")]
use super::ssr;

pub fn tyre_label(position: &str) -> &'static str {
    match position {
        "front_left" => "Front left",
        "front_right" => "Front right",
        "rear_left" => "Rear left",
        "rear_right" => "Rear right",
        _ => "Spare",
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TyreView {
    pub position: String,
    #[serde(flatten)]
    pub section: SectionView,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssessmentView {
    pub id: String,
    pub number: String,
    pub status: String,
    pub version: i32,
    /// The tab the editor opens on.
    pub current_tab: String,
    pub tabs_completed: Vec<String>,
    pub identification: SectionView,
    pub tyres: Vec<TyreView>,
    pub damage: SectionView,
    pub vehicle_values: SectionView,
    pub pre_incident_estimate: SectionView,
    pub estimate: Estimate,
}

/// The assessment editor's tabs, in order: (name, label).
pub const TABS: &[(&str, &str)] = &[
    ("identification", "Identification"),
    ("tyres", "Tyres"),
    ("damage", "Damage"),
    ("vehicle_values", "Vehicle values"),
    ("pre_incident_estimate", "Pre-incident estimate"),
    ("estimate", "Estimate"),
    ("summary", "Summary"),
];

/// The free-form sections of an assessment, each saved on its own version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Identification,
    Damage,
    VehicleValues,
    PreIncidentEstimate,
}

impl Section {
    pub const ALL: [Section; 4] =
        [Section::Identification, Section::Damage, Section::VehicleValues, Section::PreIncidentEstimate];

    /// As the form posts it; also the name of its tab.
    pub fn name(self) -> &'static str {
        match self {
            Section::Identification => "identification",
            Section::Damage => "damage",
            Section::VehicleValues => "vehicle_values",
            Section::PreIncidentEstimate => "pre_incident_estimate",
        }
    }

    pub fn named(name: &str) -> Option<Section> {
        Section::ALL.into_iter().find(|section| section.name() == name)
    }

    pub fn title(self) -> &'static str {
        match self {
            Section::Identification => "Identification",
            Section::Damage => "Damage",
            Section::VehicleValues => "Vehicle values",
            Section::PreIncidentEstimate => "Pre-incident estimate",
        }
    }

    /// Its fields with their labels, from the model.
    pub fn fields(self) -> Fields {
        match self {
            Section::Identification => IdentificationFields::FIELDS,
            Section::Damage => DamageFields::FIELDS,
            Section::VehicleValues => VehicleValuesFields::FIELDS,
            Section::PreIncidentEstimate => PreIncidentEstimateFields::FIELDS,
        }
    }

    /// This section of `assessment`.
    pub fn of(self, assessment: &AssessmentView) -> &SectionView {
        match self {
            Section::Identification => &assessment.identification,
            Section::Damage => &assessment.damage,
            Section::VehicleValues => &assessment.vehicle_values,
            Section::PreIncidentEstimate => &assessment.pre_incident_estimate,
        }
    }

    /// Reads a 409's `current` as this section's stored type.
    pub fn stored(self) -> fn(serde_json::Value) -> Option<SectionView> {
        match self {
            Section::Identification => SectionView::stored::<Identification>,
            Section::Damage => SectionView::stored::<Damage>,
            Section::VehicleValues => SectionView::stored::<VehicleValues>,
            Section::PreIncidentEstimate => SectionView::stored::<PreIncidentEstimate>,
        }
    }
}

impl From<Estimate> for SectionView {
    fn from(estimate: Estimate) -> Self {
        SectionView::of(&estimate)
    }
}

#[cfg(feature = "ssr")]
pub(super) async fn assessment_view(state: &server::AppState, id: uuid::Uuid) -> Result<AssessmentView, AppError> {
    let mut conn = state.pool.acquire().await.map_err(server::Error::from)?;
    let detail = server::assessments::find(&mut conn, id).await?.ok_or(AppError::NotFound)?;
    Ok(AssessmentView {
        id: detail.assessment.id.to_string(),
        number: detail.assessment.number,
        status: detail.assessment.status,
        version: detail.assessment.version,
        current_tab: detail.assessment.current_tab,
        tabs_completed: detail.assessment.tabs_completed,
        identification: SectionView::of(&detail.identification),
        tyres: detail
            .tyres
            .iter()
            .map(|tyre| TyreView { position: tyre.position.clone(), section: SectionView::of(tyre) })
            .collect(),
        damage: SectionView::of(&detail.damage),
        vehicle_values: SectionView::of(&detail.vehicle_values),
        pre_incident_estimate: SectionView::of(&detail.pre_incident_estimate),
        estimate: detail.estimate,
    })
}

/// Starts the appointment's assessment, or opens the one already started.
#[server(prefix = "/sfn", endpoint = "start_assessment")]
pub async fn start_assessment(appointment_id: String) -> Result<String, AppError> {
    let (state, user) = ssr::staff().await?;
    let (detail, _) =
        server::assessments::start(&state.pool, user.id.into(), &state.time_zone, ssr::uuid(&appointment_id)?).await?;
    let id = detail.assessment.id.to_string();
    crate::ssr::redirect(&format!("/staff/assessments/{id}"));
    Ok(id)
}

#[server(prefix = "/sfn", endpoint = "get_assessment")]
pub async fn get_assessment(id: String) -> Result<AssessmentView, AppError> {
    let (state, _) = ssr::staff().await?;
    assessment_view(&state, ssr::uuid(&id)?).await
}

/// Saves one tyre row if it is still at `version`.
#[server(prefix = "/sfn", endpoint = "save_tyre")]
pub async fn save_tyre(
    assessment_id: String,
    position: String,
    version: i32,
    tyre: TyreFields,
) -> Result<SectionView, AppError> {
    let (state, user) = ssr::staff().await?;
    let id = ssr::uuid(&assessment_id)?;
    let saved = server::assessments::save_tyre(&state.pool, user.id.into(), id, &position, version, &tyre).await?;
    Ok(SectionView::of(&saved))
}

#[server(prefix = "/sfn", endpoint = "complete_assessment")]
pub async fn complete_assessment(id: String, version: i32) -> Result<i32, AppError> {
    let (state, user) = ssr::staff().await?;
    Ok(server::assessments::complete(&state.pool, user.id.into(), ssr::uuid(&id)?, version).await?)
}

/// Saves the estimate if it is still at `version`; the total comes back computed.
#[server(prefix = "/sfn", endpoint = "save_estimate")]
pub async fn save_estimate(
    assessment_id: String,
    version: i32,
    estimate: EstimateFields,
) -> Result<Estimate, AppError> {
    let (state, user) = ssr::staff().await?;
    let saved =
        server::assessments::save_estimate(&state.pool, user.id.into(), ssr::uuid(&assessment_id)?, version, &estimate)
            .await?;
    Ok(saved)
}

/// Marks one tab of the assessment editor complete (`complete` = "true") or
/// open again; answers with the tabs now complete.
#[server(prefix = "/sfn", endpoint = "mark_tab")]
pub async fn mark_tab(assessment_id: String, tab: String, complete: String) -> Result<Vec<String>, AppError> {
    let (state, user) = ssr::staff().await?;
    let assessment = server::assessments::mark_tab(
        &state.pool,
        user.id.into(),
        ssr::uuid(&assessment_id)?,
        &tab,
        complete == "true",
    )
    .await?;
    Ok(assessment.tabs_completed)
}

/// Saves one free-form [`Section`] of an assessment (named as
/// [`Section::name`]) if it is still at `version`.
#[server(prefix = "/sfn", endpoint = "save_assessment_section")]
pub async fn save_assessment_section(
    assessment_id: String,
    section: String,
    version: i32,
    values: model::Values,
) -> Result<SectionView, AppError> {
    use server::assessment_sections::{
        save_damage, save_identification, save_pre_incident_estimate, save_vehicle_values,
    };
    let (state, user) = ssr::staff().await?;
    let (pool, actor, id) = (&state.pool, user.id.into(), ssr::uuid(&assessment_id)?);
    let section = Section::named(&section).ok_or(AppError::NotFound)?;
    // Each section's form is read through its own `Form`: the save's parameter names the type.
    let fields = &values;
    Ok(match section {
        Section::Identification => {
            SectionView::of(&save_identification(pool, actor, id, version, &Form::from_values(fields)).await?)
        }
        Section::Damage => SectionView::of(&save_damage(pool, actor, id, version, &Form::from_values(fields)).await?),
        Section::VehicleValues => {
            SectionView::of(&save_vehicle_values(pool, actor, id, version, &Form::from_values(fields)).await?)
        }
        Section::PreIncidentEstimate => {
            SectionView::of(&save_pre_incident_estimate(pool, actor, id, version, &Form::from_values(fields)).await?)
        }
    })
}
