//! Assessments (ASM) and their reports (RPT).
//!
//! Starting an assessment is get-or-create in one database function
//! (`start_assessment`), which also creates every section row, so there is
//! never an assessment without its tyres, damage, vehicle values,
//! pre-incident estimate and estimate. Each section row has its own version.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::assessment_sections::{self as sections, Damage, Identification, PreIncidentEstimate, VehicleValues};
use crate::audit::{self, Action, Actor};
use crate::error::{Error, Result};
use crate::fields;
use crate::numbers::{self, BusinessTimeZone, Kind};
use crate::retry;
use crate::versioned::{self, Target, Tx};

pub const TYRE_POSITIONS: &[&str] = &["front_left", "front_right", "rear_left", "rear_right", "spare"];

/// The editor's tabs, in order.
pub const TABS: &[&str] =
    &["identification", "tyres", "damage", "vehicle_values", "pre_incident_estimate", "estimate", "summary"];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Assessment {
    pub id: Uuid,
    pub number: String,
    pub appointment_id: Uuid,
    pub status: String,
    pub current_tab: String,
    pub tabs_completed: Vec<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
}

/// An assessment with the sections the workflow needs to show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
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

pub use model::assessments::{Estimate, EstimateFields, Tyre, TyreFields};

/// The appointment's assessment, created (with all its sections) on the
/// first call; `true` when this call created it.
pub async fn start(
    pool: &PgPool,
    actor: Actor,
    zone: &BusinessTimeZone,
    appointment_id: Uuid,
) -> Result<(AssessmentDetail, bool)> {
    retry::transaction("assessment.start", move || async move {
        let mut tx = retry::begin(pool).await?;
        let started = sqlx::query!(
            r#"SELECT out_assessment_id AS "id!", out_created AS "created!" FROM start_assessment($1, $2, $3, $4)"#,
            appointment_id,
            actor.user_id(),
            zone.as_str(),
            actor.api_key_id(),
        )
        .fetch_one(&mut *tx)
        .await
        .map_err(|error| match error.as_database_error().and_then(|db| db.code()).as_deref() {
            Some("P0002") => Error::NotFound,
            _ => Error::from(error),
        })?;
        retry::commit(tx).await?;
        let mut conn = pool.acquire().await?;
        let detail = find(&mut conn, started.id).await?.ok_or(Error::NotFound)?;
        Ok((detail, started.created))
    })
    .await
}

pub async fn find(conn: &mut PgConnection, id: Uuid) -> Result<Option<AssessmentDetail>> {
    let Some(assessment) = sqlx::query_as!(
        Assessment,
        r#"SELECT id, number, appointment_id, status, current_tab, tabs_completed, version,
                  created_at AS "created_at: DateTime<Utc>"
           FROM assessments WHERE id = $1"#,
        id
    )
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let tyres = tyres(&mut *conn, id).await?;
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
        estimate: estimate(&mut *conn, id).await?.ok_or_else(missing)?,
    }))
}

pub async fn tyres(conn: &mut PgConnection, assessment_id: Uuid) -> Result<Vec<Tyre>> {
    Ok(sqlx::query_as!(
        Tyre,
        r#"SELECT position, make, size, tread_depth_mm, condition, version
           FROM assessment_tyres WHERE assessment_id = $1
           ORDER BY array_position(ARRAY['front_left', 'front_right', 'rear_left', 'rear_right', 'spare'], position)"#,
        assessment_id
    )
    .fetch_all(conn)
    .await?)
}

