//! `acceptTransfer`: a REQUESTED transfer executes at once, or, when a side cannot transact
//! at that moment, is REJECTED with its hold released: one transaction either way, under
//! the same idempotency key (the execution runs in a savepoint).

use crate::db::Conn;
use crate::domain::dormancy::Activity;
use crate::domain::ids::TransferId;
use crate::domain::ledger::{CategoryType, Posting, TransactionStatus, TransactionType};
use crate::domain::transfer::TransferStatus;
use crate::domain::validation::Problems;
use crate::ops::money::expire_transfers::end;
use crate::ops::money::transfers::{current, not_requested, refusal_after_race};
use crate::ops::money::{check_idempotency_key, refusals};
use crate::ops::uow::{self, Idempotency, Written};
use crate::ops::{Cx, OpError, OpResult};
use crate::store;
use crate::store::ledger::{AccountTransaction, Movement};
use crate::store::transfers::Transfer;

/// Accepts transfer `id` under `idempotency_key`; `INVALID_STATUS_TRANSITION` once it is
/// no longer REQUESTED (EXPIRED past `validUntil`).
pub async fn run(cx: &Cx<'_>, id: TransferId, idempotency_key: &str) -> OpResult<Transfer> {
    let mut problems = Problems::new();
    check_idempotency_key(&mut problems, idempotency_key);
    OpError::check(problems.into_errors())?;
    let found = current(cx, id).await?;
    let key = Idempotency::new(
        cx,
        found.client_id,
        idempotency_key,
        "acceptTransfer",
        &[&id.to_string()],
        id.0,
    );
    let written = uow::unit!(cx, Some(&key), tx => accept(tx, cx, id).await);
    match written {
        Ok(Written::Done(transfer)) => Ok(transfer),
        // The saved result is this transfer by construction of the hash.
        Ok(Written::Replayed(_)) => current(cx, id).await,
        Err(OpError::Conflict(_)) => {
            Err(refusal_after_race(cx, id, TransferStatus::Executed).await)
        }
        Err(error) => Err(error),
    }
}

/// Executes, or rejects what cannot execute because a side cannot transact now.
async fn accept(tx: &mut Conn<'_>, cx: &Cx<'_>, id: TransferId) -> OpResult<Transfer> {
    let found = store::transfers::find_many(tx, &cx.scope(), &[id])
        .await?
        .pop()
        .ok_or_else(|| OpError::NotFound("no such transfer".into()))?;
    let status = found.status_at(cx.now);
    if status != TransferStatus::Requested {
        return Err(not_requested(status, TransferStatus::Executed));
    }
    match uow::savepoint!(tx, inner => execute(inner, cx, id).await) {
        Err(OpError::CannotTransact { message, .. }) => {
            let reason = format!("rejected at acceptance: {message}");
            end(tx, cx, id, TransferStatus::Rejected, Some(&reason)).await
        }
        other => other,
    }
}

/// The execution: the hold becomes a POSTED TRANSFER_OUT, the destination gets a POSTED
/// TRANSFER_IN, and the ledger moves the money from the source's held funds to the
/// destination, both sides able to transact (checked in the balance UPDATEs themselves).
async fn execute(tx: &mut Conn<'_>, cx: &Cx<'_>, id: TransferId) -> OpResult<Transfer> {
    let scope = cx.scope();
    let transfer =
        store::transfers::leave_requested(tx, &scope, id, TransferStatus::Executed, None, cx.now)
            .await?;
    let source = (transfer.source_account_id, transfer.client_id);
    let accepted = Activity::TransferAccepted;
    crate::ops::customers::activity::note_of_account(tx, cx, source, accepted).await?;
    let hold = store::transfers::hold_of(tx, &scope, id).await?;
    store::ledger::settle_transaction(
        tx,
        &scope,
        hold,
        (TransactionStatus::Authorized, TransactionStatus::Posted),
        cx.now,
    )
    .await?;
    let (source, destination) = (transfer.source_account_id, transfer.destination_account_id);
    let mut credit = AccountTransaction::new(
        transfer.client_id,
        destination,
        (
            TransactionType::TransferIn,
            CategoryType::Transfer,
            TransactionStatus::Posted,
        ),
        transfer.amount,
        cx.now,
    );
    credit.description = transfer.description.clone();
    credit.transfer_id = Some(transfer.id);
    store::ledger::insert_transaction(tx, &scope, &credit).await?;
    let movement = Movement {
        client_id: transfer.client_id,
        asset_type_id: &transfer.asset_type_id,
        at: cx.now,
    };
    let posted = store::ledger::post_split(
        tx,
        &scope,
        &movement,
        credit.id,
        &[(source, hold)],
        &Posting::settle(source, destination, transfer.amount),
        &[source, destination],
    )
    .await?;
    if let Err(refused) = posted {
        let side = |account| {
            Some(if account == source {
                "source"
            } else {
                "destination"
            })
        };
        return Err(refusals::posting(tx, &scope, refused, side).await);
    }
    let from = Some(TransferStatus::Requested);
    crate::ops::events::transfer_moved(tx, cx, &transfer, from, None).await?;
    Ok(transfer)
}
