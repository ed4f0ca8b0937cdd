//! The connection pools behind [`Database`](super::Database): one kind per backend, each
//! connection set up as it opens (statement counting, timeouts, read-only access).
//!
//! A connection is recycled without a statement: diesel-async's fast check only refuses
//! one that is broken (its socket closed, or left inside a transaction by work that
//! stopped). A connection the server dropped meanwhile fails the one request that uses it
//! next and is then discarded; connections idle for longer than [`MAX_IDLE`] are closed in
//! the background ([`Pools::close_idle`]) so that few are ever stale.

use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use deadpool::Runtime;
use deadpool::managed::{Manager, Metrics, Object, Pool, RecycleResult};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use futures_util::FutureExt;

use super::connect::{Access, connect_pg, open_sqlite, tls_connector};
use super::statements::StatementCounter;
use super::{DatabaseUrl, DbConn, DbSettings, OpenError, SqliteConn, Unavailable};

/// How long a pooled connection may sit unused before it is closed.
pub(super) const MAX_IDLE: Duration = Duration::from_secs(300);

/// Which request a connection's statements count for: set at every checkout.
pub(super) type RequestSlot = Arc<Mutex<Option<Arc<AtomicU64>>>>;

/// A pooled connection and the slot its statement counter reads.
pub struct Counted<C> {
    conn: C,
    slot: RequestSlot,
}

impl<C> std::ops::Deref for Counted<C> {
    type Target = C;
    fn deref(&self) -> &C {
        &self.conn
    }
}

impl<C> std::ops::DerefMut for Counted<C> {
    fn deref_mut(&mut self) -> &mut C {
        &mut self.conn
    }
}

/// A connection manager (diesel-async's), with a statement counter on every connection it
/// opens.
pub struct Counting<M> {
    inner: M,
    total: Arc<AtomicU64>,
}

impl<M> Manager for Counting<M>
where
    M: Manager,
    M::Type: AsyncConnection,
{
    type Type = Counted<M::Type>;
    type Error = M::Error;

    async fn create(&self) -> Result<Counted<M::Type>, M::Error> {
        let mut conn = self.inner.create().await?;
        let slot = RequestSlot::default();
        // A new connection has no query running, so its instrumentation can be set.
        conn.set_instrumentation(StatementCounter {
            total: self.total.clone(),
            request: slot.clone(),
        });
        Ok(Counted { conn, slot })
    }

    async fn recycle(
        &self,
        obj: &mut Counted<M::Type>,
        metrics: &Metrics,
    ) -> RecycleResult<M::Error> {
        self.inner.recycle(&mut obj.conn, metrics).await
    }
}

/// A checked-out PostgreSQL connection.
pub type PgObject = Object<Counting<AsyncDieselConnectionManager<AsyncPgConnection>>>;
/// A checked-out SQLite connection.
pub type SqliteObject = Object<Counting<AsyncDieselConnectionManager<SqliteConn>>>;

/// A pool of connections to one of the two backends.
#[derive(Clone)]
pub(super) enum Pools {
    Pg(Pool<Counting<AsyncDieselConnectionManager<AsyncPgConnection>>>),
    Sqlite(Pool<Counting<AsyncDieselConnectionManager<SqliteConn>>>),
}

/// A pool of `size` connections with the configured timeouts (deadpool needs its runtime
/// named for timeouts to apply). A macro: the bounds of a generic version would be longer
/// than its body.
macro_rules! pool_of {
    ($manager:expr, $statements:expr, $settings:expr, $size:expr) => {
        Pool::builder(Counting {
            inner: $manager,
            total: $statements,
        })
        .max_size($size)
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some($settings.acquire_timeout))
        .create_timeout(Some($settings.acquire_timeout))
        .recycle_timeout(Some($settings.acquire_timeout))
        .build()
        .map_err(|e| OpenError::Pool(e.to_string()))
    };
}

