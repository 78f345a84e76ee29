//! The audit trail: every create, update and delete writes one row, in the
//! same transaction as the change, so the log can never disagree with the data.

use sqlx::PgConnection;
use uuid::Uuid;

use crate::error::Result;

#[derive(Debug, Clone, Copy)]
pub enum Action {
    Create,
    Update,
    Delete,
}

impl Action {
    fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
        }
    }
}

/// Who made a change: a person, an external system with an API key, or
/// the operator at the command line (`lockstep admin …`; the audit row
/// names nobody).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    User(Uuid),
    ApiKey(Uuid),
    Operator,
}

impl Actor {
    /// The person, when a person made the change (for `created_by` columns).
    pub fn user_id(self) -> Option<Uuid> {
        match self {
            Actor::User(id) => Some(id),
            Actor::ApiKey(_) | Actor::Operator => None,
        }
    }

    pub fn api_key_id(self) -> Option<Uuid> {
        match self {
            Actor::User(_) | Actor::Operator => None,
            Actor::ApiKey(id) => Some(id),
        }
    }
}

/// Scopes idempotency keys: a person's uuid, or `key:<id>` for an API key.
impl std::fmt::Display for Actor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Actor::User(id) => write!(f, "{id}"),
            Actor::ApiKey(id) => write!(f, "key:{id}"),
            Actor::Operator => write!(f, "operator"),
        }
    }
}

impl From<Uuid> for Actor {
    fn from(user: Uuid) -> Self {
        Actor::User(user)
    }
}

pub async fn record(
    conn: &mut PgConnection,
    actor: impl Into<Actor>,
    entity: &str,
    entity_id: &str,
    action: Action,
    old_version: Option<i32>,
    new_version: Option<i32>,
) -> Result<()> {
    let actor = actor.into();
    sqlx::query!(
        "INSERT INTO audit_log (actor_id, api_key_id, entity, entity_id, action, old_version, new_version)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        actor.user_id(),
        actor.api_key_id(),
        entity,
        entity_id,
        action.as_str(),
        old_version,
        new_version,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// One line of a record's history.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Entry {
    pub at: chrono::DateTime<chrono::Utc>,
    pub actor: Option<String>,
    pub action: String,
    pub old_version: Option<i32>,
    pub new_version: Option<i32>,
}

/// What happened to a record, oldest first, with who did it.
pub async fn history(conn: &mut PgConnection, entity: &str, entity_id: &str) -> Result<Vec<Entry>> {
    Ok(sqlx::query_as!(
        Entry,
        r#"SELECT a.at AS "at: chrono::DateTime<chrono::Utc>",
                  coalesce(u.display_name, 'API key ' || k.name) AS "actor?", a.action,
                  a.old_version, a.new_version
           FROM audit_log a
           LEFT JOIN users u ON u.id = a.actor_id
           LEFT JOIN api_keys k ON k.id = a.api_key_id
           WHERE a.entity = $1 AND a.entity_id = $2
           ORDER BY a.id"#,
        entity,
        entity_id
    )
    .fetch_all(conn)
    .await?)
}
