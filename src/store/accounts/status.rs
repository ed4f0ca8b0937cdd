//! Account status changes: the table checked again here, the compare-and-set, the history in
//! the same transaction; and the writes of a customer's cascade onto its accounts.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::Account;
use crate::db::schema::{account_status_history, accounts};
use crate::db::types::Timestamp;
use crate::db::{Conn, dispatch};
use crate::domain::client::{Actor, ChangeNote};
use crate::domain::ids::{AccountHistoryId, AccountKey, ClientId, CustomerKey};
use crate::domain::status::AccountStatus;
use crate::domain::tenancy::Scope;
use crate::store::{StoreError, ensure_in_scope, scoped};

/// An entry in an account's status history.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = account_status_history)]
pub struct AccountStatusChange {
    pub id: AccountHistoryId,
    pub account_id: AccountKey,
    pub client_id: ClientId,
    pub from_status: AccountStatus,
    pub to_status: AccountStatus,
    pub reason: String,
    pub updated_by: String,
    pub actor: Actor,
    pub created_at: Timestamp,
}

impl AccountStatusChange {
    /// The history entry of a move from `from` to `to` at `now`.
    pub fn new(
        account: AccountKey,
        client_id: ClientId,
        from: AccountStatus,
        to: AccountStatus,
        note: &ChangeNote<'_>,
        now: Timestamp,
    ) -> Self {
        Self {
            id: AccountHistoryId::new(),
            account_id: account,
            client_id,
            from_status: from,
            to_status: to,
            reason: note.reason.to_owned(),
            updated_by: note.updated_by.to_owned(),
            actor: note.actor,
            created_at: now,
        }
    }
}

/// Moves an account from the status it was read in to `to` and appends `entry` to its
/// history, inside the caller's transaction: a compare-and-set on status and version that,
/// for a close, also requires zero balances and a non-default account in the same statement
/// (so a payment racing it cannot land in a closed account). `None` when the row no longer
/// matches; the rules are the caller's to weigh and to explain.
pub async fn move_status(
    tx: &mut Conn<'_>,
    scope: &Scope,
    account: &Account,
    to: AccountStatus,
    entry: &AccountStatusChange,
) -> Result<Option<Account>, StoreError> {
    ensure_in_scope(scope, account.client_id)?;
    let closing = to == AccountStatus::Closed;
    let now = entry.created_at;
    let closed_at = closing.then_some(now);
    let max_balance = if closing { 0 } else { i64::MAX };
    let row = dispatch!(tx, c => {
        diesel::update(
            accounts::table
                .filter(accounts::id.eq(account.id))
                .filter(accounts::client_id.eq(account.client_id))
                .filter(accounts::status.eq(account.status))
                .filter(accounts::version.eq(account.version))
                .filter(accounts::current_balance.le(max_balance))
                .filter(accounts::available_balance.le(max_balance))
                .filter(accounts::is_default.eq(false).or(accounts::is_default.eq(!closing))),
        )
        .set((
            accounts::status.eq(to),
            accounts::version.eq(accounts::version + 1),
            accounts::updated_at.eq(now),
            accounts::closed_at.eq(closed_at),
            // A change of its own ends any memory of the customer's freeze.
            accounts::frozen_from.eq(None::<AccountStatus>),
        ))
        .returning(Account::as_returning())
        .get_result(c)
        .await
        .optional()?
    });
    if row.is_some() {
        dispatch!(tx, c => {
            diesel::insert_into(account_status_history::table).values(entry).execute(c).await?;
        });
    }
    Ok(row)
}

/// The keys of a customer's accounts that are not closed, in key order: the order in which
/// money movements lock accounts, so that a cascade and a transfer never wait on each other
/// in a cycle.
pub async fn open_keys_of_customer(
    tx: &mut Conn<'_>,
    scope: &Scope,
    customer: CustomerKey,
    client_id: ClientId,
) -> Result<Vec<AccountKey>, StoreError> {
    ensure_in_scope(scope, client_id)?;
    let keys = dispatch!(tx, c => {
        accounts::table
            .filter(accounts::customer_id.eq(customer))
            .filter(accounts::client_id.eq(client_id))
            .filter(accounts::status.ne(AccountStatus::Closed))
            .order(accounts::id)
            .select(accounts::id)
            .load(c)
            .await?
    });
    Ok(keys)
}

/// Locks an account's row for the rest of the transaction and reads it as it is now.
pub async fn lock(
    tx: &mut Conn<'_>,
    scope: &Scope,
    key: AccountKey,
) -> Result<Option<Account>, StoreError> {
    let row = dispatch!(tx, c => {
        scoped!(
            accounts::table.filter(accounts::id.eq(key)),
            accounts::client_id,
            scope,
            customer = accounts::customer_id
        )
            .select(accounts::id)
            .first::<AccountKey>(c)
            .await
            .optional()?
    });
    if row.is_none() {
        return Ok(None);
    }
    let row = dispatch!(tx, c => {
        diesel::update(accounts::table.filter(accounts::id.eq(key)))
            .set(accounts::version.eq(accounts::version))
            .returning(Account::as_returning())
            .get_result(c)
            .await
            .optional()?
    });
    Ok(row)
}

/// Writes the status a customer's cascade gives a locked account (and the status it
/// remembers from a freeze), with its history entry, inside the caller's transaction.
pub async fn set_cascaded(
    tx: &mut Conn<'_>,
    scope: &Scope,
    account: &Account,
    to: AccountStatus,
    frozen_from: Option<AccountStatus>,
    entry: &AccountStatusChange,
) -> Result<(), StoreError> {
    ensure_in_scope(scope, account.client_id)?;
    let now = entry.created_at;
    let closed_at = (to == AccountStatus::Closed).then_some(now);
    dispatch!(tx, c => {
        diesel::update(accounts::table.filter(accounts::id.eq(account.id)))
            .set((
                accounts::status.eq(to),
                accounts::frozen_from.eq(frozen_from),
                accounts::closed_at.eq(closed_at),
                accounts::version.eq(accounts::version + 1),
                accounts::updated_at.eq(now),
            ))
            .execute(c)
            .await?;
        diesel::insert_into(account_status_history::table)
            .values(entry)
            .execute(c)
            .await?;
    });
    Ok(())
}

/// The status histories of accounts, oldest first.
pub async fn status_history(
    conn: &mut Conn<'_>,
    scope: &Scope,
    accounts: &[AccountKey],
) -> Result<Vec<AccountStatusChange>, StoreError> {
    let entries = dispatch!(conn, c => {
        scoped!(
            account_status_history::table
                .filter(account_status_history::account_id.eq_any(accounts)),
            account_status_history::client_id,
            scope,
            account = account_status_history::account_id
        )
        .order((account_status_history::created_at, account_status_history::id))
        .select(AccountStatusChange::as_select())
        .load(c)
        .await?
    });
    Ok(entries)
}
