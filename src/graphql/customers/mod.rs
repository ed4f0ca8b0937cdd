//! Customer queries and mutations, and what they share: identifier checks, the target client,
//! and the guards that give a fast, explained refusal before the store enforces the same rules.

mod mutation;
mod query;

pub use mutation::CustomerMutation;
pub use query::CustomerQuery;

use async_graphql::ID;

use super::RequestContext;
use super::error::{ApiError, ApiResult};
use super::node::{self, NodeKind};
use crate::domain::ids::ClientId;
use crate::domain::status::{CustomerStatus, Role, TransitionError, check_transition};
use crate::domain::tenancy::Principal;
use crate::domain::validation::Problems;
use crate::store;

pub(crate) use crate::domain::validation::{check_external_id, is_external_id};

/// `reason` and `updatedBy`, which every change carries.
pub(crate) fn check_note(p: &mut Problems, reason: &str, updated_by: &str) {
    p.required_text("reason", reason, 500);
    p.required_text("updatedBy", updated_by, 200);
}

/// The client whose customers a request names: the caller's own, or for the operator the
/// `clientId` it must pass. `None` when a client names another client (it sees nothing).
pub(crate) fn target_client(
    principal: &Principal,
    client_id: Option<&ID>,
) -> ApiResult<Option<ClientId>> {
    let named = client_id
        .map(|id| node::decode_as(id, NodeKind::Client).map(ClientId))
        .transpose()?;
    crate::ops::target_client(principal, named)
}

pub(super) fn not_found(customer_id: &str) -> ApiError {
    ApiError::NotFound(format!("no customer with customerId {customer_id:?}"))
}

/// Loads the customer a request names, or `NOT_FOUND` (also for another client's).
pub(crate) async fn load_customer(
    rc: &RequestContext,
    customer_id: &str,
    client_id: Option<&ID>,
) -> ApiResult<store::customers::Customer> {
    let mut problems = Problems::new();
    check_external_id(&mut problems, "customerId", customer_id);
    ApiError::check(problems.into_errors())?;
    let Some(client) = target_client(&rc.principal, client_id)? else {
        return Err(not_found(customer_id));
    };
    let mut pooled = rc.db.conn().await?;
    store::customers::find_by_external_id(
        &mut pooled.conn(),
        &rc.principal.scope(),
        client,
        customer_id,
    )
    .await?
    .ok_or_else(|| not_found(customer_id))
}

/// The guard of every change to a customer's details: the status must allow updates by
/// this caller.
pub(crate) fn guard_update(customer: &store::customers::Customer, role: Role) -> ApiResult<()> {
    crate::ops::customers::check_updatable(customer.status, role)
}

/// The guard of a status change: the table, for this caller, explained.
pub(super) fn guard_transition(
    from: CustomerStatus,
    to: CustomerStatus,
    role: Role,
) -> ApiResult<()> {
    check_transition(from, to, role).map_err(|error| transition_error(from, to, role, error))
}

pub(super) fn transition_error(
    from: CustomerStatus,
    to: CustomerStatus,
    role: Role,
    error: TransitionError,
) -> ApiError {
    status_transition_error("customer", from, to, role, error)
}

/// The refusal of a move along the status table shared by customers and accounts.
pub(crate) use crate::ops::customers::transition_refusal as status_transition_error;

/// Maps a unique-key refusal on insert to the input field it concerns.
pub(super) fn already_exists(constraint: &str, customer_id: &str, account_id: &str) -> ApiError {
    if constraint.contains("accounts") {
        ApiError::AlreadyExists {
            message: format!("an account with accountId {account_id:?} already exists"),
            field: Some("accountToOpen.accountId".into()),
        }
    } else if constraint.contains("applications") {
        ApiError::AlreadyExists {
            message: format!("an open application holds customerId {customer_id:?} already"),
            field: Some("customerId".into()),
        }
    } else {
        ApiError::AlreadyExists {
            message: format!("a customer with customerId {customer_id:?} already exists"),
            field: Some("customerId".into()),
        }
    }
}
