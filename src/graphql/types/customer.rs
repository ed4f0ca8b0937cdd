//! `Customer`: an end user of a client, a person or a company.

use async_graphql::{ID, Object};

use crate::domain::customer::CustomerType;
use crate::domain::status::CustomerStatus;
use crate::graphql::node::{NodeKind, encode};
use crate::store;

/// A client's customer: an individual (KYC) or a corporation (KYB), onboarded through an
/// application or created directly by a regulated client.
pub struct Customer(pub store::customers::Customer);

/// A client's customer: an individual (KYC) or a corporation (KYB), onboarded through an
/// application or created directly by a regulated client.
#[Object]
impl Customer {
    /// The customer's opaque global id.
    pub async fn id(&self) -> ID {
        encode(NodeKind::Customer, self.0.id.0)
    }

    /// The client's own reference for this customer, unique within the client.
    async fn customer_id(&self) -> &str {
        &self.0.external_id
    }

    /// INDIVIDUAL or CORPORATION.
    async fn customer_type(&self) -> CustomerType {
        self.0.customer_type()
    }

    /// The customer's lifecycle status; it decides whether the customer may be updated or
    /// transact.
    async fn status(&self) -> CustomerStatus {
        self.0.status
    }

    /// Increases with every change; pass it back as `expectedVersion` to update safely.
    async fn version(&self) -> i64 {
        self.0.version
    }

    /// When the customer was created.
    async fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.created_at.0
    }

    /// When the customer last changed.
    async fn updated_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.updated_at.0
    }
}
