//! What must hold in the database whatever the load, crashes or races:
//! checked by `lockstep hammer` after each attack (and by fault tests).
//! Each check returns the violations it found, in words; none is good.

use sqlx::PgConnection;
use uuid::Uuid;

use crate::error::Result;

/// Every invariant that holds across the whole database.
pub async fn violations(conn: &mut PgConnection) -> Result<Vec<String>> {
    let mut found = number_gaps_and_duplicates(conn).await?;
    found.extend(assessments_without_sections(conn).await?);
    found.extend(duplicate_active_assignments(conn).await?);
    Ok(found)
}

/// Per kind and year, committed document numbers are exactly 1…n.
pub async fn number_gaps_and_duplicates(conn: &mut PgConnection) -> Result<Vec<String>> {
    let rows = sqlx::query!(
        r#"WITH documents AS (
               SELECT number FROM requests UNION ALL SELECT number FROM inspections
               UNION ALL SELECT number FROM appointments UNION ALL SELECT number FROM assessments
               UNION ALL SELECT number FROM reports
           ), parts AS (
               SELECT split_part(number, '-', 1) AS kind, split_part(number, '-', 2) AS year,
                      split_part(number, '-', 3)::bigint AS seq
               FROM documents
           )
           SELECT kind AS "kind!", year AS "year!", count(*) AS "total!", count(DISTINCT seq) AS "distinct!",
                  max(seq) AS "highest!"
           FROM parts GROUP BY kind, year
           HAVING count(*) <> count(DISTINCT seq) OR count(*) <> max(seq)"#
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            format!(
                "{}-{}: {} documents, {} distinct numbers, highest {} (expected 1…{} without gaps)",
                r.kind, r.year, r.total, r.distinct, r.highest, r.total
            )
        })
        .collect())
}

/// Every assessment has its identification, five tyres, damage, vehicle
/// values, pre-incident estimate and estimate.
pub async fn assessments_without_sections(conn: &mut PgConnection) -> Result<Vec<String>> {
    let rows = sqlx::query!(
        r#"SELECT a.number
           FROM assessments a
           WHERE NOT EXISTS (SELECT 1 FROM assessment_identification s WHERE s.assessment_id = a.id)
              OR (SELECT count(*) FROM assessment_tyres t WHERE t.assessment_id = a.id) <> 5
              OR NOT EXISTS (SELECT 1 FROM assessment_damage s WHERE s.assessment_id = a.id)
              OR NOT EXISTS (SELECT 1 FROM assessment_vehicle_values s WHERE s.assessment_id = a.id)
              OR NOT EXISTS (SELECT 1 FROM assessment_pre_incident_estimates s WHERE s.assessment_id = a.id)
              OR NOT EXISTS (SELECT 1 FROM assessment_estimates s WHERE s.assessment_id = a.id)"#
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|r| format!("assessment {} lacks sections", r.number)).collect())
}

/// No counselor has two active assignments for one scenario.
pub async fn duplicate_active_assignments(conn: &mut PgConnection) -> Result<Vec<String>> {
    let rows = sqlx::query!(
        r#"SELECT counselor_id, scenario_id, count(*) AS "active!"
           FROM assignments WHERE status <> 'completed'
           GROUP BY counselor_id, scenario_id HAVING count(*) > 1"#
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            format!("counselor {} has {} active assignments for scenario {}", r.counselor_id, r.active, r.scenario_id)
        })
        .collect())
}

// Counts that scenario checks compare with what clients were told.

pub async fn clients_with_id(conn: &mut PgConnection, id: &str) -> Result<i64> {
    Ok(sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM clients WHERE id = $1"#, id).fetch_one(conn).await?)
}

/// How many of `ids` exist as cards.
pub async fn cards_present(conn: &mut PgConnection, ids: &[Uuid]) -> Result<i64> {
    Ok(sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM business_cards WHERE id = ANY($1)"#, ids)
        .fetch_one(conn)
        .await?)
}

/// Cards of `owner` called `name`, and how many distinct slugs they have.
pub async fn cards_named(conn: &mut PgConnection, owner: Uuid, name: &str) -> Result<(i64, i64)> {
    let row = sqlx::query!(
        r#"SELECT count(*) AS "cards!", count(DISTINCT slug) AS "slugs!"
           FROM business_cards WHERE owner_id = $1 AND name = $2"#,
        owner,
        name
    )
    .fetch_one(conn)
    .await?;
    Ok((row.cards, row.slugs))
}

pub async fn card_version(conn: &mut PgConnection, id: Uuid) -> Result<Option<i32>> {
    Ok(sqlx::query_scalar!("SELECT version FROM business_cards WHERE id = $1", id).fetch_optional(conn).await?)
}

/// (rows, version) of a user's personal section.
pub async fn personal_section(conn: &mut PgConnection, user: Uuid) -> Result<(i64, Option<i32>)> {
    let row = sqlx::query!(
        r#"SELECT count(*) AS "rows!", max(version) AS version FROM personal_info WHERE user_id = $1"#,
        user
    )
    .fetch_one(conn)
    .await?;
    Ok((row.rows, row.version))
}

pub async fn assessments_of_appointment(conn: &mut PgConnection, appointment: Uuid) -> Result<i64> {
    Ok(sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM assessments WHERE appointment_id = $1"#, appointment)
        .fetch_one(conn)
        .await?)
}

/// How many of `ids` exist as assessments.
pub async fn assessments_present(conn: &mut PgConnection, ids: &[Uuid]) -> Result<i64> {
    Ok(sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM assessments WHERE id = ANY($1)"#, ids)
        .fetch_one(conn)
        .await?)
}

/// How many of `ids` exist as requests.
pub async fn requests_present(conn: &mut PgConnection, ids: &[Uuid]) -> Result<i64> {
    Ok(sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM requests WHERE id = ANY($1)"#, ids).fetch_one(conn).await?)
}

pub async fn active_assignments(conn: &mut PgConnection, counselor: Uuid, scenario: Uuid) -> Result<i64> {
    Ok(sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM assignments
           WHERE counselor_id = $1 AND scenario_id = $2 AND status <> 'completed'"#,
        counselor,
        scenario
    )
    .fetch_one(conn)
    .await?)
}
