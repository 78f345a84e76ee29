//! Training assignments: at most one active (not completed) assignment per
//! counselor and scenario.
//!
//! The partial unique index `unique_active_assignment` decides, never a
//! check in Rust: creates are `INSERT … ON CONFLICT … DO NOTHING`. A
//! pre-check only makes the common "already assigned" answer cheap and
//! friendly; the race it cannot close ends at the index, as a 409.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::audit::{self, Action, Actor};
use crate::counselors;
use crate::error::{Error, Result};
use crate::retry;
use crate::scenarios;

pub use model::training::{Assignment, AssignmentStatus, BulkOutcome};

/// `sqlx::query_as!(Assignment, …)` over assignments with their counselor
/// and scenario, narrowed by `$filter`: the columns and joins written once,
/// still one literal for sqlx to check.
macro_rules! query_assignments {
    ($filter:tt $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            Assignment,
            r#"SELECT a.id, a.counselor_id, u.display_name AS counselor_name, u.external_id AS counselor_external_id,
                  a.scenario_id, s.title AS scenario_title, a.source, a.status AS "status: AssignmentStatus",
                  a.due_date AS "due_date: NaiveDate", a.started_at AS "started_at: DateTime<Utc>",
                  a.completed_at AS "completed_at: DateTime<Utc>", a.version,
                  a.created_at AS "created_at: DateTime<Utc>", a.updated_at AS "updated_at: DateTime<Utc>"
               FROM assignments a JOIN users u ON u.id = a.counselor_id JOIN scenarios s ON s.id = a.scenario_id
            "# + $filter
            $(, $arg)*
        )
    };
}

pub async fn find(conn: &mut PgConnection, id: Uuid) -> Result<Option<Assignment>> {
    Ok(query_assignments!("WHERE a.id = $1", id).fetch_optional(conn).await?)
}

/// The active assignment of this counselor for this scenario, if any.
pub async fn find_active(conn: &mut PgConnection, counselor: Uuid, scenario: Uuid) -> Result<Option<Assignment>> {
    let id = sqlx::query_scalar!(
        "SELECT id FROM assignments WHERE counselor_id = $1 AND scenario_id = $2 AND status <> 'completed'",
        counselor,
        scenario
    )
    .fetch_optional(&mut *conn)
    .await?;
    match id {
        Some(id) => find(conn, id).await,
        None => Ok(None),
    }
}

/// Assignments of a scenario (`scenario`) or of a counselor (`counselor`),
/// newest first.
pub async fn list(conn: &mut PgConnection, scenario: Option<Uuid>, counselor: Option<Uuid>) -> Result<Vec<Assignment>> {
    Ok(query_assignments!(
        "WHERE ($1::uuid IS NULL OR a.scenario_id = $1) AND ($2::uuid IS NULL OR a.counselor_id = $2)
         ORDER BY a.status = 'completed', a.created_at DESC
         LIMIT 500",
        scenario,
        counselor,
    )
    .fetch_all(conn)
    .await?)
}

/// 404 unless the scenario exists; 422 when it takes no new assignments.
async fn assignable_scenario(conn: &mut PgConnection, id: Uuid) -> Result<scenarios::Scenario> {
    let scenario = scenarios::find(conn, id).await?.ok_or(Error::NotFound)?;
    if !scenario.active {
        return Err(Error::invalid("scenario_id", "This scenario is no longer active."));
    }
    Ok(scenario)
}

fn already_assigned(existing: &Assignment) -> Error {
    let due = existing.due_date.map(|date| format!(", due {date}")).unwrap_or_default();
    let message = format!(
        "{} already has an active assignment for \u{201c}{}\u{201d} ({}{due}).",
        existing.counselor_name,
        existing.scenario_title,
        existing.status.words(),
    );
    match serde_json::to_value(existing) {
        Ok(existing) => Error::Duplicate { message, existing },
        Err(error) => Error::internal(error),
    }
}

