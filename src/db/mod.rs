//! The database layer: one code base over PostgreSQL and SQLite, chosen at run time.
//! Pools, the connection enum and its dispatch macros, migrations and pragmas live here;
//! queries live in `store/`.

mod connect;
pub(crate) mod mappings;
mod pools;
pub mod raw;
pub(crate) mod schema;
pub mod statements;
pub mod types;
mod url;

pub use url::{Backend, DatabaseUrl};

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use diesel::SqliteConnection;
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{AsyncPgConnection, SimpleAsyncConnection};

use connect::{Access, migrate};
use pools::Pools;

/// Runs `$body` with `$c` bound to the backend's own connection type; each arm is
/// type-checked for its backend, so a query written once serves both.
/// `$conn` is a `&mut Conn<'_>`.
macro_rules! dispatch {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            $crate::db::Conn::Pg(inner) => {
                let $c: &mut diesel_async::AsyncPgConnection = &mut **inner;
                $body
            }
            $crate::db::Conn::Sqlite(inner) => {
                let $c: &mut $crate::db::SqliteConn = &mut **inner;
                $body
            }
        }
    };
}
pub(crate) use dispatch;

/// No connection could be had: the pool timed out, or the database is unreachable (why, for
/// the logs).
#[derive(Debug, Clone, thiserror::Error)]
#[error("database unavailable: {0}")]
pub struct Unavailable(pub String);

/// A borrowed connection (pooled, or inside a transaction) to either backend: what every
/// store function takes.
pub enum Conn<'a> {
    Pg(&'a mut AsyncPgConnection),
    Sqlite(&'a mut SqliteConn),
}

/// An SQLite connection usable from async code (queries run on the blocking pool).
pub type SqliteConn = SyncConnectionWrapper<SqliteConnection>;

/// Pool and connection settings.
#[derive(Debug, Clone)]
pub struct DbSettings {
    pub url: DatabaseUrl,
    pub pool_size: usize,
    /// How long a request waits for a pooled connection (and for a new one to open).
    pub acquire_timeout: Duration,
    /// PostgreSQL `statement_timeout`; SQLite's `busy_timeout`.
    pub statement_timeout: Duration,
    /// Extra CA certificates (PEM) trusted for PostgreSQL TLS, beside the public roots.
    pub ca_file: Option<PathBuf>,
}

/// Errors while opening the database at start.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("cannot connect to the database: {0}")]
    Connect(String),
    #[error("cannot apply migrations: {0}")]
    Migrate(String),
    #[error("cannot build the connection pool: {0}")]
    Pool(String),
}

/// Connections to the database: the main pool that writes use, a pool of read-only
/// connections for reads (a write slipped into a read fails loudly), and a one-connection
/// pool kept for `/readyz`, so that a busy main pool does not make a healthy server look down.
#[derive(Clone)]
pub struct Database {
    main: Pools,
    read: Pools,
    health: Pools,
    /// Statements started on the main pool's connections (for statement-count tests and
    /// diagnostics; one relaxed atomic add per statement).
    statements: Arc<AtomicU64>,
    /// The supported asset types and their decimal places: data that only a migration
    /// changes, read once at start.
    assets: Arc<Vec<(String, u32)>>,
    /// SQLite's one writer, taken in turn in the process: writers queue here in order
    /// instead of polling SQLite's lock on `busy_timeout` (which backs off up to 100 ms a
    /// try, so that many concurrent writers leave the lock idle). `None` on PostgreSQL.
    write_turn: Option<Arc<tokio::sync::Mutex<()>>>,
    /// Bumped after every unit of work this process commits, so that event followers
    /// (webhook deliverer, subscriptions) wake at once; other replicas' commits are found by
    /// polling.
    committed: Arc<tokio::sync::watch::Sender<u64>>,
}

/// One connection checked out of the pool; returned to it when dropped.
pub enum DbConn {
    /// Boxed: a PostgreSQL connection is several times larger than an SQLite handle.
    Pg(Box<pools::PgObject>),
    Sqlite(pools::SqliteObject),
}

impl DbConn {
    /// The connection as the store takes it.
    pub fn conn(&mut self) -> Conn<'_> {
        match self {
            Self::Pg(object) => Conn::Pg(object),
            Self::Sqlite(object) => Conn::Sqlite(object),
        }
    }
}

