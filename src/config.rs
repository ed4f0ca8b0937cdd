//! The command line: every setting as a flag with an environment variable (clap), and the
//! admin subcommands. `--help` documents each; this module only parses, it runs nothing.

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::db::{DatabaseUrl, DbSettings};
use crate::domain::client::Environment;

/// GraphQL API for a banking platform's customer onboarding and lifecycle.
///
/// Without a subcommand, runs the server: migrates the database, seeds the sandbox on a new
/// database, and serves GraphQL on /graphql and GraphiQL on /.
#[derive(Debug, Parser)]
#[command(name = "layer2", version, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub database: DatabaseArgs,

    #[command(flatten)]
    pub log: LogArgs,

    #[command(flatten)]
    pub server: ServerArgs,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (the default when no subcommand is given).
    Serve,
    /// Create and list clients (tenants).
    #[command(subcommand)]
    Clients(ClientsCommand),
    /// Create, list and revoke API keys. A new key's secret is printed once.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Create a new sandbox client with its key and default customers.
    #[command(subcommand)]
    Sandbox(SandboxCommand),
    /// Print the GraphQL schema (SDL), as checked in at schema.graphql.
    Schema,
}

#[derive(Debug, Subcommand)]
pub enum ClientsCommand {
    /// Create a client and print its id.
    Create {
        /// The client's name.
        #[arg(long)]
        name: String,
        /// SANDBOX (test data) or PRODUCTION (real customers).
        #[arg(long, value_enum, default_value = "sandbox")]
        environment: EnvironmentArg,
        /// Whether the client is a regulated institution (may create customers directly in
        /// production instead of through applications).
        #[arg(long)]
        regulated: bool,
    },
    /// List every client.
    List,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create an API key for a client (--client ID) or for the platform operator
    /// (--operator). The secret is printed once and never stored.
    Create {
        /// The client the key acts for.
        #[arg(
            long,
            conflicts_with = "operator",
            required_unless_present = "operator"
        )]
        client: Option<uuid::Uuid>,
        /// Make an operator key: it acts across all clients.
        #[arg(long)]
        operator: bool,
        /// A note naming the key's purpose.
        #[arg(long)]
        label: Option<String>,
    },
    /// List every key by its prefix (never the secret).
    List,
    /// Revoke a key by its prefix (e.g. l2_ab12cd34); requests with it then get 401.
    Revoke {
        /// The key's prefix, as printed at creation and by `keys list`.
        prefix: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum SandboxCommand {
    /// Create a new sandbox client, its API key and two ACTIVE customers.
    Create,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum EnvironmentArg {
    Sandbox,
    Production,
}

impl From<EnvironmentArg> for Environment {
    fn from(arg: EnvironmentArg) -> Self {
        match arg {
            EnvironmentArg::Sandbox => Environment::Sandbox,
            EnvironmentArg::Production => Environment::Production,
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// postgres://user:pass@host/db for PostgreSQL, or sqlite://path for the embedded
    /// database file (created if missing).
    // Kept as text and parsed by `settings`, so that a mistyped URL's password is never
    // echoed in clap's error message.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://layer2.db",
        global = true,
        hide_env_values = true
    )]
    pub database_url: String,

    /// A PEM file of CA certificates to trust for PostgreSQL TLS (beside the public roots),
    /// e.g. a cloud provider's database CA. TLS itself follows the URL's `sslmode`.
    #[arg(long, env = "DATABASE_CA_FILE", global = true)]
    pub database_ca_file: Option<std::path::PathBuf>,

    /// Maximum number of pooled database connections.
    #[arg(long, env = "LAYER2_POOL_SIZE", default_value_t = 16, global = true,
          value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub pool_size: u32,

    /// How long a request waits for a database connection, in milliseconds.
    #[arg(
        long,
        env = "LAYER2_ACQUIRE_TIMEOUT_MS",
        default_value_t = 5_000,
        global = true
    )]
    pub acquire_timeout_ms: u64,

    /// Longest a single statement may run (PostgreSQL statement_timeout; SQLite
    /// busy_timeout), in milliseconds.
    #[arg(
        long,
        env = "LAYER2_STATEMENT_TIMEOUT_MS",
        default_value_t = 10_000,
        global = true
    )]
    pub statement_timeout_ms: u64,
}

