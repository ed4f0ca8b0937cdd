//! Benchmark: webhooks. Starts the real server over a fresh sandbox and a local receiver
//! (answers 204), then measures, in one run:
//! - the latency of a write (`simulateIncomingPayment` over HTTP, one after another) with no
//!   subscription, and with one subscribed to its event while the deliverer sends;
//! - how many events per second the deliverer delivers: a backlog built while the
//!   subscription is disabled, timed from re-enabling until the receiver has it all.
//!
//! `cargo run --release --bin bench_webhooks -- [EVENTS] [DATABASE_URL]`
//! (defaults: 2000 events, a fresh SQLite file in a temp directory).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use layer2::db::{Database, DatabaseUrl, DbSettings};
use layer2::server::ServerSettings;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const WRITES: usize = 300;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let events: usize = args.get(1).map(|n| n.parse()).transpose()?.unwrap_or(2000);
    let dir = std::env::temp_dir().join(format!("layer2-bench-webhooks-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let url = args
        .get(2)
        .cloned()
        .unwrap_or_else(|| format!("sqlite://{}/bench.db", dir.display()));
    let db = Database::open(&DbSettings {
        url: DatabaseUrl::parse(&url).map_err(anyhow::Error::msg)?,
        pool_size: 8,
        acquire_timeout: Duration::from_secs(10),
        statement_timeout: Duration::from_secs(60),
        ca_file: std::env::var_os("DATABASE_CA_FILE").map(Into::into),
    })
    .await?;
    let sandbox = layer2::seed::create_sandbox(&db)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let key = sandbox.key.expose().to_owned();
    let mut settings = ServerSettings::local("127.0.0.1:0".parse()?);
    settings.webhooks.allow_private_addresses = true;
    let server = layer2::server::start(&settings, db.clone())?;
    let api = format!("http://{}/graphql", server.addr);
    let http = reqwest::Client::new();
    let (receiver, received) = receiver().await?;
    println!("backend {:?}", db.backend());

    let without = write_latencies(&http, &api, &key, "plain").await?;
    let created = gql(&http, &api, &key,
        "mutation($url: String!) { createWebhookSubscription(url: $url, eventTypes: [PAYMENT_CONFIRMED]) {
            subscription { id } } }", json!({ "url": receiver })).await?;
    let id = created["data"]["createWebhookSubscription"]["subscription"]["id"].clone();
    let with = write_latencies(&http, &api, &key, "hooked").await?;
    println!(
        "write latency (p50 of {WRITES} sequential payments): {:.2?} without a subscription, \
         {:.2?} with one delivering: ratio {:.2}",
        without,
        with,
        with.as_secs_f64() / without.as_secs_f64()
    );
    wait_until(&received, WRITES).await?;

    // A backlog while disabled, then timed delivery once re-enabled.
    let toggle = "mutation($id: ID!, $on: Boolean) { updateWebhookSubscription(id: $id, enabled: $on) { enabled } }";
    gql(&http, &api, &key, toggle, json!({ "id": id, "on": false })).await?;
    for n in 0..events {
        pay(&http, &api, &key, &format!("backlog-{n}")).await?;
    }
    let before = received.load(Ordering::SeqCst);
    let started = Instant::now();
    gql(&http, &api, &key, toggle, json!({ "id": id, "on": true })).await?;
    wait_until(&received, before + events).await?;
    let elapsed = started.elapsed();
    println!(
        "delivered {events} events to one subscription in {elapsed:.2?}: {:.0} events/s",
        events as f64 / elapsed.as_secs_f64()
    );
    server.shutdown().await?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

async fn gql(
    http: &reqwest::Client,
    api: &str,
    key: &str,
    query: &str,
    variables: Value,
) -> anyhow::Result<Value> {
    // reqwest's `json` feature is a test dependency only: encode and decode by hand.
    let request = serde_json::to_vec(&json!({ "query": query, "variables": variables }))?;
    let answer = http
        .post(api)
        .bearer_auth(key)
        .header("content-type", "application/json")
        .body(request)
        .send()
        .await?
        .bytes()
        .await?;
    let body: Value = serde_json::from_slice(&answer)?;
    if !body["errors"].is_null() {
        anyhow::bail!("{body}");
    }
    Ok(body)
}

async fn pay(
    http: &reqwest::Client,
    api: &str,
    key: &str,
    idempotency_key: &str,
) -> anyhow::Result<()> {
    gql(
        http,
        api,
        key,
        "mutation($key: String!) { simulateIncomingPayment(accountId: \"sandbox-individual-1-usd\",
            amount: \"1.00\", idempotencyKey: $key) { transaction { id } } }",
        json!({ "key": idempotency_key }),
    )
    .await?;
    Ok(())
}

/// The median latency of `WRITES` payments made one after another.
async fn write_latencies(
    http: &reqwest::Client,
    api: &str,
    key: &str,
    tag: &str,
) -> anyhow::Result<Duration> {
    let mut times = Vec::with_capacity(WRITES);
    for n in 0..WRITES {
        let started = Instant::now();
        pay(http, api, key, &format!("{tag}-{n}")).await?;
        times.push(started.elapsed());
    }
    times.sort();
    Ok(times[times.len() / 2])
}

async fn wait_until(received: &AtomicUsize, count: usize) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(600);
    while received.load(Ordering::SeqCst) < count {
        if Instant::now() > deadline {
            anyhow::bail!(
                "only {} of {count} deliveries arrived",
                received.load(Ordering::SeqCst)
            );
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Ok(())
}

/// A loopback HTTP/1.1 receiver answering 204 to every request; its URL and its count.
async fn receiver() -> anyhow::Result<(String, Arc<AtomicUsize>)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hooks", listener.local_addr()?);
    let count = Arc::new(AtomicUsize::new(0));
    let counting = count.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let count = counting.clone();
            tokio::spawn(async move {
                let mut buffer = Vec::new();
                let mut chunk = [0u8; 8192];
                loop {
                    let Some(head) = buffer.windows(4).position(|w| w == b"\r\n\r\n") else {
                        match stream.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                        }
                        continue;
                    };
                    let text = String::from_utf8_lossy(&buffer[..head]).to_ascii_lowercase();
                    let length: usize = text
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse().ok())
                        .unwrap_or(0);
                    if buffer.len() < head + 4 + length {
                        match stream.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                        }
                        continue;
                    }
                    buffer.drain(..head + 4 + length);
                    count.fetch_add(1, Ordering::SeqCst);
                    if stream
                        .write_all(b"HTTP/1.1 204 No Content\r\n\r\n")
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    Ok((url, count))
}
