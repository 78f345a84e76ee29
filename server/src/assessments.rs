//! Assessments (ASM) and their reports (RPT): starting an assessment,
//! marking the tabs of its editor, completing it, and numbering its report.
//! Its sections (tyres, free-form sections, estimate) are saved in
//! `assessment_sections`.
//!
//! Starting an assessment is get-or-create in one database function
//! (`start_assessment`), which also creates every section row, so there is
//! never an assessment without its tyres, damage, vehicle values,
//! pre-incident estimate and estimate. Each section row has its own version.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::assessment_sections as sections;
use crate::audit::{self, Action, Actor};
use crate::error::{Error, Result};
use crate::numbers::{self, BusinessTimeZone, Kind, Numbering};
use crate::retry;
use crate::versioned::{self, Target, Tx};

pub use model::assessments::{Assessment, AssessmentDetail, AssessmentStatus, Report, Tab};

/// The appointment's assessment, created (with all its sections) on the
/// first call; `true` when this call created it.
pub async fn start(numbering: &Numbering, actor: Actor, appointment_id: Uuid) -> Result<(AssessmentDetail, bool)> {
    let started = retry::transaction("assessment.start", || {
        let zone = numbering.zone().clone();
        numbering.create(Kind::Assessment, move |tx| {
            Box::pin(async move {
                let started = sqlx::query!(
                    r#"SELECT out_assessment_id AS "id!", out_created AS "created!"
                       FROM start_assessment($1, $2, $3, $4)"#,
                    appointment_id,
                    actor.user_id(),
                    zone.as_str(),
                    actor.api_key_id(),
                )
                .fetch_one(&mut *tx)
                .await
                .map_err(|error| {
                    match error.as_database_error().and_then(|db| db.code()).as_deref() {
                        Some("P0002") => Error::NotFound,
                        _ => Error::from(error),
                    }
                })?;
                Ok((started.id, started.created))
            })
        })
    })
    .await?;
    let mut conn = numbering.pool().acquire().await?;
    let detail = find(&mut conn, started.0).await?.ok_or(Error::NotFound)?;
    Ok((detail, started.1))
}

pub async fn find(conn: &mut PgConnection, id: Uuid) -> Result<Option<AssessmentDetail>> {
    let Some(assessment) = sqlx::query_as!(
        Assessment,
        r#"SELECT id, number, appointment_id, status AS "status: AssessmentStatus", current_tab AS "current_tab: Tab",
                  tabs_completed AS "tabs_completed: Vec<Tab>", version,
                  created_at AS "created_at: DateTime<Utc>"
           FROM assessments WHERE id = $1"#,
        id
    )
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let tyres = sections::tyres(&mut *conn, id).await?;
    // start_assessment creates every section with the assessment, so a
    // missing one is a broken invariant, not a user's mistake.
    let missing = || Error::internal(format!("assessment {id} lacks a section"));
    Ok(Some(AssessmentDetail {
        assessment,
        identification: sections::identification(&mut *conn, id).await?.ok_or_else(missing)?,
        tyres,
        damage: sections::damage(&mut *conn, id).await?.ok_or_else(missing)?,
        vehicle_values: sections::vehicle_values(&mut *conn, id).await?.ok_or_else(missing)?,
        pre_incident_estimate: sections::pre_incident_estimate(&mut *conn, id).await?.ok_or_else(missing)?,
        estimate: sections::estimate(&mut *conn, id).await?.ok_or_else(missing)?,
    }))
}

/// The assessment's report, numbered on the first call; later calls return
/// it (`false`). Only a completed assessment gets one.
pub async fn report_for(numbering: &Numbering, actor: Actor, assessment_id: Uuid) -> Result<(Report, bool)> {
    retry::transaction("report.create", || {
        let zone = numbering.zone().clone();
        numbering
            .create(Kind::Report, move |tx| Box::pin(async move { report_in(tx, actor, &zone, assessment_id).await }))
    })
    .await
}

