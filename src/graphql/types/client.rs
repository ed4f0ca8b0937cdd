//! `Client`: a tenant of the platform, as `viewer` and through `node`.

use async_graphql::{ID, Object};

use crate::domain::client::Environment;
use crate::graphql::node::{NodeKind, encode};
use crate::store;

/// A client of the platform (a fintech or financial institution) that onboards and manages
/// its own customers.
pub struct Client(pub store::clients::Client);

/// A client of the platform (a fintech or financial institution) that onboards and manages
/// its own customers.
#[Object]
impl Client {
    /// The client's opaque global id.
    pub async fn id(&self) -> ID {
        encode(NodeKind::Client, self.0.id.0)
    }

    /// The client's name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// SANDBOX (test data, self-service decisions) or PRODUCTION (real customers).
    async fn environment(&self) -> Environment {
        self.0.environment
    }

    /// Whether the client is a regulated institution. Only regulated clients in PRODUCTION
    /// may create customers directly; everyone else onboards them through applications.
    async fn regulated(&self) -> bool {
        self.0.regulated
    }

    /// When the client was created.
    async fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.created_at.0
    }
}