/// Assigns the scenario to the counselor: the new assignment, or 409
/// naming the active one that exists. `actor` decides the source: a person
/// assigns as `staff`, an API key as `external`.
pub async fn create(
    pool: &PgPool,
    actor: Actor,
    counselor: Uuid,
    scenario: Uuid,
    due_date: Option<NaiveDate>,
) -> Result<Assignment> {
    let mut conn = pool.acquire().await?;
    counselors::find(&mut conn, counselor).await?.ok_or(Error::NotFound)?;
    assignable_scenario(&mut conn, scenario).await?;
    if let Some(existing) = find_active(&mut conn, counselor, scenario).await? {
        return Err(already_assigned(&existing));
    }
    drop(conn);

    let source = match actor {
        Actor::User(_) | Actor::Operator => "staff",
        Actor::ApiKey(_) => "external",
    };
    retry::transaction("assignment.create", move || async move {
        // Two rounds at most: if the conflicting assignment was completed
        // between our insert and our read, the pair is free again.
        for _ in 0..2 {
            let mut tx = retry::begin(pool).await?;
            let inserted = sqlx::query_scalar!(
                "INSERT INTO assignments (counselor_id, scenario_id, source, assigned_by, api_key_id, due_date)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (counselor_id, scenario_id) WHERE status <> 'completed' DO NOTHING
                 RETURNING id",
                counselor,
                scenario,
                source,
                actor.user_id(),
                actor.api_key_id(),
                due_date as _,
            )
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(id) = inserted {
                audit::record(&mut tx, actor, "assignment", &id.to_string(), Action::Create, None, Some(1)).await?;
                let assignment = find(&mut tx, id).await?.ok_or(Error::NotFound)?;
                retry::commit(tx).await?;
                return Ok(assignment);
            }
            // A new statement: it sees the row the winning transaction committed.
            if let Some(existing) = find_active(&mut tx, counselor, scenario).await? {
                return Err(already_assigned(&existing));
            }
        }
        Err(Error::InProgress)
    })
    .await
}

/// The most counselors one bulk assignment takes.
pub const MOST_AT_ONCE: usize = 1000;

/// Assigns the scenario to many counselors in one statement. Every
/// distinct counselor id asked for appears once in the answer, created or
/// skipped with the reason.
pub async fn bulk_assign(
    pool: &PgPool,
    actor: Uuid,
    scenario: Uuid,
    counselor_ids: &[Uuid],
    due_date: Option<NaiveDate>,
) -> Result<Vec<BulkOutcome>> {
    if counselor_ids.is_empty() {
        return Err(Error::invalid("counselor_ids", "Choose at least one counselor."));
    }
    if counselor_ids.len() > MOST_AT_ONCE {
        return Err(Error::invalid("counselor_ids", format!("Assign at most {MOST_AT_ONCE} counselors at once.")));
    }
    retry::transaction("assignment.bulk_assign", move || async move {
        let mut tx = retry::begin(pool).await?;
        assignable_scenario(&mut tx, scenario).await?;
        // Rows are inserted in counselor order, so two overlapping bulk requests
        // wait for each other in the same order and cannot deadlock. The audit
        // rows are written by the same statement.
        let rows = sqlx::query!(
            r#"WITH wanted AS (
                   SELECT DISTINCT unnest($2::uuid[]) AS counselor_id
               ), inserted AS (
                   INSERT INTO assignments (counselor_id, scenario_id, source, assigned_by, due_date)
                   SELECT w.counselor_id, $1, 'bulk', $3, $4
                   FROM wanted w JOIN users u ON u.id = w.counselor_id AND u.role = 'counselor'
                   ORDER BY w.counselor_id
                   ON CONFLICT (counselor_id, scenario_id) WHERE status <> 'completed' DO NOTHING
                   RETURNING id, counselor_id
               ), audited AS (
                   INSERT INTO audit_log (actor_id, entity, entity_id, action, new_version)
                   SELECT $3, 'assignment', id::text, 'create', 1 FROM inserted
               )
               SELECT w.counselor_id AS "counselor_id!", u.display_name AS "counselor_name?", i.id AS "assignment_id?"
               FROM wanted w
               LEFT JOIN users u ON u.id = w.counselor_id AND u.role = 'counselor'
               LEFT JOIN inserted i ON i.counselor_id = w.counselor_id
               ORDER BY lower(u.display_name), w.counselor_id"#,
            scenario,
            counselor_ids,
            actor,
            due_date as _,
        )
        .fetch_all(&mut *tx)
        .await?;

        // Those skipped for a conflict: which active assignment they already have.
        // A new statement, so it sees assignments a concurrent request committed.
        let skipped: Vec<Uuid> = rows
            .iter()
            .filter(|row| row.assignment_id.is_none() && row.counselor_name.is_some())
            .map(|row| row.counselor_id)
            .collect();
        let active = sqlx::query!(
            r#"SELECT counselor_id, id, status AS "status: AssignmentStatus" FROM assignments
             WHERE scenario_id = $1 AND counselor_id = ANY($2) AND status <> 'completed'"#,
            scenario,
            &skipped,
        )
        .fetch_all(&mut *tx)
        .await?;
        retry::commit(tx).await?;

        Ok(rows
            .into_iter()
            .map(|row| {
                let existing = active.iter().find(|a| a.counselor_id == row.counselor_id);
                let (reason, assignment_id) = match (&row.counselor_name, row.assignment_id, existing) {
                    (_, Some(id), _) => (None, Some(id)),
                    (None, None, _) => (Some("not a counselor".to_owned()), None),
                    (Some(_), None, Some(existing)) => (
                        Some(format!("already has an active assignment ({})", existing.status.words())),
                        Some(existing.id),
                    ),
                    (Some(_), None, None) => (Some("was assigned by someone else at the same moment".to_owned()), None),
                };
                BulkOutcome {
                    counselor_id: row.counselor_id,
                    counselor_name: row.counselor_name.unwrap_or_default(),
                    created: row.assignment_id.is_some(),
                    reason,
                    assignment_id,
                }
            })
            .collect())
    })
    .await
}