/// Saves one tyre row if it is still at `expected_version`.
pub async fn save_tyre(
    pool: &PgPool,
    actor: Actor,
    assessment_id: Uuid,
    position: &str,
    expected_version: i32,
    input: &TyreFields,
) -> Result<Tyre> {
    if !TYRE_POSITIONS.contains(&position) {
        return Err(Error::NotFound);
    }
    let tread = &fields::text("tread_depth_mm", &input.tread_depth_mm, 10)?;
    if !tread.is_empty() && !tread.parse::<f64>().is_ok_and(|mm| (0.0..=30.0).contains(&mm)) {
        return Err(Error::invalid("tread_depth_mm", "Enter the tread depth in millimetres, like 4.5."));
    }
    let make = &fields::text("make", &input.make, 100)?;
    let size = &fields::text("size", &input.size, 40)?;
    let condition = &fields::text("condition", &input.condition, 200)?;
    let key = format!("{assessment_id}/{position}");
    let target = Target { operation: "assessment_section.save_tyre", actor, entity: "assessment_tyre", key: &key };
    let update = move |mut tx: Tx| async move {
        let saved = sqlx::query_as!(
            Tyre,
            r#"UPDATE assessment_tyres SET make = $4, size = $5, tread_depth_mm = $6, condition = $7, version = version + 1
               WHERE assessment_id = $1 AND position = $2 AND version = $3
               RETURNING position, make, size, tread_depth_mm, condition, version"#,
            assessment_id,
            position,
            expected_version,
            make,
            size,
            tread,
            condition,
        )
        .fetch_optional(&mut *tx)
        .await?;
        Ok((tx, saved))
    };
    let current = move |mut tx: Tx| async move {
        Ok(tyres(&mut tx, assessment_id).await?.into_iter().find(|tyre| tyre.position == position))
    };
    versioned::save(pool, target, expected_version, update, current).await
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Report {
    pub id: Uuid,
    pub number: String,
    pub assessment_id: Uuid,
    pub created_at: DateTime<Utc>,
}

/// The assessment's report, numbered on the first call; later calls return
/// it (`false`). Only a completed assessment gets one.
pub async fn report_for(
    pool: &PgPool,
    actor: Actor,
    zone: &BusinessTimeZone,
    assessment_id: Uuid,
) -> Result<(Report, bool)> {
    retry::transaction("report.create", move || async move {
        let mut tx = retry::begin(pool).await?;
        let status = sqlx::query_scalar!("SELECT status FROM assessments WHERE id = $1 FOR UPDATE", assessment_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(Error::NotFound)?;
        if let Some(report) = find_report(&mut tx, assessment_id).await? {
            return Ok((report, false));
        }
        if status != "completed" {
            return Err(Error::invalid("status", "Complete the assessment before generating its report."));
        }
        let number = numbers::next(&mut tx, Kind::Report, Utc::now(), zone).await?;
        let report = sqlx::query_as!(
            Report,
            r#"INSERT INTO reports (number, assessment_id, created_by) VALUES ($1, $2, $3)
               RETURNING id, number, assessment_id, created_at AS "created_at: DateTime<Utc>""#,
            number,
            assessment_id,
            actor.user_id()
        )
        .fetch_one(&mut *tx)
        .await?;
        audit::record(&mut tx, actor, "report", &report.id.to_string(), Action::Create, None, Some(1)).await?;
        retry::commit(tx).await?;
        Ok((report, true))
    })
    .await
}

/// Marks one tab of the editor complete (`done`) or open again, and makes
/// the next tab (or this one, when reopened) the one the editor opens on.
/// A set operation in one statement, so repeating it changes nothing and
/// two people marking different tabs both count; the assessment's version
/// is left alone.
pub async fn mark_tab(pool: &PgPool, actor: Actor, id: Uuid, tab: &str, done: bool) -> Result<Assessment> {
    let position = TABS.iter().position(|t| *t == tab).ok_or_else(|| Error::invalid("tab", "There is no such tab."))?;
    let current_tab = if done { TABS.get(position + 1).unwrap_or(&tab) } else { &tab };
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
               RETURNING id, number, appointment_id, status, current_tab, tabs_completed, version,
                         created_at AS "created_at: DateTime<Utc>""#,
            id,
            tab,
            done,
            current_tab,
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
        r#"SELECT id, number, appointment_id, status, current_tab, tabs_completed, version,
                  created_at AS "created_at: DateTime<Utc>"
           FROM assessments WHERE status = 'in_progress' ORDER BY created_at LIMIT 50"#
    )
    .fetch_all(conn)
    .await?)
}

pub async fn estimate(conn: &mut PgConnection, assessment_id: Uuid) -> Result<Option<Estimate>> {
    Ok(sqlx::query_as!(
        Estimate,
        r#"SELECT labour::text AS "labour!", parts::text AS "parts!", paint::text AS "paint!",
                  other::text AS "other!", total::text AS "total!", version
           FROM assessment_estimates WHERE assessment_id = $1"#,
        assessment_id
    )
    .fetch_optional(conn)
    .await?)
}

/// Saves the estimate if it is still at `expected_version`; the database
/// computes the total.
pub async fn save_estimate(
    pool: &PgPool,
    actor: Actor,
    assessment_id: Uuid,
    expected_version: i32,
    input: &EstimateFields,
) -> Result<Estimate> {
    let labour = &fields::amount("labour", &input.labour)?;
    let parts = &fields::amount("parts", &input.parts)?;
    let paint = &fields::amount("paint", &input.paint)?;
    let other = &fields::amount("other", &input.other)?;
    let key = format!("{assessment_id}/estimate");
    let target =
        Target { operation: "assessment_section.save_estimate", actor, entity: "assessment_estimate", key: &key };
    let update = move |mut tx: Tx| async move {
        let saved = sqlx::query_as!(
            Estimate,
            r#"UPDATE assessment_estimates
               SET labour = $3::text::numeric, parts = $4::text::numeric, paint = $5::text::numeric,
                   other = $6::text::numeric, version = version + 1
               WHERE assessment_id = $1 AND version = $2
               RETURNING labour::text AS "labour!", parts::text AS "parts!", paint::text AS "paint!",
                         other::text AS "other!", total::text AS "total!", version"#,
            assessment_id,
            expected_version,
            labour,
            parts,
            paint,
            other,
        )
        .fetch_optional(&mut *tx)
        .await?;
        Ok((tx, saved))
    };
    let current = move |mut tx: Tx| async move { estimate(&mut tx, assessment_id).await };
    versioned::save(pool, target, expected_version, update, current).await
}

versioned::has_version!(Tyre, Estimate);
