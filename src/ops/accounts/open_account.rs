//! `openAccount`: another account for a customer whose status allows both update and
//! transact, ACTIVE and empty; with an idempotency key a retry returns the first account.

use crate::db::Conn;
use crate::domain::account::ProductId;
use crate::domain::dormancy::Activity;
use crate::domain::ids::{AccountKey, ClientId};
use crate::domain::status::AccountStatus;
use crate::domain::validation::{Problems, check_external_id};
use crate::ops::accounts::check_asset_type;
use crate::ops::customers::{check_updatable, find_customer, locked_status};
use crate::ops::events;
use crate::ops::money::check_idempotency_key;
use crate::ops::uow::{self, Idempotency, Written};
use crate::ops::{Cx, OpError, OpResult};
use crate::store;
use crate::store::accounts::Account;

/// What `openAccount` is given.
#[derive(Debug, Clone)]
pub struct Input {
    /// The client's own id of the customer.
    pub customer_id: String,
    /// The client's own id of the new account.
    pub account_id: String,
    pub product_id: ProductId,
    pub asset_type_id: String,
    pub idempotency_key: Option<String>,
    /// The client whose customer it is (the operator must name it).
    pub client: Option<ClientId>,
}

/// Opens the account.
pub async fn run(cx: &Cx<'_>, input: Input) -> OpResult<Account> {
    let mut problems = Problems::new();
    check_external_id(&mut problems, "customerId", &input.customer_id);
    check_external_id(&mut problems, "accountToOpen.accountId", &input.account_id);
    check_asset_type(
        cx,
        &mut problems,
        "accountToOpen.assetTypeId",
        &input.asset_type_id,
    );
    if let Some(key) = &input.idempotency_key {
        check_idempotency_key(&mut problems, key);
    }
    OpError::check(problems.into_errors())?;
    let id = AccountKey::new();
    let key = Idempotency::optional(
        cx,
        input.idempotency_key.as_deref(),
        input.client,
        "openAccount",
        &[
            &input.customer_id,
            &input.account_id,
            input.product_id.as_str(),
            &input.asset_type_id,
        ],
        id.0,
    )?;
    match uow::unit!(cx, key.as_ref(), tx => open(tx, cx, &input, id).await)? {
        Written::Done(account) => Ok(account),
        Written::Replayed(saved) => {
            let mut pooled = cx.db.conn().await?;
            store::accounts::find_many(&mut pooled.conn(), &cx.scope(), &[AccountKey(saved)])
                .await?
                .pop()
                .ok_or_else(|| OpError::internal(&"a saved account is missing"))
        }
    }
}

/// The body: the customer's status on its locked row (so a concurrent freeze or close sees
/// the new account in its cascade, or this refuses), then the account.
async fn open(tx: &mut Conn<'_>, cx: &Cx<'_>, input: &Input, id: AccountKey) -> OpResult<Account> {
    let customer = find_customer(tx, cx, &input.customer_id, input.client).await?;
    let status = locked_status(tx, cx, customer.id, customer.client_id).await?;
    check_updatable(status, cx.principal.role())?;
    let opened = Activity::AccountOpened;
    crate::ops::customers::activity::note(tx, cx, (customer.id, customer.client_id), opened)
        .await?;
    if !status.can_transact() {
        return Err(OpError::CannotTransact {
            reason: "CUSTOMER_STATUS",
            message: format!(
                "the customer is {status}, which cannot transact; no account can be opened"
            ),
        });
    }
    let account = Account {
        id,
        client_id: customer.client_id,
        customer_id: customer.id,
        external_id: input.account_id.clone(),
        product_id: input.product_id,
        asset_type_id: input.asset_type_id.clone(),
        status: AccountStatus::Active,
        current_balance: 0,
        available_balance: 0,
        is_default: false,
        version: 1,
        created_at: cx.now,
        updated_at: cx.now,
        closed_at: None,
        frozen_from: None,
    };
    match store::accounts::insert(tx, &cx.scope(), &account).await {
        Ok(()) => {
            events::account_opened(tx, cx, &account, &customer.external_id).await?;
            Ok(account)
        }
        Err(store::StoreError::AlreadyExists(_)) => Err(OpError::AlreadyExists {
            message: format!(
                "an account with accountId {:?} already exists",
                input.account_id
            ),
            field: Some("accountToOpen.accountId".into()),
        }),
        Err(error) => Err(error.into()),
    }
}
