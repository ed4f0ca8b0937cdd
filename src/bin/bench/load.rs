//! The load generator: `concurrency` workers calling one operation back to back for a fixed
//! time after a warm-up, and what they measured; and the GraphQL client they call through.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::{Value, json};

/// How long to load, with how many workers.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    pub concurrency: usize,
    pub warmup: Duration,
    pub duration: Duration,
}

/// What one timed run measured.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    pub elapsed: Duration,
    /// Sorted.
    pub latencies: Vec<Duration>,
    /// Statements per request, where the responses said.
    pub statements: Option<f64>,
}

impl Stats {
    pub fn rps(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64().max(f64::EPSILON)
    }

    pub fn percentile_ms(&self, p: f64) -> f64 {
        let Some(last) = self.latencies.len().checked_sub(1) else {
            return f64::NAN;
        };
        let at = ((last as f64) * p).round() as usize;
        self.latencies[at.min(last)].as_secs_f64() * 1000.0
    }
}

/// Warms up, then measures: `call(worker, n)` with `n` unique across both phases; each call
/// answers the statements it ran, if known. The first error stops the run.
pub async fn drive<F, Fut>(plan: Plan, call: F) -> anyhow::Result<Stats>
where
    F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = anyhow::Result<Option<u64>>> + Send + 'static,
{
    let call = Arc::new(call);
    let counter = Arc::new(AtomicU64::new(0));
    run_for(plan.concurrency, plan.warmup, &call, &counter).await?;
    run_for(plan.concurrency, plan.duration, &call, &counter).await
}

async fn run_for<F, Fut>(
    concurrency: usize,
    duration: Duration,
    call: &Arc<F>,
    counter: &Arc<AtomicU64>,
) -> anyhow::Result<Stats>
where
    F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = anyhow::Result<Option<u64>>> + Send + 'static,
{
    let started = Instant::now();
    let end = started + duration;
    let workers: Vec<_> = (0..concurrency)
        .map(|worker| {
            let (call, counter) = (call.clone(), counter.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let (mut statements, mut reported) = (0u64, 0u64);
                while Instant::now() < end {
                    let n = counter.fetch_add(1, Ordering::Relaxed);
                    let begun = Instant::now();
                    let ran = call(worker, n).await?;
                    latencies.push(begun.elapsed());
                    if let Some(ran) = ran {
                        statements += ran;
                        reported += 1;
                    }
                }
                anyhow::Ok((latencies, statements, reported))
            })
        })
        .collect();
    let mut stats = Stats::default();
    let (mut statements, mut reported) = (0u64, 0u64);
    for worker in workers {
        let (latencies, ran, told) = worker.await??;
        stats.latencies.extend(latencies);
        statements += ran;
        reported += told;
    }
    stats.elapsed = started.elapsed();
    stats.latencies.sort();
    if reported > 0 && reported == stats.latencies.len() as u64 {
        stats.statements = Some(statements as f64 / reported as f64);
    }
    Ok(stats)
}

/// A keep-alive HTTP client for one server's GraphQL endpoint.
#[derive(Clone)]
pub struct Api {
    http: reqwest::Client,
    url: String,
}

impl Api {
    pub fn new(base: &str, concurrency: usize) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(concurrency * 2)
            .build()?;
        Ok(Self {
            http,
            url: format!("{base}/graphql"),
        })
    }

    /// The `data` of a response without errors, and its `extensions.statements`.
    pub async fn call(
        &self,
        key: &str,
        query: &str,
        variables: Value,
    ) -> anyhow::Result<(Value, Option<u64>)> {
        let body = serde_json::to_vec(&json!({ "query": query, "variables": variables }))?;
        let response = self
            .http
            .post(&self.url)
            .bearer_auth(key)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await?;
        let status = response.status();
        let bytes = response.bytes().await?;
        let mut answer: Value = serde_json::from_slice(&bytes)
            .with_context(|| format!("HTTP {status}: {}", String::from_utf8_lossy(&bytes)))?;
        if !status.is_success() || !answer["errors"].is_null() {
            bail!("HTTP {status}: {answer}");
        }
        let statements = answer["extensions"]["statements"].as_u64();
        Ok((answer["data"].take(), statements))
    }
}

/// A deterministic pseudo-random number for call `n` (splitmix64 over a fixed seed).
pub fn random(n: u64) -> u64 {
    let mut z = n
        .wrapping_add(0x5eed_0000_0000_0019)
        .wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}
