//! Money: transfers between a client's accounts, payment addresses and incoming payments,
//! and what their operations share: finding an account by the client's id, amounts in an
//! asset's units, the transact rule's refusals, and settling overdue holds.

pub mod accept_transfer;
pub mod cancel_transfer;
pub mod create_transfer;
pub mod expire_transfers;
pub mod receive_payment;
pub mod refusals;
pub mod request_payment_address;
pub mod transfers;

use rust_decimal::Decimal;

use crate::db::Conn;
use crate::domain::ids::ClientId;
use crate::domain::money::to_minor_units;
use crate::domain::status::{CannotTransact, check_transact};
use crate::domain::validation::{Problems, check_external_id};
use crate::ops::{Cx, OpError, OpResult, target_client};
use crate::store;
use crate::store::accounts::Account;
use crate::store::customers::Customer;
use crate::store::idempotency::MAX_KEY_LENGTH;

fn account_not_found(account_id: &str) -> OpError {
    OpError::NotFound(format!("no account with accountId {account_id:?}"))
}

/// The account a request names by the client's `accountId` (the operator names the client),
/// or `NOT_FOUND` (also for another client's); `field` is the input that names it.
pub async fn find_account(
    conn: &mut Conn<'_>,
    cx: &Cx<'_>,
    field: &str,
    account_id: &str,
    client: Option<ClientId>,
) -> OpResult<Account> {
    let mut problems = Problems::new();
    check_external_id(&mut problems, field, account_id);
    OpError::check(problems.into_errors())?;
    let Some(client) = target_client(cx.principal, client)? else {
        return Err(account_not_found(account_id));
    };
    store::accounts::find_by_external_id(conn, &cx.scope(), client, account_id)
        .await?
        .ok_or_else(|| account_not_found(account_id))
}

/// The customer who owns an account.
pub async fn owner_of(conn: &mut Conn<'_>, cx: &Cx<'_>, account: &Account) -> OpResult<Customer> {
    store::customers::find_many(conn, &cx.scope(), &[account.customer_id])
        .await?
        .pop()
        .ok_or_else(|| OpError::internal(&"an account's customer is missing"))
}

/// An amount in minor units of `asset_type_id`: positive, and with no more decimals than
/// the asset has (`BAD_USER_INPUT` on `field` otherwise).
pub fn minor_units(
    cx: &Cx<'_>,
    field: &str,
    amount: Decimal,
    asset_type_id: &str,
) -> OpResult<i64> {
    let decimals = cx
        .db
        .asset_decimals(asset_type_id)
        .ok_or_else(|| OpError::internal(&format!("unknown asset {asset_type_id}")))?;
    to_minor_units(amount, decimals)
        .map_err(|e| OpError::bad_input(field, format!("{e} ({asset_type_id})")))
}

/// Checks an idempotency key: 1 to 200 printable characters.
pub fn check_idempotency_key(problems: &mut Problems, key: &str) {
    problems.required_text("idempotencyKey", key, MAX_KEY_LENGTH);
}

/// The transact rule's refusal for one side of a movement (`side`: "source", "account"…).
pub fn cannot_transact(side: &str, why: CannotTransact) -> OpError {
    OpError::CannotTransact {
        reason: why.reason_code(),
        message: format!("{side}: {why}"),
    }
}

/// The transact rule for one side of a movement, explained.
pub fn check_side(side: &str, customer: &Customer, account: &Account) -> OpResult<()> {
    check_transact(customer.status, account.status).map_err(|why| cannot_transact(side, why))
}