impl DatabaseArgs {
    /// The settings, or why `DATABASE_URL` is unusable (without repeating the URL).
    pub fn settings(&self) -> Result<DbSettings, String> {
        Ok(DbSettings {
            url: DatabaseUrl::parse(&self.database_url)?,
            pool_size: self.pool_size as usize,
            acquire_timeout: Duration::from_millis(self.acquire_timeout_ms),
            statement_timeout: Duration::from_millis(self.statement_timeout_ms),
            ca_file: self.database_ca_file.clone(),
        })
    }
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log pipelines.
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct LogArgs {
    /// Log filter: a level (error, warn, info, debug, trace) or a tracing directive list
    /// such as `info,layer2=debug`.
    #[arg(long, env = "LAYER2_LOG", default_value = "info", global = true)]
    pub log_level: String,

    /// Log line format.
    #[arg(
        long,
        env = "LAYER2_LOG_FORMAT",
        value_enum,
        default_value = "text",
        global = true
    )]
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Args)]
pub struct ServerArgs {
    /// Address and port to listen on.
    #[arg(long, env = "LAYER2_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,

    /// HTTP worker threads (0: one per CPU core).
    #[arg(long, env = "LAYER2_WORKERS", default_value_t = 0)]
    pub workers: usize,

    /// Largest accepted request body, in bytes; larger gets HTTP 413.
    #[arg(long, env = "LAYER2_BODY_LIMIT", default_value_t = 1_048_576,
          value_parser = clap::value_parser!(u64).range(1024..=1_073_741_824))]
    pub body_limit: u64,

    /// Largest document an application upload may carry, in bytes (10 MiB by default);
    /// larger uploads are refused while they stream in.
    #[arg(long, env = "LAYER2_MAX_DOCUMENT_BYTES", default_value_t = 10 * 1024 * 1024,
          value_parser = clap::value_parser!(u64).range(1024..=268_435_456))]
    pub max_document_bytes: u64,

    /// Uploads checked and stored at once across the server (each holds its document in
    /// memory meanwhile); another is refused at once with UNAVAILABLE. 0 refuses every upload.
    #[arg(long, env = "LAYER2_MAX_CONCURRENT_UPLOADS", default_value_t = 4,
          value_parser = clap::value_parser!(u32).range(0..=1024))]
    pub max_concurrent_uploads: u32,

    /// How long a transfer stays REQUESTED (its hold in place) before it expires, in seconds.
    #[arg(long, env = "LAYER2_TRANSFER_VALIDITY_SECS", default_value_t = 300,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub transfer_validity_secs: u64,

    /// How often the background sweeper expires overdue transfers and old idempotency keys,
    /// in milliseconds.
    #[arg(long, env = "LAYER2_EXPIRY_SWEEP_MS", default_value_t = 5_000,
          value_parser = clap::value_parser!(u64).range(100..=3_600_000))]
    pub expiry_sweep_ms: u64,

    /// How long an idempotency key is kept, in days; a retry after that is a new request.
    #[arg(long, env = "LAYER2_IDEMPOTENCY_RETENTION_DAYS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=3650))]
    pub idempotency_retention_days: u64,

    /// How many days without activity of its own make an ACTIVE customer DORMANT.
    #[arg(long, env = "LAYER2_DORMANCY_DAYS", default_value_t = 365,
          value_parser = clap::value_parser!(u32).range(1..=36_500))]
    pub dormancy_days: u32,

    /// Count money received into a customer's accounts as its activity (by default only
    /// what the customer does counts: transfers, changes, new accounts, payors, addresses).
    #[arg(long, env = "LAYER2_DORMANCY_COUNTS_PAYMENTS_RECEIVED")]
    pub dormancy_counts_payments_received: bool,

    /// How often the dormancy job looks for customers past the period, in seconds.
    #[arg(long, env = "LAYER2_DORMANCY_CHECK_SECS", default_value_t = 3600,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub dormancy_check_secs: u64,

    /// How far a listing's `totalCount` counts; past it, the count stops there and
    /// `totalCountIsExact` is false (a count then costs the same for any size of list).
    #[arg(long, env = "LAYER2_MAX_TOTAL_COUNT", default_value_t = 10_000,
          value_parser = clap::value_parser!(i64).range(1..=1_000_000_000))]
    pub max_total_count: i64,

    /// How long an event is kept (and readable by the `events` query), in days.
    #[arg(long, env = "LAYER2_EVENT_RETENTION_DAYS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=3650))]
    pub event_retention_days: u64,

    /// The delays between attempts of a failing webhook delivery (the last repeats), e.g.
    /// `5s,1m,5m,30m,2h,5h,10h`; units ms, s, m, h, d. Jittered by up to 20% either way.
    #[arg(long, env = "LAYER2_WEBHOOK_RETRY_SCHEDULE", default_value = "5s,1m,5m,30m,2h,5h,10h",
          value_parser = crate::domain::webhook::RetrySchedule::parse_delays)]
    pub webhook_retry_schedule: std::vec::Vec<std::time::Duration>,

    /// How long a webhook delivery keeps failing before it is given up and its
    /// subscription disabled (e.g. `3d`).
    #[arg(long, env = "LAYER2_WEBHOOK_RETRY_WINDOW", default_value = "3d",
          value_parser = crate::domain::webhook::parse_duration)]
    pub webhook_retry_window: std::time::Duration,

    /// Longest one webhook attempt may take (e.g. `10s`).
    #[arg(long, env = "LAYER2_WEBHOOK_TIMEOUT", default_value = "10s",
          value_parser = crate::domain::webhook::parse_duration)]
    pub webhook_timeout: std::time::Duration,

    /// How often the webhook deliverer looks for work made by other replicas and for retries
    /// falling due (its own commits wake it at once), e.g. `1s`.
    #[arg(long, env = "LAYER2_WEBHOOK_POLL", default_value = "1s",
          value_parser = crate::domain::webhook::parse_duration)]
    pub webhook_poll: std::time::Duration,

    /// Allow webhook receivers on loopback, private and link-local addresses. For tests and
    /// local development only: it lets a client's URL reach inside your network.
    #[arg(
        long,
        env = "LAYER2_ALLOW_PRIVATE_WEBHOOK_URLS",
        default_value_t = false
    )]
    pub allow_private_webhook_urls: bool,

    /// Deepest selection set a query may nest (GraphiQL's introspection needs about 15).
    #[arg(long, env = "LAYER2_MAX_DEPTH", default_value_t = 16,
          value_parser = clap::value_parser!(u32).range(15..=64))]
    pub max_depth: u32,

    /// Largest query cost: every field counts 1, and the fields below a list count once per
    /// item its page may hold (`first`/`last`, else 20), fragments as spread.
    #[arg(long, env = "LAYER2_MAX_COST", default_value_t = 1_000_000,
          value_parser = clap::value_parser!(u64).range(1_000..=100_000_000))]
    pub max_cost: u64,

    /// Most fields a query may select once its fragments are spread (no page multiplication).
    #[arg(long, env = "LAYER2_MAX_SELECTIONS", default_value_t = 5_000,
          value_parser = clap::value_parser!(u64).range(300..=1_000_000))]
    pub max_selections: u64,

    /// Most aliased fields a query may have once its fragments are spread.
    #[arg(long, env = "LAYER2_MAX_ALIASES", default_value_t = 200,
          value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub max_aliases: u64,

    /// Most fields one response may resolve; past it the request fails with
    /// RESPONSE_TOO_LARGE instead of growing the server's memory.
    #[arg(long, env = "LAYER2_MAX_RESPONSE_NODES", default_value_t = 500_000,
          value_parser = clap::value_parser!(u64).range(1_000..=100_000_000))]
    pub max_response_nodes: u64,

    /// Longest a request may run once its body is read, in milliseconds, including waits for
    /// the database; past it the request stops with UNAVAILABLE (HTTP 503).
    #[arg(long, env = "LAYER2_REQUEST_TIMEOUT_MS", default_value_t = 4_000,
          value_parser = clap::value_parser!(u64).range(100..=600_000))]
    pub request_timeout_ms: u64,

    /// Longest a client may take to send a request body, in milliseconds (HTTP 408 after).
    #[arg(long, env = "LAYER2_BODY_TIMEOUT_MS", default_value_t = 30_000,
          value_parser = clap::value_parser!(u64).range(100..=3_600_000))]
    pub body_timeout_ms: u64,

    /// Browser origins allowed to call /graphql (CORS), comma-separated, e.g.
    /// `https://app.example.com`; none by default (CORS off).
    #[arg(long, env = "LAYER2_CORS_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub cors_allowed_origins: Vec<String>,

    #[command(flatten)]
    pub throttle: ThrottleArgs,

    #[command(flatten)]
    pub subscriptions: SubscriptionArgs,

    /// On SIGTERM/SIGINT, how long /readyz reports 503 before the listener closes, in
    /// milliseconds (lets a load balancer stop sending traffic first).
    #[arg(long, env = "LAYER2_SHUTDOWN_GRACE_MS", default_value_t = 1_000)]
    pub shutdown_grace_ms: u64,

    /// How long in-flight requests may take to finish after the listener closes, in seconds.
    #[arg(long, env = "LAYER2_SHUTDOWN_TIMEOUT_SECS", default_value_t = 30)]
    pub shutdown_timeout_secs: u64,

    /// How long a verified API key is trusted without looking it up again, in milliseconds;
    /// a key revoked elsewhere keeps working here for at most this long. 0: look up every
    /// request.
    #[arg(long, env = "LAYER2_KEY_CACHE_MS", default_value_t = 5_000,
          value_parser = clap::value_parser!(u64).range(0..=60_000))]
    pub key_cache_ms: u64,

    /// Add `extensions.statements` to every GraphQL response: how many SQL statements the
    /// request ran (for benchmarks and diagnostics).
    #[arg(long, env = "LAYER2_REPORT_STATEMENTS")]
    pub report_statements: bool,

    /// Do not create the sandbox client on a new database (for production deployments).
    #[arg(long, env = "LAYER2_NO_SANDBOX")]
    pub no_sandbox: bool,
}

