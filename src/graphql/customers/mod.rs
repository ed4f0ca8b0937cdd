//! Customer queries and mutations, and what they share: identifier checks and the client a
//! request names.

mod mutation;
mod query;

pub use mutation::CustomerMutation;
pub use query::CustomerQuery;

use async_graphql::ID;

use super::RequestContext;
use super::error::ApiResult;
use super::node::{self, NodeKind};
use crate::domain::ids::ClientId;
use crate::domain::tenancy::Principal;
use crate::store;

pub(crate) use crate::domain::validation::{check_external_id, is_external_id};

/// The client whose customers a request names: the caller's own, or for the operator the
/// `clientId` it must pass. `None` when a client names another client (it sees nothing).
pub(crate) fn target_client(
    principal: &Principal,
    client_id: Option<&ID>,
) -> ApiResult<Option<ClientId>> {
    crate::ops::target_client(principal, target_client_id(client_id)?)
}

/// The client a request names by its global `clientId` (the operator must name one).
pub(crate) fn target_client_id(client_id: Option<&ID>) -> ApiResult<Option<ClientId>> {
    client_id
        .map(|id| node::decode_as(id, NodeKind::Client).map(ClientId))
        .transpose()
}

/// Loads the customer a request names, or `NOT_FOUND` (also for another client's).
pub(crate) async fn load_customer(
    rc: &RequestContext,
    customer_id: &str,
    client_id: Option<&ID>,
) -> ApiResult<store::customers::Customer> {
    let cx = rc.cx();
    let mut pooled = rc.db.read().await?;
    crate::ops::customers::find_customer(
        &mut pooled.conn(),
        &cx,
        customer_id,
        target_client_id(client_id)?,
    )
    .await
}
