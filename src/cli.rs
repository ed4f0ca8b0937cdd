//! What each subcommand does: serve, the admin commands (clients, keys, sandbox) and the
//! schema printer. Secrets are printed to stdout once (the server's new sandbox key is saved
//! to an owner-only file instead, and shown only on a terminal); logs go to stderr.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};

use crate::config::{Cli, ClientsCommand, Command, KeysCommand, LogFormat, SandboxCommand};
use crate::db::{Database, DatabaseUrl};
use crate::domain::ids::ClientId;
use crate::domain::tenancy::Principal;
use crate::graphql::{Limits, build_schema, sdl};
use crate::ops;
use crate::seed::{self, Sandbox};
use crate::server::{self, ServerSettings};

/// Sets up logging to stderr as the flags say.
pub fn init_logging(cli: &Cli) -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_new(&cli.log.log_level)
        .with_context(|| format!("invalid --log-level {:?}", cli.log.log_level))?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    let result = match cli.log.log_format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
    result.map_err(|e| anyhow::anyhow!("cannot set up logging: {e}"))
}

/// Runs the subcommand the command line names (the server when none).
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match &cli.command {
        None | Some(Command::Serve) => serve(&cli).await,
        Some(Command::Schema) => {
            print!("{}", sdl(&build_schema(Limits::default())));
            Ok(())
        }
        Some(Command::Clients(command)) => clients(&cli, command).await,
        Some(Command::Keys(command)) => keys(&cli, command).await,
        Some(Command::Sandbox(SandboxCommand::Create)) => {
            let db = open(&cli).await?;
            let sandbox = seed::create_sandbox(&db).await.map_err(op_error)?;
            print_sandbox(
                &sandbox,
                &[
                    format!("  Sandbox API key  : {}", sandbox.key.expose()),
                    "                     (shown once: only its hash is stored)".to_owned(),
                ],
            );
            Ok(())
        }
    }
}

async fn open(cli: &Cli) -> anyhow::Result<Database> {
    let settings = cli
        .database
        .settings()
        .map_err(|why| anyhow::anyhow!("DATABASE_URL: {why}"))?;
    Database::open(&settings)
        .await
        .with_context(|| format!("opening {}", settings.url.redacted()))
}