async fn report_in(
    tx: &mut PgConnection,
    actor: Actor,
    zone: &BusinessTimeZone,
    assessment_id: Uuid,
) -> Result<(Report, bool)> {
    let status = sqlx::query_scalar!("SELECT status FROM assessments WHERE id = $1 FOR UPDATE", assessment_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(Error::NotFound)?;
    if let Some(report) = find_report(&mut *tx, assessment_id).await? {
        return Ok((report, false));
    }
    if status != AssessmentStatus::Completed.as_str() {
        return Err(Error::invalid("status", "Complete the assessment before generating its report."));
    }
    // Created at the instant its number was drawn for: the number's year is its year.
    let created_at = Utc::now();
    let number = numbers::next(&mut *tx, Kind::Report, created_at, zone).await?;
    let report = sqlx::query_as!(
        Report,
        r#"INSERT INTO reports (number, assessment_id, created_by, created_at) VALUES ($1, $2, $3, $4)
           RETURNING id, number, assessment_id, created_at AS "created_at: DateTime<Utc>""#,
        number,
        assessment_id,
        actor.user_id(),
        created_at as _,
    )
    .fetch_one(&mut *tx)
    .await?;
    audit::record(&mut *tx, actor, "report", &report.id.to_string(), Action::Create, None, Some(1)).await?;
    Ok((report, true))
}

/// Marks one tab of the editor complete (`done`) or open again, and makes
/// the next tab (or this one, when reopened) the one the editor opens on.
/// A set operation in one statement, so repeating it changes nothing and
/// two people marking different tabs both count; the assessment's version
/// is left alone.
pub async fn mark_tab(pool: &PgPool, actor: Actor, id: Uuid, tab: &str, done: bool) -> Result<Assessment> {
    let tab = Tab::named(tab).ok_or_else(|| Error::invalid("tab", "There is no such tab."))?;
    let current_tab = if done { tab.next().unwrap_or(tab) } else { tab };
    retry::transaction("assessment.mark_tab", move || async move {
        let mut tx = retry::begin(pool).await?;
        let updated = sqlx::query_as!(
            Assessment,
            r#"UPDATE assessments
               SET tabs_completed = CASE WHEN NOT $3 THEN array_remove(tabs_completed, $2)
                                         WHEN $2 = ANY (tabs_completed) THEN tabs_completed
                                         ELSE array_append(tabs_completed, $2) END,
                   current_tab = $4, updated_at = now()
               WHERE id = $1 AND status = 'in_progress'
               RETURNING id, number, appointment_id, status AS "status: AssessmentStatus", current_tab AS "current_tab: Tab",
                         tabs_completed AS "tabs_completed: Vec<Tab>", version,
                         created_at AS "created_at: DateTime<Utc>""#,
            id,
            tab.as_str(),
            done,
            current_tab.as_str(),
        )
        .fetch_optional(&mut *tx)
        .await?;
        let Some(assessment) = updated else {
            return match find(&mut tx, id).await? {
                Some(_) => Err(Error::invalid("tab", "This assessment is completed; its tabs can no longer change.")),
                None => Err(Error::NotFound),
            };
        };
            audit::record(&mut tx, actor, "assessment", &id.to_string(), Action::Update, None, None).await?;
        retry::commit(tx).await?;
        Ok(assessment)
    })
    .await
}

/// Marks the assessment completed if it is still at `expected_version`.
pub async fn complete(pool: &PgPool, actor: Actor, id: Uuid, expected_version: i32) -> Result<i32> {
    let key = id.to_string();
    let target = Target { operation: "assessment.complete", actor, entity: "assessment", key: &key };
    let update = move |mut tx: Tx| async move {
        let version = sqlx::query_scalar!(
            "UPDATE assessments SET status = 'completed', version = version + 1, updated_at = now()
             WHERE id = $1 AND version = $2 RETURNING version",
            id,
            expected_version
        )
        .fetch_optional(&mut *tx)
        .await?;
        Ok((tx, version))
    };
    versioned::save(pool, target, expected_version, update, move |mut tx| async move { find(&mut tx, id).await }).await
}

pub async fn find_report(conn: &mut PgConnection, assessment_id: Uuid) -> Result<Option<Report>> {
    Ok(sqlx::query_as!(
        Report,
        r#"SELECT id, number, assessment_id, created_at AS "created_at: DateTime<Utc>" FROM reports WHERE assessment_id = $1"#,
        assessment_id
    )
    .fetch_optional(conn)
    .await?)
}

/// Assessments still in progress, oldest first (at most 50).
pub async fn open(conn: &mut PgConnection) -> Result<Vec<Assessment>> {
    Ok(sqlx::query_as!(
        Assessment,
        r#"SELECT id, number, appointment_id, status AS "status: AssessmentStatus", current_tab AS "current_tab: Tab",
                  tabs_completed AS "tabs_completed: Vec<Tab>", version,
                  created_at AS "created_at: DateTime<Utc>"
           FROM assessments WHERE status = 'in_progress' ORDER BY created_at LIMIT 50"#
    )
    .fetch_all(conn)
    .await?)
}
