//! Domain operations called directly (no HTTP) on a real PostgreSQL:
//! interleavings held open at the critical point, numbering, idempotency.

mod cards;
mod idempotency;
mod numbers;
mod profiles;
mod workflow;

use std::time::Duration;

use sqlx::PgPool;

/// How long a spawned write may take to start waiting on a lock: far more
/// than it needs, so that a regression that never blocks fails the test
/// instead of hanging it.
const LOCK_WAIT_DEADLINE: Duration = Duration::from_secs(10);

/// Returns once some backend of this test's database is blocked on a lock,
/// i.e. the write a test spawned is now waiting for the transaction it
/// holds open. Observed in pg_stat_activity, never guessed with sleeps.
/// Panics when none does within [`LOCK_WAIT_DEADLINE`].
pub async fn until_a_backend_waits_on_a_lock(pool: &PgPool) {
    let deadline = tokio::time::Instant::now() + LOCK_WAIT_DEADLINE;
    loop {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no backend waited on a lock within {LOCK_WAIT_DEADLINE:?}: the write did not block as it should"
        );
        let waiting: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .fetch_one(pool)
        .await
        .expect("read pg_stat_activity");
        if waiting > 0 {
            return;
        }
        tokio::task::yield_now().await;
    }
}