/// Per-API-key allowances, per environment (the operator gets PRODUCTION's).
#[derive(Debug, Clone, Args)]
pub struct ThrottleArgs {
    /// Requests one SANDBOX key may have running at once (HTTP 429 beyond).
    #[arg(long, env = "LAYER2_SANDBOX_CONCURRENT_REQUESTS", default_value_t = 4)]
    pub sandbox_concurrent_requests: u32,
    /// Requests a second one SANDBOX key may send, sustained.
    #[arg(long, env = "LAYER2_SANDBOX_REQUESTS_PER_SEC", default_value_t = 50)]
    pub sandbox_requests_per_sec: u32,
    /// Requests one SANDBOX key may send at once after a quiet period.
    #[arg(long, env = "LAYER2_SANDBOX_REQUEST_BURST", default_value_t = 300)]
    pub sandbox_request_burst: u32,
    /// Query cost restored each second to a SANDBOX key's bucket.
    #[arg(long, env = "LAYER2_SANDBOX_COST_PER_SEC", default_value_t = 250_000)]
    pub sandbox_cost_per_sec: u32,
    /// Query cost a SANDBOX key's full bucket holds.
    #[arg(long, env = "LAYER2_SANDBOX_COST_BURST", default_value_t = 5_000_000)]
    pub sandbox_cost_burst: u32,
    /// Requests one PRODUCTION key may have running at once (HTTP 429 beyond).
    #[arg(
        long,
        env = "LAYER2_PRODUCTION_CONCURRENT_REQUESTS",
        default_value_t = 8
    )]
    pub production_concurrent_requests: u32,
    /// Requests a second one PRODUCTION key may send, sustained.
    #[arg(
        long,
        env = "LAYER2_PRODUCTION_REQUESTS_PER_SEC",
        default_value_t = 200
    )]
    pub production_requests_per_sec: u32,
    /// Requests one PRODUCTION key may send at once after a quiet period.
    #[arg(long, env = "LAYER2_PRODUCTION_REQUEST_BURST", default_value_t = 1_000)]
    pub production_request_burst: u32,
    /// Query cost restored each second to a PRODUCTION key's bucket.
    #[arg(
        long,
        env = "LAYER2_PRODUCTION_COST_PER_SEC",
        default_value_t = 1_000_000
    )]
    pub production_cost_per_sec: u32,
    /// Query cost a PRODUCTION key's full bucket holds.
    #[arg(
        long,
        env = "LAYER2_PRODUCTION_COST_BURST",
        default_value_t = 20_000_000
    )]
    pub production_cost_burst: u32,
}