async fn serve(cli: &Cli) -> anyhow::Result<()> {
    let db = open(cli).await?;
    tracing::info!(backend = ?db.backend(), "database ready");
    let sandbox = if cli.server.no_sandbox {
        None
    } else {
        seed::ensure_sandbox(&db).await.map_err(op_error)?
    };
    let key_file = sandbox_key_file(&cli.database.settings().map_err(anyhow::Error::msg)?.url);
    let key_lines = sandbox.as_ref().map(|s| save_sandbox_key(s, &key_file));
    let args = &cli.server;
    let settings = ServerSettings {
        bind: args.bind,
        workers: args.workers,
        body_limit: args.body_limit as usize,
        max_document_bytes: args.max_document_bytes as usize,
        max_concurrent_uploads: args.max_concurrent_uploads as usize,
        transfer_validity: Duration::from_secs(args.transfer_validity_secs),
        expiry_sweep_interval: Duration::from_millis(args.expiry_sweep_ms),
        idempotency_retention: Duration::from_secs(args.idempotency_retention_days * 24 * 3600),
        event_retention: Duration::from_secs(args.event_retention_days * 24 * 3600),
        webhooks: crate::ops::webhooks::WebhookSettings {
            retry: crate::domain::webhook::RetrySchedule {
                delays: args.webhook_retry_schedule.clone(),
                give_up_after: args.webhook_retry_window,
            },
            timeout: args.webhook_timeout,
            allow_private_addresses: args.allow_private_webhook_urls,
        },
        dormancy: crate::domain::dormancy::Dormancy {
            period: chrono::Duration::days(i64::from(args.dormancy_days)),
            payments_received_count: args.dormancy_counts_payments_received,
        },
        dormancy_interval: Duration::from_secs(args.dormancy_check_secs),
        max_total_count: args.max_total_count,
        webhook_poll_interval: args.webhook_poll,
        clock: crate::clock::system(),
        limits: Limits {
            max_depth: u64::from(args.max_depth),
            max_cost: args.max_cost,
            max_selections: args.max_selections,
            max_aliases: args.max_aliases,
            max_response_nodes: args.max_response_nodes,
        },
        allowances: args.throttle.allowances(),
        request_timeout: Duration::from_millis(args.request_timeout_ms),
        body_timeout: Duration::from_millis(args.body_timeout_ms),
        cors_allowed_origins: args.cors_allowed_origins.clone(),
        shutdown_grace: Duration::from_millis(args.shutdown_grace_ms),
        shutdown_timeout: Duration::from_secs(args.shutdown_timeout_secs),
        subscriptions: args.subscriptions.settings(),
        key_cache_ttl: Duration::from_millis(args.key_cache_ms),
        report_statements: args.report_statements,
    };
    let mut running = server::start(&settings, db)?;
    let base = format!("http://{}", running.addr);
    println!("Layer2 onboarding API is listening on {base}");
    println!("  GraphQL endpoint : {base}/graphql");
    println!("  GraphiQL         : {base}/");
    println!("  Health, readiness: {base}/healthz, {base}/readyz");
    match (&sandbox, &key_lines) {
        (Some(sandbox), Some(key_lines)) => print_sandbox(sandbox, key_lines),
        _ => println!(
            "  API keys         : `layer2 clients list`, then `layer2 keys create --client <id>` \
             (a sandbox seeded on a new database has its key in {})",
            key_file.display()
        ),
    }
    tokio::select! {
        result = running.wait() => return result.context("server stopped"),
        signal = shutdown_signal() => tracing::info!(signal, "signal received"),
    }
    running.shutdown().await.context("shutting down")
}

/// Resolves with the name of the first of SIGINT or SIGTERM to arrive.
async fn shutdown_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = tokio::signal::ctrl_c() => "SIGINT",
                _ = term.recv() => "SIGTERM",
            },
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                "SIGINT"
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "SIGINT"
    }
}

/// Where the server saves a new sandbox's key: beside an SQLite file (`<file>.sandbox-key`),
/// or `layer2.sandbox-key` in the working directory for PostgreSQL.
fn sandbox_key_file(url: &DatabaseUrl) -> PathBuf {
    let file = match url {
        DatabaseUrl::Sqlite(path) => {
            let mut file = path.as_os_str().to_owned();
            file.push(".sandbox-key");
            PathBuf::from(file)
        }
        DatabaseUrl::Postgres(_) => PathBuf::from("layer2.sandbox-key"),
    };
    std::path::absolute(&file).unwrap_or(file)
}

/// Saves a new sandbox's key to `file` (mode 0600, replacing any older file) and returns the
/// banner's lines about it: the key itself only when stdout is a terminal, since otherwise
/// stdout is usually a log.
fn save_sandbox_key(sandbox: &Sandbox, file: &Path) -> Vec<String> {
    let terminal = std::io::stdout().is_terminal();
    let shown = format!("  Sandbox API key  : {}", sandbox.key.expose());
    match write_owner_only(file, &format!("{}\n", sandbox.key.expose())) {
        Ok(()) => vec![
            if terminal {
                shown
            } else {
                "  Sandbox API key  : in the key file (not printed: stdout is not a terminal)"
                    .into()
            },
            format!("  Sandbox key file : {}", file.display()),
            "                     (mode 0600; the database stores only the key's hash)".into(),
        ],
        Err(error) => {
            tracing::error!(file = %file.display(), %error, "cannot save the sandbox key");
            if terminal {
                vec![
                    shown,
                    "                     (shown once, not saved: only its hash is stored)".into(),
                ]
            } else {
                vec![format!(
                    "  Sandbox API key  : not saved ({}: {error}); make one with \
                     `layer2 keys create --client {}`",
                    file.display(),
                    sandbox.client.id
                )]
            }
        }
    }
}

