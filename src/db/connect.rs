//! Opening connections: PostgreSQL over TLS as the URL's `sslmode` asks, SQLite with our
//! pragmas and owner-only file modes, and the embedded migrations applied at start.

use std::path::PathBuf;
use std::time::Duration;

use diesel::{Connection, RunQueryDsl, SqliteConnection};
use diesel_async::AsyncPgConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::{DatabaseUrl, DbSettings, OpenError};

const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// What a pool's connections may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Access {
    Write,
    /// Read only: a write statement fails.
    Read,
}

/// The TLS setup for PostgreSQL: the public web roots plus any CAs in `ca_file`. The URL's
/// `sslmode` decides whether TLS is used: `disable`, `prefer` (the default: TLS when the server
/// offers it) or `require`. Certificates are always verified when TLS is used.
pub(super) fn tls_connector(
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
pub(super) async fn connect_pg(
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
pub(super) fn open_sqlite(
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
        // Each connection keeps a page cache of its own, and the operating system's cache
        // already holds the file: 512 KiB each rather than SQLite's default 2 MiB, which
        // kept the server above 100 MB under load.
        "PRAGMA cache_size = -512".to_owned(),
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
pub(super) async fn migrate(settings: &DbSettings) -> Result<(), OpenError> {
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
                // SQLite keeps no statistics by itself: gather those that are missing or
                // stale now (bounded work), and again periodically (`Database::optimize`).
                diesel::sql_query("PRAGMA optimize = 0x10002")
                    .execute(&mut conn)
                    .map_err(|e| OpenError::Migrate(format!("PRAGMA optimize: {e}")))?;
            }
        }
        Ok(())
    })
    .await;
    joined.map_err(|e| OpenError::Migrate(e.to_string()))?
}
