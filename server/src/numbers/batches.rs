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
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use futures_util::FutureExt;
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
    /// [`QUEUED`], then [`STARTED`] by its batch or [`WITHDRAWN`] by its
    /// caller, whichever comes first.
    state: Arc<AtomicU8>,
}

const QUEUED: u8 = 0;
const STARTED: u8 = 1;
const WITHDRAWN: u8 = 2;

/// How long a create waits for its batch to start, as long as a request
/// waits for a pooled connection (`db::connect`): then 503, and since it
/// never ran, asking again is safe.
const QUEUE_WAIT: Duration = Duration::from_secs(5);

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
        let (answer, mut answered) = oneshot::channel();
        let job: Job = Box::new(move |conn| {
            Box::pin(async move { create(conn).await.map(|value| Box::new(value) as Box<dyn Any + Send>) })
        });
        let state = Arc::new(AtomicU8::new(QUEUED));
        let item = Item { job, answer, state: state.clone() };
        let queued_until = tokio::time::Instant::now() + QUEUE_WAIT;
        match tokio::time::timeout_at(queued_until, queue.send(item)).await {
            Ok(sent) => sent.map_err(|_| Error::internal("the numbering batches have stopped"))?,
            Err(_) => return Err(Error::Unavailable(sqlx::Error::PoolTimedOut)),
        }
        let answer = match tokio::time::timeout_at(queued_until, &mut answered).await {
            Ok(answer) => answer,
            // Not started yet: withdrawn, so it never runs and asking again
            // is safe. Already started: its batch decides, so wait for it.
            Err(_) => match state.compare_exchange(QUEUED, WITHDRAWN, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => return Err(Error::Unavailable(sqlx::Error::PoolTimedOut)),
                Err(_) => answered.await,
            },
        };
        let value = answer.map_err(|_| Error::internal("a numbering batch ended without answering"))??;
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
        // Callers that went away (a cancelled request) or stopped waiting
        // are not run; the others are started, and can no longer withdraw.
        batch.retain(|item| {
            !item.answer.is_closed()
                && item.state.compare_exchange(QUEUED, STARTED, Ordering::AcqRel, Ordering::Acquire).is_ok()
        });
        if batch.is_empty() {
            continue;
        }
        // Their ratio is the average batch size operators tune `limit` by.
        metrics::counter!("lockstep_number_batches_total", "kind" => kind.prefix()).increment(1);
        metrics::counter!("lockstep_number_batched_creates_total", "kind" => kind.prefix())
            .increment(batch.len() as u64);
        // A task of its own, so that whatever goes wrong in one batch ends
        // that batch (rolled back, its callers answered), never the queue.
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
    if !alone {
        // Once one create has drawn its number the batch holds the counter,
        // and a later create that waits on a row lock (its request's row,
        // say, held elsewhere) would hold up every create of this kind, on
        // every instance, or close a deadlock cycle. It gives up instead, to
        // be asked again; a batch of one waits as a lone create always did.
        if let Err(lost) = sqlx::query("SET LOCAL lock_timeout = '500ms'").execute(&mut *tx).await {
            fail(Vec::new(), batch.into_iter(), &Error::from(lost));
            return false;
        }
    }
    let mut done = Vec::with_capacity(batch.len());
    let mut items = batch.into_iter();
    while let Some(Item { job, answer, .. }) = items.next() {
        if !alone {
            if let Err(lost) = sqlx::query("SAVEPOINT numbered").execute(&mut *tx).await {
                let lost = Error::from(lost);
                let _ = answer.send(Err(copy(&lost)));
                fail(done, items, &lost);
                return false;
            }
        }
        let outcome = match AssertUnwindSafe(job(&mut tx)).catch_unwind().await {
            Ok(outcome) => outcome,
            Err(_) => {
                // The connection may be mid-statement: drop the whole batch
                // (rolled back); the others were not at fault and may retry.
                let _ = answer.send(Err(Error::internal("a numbered create panicked")));
                fail(
                    done,
                    items,
                    &Error::Unavailable(sqlx::Error::Io(std::io::Error::other("a create in the same batch panicked"))),
                );
                return false;
            }
        };
        match outcome {
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
            tracing::warn!(%error, creates = done.len(), "a numbered batch lost its commit");
            for (answer, _) in done {
                let _ = answer.send(Err(copy(&error)));
            }
            false
        }
    }
}

/// Answers every create of a batch that ended before its commit.
fn fail(done: Vec<(oneshot::Sender<Answer>, Box<dyn Any + Send>)>, rest: impl Iterator<Item = Item>, error: &Error) {
    let answers: Vec<_> = done.into_iter().map(|(answer, _)| answer).chain(rest.map(|item| item.answer)).collect();
    // Each caller gets a copy; the cause is logged here, once.
    tracing::warn!(error = ?error, creates = answers.len(), "a numbered batch failed before its commit");
    for answer in answers {
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
