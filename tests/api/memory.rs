//! Memory returns after a heavy request: the real binary, as a process of its own (so that
//! `VmRSS` in /proc is the server's alone), answers two concurrent requests of about ten
//! megabytes each, and once they are answered its resident memory falls back near where it
//! was before, while the server sits idle.
//!
//! The server runs with a pool of two connections, so that what the database connections
//! keep by design (SQLite's page cache is per connection) stays out of the figures, and
//! without the expiry sweeper's timer, so that nothing but the allocator itself can give the
//! memory back while the server is idle.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use diesel_async::SimpleAsyncConnection;
use layer2::db::types::Timestamp;
use layer2::db::{Conn, Database};
use layer2::domain::client::Actor;
use layer2::domain::customer::{Address, IndividualDetails};
use layer2::domain::ids::{ClientId, CustomerKey};
use layer2::domain::status::CustomerStatus;
use layer2::seed;
use layer2::store::customers::{ChangeNote, Customer, Details};
use serde_json::json;

use crate::harness::{Backend, TestDb};
use crate::startup::layer2_command;

/// Customers seeded besides the sandbox's two: one full page.
const CUSTOMERS: usize = 100;
/// Aliased full pages of customers in one heavy request: about ten megabytes of JSON.
const ALIASES: usize = 16;
/// Heavy requests sent at once, one per HTTP worker.
const CONCURRENT: usize = 2;
/// The heavy requests must raise RSS by at least this much, or the test proves nothing.
const MIN_GROWTH_KIB: u64 = 40 * 1024;
/// After them, RSS must fall back to within this share of the growth above the baseline...
const KEPT_SHARE: u64 = 30;
/// ...within this long.
const SETTLE: Duration = Duration::from_secs(5);

/// The binary serving a seeded database on a free port.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(db: &TestDb) -> Self {
        let mut child = layer2_command(db)
            .current_dir(std::env::temp_dir())
            .args([
                "--bind",
                "127.0.0.1:0",
                "--workers",
                "2",
                "--pool-size",
                "2",
            ])
            .args([
                "--expiry-sweep-ms",
                "3600000",
                "--request-timeout-ms",
                "30000",
            ])
            .env("LAYER2_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("layer2 starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let base = loop {
            let line = lines
                .next()
                .expect("layer2 says where it listens")
                .expect("stdout is readable");
            if let Some(base) = line.strip_prefix("Layer2 onboarding API is listening on ") {
                break base.trim().to_owned();
            }
        };
        // Keep reading stdout, so that the server never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Self { child, base }
    }

    fn memory(&self) -> Memory {
        Memory::of(self.child.id())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A process's resident memory from /proc/<pid>/status, in KiB: all of it (`VmRSS`), and
/// its anonymous part (the heaps) and its file-backed part (mostly the binary's code).
#[derive(Debug, Clone, Copy)]
struct Memory {
    rss: u64,
    /// The highest `rss` since the process started, or since its reset (`VmHWM`).
    peak: u64,
    anon: u64,
    file: u64,
}

impl Memory {
    fn of(pid: u32) -> Self {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
                .unwrap_or_else(|| panic!("{name} in /proc/{pid}/status"))
        };
        Self {
            rss: field("VmRSS:"),
            peak: field("VmHWM:"),
            anon: field("RssAnon:"),
            file: field("RssFile:"),
        }
    }
}

impl std::fmt::Display for Memory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:.1} MiB (anon {:.1}, file {:.1})",
            self.rss as f64 / 1024.0,
            self.anon as f64 / 1024.0,
            self.file as f64 / 1024.0
        )
    }
}

/// `len` characters of text for customer `n`, distinct per customer; CJK, three bytes each
/// in UTF-8, so that a page is large without being many fields.
fn text(n: usize, what: &str, len: usize) -> String {
    let mut text = format!("{what} {n:04} ");
    text.extend(
        "多字节文本示例"
            .chars()
            .cycle()
            .take(len - text.chars().count()),
    );
    text
}

/// An individual whose texts are as long as the API accepts (100 characters for names, 255
/// for descriptions and address lines).
fn wordy_customer(client_id: ClientId, n: usize) -> Customer {
    let details = IndividualDetails {
        first_name: text(n, "First", 100),
        middle_name: Some(text(n, "Middle", 100)),
        last_name: text(n, "Last", 100),
        employer_name: Some(text(n, "Employer", 255)),
        employment_description: Some(text(n, "Employment", 255)),
        occupation: Some(text(n, "Occupation", 100)),
        mailing_address: Some(Address {
            unit_number: None,
            address_line1: text(n, "Line 1", 255),
            address_line2: Some(text(n, "Line 2", 255)),
            address_line3: Some(text(n, "Line 3", 255)),
            city: text(n, "City", 100),
            state: Some("NY".to_owned()),
            postal_code: Some("10001".to_owned()),
            country_code: "US".to_owned(),
        }),
        ..Default::default()
    };
    let today = chrono::Utc::now().date_naive();
    assert_eq!(
        details.check("", today),
        vec![],
        "the API accepts these details"
    );
    let now = Timestamp::now();
    Customer {
        id: CustomerKey::new(),
        client_id,
        external_id: format!("wordy-{n:04}"),
        status: CustomerStatus::Active,
        details: Details::Individual(details),
        accredited_investor: false,
        version: 1,
        created_at: now,
        updated_at: now,
        last_activity_at: now,
    }
}

