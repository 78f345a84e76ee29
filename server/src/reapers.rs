//! Deletes rows that have served their purpose, on every instance (each
//! delete is one idempotent statement, so instances running it at once
//! only repeat each other's work).

use std::time::Duration;

use sqlx::PgPool;

/// Runs every reaper each `period` for as long as the process lives.
pub fn spawn(pool: PgPool, period: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(period);
        loop {
            ticker.tick().await;
            report("expired idempotency keys", crate::idempotency::reap_expired(&pool).await);
            report("quiet throttle counts", crate::throttle::forget_quiet(&pool).await);
            report("expired password reset links", crate::people::forget_expired_reset_links(&pool).await);
        }
    })
}

fn report(what: &str, deleted: crate::Result<u64>) {
    match deleted {
        Ok(0) => {}
        Ok(deleted) => tracing::info!(deleted, "reaped {what}"),
        Err(error) => tracing::warn!(%error, "could not reap {what}"),
    }
}
