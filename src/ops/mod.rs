//! The operations: one module per use case, each entered with one [`Cx`] and typed input
//! and returning a domain value or an [`OpError`] named after the rule it breaks. GraphQL
//! resolvers, the CLI, the sandbox seed and the background jobs call these and nothing below
//! them. Every write goes through [`uow`], the one write path.

mod error;
pub mod idempotency;
pub mod uow;

/// The database operations run on: the layers above hold it (built at start) and hand it to
/// [`Cx`], so they need not know the database layer.
pub use crate::db::Database;
pub use error::{OpError, OpResult};
pub mod accounts;
pub mod applications;
pub mod clients;
pub mod customers;
pub mod events;
pub mod money;
pub mod payors;
pub mod webhooks;

use std::time::Duration;

use crate::clock::SharedClock;
use crate::db::types::Timestamp;
use crate::domain::ids::ClientId;
use crate::domain::tenancy::{Principal, Scope};

/// What every operation may be configured by.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The largest document an upload may carry, in bytes.
    pub max_document_bytes: usize,
    /// How long a new transfer stays REQUESTED.
    pub transfer_validity: Duration,
    /// How long an idempotency key is kept (a retry after that is a new request).
    pub idempotency_retention: Duration,
    /// How long an event is kept (readable by `events`) before it is swept.
    pub event_retention: Duration,
    /// How webhooks are delivered.
    pub webhooks: webhooks::WebhookSettings,
    /// When customers become dormant, and what counts as their activity.
    pub dormancy: crate::domain::dormancy::Dormancy,
    /// How far a listing's `totalCount` counts before it stops (and says it is not exact).
    pub max_total_count: i64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            max_document_bytes: 10 * 1024 * 1024,
            transfer_validity: Duration::from_secs(300),
            idempotency_retention: Duration::from_secs(30 * 24 * 3600),
            event_retention: Duration::from_secs(30 * 24 * 3600),
            webhooks: webhooks::WebhookSettings::default(),
            dormancy: crate::domain::dormancy::Dormancy::default(),
            max_total_count: 10_000,
        }
    }
}

/// What HTTP, the CLI and the jobs share to run operations: the database, the clock and the
/// settings.
#[derive(Clone)]
pub struct App {
    pub db: Database,
    pub clock: SharedClock,
    pub settings: std::sync::Arc<Settings>,
}

impl App {
    /// The context of one operation by `principal`, at the clock's time now.
    pub fn cx<'a>(&'a self, principal: &'a Principal) -> Cx<'a> {
        Cx::new(&self.db, principal, &*self.clock, &self.settings)
    }
}

/// One operation's context: who acts, on which database, at which instant (read once, so
/// that everything one operation writes carries the same time), under which settings.
#[derive(Clone, Copy)]
pub struct Cx<'a> {
    pub db: &'a Database,
    pub principal: &'a Principal,
    pub now: Timestamp,
    pub settings: &'a Settings,
    /// The request that asked for the operation (recorded on its events), if any.
    pub request_id: Option<&'a str>,
}

impl<'a> Cx<'a> {
    /// The context of one operation by `principal`, at `clock`'s time now.
    pub fn new(
        db: &'a Database,
        principal: &'a Principal,
        clock: &dyn crate::clock::Clock,
        settings: &'a Settings,
    ) -> Self {
        Self {
            db,
            principal,
            // A SANDBOX client's operations happen on its own clock.
            now: Timestamp::from_datetime(
                clock
                    .now()
                    .checked_add_signed(principal.clock_ahead())
                    .unwrap_or_else(|| clock.now()),
            ),
            settings,
            request_id: None,
        }
    }

    /// The same context, on behalf of the request `request_id`.
    pub fn for_request(self, request_id: Option<&'a str>) -> Self {
        Self { request_id, ..self }
    }

    /// The data the caller may reach.
    pub fn scope(&self) -> Scope {
        self.principal.scope()
    }
}

/// The client whose own ids (`customerId`, `accountId`…) a request names: the caller's own,
/// or for the operator the client it must name. `None` when a client names another client
/// (it sees nothing of it).
pub fn target_client(principal: &Principal, named: Option<ClientId>) -> OpResult<Option<ClientId>> {
    match (principal.client_id(), named) {
        (Some(own), None) => Ok(Some(own)),
        (Some(own), Some(named)) => Ok((own == named).then_some(own)),
        (None, Some(named)) => Ok(Some(named)),
        (None, None) => Err(OpError::bad_input(
            "clientId",
            "the operator must pass clientId: the client whose own ids (customerId, accountId…) these are",
        )),
    }
}
