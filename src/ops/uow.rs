//! THE write path. [`unit!`] runs one unit of work: with an idempotency key it answers a
//! replay before anything else; it opens the transaction (`BEGIN` on PostgreSQL, `BEGIN
//! IMMEDIATE` on SQLite), claims the key in it, runs the body, and commits. When PostgreSQL
//! gives up on the transaction (a serialization failure or a deadlock) it runs it again, a
//! bounded number of times with jittered backoff, then answers `CONFLICT`. A key claimed by a
//! concurrent duplicate is not an error: the claim waits for it and answers its result.

use std::time::Duration;

use crate::domain::client::Actor;
use crate::domain::ids::ClientId;
use crate::ops::{Cx, OpError, OpResult};
use crate::store::idempotency::{self, Saved};

/// How many times a transaction PostgreSQL gave up on is run in all.
pub const MAX_ATTEMPTS: u32 = 4;

/// How a unit of work ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written<T> {
    /// The body ran and committed.
    Done(T),
    /// An earlier request with the same key and the same content produced this object.
    Replayed(uuid::Uuid),
}

impl<T> Written<T> {
    /// The result of a unit of work run without an idempotency key, which cannot be a
    /// replay.
    pub fn done(self) -> OpResult<T> {
        match self {
            Self::Done(done) => Ok(done),
            Self::Replayed(_) => Err(OpError::internal(&"a write without a key was replayed")),
        }
    }
}

/// An idempotency key and what it is to name: the request it belongs to (operation and a
/// hash of its content) and the object it will produce.
#[derive(Debug, Clone)]
pub struct Idempotency {
    pub client: ClientId,
    pub issuer: Actor,
    pub key: String,
    pub operation: &'static str,
    pub hash: String,
    /// The id of the object the request produces, chosen before it runs.
    pub result: uuid::Uuid,
}

impl Idempotency {
    /// The key `key` of `cx`'s caller for `operation` on `client`'s data, with the request's
    /// content (`arguments`, each in full) and the id of what it will produce.
    pub fn new(
        cx: &Cx<'_>,
        client: ClientId,
        key: &str,
        operation: &'static str,
        arguments: &[&str],
        result: uuid::Uuid,
    ) -> Self {
        Self {
            client,
            issuer: cx.principal.actor(),
            key: key.to_owned(),
            operation,
            hash: idempotency::request_hash(operation, arguments),
            result,
        }
    }
}

impl Idempotency {
    /// [`Idempotency::new`] for an operation whose key is optional: `None` without a key, or
    /// when the caller names no client it can reach (the operation then finds nothing).
    pub fn optional(
        cx: &Cx<'_>,
        key: Option<&str>,
        client: Option<ClientId>,
        operation: &'static str,
        arguments: &[&str],
        result: uuid::Uuid,
    ) -> OpResult<Option<Self>> {
        let client = crate::ops::target_client(cx.principal, client)?;
        Ok(match (key, client) {
            (Some(key), Some(client)) => {
                Some(Self::new(cx, client, key, operation, arguments, result))
            }
            _ => None,
        })
    }
}

/// What an earlier request with this key produced, when it was this same request;
/// `IDEMPOTENCY_KEY_REUSED` when it was another one.
fn judge(key: &Idempotency, saved: Option<Saved>) -> OpResult<Option<uuid::Uuid>> {
    match saved {
        None => Ok(None),
        Some(saved) if saved.operation == key.operation && saved.request_hash == key.hash => {
            Ok(Some(saved.result_id))
        }
        Some(saved) => Err(OpError::Rule {
            code: "IDEMPOTENCY_KEY_REUSED",
            message: format!(
                "this idempotency key was used for a different request ({}); use a new key \
                 for a new request",
                saved.operation
            ),
        }),
    }
}

/// The replay check made before the transaction (no lock is taken for a replay).
pub async fn replayed(cx: &Cx<'_>, key: &Idempotency) -> OpResult<Option<uuid::Uuid>> {
    let mut pooled = cx.db.conn().await?;
    let saved = idempotency::find(&mut pooled.conn(), key.client, key.issuer, &key.key).await?;
    judge(key, saved)
}

/// Claims the key inside the transaction: `None` when it is now this request's, or the
/// result of the request that holds it (a concurrent duplicate's insert waits on that row
/// and inserts nothing once it commits).
pub async fn claim(
    tx: &mut crate::db::Conn<'_>,
    cx: &Cx<'_>,
    key: &Idempotency,
) -> OpResult<Option<uuid::Uuid>> {
    let claimed = idempotency::insert(
        tx,
        &idempotency::NewKey {
            client: key.client,
            issuer: key.issuer,
            key: &key.key,
            operation: key.operation,
            request_hash: &key.hash,
            result: key.result,
            at: cx.now,
        },
    )
    .await?;
    if claimed {
        return Ok(None);
    }
    let saved = idempotency::find(tx, key.client, key.issuer, &key.key).await?;
    match judge(key, saved)? {
        Some(result) => Ok(Some(result)),
        // Inserted nothing, yet nothing is there: only a row deleted in between (swept).
        None => Err(OpError::Conflict(
            "this idempotency key changed while the request ran; retry".into(),
        )),
    }
}

/// Waits before attempt `attempt` (2, 3, …) of a transaction PostgreSQL gave up on: a
/// growing base with full jitter, so that the losers of one conflict do not meet again.
pub async fn backoff(attempt: u32) {
    let base_ms = 5u64 << attempt.min(6);
    let jitter = rand::random_range(0..=base_ms);
    tokio::time::sleep(Duration::from_millis(base_ms / 2 + jitter)).await;
}

