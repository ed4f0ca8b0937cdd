//! Accounts, payors, payment addresses and money movement over the API, and what they share:
//! finding an account by the client's id and its owner.

mod accounts;
mod payments;
mod payors;
mod transfers;

pub use accounts::{AccountMutation, AccountQuery};
pub use payments::PaymentMutation;
pub use payors::{PayorMutation, PayorQuery};
pub(crate) use transfers::client_of;
pub use transfers::{TransferMutation, TransferQuery};

use async_graphql::ID;

use super::RequestContext;
use super::error::ApiResult;
use crate::ops;
use crate::store::accounts::Account;

/// The account a request names by the client's `accountId` (the operator names the client
/// with `clientId`), or `NOT_FOUND` (also for another client's).
pub(crate) async fn load_account(
    rc: &RequestContext,
    field: &str,
    account_id: &str,
    client_id: Option<&ID>,
) -> ApiResult<Account> {
    let client = transfers::client_of(client_id)?;
    let mut pooled = rc.db.read().await?;
    ops::money::find_account(&mut pooled.conn(), &rc.cx(), field, account_id, client).await
}
