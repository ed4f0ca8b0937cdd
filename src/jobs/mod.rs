//! The server's background jobs: loops that call operations, safe to run on every replica
//! at once (each change they make is a compare-and-set or a bounded delete).

pub mod webhooks;

use std::time::Duration;

use crate::ops::App;

/// How many transfers, idempotency keys and events one pass handles at most.
const BATCH: i64 = 500;

/// How often SQLite's planner statistics are refreshed (SQLite's advice for long-lived
/// connections: hourly or daily).
const OPTIMIZE_EVERY: Duration = Duration::from_secs(3600);

/// Every `interval`, for as long as the server runs: expires overdue transfers (releasing
/// their holds), deletes idempotency keys and events past their retention, closes pooled
/// connections left idle for minutes, and hourly refreshes SQLite's planner statistics.
pub async fn sweep(app: App, interval: Duration) {
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut optimized = std::time::Instant::now();
    loop {
        ticks.tick().await;
        if optimized.elapsed() >= OPTIMIZE_EVERY {
            optimized = std::time::Instant::now();
            if let Err(error) = app.db.optimize().await {
                tracing::warn!(?error, "refreshing the planner's statistics failed");
            }
        }
        match crate::ops::money::expire_transfers::sweep(&app, BATCH).await {
            Ok(0) => {}
            Ok(expired) => tracing::info!(expired, "expired overdue transfers"),
            Err(error) => tracing::warn!(?error, "transfer expiry sweep failed"),
        }
        match crate::ops::idempotency::sweep(&app, BATCH).await {
            Ok(0) => {}
            Ok(deleted) => tracing::info!(deleted, "deleted idempotency keys past their retention"),
            Err(error) => tracing::warn!(?error, "idempotency key sweep failed"),
        }
        match crate::ops::events::sweep(&app, BATCH).await {
            Ok(0) => {}
            Ok(deleted) => tracing::info!(deleted, "deleted events past their retention"),
            Err(error) => tracing::warn!(?error, "event sweep failed"),
        }
        app.db.close_idle();
    }
}

/// Every `interval`, for as long as the server runs: ACTIVE customers without activity of
/// their own for the dormancy period become DORMANT (real time, then each sandbox clock that
/// runs ahead of it).
pub async fn dormancy(app: App, interval: Duration) {
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match crate::ops::customers::dormancy::sweep(&app).await {
            Ok(0) => {}
            Ok(moved) => tracing::info!(moved, "customers became dormant"),
            Err(error) => tracing::warn!(?error, "dormancy pass failed"),
        }
    }
}
