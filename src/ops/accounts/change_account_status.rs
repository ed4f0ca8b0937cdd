//! `changeAccountStatus`: an account moves along the customers' status table, its history
//! written in the same transaction; closing needs zero balances (overdue holds released
//! first) and is refused for the default account; the customer's status must allow updates.

use crate::db::Conn;
use crate::domain::account::check_close;
use crate::domain::ids::ClientId;
use crate::domain::status::{AccountStatus, check_transition};
use crate::domain::validation::Problems;
use crate::ops::customers::{check_updatable, locked_status, transition_refusal};
use crate::ops::events;
use crate::ops::money::expire_transfers::settle_due_of;
use crate::ops::money::find_account;
use crate::ops::uow;
use crate::ops::{Cx, OpError, OpResult};
use crate::store;
use crate::store::accounts::{Account, AccountStatusChange};
use crate::store::customers::ChangeNote;

/// What `changeAccountStatus` is given.
#[derive(Debug, Clone)]
pub struct Input {
    /// The client's own id of the account.
    pub account_id: String,
    pub to: AccountStatus,
    pub reason: String,
    pub updated_by: String,
    /// Refuse (`CONFLICT`) unless the account is at this version.
    pub expected_version: Option<i64>,
    pub client: Option<ClientId>,
}

/// Moves the account.
pub async fn run(cx: &Cx<'_>, input: Input) -> OpResult<Account> {
    let mut problems = Problems::new();
    problems.required_text("reason", &input.reason, 500);
    problems.required_text("updatedBy", &input.updated_by, 200);
    OpError::check(problems.into_errors())?;
    uow::unit!(cx, None, tx => change(tx, cx, &input).await)?.done()
}

fn close_refusal(refusal: crate::domain::account::CloseRefusal) -> OpError {
    OpError::Rule {
        code: refusal.code(),
        message: refusal.message().into(),
    }
}

async fn change(tx: &mut Conn<'_>, cx: &Cx<'_>, input: &Input) -> OpResult<Account> {
    let scope = cx.scope();
    let role = cx.principal.role();
    let mut account = find_account(tx, cx, "accountId", &input.account_id, input.client).await?;
    if input.expected_version.is_some_and(|v| v != account.version) {
        return Err(store::StoreError::Conflict.into());
    }
    let (from, to) = (account.status, input.to);
    check_transition(from, to, role)
        .map_err(|e| transition_refusal("account", from, to, role, e))?;
    let closing = to == AccountStatus::Closed;
    if closing {
        // An overdue hold no longer counts: release it, then weigh the balances afresh.
        settle_due_of(tx, cx, &[account.id]).await?;
        account = store::accounts::find_many(tx, &scope, &[account.id])
            .await?
            .pop()
            .ok_or_else(|| OpError::internal(&"the account vanished inside its transaction"))?;
        check_close(
            account.current_balance,
            account.available_balance,
            account.is_default,
        )
        .map_err(close_refusal)?;
    }
    check_updatable(
        locked_status(tx, cx, account.customer_id, account.client_id).await?,
        role,
    )?;
    let note = ChangeNote {
        reason: &input.reason,
        updated_by: &input.updated_by,
        actor: cx.principal.actor(),
    };
    let entry = AccountStatusChange::new(account.id, account.client_id, from, to, &note, cx.now);
    if let Some(moved) = store::accounts::move_status(tx, &scope, &account, to, &entry).await? {
        let customer = events::customer_ref(tx, cx, account.customer_id).await?;
        let subject = (&account, customer.as_str());
        events::account_status_changed(tx, cx, subject, to.as_str(), &input.reason, None).await?;
        return Ok(moved);
    }
    // Tell a concurrent change and money that arrived meanwhile apart.
    let now = store::accounts::find_many(tx, &scope, &[account.id])
        .await?
        .pop();
    match now {
        None => Err(store::StoreError::NotFound.into()),
        Some(now) if now.status == from && now.version == account.version && closing => {
            check_close(now.current_balance, now.available_balance, now.is_default)
                .map_err(close_refusal)?;
            Err(store::StoreError::Conflict.into())
        }
        Some(_) => Err(store::StoreError::Conflict.into()),
    }
}
