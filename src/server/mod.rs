//! The HTTP server: routes, shared state, and an orderly shutdown (readiness fails first,
//! then the listener closes and in-flight requests finish).

mod graphiql;
mod health;
pub mod http_graphql;
mod media;
mod memory;
mod request_log;
pub mod ws;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::middleware::{Compress, Condition, DefaultHeaders, from_fn};
use actix_web::{App, HttpServer, web};

use crate::db::Database;
use crate::graphql::limits::throttle::{Allowance, Allowances, Throttle};
use crate::graphql::{AppSchema, Limits, build_quiet_schema, build_schema};

/// What the server needs besides the database.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    pub bind: SocketAddr,
    /// HTTP worker threads; 0 means one per core.
    pub workers: usize,
    pub body_limit: usize,
    /// Largest document a multipart upload may carry, in bytes.
    pub max_document_bytes: usize,
    /// Uploads checked and stored at once across the server; more are refused (0: all).
    pub max_concurrent_uploads: usize,
    /// How long a transfer stays REQUESTED before it expires.
    pub transfer_validity: Duration,
    /// How often the background sweeper expires overdue transfers (and old idempotency keys).
    pub expiry_sweep_interval: Duration,
    /// How long an idempotency key is kept.
    pub idempotency_retention: Duration,
    /// How long an event is kept.
    pub event_retention: Duration,
    /// How webhooks are delivered (retry schedule, timeout, private receivers).
    pub webhooks: crate::ops::webhooks::WebhookSettings,
    /// When customers become dormant, and what counts as their activity.
    pub dormancy: crate::domain::dormancy::Dormancy,
    /// How often the dormancy job looks for customers past the period.
    pub dormancy_interval: Duration,
    /// How far a listing's `totalCount` counts before it stops.
    pub max_total_count: i64,
    /// How often the webhook deliverer looks for work besides this process's own commits
    /// (other replicas' events, retries falling due).
    pub webhook_poll_interval: Duration,
    /// Where every operation reads the time (the system's, or a test's).
    pub clock: crate::clock::SharedClock,
    pub limits: Limits,
    /// Per-key allowances (concurrency, request rate, cost rate) per environment.
    pub allowances: Allowances,
    /// Longest a request may run once its body is read.
    pub request_timeout: Duration,
    /// Longest a client may take to send a request body.
    pub body_timeout: Duration,
    /// Browser origins allowed to call /graphql; empty means CORS is off.
    pub cors_allowed_origins: Vec<String>,
    pub shutdown_grace: Duration,
    pub shutdown_timeout: Duration,
    /// GraphQL subscriptions over WebSocket: their bounds and timings.
    pub subscriptions: ws::SubscriptionSettings,
    /// How long a verified API key is trusted without a lookup (zero: every request).
    pub key_cache_ttl: Duration,
    /// Whether responses carry `extensions.statements`: the statements the request ran.
    pub report_statements: bool,
}

impl ServerSettings {
    /// Defaults suited to tests and local runs, listening on `bind`.
    pub fn local(bind: SocketAddr) -> Self {
        Self {
            bind,
            workers: 2,
            body_limit: 1_048_576,
            max_document_bytes: 10 * 1024 * 1024,
            max_concurrent_uploads: 4,
            transfer_validity: Duration::from_secs(300),
            expiry_sweep_interval: Duration::from_secs(5),
            idempotency_retention: crate::ops::Settings::default().idempotency_retention,
            event_retention: crate::ops::Settings::default().event_retention,
            webhooks: crate::ops::webhooks::WebhookSettings::default(),
            dormancy: crate::domain::dormancy::Dormancy::default(),
            dormancy_interval: Duration::from_secs(3600),
            max_total_count: crate::ops::Settings::default().max_total_count,
            webhook_poll_interval: Duration::from_secs(1),
            clock: crate::clock::system(),
            limits: Limits::default(),
            // Tests drive many requests from one key; those about allowances set their own.
            allowances: Allowances {
                sandbox: Allowance::generous(),
                production: Allowance::generous(),
            },
            request_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            cors_allowed_origins: Vec::new(),
            shutdown_grace: Duration::ZERO,
            shutdown_timeout: Duration::from_secs(5),
            subscriptions: ws::SubscriptionSettings::default(),
            // Long enough that a test's statement counts never include a second lookup of
            // its key; the tests about revocation set their own.
            key_cache_ttl: Duration::from_secs(60),
            report_statements: true,
        }
    }
}

/// State shared by every worker.
pub struct AppState {
    /// The schema for SANDBOX clients, with field suggestions in validation errors.
    pub schema: AppSchema,
    /// The schema for everyone else, without suggestions.
    pub quiet_schema: AppSchema,
    pub throttle: Arc<Throttle>,
    pub request_timeout: Duration,
    pub body_timeout: Duration,
    /// The main runtime, where GraphQL work runs so that it can be aborted safely.
    pub runtime: tokio::runtime::Handle,
    pub db: Database,
    pub body_limit: usize,
    /// The clock and settings every operation runs with.
    pub ops: crate::ops::App,
    /// One permit per upload in progress (`max_concurrent_uploads`).
    pub upload_slots: Arc<tokio::sync::Semaphore>,
    /// The open WebSocket connections and their bounds.
    pub subscriptions: Arc<ws::Subscriptions>,
    /// API keys verified lately.
    pub keys: Arc<crate::auth::KeyCache>,
    /// Whether responses carry `extensions.statements`.
    pub report_statements: bool,
    draining: Arc<AtomicBool>,
}

