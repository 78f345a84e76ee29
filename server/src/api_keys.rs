//! API keys for external systems.
//!
//! A key looks like `lsk_<prefix>_<secret>`. Only its SHA-256 is stored; the
//! prefix finds the row, and the presented key's hash is compared with the
//! stored one in constant time, so response times say nothing about how
//! much of a guess was right. A fast hash is enough here: the secret is 256
//! random bits, not a password a person chose.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use chrono::{DateTime, Utc};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool};
use subtle::ConstantTimeEq;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::fields;
use crate::state::AppState;

/// The header external systems send their key in.
pub const HEADER: &str = "x-api-key";

/// An API key as listed to admins: never the key itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ApiKey {
    pub id: Uuid,
    pub name: String,
    /// The key's public part, `lsk_<prefix>_…`, to tell keys apart.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A new key: the only time the full key is known.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IssuedKey {
    pub key: ApiKey,
    pub secret: String,
}

fn digest(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

fn random_hex(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buffer);
    buffer.iter().map(|b| format!("{b:02x}")).collect()
}

/// Creates a key named `name` and returns it with its secret.
pub async fn create(conn: &mut PgConnection, name: &str, created_by: Option<Uuid>) -> Result<IssuedKey> {
    let name = fields::required_text("name", name, 100, "Name the key after the system that will use it.")?;
    let prefix = random_hex(6);
    let secret = format!("lsk_{prefix}_{}", random_hex(32));
    let key = sqlx::query_as!(
        ApiKey,
        r#"INSERT INTO api_keys (name, prefix, key_hash, created_by)
           VALUES ($1, $2, $3, $4)
           RETURNING id, name, prefix, created_at AS "created_at: DateTime<Utc>",
                     last_used_at AS "last_used_at: DateTime<Utc>", revoked_at AS "revoked_at: DateTime<Utc>""#,
        name,
        prefix,
        &digest(&secret)[..],
        created_by,
    )
    .fetch_one(conn)
    .await?;
    Ok(IssuedKey { key, secret })
}

pub async fn list(conn: &mut PgConnection) -> Result<Vec<ApiKey>> {
    Ok(sqlx::query_as!(
        ApiKey,
        r#"SELECT id, name, prefix, created_at AS "created_at: DateTime<Utc>",
                  last_used_at AS "last_used_at: DateTime<Utc>", revoked_at AS "revoked_at: DateTime<Utc>"
           FROM api_keys ORDER BY revoked_at IS NOT NULL, created_at DESC"#
    )
    .fetch_all(conn)
    .await?)
}

/// Revokes a key; revoking a revoked key changes nothing. Unknown → 404.
pub async fn revoke(conn: &mut PgConnection, id: Uuid) -> Result<ApiKey> {
    sqlx::query_as!(
        ApiKey,
        r#"UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1
           RETURNING id, name, prefix, created_at AS "created_at: DateTime<Utc>",
                     last_used_at AS "last_used_at: DateTime<Utc>", revoked_at AS "revoked_at: DateTime<Utc>""#,
        id
    )
    .fetch_optional(conn)
    .await?
    .ok_or(Error::NotFound)
}

/// The live key `presented` is, or 401 (malformed, unknown, wrong or revoked).
pub async fn authenticate(pool: &PgPool, presented: &str) -> Result<ApiKey> {
    let prefix = presented
        .strip_prefix("lsk_")
        .and_then(|rest| rest.split_once('_'))
        .map(|(prefix, _)| prefix)
        .ok_or(Error::InvalidApiKey)?;
    let mut conn = pool.acquire().await?;
    let Some(row) = sqlx::query!(
        r#"SELECT id, name, prefix, key_hash, created_at AS "created_at: DateTime<Utc>",
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
    if !matches || row.revoked_at.is_some() {
        return Err(Error::InvalidApiKey);
    }
    // At most one write a minute per key, so a busy key does not turn every
    // request into an update of the same row.
    sqlx::query!(
        "UPDATE api_keys SET last_used_at = now()
         WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')",
        row.id
    )
    .execute(&mut *conn)
    .await?;
    Ok(ApiKey {
        id: row.id,
        name: row.name,
        prefix: row.prefix,
        created_at: row.created_at,
        last_used_at: Some(Utc::now()),
        revoked_at: None,
    })
}

/// An extractor for handlers only external systems call: the request's
/// `X-API-Key` must be a live key, else 401.
pub struct KeyHolder(pub ApiKey);

impl FromRequestParts<AppState> for KeyHolder {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        let presented = parts
            .headers
            .get(HEADER)
            .and_then(|value| value.to_str().ok())
            .map(str::trim)
            .filter(|value| !value.is_empty())
            .ok_or(Error::InvalidApiKey)?;
        Ok(KeyHolder(authenticate(&state.pool, presented).await?))
    }
}
