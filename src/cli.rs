//! What each subcommand does: serve, the admin commands (clients, keys, sandbox) and the
//! schema printer. Secrets are printed to stdout once; logs go to stderr.

use std::time::Duration;

use anyhow::{Context, bail};

use crate::auth::ApiKeySecret;
use crate::config::{Cli, ClientsCommand, Command, KeysCommand, LogFormat, SandboxCommand};
use crate::db::Database;
use crate::domain::ids::ClientId;
use crate::domain::tenancy::Scope;
use crate::graphql::{Limits, build_schema, sdl};
use crate::seed::{self, Sandbox};
use crate::server::{self, ServerSettings};
use crate::store;

/// Sets up logging to stderr as the flags say.
pub fn init_logging(cli: &Cli) -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_new(&cli.log.log_level)
        .with_context(|| format!("invalid --log-level {:?}", cli.log.log_level))?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
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
            let sandbox = seed::create_sandbox(&db).await.map_err(store_error)?;
            print_sandbox(&sandbox);
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

fn store_error(error: store::StoreError) -> anyhow::Error {
    anyhow::anyhow!("database error: {error:?}")
}

async fn serve(cli: &Cli) -> anyhow::Result<()> {
    let db = open(cli).await?;
    tracing::info!(backend = ?db.backend(), "database ready");
    let sandbox = if cli.server.no_sandbox {
        None
    } else {
        seed::ensure_sandbox(&db).await.map_err(store_error)?
    };
    let args = &cli.server;
    let settings = ServerSettings {
        bind: args.bind,
        workers: args.workers,
        body_limit: args.body_limit as usize,
        max_document_bytes: args.max_document_bytes as usize,
        transfer_validity: Duration::from_secs(args.transfer_validity_secs),
        expiry_sweep_interval: Duration::from_millis(args.expiry_sweep_ms),
        limits: Limits {
            max_depth: args.max_depth as usize,
            max_complexity: args.max_complexity as usize,
        },
        shutdown_grace: Duration::from_millis(args.shutdown_grace_ms),
        shutdown_timeout: Duration::from_secs(args.shutdown_timeout_secs),
    };
    let mut running = server::start(&settings, db)?;
    let base = format!("http://{}", running.addr);
    println!("Layer2 onboarding API is listening on {base}");
    println!("  GraphQL endpoint : {base}/graphql");
    println!("  GraphiQL         : {base}/");
    println!("  Health, readiness: {base}/healthz, {base}/readyz");
    match &sandbox {
        Some(sandbox) => print_sandbox(sandbox),
        None => println!(
            "  API keys         : `layer2 clients list`, then `layer2 keys create --client <id>` \
             (the sandbox key was printed when this database was new)"
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

fn print_sandbox(sandbox: &Sandbox) {
    println!(
        "  Sandbox client   : {} ({})",
        sandbox.client.name, sandbox.client.id
    );
    println!("  Sandbox API key  : {}", sandbox.key.expose());
    println!("                     (shown once: only its hash is stored)");
    for customer in &sandbox.customers {
        println!(
            "  Sandbox customer : {} ({})",
            customer.external_id,
            customer.customer_type()
        );
    }
}

async fn clients(cli: &Cli, command: &ClientsCommand) -> anyhow::Result<()> {
    let db = open(cli).await?;
    let mut pooled = db.conn().await.map_err(store_error)?;
    match command {
        ClientsCommand::Create {
            name,
            environment,
            regulated,
        } => {
            let name = name.trim();
            if name.is_empty() || name.chars().count() > 200 {
                bail!("--name must have 1 to 200 characters");
            }
            let client =
                store::clients::create(&mut pooled.conn(), name, (*environment).into(), *regulated)
                    .await
                    .map_err(store_error)?;
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
            for client in store::clients::list_all(&mut pooled.conn())
                .await
                .map_err(store_error)?
            {
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
    let db = open(cli).await?;
    let mut pooled = db.conn().await.map_err(store_error)?;
    let conn = &mut pooled.conn();
    match command {
        KeysCommand::Create {
            client,
            operator,
            label,
        } => {
            let client_id = match (client, operator) {
                (Some(id), false) => {
                    let id = ClientId(*id);
                    store::clients::find(conn, &Scope::for_client(id), id)
                        .await
                        .map_err(store_error)?
                        .with_context(|| format!("no client with id {id}"))?;
                    Some(id)
                }
                (None, true) => None,
                _ => bail!("give exactly one of --client ID or --operator"),
            };
            let key = ApiKeySecret::generate();
            store::api_keys::insert(conn, &key.to_record(client_id, label.clone()))
                .await
                .map_err(store_error)?;
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
            for key in store::api_keys::list_all(conn).await.map_err(store_error)? {
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
            if !store::api_keys::revoke(conn, prefix)
                .await
                .map_err(store_error)?
            {
                bail!("no active key with prefix {prefix}");
            }
            eprintln!("revoked {prefix}");
        }
    }
    Ok(())
}
