//! The idempotency-key protocol under real interleavings: two transactions
//! on two connections of a real PostgreSQL.

use serde_json::json;
use server::idempotency::{self, Claim, IdempotencyKey, StoredResponse};
use server::Error;
use sqlx::PgPool;

fn key(scope: &str, payload: serde_json::Value) -> IdempotencyKey {
    IdempotencyKey::new(scope, "key-1", &payload).expect("valid key")
}

fn created() -> StoredResponse {
    StoredResponse { status: 201, body: json!({ "id": 7 }) }
}

/// A first attempt under `key` that finished: claimed, its response stored,
/// committed.
async fn completed(pool: &PgPool, key: &IdempotencyKey) {
    let mut tx = pool.begin().await.unwrap();
    idempotency::claim(&mut tx, key).await.unwrap();
    idempotency::store(&mut tx, key, &created()).await.unwrap();
    tx.commit().await.unwrap();
}

/// What claiming `key` now comes to, in a transaction left to roll back.
async fn claim(pool: &PgPool, key: &IdempotencyKey) -> server::Result<Claim> {
    let mut tx = pool.begin().await.unwrap();
    idempotency::claim(&mut tx, key).await
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_repeat_while_the_first_runs_is_in_progress_then_replayed(pool: PgPool) {
    let first_key = key("user-a", json!({ "name": "Card" }));
    let mut first = pool.begin().await.unwrap();
    assert!(matches!(idempotency::claim(&mut first, &first_key).await, Ok(Claim::New)));

    // The first transaction still runs: the repeat is told so at once.
    let mut second = pool.begin().await.unwrap();
    let repeat = idempotency::claim(&mut second, &first_key).await;
    assert!(matches!(repeat, Err(Error::InProgress)), "got {repeat:?}");
    second.rollback().await.unwrap();

    idempotency::store(&mut first, &first_key, &created()).await.unwrap();
    first.commit().await.unwrap();

    let mut third = pool.begin().await.unwrap();
    match idempotency::claim(&mut third, &first_key).await {
        Ok(Claim::Replay(response)) => assert_eq!(response, created()),
        other => panic!("expected a replay, got {other:?}"),
    }
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_failed_first_attempt_leaves_the_key_free(pool: PgPool) {
    let the_key = key("user-a", json!({ "name": "Card" }));
    let mut first = pool.begin().await.unwrap();
    assert!(matches!(idempotency::claim(&mut first, &the_key).await, Ok(Claim::New)));
    idempotency::store(&mut first, &the_key, &created()).await.unwrap();
    first.rollback().await.unwrap();

    assert!(matches!(claim(&pool, &the_key).await, Ok(Claim::New)), "the retry claims it afresh");
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn the_same_key_with_another_payload_is_refused(pool: PgPool) {
    completed(&pool, &key("user-a", json!({ "name": "Card" }))).await;
    let outcome = claim(&pool, &key("user-a", json!({ "name": "Other card" }))).await;
    assert!(matches!(outcome, Err(Error::KeyReused)), "got {outcome:?}");
    assert_eq!(Error::KeyReused.status(), axum::http::StatusCode::UNPROCESSABLE_ENTITY);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn keys_are_scoped_to_their_owner(pool: PgPool) {
    completed(&pool, &key("user-a", json!({ "name": "Card" }))).await;
    assert!(matches!(claim(&pool, &key("user-b", json!({ "name": "Card" }))).await, Ok(Claim::New)));
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn expired_keys_are_reaped_and_can_be_used_again(pool: PgPool) {
    let the_key = key("user-a", json!({ "name": "Card" }));
    completed(&pool, &the_key).await;
    sqlx::query("UPDATE idempotency_keys SET expires_at = now() - interval '1 second'").execute(&pool).await.unwrap();

    let mut tx = pool.begin().await.unwrap();
    assert!(matches!(idempotency::claim(&mut tx, &the_key).await, Ok(Claim::New)));
    tx.rollback().await.unwrap();
    assert_eq!(idempotency::reap_expired(&pool).await.unwrap(), 1);
    assert_eq!(idempotency::reap_expired(&pool).await.unwrap(), 0);
}
