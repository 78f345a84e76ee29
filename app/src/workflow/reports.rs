//! Reports (RPT): numbered once per completed assessment.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

use model::assessments::{AssessmentDetail, Report};

#[cfg(feature = "ssr")]
use super::ssr;

/// The report page: the assessment, and its report once there is one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportDetail {
    pub report: Option<Report>,
    pub assessment: AssessmentDetail,
}

/// Numbers the report once and opens it.
#[server(prefix = "/sfn", endpoint = "generate_report")]
pub async fn generate_report(assessment_id: String) -> Result<String, AppError> {
    let (state, user) = ssr::staff().await?;
    let assessment_id = ssr::uuid(&assessment_id)?;
    let (report, _) = server::assessments::report_for(&state.numbering, user.id.into(), assessment_id).await?;
    crate::ssr::redirect(&format!("/staff/assessments/{assessment_id}/report"));
    Ok(report.number)
}

#[server(prefix = "/sfn", endpoint = "get_report")]
pub async fn get_report(assessment_id: String) -> Result<ReportDetail, AppError> {
    let (state, _) = ssr::staff().await?;
    let mut conn = state.pool.acquire().await.map_err(server::Error::from)?;
    let id = ssr::uuid(&assessment_id)?;
    let assessment = server::assessments::find(&mut conn, id).await?.ok_or(AppError::NotFound)?;
    let report = server::assessments::find_report(&mut conn, id).await?;
    Ok(ReportDetail { report, assessment })
}