impl Database {
    /// Applies pending migrations, then builds the pools.
    pub async fn open(settings: &DbSettings) -> Result<Self, OpenError> {
        migrate(settings).await?;
        let statements = Arc::new(AtomicU64::new(0));
        let mut database = Self {
            main: Pools::build(
                settings,
                settings.pool_size,
                statements.clone(),
                Access::Write,
            )?,
            read: Pools::build(
                settings,
                settings.pool_size,
                statements.clone(),
                Access::Read,
            )?,
            health: Pools::build(settings, 1, Arc::new(AtomicU64::new(0)), Access::Read)?,
            write_turn: (settings.url.backend() == Backend::Sqlite)
                .then(|| Arc::new(tokio::sync::Mutex::new(()))),
            committed: Arc::new(tokio::sync::watch::Sender::new(0)),
            statements,
            assets: Arc::default(),
        };
        let assets = database
            .load_asset_types()
            .await
            .map_err(|e| OpenError::Connect(format!("cannot read the asset types: {e}")))?;
        database.assets = Arc::new(assets);
        Ok(database)
    }

    async fn load_asset_types(&self) -> Result<Vec<(String, u32)>, String> {
        use diesel::QueryDsl;
        use schema::asset_types;
        let mut pooled = self.conn().await.map_err(|e| e.0)?;
        let rows: Vec<(String, i32)> = dispatch!(&mut pooled.conn(), c => {
            diesel_async::RunQueryDsl::load(
                asset_types::table
                    .order(asset_types::id)
                    .select((asset_types::id, asset_types::decimals)),
                c,
            )
            .await
            .map_err(|e| e.to_string())?
        });
        Ok(rows
            .into_iter()
            .map(|(id, decimals)| (id, u32::try_from(decimals).unwrap_or(0)))
            .collect())
    }

    /// Says that a unit of work that wrote events committed.
    pub fn note_commit(&self) {
        self.committed.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// A receiver that changes after each commit [`Database::note_commit`] reports.
    pub fn commits(&self) -> tokio::sync::watch::Receiver<u64> {
        self.committed.subscribe()
    }

    /// Waits for this process's turn to write (SQLite; at once on PostgreSQL), held until
    /// the guard drops: a unit of work takes it around its transaction.
    pub async fn write_turn(&self) -> Option<tokio::sync::OwnedMutexGuard<()>> {
        match &self.write_turn {
            Some(turn) => Some(turn.clone().lock_owned().await),
            None => None,
        }
    }

    /// The supported asset types and their decimal places, by id.
    pub fn asset_types(&self) -> &[(String, u32)] {
        &self.assets
    }

    /// The decimal places of a supported asset type; `None` when it is not supported.
    pub fn asset_decimals(&self, asset_type_id: &str) -> Option<u32> {
        self.assets
            .iter()
            .find(|(id, _)| id == asset_type_id)
            .map(|(_, decimals)| *decimals)
    }

    pub fn backend(&self) -> Backend {
        match self.main {
            Pools::Pg(_) => Backend::Postgres,
            Pools::Sqlite(_) => Backend::Sqlite,
        }
    }

    /// How many statements the main pool's connections have started so far.
    pub fn statements_executed(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    /// A connection from the main pool, waiting at most the configured acquire timeout: for
    /// the operations, which write through `ops::uow`.
    pub async fn conn(&self) -> Result<DbConn, Unavailable> {
        self.main.get().await
    }

    /// A read-only connection (PostgreSQL `default_transaction_read_only`, SQLite
    /// `PRAGMA query_only`): what queries read with, so that a write reached from a query
    /// fails instead of happening.
    pub async fn read(&self) -> Result<DbConn, Unavailable> {
        self.read.get().await
    }

    /// True when every connection of the main or the read pool is in use and requests wait
    /// for one.
    pub fn saturated(&self) -> bool {
        self.main.saturated() || self.read.saturated()
    }

    /// True when the database answers a trivial query (on the health connection).
    pub async fn ping(&self) -> bool {
        let Ok(mut pooled) = self.health.get().await else {
            return false;
        };
        let result: Result<(), diesel::result::Error> = dispatch!(&mut pooled.conn(), c => {
            c.batch_execute("SELECT 1").await
        });
        result.is_ok()
    }

    /// Closes the connections of every pool left unused for longer than a few minutes (run
    /// in the background: a connection is never checked with a statement when it is taken).
    pub fn close_idle(&self) {
        self.main.close_idle();
        self.read.close_idle();
        self.health.close_idle();
    }

    /// Refreshes the query planner's statistics where they are stale: SQLite's
    /// `PRAGMA optimize` (cheap when little changed), in this process's write turn.
    /// PostgreSQL's autovacuum does this by itself.
    pub async fn optimize(&self) -> Result<(), Unavailable> {
        if self.backend() == Backend::Postgres {
            return Ok(());
        }
        let _turn = self.write_turn().await;
        let mut pooled = self.conn().await?;
        let result: Result<(), diesel::result::Error> = dispatch!(&mut pooled.conn(), c => {
            c.batch_execute("PRAGMA optimize").await
        });
        result.map_err(|e| Unavailable(format!("PRAGMA optimize: {e}")))
    }

    /// Closes the pools: idle connections are dropped, and new checkouts fail.
    pub fn close(&self) {
        self.main.close();
        self.read.close();
        self.health.close();
    }
}
