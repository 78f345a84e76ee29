//! A deliberately unsafe client create, for `bench/run.sh` only: it checks
//! whether the id exists and then inserts, the pattern Lockstep never uses.
//! Compiled only with the `bench-unsafe` feature, which no normal build
//! enables, so it is never reachable in production.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use sqlx::PgPool;

use crate::auth::{require_staff, AuthSession};
use crate::clients::NewClient;
use crate::error::Result;

/// `POST /bench/unsafe/clients`: SELECT, then a plain INSERT. Two callers
/// with one id can both see "absent"; the second INSERT then fails.
pub async fn create_client_check_then_insert(
    State(pool): State<PgPool>,
    session: AuthSession,
    Json(input): Json<NewClient>,
) -> Result<StatusCode> {
    let staff = require_staff(&session)?;
    let id = input.id.clone().unwrap_or_default();
    let mut tx = pool.begin().await?;
    let exists = sqlx::query_scalar!(r#"SELECT EXISTS (SELECT 1 FROM clients WHERE id = $1) AS "exists!""#, id)
        .fetch_one(&mut *tx)
        .await?;
    if exists {
        return Ok(StatusCode::OK);
    }
    sqlx::query!(
        "INSERT INTO clients (id, name, email, phone, company, created_by) VALUES ($1, $2, '', '', '', $3)",
        id,
        input.fields.name,
        staff.id
    )
    .execute(&mut *tx)
    .await?;
    crate::audit::record(&mut tx, staff.id, "client", &id, crate::audit::Action::Create, None, Some(1)).await?;
    tx.commit().await?;
    Ok(StatusCode::CREATED)
}