/// Writes `contents` to a new file at `path` readable by its owner only; an existing file
/// (or symlink) there is removed first, so the mode is always the new file's.
fn write_owner_only(path: &Path, contents: &str) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => return Err(error),
        _ => {}
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()
}

/// The banner's lines about a new sandbox; `key_lines` say where its key is.
fn print_sandbox(sandbox: &Sandbox, key_lines: &[String]) {
    println!(
        "  Sandbox client   : {} ({})",
        sandbox.client.name, sandbox.client.id
    );
    for line in key_lines {
        println!("{line}");
    }
    for customer in &sandbox.customers {
        println!(
            "  Sandbox customer : {} ({})",
            customer.external_id,
            customer.customer_type()
        );
    }
}

/// The context the CLI acts in: the platform itself (SYSTEM), on real time.
fn platform(db: Database) -> ops::App {
    ops::App {
        db,
        clock: crate::clock::system(),
        settings: std::sync::Arc::new(ops::Settings::default()),
    }
}

fn op_error(error: ops::OpError) -> anyhow::Error {
    anyhow::anyhow!("{}: {}", error.code(), error.message())
}

async fn clients(cli: &Cli, command: &ClientsCommand) -> anyhow::Result<()> {
    let app = platform(open(cli).await?);
    let principal = Principal::system();
    let cx = app.cx(&principal);
    match command {
        ClientsCommand::Create {
            name,
            environment,
            regulated,
        } => {
            let input = ops::clients::create_client::Input {
                name: name.clone(),
                environment: (*environment).into(),
                regulated: *regulated,
            };
            let client = ops::clients::create_client::run(&cx, input)
                .await
                .map_err(op_error)?;
            println!("{}", client.id);
            eprintln!(
                "created client {:?} ({}, {}); add a key with `layer2 keys create --client {}`",
                client.name,
                client.environment,
                if client.regulated {
                    "regulated"
                } else {
                    "not regulated"
                },
                client.id
            );
        }
        ClientsCommand::List => {
            for client in ops::clients::list(&cx).await.map_err(op_error)? {
                println!(
                    "{}\t{}\t{}\t{}",
                    client.id,
                    client.environment,
                    if client.regulated {
                        "regulated"
                    } else {
                        "unregulated"
                    },
                    client.name
                );
            }
        }
    }
    Ok(())
}

async fn keys(cli: &Cli, command: &KeysCommand) -> anyhow::Result<()> {
    let app = platform(open(cli).await?);
    let principal = Principal::system();
    let cx = app.cx(&principal);
    match command {
        KeysCommand::Create {
            client,
            operator,
            label,
        } => {
            let client_id = match (client, operator) {
                (Some(id), false) => Some(ClientId(*id)),
                (None, true) => None,
                _ => bail!("give exactly one of --client ID or --operator"),
            };
            let key = ops::clients::keys::mint(&cx, client_id, label.clone())
                .await
                .map_err(op_error)?;
            println!("{}", key.expose());
            eprintln!(
                "created {} key {} (the secret above is shown once)",
                if client_id.is_some() {
                    "client"
                } else {
                    "operator"
                },
                key.prefix()
            );
        }
        KeysCommand::List => {
            for key in ops::clients::keys::list(&cx).await.map_err(op_error)? {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    key.prefix,
                    key.role,
                    key.client_id
                        .map(|c| c.to_string())
                        .unwrap_or_else(|| "-".into()),
                    if key.revoked_at.is_some() {
                        "revoked"
                    } else {
                        "active"
                    },
                    key.label.unwrap_or_default()
                );
            }
        }
        KeysCommand::Revoke { prefix } => {
            if !ops::clients::keys::revoke(&cx, prefix)
                .await
                .map_err(op_error)?
            {
                bail!("no active key with prefix {prefix}");
            }
            eprintln!("revoked {prefix}");
        }
    }
    Ok(())
}
