//! Accounts, payors, payment addresses and money movement over the API, and what they share:
//! finding an account by the client's id, amounts in an asset's units, idempotency keys, and
//! the transact guard (a fast, explained refusal; the store enforces the same rule in SQL).

/// Runs `$attempt` (an idempotent write transaction, re-evaluated whole on each try) and
/// retries it while it loses a concurrent duplicate's race for its idempotency key: the
/// winner commits first, and the retry then finds its saved result. After three losses the
/// key clash goes out as `CONFLICT` (see `ApiError`'s mapping).
macro_rules! retrying_duplicate_claims {
    ($attempt:block) => {{
        let mut tries = 0;
        loop {
            match $attempt {
                Err(error)
                    if $crate::store::idempotency::is_duplicate_claim(&error) && tries < 3 =>
                {
                    tries += 1
                }
                other => break other,
            }
        }
    }};
}

mod accounts;
mod payments;
mod payors;
mod transfers;

pub use accounts::{AccountMutation, AccountQuery};
pub use payments::PaymentMutation;
pub use payors::{PayorMutation, PayorQuery};
pub use transfers::{TransferMutation, TransferQuery};

use async_graphql::ID;

use super::RequestContext;
use super::customers::{check_external_id, target_client};
use super::error::{ApiError, ApiResult};
use super::scalars::Decimal;
use crate::domain::money::to_minor_units;
use crate::domain::status::check_transact;
use crate::domain::validation::Problems;
use crate::store;
use crate::store::accounts::Account;
use crate::store::customers::Customer;
use crate::store::idempotency::MAX_KEY_LENGTH;

fn account_not_found(account_id: &str) -> ApiError {
    ApiError::NotFound(format!("no account with accountId {account_id:?}"))
}

/// The account a request names by the client's `accountId` (the operator names the client
/// with `clientId`), or `NOT_FOUND` (also for another client's).
pub(crate) async fn load_account(
    rc: &RequestContext,
    field: &str,
    account_id: &str,
    client_id: Option<&ID>,
) -> ApiResult<Account> {
    let mut problems = Problems::new();
    check_external_id(&mut problems, field, account_id);
    ApiError::check(problems.into_errors())?;
    let Some(client) = target_client(&rc.principal, client_id)? else {
        return Err(account_not_found(account_id));
    };
    let mut pooled = rc.db.conn().await?;
    store::accounts::find_by_external_id(
        &mut pooled.conn(),
        &rc.principal.scope(),
        client,
        account_id,
    )
    .await?
    .ok_or_else(|| account_not_found(account_id))
}

/// The customer who owns an account.
pub(crate) async fn owner_of(rc: &RequestContext, account: &Account) -> ApiResult<Customer> {
    let mut pooled = rc.db.conn().await?;
    store::customers::find_many(
        &mut pooled.conn(),
        &rc.principal.scope(),
        &[account.customer_id],
    )
    .await?
    .pop()
    .ok_or_else(|| ApiError::internal(&"an account's customer is missing"))
}

/// An amount in minor units of `asset_type_id`: positive, and with no more decimals than
/// the asset has (`BAD_USER_INPUT` on `field` otherwise).
pub(crate) fn minor_units(
    rc: &RequestContext,
    field: &str,
    amount: Decimal,
    asset_type_id: &str,
) -> ApiResult<i64> {
    let decimals = rc
        .db
        .asset_decimals(asset_type_id)
        .ok_or_else(|| ApiError::internal(&format!("unknown asset {asset_type_id}")))?;
    to_minor_units(amount.0, decimals)
        .map_err(|e| ApiError::bad_input(field, format!("{e} ({asset_type_id})")))
}

/// Checks an idempotency key: 1 to 200 printable characters.
pub(crate) fn check_idempotency_key(problems: &mut Problems, key: &str) {
    problems.required_text("idempotencyKey", key, MAX_KEY_LENGTH);
}

/// The transact guard for one side of a movement, explained.
pub(crate) fn guard_transact(side: &str, customer: &Customer, account: &Account) -> ApiResult<()> {
    check_transact(customer.status, account.status).map_err(|why| ApiError::CannotTransact {
        reason: why.reason_code(),
        message: format!("{side}: {why}"),
    })
}
