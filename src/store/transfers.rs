//! Transfers between two accounts of one client: create (with its hold), accept (execute),
//! cancel, reject and expire. Every status move is a compare-and-set on the transfer's row,
//! made in the same transaction as the ledger postings it implies.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::ledger::{self, AccountTransaction};
use super::{StoreError, ensure_in_scope, scoped};
use crate::db::schema::{account_transactions, accounts, customers, transfers};
use crate::db::types::Timestamp;
use crate::db::{Conn, dispatch, write_tx};
use crate::domain::ids::{AccountKey, ClientId, TransactionId, TransferId};
use crate::domain::ledger::{CategoryType, Posting, TransactionStatus, TransactionType};
use crate::domain::status::{CustomerStatus, check_transact};
use crate::domain::tenancy::Scope;
use crate::domain::transfer::TransferStatus;

/// A transfer row.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = transfers)]
pub struct Transfer {
    pub id: TransferId,
    pub client_id: ClientId,
    pub source_account_id: AccountKey,
    pub destination_account_id: AccountKey,
    pub asset_type_id: String,
    /// Minor units of the asset.
    pub amount: i64,
    pub description: Option<String>,
    pub status: TransferStatus,
    pub valid_until: Timestamp,
    pub rejection_reason: Option<String>,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Transfer {
    /// Whether it is still REQUESTED although its time is up.
    pub fn is_due(&self, now: Timestamp) -> bool {
        self.status == TransferStatus::Requested && self.valid_until <= now
    }
}

/// The transact rule for the destination side, read inside a movement's transaction.
async fn check_receiver(tx: &mut Conn<'_>, account: AccountKey) -> Result<(), StoreError> {
    let (customer, status): (CustomerStatus, CustomerStatus) = dispatch!(tx, c => {
        accounts::table
            .inner_join(customers::table)
            .filter(accounts::id.eq(account))
            .select((customers::status, accounts::status))
            .first(c)
            .await?
    });
    check_transact(customer, status).map_err(|why| StoreError::CannotTransact {
        reason: why.reason_code(),
        message: format!("destination: {why}"),
    })
}

/// Inserts a REQUESTED transfer and its hold on the source, inside the caller's transaction:
/// the source's available balance drops (a conditional UPDATE: `INSUFFICIENT_FUNDS` when
/// short), and both sides must be able to transact now.
pub async fn create_in(tx: &mut Conn<'_>, transfer: &Transfer) -> Result<(), StoreError> {
    check_receiver(tx, transfer.destination_account_id).await?;
    dispatch!(tx, c => {
        diesel::insert_into(transfers::table).values(transfer).execute(c).await?;
    });
    let mut hold = AccountTransaction::new(
        transfer.client_id,
        transfer.source_account_id,
        TransactionType::TransferOut,
        CategoryType::Transfer,
        TransactionStatus::Authorized,
        transfer.amount,
    );
    hold.description = transfer.description.clone();
    hold.transfer_id = Some(transfer.id);
    ledger::insert_transaction(tx, &hold).await?;
    ledger::post(
        tx,
        transfer.client_id,
        &transfer.asset_type_id,
        hold.id,
        &Posting::hold(transfer.source_account_id, transfer.amount),
        &[transfer.source_account_id],
    )
    .await?;
    Ok(())
}

/// Moves a transfer from REQUESTED to `to` by compare-and-set (also requiring, for
/// EXECUTED, that it is not yet due). `Conflict` when it is no longer REQUESTED.
async fn leave_requested(
    tx: &mut Conn<'_>,
    id: TransferId,
    to: TransferStatus,
    rejection_reason: Option<&str>,
    now: Timestamp,
) -> Result<Transfer, StoreError> {
    // Expiring needs the deadline passed; executing needs it ahead; the rest either way.
    // (Bounds that both databases store: the years 1970 and 9999.)
    let earliest = Timestamp(chrono::DateTime::<chrono::Utc>::UNIX_EPOCH);
    let latest = Timestamp(
        chrono::NaiveDate::from_ymd_opt(9999, 12, 31)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc())
            .unwrap_or(chrono::DateTime::<chrono::Utc>::UNIX_EPOCH),
    );
    let (not_before, not_after) = match to {
        TransferStatus::Expired => (earliest, now),
        // A rejection is an answer to an acceptance in time; past it, the transfer expires.
        TransferStatus::Executed | TransferStatus::Rejected => (now, latest),
        _ => (earliest, latest),
    };
    let moved = dispatch!(tx, c => {
        diesel::update(
            transfers::table
                .filter(transfers::id.eq(id))
                .filter(transfers::status.eq(TransferStatus::Requested))
                .filter(transfers::valid_until.gt(not_before))
                .filter(transfers::valid_until.le(not_after)),
        )
        .set((
            transfers::status.eq(to),
            transfers::rejection_reason.eq(rejection_reason),
            transfers::version.eq(transfers::version + 1),
            transfers::updated_at.eq(now),
        ))
        .returning(Transfer::as_returning())
        .get_result(c)
        .await
        .optional()?
    });
    moved.ok_or(StoreError::Conflict)
}

