//! Account reads and changes: `account`, `assetTypes`, `openAccount`, `changeAccountStatus`.

use async_graphql::{Context, ID, Object, SimpleObject};

use super::load_account;
use crate::domain::status::AccountStatus;
use crate::graphql::customer_inputs::AccountToOpenInput;
use crate::graphql::error::ApiResult;
use crate::graphql::request;
use crate::graphql::types::account::{Account, AssetType};

/// Account reads.
#[derive(Default)]
pub struct AccountQuery;

/// Account reads.
#[Object]
impl AccountQuery {
    /// An account by the client's own accountId. The operator names the client with
    /// `clientId`. Another client's account is NOT_FOUND, like one that does not exist.
    async fn account(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The client's own id for the account.")] account_id: String,
        #[graphql(desc = "The client's global id; required for the operator.")] client_id: Option<
            ID,
        >,
    ) -> ApiResult<Account> {
        let rc = request(ctx)?;
        let row = load_account(rc, "accountId", &account_id, client_id.as_ref()).await?;
        Account::new(row, &rc.db)
    }

    /// The supported asset types and their decimal places.
    async fn asset_types(&self, ctx: &Context<'_>) -> ApiResult<Vec<AssetType>> {
        let rc = request(ctx)?;
        Ok(rc
            .db
            .asset_types()
            .iter()
            .map(|(id, decimals)| AssetType {
                asset_type_id: id.clone(),
                decimals: *decimals as i32,
            })
            .collect())
    }
}

/// The result of `openAccount`.
#[derive(SimpleObject)]
pub struct OpenAccountPayload {
    /// The new account (ACTIVE, empty).
    pub account: Account,
}

/// The result of `changeAccountStatus`.
#[derive(SimpleObject)]
pub struct ChangeAccountStatusPayload {
    /// The account in its new status.
    pub account: Account,
}

/// Account changes.
#[derive(Default)]
pub struct AccountMutation;

/// Account changes.
#[Object]
impl AccountMutation {
    /// Opens another account for a customer. Refused with CUSTOMER_CANNOT_BE_UPDATED or
    /// CUSTOMER_CANNOT_TRANSACT unless the customer's status allows both update and transact.
    async fn open_account(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The client's own id for the customer.")] customer_id: String,
        #[graphql(desc = "The account to open.")] account_to_open: AccountToOpenInput,
        #[graphql(
            desc = "Your key for this request (1 to 200 characters), per client: a retry with the same key and request returns the first account."
        )]
        idempotency_key: Option<String>,
        #[graphql(desc = "The client's global id; required for the operator.")] client_id: Option<
            ID,
        >,
    ) -> ApiResult<OpenAccountPayload> {
        let rc = request(ctx)?;
        let input = crate::ops::accounts::open_account::Input {
            customer_id,
            account_id: account_to_open.account_id,
            product_id: account_to_open.product_id,
            asset_type_id: account_to_open.asset_type_id,
            idempotency_key,
            client: super::transfers::client_of(client_id.as_ref())?,
        };
        let account = crate::ops::accounts::open_account::run(&rc.cx(), input).await?;
        Ok(OpenAccountPayload {
            account: Account::new(account, &rc.db)?,
        })
    }

    /// Moves an account to another status, along the customers' status table. Closing needs
    /// zero balances (ACCOUNT_HAS_FUNDS) and is refused for the default account
    /// (DEFAULT_ACCOUNT_CLOSES_WITH_CUSTOMER); the customer's status must allow updates.
    #[expect(clippy::too_many_arguments, reason = "one GraphQL argument each")]
    async fn change_account_status(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The client's own id for the account.")] account_id: String,
        #[graphql(desc = "The status to move to.")] status: AccountStatus,
        #[graphql(desc = "Why (1 to 500 characters); kept in the status history.")] reason: String,
        #[graphql(desc = "Who asks for the change; kept in the status history.")]
        updated_by: String,
        #[graphql(
            desc = "The version the change is based on; CONFLICT if the account has changed since."
        )]
        expected_version: Option<i64>,
        #[graphql(desc = "The client's global id; required for the operator.")] client_id: Option<
            ID,
        >,
    ) -> ApiResult<ChangeAccountStatusPayload> {
        let rc = request(ctx)?;
        let input = crate::ops::accounts::change_account_status::Input {
            account_id,
            to: status,
            reason,
            updated_by,
            expected_version,
            client: super::transfers::client_of(client_id.as_ref())?,
        };
        let account = crate::ops::accounts::change_account_status::run(&rc.cx(), input).await?;
        Ok(ChangeAccountStatusPayload {
            account: Account::new(account, &rc.db)?,
        })
    }
}
