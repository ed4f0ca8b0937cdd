//! The benchmark (issue #19): seeds deterministic data through the real operations, starts
//! the real `layer2` binary on it, drives it over HTTP at fixed concurrency, and measures the
//! same reads and writes done with hand-written SQL in this process (the yardstick), in one
//! run. Prints one table; speed is reported, never asserted.
//!
//! `cargo build --release --bins && target/release/bench [--quick] [--postgres |
//! --database-url URL] [--customers 10000,100000,1000000]`

mod data;
mod dormancy;
mod load;
mod postgres;
mod reads;
mod server;
mod sql;
mod writes;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, ensure};
use clap::Parser;
use layer2::db::{Database, DatabaseUrl, DbSettings};

use crate::load::{Api, Plan, Stats};
use crate::reads::{Read, Reads};
use crate::server::{RssSampler, Server};
use crate::writes::Writes;

/// The same allocator as the server's, so that the yardstick pays what the server pays.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
#[command(about = "Benchmark the layer2 server against hand-written SQL on the same rows")]
struct Args {
    /// A short smoke run (under a minute): 2,000 customers, 1 s per measurement.
    #[arg(long)]
    quick: bool,
    /// Sizes of the listed client to measure at, in customers, ascending (the first 10,000
    /// have 3 accounts and 2 payors each). Default: 10000,100000,1000000 (quick: 2000).
    #[arg(long, value_delimiter = ',')]
    customers: Vec<usize>,
    /// An existing, empty PostgreSQL database (postgres://…) or SQLite file (sqlite://…).
    /// Default: a new SQLite file in a temporary directory.
    #[arg(long, env = "BENCH_DATABASE_URL", conflicts_with = "postgres")]
    database_url: Option<String>,
    /// A throwaway PostgreSQL cluster started for the run (initdb and pg_ctl on this machine).
    #[arg(long)]
    postgres: bool,
    /// Clients calling at once, for the server and for the yardstick alike.
    #[arg(long, default_value_t = 10)]
    concurrency: usize,
    /// Seconds each measurement runs (default 10; quick: 1).
    #[arg(long)]
    seconds: Option<f64>,
    /// Only these operations (lookup, first-page, deep-page, nested, total-count,
    /// transfers, dormancy), e.g. to profile one; default: all.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Connections in the server's pool and in the yardstick's.
    #[arg(long, default_value_t = 10)]
    pool_size: usize,
}

/// One line of the table.
struct Row {
    operation: String,
    customers: usize,
    server: Stats,
    yardstick: Stats,
    /// The server's peak resident memory while this row was measured, in MB.
    rss_mb: f64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    // The operations' own warnings (an internal error's cause) while seeding.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("BENCH_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let sizes = sizes(&args)?;
    let seconds = args.seconds.unwrap_or(if args.quick { 1.0 } else { 10.0 });
    let plan = Plan {
        concurrency: args.concurrency,
        warmup: Duration::from_secs_f64((seconds / 5.0).max(0.2)),
        duration: Duration::from_secs_f64(seconds),
    };
    let workdir = Workdir::new()?;
    let cluster = match args.postgres {
        true => Some(postgres::Cluster::start().await?),
        false => None,
    };
    let url = match (&cluster, &args.database_url) {
        (Some(cluster), _) => cluster.url.clone(),
        (None, Some(url)) => url.clone(),
        (None, None) => format!("sqlite://{}/bench.db", workdir.path().display()),
    };
    let db = Database::open(&DbSettings {
        url: DatabaseUrl::parse(&url).map_err(anyhow::Error::msg)?,
        pool_size: args.pool_size,
        acquire_timeout: Duration::from_secs(60),
        statement_timeout: Duration::from_secs(60),
        // The server reads the same variable (tests' PostgreSQL serves TLS with its own CA).
        ca_file: std::env::var_os("DATABASE_CA_FILE").map(Into::into),
    })
    .await?;
    println!(
        "layer2 bench: {:?}, {} clients, {seconds} s a measurement, pool {}",
        db.backend(),
        args.concurrency,
        args.pool_size
    );
    let mut fixture = data::create(&db, args.concurrency).await?;
    let server = Server::start(&url, workdir.path(), args.pool_size).await?;
    let rss = RssSampler::start(server.pid());
    let api = Api::new(&server.base, args.concurrency)?;
    let mut rows = Vec::new();
    println!("{HEADER}");
    for &size in &sizes {
        data::grow(&db, &mut fixture, size).await?;
        if !Read::ALL.iter().any(|read| chosen(&args, read.key())) {
            continue;
        }
        let reads = Reads::new(
            api.clone(),
            fixture.listed_key.clone(),
            db.clone(),
            fixture.listed,
            size,
        )
        .await?;
        for read in Read::ALL {
            if !chosen(&args, read.key()) {
                continue;
            }
            rss.take_peak_kb();
            let mut row = measure_read(&reads, read, plan).await?;
            row.rss_mb = rss.take_peak_kb() as f64 / 1024.0;
            print_row(&row);
            rows.push(row);
        }
    }
    let writes = Writes {
        api: api.clone(),
        key: fixture.paying_key.clone(),
        db: db.clone(),
        client: fixture.paying,
        pairs: fixture.pairs.clone(),
        run: uuid::Uuid::now_v7().simple().to_string(),
    };
    if chosen(&args, "transfers") {
        rows.push(transfers(&writes, &db, &fixture, plan, &rss).await?);
    }
    drop(rss);
    server.stop().await?;
    // Last: it makes every seeded customer DORMANT.
    let dormancy = match chosen(&args, "dormancy") {
        true => Some(dormancy::run(&db).await?),
        false => None,
    };
    report(&rows, &sizes, &fixture, db.backend());
    if let Some(pass) = dormancy {
        println!(
            "dormancy job, one pass a year and a day on: {} customers made DORMANT in {:.1?} \
             ({:.0} a second)",
            pass.moved,
            pass.took,
            pass.moved as f64 / pass.took.as_secs_f64().max(f64::EPSILON)
        );
    }
    drop(cluster);
    Ok(())
}

