//! A customer's status history: its changes, and the page type that lists them.

use async_graphql::{Context, Object, SimpleObject};
use chrono::{DateTime, Utc};

use crate::domain::client::Actor;
use crate::domain::status::CustomerStatus;
use crate::graphql::error::ApiResult;
use crate::graphql::pagination::PageInfo;
use crate::graphql::request;
use crate::store;

/// One status change of a customer.
#[derive(SimpleObject)]
pub struct StatusChange {
    /// The status before; null for the customer's creation.
    pub from: Option<CustomerStatus>,
    /// The status after.
    pub to: CustomerStatus,
    /// Why the status changed.
    pub reason: String,
    /// Who asked for the change, as given with it (a person or system of the client's).
    pub updated_by: String,
    /// Which kind of principal made the change.
    pub actor: Actor,
    /// When the change happened.
    pub at: DateTime<Utc>,
}

impl From<store::customers::StatusHistoryEntry> for StatusChange {
    fn from(entry: store::customers::StatusHistoryEntry) -> Self {
        Self {
            from: entry.from_status,
            to: entry.to_status,
            reason: entry.reason,
            updated_by: entry.updated_by,
            actor: entry.actor,
            at: entry.created_at.0,
        }
    }
}

/// An entry in a status history page.
#[derive(SimpleObject)]
pub struct StatusHistoryEdge {
    /// Where this entry sits, for `after`.
    pub cursor: String,
    /// The status change.
    pub node: StatusChange,
}

/// A page of a customer's status history.
pub struct StatusHistoryConnection {
    pub(super) edges: Vec<StatusHistoryEdge>,
    pub(super) page_info: PageInfo,
    pub(super) customer: crate::domain::ids::CustomerKey,
}

/// A page of a customer's status history, oldest first.
#[Object]
impl StatusHistoryConnection {
    /// The entries of this page.
    async fn edges(&self) -> &[StatusHistoryEdge] {
        &self.edges
    }
    /// Where this page sits.
    async fn page_info(&self) -> &PageInfo {
        &self.page_info
    }
    /// How many entries the whole history has.
    async fn total_count(&self, ctx: &Context<'_>) -> ApiResult<i64> {
        let rc = request(ctx)?;
        let mut pooled = rc.db.read().await?;
        Ok(store::customers::status_history_count(
            &mut pooled.conn(),
            &rc.principal.scope(),
            self.customer,
        )
        .await?)
    }
}
