//! The connection pools behind [`Database`](super::Database): one kind per backend, each
//! connection set up as it opens (statement counting, timeouts, read-only access).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use deadpool::Runtime;
use diesel::Connection;
use diesel_async::pooled_connection::deadpool::Pool;
use diesel_async::pooled_connection::{AsyncDieselConnectionManager, ManagerConfig};
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{AsyncPgConnection, SimpleAsyncConnection};
use futures_util::FutureExt;

use super::connect::{Access, connect_pg, open_sqlite, tls_connector};
use super::{DatabaseUrl, DbConn, DbSettings, OpenError, SqliteConn, Unavailable};

/// Counts the statements a connection starts.
struct StatementCounter(Arc<AtomicU64>);

impl diesel::connection::Instrumentation for StatementCounter {
    fn on_connection_event(&mut self, event: diesel::connection::InstrumentationEvent<'_>) {
        if let diesel::connection::InstrumentationEvent::StartQuery { .. } = event {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// A pool of connections to one of the two backends.
#[derive(Clone)]
pub(super) enum Pools {
    Pg(Pool<AsyncPgConnection>),
    Sqlite(Pool<SqliteConn>),
}

/// A pool of `size` connections with the configured timeouts (deadpool needs its runtime
/// named for timeouts to apply). A macro: the bounds of a generic version would be longer
/// than its body.
macro_rules! pool_of {
    ($manager:expr, $settings:expr, $size:expr) => {
        Pool::builder($manager)
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
    pub(super) fn size(&self) -> usize {
        match self {
            Pools::Pg(pool) => pool.status().size,
            Pools::Sqlite(pool) => pool.status().size,
        }
    }

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
                config.custom_setup = Box::new(move |url| {
                    let url = url.to_owned();
                    let tls = tls.clone();
                    let statements = statements.clone();
                    async move {
                        let mut conn = connect_pg(&url, tls).await?;
                        diesel_async::AsyncConnection::set_instrumentation(
                            &mut conn,
                            StatementCounter(statements),
                        );
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
                Ok(Self::Pg(pool_of!(manager, settings, size)?))
            }
            DatabaseUrl::Sqlite(path) => {
                // SQLite has one writer at a time, so writers queue on busy_timeout; a request
                // that waits longer than its deadline answers UNAVAILABLE at the deadline.
                let busy = settings.statement_timeout;
                let mut config = ManagerConfig::<SqliteConn>::default();
                config.custom_setup = Box::new(move |path| {
                    let path = path.to_owned();
                    let statements = statements.clone();
                    async move {
                        let conn = tokio::task::spawn_blocking(move || {
                            let mut conn = open_sqlite(&path, busy, access)?;
                            conn.set_instrumentation(StatementCounter(statements));
                            Ok::<_, diesel::ConnectionError>(conn)
                        })
                        .await
                        .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))??;
                        Ok(SyncConnectionWrapper::new(conn))
                    }
                    .boxed()
                });
                let manager = AsyncDieselConnectionManager::new_with_config(
                    path.to_string_lossy().into_owned(),
                    config,
                );
                Ok(Self::Sqlite(pool_of!(manager, settings, size)?))
            }
        }
    }

    pub(super) async fn get(&self) -> Result<DbConn, Unavailable> {
        match self {
            Self::Pg(pool) => pool.get().await.map(|c| DbConn::Pg(Box::new(c))),
            Self::Sqlite(pool) => pool.get().await.map(DbConn::Sqlite),
        }
        .map_err(|e| Unavailable(e.to_string()))
    }

    pub(super) fn close(&self) {
        match self {
            Self::Pg(pool) => pool.close(),
            Self::Sqlite(pool) => pool.close(),
        }
    }
}