impl ThrottleArgs {
    pub fn allowances(&self) -> crate::graphql::limits::throttle::Allowances {
        use crate::graphql::limits::throttle::{Allowance, Allowances};
        Allowances {
            sandbox: Allowance {
                concurrent_requests: self.sandbox_concurrent_requests,
                requests_per_sec: self.sandbox_requests_per_sec,
                request_burst: self.sandbox_request_burst,
                cost_per_sec: self.sandbox_cost_per_sec,
                cost_burst: self.sandbox_cost_burst,
            },
            production: Allowance {
                concurrent_requests: self.production_concurrent_requests,
                requests_per_sec: self.production_requests_per_sec,
                request_burst: self.production_request_burst,
                cost_per_sec: self.production_cost_per_sec,
                cost_burst: self.production_cost_burst,
            },
        }
    }
}

/// GraphQL subscriptions over WebSocket: bounds and timings, each per server process.
#[derive(Debug, Clone, Args)]
pub struct SubscriptionArgs {
    /// WebSocket connections one API key may hold open at once (closed with 4429 beyond).
    #[arg(long, env = "LAYER2_SUBSCRIPTION_CONNECTIONS_PER_KEY", default_value_t = 5,
          value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub subscription_connections_per_key: u32,
    /// Subscriptions one connection may run at once (another gets TOO_MANY_SUBSCRIPTIONS).
    #[arg(long, env = "LAYER2_SUBSCRIPTIONS_PER_CONNECTION", default_value_t = 10,
          value_parser = clap::value_parser!(u32).range(1..=1_000))]
    pub subscriptions_per_connection: u32,
    /// How long a new WebSocket has to send connection_init, in milliseconds (4408 after).
    #[arg(long, env = "LAYER2_SUBSCRIPTION_INIT_TIMEOUT_MS", default_value_t = 10_000,
          value_parser = clap::value_parser!(u64).range(100..=600_000))]
    pub subscription_init_timeout_ms: u64,
    /// How often the server pings each WebSocket, in milliseconds; one silent for two
    /// intervals is closed.
    #[arg(long, env = "LAYER2_SUBSCRIPTION_KEEP_ALIVE_MS", default_value_t = 15_000,
          value_parser = clap::value_parser!(u64).range(100..=600_000))]
    pub subscription_keep_alive_ms: u64,
    /// How often a subscription re-reads the event log for events other replicas wrote, in
    /// milliseconds (this server's own commits wake it at once).
    #[arg(long, env = "LAYER2_SUBSCRIPTION_POLL_MS", default_value_t = 1_000,
          value_parser = clap::value_parser!(u64).range(10..=600_000))]
    pub subscription_poll_ms: u64,
}

