//! Account transactions and the double-entry ledger. A movement writes its ledger entries and
//! the balances they imply in the caller's transaction; each balance change is one
//! conditional UPDATE (never read-then-write), so balances never go negative and money never
//! moves for a party whose status forbids it. Entries are append-only (a trigger refuses
//! UPDATE and DELETE).

mod checks;

pub use checks::{
    Reconciliation, misattributed_entries, open_holds, reconcile, unbalanced_postings,
};

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::windowed::{Bind, Condition, Link, TopPerParent};
use super::{StoreError, ensure_in_scope, scoped};
use crate::db::schema::{account_transactions, accounts, customers, ledger_entries};
use crate::db::types::Timestamp;
use crate::db::{Conn, dispatch};
use crate::domain::ids::{
    AccountKey, ClientId, LedgerEntryId, PaymentAddressId, PayorKey, PostingId, TransactionId,
    TransferId,
};
use crate::domain::ledger::{
    BalanceChange, Bucket, CategoryType, Posting, TransactionStatus, TransactionType,
};
use crate::domain::money::MAX_BALANCE;
use crate::domain::status::{CustomerStatus, transacting_statuses};
use crate::domain::tenancy::Scope;

/// A line of an account's statement.
#[derive(Debug, Clone, PartialEq, Queryable, QueryableByName, Selectable, Insertable)]
#[diesel(table_name = account_transactions)]
pub struct AccountTransaction {
    pub id: TransactionId,
    pub client_id: ClientId,
    pub account_id: AccountKey,
    pub transaction_type: TransactionType,
    pub category_type: CategoryType,
    pub status: TransactionStatus,
    /// Minor units, always positive; the type says which way it went.
    pub value: i64,
    pub description: Option<String>,
    pub payor_id: Option<PayorKey>,
    pub payment_reference: Option<String>,
    pub address_id: Option<PaymentAddressId>,
    pub transfer_id: Option<TransferId>,
    pub transaction_date: Timestamp,
    pub posted_at: Option<Timestamp>,
    pub version: i64,
}

const TRANSACTION_COLUMNS: &str = "id, client_id, account_id, transaction_type, category_type, \
    status, value, description, payor_id, payment_reference, address_id, transfer_id, \
    transaction_date, posted_at, version";

impl AccountTransaction {
    /// A new transaction on `account` of `value` minor units, dated `now`.
    pub fn new(
        client_id: ClientId,
        account: AccountKey,
        kind: (TransactionType, CategoryType, TransactionStatus),
        value: i64,
        now: Timestamp,
    ) -> Self {
        let (transaction_type, category_type, status) = kind;
        Self {
            id: TransactionId::new(),
            client_id,
            account_id: account,
            transaction_type,
            category_type,
            status,
            value,
            description: None,
            payor_id: None,
            payment_reference: None,
            address_id: None,
            transfer_id: None,
            transaction_date: now,
            posted_at: (status == TransactionStatus::Posted).then_some(now),
            version: 1,
        }
    }
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = ledger_entries)]
struct LedgerEntry {
    id: LedgerEntryId,
    posting_id: PostingId,
    client_id: ClientId,
    transaction_id: TransactionId,
    account_id: Option<AccountKey>,
    asset_type_id: String,
    bucket: Bucket,
    amount: i64,
    created_at: Timestamp,
}

/// A balance change whose conditional UPDATE matched no row: the posting stops at this
/// account. The caller explains why (`ops::money::refusals`) and rolls its transaction back,
/// since the posting's entries are already written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused {
    /// The change that was not applied.
    pub change: BalanceChange,
    /// Whether the account had to be able to transact (it was in `must_transact`).
    pub guarded: bool,
}

/// Inserts a transaction. Call inside the movement's transaction.
pub async fn insert_transaction(
    tx: &mut Conn<'_>,
    scope: &Scope,
    transaction: &AccountTransaction,
) -> Result<(), StoreError> {
    ensure_in_scope(scope, transaction.client_id)?;
    dispatch!(tx, c => {
        diesel::insert_into(account_transactions::table)
            .values(transaction)
            .execute(c)
            .await?;
    });
    Ok(())
}

