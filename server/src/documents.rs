//! Finding any workflow document by its number (REQ-2026-0001, …).

use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::error::Result;

/// Where a document number leads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Found {
    Request(Uuid),
    /// Inspections and appointments are shown on their request's page.
    RequestOf(Uuid),
    Assessment(Uuid),
    Report(Uuid),
}

/// The document with this number, if any (case-insensitive, trimmed).
pub async fn find_by_number(conn: &mut PgConnection, number: &str) -> Result<Option<Found>> {
    let number = number.trim().to_ascii_uppercase();
    let row = sqlx::query!(
        r#"SELECT kind AS "kind!", id AS "id!" FROM (
               SELECT 'request' AS kind, id FROM requests WHERE number = $1
               UNION ALL SELECT 'request_of', request_id FROM inspections WHERE number = $1
               UNION ALL SELECT 'request_of', i.request_id FROM appointments a
                         JOIN inspections i ON i.id = a.inspection_id WHERE a.number = $1
               UNION ALL SELECT 'assessment', id FROM assessments WHERE number = $1
               UNION ALL SELECT 'report', assessment_id FROM reports WHERE number = $1
           ) AS found LIMIT 1"#,
        number
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|row| match row.kind.as_str() {
        "request" => Found::Request(row.id),
        "request_of" => Found::RequestOf(row.id),
        "assessment" => Found::Assessment(row.id),
        _ => Found::Report(row.id),
    }))
}
