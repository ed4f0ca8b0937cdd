//! `cancelTransfer`: a REQUESTED transfer is CANCELLED and its hold released.

use crate::domain::ids::TransferId;
use crate::domain::transfer::TransferStatus;
use crate::ops::money::expire_transfers::end;
use crate::ops::money::transfers::{current, not_requested, refusal_after_race};
use crate::ops::{Cx, OpError, OpResult, uow};
use crate::store::transfers::Transfer;

/// Cancels transfer `id`; `INVALID_STATUS_TRANSITION` once it is anything but REQUESTED
/// (EXPIRED once past `validUntil`).
pub async fn run(cx: &Cx<'_>, id: TransferId) -> OpResult<Transfer> {
    let found = current(cx, id).await?;
    let status = found.status_at(cx.now);
    if status != TransferStatus::Requested {
        return Err(not_requested(status, TransferStatus::Cancelled));
    }
    let ended = uow::unit!(cx, None, tx => {
        end(tx, cx, id, TransferStatus::Cancelled, None).await
    });
    match ended {
        Ok(uow::Written::Done(transfer)) => Ok(transfer),
        Ok(uow::Written::Replayed(_)) => current(cx, id).await,
        Err(OpError::Conflict(_)) => {
            Err(refusal_after_race(cx, id, TransferStatus::Cancelled).await)
        }
        Err(error) => Err(error),
    }
}