/// Moves a transaction from `from` to `to` (a hold posted or cancelled), by compare-and-set.
pub async fn settle_transaction(
    tx: &mut Conn<'_>,
    scope: &Scope,
    id: TransactionId,
    (from, to): (TransactionStatus, TransactionStatus),
    now: Timestamp,
) -> Result<(), StoreError> {
    let posted_at = (to == TransactionStatus::Posted).then_some(now);
    let changed = dispatch!(tx, c => {
        diesel::update(
            account_transactions::table
                .filter(account_transactions::id.eq(id))
                .filter(account_transactions::status.eq(from)),
        )
        .set((
            account_transactions::status.eq(to),
            account_transactions::posted_at.eq(posted_at),
            account_transactions::version.eq(account_transactions::version + 1),
        ))
        .returning(account_transactions::client_id)
        .get_result::<ClientId>(c)
        .await
        .optional()?
    });
    match changed {
        // Another client's transaction: the caller's transaction rolls this back.
        Some(owner) => ensure_in_scope(scope, owner),
        None => Err(StoreError::Conflict),
    }
}

/// Writes a posting's entries for `transaction` and applies the balances they imply. Each
/// account's change is one conditional UPDATE: it applies only if no balance would go
/// negative and, for the accounts in `must_transact`, only while the account's and its
/// customer's statuses allow money to move. Accounts are updated in key order, so two
/// movements over the same accounts always lock them in the same order (no deadlock). The
/// first change that matches no row stops the posting and is returned as [`Refused`].
pub async fn post(
    tx: &mut Conn<'_>,
    scope: &Scope,
    movement: &Movement<'_>,
    transaction: TransactionId,
    posting: &Posting,
    must_transact: &[AccountKey],
) -> Result<Result<(), Refused>, StoreError> {
    post_split(
        tx,
        scope,
        movement,
        transaction,
        &[],
        posting,
        must_transact,
    )
    .await
}

/// What every entry of one money movement shares: whose, in which asset, when.
#[derive(Debug, Clone, Copy)]
pub struct Movement<'a> {
    pub client_id: ClientId,
    pub asset_type_id: &'a str,
    pub at: Timestamp,
}

/// [`post`], with the entries of some accounts written under another transaction of theirs
/// (`legs`): an executed transfer's source leg belongs to its hold, the destination leg to
/// the new TRANSFER_IN, so every transaction's entries stay on its own account.
pub async fn post_split(
    tx: &mut Conn<'_>,
    scope: &Scope,
    movement: &Movement<'_>,
    transaction: TransactionId,
    legs: &[(AccountKey, TransactionId)],
    posting: &Posting,
    must_transact: &[AccountKey],
) -> Result<Result<(), Refused>, StoreError> {
    ensure_in_scope(scope, movement.client_id)?;
    if !posting.is_balanced() {
        return Err(StoreError::Corrupt(
            "an unbalanced posting was refused".into(),
        ));
    }
    let Movement {
        client_id,
        asset_type_id,
        at: now,
    } = *movement;
    let posting_id = PostingId::new();
    for entry in &posting.entries {
        let row = LedgerEntry {
            id: LedgerEntryId::new(),
            posting_id,
            client_id,
            transaction_id: legs
                .iter()
                .find(|(account, _)| Some(*account) == entry.account)
                .map_or(transaction, |(_, leg)| *leg),
            account_id: entry.account,
            asset_type_id: asset_type_id.to_owned(),
            bucket: entry.bucket,
            amount: entry.amount,
            created_at: now,
        };
        dispatch!(tx, c => {
            diesel::insert_into(ledger_entries::table).values(&row).execute(c).await?;
        });
    }
    let mut changes = posting.balance_changes();
    changes.sort_by_key(|c| c.account);
    let transacting = transacting_statuses();
    for change in changes {
        let guarded = must_transact.contains(&change.account);
        // Statuses that pass the guard: the transacting ones, or any when unguarded.
        let allowed: Vec<CustomerStatus> = if guarded {
            transacting.clone()
        } else {
            CustomerStatus::ALL.to_vec()
        };
        let updated = dispatch!(tx, c => {
            diesel::update(
                accounts::table
                    .filter(accounts::id.eq(change.account))
                    .filter(accounts::client_id.eq(client_id))
                    .filter(accounts::available_balance.ge(-change.available))
                    .filter(accounts::current_balance.ge(-change.current))
                    .filter(accounts::current_balance.le(MAX_BALANCE - change.current.max(0)))
                    .filter(accounts::status.eq_any(&allowed))
                    .filter(diesel::dsl::exists(
                        customers::table
                            .filter(customers::id.eq(accounts::customer_id))
                            .filter(customers::status.eq_any(&allowed)),
                    )),
            )
            .set((
                accounts::current_balance.eq(accounts::current_balance + change.current),
                accounts::available_balance.eq(accounts::available_balance + change.available),
            ))
            .execute(c)
            .await?
        });
        if updated == 0 {
            return Ok(Err(Refused { change, guarded }));
        }
    }
    Ok(Ok(()))
}

