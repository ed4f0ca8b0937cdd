//! Transfers between two accounts of one client, as rows: insert, the compare-and-set that
//! moves one out of REQUESTED, its hold, and reads. What a movement posts to the ledger is
//! the operations' (`ops::money`), in the same transaction.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::{StoreError, ensure_in_scope, scoped};
use crate::db::schema::{account_transactions, accounts, transfers};
use crate::db::types::Timestamp;
use crate::db::{Conn, dispatch};
use crate::domain::ids::{AccountKey, ClientId, CustomerKey, TransactionId, TransferId};
use crate::domain::ledger::TransactionType;
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
    /// Whether it is still stored as REQUESTED although its time is up.
    pub fn is_due(&self, now: Timestamp) -> bool {
        self.status == TransferStatus::Requested && self.valid_until <= now
    }

    /// Its status as a reader sees it at `now`: a REQUESTED transfer past `validUntil` is
    /// EXPIRED, though its row is settled (the hold released) only by the next write that
    /// weighs its balance, or the sweeper.
    pub fn status_at(&self, now: Timestamp) -> TransferStatus {
        if self.is_due(now) {
            TransferStatus::Expired
        } else {
            self.status
        }
    }

    /// The transfer as a reader sees it at `now` (its status per [`Self::status_at`]).
    pub fn seen_at(mut self, now: Timestamp) -> Self {
        self.status = self.status_at(now);
        self
    }
}

/// Inserts a REQUESTED transfer (its hold is the caller's to post, in the same transaction).
pub async fn insert(
    tx: &mut Conn<'_>,
    scope: &Scope,
    transfer: &Transfer,
) -> Result<(), StoreError> {
    ensure_in_scope(scope, transfer.client_id)?;
    dispatch!(tx, c => {
        diesel::insert_into(transfers::table).values(transfer).execute(c).await?;
    });
    Ok(())
}

/// Moves a transfer from REQUESTED to `to` by compare-and-set (also requiring, for
/// EXECUTED, that it is not yet due). `Conflict` when it is no longer REQUESTED.
pub async fn leave_requested(
    tx: &mut Conn<'_>,
    scope: &Scope,
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
    let moved = moved.ok_or(StoreError::Conflict)?;
    // Another client's transfer: the caller's transaction rolls this back.
    ensure_in_scope(scope, moved.client_id)?;
    Ok(moved)
}

/// The AUTHORIZED hold of a transfer.
pub async fn hold_of(
    tx: &mut Conn<'_>,
    scope: &Scope,
    transfer: TransferId,
) -> Result<TransactionId, StoreError> {
    let id = dispatch!(tx, c => {
        scoped!(
            account_transactions::table,
            account_transactions::client_id,
            scope,
            account = account_transactions::account_id
        )
            .filter(account_transactions::transfer_id.eq(transfer))
            .filter(account_transactions::transaction_type.eq(TransactionType::TransferOut))
            .select(account_transactions::id)
            .first::<TransactionId>(c)
            .await?
    });
    Ok(id)
}

/// Transfers by key, those the scope reaches, as stored (see [`Transfer::status_at`]).
pub async fn find_many(
    conn: &mut Conn<'_>,
    scope: &Scope,
    keys: &[TransferId],
) -> Result<Vec<Transfer>, StoreError> {
    let found = dispatch!(conn, c => {
        scoped!(
            transfers::table,
            transfers::client_id,
            scope,
            accounts = (transfers::source_account_id, transfers::destination_account_id)
        )
            .filter(transfers::id.eq_any(keys))
            .select(Transfer::as_select())
            .load(c)
            .await?
    });
    Ok(found)
}

/// The due transfers (REQUESTED past `validUntil` at `now`) out of `accounts`.
pub async fn due_of(
    conn: &mut Conn<'_>,
    scope: &Scope,
    accounts: &[AccountKey],
    now: Timestamp,
) -> Result<Vec<TransferId>, StoreError> {
    let due = dispatch!(conn, c => {
        scoped!(
            transfers::table,
            transfers::client_id,
            scope,
            accounts = (transfers::source_account_id, transfers::destination_account_id)
        )
            .filter(transfers::source_account_id.eq_any(accounts))
            .filter(transfers::status.eq(TransferStatus::Requested))
            .filter(transfers::valid_until.le(now))
            .select(transfers::id)
            .load(c)
            .await?
    });
    Ok(due)
}

/// The due transfers out of any account of a customer.
pub async fn due_of_customer(
    conn: &mut Conn<'_>,
    scope: &Scope,
    customer: CustomerKey,
    now: Timestamp,
) -> Result<Vec<TransferId>, StoreError> {
    let due = dispatch!(conn, c => {
        scoped!(
            transfers::table,
            transfers::client_id,
            scope,
            accounts = (transfers::source_account_id, transfers::destination_account_id)
        )
            .inner_join(accounts::table.on(accounts::id.eq(transfers::source_account_id)))
            .filter(accounts::customer_id.eq(customer))
            .filter(transfers::status.eq(TransferStatus::Requested))
            .filter(transfers::valid_until.le(now))
            .select(transfers::id)
            .load(c)
            .await?
    });
    Ok(due)
}

/// Up to `limit` due transfers of every client in the scope (or of one), the longest due
/// first.
pub async fn due(
    conn: &mut Conn<'_>,
    scope: &Scope,
    client: Option<ClientId>,
    now: Timestamp,
    limit: i64,
) -> Result<Vec<TransferId>, StoreError> {
    let due = dispatch!(conn, c => {
        let mut query = scoped!(
            transfers::table,
            transfers::client_id,
            scope,
            accounts = (transfers::source_account_id, transfers::destination_account_id)
        );
        if let Some(client) = client {
            query = query.filter(transfers::client_id.eq(client));
        }
        query
            .filter(transfers::status.eq(TransferStatus::Requested))
            .filter(transfers::valid_until.le(now))
            .order(transfers::valid_until)
            .limit(limit)
            .select(transfers::id)
            .load(c)
            .await?
    });
    Ok(due)
}
