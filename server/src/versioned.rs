//! The one versioned write: change a record only if it is still at the
//! version the caller saw, else answer 409 with the record as it is now;
//! audit the change and commit, all in one retried transaction.
//!
//! Each table keeps its own compile-checked UPDATE beside its module; this
//! is the skeleton around it, so every section, card, profile, client,
//! appointment and scenario save (and completing an assessment) conflicts,
//! audits and retries the same way. Expected version 0 means "create": only
//! the profile sections, which are inserted on their first save, use it;
//! every other table starts at version 1, so a write at 0 finds no row and
//! is a conflict.

use std::future::Future;

use serde::Serialize;
use sqlx::{PgPool, Postgres, Transaction};

use crate::audit::{self, Action, Actor};
use crate::error::{Error, Result};
use crate::retry;

/// A record that carries the version a write produced.
pub trait HasVersion {
    fn version(&self) -> i32;
}

/// A write that answers with the new version alone.
impl HasVersion for i32 {
    fn version(&self) -> i32 {
        *self
    }
}

/// Implements [`HasVersion`] for records with a `version: i32` field.
macro_rules! has_version {
    ($($record:ty),+ $(,)?) => {
        $(impl $crate::versioned::HasVersion for $record {
            fn version(&self) -> i32 {
                self.version
            }
        })+
    };
}
pub(crate) use has_version;

/// What a versioned write is about: named in metrics and in its audit row.
pub struct Target<'a> {
    /// `"<entity>.<action>"` for metrics and logs.
    pub operation: &'static str,
    pub actor: Actor,
    /// The audit row's entity kind and record key.
    pub entity: &'static str,
    pub key: &'a str,
}

/// The transaction a versioned write runs in, handed to its statements.
pub type Tx = Transaction<'static, Postgres>;

/// A connection handed to a one-statement write ([`save_in_one_statement`]).
pub type Conn = sqlx::pool::PoolConnection<Postgres>;

/// [`save`] for a write that is a single statement: `update` changes the
/// record *and* writes its audit row (a data-modifying CTE beside the
/// table's UPDATE), so it runs on its own and commits by itself: one round
/// trip instead of BEGIN, UPDATE, audit, COMMIT. When it changes no row,
/// `current` reads the record for the 409 (none: 404). A connection lost
/// once the statement was sent is [`Error::OutcomeUnknown`], as a lost
/// COMMIT is in [`save`]; a connection that could not be had is retried.
pub async fn save_in_one_statement<T, C, Update, Current>(
    pool: &PgPool,
    operation: &'static str,
    update: impl Fn(Conn) -> Update,
    current: impl Fn(Conn) -> Current,
) -> Result<T>
where
    C: Serialize,
    Update: Future<Output = Result<Option<T>>>,
    Current: Future<Output = Result<Option<C>>>,
{
    let (update, current) = (&update, &current);
    retry::versioned(operation, move || async move {
        let conn = retry::acquire(pool).await?;
        match update(conn).await.map_err(retry::outcome_unknown_if_sent)? {
            Some(saved) => Ok(saved),
            None => Err(Error::stale(current(retry::acquire(pool).await?).await?)),
        }
    })
    .await
}

/// Runs `update` (an `UPDATE … WHERE version = expected RETURNING …`, or an
/// upsert when `expected_version` is 0) under the retry policy. When it
/// changes no row, `current` reads the record for the 409 (none: 404).
/// Version 0 is a first save (audited as a create); any other an update.
///
/// The statements take the transaction and hand it back (rather than
/// borrowing it) so their futures stay `Send` for axum's handlers.
pub async fn save<T, C, Update, Current>(
    pool: &PgPool,
    target: Target<'_>,
    expected_version: i32,
    update: impl Fn(Tx) -> Update,
    current: impl Fn(Tx) -> Current,
) -> Result<T>
where
    T: HasVersion,
    C: Serialize,
    Update: Future<Output = Result<(Tx, Option<T>)>>,
    Current: Future<Output = Result<Option<C>>>,
{
    let (action, old_version) =
        if expected_version == 0 { (Action::Create, None) } else { (Action::Update, Some(expected_version)) };
    let (target, update, current) = (&target, &update, &current);
    retry::versioned(target.operation, move || async move {
        let tx = retry::begin(pool).await?;
        let (mut tx, saved) = update(tx).await?;
        let Some(saved) = saved else {
            return Err(Error::stale(current(tx).await?));
        };
        let new_version = Some(saved.version());
        audit::record(&mut tx, target.actor, target.entity, target.key, action, old_version, new_version).await?;
        retry::commit(tx).await?;
        Ok(saved)
    })
    .await
}