impl AppState {
    /// What every GraphQL request of `principal` runs with (over HTTP and WebSocket alike).
    pub fn request_context(
        &self,
        principal: crate::domain::tenancy::Principal,
        cost: Arc<crate::graphql::limits::CostRecord>,
        request_id: Option<String>,
    ) -> crate::graphql::RequestContext {
        crate::graphql::RequestContext {
            principal,
            db: self.db.clone(),
            clock: self.ops.clock.clone(),
            settings: self.ops.settings.clone(),
            content_downloaded: Default::default(),
            upload_claimed: Default::default(),
            upload_slots: self.upload_slots.clone(),
            throttle: self.throttle.clone(),
            keys: self.keys.clone(),
            cost,
            request_id,
        }
    }

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
    /// The dormancy job.
    dormancy: tokio::task::JoinHandle<()>,
    /// The webhook deliverer (stopped with the server; what it was sending is leased and
    /// sent again by the next deliverer).
    deliverer: tokio::task::JoinHandle<()>,
    db: Database,
    subscriptions: Arc<ws::Subscriptions>,
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
        self.subscriptions.close_all();
        self.handle.stop(true).await;
        self.sweeper.abort();
        self.dormancy.abort();
        self.deliverer.abort();
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
    memory::purge_at_once();
    let draining = Arc::new(AtomicBool::new(false));
    let ops = crate::ops::App {
        db: db.clone(),
        clock: settings.clock.clone(),
        settings: Arc::new(crate::ops::Settings {
            max_document_bytes: settings.max_document_bytes,
            transfer_validity: settings.transfer_validity,
            idempotency_retention: settings.idempotency_retention,
            event_retention: settings.event_retention,
            webhooks: settings.webhooks.clone(),
            dormancy: settings.dormancy,
            max_total_count: settings.max_total_count,
        }),
    };
    let subscriptions = ws::Subscriptions::new(settings.subscriptions);
    let state = web::Data::new(AppState {
        schema: build_schema(settings.limits),
        quiet_schema: build_quiet_schema(settings.limits),
        throttle: Arc::new(Throttle::new(settings.allowances)),
        request_timeout: settings.request_timeout,
        body_timeout: settings.body_timeout,
        runtime: tokio::runtime::Handle::current(),
        db: db.clone(),
        body_limit: settings.body_limit,
        ops: ops.clone(),
        upload_slots: Arc::new(tokio::sync::Semaphore::new(
            settings
                .max_concurrent_uploads
                .min(tokio::sync::Semaphore::MAX_PERMITS),
        )),
        subscriptions: subscriptions.clone(),
        keys: Arc::new(crate::auth::KeyCache::new(settings.key_cache_ttl)),
        report_statements: settings.report_statements,
        draining: draining.clone(),
    });
    let origins = settings.cors_allowed_origins.clone();
    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .wrap(Compress::default())
            .wrap(api_headers())
            // Outside authentication, so that a browser's preflight is answered without a key.
            .wrap(Condition::new(!origins.is_empty(), cors(&origins)))
            .wrap(from_fn(request_log::log_request))
            // WebSocket upgrades first: they authenticate in connection_init, not by header.
            .service(
                web::resource("/graphql")
                    .guard(actix_web::guard::Get())
                    .guard(actix_web::guard::fn_guard(ws::is_upgrade))
                    .to(ws::upgrade),
            )
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
    .on_connect(http_graphql::remember_peer)
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
    let deliverer = tokio::spawn(crate::jobs::webhooks::run(
        ops.clone(),
        settings.webhook_poll_interval,
    ));
    let dormancy = tokio::spawn(crate::jobs::dormancy(
        ops.clone(),
        settings.dormancy_interval,
    ));
    let sweeper = tokio::spawn(crate::jobs::sweep(ops, settings.expiry_sweep_interval));
    Ok(RunningServer {
        addr,
        handle,
        draining,
        grace: settings.shutdown_grace,
        task,
        sweeper,
        dormancy,
        deliverer,
        db,
        subscriptions,
    })
}

/// Headers on every response: nothing the API answers may be cached or sniffed as another
/// content type.
fn api_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .add((actix_web::http::header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
}

/// CORS for the allowed origins only: a page on any other origin cannot read a response.
/// Browsers may send the key in `Authorization`; nothing relies on cookies.
fn cors(origins: &[String]) -> actix_cors::Cors {
    origins
        .iter()
        .fold(actix_cors::Cors::default(), |cors, origin| {
            cors.allowed_origin(origin)
        })
        .allowed_methods(["GET", "POST"])
        .allowed_headers([
            actix_web::http::header::AUTHORIZATION,
            actix_web::http::header::CONTENT_TYPE,
            actix_web::http::header::ACCEPT,
        ])
        .expose_headers([
            "RateLimit-Limit",
            "RateLimit-Remaining",
            "RateLimit-Reset",
            "Retry-After",
        ])
        .max_age(600)
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
