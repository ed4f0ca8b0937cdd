//! The dormancy job over the whole database: every seeded customer idle for longer than the
//! period, one pass of the job as a replica runs it (a clock a year and a day on), timed.

use std::time::{Duration, Instant};

use layer2::clock::ManualClock;
use layer2::db::Database;

/// How many customers the pass moved, and how long it took.
pub struct Pass {
    pub moved: usize,
    pub took: Duration,
}

pub async fn run(db: &Database) -> anyhow::Result<Pass> {
    let clock = ManualClock::starting_now();
    clock.advance(chrono::Duration::days(366));
    let app = layer2::ops::App {
        db: db.clone(),
        clock,
        settings: std::sync::Arc::new(layer2::ops::Settings::default()),
    };
    let started = Instant::now();
    let moved = layer2::ops::customers::dormancy::sweep(&app)
        .await
        .map_err(|e| anyhow::anyhow!("{}: {}", e.code(), e.message()))?;
    Ok(Pass {
        moved,
        took: started.elapsed(),
    })
}
