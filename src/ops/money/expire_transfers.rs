//! Ending REQUESTED transfers without moving money (expired, cancelled or rejected), and
//! settling overdue ones: by the next write that weighs their source's balance, in its own
//! transaction, or by the sweeper, each in a unit of work of its own.

use crate::db::Conn;
use crate::domain::ids::{AccountKey, ClientId, CustomerKey, TransferId};
use crate::domain::ledger::{Posting, TransactionStatus};
use crate::domain::tenancy::Principal;
use crate::domain::transfer::TransferStatus;
use crate::ops::money::refusals;
use crate::ops::{App, Cx, OpError, OpResult, uow};
use crate::store;
use crate::store::ledger::Movement;
use crate::store::transfers::Transfer;

/// Ends a REQUESTED transfer as `to` in the caller's transaction: its hold is CANCELLED and
/// released to the available balance (releasing never needs the transact rule). `Conflict`
/// when it is no longer REQUESTED (or, for EXPIRED, not yet due).
pub async fn end(
    tx: &mut Conn<'_>,
    cx: &Cx<'_>,
    id: TransferId,
    to: TransferStatus,
    rejection_reason: Option<&str>,
) -> OpResult<Transfer> {
    let scope = cx.scope();
    let transfer =
        store::transfers::leave_requested(tx, &scope, id, to, rejection_reason, cx.now).await?;
    let hold = store::transfers::hold_of(tx, &scope, id).await?;
    store::ledger::settle_transaction(
        tx,
        &scope,
        hold,
        (TransactionStatus::Authorized, TransactionStatus::Cancelled),
        cx.now,
    )
    .await?;
    let movement = Movement {
        client_id: transfer.client_id,
        asset_type_id: &transfer.asset_type_id,
        at: cx.now,
    };
    let release = Posting::release(transfer.source_account_id, transfer.amount);
    let released = store::ledger::post(tx, &scope, &movement, hold, &release, &[]).await?;
    if let Err(refused) = released {
        return Err(refusals::posting(tx, &scope, refused, |_| None).await);
    }
    let from = Some(TransferStatus::Requested);
    crate::ops::events::transfer_moved(tx, cx, &transfer, from, rejection_reason).await?;
    Ok(transfer)
}

/// Expires the given due transfers in the caller's transaction, skipping any that another
/// writer ended first.
async fn expire_all(tx: &mut Conn<'_>, cx: &Cx<'_>, due: Vec<TransferId>) -> OpResult<()> {
    for id in due {
        match end(tx, cx, id, TransferStatus::Expired, None).await {
            Ok(_) | Err(OpError::Conflict(_)) => {}
            Err(error) => return Err(error),
        }
    }
    Ok(())
}

/// Settles the overdue holds out of `accounts` before their balances are weighed.
pub async fn settle_due_of(
    tx: &mut Conn<'_>,
    cx: &Cx<'_>,
    accounts: &[AccountKey],
) -> OpResult<()> {
    let due = store::transfers::due_of(tx, &cx.scope(), accounts, cx.now).await?;
    expire_all(tx, cx, due).await
}

/// Settles the overdue holds out of every account of a customer (before they are weighed
/// for closing).
pub async fn settle_due_of_customer(
    tx: &mut Conn<'_>,
    cx: &Cx<'_>,
    customer: CustomerKey,
) -> OpResult<()> {
    let due = store::transfers::due_of_customer(tx, &cx.scope(), customer, cx.now).await?;
    expire_all(tx, cx, due).await
}

/// The sweeper's pass, as the server itself: expires up to `limit` due transfers of every
/// client at real time, then of each client whose sandbox clock runs ahead at its own time,
/// each in its own unit of work (one that cannot be expired does not hold up the others);
/// how many it expired.
pub async fn sweep(app: &App, limit: i64) -> OpResult<usize> {
    let system = Principal::system();
    let cx = app.cx(&system);
    let mut expired = expire_due(&cx, None, limit).await?;
    let ahead = {
        let mut pooled = cx.db.conn().await?;
        store::clients::clocks_ahead(&mut pooled.conn()).await?
    };
    for (client, offset_ms) in ahead {
        let now = crate::db::types::Timestamp(cx.now.0 + chrono::Duration::milliseconds(offset_ms));
        expired += sweep_client(&Cx { now, ..cx }, client, limit).await?;
    }
    Ok(expired)
}

/// [`sweep`] for one client, as the server at that client's time (`server.now`, a sandbox
/// clock ahead of real time).
pub async fn sweep_client(server: &Cx<'_>, client: ClientId, limit: i64) -> OpResult<usize> {
    expire_due(server, Some(client), limit).await
}

/// Expires up to `limit` transfers due at `cx.now` (of one client, or of all).
async fn expire_due(cx: &Cx<'_>, client: Option<ClientId>, limit: i64) -> OpResult<usize> {
    let due = {
        let mut pooled = cx.db.conn().await?;
        store::transfers::due(&mut pooled.conn(), &cx.scope(), client, cx.now, limit).await?
    };
    let mut expired = 0;
    for id in due {
        match uow::unit!(cx, None, tx => end(tx, cx, id, TransferStatus::Expired, None).await) {
            Ok(_) => expired += 1,
            Err(OpError::Conflict(_)) => {}
            Err(error) => tracing::warn!(transfer = %id, ?error, "could not expire a transfer"),
        }
    }
    Ok(expired)
}

/// [`settle_due_of`] in a unit of work of its own, for a write that is not yet an operation
/// of its own (closing an account weighs its balances after this).
pub async fn settle_overdue_of(cx: &Cx<'_>, accounts: &[AccountKey]) -> OpResult<()> {
    uow::unit!(cx, None, tx => settle_due_of(tx, cx, accounts).await)?;
    Ok(())
}

/// [`settle_due_of_customer`] in a unit of work of its own (closing a customer weighs its
/// accounts after this).
pub async fn settle_overdue_of_customer(cx: &Cx<'_>, customer: CustomerKey) -> OpResult<()> {
    uow::unit!(cx, None, tx => settle_due_of_customer(tx, cx, customer).await)?;
    Ok(())
}
