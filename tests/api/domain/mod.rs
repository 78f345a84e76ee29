//! Domain operations called directly (no HTTP) on a real PostgreSQL:
//! interleavings held open at the critical point, numbering, idempotency.

mod api_keys;
mod batches;
mod cards;
mod demo;
mod idempotency;
mod invariants;
mod numbers;
mod profiles;
mod setup;
mod workflow;

use std::future::Future;
use std::time::Duration;

use sqlx::{PgPool, Postgres, Transaction};
use uuid::Uuid;

/// How long a spawned write may take to start waiting on a lock: far more
/// than it needs, so that a regression that never blocks fails the test
/// instead of hanging it.
const LOCK_WAIT_DEADLINE: Duration = Duration::from_secs(10);

/// Returns once `holds` is true, asking again as soon as the runtime lets
/// it; panics saying `what` did not happen within [`LOCK_WAIT_DEADLINE`],
/// so a regression fails the test instead of hanging it.
pub async fn until<F: std::future::Future<Output = bool>>(what: &str, mut holds: impl FnMut() -> F) {
    let deadline = tokio::time::Instant::now() + LOCK_WAIT_DEADLINE;
    while !holds().await {
        assert!(tokio::time::Instant::now() < deadline, "{what} did not happen within {LOCK_WAIT_DEADLINE:?}");
        tokio::task::yield_now().await;
    }
}

/// Returns once some backend of this test's database is blocked on a lock,
/// i.e. the write a test spawned is now waiting for the transaction it
/// holds open. Observed in pg_stat_activity, never guessed with sleeps.
/// Panics when none does within [`LOCK_WAIT_DEADLINE`].
pub async fn until_a_backend_waits_on_a_lock(pool: &PgPool) {
    until("a backend waiting on a lock (the write did not block as it should)", || async {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .fetch_one(pool)
        .await
        .expect("read pg_stat_activity");
        waiting > 0
    })
    .await
}

/// A member inserted directly: the hash is never checked, these tests do
/// not sign in.
pub async fn user(pool: &PgPool, email: &str) -> Uuid {
    user_with_role(pool, email, "member").await
}

pub async fn user_with_role(pool: &PgPool, email: &str, role: &str) -> Uuid {
    sqlx::query_scalar(
        "INSERT INTO users (email, display_name, password_hash, role) VALUES ($1, 'Test', 'x', $2::user_role) RETURNING id",
    )
    .bind(email)
    .bind(role)
    .fetch_one(pool)
    .await
    .expect("insert user")
}

/// How the transaction held open ends, once the second write waits for it.
/// Most interleavings are tested twice, once for each.
#[derive(Clone, Copy, Debug)]
pub enum End {
    Commit,
    Rollback,
}

/// Runs `second` on a task of its own while `first` holds its transaction
/// open; once `second` is blocked on `first`'s lock, ends `first` as told
/// and returns what `second` came to.
pub async fn behind<T>(pool: &PgPool, first: Transaction<'static, Postgres>, end: End, second: T) -> T::Output
where
    T: Future + Send + 'static,
    T::Output: Send + 'static,
{
    let second = tokio::spawn(second);
    until_a_backend_waits_on_a_lock(pool).await;
    match end {
        End::Commit => first.commit().await.expect("commit the first transaction"),
        End::Rollback => first.rollback().await.expect("roll back the first transaction"),
    }
    second.await.expect("the second write's task")
}

/// The record a version conflict carries; fails the test on any other
/// outcome.
pub fn conflict<T: std::fmt::Debug>(outcome: server::Result<T>) -> serde_json::Value {
    match outcome {
        Err(server::Error::VersionConflict { current }) => current,
        other => panic!("expected a version conflict, got {other:?}"),
    }
}