impl SubscriptionArgs {
    pub fn settings(&self) -> crate::server::ws::SubscriptionSettings {
        crate::server::ws::SubscriptionSettings {
            max_connections_per_key: self.subscription_connections_per_key as usize,
            max_subscriptions_per_connection: self.subscriptions_per_connection as usize,
            init_timeout: Duration::from_millis(self.subscription_init_timeout_ms),
            keep_alive: Duration::from_millis(self.subscription_keep_alive_ms),
            poll_interval: Duration::from_millis(self.subscription_poll_ms),
            ..crate::server::ws::SubscriptionSettings::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn default_allowances_are_the_documented_ones() {
        let cli = Cli::try_parse_from(["layer2"]).expect("parses");
        assert_eq!(
            cli.server.throttle.allowances(),
            crate::graphql::limits::throttle::Allowances::default()
        );
    }

    #[test]
    fn default_subscription_bounds_are_the_documented_ones() {
        let cli = Cli::try_parse_from(["layer2"]).expect("parses");
        assert_eq!(
            cli.server.subscriptions.settings(),
            crate::server::ws::SubscriptionSettings::default()
        );
    }

    #[test]
    fn keys_create_needs_exactly_one_owner() {
        assert!(Cli::try_parse_from(["layer2", "keys", "create"]).is_err());
        assert!(Cli::try_parse_from(["layer2", "keys", "create", "--operator"]).is_ok());
        let both = [
            "layer2",
            "keys",
            "create",
            "--operator",
            "--client",
            "0191e1b2-0000-7000-8000-000000000000",
        ];
        assert!(Cli::try_parse_from(both).is_err());
    }
}