/// Whether `--only` names this operation (or is not given).
fn chosen(args: &Args, key: &str) -> bool {
    args.only.is_empty() || args.only.iter().any(|k| k == key)
}

/// The transfer pairs, with the paying client's money and ledgers checked before and after.
async fn transfers(
    writes: &Writes,
    db: &Database,
    fixture: &data::Fixture,
    plan: Plan,
    rss: &RssSampler,
) -> anyhow::Result<Row> {
    let before = writes::reconciled_total(db, fixture.paying).await?;
    rss.take_peak_kb();
    let mut row = measure_writes(writes, plan).await?;
    row.rss_mb = rss.take_peak_kb() as f64 / 1024.0;
    let after = writes::reconciled_total(db, fixture.paying).await?;
    ensure!(
        before == after,
        "money not conserved: {before} before the writes, {after} after"
    );
    print_row(&row);
    Ok(row)
}

fn sizes(args: &Args) -> anyhow::Result<Vec<usize>> {
    let sizes = match (args.customers.is_empty(), args.quick) {
        (false, _) => args.customers.clone(),
        (true, true) => vec![2_000],
        (true, false) => vec![10_000, 100_000, 1_000_000],
    };
    ensure!(
        sizes.windows(2).all(|w| w[0] < w[1]) && sizes[0] >= args.concurrency.max(100),
        "--customers must ascend and start at 100 or more (and at least the concurrency)"
    );
    Ok(sizes)
}

async fn measure_read(reads: &Reads, read: Read, plan: Plan) -> anyhow::Result<Row> {
    let over_http = reads.clone();
    let server = load::drive(plan, move |_, n| {
        let reads = over_http.clone();
        async move { reads.over_http(read, n).await }
    })
    .await
    .with_context(|| format!("{} over HTTP", read.name()))?;
    let in_sql = reads.clone();
    let yardstick = load::drive(plan, move |_, n| {
        let reads = in_sql.clone();
        async move { reads.in_sql(read, n).await }
    })
    .await
    .with_context(|| format!("{} in SQL", read.name()))?;
    Ok(Row {
        operation: read.name().to_owned(),
        customers: reads.customers,
        server,
        yardstick,
        rss_mb: 0.0,
    })
}

async fn measure_writes(writes: &Writes, plan: Plan) -> anyhow::Result<Row> {
    let over_http = writes.clone();
    let server = load::drive(plan, move |worker, n| {
        let writes = over_http.clone();
        async move { writes.over_http(worker, n).await }
    })
    .await
    .context("transfers over HTTP")?;
    let in_sql = writes.clone();
    let yardstick = load::drive(plan, move |worker, n| {
        let writes = in_sql.clone();
        async move { writes.in_sql(worker, n).await }
    })
    .await
    .context("transfers in SQL")?;
    Ok(Row {
        operation: "createTransfer + acceptTransfer".to_owned(),
        customers: writes.pairs.len(),
        server,
        yardstick,
        rss_mb: 0.0,
    })
}

const HEADER: &str = "operation                            customers      rps   p50 ms   p99 ms  stmts  SQL rps  SQL p50  ratio  RSS MB";

fn print_row(row: &Row) {
    let statements = row
        .server
        .statements
        .map_or("-".to_owned(), |s| format!("{s:.1}"));
    println!(
        "{:<36} {:>9} {:>8.0} {:>8.2} {:>8.2} {:>6} {:>8.0} {:>8.2} {:>6.2} {:>7.1}",
        row.operation,
        row.customers,
        row.server.rps(),
        row.server.percentile_ms(0.5),
        row.server.percentile_ms(0.99),
        statements,
        row.yardstick.rps(),
        row.yardstick.percentile_ms(0.5),
        row.server.rps() / row.yardstick.rps().max(f64::EPSILON),
        row.rss_mb,
    );
}

/// The whole table again, then how each read's p50 grew with the data, the memory peak and
/// the seeding time.
fn report(rows: &[Row], sizes: &[usize], fixture: &data::Fixture, backend: layer2::db::Backend) {
    println!(
        "\n== {backend:?}: server over HTTP vs. hand-written SQL in process (ratio = rps / SQL rps)"
    );
    println!("{HEADER}");
    for row in rows {
        print_row(row);
    }
    if let (Some(first), Some(last)) = (sizes.first(), sizes.last())
        && first != last
    {
        println!("\np50 at {last} customers / p50 at {first}:");
        for read in Read::ALL {
            let p50 = |size: &usize| {
                rows.iter()
                    .find(|r| r.operation == read.name() && r.customers == *size)
                    .map(|r| r.server.percentile_ms(0.5))
            };
            if let (Some(small), Some(large)) = (p50(first), p50(last)) {
                println!("  {:<36} {:>6.2}", read.name(), large / small);
            }
        }
    }
    let peak = rows.iter().map(|r| r.rss_mb).fold(0.0, f64::max);
    println!(
        "\nserver peak RSS: {peak:.1} MB; seeding took {:.1?}",
        fixture.seeding
    );
}

/// A directory of the run's own (the SQLite file, the server's log), removed at the end.
struct Workdir(PathBuf);

impl Workdir {
    fn new() -> anyhow::Result<Self> {
        let name = format!("layer2-bench-{}", uuid::Uuid::now_v7().simple());
        let dir = std::env::temp_dir().join(name);
        std::fs::create_dir_all(&dir)?;
        Ok(Self(dir))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Workdir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
