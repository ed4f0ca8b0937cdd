//! Benchmark: does a page of customers cost the same at any depth? Seeds synthetic customers
//! for one client, then times the first page and pages deep into the list (keyset cursors),
//! in both orders, and prints the medians and their ratio to the first page.
//!
//! `cargo run --release --bin bench_pages -- [CUSTOMERS] [DATABASE_URL]`
//! (defaults: 20000 customers, a fresh SQLite file in a temp directory).

use std::time::{Duration, Instant};

use layer2::db::{Database, DatabaseUrl, DbSettings};
use layer2::store::customers::{CustomerCursor, CustomerFilter, CustomerOrder, CustomerPage};

const PAGE: i64 = 100;
const ROUNDS: usize = 100;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let customers: usize = args
        .get(1)
        .map(|n| n.parse())
        .transpose()?
        .unwrap_or(20_000);
    let dir = tempfile_dir()?;
    let url = args
        .get(2)
        .cloned()
        .unwrap_or_else(|| format!("sqlite://{}/bench.db", dir.display()));
    let settings = DbSettings {
        url: DatabaseUrl::parse(&url).map_err(anyhow::Error::msg)?,
        pool_size: 4,
        acquire_timeout: Duration::from_secs(10),
        statement_timeout: Duration::from_secs(60),
        ca_file: std::env::var_os("DATABASE_CA_FILE").map(Into::into),
    };
    let db = Database::open(&settings).await?;
    let sandbox = layer2::seed::create_sandbox(&db)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let started = Instant::now();
    layer2::seed::synthetic_customers(&db, sandbox.client.id, customers)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    println!(
        "backend {:?}: seeded {customers} customers in {:.1?}",
        db.backend(),
        started.elapsed()
    );
    let principal = layer2::auth::authenticate(
        &db,
        &layer2::clock::SystemClock,
        Some(&format!("Bearer {}", sandbox.key.expose())),
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let scope = principal.scope();
    let filter = CustomerFilter::default();

    for (order, name) in [
        (CustomerOrder::CreatedAt, "createdAt"),
        (CustomerOrder::CustomerId, "customerId"),
    ] {
        // Walk the whole list once to collect the cursor at each depth to measure.
        let depths = [0, customers / 4, customers / 2, customers - PAGE as usize];
        let mut cursors: Vec<Option<CustomerCursor>> = Vec::new();
        let mut after: Option<CustomerCursor> = None;
        let mut seen = 0;
        for &depth in &depths {
            while seen < depth {
                let step = (depth - seen).min(1_000) as i64;
                let page = CustomerPage {
                    order,
                    descending: false,
                    after: after.clone(),
                    limit: step,
                };
                let mut pooled = db.conn().await?;
                let rows =
                    layer2::store::customers::list(&mut pooled.conn(), &scope, &filter, &page)
                        .await
                        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
                let Some(last) = rows.last() else { break };
                after = Some(match order {
                    CustomerOrder::CreatedAt => CustomerCursor::CreatedAt(last.created_at, last.id),
                    CustomerOrder::CustomerId => {
                        CustomerCursor::CustomerId(last.external_id.clone(), last.id)
                    }
                });
                seen += rows.len();
            }
            cursors.push(after.clone());
        }
        let mut first = None;
        for (depth, cursor) in depths.iter().zip(cursors) {
            let page = CustomerPage {
                order,
                descending: false,
                after: cursor,
                limit: PAGE + 1,
            };
            let mut times = Vec::with_capacity(ROUNDS);
            for _ in 0..ROUNDS {
                let mut pooled = db.conn().await?;
                let start = Instant::now();
                let rows =
                    layer2::store::customers::list(&mut pooled.conn(), &scope, &filter, &page)
                        .await
                        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
                times.push(start.elapsed());
                anyhow::ensure!(!rows.is_empty(), "empty page at depth {depth}");
            }
            times.sort();
            let median = times[ROUNDS / 2];
            let base = *first.get_or_insert(median);
            println!(
                "order {name:<10} depth {depth:>7}: median {:>8.3} ms  ({:.2}x the first page)",
                median.as_secs_f64() * 1000.0,
                median.as_secs_f64() / base.as_secs_f64()
            );
        }
    }
    Ok(())
}

fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("layer2-bench-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
