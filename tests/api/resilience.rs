//! The retry policy against a real PostgreSQL: what is retried (contention,
//! a connection lost before the commit), what is not (unique violations, a
//! connection lost while committing), and that retries are bounded.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::http::StatusCode;
use server::retry;
use server::Error;
use sqlx::{PgConnection, PgPool};
use tokio::sync::Barrier;

async fn probe_table(pool: &PgPool) {
    sqlx::query("CREATE TABLE probe (id int PRIMARY KEY, hits int NOT NULL DEFAULT 0)").execute(pool).await.unwrap();
    sqlx::query("INSERT INTO probe (id) VALUES (1), (2)").execute(pool).await.unwrap();
}

async fn raise(conn: &mut sqlx::PgConnection, sqlstate: &str) -> Result<(), Error> {
    let statement = format!("DO $$ BEGIN RAISE EXCEPTION 'planted failure' USING ERRCODE = '{sqlstate}'; END $$");
    sqlx::query(&statement).execute(conn).await?;
    Ok(())
}

async fn hits(pool: &PgPool, id: i32) -> i32 {
    sqlx::query_scalar("SELECT hits FROM probe WHERE id = $1").bind(id).fetch_one(pool).await.unwrap()
}

async fn add_a_hit(tx: &mut PgConnection) -> Result<(), Error> {
    sqlx::query("UPDATE probe SET hits = hits + 1 WHERE id = 1").execute(tx).await?;
    Ok(())
}

/// Runs `work` under the retry policy, each attempt in a transaction of its
/// own begun before it and committed after it (`work` is told which attempt
/// it is, from 0). What the whole came to, and how many attempts it took.
async fn attempted(
    pool: &PgPool,
    operation: &'static str,
    work: impl AsyncFn(usize, &mut PgConnection) -> Result<(), Error>,
) -> (Result<(), Error>, usize) {
    let attempts = AtomicUsize::new(0);
    let result = retry::transaction(operation, || async {
        let attempt = attempts.fetch_add(1, Ordering::SeqCst);
        let mut tx = retry::begin(pool).await?;
        work(attempt, &mut tx).await?;
        retry::commit(tx).await
    })
    .await;
    (result, attempts.load(Ordering::SeqCst))
}

