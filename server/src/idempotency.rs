//! Idempotency keys for create operations.
//!
//! A create form carries a key minted when the form was rendered; REST
//! clients send `Idempotency-Key`. Inside the transaction that does the work:
//!
//! 1. [`claim`] takes a transaction-scoped advisory lock on the key *without
//!    waiting*: if another transaction holds it, the first request is still
//!    running and the caller gets [`Error::InProgress`] (409) at once.
//! 2. A live stored response for the key is replayed when the payload's
//!    fingerprint matches, and refused with [`Error::KeyReused`] (422) when not.
//! 3. Otherwise the caller does the work and [`store`]s its response in the
//!    same transaction; commit makes record and key visible together.
//!
//! Failed attempts roll back and store nothing, so a retry runs again.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool};

use crate::error::{Error, Result};
use crate::retry;

/// What a create may return under a key: stored with the key as JSON in
/// the create's transaction, and read back for a replay.
pub trait Replayable: Serialize + serde::de::DeserializeOwned {}

impl<T: Serialize + serde::de::DeserializeOwned> Replayable for T {}

/// How long a stored response is replayed.
pub const KEY_LIFETIME_HOURS: i32 = 24;

#[derive(Debug, Clone)]
pub struct IdempotencyKey {
    scope: String,
    key: String,
    fingerprint: String,
}

impl IdempotencyKey {
    /// `scope` says whose key it is (a user id), so two users can never
    /// collide; `payload` is everything the request asks for.
    pub fn new(scope: impl Into<String>, key: &str, payload: &impl Serialize) -> Result<Self> {
        let key = key.trim();
        if key.is_empty() || key.len() > 255 {
            return Err(Error::invalid("idempotency_key", "The idempotency key must be 1 to 255 characters."));
        }
        let bytes = serde_json::to_vec(payload).map_err(Error::internal)?;
        let fingerprint = format!("{:x}", Sha256::digest(&bytes));
        Ok(IdempotencyKey { scope: scope.into(), key: key.to_owned(), fingerprint })
    }

    /// The key a request sent, if it sent one (blank counts as none).
    pub fn optional(scope: impl Into<String>, key: Option<&str>, payload: &impl Serialize) -> Result<Option<Self>> {
        key.filter(|key| !key.trim().is_empty()).map(|key| IdempotencyKey::new(scope, key, payload)).transpose()
    }

    fn lock_name(&self) -> String {
        format!("{}\u{1f}{}", self.scope, self.key)
    }
}

/// A response kept for replay: HTTP status and JSON body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredResponse {
    pub status: u16,
    pub body: serde_json::Value,
}

#[derive(Debug)]
pub enum Claim {
    /// First time this key is seen: do the work, then [`store`].
    New,
    /// Seen before with the same payload: answer with this.
    Replay(StoredResponse),
}

/// Claims `key` for the current transaction. Must run inside a transaction
/// (the advisory lock lives until it ends).
pub async fn claim(tx: &mut PgConnection, key: &IdempotencyKey) -> Result<Claim> {
    let locked = sqlx::query_scalar!(
        r#"SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0)) AS "locked!""#,
        key.lock_name()
    )
    .fetch_one(&mut *tx)
    .await?;
    if !locked {
        return Err(Error::InProgress);
    }
    let stored = sqlx::query!(
        "SELECT fingerprint, status, response FROM idempotency_keys
         WHERE scope = $1 AND key = $2 AND expires_at > now()",
        key.scope,
        key.key
    )
    .fetch_optional(&mut *tx)
    .await?;
    match stored {
        None => Ok(Claim::New),
        Some(row) if row.fingerprint == key.fingerprint => {
            metrics::counter!("lockstep_idempotent_replays_total").increment(1);
            Ok(Claim::Replay(StoredResponse { status: u16::try_from(row.status).unwrap_or(200), body: row.response }))
        }
        Some(_) => Err(Error::KeyReused),
    }
}

/// Stores the response for `key` in the caller's transaction. The only row
/// that can already be there is an expired one (we hold the key's lock and
/// [`claim`] saw no live row), which this replaces.
pub async fn store(tx: &mut PgConnection, key: &IdempotencyKey, response: &StoredResponse) -> Result<()> {
    sqlx::query!(
        "INSERT INTO idempotency_keys (scope, key, fingerprint, status, response, expires_at)
         VALUES ($1, $2, $3, $4, $5, now() + make_interval(hours => $6))
         ON CONFLICT (scope, key) DO UPDATE
         SET fingerprint = EXCLUDED.fingerprint, status = EXCLUDED.status,
             response = EXCLUDED.response, created_at = now(), expires_at = EXCLUDED.expires_at",
        key.scope,
        key.key,
        key.fingerprint,
        i16::try_from(response.status).unwrap_or(200),
        response.body,
        KEY_LIFETIME_HOURS,
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// Deletes expired keys; returns how many.
pub async fn reap_expired(pool: &PgPool) -> Result<u64> {
    let deleted =
        sqlx::query!("DELETE FROM idempotency_keys WHERE expires_at <= now()").execute(pool).await?.rows_affected();
    Ok(deleted)
}

/// [`create_once`] for a `create` that is a single statement. Without a
/// key it runs on a connection of its own and commits by itself: one round
/// trip, no BEGIN/COMMIT, since one statement is already atomic. Once sent,
/// a lost connection leaves its outcome unknown, as a lost COMMIT does.
/// With a key it needs the transaction (claim, create and store commit
/// together), so it is [`create_once`].
pub async fn create_once_in_one_statement<T: Replayable>(
    pool: &PgPool,
    key: Option<&IdempotencyKey>,
    create: impl AsyncFnOnce(&mut PgConnection) -> Result<T>,
) -> Result<(T, bool)> {
    if key.is_some() {
        return create_once(pool, key, create).await;
    }
    let mut conn = retry::acquire(pool).await?;
    let value = create(&mut conn).await.map_err(retry::outcome_unknown_if_sent)?;
    Ok((value, true))
}

/// Runs `create` in a transaction at most once per key: with a key seen
/// before, returns the stored result instead (`false`). Without a key it
/// simply runs. The result is stored in the same transaction as the work.
/// Callers run it under `retry::transaction`, so one request may run it
/// more than once, but at most one run commits.
pub async fn create_once<T: Replayable>(
    pool: &PgPool,
    key: Option<&IdempotencyKey>,
    create: impl AsyncFnOnce(&mut PgConnection) -> Result<T>,
) -> Result<(T, bool)> {
    let mut tx = retry::begin(pool).await?;
    let created = create_once_in(&mut tx, key, create).await?;
    retry::commit(tx).await?;
    Ok(created)
}

/// [`create_once`] in the caller's transaction (a numbered batch's
/// savepoint), which must commit for the key and the work to count.
pub async fn create_once_in<T: Replayable>(
    tx: &mut PgConnection,
    key: Option<&IdempotencyKey>,
    create: impl AsyncFnOnce(&mut PgConnection) -> Result<T>,
) -> Result<(T, bool)> {
    if let Some(key) = key {
        if let Claim::Replay(stored) = claim(&mut *tx, key).await? {
            return Ok((serde_json::from_value(stored.body).map_err(Error::internal)?, false));
        }
    }
    let value = create(&mut *tx).await?;
    if let Some(key) = key {
        let body = serde_json::to_value(&value).map_err(Error::internal)?;
        store(&mut *tx, key, &StoredResponse { status: 201, body }).await?;
    }
    Ok((value, true))
}
