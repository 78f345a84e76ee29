//! API keys for external systems.
//!
//! A key looks like `lsk_<prefix>_<secret>`. Only its SHA-256 is stored; the
//! prefix finds the row, and the presented key's hash is compared with the
//! stored one in constant time, so response times say nothing about how
//! much of a guess was right (see [`crate::secrets`]).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use subtle::ConstantTimeEq;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::fields;
use crate::secrets::{digest, random_hex};
use crate::state::AppState;

/// The header external systems send their key in.
pub const HEADER: &str = "x-api-key";

pub use model::accounts::{ApiKey, IssuedKey, Scope};

fn scopes_from_db(stored: Vec<String>) -> Vec<Scope> {
    stored.iter().filter_map(|scope| scope.parse().ok()).collect()
}

/// The key columns, in the order [`ApiKey::from_row`] reads them.
macro_rules! key_row {
    ($row:expr) => {
        ApiKey {
            id: $row.id,
            name: $row.name,
            prefix: $row.prefix,
            scopes: scopes_from_db($row.scopes),
            created_at: $row.created_at,
            expires_at: $row.expires_at,
            last_used_at: $row.last_used_at,
            revoked_at: $row.revoked_at,
        }
    };
}

/// Creates a key named `name` with `scopes` (at least one), valid until
/// `expires_at` when given, and returns it with its secret.
pub async fn create(
    conn: &mut PgConnection,
    name: &str,
    scopes: &[Scope],
    expires_at: Option<DateTime<Utc>>,
    created_by: Option<Uuid>,
) -> Result<IssuedKey> {
    let name = fields::required_text("name", name, 100, "Name the key after the system that will use it.")?;
    if scopes.is_empty() {
        return Err(Error::invalid("scopes", "Choose what the key may do."));
    }
    if expires_at.is_some_and(|at| at <= Utc::now()) {
        return Err(Error::invalid("expires_at", "Choose an expiry in the future."));
    }
    let mut scopes: Vec<String> = scopes.iter().map(|scope| scope.as_str().to_owned()).collect();
    scopes.sort();
    scopes.dedup();
    let prefix = random_hex(6);
    let secret = format!("lsk_{prefix}_{}", random_hex(32));
    let row = sqlx::query!(
        r#"INSERT INTO api_keys (name, prefix, key_hash, scopes, expires_at, created_by)
           VALUES ($1, $2, $3, $4, $5, $6)
           RETURNING id, name, prefix, scopes, created_at AS "created_at: DateTime<Utc>",
                     expires_at AS "expires_at: DateTime<Utc>",
                     last_used_at AS "last_used_at: DateTime<Utc>", revoked_at AS "revoked_at: DateTime<Utc>""#,
        name,
        prefix,
        &digest(&secret)[..],
        &scopes,
        expires_at as _,
        created_by,
    )
    .fetch_one(conn)
    .await?;
    Ok(IssuedKey { key: key_row!(row), secret })
}

pub async fn list(conn: &mut PgConnection) -> Result<Vec<ApiKey>> {
    let rows = sqlx::query!(
        r#"SELECT id, name, prefix, scopes, created_at AS "created_at: DateTime<Utc>",
                  expires_at AS "expires_at: DateTime<Utc>",
                  last_used_at AS "last_used_at: DateTime<Utc>", revoked_at AS "revoked_at: DateTime<Utc>"
           FROM api_keys ORDER BY revoked_at IS NOT NULL, created_at DESC"#
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|row| key_row!(row)).collect())
}

/// Revokes a key; revoking a revoked key changes nothing. Unknown → 404.
pub async fn revoke(conn: &mut PgConnection, id: Uuid) -> Result<ApiKey> {
    let row = sqlx::query!(
        r#"UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1
           RETURNING id, name, prefix, scopes, created_at AS "created_at: DateTime<Utc>",
                     expires_at AS "expires_at: DateTime<Utc>",
                     last_used_at AS "last_used_at: DateTime<Utc>", revoked_at AS "revoked_at: DateTime<Utc>""#,
        id
    )
    .fetch_optional(conn)
    .await?
    .ok_or(Error::NotFound)?;
    Ok(key_row!(row))
}