/// The AUTHORIZED hold of a transfer.
async fn hold_of(tx: &mut Conn<'_>, transfer: TransferId) -> Result<TransactionId, StoreError> {
    let id = dispatch!(tx, c => {
        account_transactions::table
            .filter(account_transactions::transfer_id.eq(transfer))
            .filter(account_transactions::transaction_type.eq(TransactionType::TransferOut))
            .select(account_transactions::id)
            .first::<TransactionId>(c)
            .await?
    });
    Ok(id)
}

/// Executes a REQUESTED transfer in the caller's transaction: the hold becomes a POSTED
/// TRANSFER_OUT, the destination gets a POSTED TRANSFER_IN, and the ledger moves the money
/// from the source's held funds to the destination. Both sides must be able to transact
/// (`CannotTransact` otherwise: roll back and [`reject`]).
pub async fn execute_in(tx: &mut Conn<'_>, id: TransferId) -> Result<Transfer, StoreError> {
    let now = Timestamp::now();
    let transfer = leave_requested(tx, id, TransferStatus::Executed, None, now).await?;
    let hold = hold_of(tx, id).await?;
    ledger::settle_transaction(
        tx,
        hold,
        TransactionStatus::Authorized,
        TransactionStatus::Posted,
    )
    .await?;
    let mut credit = AccountTransaction::new(
        transfer.client_id,
        transfer.destination_account_id,
        TransactionType::TransferIn,
        CategoryType::Transfer,
        TransactionStatus::Posted,
        transfer.amount,
    );
    credit.description = transfer.description.clone();
    credit.transfer_id = Some(transfer.id);
    ledger::insert_transaction(tx, &credit).await?;
    ledger::post_split(
        tx,
        transfer.client_id,
        &transfer.asset_type_id,
        credit.id,
        &[(transfer.source_account_id, hold)],
        &Posting::settle(
            transfer.source_account_id,
            transfer.destination_account_id,
            transfer.amount,
        ),
        &[transfer.source_account_id, transfer.destination_account_id],
    )
    .await
    .map_err(|error| match error {
        // Say which side stopped it.
        ledger::PostError::CannotTransact(account, why) => StoreError::CannotTransact {
            reason: why.reason_code(),
            message: if account == transfer.source_account_id {
                format!("source: {why}")
            } else {
                format!("destination: {why}")
            },
        },
        other => other.into(),
    })?;
    Ok(transfer)
}

/// Ends a REQUESTED transfer without moving money (CANCELLED, EXPIRED or REJECTED), in the
/// caller's transaction: its hold is CANCELLED and released to the available balance
/// (whatever the statuses now: releasing a hold never needs the transact rule).
pub async fn end_in(
    tx: &mut Conn<'_>,
    id: TransferId,
    to: TransferStatus,
    rejection_reason: Option<&str>,
) -> Result<Transfer, StoreError> {
    let now = Timestamp::now();
    let transfer = leave_requested(tx, id, to, rejection_reason, now).await?;
    let hold = hold_of(tx, id).await?;
    ledger::settle_transaction(
        tx,
        hold,
        TransactionStatus::Authorized,
        TransactionStatus::Cancelled,
    )
    .await?;
    ledger::post(
        tx,
        transfer.client_id,
        &transfer.asset_type_id,
        hold,
        &Posting::release(transfer.source_account_id, transfer.amount),
        &[],
    )
    .await?;
    Ok(transfer)
}

