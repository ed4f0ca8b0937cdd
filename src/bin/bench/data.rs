//! The bench's data, seeded through the real schema and operations: a PRODUCTION client
//! whose customers are listed (the first 10,000 with 3 accounts and 2 payors each, the rest
//! bare), and a small PRODUCTION client whose funded accounts take the transfers.

use std::time::{Duration, Instant};

use anyhow::anyhow;
use layer2::db::{Conn, Database};
use layer2::domain::client::Environment;
use layer2::domain::ids::ClientId;
use layer2::domain::tenancy::Principal;
use layer2::ops::{self, OpError};
use rust_decimal::Decimal;

/// Customers with accounts and payors (the first ones in the list).
pub const HOLDING_CUSTOMERS: usize = 10_000;
pub const ACCOUNTS_EACH: usize = 3;
pub const PAYORS_EACH: usize = 2;
/// What each transfer account starts with, in dollars.
const FUNDING: i64 = 1_000_000;

/// The seeded clients and what the load needs of them.
pub struct Fixture {
    pub listed: ClientId,
    pub listed_key: String,
    pub customers: usize,
    pub paying: ClientId,
    pub paying_key: String,
    /// One pair of the paying client's accounts (`accountId`s) per worker.
    pub pairs: Vec<(String, String)>,
    pub seeding: Duration,
}

fn op_error(error: OpError) -> anyhow::Error {
    anyhow!("{}: {}", error.code(), error.message())
}

fn platform(db: &Database) -> ops::App {
    ops::App {
        db: db.clone(),
        clock: layer2::clock::system(),
        settings: std::sync::Arc::new(ops::Settings::default()),
    }
}

/// Creates both clients and their keys, and the paying client's funded pairs.
pub async fn create(db: &Database, workers: usize) -> anyhow::Result<Fixture> {
    let started = Instant::now();
    let (listed, listed_key) = client(db, "Bench listed client").await?;
    let (paying, paying_key) = client(db, "Bench paying client").await?;
    layer2::seed::synthetic_holdings(db, paying, 0, workers, (ACCOUNTS_EACH, PAYORS_EACH))
        .await
        .map_err(op_error)?;
    let pairs: Vec<(String, String)> = (0..workers)
        .map(|n| {
            let customer = format!("synthetic-{n:06}");
            (format!("{customer}-acct-0"), format!("{customer}-acct-1"))
        })
        .collect();
    let app = platform(db);
    let principal = operator(db).await?;
    for account_id in pairs.iter().flat_map(|(a, b)| [a, b]) {
        let input = ops::money::receive_payment::Input {
            into: ops::money::receive_payment::Destination::Account {
                account_id: account_id.clone(),
                client: Some(paying),
            },
            amount: Decimal::new(FUNDING, 0),
            reference: None,
            idempotency_key: format!("bench-funding-{account_id}"),
        };
        ops::money::receive_payment::run(&app.cx(&principal), input)
            .await
            .map_err(op_error)?;
    }
    Ok(Fixture {
        listed,
        listed_key,
        customers: 0,
        paying,
        paying_key,
        pairs,
        seeding: started.elapsed(),
    })
}

/// The operator, by a key minted for it: money comes in by the operator's simulated
/// payments, as a test would bring it.
async fn operator(db: &Database) -> anyhow::Result<Principal> {
    let app = platform(db);
    let system = Principal::system();
    let key = ops::clients::keys::mint(&app.cx(&system), None, Some("bench operator".into()))
        .await
        .map_err(op_error)?;
    layer2::auth::authenticate(
        db,
        &layer2::clock::SystemClock,
        Some(&format!("Bearer {}", key.expose())),
    )
    .await
    .map_err(|e| anyhow!("the operator's key: {e:?}"))
}

/// A regulated PRODUCTION client and a key of its own.
async fn client(db: &Database, name: &str) -> anyhow::Result<(ClientId, String)> {
    let app = platform(db);
    let principal = Principal::system();
    let cx = app.cx(&principal);
    let input = ops::clients::create_client::Input {
        name: name.to_owned(),
        environment: Environment::Production,
        regulated: true,
    };
    let client = ops::clients::create_client::run(&cx, input)
        .await
        .map_err(op_error)?;
    let key = ops::clients::keys::mint(&cx, Some(client.id), Some("bench".into()))
        .await
        .map_err(op_error)?;
    Ok((client.id, key.expose().to_owned()))
}

/// Grows the listed client to `size` customers: holdings first, then bare ones, in steps
/// with progress.
pub async fn grow(db: &Database, fixture: &mut Fixture, size: usize) -> anyhow::Result<()> {
    let started = Instant::now();
    let from = fixture.customers;
    let step = (size / 10).clamp(1_000, 100_000);
    while fixture.customers < size {
        let next = fixture.customers;
        let count = if next < HOLDING_CUSTOMERS {
            let count = step.min(HOLDING_CUSTOMERS - next).min(size - next);
            let shape = (ACCOUNTS_EACH, PAYORS_EACH);
            layer2::seed::synthetic_holdings(db, fixture.listed, next, count, shape).await
        } else {
            let count = step.min(size - next);
            layer2::seed::synthetic_customers_from(db, fixture.listed, next, count).await
        }
        .map_err(op_error)?;
        fixture.customers += count;
        println!(
            "  seeded {}/{size} customers ({:.1?})",
            fixture.customers,
            started.elapsed()
        );
    }
    if size > from {
        analyze(db).await?;
        fixture.seeding += started.elapsed();
    }
    Ok(())
}

/// Refreshes the planner's statistics after a bulk load, as PostgreSQL's autovacuum and the
/// server's periodic `PRAGMA optimize` on SQLite would do soon after (without them a freshly
/// loaded table's plans are guesses, the same for the server and the yardstick).
async fn analyze(db: &Database) -> anyhow::Result<()> {
    use diesel_async::SimpleAsyncConnection;
    let _turn = db.write_turn().await;
    let mut pooled = db.conn().await?;
    match pooled.conn() {
        Conn::Pg(c) => c.batch_execute("ANALYZE").await?,
        Conn::Sqlite(c) => c.batch_execute("ANALYZE").await?,
    }
    Ok(())
}
