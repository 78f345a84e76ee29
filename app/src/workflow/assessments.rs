//! Assessments (ASM): starting one from an appointment, its tabs, tyre rows,
//! free-form sections and repair estimate, each saved on its own version.

use leptos::prelude::*;

use model::assessments::{Damage, Identification, PreIncidentEstimate, VehicleValues};
#[cfg(feature = "ssr")]
use model::Form;

use crate::error::AppError;
use crate::merge::SectionView;

pub use model::assessments::{
    AssessmentDetail, AssessmentStatus, Estimate, EstimateFields, Section, Tab, Tyre, TyreFields, TyrePosition,
};

#[cfg(feature = "ssr")]
use super::ssr;

/// Reads a 409's `current` as `section`'s stored type.
pub fn stored_section(section: Section) -> fn(serde_json::Value) -> Option<SectionView> {
    match section {
        Section::Identification => SectionView::stored::<Identification>,
        Section::Damage => SectionView::stored::<Damage>,
        Section::VehicleValues => SectionView::stored::<VehicleValues>,
        Section::PreIncidentEstimate => SectionView::stored::<PreIncidentEstimate>,
    }
}

impl From<Estimate> for SectionView {
    fn from(estimate: Estimate) -> Self {
        SectionView::of(&estimate)
    }
}

/// Starts the appointment's assessment, or opens the one already started.
#[server(prefix = "/sfn", endpoint = "start_assessment")]
pub async fn start_assessment(appointment_id: String) -> Result<String, AppError> {
    let (state, user) = ssr::staff().await?;
    let (detail, _) = server::assessments::start(&state.numbering, user.id.into(), ssr::uuid(&appointment_id)?).await?;
    let id = detail.assessment.id.to_string();
    crate::ssr::redirect(&format!("/staff/assessments/{id}"));
    Ok(id)
}

#[server(prefix = "/sfn", endpoint = "get_assessment")]
pub async fn get_assessment(id: String) -> Result<AssessmentDetail, AppError> {
    let (state, _) = ssr::staff().await?;
    let mut conn = state.pool.acquire().await.map_err(server::Error::from)?;
    Ok(server::assessments::find(&mut conn, ssr::uuid(&id)?).await?.ok_or(AppError::NotFound)?)
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
    let saved =
        server::assessment_sections::save_tyre(&state.pool, user.id.into(), id, &position, version, &tyre).await?;
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
    let saved = server::assessment_sections::save_estimate(
        &state.pool,
        user.id.into(),
        ssr::uuid(&assessment_id)?,
        version,
        &estimate,
    )
    .await?;
    Ok(saved)
}

/// Marks one tab of the assessment editor complete (`complete` = "true") or
/// open again; answers with the tabs now complete.
#[server(prefix = "/sfn", endpoint = "mark_tab")]
pub async fn mark_tab(assessment_id: String, tab: String, complete: String) -> Result<Vec<Tab>, AppError> {
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
/// [`Section::as_str`]) if it is still at `version`.
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