/// The work committed after `expected` attempts, and only the one that
/// committed left its hit.
/// A write that may have committed: 503 `outcome_unknown` after one attempt.
fn assert_unknown_and_not_retried<T: std::fmt::Debug>(result: Result<T, Error>, attempts: usize) {
    let error = result.unwrap_err();
    assert!(matches!(error, Error::OutcomeUnknown(_)), "{error:?}");
    assert_eq!(error.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(attempts, 1, "not tried again");
}

async fn assert_committed_once(pool: &PgPool, result: Result<(), Error>, attempts: usize, expected: usize) {
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(attempts, expected);
    assert_eq!(hits(pool, 1).await, 1);
}

#[sqlx::test]
async fn a_serialization_failure_is_retried_until_the_transaction_commits(pool: PgPool) {
    probe_table(&pool).await;
    let (result, attempts) = attempted(&pool, "probe.update", async |attempt, tx| {
        add_a_hit(tx).await?;
        if attempt < 2 {
            raise(tx, "40001").await?;
        }
        Ok(())
    })
    .await;
    // The two failed attempts rolled back: one increment.
    assert_committed_once(&pool, result, attempts, 3).await;
}

#[sqlx::test]
async fn a_real_deadlock_costs_one_retry_and_both_writes_land(pool: PgPool) {
    probe_table(&pool).await;
    let barrier = Arc::new(Barrier::new(2));
    let attempts = Arc::new(AtomicUsize::new(0));
    // Two transactions lock the two rows in opposite orders; both wait at
    // the barrier holding their first lock, so PostgreSQL must pick a victim.
    let run = |first: i32, second: i32| {
        let (pool, barrier, attempts) = (pool.clone(), barrier.clone(), attempts.clone());
        tokio::spawn(async move {
            let tries = AtomicUsize::new(0);
            retry::transaction("probe.deadlock", || async {
                attempts.fetch_add(1, Ordering::SeqCst);
                let mut tx = retry::begin(&pool).await?;
                sqlx::query("UPDATE probe SET hits = hits + 1 WHERE id = $1").bind(first).execute(&mut *tx).await?;
                if tries.fetch_add(1, Ordering::SeqCst) == 0 {
                    barrier.wait().await;
                }
                sqlx::query("UPDATE probe SET hits = hits + 1 WHERE id = $1").bind(second).execute(&mut *tx).await?;
                retry::commit(tx).await
            })
            .await
        })
    };
    let (a, b) = tokio::join!(run(1, 2), run(2, 1));
    assert!(a.unwrap().is_ok() && b.unwrap().is_ok());
    assert_eq!(attempts.load(Ordering::SeqCst), 3, "one victim, retried once");
    assert_eq!((hits(&pool, 1).await, hits(&pool, 2).await), (2, 2));
}

#[sqlx::test]
async fn a_unique_violation_is_never_retried(pool: PgPool) {
    probe_table(&pool).await;
    let (result, attempts) = attempted(&pool, "probe.insert", async |_, tx| {
        sqlx::query("INSERT INTO probe (id) VALUES (1)").execute(tx).await?;
        Ok(())
    })
    .await;
    assert!(matches!(result, Err(Error::Internal(_))), "{result:?}");
    assert_eq!(attempts, 1);
}

#[sqlx::test]
async fn retries_are_bounded_and_giving_up_is_a_503(pool: PgPool) {
    let (result, attempts) = attempted(&pool, "probe.always_deadlocks", async |_, tx| raise(tx, "40P01").await).await;
    let error = result.unwrap_err();
    assert!(matches!(error, Error::Contention(_)), "{error:?}");
    assert_eq!(error.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(attempts, 1 + retry::MAX_RETRIES);
}

/// Ends the backend serving `tx`, the way a failover or an operator would.
async fn kill_backend_of(pool: &PgPool, tx: &mut PgConnection) {
    let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()").fetch_one(&mut *tx).await.unwrap();
    let killed: bool =
        sqlx::query_scalar("SELECT pg_terminate_backend($1, 5000)").bind(pid).fetch_one(pool).await.unwrap();
    assert!(killed);
}

#[sqlx::test]
async fn a_connection_lost_before_the_commit_is_retried_on_a_new_one(pool: PgPool) {
    probe_table(&pool).await;
    let (result, attempts) = attempted(&pool, "probe.update", async |attempt, tx| {
        if attempt == 0 {
            kill_backend_of(&pool, tx).await;
        }
        add_a_hit(tx).await
    })
    .await;
    assert_committed_once(&pool, result, attempts, 2).await;
}

#[sqlx::test]
async fn a_connection_lost_while_committing_is_reported_unknown_and_not_retried(pool: PgPool) {
    probe_table(&pool).await;
    let (result, attempts) = attempted(&pool, "probe.update", async |_, tx| {
        add_a_hit(tx).await?;
        kill_backend_of(&pool, tx).await;
        Ok(())
    })
    .await;
    assert_unknown_and_not_retried(result, attempts);
}

/// During a failover a pooled connection can still reach the old primary
/// after it became a read-only standby: the write is refused there
/// (25006), nothing happened, so it is tried again like a lost connection
/// (HAProxy closes the connections to a node that stops leading, and the
/// pool's new ones reach the new primary).
#[sqlx::test]
async fn a_write_refused_by_a_standby_is_retried(pool: PgPool) {
    probe_table(&pool).await;
    let (result, attempts) = attempted(&pool, "probe.update", async |attempt, tx| {
        if attempt == 0 {
            sqlx::query("SET TRANSACTION READ ONLY").execute(&mut *tx).await?;
        }
        add_a_hit(tx).await
    })
    .await;
    assert_committed_once(&pool, result, attempts, 2).await;
}

#[sqlx::test]
async fn a_standby_that_keeps_refusing_writes_is_a_503_not_a_500(pool: PgPool) {
    probe_table(&pool).await;
    let (result, _) = attempted(&pool, "probe.update", async |_, tx| {
        sqlx::query("SET TRANSACTION READ ONLY").execute(&mut *tx).await?;
        add_a_hit(tx).await
    })
    .await;
    let error = result.unwrap_err();
    assert_eq!(error.status(), StatusCode::SERVICE_UNAVAILABLE, "{error:?}");
    assert_eq!(hits(&pool, 1).await, 0);
}

/// Runs the probe's hit as a one-statement versioned write
/// (`versioned::save_in_one_statement`), after `before` on its connection
/// on the first attempt. What it came to and how many attempts it took.
async fn one_statement(
    pool: &PgPool,
    before: impl AsyncFn(&mut server::versioned::Conn) + Sync,
) -> (Result<i32, Error>, usize) {
    let attempts = AtomicUsize::new(0);
    let update = |mut conn: server::versioned::Conn| {
        let attempt = attempts.fetch_add(1, Ordering::SeqCst);
        let before = &before;
        async move {
            if attempt == 0 {
                before(&mut conn).await;
            }
            let hits: Option<i32> = sqlx::query_scalar("UPDATE probe SET hits = hits + 1 WHERE id = 1 RETURNING hits")
                .fetch_optional(&mut *conn)
                .await?;
            Ok(hits)
        }
    };
    let current = |_conn| async { Ok::<_, Error>(None::<i32>) };
    let result = server::versioned::save_in_one_statement(pool, "probe.update", update, current).await;
    (result, attempts.load(Ordering::SeqCst))
}

/// A statement that commits by itself may have committed when its
/// connection goes: like a lost COMMIT, that is unknown and not retried.
#[sqlx::test]
async fn a_connection_lost_during_a_one_statement_write_is_reported_unknown_and_not_retried(pool: PgPool) {
    probe_table(&pool).await;
    let (result, attempts) = one_statement(&pool, async |conn| kill_backend_of(&pool, conn).await).await;
    assert_unknown_and_not_retried(result, attempts);
}

/// A standby's refusal says for certain nothing was written: retried.
#[sqlx::test]
async fn a_one_statement_write_refused_by_a_standby_is_retried(pool: PgPool) {
    probe_table(&pool).await;
    let (result, attempts) = one_statement(&pool, async |conn| {
        sqlx::query("SET default_transaction_read_only = on").execute(&mut **conn).await.unwrap();
        // Not given back to the pool read-only.
        conn.close_on_drop();
    })
    .await;
    assert_eq!(result.ok(), Some(1));
    assert_eq!(attempts, 2);
    assert_eq!(hits(&pool, 1).await, 1);
}
