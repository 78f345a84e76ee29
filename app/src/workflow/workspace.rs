//! The staff workspace: today's worklists, finding a document by its
//! number, and the history of a record.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use model::appointments::DayEntry;
use model::assessments::Assessment;
use model::requests::Request;

use crate::error::AppError;

#[cfg(feature = "ssr")]
use super::ssr;

/// The staff workspace's lists, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Worklists {
    /// Newest first.
    pub open_requests: Vec<Request>,
    /// By time.
    /// By time, each with its time in the business time zone.
    pub todays_appointments: Vec<(DayEntry, model::time::BusinessTime)>,
    /// Oldest first.
    pub open_assessments: Vec<Assessment>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditLine {
    pub when: String,
    pub who: String,
    pub what: String,
}

#[server(prefix = "/sfn", endpoint = "staff_worklists")]
pub async fn staff_worklists() -> Result<Worklists, AppError> {
    let (state, _) = ssr::staff().await?;
    let mut conn = state.pool.acquire().await.map_err(server::Error::from)?;
    let open_requests = server::requests::open(&mut conn).await?;
    let todays_appointments = server::appointments::today(&mut conn, &state.time_zone)
        .await?
        .into_iter()
        .map(|entry| {
            let when = state.time_zone.local(entry.scheduled_at);
            (entry, when)
        })
        .collect();
    let open_assessments = server::assessments::open(&mut conn).await?;
    Ok(Worklists { open_requests, todays_appointments, open_assessments })
}

/// Opens the document with this number (REQ-…, INS-…, APT-…, ASM-…, RPT-…).
#[server(prefix = "/sfn", endpoint = "find_document")]
pub async fn find_document(number: String) -> Result<String, AppError> {
    use server::documents::{self, Found};
    let (state, _) = ssr::staff().await?;
    let mut conn = state.pool.acquire().await.map_err(server::Error::from)?;
    let path = match documents::find_by_number(&mut conn, &number).await? {
        Some(Found::Request(id) | Found::RequestOf(id)) => format!("/staff/requests/{id}"),
        Some(Found::Assessment(id)) => format!("/staff/assessments/{id}"),
        Some(Found::Report(id)) => format!("/staff/assessments/{id}/report"),
        None => {
            return Err(AppError::from_server(server::Error::invalid(
                "number",
                format!("No document has the number \u{201c}{}\u{201d}.", number.trim()),
            )))
        }
    };
    crate::ssr::redirect(&path);
    Ok(path)
}

/// The history of a workflow record (staff only).
#[server(prefix = "/sfn", endpoint = "audit_history")]
pub async fn audit_history(entity: String, id: String) -> Result<Vec<AuditLine>, AppError> {
    const ENTITIES: &[&str] = &["client", "request", "inspection", "appointment", "assessment", "report"];
    let (state, _) = ssr::staff().await?;
    if !ENTITIES.contains(&entity.as_str()) {
        return Err(AppError::NotFound);
    }
    let mut conn = state.pool.acquire().await.map_err(server::Error::from)?;
    let entries = server::audit::history(&mut conn, &entity, &id).await?;
    Ok(entries
        .into_iter()
        .map(|entry| AuditLine {
            when: model::time::minute(entry.at),
            who: entry.actor.unwrap_or_else(|| "someone no longer here".to_owned()),
            what: match (entry.action.as_str(), entry.old_version, entry.new_version) {
                ("create", _, _) => "created it".to_owned(),
                ("update", Some(old), Some(new)) => format!("changed it (version {old} → {new})"),
                ("update", _, _) => "changed it".to_owned(),
                ("delete", _, _) => "deleted it".to_owned(),
                (other, _, _) => other.to_owned(),
            },
        })
        .collect())
}
