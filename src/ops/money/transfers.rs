//! What the transfer operations share: reading one as it is now, and the refusal of a move
//! out of a status that is not REQUESTED.

use crate::domain::ids::TransferId;
use crate::domain::transfer::TransferStatus;
use crate::ops::{Cx, OpError, OpResult};
use crate::store;
use crate::store::transfers::Transfer;

fn transfer_not_found() -> OpError {
    OpError::NotFound("no such transfer".into())
}

/// Transfer `id` as a reader sees it at the operation's time (a due REQUESTED one reads as
/// EXPIRED), or `NOT_FOUND` (also for another client's). Reads only.
pub async fn current(cx: &Cx<'_>, id: TransferId) -> OpResult<Transfer> {
    let mut pooled = cx.db.conn().await?;
    let found = store::transfers::find_many(&mut pooled.conn(), &cx.scope(), &[id]).await?;
    found
        .into_iter()
        .next()
        .map(|t| t.seen_at(cx.now))
        .ok_or_else(transfer_not_found)
}

/// The refusal of a move out of `current`, which is not REQUESTED.
pub fn not_requested(current: TransferStatus, to: TransferStatus) -> OpError {
    OpError::InvalidStatusTransition {
        from: current.as_str(),
        to: to.as_str(),
        allowed: current.allowed_next().iter().map(|s| s.as_str()).collect(),
        message: format!("the transfer is {current}; only a REQUESTED transfer can become {to}"),
    }
}

/// After a lost compare-and-set: the transfer as it is now, as the refusal.
pub async fn refusal_after_race(cx: &Cx<'_>, id: TransferId, to: TransferStatus) -> OpError {
    match current(cx, id).await {
        Ok(transfer) if transfer.status != TransferStatus::Requested => {
            not_requested(transfer.status, to)
        }
        Ok(_) => OpError::Conflict(
            "the transfer was changed by someone else first; read it again and retry".into(),
        ),
        Err(error) => error,
    }
}