/// Runs `$body` (an expression of type `OpResult<T>`, with `$tx: &mut Conn<'_>` bound to
/// the transaction) as one unit of work for `$cx` (a `&Cx`), with an optional idempotency
/// key (`Option<&Idempotency>`). Evaluates to `OpResult<Written<T>>`. An `Err` from the body
/// rolls everything back. The body may run more than once (see the module), so it must
/// only read and write through `$tx`.
#[rustfmt::skip] // rustfmt re-indents these bodies on every run
macro_rules! unit {
    ($cx:expr, $key:expr, $tx:ident => $body:expr) => {{
        let cx: &$crate::ops::Cx<'_> = $cx;
        let key: ::core::option::Option<&$crate::ops::uow::Idempotency> = $key;
        let mut attempt: u32 = 1;
        'uow: loop {
            if let Some(key) = key {
                match $crate::ops::uow::replayed(cx, key).await {
                    Ok(Some(result)) => break 'uow Ok($crate::ops::uow::Written::Replayed(result)),
                    Ok(None) => {}
                    Err(error) => break 'uow Err(error),
                }
            }
            let mut pooled = match cx.db.conn().await {
                Ok(pooled) => pooled,
                Err(error) => break 'uow Err(error.into()),
            };
            let turn = cx.db.write_turn().await;
            // Whether the transaction wrote events: its commit then wakes event followers.
            let evented = ::std::sync::atomic::AtomicBool::new(false);
            let outcome = $crate::ops::uow::transaction!(&mut pooled.conn(), $tx => {
                if let Some(key) = key {
                    if let Some(result) = $crate::ops::uow::claim($tx, cx, key).await? {
                        return Ok($crate::ops::uow::Written::Replayed(result));
                    }
                }
                let done = $body?;
                // Last: number this transaction's events (the counter stays locked until
                // the commit that follows).
                if $crate::store::events::seal($tx).await? > 0 {
                    evented.store(true, ::std::sync::atomic::Ordering::Relaxed);
                }
                Ok($crate::ops::uow::Written::Done(done))
            });
            match outcome {
                Err($crate::ops::OpError::Contended(why)) if attempt < $crate::ops::uow::MAX_ATTEMPTS => {
                    tracing::debug!(%why, attempt, "transaction given up by the database; retrying");
                    drop(turn);
                    drop(pooled);
                    attempt += 1;
                    $crate::ops::uow::backoff(attempt).await;
                }
                other => {
                    if matches!(other, Ok($crate::ops::uow::Written::Done(_)))
                        && evented.load(::std::sync::atomic::Ordering::Relaxed)
                    {
                        cx.db.note_commit();
                    }
                    break 'uow other;
                }
            }
        }
    }};
}
pub(crate) use unit;

/// Runs `$body` in a write transaction on `$conn` (a `&mut Conn<'_>`) with `$tx` bound to
/// it; `$body` evaluates to `OpResult<T>` and an `Err` rolls back. Only [`unit!`] uses it.
#[rustfmt::skip]
macro_rules! transaction {
    ($conn:expr, $tx:ident => $body:expr) => {
        match $conn {
            $crate::db::Conn::Pg(inner) => {
                let pg: &mut diesel_async::AsyncPgConnection = &mut **inner;
                diesel_async::AsyncConnection::transaction(
                    pg,
                    async |tx: &mut diesel_async::AsyncPgConnection|
                           -> Result<_, $crate::ops::OpError> {
                        let $tx = &mut $crate::db::Conn::Pg(tx);
                        $body
                    },
                )
                .await
            }
            $crate::db::Conn::Sqlite(inner) => {
                let lite: &mut $crate::db::SqliteConn = &mut **inner;
                lite.immediate_transaction(
                    async |tx: &mut $crate::db::SqliteConn|
                           -> Result<_, $crate::ops::OpError> {
                        let $tx = &mut $crate::db::Conn::Sqlite(tx);
                        $body
                    },
                )
                .await
            }
        }
    };
}
pub(crate) use transaction;

/// Runs `$body` (an `OpResult<T>`) in a savepoint of the transaction `$conn` (a
/// `&mut Conn<'_>`), with `$tx` bound to it: an `Err` undoes only what the body wrote, and
/// the enclosing unit of work goes on (so `acceptTransfer` can reject what it could not
/// execute under the same key, in one transaction).
#[rustfmt::skip]
macro_rules! savepoint {
    ($conn:expr, $tx:ident => $body:expr) => {
        match $conn {
            $crate::db::Conn::Pg(inner) => {
                diesel_async::AsyncConnection::transaction(
                    &mut **inner,
                    async |tx: &mut diesel_async::AsyncPgConnection|
                           -> Result<_, $crate::ops::OpError> {
                        let $tx = &mut $crate::db::Conn::Pg(tx);
                        $body
                    },
                )
                .await
            }
            $crate::db::Conn::Sqlite(inner) => {
                diesel_async::AsyncConnection::transaction(
                    &mut **inner,
                    async |tx: &mut $crate::db::SqliteConn|
                           -> Result<_, $crate::ops::OpError> {
                        let $tx = &mut $crate::db::Conn::Sqlite(tx);
                        $body
                    },
                )
                .await
            }
        }
    };
}
pub(crate) use savepoint;
