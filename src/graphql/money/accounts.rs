//! Account reads and changes: `account`, `assetTypes`, `openAccount`, `changeAccountStatus`.

use async_graphql::{Context, ID, Object, SimpleObject};

use super::{load_account, owner_of};
use crate::domain::account::check_close;
use crate::domain::status::{AccountStatus, check_transition, check_update};
use crate::domain::validation::Problems;
use crate::graphql::customer_inputs::AccountToOpenInput;
use crate::graphql::customers::{
    check_external_id, check_note, guard_update, load_customer, status_transition_error,
};
use crate::graphql::error::{ApiError, ApiResult};
use crate::graphql::request;
use crate::graphql::types::account::{Account, AssetType};
use crate::store::accounts::{AccountChangeError, OpenError};
use crate::store::customers::ChangeNote;
use crate::store::{self, StoreError};

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
        #[graphql(desc = "The client's global id; required for the operator.")] client_id: Option<
            ID,
        >,
    ) -> ApiResult<OpenAccountPayload> {
        let rc = request(ctx)?;
        let mut problems = Problems::new();
        check_external_id(&mut problems, "customerId", &customer_id);
        check_external_id(
            &mut problems,
            "accountToOpen.accountId",
            &account_to_open.account_id,
        );
        if rc
            .db
            .asset_decimals(&account_to_open.asset_type_id)
            .is_none()
        {
            problems.add(
                "accountToOpen.assetTypeId",
                "is not a supported asset type (see assetTypes)",
            );
        }
        ApiError::check(problems.into_errors())?;
        let customer = load_customer(rc, &customer_id, client_id.as_ref()).await?;
        let role = rc.principal.role();
        guard_update(&customer, role)?;
        if !customer.status.can_transact() {
            return Err(ApiError::CannotTransact {
                reason: "CUSTOMER_STATUS",
                message: format!(
                    "the customer is {}, which cannot transact; no account can be opened",
                    customer.status
                ),
            });
        }
        let account = store::accounts::Account::new_extra(
            &customer,
            &account_to_open.account_id,
            account_to_open.product_id,
            &account_to_open.asset_type_id,
        );
        let mut pooled = rc.db.conn().await?;
        let opened =
            store::accounts::open(&mut pooled.conn(), &rc.principal.scope(), &account, role).await;
        match opened {
            Ok(account) => Ok(OpenAccountPayload {
                account: Account::new(account, &rc.db)?,
            }),
            Err(OpenError::CannotUpdate(message)) => Err(ApiError::Rule {
                code: "CUSTOMER_CANNOT_BE_UPDATED",
                message,
            }),
            Err(OpenError::CannotTransact(status)) => Err(ApiError::CannotTransact {
                reason: "CUSTOMER_STATUS",
                message: format!("the customer is {status}, which cannot transact"),
            }),
            Err(OpenError::Store(StoreError::AlreadyExists(_))) => Err(ApiError::AlreadyExists {
                message: format!(
                    "an account with accountId {:?} already exists",
                    account_to_open.account_id
                ),
                field: Some("accountToOpen.accountId".into()),
            }),
            Err(OpenError::Store(error)) => Err(error.into()),
        }
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
        let mut problems = Problems::new();
        check_note(&mut problems, &reason, &updated_by);
        ApiError::check(problems.into_errors())?;
        let account = load_account(rc, "accountId", &account_id, client_id.as_ref()).await?;
        if expected_version.is_some_and(|v| v != account.version) {
            return Err(StoreError::Conflict.into());
        }
        let role = rc.principal.role();
        let from_status = account.status;
        let transition_error =
            |error| status_transition_error("account", from_status, status, role, error);
        check_transition(account.status, status, role).map_err(transition_error)?;
        let account = if status == AccountStatus::Closed {
            // An overdue hold no longer counts: expire it, then weigh the balances afresh.
            crate::ops::money::expire_transfers::settle_overdue_of(&rc.cx(), &[account.id]).await?;
            let account = load_account(rc, "accountId", &account_id, client_id.as_ref()).await?;
            check_close(
                account.current_balance,
                account.available_balance,
                account.is_default,
            )
            .map_err(|refusal| ApiError::Rule {
                code: refusal.code(),
                message: refusal.message().into(),
            })?;
            account
        } else {
            account
        };
        let customer = owner_of(rc, &account).await?;
        check_update(customer.status, role).map_err(|message| ApiError::Rule {
            code: "CUSTOMER_CANNOT_BE_UPDATED",
            message,
        })?;
        let note = ChangeNote {
            reason: &reason,
            updated_by: &updated_by,
            actor: rc.principal.actor(),
        };
        let mut pooled = rc.db.conn().await?;
        let changed = store::accounts::change_status(
            &mut pooled.conn(),
            &rc.principal.scope(),
            &account,
            status,
            role,
            expected_version,
            &note,
        )
        .await;
        match changed {
            Ok(row) => Ok(ChangeAccountStatusPayload {
                account: Account::new(row, &rc.db)?,
            }),
            Err(AccountChangeError::Rule(error)) => Err(transition_error(error)),
            Err(AccountChangeError::CustomerCannotBeUpdated(message)) => Err(ApiError::Rule {
                code: "CUSTOMER_CANNOT_BE_UPDATED",
                message,
            }),
            Err(AccountChangeError::Close(refusal)) => Err(ApiError::Rule {
                code: refusal.code(),
                message: refusal.message().into(),
            }),
            Err(AccountChangeError::Store(error)) => Err(error.into()),
        }
    }
}
