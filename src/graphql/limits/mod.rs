//! What one request may cost: the limits on a query's shape and size, the per-key allowances,
//! and the record of what a request cost, which the HTTP layer reports.
//! The cost rules themselves live in `cost.rs`; enforcement in the schema extension `guard.rs`.

pub mod access;
pub mod cost;
pub mod guard;
pub mod throttle;

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use throttle::{BucketStatus, Throttled};

/// Limits applied to every operation before and while it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Deepest nesting of fields (GraphiQL's introspection needs 13).
    pub max_depth: u64,
    /// Largest cost (see `cost.rs`): the README's nested page costs 62,251, GraphiQL's
    /// introspection 347,049.
    pub max_cost: u64,
    /// Most fields once fragments are spread, without page multiplication.
    pub max_selections: u64,
    /// Most aliased fields once fragments are spread.
    pub max_aliases: u64,
    /// Most fields one response may resolve; past it the whole response fails.
    pub max_response_nodes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_depth: 16,
            max_cost: 1_000_000,
            max_selections: 5_000,
            max_aliases: 200,
            max_response_nodes: 500_000,
        }
    }
}

/// What a request cost, filled in as it runs and reported in `extensions.cost` and the
/// `RateLimit-*` headers.
#[derive(Debug, Default)]
pub struct CostRecord {
    /// The cost measured before execution.
    pub requested: AtomicU64,
    /// The fields actually resolved.
    pub actual: AtomicU64,
    bucket: Mutex<Option<BucketStatus>>,
    throttled: Mutex<Option<Throttled>>,
}

impl CostRecord {
    pub fn record_bucket(&self, status: BucketStatus) {
        *self
            .bucket
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(status);
    }

    pub fn record_throttled(&self, throttled: Throttled) {
        if let Throttled::CostExhausted { status, .. } = throttled {
            self.record_bucket(status);
        }
        *self
            .throttled
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(throttled);
    }

    /// The key's cost bucket after this request's charge, if it was charged.
    pub fn bucket(&self) -> Option<BucketStatus> {
        *self
            .bucket
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Why the request was refused by its key's allowance, if it was.
    pub fn throttled(&self) -> Option<Throttled> {
        *self
            .throttled
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn requested(&self) -> u64 {
        self.requested.load(Ordering::Relaxed)
    }

    pub fn actual(&self) -> u64 {
        self.actual.load(Ordering::Relaxed)
    }
}

/// The schema's types as a registry, for measuring in unit tests (the schema keeps its own
/// registry private; the guard reads it through the extension context).
#[cfg(test)]
pub(crate) fn test_registry() -> async_graphql::registry::Registry {
    use async_graphql::OutputType;
    let mut registry = async_graphql::registry::Registry::default();
    crate::graphql::Query::create_type_info(&mut registry);
    crate::graphql::Mutation::create_type_info(&mut registry);
    registry.query_type = "Query".into();
    registry.mutation_type = Some("Mutation".into());
    registry
}
