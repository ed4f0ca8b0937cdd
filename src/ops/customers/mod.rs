//! Customers: one module per use case, and what every operation on a customer's data
//! shares — finding the customer a request names, the update rule, the refusals.

pub mod activity;
pub mod change_customer_status;
pub mod create_customer;
pub mod customer_individuals;
pub mod dormancy;
pub mod update_customer;

use chrono::NaiveDate;

use crate::db::Conn;
use crate::domain::ids::{ClientId, CustomerKey};
use crate::domain::status::{CustomerStatus, Role, TransitionError, blocked_reason, check_update};
use crate::domain::validation::{Problems, check_external_id};
use crate::ops::{Cx, OpError, OpResult, target_client};
use crate::store;
use crate::store::customers::Customer;
use crate::store::customers::Details;

/// The refusal of a customer the caller cannot see.
pub fn not_found(customer_id: &str) -> OpError {
    OpError::NotFound(format!("no customer with customerId {customer_id:?}"))
}

/// The customer a request names by the client's `customerId` (the operator names the
/// client), or `NOT_FOUND` (also for another client's).
pub async fn find_customer(
    conn: &mut Conn<'_>,
    cx: &Cx<'_>,
    customer_id: &str,
    client: Option<ClientId>,
) -> OpResult<Customer> {
    let mut problems = Problems::new();
    check_external_id(&mut problems, "customerId", customer_id);
    OpError::check(problems.into_errors())?;
    let Some(client) = target_client(cx.principal, client)? else {
        return Err(not_found(customer_id));
    };
    store::customers::find_by_external_id(conn, &cx.scope(), client, customer_id)
        .await?
        .ok_or_else(|| not_found(customer_id))
}

/// The update rule (`CUSTOMER_CANNOT_BE_UPDATED`) for `role` on a customer in `status`.
pub fn check_updatable(status: CustomerStatus, role: Role) -> OpResult<()> {
    check_update(status, role).map_err(|message| OpError::Rule {
        code: "CUSTOMER_CANNOT_BE_UPDATED",
        message,
    })
}

/// The customer's status on its row locked for the rest of the transaction (a concurrent
/// status change and its cascade wait for this one, or are seen by it).
pub async fn locked_status(
    tx: &mut Conn<'_>,
    cx: &Cx<'_>,
    customer: CustomerKey,
    client: ClientId,
) -> OpResult<CustomerStatus> {
    Ok(store::customers::lock_status(tx, &cx.scope(), customer, client).await?)
}

/// The refusal of a move along the status table shared by customers and accounts, for a
/// `noun` ("customer" or "account"): always with the current status and the statuses this
/// caller may move it to.
pub fn transition_refusal(
    noun: &str,
    from: CustomerStatus,
    to: CustomerStatus,
    role: Role,
    error: TransitionError,
) -> OpError {
    let allowed = match &error {
        TransitionError::Unchanged => from.allowed_next(role),
        TransitionError::NotAllowed { allowed } => allowed.clone(),
    };
    let message = match error {
        TransitionError::Unchanged => format!("the {noun} is already {from}"),
        TransitionError::NotAllowed { .. } => {
            let names: Vec<&str> = allowed.iter().map(|s| s.as_str()).collect();
            let why = blocked_reason(from, role)
                .map(|r| format!(" ({r})"))
                .unwrap_or_default();
            format!(
                "a {noun} cannot move from {from} to {to}{why}; allowed: [{}]",
                names.join(", ")
            )
        }
    };
    OpError::InvalidStatusTransition {
        from: from.as_str(),
        to: to.as_str(),
        allowed: allowed.iter().map(|s| s.as_str()).collect(),
        message,
    }
}

/// `reason` and `updatedBy`, which every change carries.
pub fn check_note(problems: &mut Problems, reason: &str, updated_by: &str) {
    problems.required_text("reason", reason, 500);
    problems.required_text("updatedBy", updated_by, 200);
}

/// The rules of a customer's details, under `individual` or `corporation`.
pub fn check_details(problems: &mut Problems, details: &Details, today: NaiveDate) {
    problems.extend(match details {
        Details::Individual(d) => d.check("individual", today),
        Details::Corporation(d) => d.check("corporation", today),
    });
}

/// `CONFLICT` when the caller based its change on another version than the stored one.
pub fn stale(expected: Option<i64>, version: i64) -> OpResult<()> {
    match expected {
        Some(v) if v != version => Err(store::StoreError::Conflict.into()),
        _ => Ok(()),
    }
}

/// After a compare-and-set on `customer` matched nothing: `NOT_FOUND` if it is gone from the
/// scope, otherwise `CONFLICT` (someone changed it first).
pub async fn lost_race(tx: &mut Conn<'_>, cx: &Cx<'_>, customer: &Customer) -> OpError {
    match store::customers::find(tx, &cx.scope(), customer.id).await {
        Ok(Some(_)) => store::StoreError::Conflict.into(),
        Ok(None) => not_found(&customer.external_id),
        Err(error) => error.into(),
    }
}

/// The refusal of a `customerId` or `accountId` already held, by what holds it (a table or
/// constraint name: customers, applications, accounts).
pub fn already_exists(holder: &str, customer_id: &str, account_id: &str) -> OpError {
    if holder.contains("accounts") {
        OpError::AlreadyExists {
            message: format!("an account with accountId {account_id:?} already exists"),
            field: Some("accountToOpen.accountId".into()),
        }
    } else if holder.contains("applications") {
        OpError::AlreadyExists {
            message: format!("an open application holds customerId {customer_id:?} already"),
            field: Some("customerId".into()),
        }
    } else {
        OpError::AlreadyExists {
            message: format!("a customer with customerId {customer_id:?} already exists"),
            field: Some("customerId".into()),
        }
    }
}