/// Transfers by key, those the scope reaches, as stored (see [`expire_due_of`]).
pub async fn find_many(
    conn: &mut Conn<'_>,
    scope: &Scope,
    keys: &[TransferId],
) -> Result<Vec<Transfer>, StoreError> {
    let found = dispatch!(conn, c => {
        scoped!(transfers::table, transfers::client_id, scope)
            .filter(transfers::id.eq_any(keys))
            .select(Transfer::as_select())
            .load(c)
            .await?
    });
    Ok(found)
}

/// Expires one due transfer in its own transaction; `false` when someone else ended it first.
async fn expire(conn: &mut Conn<'_>, id: TransferId) -> Result<bool, StoreError> {
    let ended = write_tx!(conn, tx => end_in(tx, id, TransferStatus::Expired, None).await);
    match ended {
        Ok(_) => Ok(true),
        Err(StoreError::Conflict) => Ok(false),
        Err(other) => Err(other),
    }
}

/// Transfers by key with expiry applied on access: a due REQUESTED transfer is expired (its
/// hold released) before it is returned.
pub async fn find_many_current(
    conn: &mut Conn<'_>,
    scope: &Scope,
    keys: &[TransferId],
) -> Result<Vec<Transfer>, StoreError> {
    let found = find_many(conn, scope, keys).await?;
    let now = Timestamp::now();
    let due: Vec<TransferId> = found
        .iter()
        .filter(|t| t.is_due(now))
        .map(|t| t.id)
        .collect();
    if due.is_empty() {
        return Ok(found);
    }
    for id in &due {
        expire(conn, *id).await?;
    }
    find_many(conn, scope, keys).await
}

/// Expires every due REQUESTED transfer whose source is one of `accounts` (before a new
/// transfer is weighed against the available balance).
pub async fn expire_due_of(
    conn: &mut Conn<'_>,
    scope: &Scope,
    accounts: &[AccountKey],
) -> Result<(), StoreError> {
    let now = Timestamp::now();
    let due: Vec<TransferId> = dispatch!(conn, c => {
        scoped!(transfers::table, transfers::client_id, scope)
            .filter(transfers::source_account_id.eq_any(accounts))
            .filter(transfers::status.eq(TransferStatus::Requested))
            .filter(transfers::valid_until.le(now))
            .select(transfers::id)
            .load(c)
            .await?
    });
    for id in due {
        expire(conn, id).await?;
    }
    Ok(())
}

/// Expires every due REQUESTED transfer out of any account of a customer (before its
/// accounts are weighed for closing: an overdue hold no longer counts).
pub async fn expire_due_of_customer(
    conn: &mut Conn<'_>,
    scope: &Scope,
    customer: crate::domain::ids::CustomerKey,
) -> Result<(), StoreError> {
    let accounts: Vec<AccountKey> = dispatch!(conn, c => {
        scoped!(accounts::table, accounts::client_id, scope)
            .filter(accounts::customer_id.eq(customer))
            .select(accounts::id)
            .load(c)
            .await?
    });
    expire_due_of(conn, scope, &accounts).await
}

/// The sweeper's pass: expires up to `limit` due transfers of every client; returns how
/// many it expired.
pub async fn expire_due(conn: &mut Conn<'_>, limit: i64) -> Result<usize, StoreError> {
    let now = Timestamp::now();
    let due: Vec<TransferId> = dispatch!(conn, c => {
        transfers::table
            .filter(transfers::status.eq(TransferStatus::Requested))
            .filter(transfers::valid_until.le(now))
            .order(transfers::valid_until)
            .limit(limit)
            .select(transfers::id)
            .load(c)
            .await?
    });
    let mut expired = 0;
    for id in due {
        // One transfer that cannot be expired must not hold up the others' holds.
        match expire(conn, id).await {
            Ok(true) => expired += 1,
            Ok(false) => {}
            Err(error) => tracing::warn!(transfer = %id, ?error, "could not expire a transfer"),
        }
    }
    Ok(expired)
}

/// Checks a transfer may be written by `scope` (its client's).
pub fn ensure_owned(scope: &Scope, transfer: &Transfer) -> Result<(), StoreError> {
    ensure_in_scope(scope, transfer.client_id)
}