/// Transactions by key, those the scope reaches.
pub async fn find_many(
    conn: &mut Conn<'_>,
    scope: &Scope,
    keys: &[TransactionId],
) -> Result<Vec<AccountTransaction>, StoreError> {
    let found = dispatch!(conn, c => {
        scoped!(
            account_transactions::table,
            account_transactions::client_id,
            scope,
            account = account_transactions::account_id
        )
            .filter(account_transactions::id.eq_any(keys))
            .select(AccountTransaction::as_select())
            .load(c)
            .await?
    });
    Ok(found)
}

/// What to list of an account's transactions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct TransactionFilter {
    pub status: Option<TransactionStatus>,
    pub transaction_type: Option<TransactionType>,
    /// From this time, inclusive.
    pub from: Option<Timestamp>,
    /// Up to this time, exclusive.
    pub to: Option<Timestamp>,
}

/// One page of transactions per account, in one statement: the first `limit` of each
/// account, newest or oldest first, after `after` (a transaction's date and key).
pub async fn page_for_accounts(
    conn: &mut Conn<'_>,
    scope: &Scope,
    accounts: &[AccountKey],
    filter: &TransactionFilter,
    newest_first: bool,
    after: Option<(Timestamp, TransactionId)>,
    limit: i64,
) -> Result<Vec<AccountTransaction>, StoreError> {
    let parents: Vec<uuid::Uuid> = accounts.iter().map(|k| k.0).collect();
    let mut conditions: Vec<Condition> = Condition::scope(scope, Link::Account);
    if let Some(status) = filter.status {
        conditions.push(Condition::new(
            "status = ?",
            vec![Bind::Text(status.as_str().into())],
        ));
    }
    if let Some(kind) = filter.transaction_type {
        conditions.push(Condition::new(
            "transaction_type = ?",
            vec![Bind::Text(kind.as_str().into())],
        ));
    }
    if let Some(from) = filter.from {
        conditions.push(Condition::new(
            "transaction_date >= ?",
            vec![Bind::Timestamp(from)],
        ));
    }
    if let Some(to) = filter.to {
        conditions.push(Condition::new(
            "transaction_date < ?",
            vec![Bind::Timestamp(to)],
        ));
    }
    if let Some((at, key)) = after {
        let sql = if newest_first {
            "transaction_date < ? OR (transaction_date = ? AND id < ?)"
        } else {
            "transaction_date > ? OR (transaction_date = ? AND id > ?)"
        };
        conditions.push(Condition::new(
            sql,
            vec![Bind::Timestamp(at), Bind::Timestamp(at), Bind::uuid(key.0)],
        ));
    }
    TopPerParent {
        table: "account_transactions",
        columns: TRANSACTION_COLUMNS,
        parent_column: "account_id",
        parents: &parents,
        order: if newest_first {
            "transaction_date DESC, id DESC"
        } else {
            "transaction_date ASC, id ASC"
        },
        conditions,
        limit,
    }
    .fetch(conn)
    .await
}
