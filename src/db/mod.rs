//! The database layer: one code base over PostgreSQL and SQLite, chosen at run time.
//! Pools, the connection enum and its dispatch macros, migrations and pragmas live here;
//! queries live in `store/`.

pub(crate) mod mappings;
pub(crate) mod schema;
pub mod types;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use deadpool::Runtime;
use diesel::{Connection, RunQueryDsl, SqliteConnection};
use diesel_async::pooled_connection::deadpool::{Object, Pool};
use diesel_async::pooled_connection::{AsyncDieselConnectionManager, ManagerConfig};
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{AsyncPgConnection, SimpleAsyncConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use futures_util::FutureExt;

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

const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// An SQLite connection usable from async code (queries run on the blocking pool).
pub type SqliteConn = SyncConnectionWrapper<SqliteConnection>;

/// Which database engine a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

/// A parsed `DATABASE_URL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// `postgres://…` or `postgresql://…`, passed to the driver as it is.
    Postgres(String),
    /// `sqlite://path/to/file.db` (or `sqlite:path`): an embedded database file.
    Sqlite(PathBuf),
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> Result<Self, String> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres(url.to_owned()));
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .ok_or_else(|| {
                "DATABASE_URL must start with postgres://, postgresql:// or sqlite://".to_owned()
            })?;
        if path.is_empty() || path.starts_with(":memory:") {
            return Err(
                "an SQLite DATABASE_URL needs a file path (each pooled connection to :memory: \
                 would be a separate database)"
                    .to_owned(),
            );
        }
        Ok(Self::Sqlite(PathBuf::from(path)))
    }

    pub fn backend(&self) -> Backend {
        match self {
            Self::Postgres(_) => Backend::Postgres,
            Self::Sqlite(_) => Backend::Sqlite,
        }
    }

    /// The URL with any password (in the user info or a `password=` parameter) replaced,
    /// safe to log.
    pub fn redacted(&self) -> String {
        match self {
            Self::Sqlite(path) => format!("sqlite://{}", path.display()),
            Self::Postgres(url) => {
                let (base, query) = url.split_once('?').unwrap_or((url, ""));
                let base = match (base.find("://"), base.rfind('@')) {
                    (Some(scheme_end), Some(at)) if at > scheme_end => {
                        let userinfo = &base[scheme_end + 3..at];
                        match userinfo.split_once(':') {
                            Some((user, _)) => {
                                format!("{}{user}:***{}", &base[..scheme_end + 3], &base[at..])
                            }
                            None => base.to_owned(),
                        }
                    }
                    _ => base.to_owned(),
                };
                if query.is_empty() {
                    return base;
                }
                let query: Vec<String> = query
                    .split('&')
                    .map(|pair| match pair.split_once('=') {
                        Some((key, _)) if key.eq_ignore_ascii_case("password") => {
                            format!("{key}=***")
                        }
                        _ => pair.to_owned(),
                    })
                    .collect();
                format!("{base}?{}", query.join("&"))
            }
        }
    }
}

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
}

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
enum Pools {
    Pg(Pool<AsyncPgConnection>),
    Sqlite(Pool<SqliteConn>),
}

/// One connection checked out of the pool; returned to it when dropped.
pub enum DbConn {
    /// Boxed: a PostgreSQL connection is several times larger than an SQLite handle.
    Pg(Box<Object<AsyncPgConnection>>),
    Sqlite(Object<SqliteConn>),
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

    /// How many connections the main and the read pool hold now. A new connection skips the
    /// ping of a recycled one, so statement counts compare only while this stays the same.
    pub fn connections_open(&self) -> usize {
        self.main.size() + self.read.size()
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

    /// Closes the pools: idle connections are dropped, and new checkouts fail.
    pub fn close(&self) {
        self.main.close();
        self.read.close();
        self.health.close();
    }
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

/// What a pool's connections may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    Write,
    /// Read only: a write statement fails.
    Read,
}

impl Pools {
    fn size(&self) -> usize {
        match self {
            Pools::Pg(pool) => pool.status().size,
            Pools::Sqlite(pool) => pool.status().size,
        }
    }

