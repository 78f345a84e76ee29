//! Numbered creates that share commits.
//!
//! A number is gapless because the counter row stays locked from the draw
//! to the commit, so creates of one kind run one after another, and each
//! used to wait for a WAL flush of its own. Each instance now queues its
//! numbered creates per kind and runs whatever has queued as one
//! transaction: every create in a savepoint of its own (one that fails rolls
//! back alone, and its number with it, so the committed numbers stay
//! gapless), then one commit for all, and every caller is answered only
//! after that commit. While one batch runs the next one gathers, so a quiet
//! system runs batches of one (no savepoint, no wait) and a busy one shares
//! its flushes. Instances batch their own creates; the counter row still
//! orders the batches of all instances.

use std::any::Any;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use futures_util::future::BoxFuture;
use sqlx::{PgConnection, PgPool};
use tokio::sync::{mpsc, oneshot};

use super::{BusinessTimeZone, Kind};
use crate::error::{Error, Result};
use crate::retry;

/// The most creates one batch holds. Every savepoint that writes takes a
/// subtransaction id, and past 64 in one transaction PostgreSQL overflows
/// the per-backend cache and has every snapshot look them up on disk.
pub const MAX_BATCH: usize = 64;

/// Creates waiting for a batch, per kind, before `create` itself waits.
const QUEUE: usize = 1024;

type Answer = Result<Box<dyn Any + Send>>;
type Job = Box<dyn for<'c> FnOnce(&'c mut PgConnection) -> BoxFuture<'c, Answer> + Send>;

struct Item {
    job: Job,
    answer: oneshot::Sender<Answer>,
}

/// The numbered creates of this instance: one queue and one batch at a
/// time per kind. Cheap to clone (the queues are shared); the batches stop
/// when the last clone is dropped.
#[derive(Clone)]
pub struct Numbering {
    pool: PgPool,
    zone: BusinessTimeZone,
    /// Empty when batching is off.
    queues: Arc<Vec<mpsc::Sender<Item>>>,
    commits: Arc<AtomicU64>,
}

impl Numbering {
    /// Starts one batching task per kind (needs a Tokio runtime).
    pub fn new(pool: PgPool, zone: BusinessTimeZone) -> Self {
        Numbering::with_batch_limit(pool, zone, MAX_BATCH)
    }

    /// [`Numbering::new`] with batches of at most `limit` creates (at most
    /// [`MAX_BATCH`]); 1 commits every create on its own, still through the
    /// queue; 0 turns batching off: each create runs its own transaction
    /// in the task of the request that asked for it.
    pub fn with_batch_limit(pool: PgPool, zone: BusinessTimeZone, limit: usize) -> Self {
        let limit = limit.min(MAX_BATCH);
        let commits = Arc::new(AtomicU64::new(0));
        let kinds = if limit == 0 { &[][..] } else { &Kind::ALL[..] };
        let queues = kinds
            .iter()
            .map(|kind| {
                let (queue, queued) = mpsc::channel(QUEUE);
                tokio::spawn(serve(pool.clone(), *kind, queued, limit, commits.clone()));
                queue
            })
            .collect();
        Numbering { pool, zone, queues: Arc::new(queues), commits }
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// The zone whose year goes into the numbers.
    pub fn zone(&self) -> &BusinessTimeZone {
        &self.zone
    }

    /// Batches this instance has committed, of every kind.
    pub fn commits(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }

    /// Creates of `kind` queued for a batch that has not started.
    pub fn queued(&self, kind: Kind) -> usize {
        self.queues.get(kind as usize).map_or(0, |queue| queue.max_capacity() - queue.capacity())
    }

    /// Runs `create` (which draws one number of `kind`, inserts and audits
    /// its document) in the next batch of `kind`, and answers once that
    /// batch has committed. Its errors are its own; a batch that fails as a
    /// whole (a lost connection) answers each of its creates with a copy of
    /// that failure: retryable before the commit, `outcome_unknown` during it.
    pub async fn create<T: Send + 'static>(
        &self,
        kind: Kind,
        create: impl for<'c> FnOnce(&'c mut PgConnection) -> BoxFuture<'c, Result<T>> + Send + 'static,
    ) -> Result<T> {
        let Some(queue) = self.queues.get(kind as usize) else {
            let mut tx = retry::begin(&self.pool).await?;
            let value = create(&mut tx).await?;
            retry::commit(tx).await?;
            return Ok(value);
        };
        let (answer, answered) = oneshot::channel();
        let job: Job = Box::new(move |conn| {
            Box::pin(async move { create(conn).await.map(|value| Box::new(value) as Box<dyn Any + Send>) })
        });
        queue.send(Item { job, answer }).await.map_err(|_| Error::internal("the numbering batches have stopped"))?;
        let value = answered.await.map_err(|_| Error::internal("a numbering batch ended without answering"))??;
        value
            .downcast::<T>()
            .map(|value| *value)
            .map_err(|_| Error::internal("a numbered create answered the wrong type"))
    }
}