/// Seeds the sandbox and `CUSTOMERS` wordy customers before the server starts (so that it
/// finds a client and seeds nothing itself); returns the sandbox key.
async fn seed_customers(db: &TestDb) -> String {
    let database = Database::open(&db.settings())
        .await
        .expect("database opens");
    let sandbox = seed::ensure_sandbox(&database)
        .await
        .expect("seed")
        .expect("a new database is seeded");
    let key = sandbox.key.expose().to_owned();
    let principal = layer2::auth::authenticate(
        &database,
        &layer2::clock::SystemClock,
        Some(&format!("Bearer {key}")),
    )
    .await
    .expect("the sandbox key works");
    let note = ChangeNote {
        reason: "memory test",
        updated_by: "test",
        actor: Actor::System,
    };
    let mut pooled = database.conn().await.expect("connection");
    let mut conn = pooled.conn();
    // One transaction (the store's own transaction macro is the library's alone).
    let begin = match &mut conn {
        Conn::Pg(c) => c.batch_execute("BEGIN").await,
        Conn::Sqlite(c) => c.batch_execute("BEGIN IMMEDIATE").await,
    };
    begin.expect("BEGIN");
    for n in 0..CUSTOMERS {
        let customer = wordy_customer(sandbox.client.id, n);
        layer2::store::customers::insert(&mut conn, &principal.scope(), &customer, &note)
            .await
            .expect("customer stored");
    }
    let commit = match &mut conn {
        Conn::Pg(c) => c.batch_execute("COMMIT").await,
        Conn::Sqlite(c) => c.batch_execute("COMMIT").await,
    };
    commit.expect("COMMIT");
    drop(pooled);
    database.close();
    key
}

/// `ALIASES` pages of `page` customers with every long text: with full pages about 1,600
/// customers, 24,000 fields and ten megabytes of JSON (well within the default limits).
fn pages_query(page: usize) -> String {
    let mut query = String::from(
        "fragment C on Customer { id customerId displayName individual { firstName middleName \
         lastName employerName employmentDescription occupation \
         mailingAddress { addressLine1 addressLine2 addressLine3 city } } }\n{",
    );
    for n in 0..ALIASES {
        query.push_str(&format!(
            " p{n}: customers(first: {page}) {{ nodes {{ ...C }} }}"
        ));
    }
    query.push_str(" }");
    query
}

/// POSTs `query`; asserts a 200 without errors; returns the body's size.
async fn post(http: &reqwest::Client, base: &str, key: &str, query: &str) -> usize {
    let response = http
        .post(format!("{base}/graphql"))
        .bearer_auth(key)
        .json(&json!({ "query": query }))
        .send()
        .await
        .expect("request sent");
    let status = response.status().as_u16();
    let body = response.bytes().await.expect("body");
    let tail = String::from_utf8_lossy(&body[body.len().saturating_sub(600)..]).into_owned();
    assert_eq!(status, 200, "{tail}");
    // Errors are serialised after the data, as the body's last member.
    assert!(!tail.contains("\"errors\":["), "{tail}");
    body.len()
}

/// Sends `CONCURRENT` copies of `query` at once; returns the size of one answer.
async fn send_at_once(http: &reqwest::Client, base: &str, key: &str, query: &str) -> usize {
    let requests: Vec<_> = (0..CONCURRENT)
        .map(|_| {
            let (http, base, key, query) = (
                http.clone(),
                base.to_owned(),
                key.to_owned(),
                query.to_owned(),
            );
            tokio::spawn(async move { post(&http, &base, &key, &query).await })
        })
        .collect();
    let mut size = 0;
    for request in requests {
        size = request.await.expect("request task");
    }
    size
}

async fn memory_returns_after_a_heavy_request(backend: Backend) {
    let Some(db) = TestDb::fresh(backend).await else {
        return;
    };
    let key = seed_customers(&db).await;
    let server = Server::start(&db);
    let http = reqwest::Client::new();

    // Warm-up: the same requests with pages of one, so that every code path, connection and
    // thread they use exists before the baseline.
    send_at_once(&http, &server.base, &key, &pages_query(1)).await;
    let baseline = server.memory();

    // Heavy: the kernel's high-water mark of RSS, reset to the baseline first, is the peak.
    let pid = server.child.id();
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").expect("VmHWM reset");
    let started = Instant::now();
    let size = send_at_once(&http, &server.base, &key, &pages_query(100)).await;
    let took = started.elapsed();
    let peak = server.memory().peak;
    let growth = peak.saturating_sub(baseline.rss);
    let limit = baseline.rss + growth * KEPT_SHARE / 100;

    // Idle: RSS read every 100 ms until it is back within the limit, or the deadline passes.
    let idle = Instant::now();
    let mut after = server.memory();
    while after.rss > limit && idle.elapsed() < SETTLE {
        tokio::time::sleep(Duration::from_millis(100)).await;
        after = server.memory();
    }
    eprintln!(
        "memory on {backend:?}: {CONCURRENT} requests of {:.1} MB at once in {took:.1?}; \
         RSS baseline {baseline}, peak {:.1} MiB, after {after} {} ms later (limit {:.1} MiB)",
        size as f64 / 1e6,
        peak as f64 / 1024.0,
        idle.elapsed().as_millis(),
        limit as f64 / 1024.0,
    );
    assert!(
        growth >= MIN_GROWTH_KIB,
        "the requests raised RSS by only {} MiB: too light to show anything",
        growth / 1024
    );
    assert!(
        after.rss <= limit,
        "RSS kept {} MiB of the {} MiB the requests added ({}%) after {SETTLE:?} idle",
        (after.rss - baseline.rss) / 1024,
        growth / 1024,
        (after.rss - baseline.rss) * 100 / growth
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rss_returns_near_its_baseline_after_a_heavy_request_sqlite() {
    memory_returns_after_a_heavy_request(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rss_returns_near_its_baseline_after_a_heavy_request_postgres() {
    memory_returns_after_a_heavy_request(Backend::Postgres).await;
}