    fn saturated(&self) -> bool {
        let status = match self {
            Pools::Pg(pool) => pool.status(),
            Pools::Sqlite(pool) => pool.status(),
        };
        status.available == 0 && status.waiting > 0 && status.size >= status.max_size
    }

    fn build(
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

    async fn get(&self) -> Result<DbConn, Unavailable> {
        match self {
            Self::Pg(pool) => pool.get().await.map(|c| DbConn::Pg(Box::new(c))),
            Self::Sqlite(pool) => pool.get().await.map(DbConn::Sqlite),
        }
        .map_err(|e| Unavailable(e.to_string()))
    }

    fn close(&self) {
        match self {
            Self::Pg(pool) => pool.close(),
            Self::Sqlite(pool) => pool.close(),
        }
    }
}

/// The TLS setup for PostgreSQL: the public web roots plus any CAs in `ca_file`. The URL's
/// `sslmode` decides whether TLS is used: `disable`, `prefer` (the default: TLS when the server
/// offers it) or `require`. Certificates are always verified when TLS is used.
fn tls_connector(
    ca_file: Option<&std::path::Path>,
) -> Result<tokio_postgres_rustls::MakeRustlsConnect, OpenError> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = ca_file {
        let certs = CertificateDer::pem_file_iter(path)
            .map_err(|e| OpenError::Connect(format!("CA file {}: {e}", path.display())))?;
        for cert in certs {
            let cert =
                cert.map_err(|e| OpenError::Connect(format!("CA file {}: {e}", path.display())))?;
            roots
                .add(cert)
                .map_err(|e| OpenError::Connect(format!("CA file {}: {e}", path.display())))?;
        }
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| OpenError::Connect(format!("TLS setup: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

/// Opens a PostgreSQL connection with TLS as the URL's `sslmode` asks.
async fn connect_pg(
    url: &str,
    tls: tokio_postgres_rustls::MakeRustlsConnect,
) -> diesel::ConnectionResult<AsyncPgConnection> {
    let (client, connection) = tokio_postgres::connect(url, tls).await.map_err(|e| {
        // tokio-postgres keeps the cause (e.g. the certificate problem) in the source chain.
        let mut message = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        diesel::ConnectionError::BadConnection(message)
    })?;
    AsyncPgConnection::try_from_client_and_connection(client, connection).await
}

/// Opens an SQLite file with our pragmas, each as its own statement and in this order.
fn open_sqlite(
    path: &str,
    busy: Duration,
    access: Access,
) -> Result<SqliteConnection, diesel::ConnectionError> {
    let mut conn = SqliteConnection::establish(path)?;
    let pragmas = [
        format!("PRAGMA busy_timeout = {}", busy.as_millis()),
        "PRAGMA journal_mode = WAL".to_owned(),
        "PRAGMA synchronous = NORMAL".to_owned(),
        "PRAGMA foreign_keys = ON".to_owned(),
        format!("PRAGMA query_only = {}", access == Access::Read),
    ];
    for pragma in pragmas {
        diesel::sql_query(pragma)
            .execute(&mut conn)
            .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))?;
    }
    Ok(conn)
}

/// Makes the SQLite file readable and writable by its owner only (0600): creates it so before
/// SQLite opens it, and tightens an existing file and its `-wal`/`-shm` companions. SQLite
/// gives a new `-wal` or `-shm` file the mode of the database file, so they follow. (Not the
/// umask: that is process-wide, racy against threads creating files meanwhile, and needs
/// `unsafe`.) A file we may not chmod (someone else's) is only warned about.
fn restrict_sqlite_files(path: &std::path::Path) -> Result<(), OpenError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(path)
        .map_err(|e| OpenError::Connect(format!("{}: {e}", path.display())))?;
    #[cfg(unix)]
    for suffix in ["", "-wal", "-shm"] {
        use std::os::unix::fs::PermissionsExt;
        let mut file = path.as_os_str().to_owned();
        file.push(suffix);
        let file = PathBuf::from(file);
        let Ok(meta) = std::fs::metadata(&file) else {
            continue; // not there: SQLite creates it with the database file's mode
        };
        if meta.permissions().mode() & 0o077 != 0 {
            let tightened = std::fs::Permissions::from_mode(0o600);
            if let Err(error) = std::fs::set_permissions(&file, tightened) {
                tracing::warn!(file = %file.display(), %error, "cannot restrict to mode 0600");
            }
        }
    }
    Ok(())
}

/// Applies the embedded migrations of the URL's backend, on a blocking thread.
async fn migrate(settings: &DbSettings) -> Result<(), OpenError> {
    use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
    let url = settings.url.clone();
    let busy = settings.statement_timeout;
    let pg = match &url {
        DatabaseUrl::Postgres(url) => {
            let tls = tls_connector(settings.ca_file.as_deref())?;
            let conn = connect_pg(url, tls)
                .await
                .map_err(|e| OpenError::Connect(e.to_string()))?;
            Some(AsyncConnectionWrapper::<AsyncPgConnection>::from(conn))
        }
        DatabaseUrl::Sqlite(_) => None,
    };
    let joined = tokio::task::spawn_blocking(move || -> Result<(), OpenError> {
        match (url, pg) {
            (DatabaseUrl::Postgres(_), Some(mut conn)) => {
                // Replicas starting together take turns; the lock ends with the connection.
                diesel::sql_query("SELECT pg_advisory_lock(7263541000)")
                    .execute(&mut conn)
                    .map_err(|e| OpenError::Migrate(e.to_string()))?;
                conn.run_pending_migrations(PG_MIGRATIONS)
                    .map_err(|e| OpenError::Migrate(e.to_string()))?;
            }
            (DatabaseUrl::Postgres(_), None) => {
                return Err(OpenError::Connect("no PostgreSQL connection".into()));
            }
            (DatabaseUrl::Sqlite(path), _) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir)
                        .map_err(|e| OpenError::Connect(format!("{}: {e}", dir.display())))?;
                }
                restrict_sqlite_files(&path)?;
                let mut conn = open_sqlite(&path.to_string_lossy(), busy, Access::Write)
                    .map_err(|e| OpenError::Connect(e.to_string()))?;
                conn.run_pending_migrations(SQLITE_MIGRATIONS)
                    .map_err(|e| OpenError::Migrate(e.to_string()))?;
            }
        }
        Ok(())
    })
    .await;
    joined.map_err(|e| OpenError::Migrate(e.to_string()))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls_pick_their_backend() {
        assert_eq!(
            DatabaseUrl::parse("sqlite://data/layer2.db"),
            Ok(DatabaseUrl::Sqlite(PathBuf::from("data/layer2.db")))
        );
        assert_eq!(
            DatabaseUrl::parse("postgres://u:p@localhost/db").map(|u| u.backend()),
            Ok(Backend::Postgres)
        );
        assert!(DatabaseUrl::parse("sqlite::memory:").is_err());
        assert!(DatabaseUrl::parse("mysql://localhost/db").is_err());
    }

    #[test]
    fn redacted_url_hides_the_password() {
        let url = DatabaseUrl::parse("postgres://app:s3cret@db.internal:5432/layer2").unwrap();
        assert_eq!(url.redacted(), "postgres://app:***@db.internal:5432/layer2");
        assert!(!url.redacted().contains("s3cret"));
        let url =
            DatabaseUrl::parse("postgres://app@db/layer2?sslmode=require&password=s3cret").unwrap();
        assert_eq!(
            url.redacted(),
            "postgres://app@db/layer2?sslmode=require&password=***"
        );
    }
}