impl Pools {
    pub(super) fn saturated(&self) -> bool {
        let status = match self {
            Pools::Pg(pool) => pool.status(),
            Pools::Sqlite(pool) => pool.status(),
        };
        status.available == 0 && status.waiting > 0 && status.size >= status.max_size
    }

    pub(super) fn build(
        settings: &DbSettings,
        size: usize,
        statements: Arc<AtomicU64>,
        access: Access,
    ) -> Result<Self, OpenError> {
        match &settings.url {
            DatabaseUrl::Postgres(url) => {
                let timeout_ms = settings.statement_timeout.as_millis();
                let tls = tls_connector(settings.ca_file.as_deref())?;
                let mut config = ManagerConfig::<AsyncPgConnection>::default();
                config.recycling_method = RecyclingMethod::Fast;
                config.custom_setup = Box::new(move |url| {
                    let url = url.to_owned();
                    let tls = tls.clone();
                    async move {
                        let mut conn = connect_pg(&url, tls).await?;
                        // A lock wait gives up well before the statement timeout, so a
                        // locked table answers UNAVAILABLE instead of holding connections.
                        let lock_ms = (timeout_ms / 4).max(1);
                        let read_only = match access {
                            Access::Read => "SET default_transaction_read_only = on; ",
                            Access::Write => "",
                        };
                        conn.batch_execute(&format!(
                            "{read_only}SET statement_timeout = {timeout_ms}; \
                             SET lock_timeout = {lock_ms}; SET TIME ZONE 'UTC'"
                        ))
                        .await
                        .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))?;
                        Ok(conn)
                    }
                    .boxed()
                });
                let manager = AsyncDieselConnectionManager::new_with_config(url.clone(), config);
                Ok(Self::Pg(pool_of!(manager, statements, settings, size)?))
            }
            DatabaseUrl::Sqlite(path) => {
                // SQLite has one writer at a time, so writers queue on busy_timeout; a request
                // that waits longer than its deadline answers UNAVAILABLE at the deadline.
                let busy = settings.statement_timeout;
                let mut config = ManagerConfig::<SqliteConn>::default();
                config.recycling_method = RecyclingMethod::Fast;
                config.custom_setup = Box::new(move |path| {
                    let path = path.to_owned();
                    async move {
                        let conn =
                            tokio::task::spawn_blocking(move || open_sqlite(&path, busy, access))
                                .await
                                .map_err(|e| {
                                    diesel::ConnectionError::BadConnection(e.to_string())
                                })??;
                        Ok(SyncConnectionWrapper::new(conn))
                    }
                    .boxed()
                });
                let manager = AsyncDieselConnectionManager::new_with_config(
                    path.to_string_lossy().into_owned(),
                    config,
                );
                Ok(Self::Sqlite(pool_of!(manager, statements, settings, size)?))
            }
        }
    }

    pub(super) async fn get(&self) -> Result<DbConn, Unavailable> {
        let mut conn = match self {
            Self::Pg(pool) => pool.get().await.map(|c| DbConn::Pg(Box::new(c))),
            Self::Sqlite(pool) => pool.get().await.map(DbConn::Sqlite),
        }
        .map_err(|e| Unavailable(e.to_string()))?;
        let slot = match &mut conn {
            DbConn::Pg(object) => &object.slot,
            DbConn::Sqlite(object) => &object.slot,
        };
        *slot.lock().unwrap_or_else(PoisonError::into_inner) = super::statements::current();
        Ok(conn)
    }

    /// Closes the connections that have been idle for longer than [`MAX_IDLE`].
    pub(super) fn close_idle(&self) {
        let fresh = |metrics: &Metrics| metrics.last_used() < MAX_IDLE;
        match self {
            Self::Pg(pool) => {
                pool.retain(|_, metrics| fresh(&metrics));
            }
            Self::Sqlite(pool) => {
                pool.retain(|_, metrics| fresh(&metrics));
            }
        }
    }

    pub(super) fn close(&self) {
        match self {
            Self::Pg(pool) => pool.close(),
            Self::Sqlite(pool) => pool.close(),
        }
    }
}
