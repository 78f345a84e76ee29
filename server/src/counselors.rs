//! Counselors: users with the counselor role. External systems know each
//! by its `external_id`.

use sqlx::PgConnection;
use uuid::Uuid;

use crate::error::Result;

pub use model::training::Counselor;

/// Every counselor, by name.
pub async fn list(conn: &mut PgConnection) -> Result<Vec<Counselor>> {
    Ok(sqlx::query_as!(
        Counselor,
        "SELECT id, display_name, email, external_id FROM users WHERE role = 'counselor'
         ORDER BY lower(display_name), email"
    )
    .fetch_all(conn)
    .await?)
}

pub async fn find(conn: &mut PgConnection, id: Uuid) -> Result<Option<Counselor>> {
    Ok(sqlx::query_as!(
        Counselor,
        "SELECT id, display_name, email, external_id FROM users WHERE id = $1 AND role = 'counselor'",
        id
    )
    .fetch_optional(conn)
    .await?)
}

pub async fn find_by_external_id(conn: &mut PgConnection, external_id: &str) -> Result<Option<Counselor>> {
    Ok(sqlx::query_as!(
        Counselor,
        "SELECT id, display_name, email, external_id FROM users WHERE external_id = $1 AND role = 'counselor'",
        external_id
    )
    .fetch_optional(conn)
    .await?)
}

/// Gives a user the id an external system knows them by.
pub async fn set_external_id(conn: &mut PgConnection, user: Uuid, external_id: &str) -> Result<()> {
    sqlx::query!("UPDATE users SET external_id = $2 WHERE id = $1", user, external_id).execute(conn).await.map_err(
        |error| match crate::error::violated_constraint(&error) {
            Some("users_external_id_key") => {
                crate::Error::already_exists("external_id", "Another user already has this external id.")
            }
            Some("users_external_id_shape") => {
                crate::Error::invalid("external_id", "Use 1 to 64 letters, digits, or _ . : -")
            }
            _ => crate::Error::from(error),
        },
    )?;
    Ok(())
}
