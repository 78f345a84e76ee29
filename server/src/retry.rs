//! The one retry policy for transactions.
//!
//! Some failures mean "the same transaction would succeed if run again":
//! a serialization failure (40001), a deadlock victim (40P01), a lock wait
//! that ran out (55P03, a numbered batch's `lock_timeout`), or a
//! connection that died *before* the commit was sent (the server rolled the
//! transaction back with it). Those are retried with exponential backoff and
//! full jitter, at most [`MAX_RETRIES`] times and never past [`DEADLINE`].
//!
//! Never retried: a unique or check violation (the answer will not change),
//! a version conflict, and a connection lost *while committing*: then the
//! outcome is unknown ([`Error::OutcomeUnknown`]) and only the caller, with
//! its idempotency key, can safely ask again.
//!
//! Every write goes through [`transaction`] or [`versioned`], which also
//! count attempts, retries, give-ups and version conflicts for `/metrics`.

use std::future::Future;
use std::time::{Duration, Instant};

use backon::{BackoffBuilder, ExponentialBuilder, Retryable};
use sqlx::{PgPool, Postgres, Transaction};

use crate::error::{Error, Result};

/// Retries after the first attempt.
pub const MAX_RETRIES: usize = 4;
/// No retry starts later than this after the first attempt began.
pub const DEADLINE: Duration = Duration::from_secs(2);

/// Runs `attempt` (which opens, uses and commits its own transaction) under
/// the retry policy. `operation` names it in metrics: `"<entity>.<action>"`.
pub async fn transaction<T, Fut>(operation: &'static str, attempt: impl FnMut() -> Fut) -> Result<T>
where
    Fut: Future<Output = Result<T>>,
{
    run(operation, false, attempt).await
}

/// Like [`transaction`], for a version-checked write: its version conflicts
/// are counted against its attempts, giving the conflict rate per entity.
pub async fn versioned<T, Fut>(operation: &'static str, attempt: impl FnMut() -> Fut) -> Result<T>
where
    Fut: Future<Output = Result<T>>,
{
    run(operation, true, attempt).await
}

async fn run<T, Fut>(operation: &'static str, versioned: bool, attempt: impl FnMut() -> Fut) -> Result<T>
where
    Fut: Future<Output = Result<T>>,
{
    use tracing::Instrument;
    let entity = operation.split('.').next().unwrap_or(operation);
    let mut retries = 0_u64;
    // Whatever the attempts log carries the operation's name.
    let result = attempt
        .retry(backoff())
        .when(Error::is_retryable)
        .notify(|error, delay| {
            retries += 1;
            tracing::debug!(operation, %error, ?delay, "retrying transaction");
        })
        .instrument(tracing::info_span!("transaction", operation))
        .await;
    // The response only says "something went wrong"; the log says what was
    // being done when it did.
    if let Err(Error::Internal(cause)) = &result {
        tracing::error!(operation, error = ?cause, "transaction failed");
    }

    metrics::counter!("lockstep_transactions_total", "operation" => operation).increment(1);
    metrics::counter!("lockstep_transaction_attempts_total", "operation" => operation).increment(1 + retries);
    if retries > 0 {
        metrics::counter!("lockstep_retries_total", "operation" => operation).increment(retries);
        match &result {
            Err(error) if error.is_retryable() => {
                metrics::counter!("lockstep_retry_give_ups_total", "operation" => operation).increment(1);
                tracing::warn!(operation, %error, retries, "gave up retrying");
            }
            _ => metrics::counter!("lockstep_retry_successes_total", "operation" => operation).increment(1),
        }
    }
    if versioned {
        metrics::counter!("lockstep_versioned_writes_total", "entity" => entity).increment(1);
        if matches!(result, Err(Error::VersionConflict { .. } | Error::PreconditionFailed { .. })) {
            metrics::counter!("lockstep_version_conflicts_total", "entity" => entity).increment(1);
        }
    }
    result
}

/// Exponential (5 ms, 10 ms, 20 ms, … at most 250 ms) with full jitter: each
/// wait is drawn uniformly from zero to the exponential step, so clients
/// that collided once spread out instead of colliding again in step.
fn backoff() -> impl backon::Backoff {
    let started = Instant::now();
    ExponentialBuilder::new()
        .with_min_delay(Duration::from_millis(5))
        .with_max_delay(Duration::from_millis(250))
        .with_max_times(MAX_RETRIES)
        .build()
        .map(|step| step.mul_f64(rand::random::<f64>()))
        .take_while(move |wait| started.elapsed() + *wait < DEADLINE)
}

/// Commits `tx`. A connection lost during the commit leaves the outcome
/// unknown, which is reported as such and never retried here.
pub async fn commit(tx: Transaction<'_, Postgres>) -> Result<()> {
    tx.commit().await.map_err(|error| match Error::from(error) {
        Error::Unavailable(cause) => Error::OutcomeUnknown(cause),
        other => other,
    })
}

/// What a failed statement that ran on its own (autocommit) means: once
/// it was sent, a lost connection leaves unknown whether it committed, as
/// a lost COMMIT does. Only a refusal the server answered with (a standby's
/// 25006) says for certain that nothing was written.
pub fn outcome_unknown_if_sent(error: Error) -> Error {
    match error {
        Error::Unavailable(cause) if !crate::error::is_refused_write(&cause) => Error::OutcomeUnknown(cause),
        other => other,
    }
}

/// A connection of its own, for a statement that commits by itself,
/// recording how long the pool made us wait.
pub async fn acquire(pool: &PgPool) -> Result<sqlx::pool::PoolConnection<Postgres>> {
    let asked = Instant::now();
    let conn = pool.acquire().await?;
    metrics::histogram!("lockstep_db_pool_wait_seconds").record(asked.elapsed().as_secs_f64());
    Ok(conn)
}

/// Begins a transaction, recording how long the pool made us wait.
pub async fn begin(pool: &PgPool) -> Result<Transaction<'static, Postgres>> {
    let asked = Instant::now();
    let tx = pool.begin().await?;
    metrics::histogram!("lockstep_db_pool_wait_seconds").record(asked.elapsed().as_secs_f64());
    Ok(tx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_are_bounded_and_jittered() {
        let waits: Vec<Duration> = backoff().collect();
        assert_eq!(waits.len(), MAX_RETRIES);
        let steps = [5, 10, 20, 40];
        for (wait, step) in waits.iter().zip(steps) {
            assert!(*wait <= Duration::from_millis(step), "{wait:?} exceeds the {step} ms step");
        }
    }
}
