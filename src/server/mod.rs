//! The HTTP server: routes, shared state, and an orderly shutdown (readiness fails first,
//! then the listener closes and in-flight requests finish).

mod graphiql;
mod health;
pub mod http_graphql;
mod request_log;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::middleware::{Compress, from_fn};
use actix_web::{App, HttpServer, web};

use crate::db::Database;
use crate::graphql::{AppSchema, Limits, build_schema};

/// What the server needs besides the database.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    pub bind: SocketAddr,
    /// HTTP worker threads; 0 means one per core.
    pub workers: usize,
    pub body_limit: usize,
    /// Largest document a multipart upload may carry, in bytes.
    pub max_document_bytes: usize,
    /// How long a transfer stays REQUESTED before it expires.
    pub transfer_validity: Duration,
    /// How often the background sweeper expires overdue transfers.
    pub expiry_sweep_interval: Duration,
    pub limits: Limits,
    pub shutdown_grace: Duration,
    pub shutdown_timeout: Duration,
}

impl ServerSettings {
    /// Defaults suited to tests and local runs, listening on `bind`.
    pub fn local(bind: SocketAddr) -> Self {
        Self {
            bind,
            workers: 2,
            body_limit: 1_048_576,
            max_document_bytes: 10 * 1024 * 1024,
            transfer_validity: Duration::from_secs(300),
            expiry_sweep_interval: Duration::from_secs(5),
            limits: Limits::default(),
            shutdown_grace: Duration::ZERO,
            shutdown_timeout: Duration::from_secs(5),
        }
    }
}

/// State shared by every worker.
pub struct AppState {
    pub schema: AppSchema,
    pub db: Database,
    pub body_limit: usize,
    pub max_document_bytes: usize,
    pub transfer_validity: Duration,
    draining: Arc<AtomicBool>,
}

impl AppState {
    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }
}

/// A started server.
pub struct RunningServer {
    /// The address actually bound (useful with port 0).
    pub addr: SocketAddr,
    handle: ServerHandle,
    draining: Arc<AtomicBool>,
    grace: Duration,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    sweeper: tokio::task::JoinHandle<()>,
    db: Database,
}

impl RunningServer {
    /// Graceful stop: /readyz answers 503 for the grace period, then the listener closes,
    /// in-flight requests finish (up to the shutdown timeout), and the pool closes.
    pub async fn shutdown(self) -> std::io::Result<()> {
        self.draining.store(true, Ordering::SeqCst);
        tracing::info!(
            grace_ms = self.grace.as_millis() as u64,
            "shutting down: readiness now fails"
        );
        tokio::time::sleep(self.grace).await;
        self.handle.stop(true).await;
        self.sweeper.abort();
        let result = self
            .task
            .await
            .unwrap_or_else(|e| Err(std::io::Error::other(e)));
        self.db.close();
        tracing::info!("shut down");
        result
    }

    /// Waits until the server stops on its own (it does not, unless it fails).
    pub async fn wait(&mut self) -> std::io::Result<()> {
        (&mut self.task)
            .await
            .unwrap_or_else(|e| Err(std::io::Error::other(e)))
    }
}

/// Binds and starts serving. The server runs on its own worker threads.
pub fn start(settings: &ServerSettings, db: Database) -> std::io::Result<RunningServer> {
    let draining = Arc::new(AtomicBool::new(false));
    let state = web::Data::new(AppState {
        schema: build_schema(settings.limits),
        db: db.clone(),
        body_limit: settings.body_limit,
        max_document_bytes: settings.max_document_bytes,
        transfer_validity: settings.transfer_validity,
        draining: draining.clone(),
    });
    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .wrap(from_fn(request_log::log_request))
            .wrap(Compress::default())
            .service(
                web::resource("/graphql")
                    .wrap(from_fn(http_graphql::require_api_key))
                    .route(web::post().to(http_graphql::post))
                    .route(web::get().to(http_graphql::get))
                    .default_service(web::to(method_not_allowed)),
            )
            .route("/", web::get().to(graphiql::page))
            .route("/graphiql", web::get().to(graphiql::page))
            .route("/graphiql/assets/{name}", web::get().to(graphiql::asset))
            .route("/healthz", web::get().to(health::healthz))
            .route("/readyz", web::get().to(health::readyz))
    })
    .disable_signals()
    .shutdown_timeout(settings.shutdown_timeout.as_secs());
    if settings.workers > 0 {
        server = server.workers(settings.workers);
    }
    let server = server.bind(settings.bind)?;
    let addr = server.addrs().first().copied().unwrap_or(settings.bind);
    let server = server.run();
    let handle = server.handle();
    let task = tokio::spawn(server);
    let sweeper = tokio::spawn(sweep_expired_transfers(
        db.clone(),
        settings.expiry_sweep_interval,
    ));
    Ok(RunningServer {
        addr,
        handle,
        draining,
        grace: settings.shutdown_grace,
        task,
        sweeper,
        db,
    })
}

/// Expires overdue transfers (releasing their holds) every `interval`, for as long as the
/// server runs. Each expiry is a compare-and-set, so requests that expire the same transfer
/// on access, or several servers sweeping one database, never release a hold twice.
async fn sweep_expired_transfers(db: Database, interval: Duration) {
    const BATCH: i64 = 500;
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let swept = async {
            let mut pooled = db.conn().await?;
            crate::store::transfers::expire_due(&mut pooled.conn(), BATCH).await
        }
        .await;
        match swept {
            Ok(0) => {}
            Ok(expired) => tracing::info!(expired, "expired overdue transfers"),
            Err(error) => tracing::warn!(?error, "transfer expiry sweep failed"),
        }
    }
}

async fn method_not_allowed() -> actix_web::HttpResponse {
    let mut response = http_graphql::error_response(
        actix_web::http::StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
        "use POST (or GET for queries)",
    );
    response.headers_mut().insert(
        actix_web::http::header::ALLOW,
        actix_web::http::header::HeaderValue::from_static("GET, POST"),
    );
    response
}
