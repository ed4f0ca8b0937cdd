//! Counting statements: every statement adds to the database's total, and, when the code
//! that checked the connection out runs inside [`counted`], to that request's own count as
//! well. A per-request count is exact whatever else the process runs meanwhile (the
//! sweeper, the webhook deliverer, other requests): tests and the benchmark read it from
//! `extensions.statements` (`--report-statements`).

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError};

tokio::task_local! {
    static REQUEST: Arc<AtomicU64>;
}

/// Runs `work` with its statements counted in `counter` (besides the total): each
/// connection it checks out counts into `counter` until it goes back to the pool.
pub fn counted<F: Future>(counter: Arc<AtomicU64>, work: F) -> impl Future<Output = F::Output> {
    REQUEST.scope(counter, work)
}

/// The counter of the request this task works for, if it is counted.
pub fn current() -> Option<Arc<AtomicU64>> {
    REQUEST.try_with(Arc::clone).ok()
}

/// A connection's instrumentation: counts the statements it starts into the total and into
/// the counter of the request holding it (its slot is set again at every checkout).
pub(super) struct StatementCounter {
    pub(super) total: Arc<AtomicU64>,
    pub(super) request: super::pools::RequestSlot,
}

impl diesel::connection::Instrumentation for StatementCounter {
    fn on_connection_event(&mut self, event: diesel::connection::InstrumentationEvent<'_>) {
        if let diesel::connection::InstrumentationEvent::StartQuery { .. } = event {
            self.total.fetch_add(1, Ordering::Relaxed);
            let request = self.request.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(request) = request.as_ref() {
                request.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_counter_is_visible_inside_counted_work_only() {
        assert!(current().is_none());
        let counter = Arc::new(AtomicU64::new(0));
        let seen = counted(counter.clone(), async { current() }).await;
        assert!(seen.is_some_and(|c| Arc::ptr_eq(&c, &counter)));
        assert!(current().is_none());
    }
}