/// The live key `presented` is, or 401 (malformed, unknown, wrong, revoked
/// or expired); 403 when it is live but lacks `scope`.
pub async fn authenticate(pool: &PgPool, presented: &str, scope: Scope) -> Result<ApiKey> {
    let prefix = presented
        .strip_prefix("lsk_")
        .and_then(|rest| rest.split_once('_'))
        .map(|(prefix, _)| prefix)
        .filter(|prefix| prefix.len() <= 32)
        .ok_or(Error::InvalidApiKey)?;
    let mut conn = pool.acquire().await?;
    let Some(row) = sqlx::query!(
        r#"SELECT id, name, prefix, key_hash, scopes, created_at AS "created_at: DateTime<Utc>",
                  expires_at AS "expires_at: DateTime<Utc>",
                  last_used_at AS "last_used_at: DateTime<Utc>", revoked_at AS "revoked_at: DateTime<Utc>"
           FROM api_keys WHERE prefix = $1"#,
        prefix
    )
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Err(Error::InvalidApiKey);
    };
    let matches: bool = digest(presented).ct_eq(row.key_hash.as_slice()).into();
    let key = key_row!(row);
    if !matches || key.revoked_at.is_some() || key.is_expired() {
        return Err(Error::InvalidApiKey);
    }
    if !key.allows(scope) {
        return Err(Error::Forbidden);
    }
    // At most one write a minute per key, so a busy key does not turn every
    // request into an update of the same row.
    sqlx::query!(
        "UPDATE api_keys SET last_used_at = now()
         WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')",
        key.id
    )
    .execute(&mut *conn)
    .await?;
    Ok(ApiKey { last_used_at: Some(Utc::now()), ..key })
}

/// The key `presented` names, when it is that key (its hash matches), was
/// made by `creator` less than two minutes ago and is not revoked: what a
/// page may show as "just made" when a secret is handed to it (a value a
/// browser sends could have been planted).
pub async fn just_issued(conn: &mut PgConnection, presented: &str, creator: Uuid) -> Result<Option<ApiKey>> {
    let Some(prefix) = presented.strip_prefix("lsk_").and_then(|rest| rest.split_once('_')).map(|(prefix, _)| prefix)
    else {
        return Ok(None);
    };
    let Some(row) = sqlx::query!(
        r#"SELECT id, name, prefix, key_hash, scopes, created_at AS "created_at: DateTime<Utc>",
                  expires_at AS "expires_at: DateTime<Utc>",
                  last_used_at AS "last_used_at: DateTime<Utc>", revoked_at AS "revoked_at: DateTime<Utc>"
           FROM api_keys
           WHERE prefix = $1 AND created_by = $2 AND created_at > now() - interval '2 minutes'
             AND revoked_at IS NULL"#,
        prefix,
        creator
    )
    .fetch_optional(conn)
    .await?
    else {
        return Ok(None);
    };
    let matches: bool = digest(presented).ct_eq(row.key_hash.as_slice()).into();
    Ok(matches.then(|| key_row!(row)))
}

/// The key a request presents in `X-API-Key`, if any.
pub fn presented(parts: &Parts) -> Option<&str> {
    parts.headers.get(HEADER).and_then(|value| value.to_str().ok()).map(str::trim).filter(|value| !value.is_empty())
}

/// An extractor for the handlers external training systems call: the
/// request's `X-API-Key` must be a live key (else 401) with the
/// `assignments` scope (else 403).
pub struct AssignmentsKey(pub ApiKey);

impl FromRequestParts<AppState> for AssignmentsKey {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        let presented = presented(parts).ok_or(Error::InvalidApiKey)?;
        Ok(AssignmentsKey(authenticate(&state.pool, presented, Scope::Assignments).await?))
    }
}
