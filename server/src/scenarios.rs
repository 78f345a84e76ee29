//! Training scenarios counselors are assigned to. Titles are unique
//! (case-insensitively); a deactivated scenario takes no new assignments.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::audit::{self, Action};
use crate::error::{Error, Result, ResultExt};
use crate::fields::Rule;
use crate::idempotency::{self, IdempotencyKey};
use crate::retry;
use crate::versioned::{self, Target, Tx};

pub use model::training::{NewScenario, Scenario};

/// `sqlx::query_as!(Scenario, …)` for a statement with a scenario's
/// columns between `$head` and `$tail`: the columns written once, still
/// one literal for sqlx to check.
macro_rules! query_scenario {
    ($head:tt, $tail:tt $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            Scenario,
            $head + r#" id, title, description, active, version,
                created_at AS "created_at: DateTime<Utc>", updated_at AS "updated_at: DateTime<Utc>" "# + $tail
            $(, $arg)*
        )
    };
}

/// Creates a scenario. With an idempotency key, a resent form returns the
/// scenario the first submission created.
pub async fn create(
    pool: &PgPool,
    actor: Uuid,
    input: &NewScenario,
    idempotency_key: Option<&str>,
) -> Result<(Scenario, bool)> {
    let title = field_rule("title").check("title", &input.title)?;
    let description = field_rule("description").check("description", &input.description)?;
    let key = IdempotencyKey::optional(format!("scenario:{actor}"), idempotency_key, input)?;
    retry::transaction("scenario.create", || {
        idempotency::create_once(pool, key.as_ref(), async |tx| {
            let scenario = query_scenario!(
                "INSERT INTO scenarios (title, description, created_by) VALUES ($1, $2, $3) RETURNING",
                "",
                title,
                description,
                actor,
            )
            .fetch_one(&mut *tx)
            .await
            .on_constraint("scenarios_title_key", || {
                Error::already_exists("title", "A scenario with this title already exists.")
            })?;
            audit::record(tx, actor, "scenario", &scenario.id.to_string(), Action::Create, None, Some(1)).await?;
            Ok(scenario)
        })
    })
    .await
}

pub async fn find(conn: &mut PgConnection, id: Uuid) -> Result<Option<Scenario>> {
    Ok(query_scenario!("SELECT", "FROM scenarios WHERE id = $1", id).fetch_optional(conn).await?)
}

/// Every scenario, active ones first, by title.
pub async fn list(conn: &mut PgConnection) -> Result<Vec<Scenario>> {
    Ok(query_scenario!("SELECT", "FROM scenarios ORDER BY NOT active, lower(title)").fetch_all(conn).await?)
}

/// Activates or deactivates the scenario if it is still at `expected_version`.
pub async fn set_active(pool: &PgPool, actor: Uuid, id: Uuid, expected_version: i32, active: bool) -> Result<Scenario> {
    let key = id.to_string();
    let target = Target { operation: "scenario.set_active", actor: actor.into(), entity: "scenario", key: &key };
    let update = move |mut tx: Tx| async move {
        let updated = query_scenario!(
            "UPDATE scenarios SET active = $3, version = version + 1, updated_at = now()
             WHERE id = $1 AND version = $2 RETURNING",
            "",
            id,
            expected_version,
            active,
        )
        .fetch_optional(&mut *tx)
        .await?;
        Ok((tx, updated))
    };
    versioned::save(pool, target, expected_version, update, move |mut tx| async move { find(&mut tx, id).await }).await
}

versioned::has_version!(Scenario);

/// How each field of a scenario is checked (the API document states the same).
pub fn field_rule(field: &str) -> Rule {
    match field {
        "title" => Rule::Required(200, "Give the scenario a title."),
        _ => Rule::Lines(2000),
    }
}
