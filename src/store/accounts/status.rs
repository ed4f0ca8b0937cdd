//! Account status changes: the table checked again here, the compare-and-set, the history in
//! the same transaction; and the cascades of a customer's status onto its accounts.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::Account;
use crate::db::schema::{account_status_history, accounts};
use crate::db::types::Timestamp;
use crate::db::{Conn, dispatch};
use crate::domain::account::{CloseRefusal, check_close};
use crate::domain::client::Actor;
use crate::domain::ids::{AccountHistoryId, AccountKey, ClientId, CustomerKey};
use crate::domain::status::{AccountStatus, CustomerStatus};
use crate::domain::tenancy::Scope;
use crate::store::customers::ChangeNote;
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

/// Applies a customer's status change to its accounts, inside the customer's transaction
/// (which holds the customer's row, so no account is opened meanwhile):
/// - into FROZEN (or FROZEN_L2F) from a non-frozen status: every account that is neither
///   closed nor frozen is frozen, remembering its status (an `_L2F` account becomes
///   FROZEN_L2F, so the platform's flag survives);
/// - out of FROZEN to anything but CLOSED: exactly the accounts the cascade froze return to
///   the status they had;
/// - into CLOSED: every account closes, refused (`ACCOUNT_HAS_FUNDS`) while any holds money
///   or a hold.
///
/// Accounts are locked and changed one by one in key order, the order in which money
/// movements lock them, so a cascade and a transfer never wait on each other in a cycle.
/// This cascade is also what keeps the ledger's transact check sound: a customer reaches a
/// non-transacting status only through it (FROZEN, CLOSED) or from one (PENDING, `_L2F`
/// forms of those), so checking the account's own row in the balance UPDATE suffices.
pub async fn cascade_customer_status(
    tx: &mut Conn<'_>,
    customer: CustomerKey,
    client_id: ClientId,
    from: CustomerStatus,
    to: CustomerStatus,
    note: &ChangeNote<'_>,
) -> Result<(), StoreError> {
    let frozen = |s: CustomerStatus| s.base() == CustomerStatus::Frozen;
    let closing = to == CustomerStatus::Closed;
    let freezing = frozen(to) && !frozen(from) && !closing;
    let thawing = frozen(from) && !frozen(to) && !closing;
    if !(closing || freezing || thawing) {
        return Ok(());
    }
    let now = Timestamp::now();
    let keys: Vec<AccountKey> = dispatch!(tx, c => {
        accounts::table
            .filter(accounts::customer_id.eq(customer))
            .filter(accounts::client_id.eq(client_id))
            .filter(accounts::status.ne(AccountStatus::Closed))
            .order(accounts::id)
            .select(accounts::id)
            .load(c)
            .await?
    });
    for key in keys {
        let account = lock_account(tx, key).await?;
        let (to_status, frozen_from) = if closing {
            if check_close(account.current_balance, account.available_balance, false).is_err() {
                return Err(StoreError::NotAllowed {
                    code: CloseRefusal::HasFunds.code(),
                    message: format!(
                        "account {:?} still holds funds or a hold; empty the customer's \
                         accounts before closing the customer",
                        account.external_id
                    ),
                });
            }
            (AccountStatus::Closed, None)
        } else if freezing {
            if frozen(account.status) {
                continue;
            }
            let to = if account.status.is_l2f() {
                AccountStatus::FrozenL2f
            } else {
                AccountStatus::Frozen
            };
            (to, Some(account.status))
        } else {
            match account.frozen_from {
                Some(previous) if frozen(account.status) => (previous, None),
                _ => continue,
            }
        };
        let closed_at = closing.then_some(now);
        dispatch!(tx, c => {
            diesel::update(accounts::table.filter(accounts::id.eq(key)))
                .set((
                    accounts::status.eq(to_status),
                    accounts::frozen_from.eq(frozen_from),
                    accounts::closed_at.eq(closed_at),
                    accounts::version.eq(accounts::version + 1),
                    accounts::updated_at.eq(now),
                ))
                .execute(c)
                .await?;
        });
        let entry = AccountStatusChange::new(key, client_id, account.status, to_status, note, now);
        dispatch!(tx, c => {
            diesel::insert_into(account_status_history::table)
                .values(&entry)
                .execute(c)
                .await?;
        });
    }
    Ok(())
}

/// Locks an account's row for the rest of the transaction and reads it as it is now.
async fn lock_account(tx: &mut Conn<'_>, key: AccountKey) -> Result<Account, StoreError> {
    let row = dispatch!(tx, c => {
        diesel::update(accounts::table.filter(accounts::id.eq(key)))
            .set(accounts::version.eq(accounts::version))
            .returning(Account::as_returning())
            .get_result(c)
            .await?
    });
    Ok(row)
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
            scope
        )
        .order((account_status_history::created_at, account_status_history::id))
        .select(AccountStatusChange::as_select())
        .load(c)
        .await?
    });
    Ok(entries)
}
