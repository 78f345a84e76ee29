//! Helpers for the interleaving tests.

use sqlx::PgPool;

/// Returns once some backend of this test's database is blocked on a lock,
/// i.e. the write a test spawned is now waiting for the transaction it
/// holds open. Observed in pg_stat_activity, never guessed with sleeps.
pub async fn until_a_backend_waits_on_a_lock(pool: &PgPool) {
    loop {
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