/// A step a counselor takes on their own assignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// A pending assignment goes in progress.
    Start,
    /// An assignment in progress is completed.
    Complete,
}

impl Step {
    /// The status an assignment must have for this step, and the one it gets.
    fn statuses(self) -> (AssignmentStatus, AssignmentStatus) {
        match self {
            Step::Start => (AssignmentStatus::Pending, AssignmentStatus::InProgress),
            Step::Complete => (AssignmentStatus::InProgress, AssignmentStatus::Completed),
        }
    }
}

/// Takes `step` on the counselor's own assignment, if it is still at
/// `expected_version`.
pub async fn advance(
    pool: &PgPool,
    counselor: Uuid,
    id: Uuid,
    expected_version: i32,
    step: Step,
) -> Result<Assignment> {
    let (from, to) = step.statuses();
    retry::versioned("assignment.advance", move || async move {
        let mut tx = retry::begin(pool).await?;
        let updated = sqlx::query_scalar!(
            "UPDATE assignments
             SET status = $5, version = version + 1, updated_at = now(),
                 started_at = CASE WHEN $5 = 'in_progress' THEN now() ELSE started_at END,
                 completed_at = CASE WHEN $5 = 'completed' THEN now() END
             WHERE id = $1 AND counselor_id = $2 AND version = $3 AND status = $4
             RETURNING version",
            id,
            counselor,
            expected_version,
            from.as_str(),
            to.as_str(),
        )
        .fetch_optional(&mut *tx)
        .await?;
        let current = find(&mut tx, id).await?.filter(|a| a.counselor_id == counselor);
        let Some(version) = updated else {
            return match current {
                Some(current) if current.version == expected_version => Err(Error::invalid(
                    "status",
                    format!("This assignment is {}; it cannot become {}.", current.status.words(), to.words()),
                )),
                other => Err(Error::stale(other)),
            };
        };
        audit::record(
            &mut tx,
            counselor,
            "assignment",
            &id.to_string(),
            Action::Update,
            Some(expected_version),
            Some(version),
        )
        .await?;
        retry::commit(tx).await?;
        current.ok_or(Error::NotFound)
    })
    .await
}