/// Gathers what has queued (at most `limit`) and runs it as one
/// batch, until every [`Numbering`] clone is gone.
async fn serve(pool: PgPool, kind: Kind, mut queued: mpsc::Receiver<Item>, limit: usize, commits: Arc<AtomicU64>) {
    while let Some(first) = queued.recv().await {
        let mut batch = vec![first];
        while batch.len() < limit {
            match queued.try_recv() {
                Ok(item) => batch.push(item),
                Err(_) => break,
            }
        }
        // A caller that went away (its request was cancelled) is not run.
        batch.retain(|item| !item.answer.is_closed());
        if batch.is_empty() {
            continue;
        }
        // Their ratio is the average batch size operators tune `limit` by.
        metrics::counter!("lockstep_number_batches_total", "kind" => kind.prefix()).increment(1);
        metrics::counter!("lockstep_number_batched_creates_total", "kind" => kind.prefix())
            .increment(batch.len() as u64);
        // A task of its own, so that a create that panics ends its batch
        // (rolled back, its callers answered with an error), not the queue.
        if let Ok(true) = tokio::spawn(run(pool.clone(), batch)).await {
            commits.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Runs one batch; true when it committed.
async fn run(pool: PgPool, batch: Vec<Item>) -> bool {
    let mut tx = match retry::begin(&pool).await {
        Ok(tx) => tx,
        Err(error) => {
            fail(Vec::new(), batch.into_iter(), &error);
            return false;
        }
    };
    // One create needs no savepoint: its failure is the batch's.
    let alone = batch.len() == 1;
    let mut done = Vec::with_capacity(batch.len());
    let mut items = batch.into_iter();
    while let Some(Item { job, answer }) = items.next() {
        if !alone {
            if let Err(lost) = sqlx::query("SAVEPOINT numbered").execute(&mut *tx).await {
                let lost = Error::from(lost);
                let _ = answer.send(Err(copy(&lost)));
                fail(done, items, &lost);
                return false;
            }
        }
        match job(&mut tx).await {
            Ok(value) => done.push((answer, value)),
            Err(error) if alone => {
                let _ = answer.send(Err(error));
                return false; // dropping `tx` rolls it back
            }
            Err(error) => {
                // Savepoints are never released: the next one nests inside,
                // and the commit keeps every create that was not rolled back.
                let rolled_back = sqlx::query("ROLLBACK TO SAVEPOINT numbered").execute(&mut *tx).await;
                let _ = answer.send(Err(error));
                if let Err(lost) = rolled_back {
                    fail(done, items, &Error::from(lost));
                    return false;
                }
            }
        }
    }
    match retry::commit(tx).await {
        Ok(()) => {
            for (answer, value) in done {
                let _ = answer.send(Ok(value));
            }
            true
        }
        Err(error) => {
            for (answer, _) in done {
                let _ = answer.send(Err(copy(&error)));
            }
            false
        }
    }
}

/// Answers every create of a batch that ended before its commit.
fn fail(done: Vec<(oneshot::Sender<Answer>, Box<dyn Any + Send>)>, rest: impl Iterator<Item = Item>, error: &Error) {
    for answer in done.into_iter().map(|(answer, _)| answer).chain(rest.map(|item| item.answer)) {
        let _ = answer.send(Err(copy(error)));
    }
}

/// The same failure for another create of the batch: same variant, so the
/// same status, retry decision and `outcome_unknown`.
fn copy(error: &Error) -> Error {
    fn cause(cause: &sqlx::Error) -> sqlx::Error {
        match cause {
            sqlx::Error::PoolTimedOut => sqlx::Error::PoolTimedOut,
            sqlx::Error::PoolClosed => sqlx::Error::PoolClosed,
            sqlx::Error::Io(io) => sqlx::Error::Io(std::io::Error::new(io.kind(), io.to_string())),
            other => sqlx::Error::Io(std::io::Error::other(other.to_string())),
        }
    }
    match error {
        Error::Unavailable(c) => Error::Unavailable(cause(c)),
        Error::Contention(c) => Error::Contention(cause(c)),
        Error::OutcomeUnknown(c) => Error::OutcomeUnknown(cause(c)),
        other => Error::internal(other.to_string()),
    }
}
