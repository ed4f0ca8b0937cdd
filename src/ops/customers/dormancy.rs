//! The dormancy job's use case: ACTIVE customers without activity of their own for the
//! dormancy period become DORMANT, as the server (actor SYSTEM, a reason naming the period,
//! the history entry and the event), in bounded batches taken through an index. Every
//! replica may run it at once: a batch's rows are locked and skipped by the others
//! (PostgreSQL), and each move is a compare-and-set on the status and version it read.
//! Accounts keep their status: dormancy is the customer's.

use crate::db::types::Timestamp;
use crate::domain::ids::ClientId;
use crate::domain::status::CustomerStatus;
use crate::domain::tenancy::Principal;
use crate::ops::customers::change_customer_status::change;
use crate::ops::{App, Cx, OpError, OpResult, uow};
use crate::store;
use crate::store::customers::ChangeNote;

/// Customers one unit of work moves at most.
const BATCH: i64 = 200;

/// Moves every customer due at real time (all clients), then every customer due on the
/// sandbox clocks that run ahead of it; how many moved.
pub async fn sweep(app: &App) -> OpResult<usize> {
    let system = Principal::system();
    let cx = app.cx(&system);
    let mut moved = pass(&cx, None).await?;
    let ahead = {
        let mut pooled = cx.db.conn().await?;
        store::clients::clocks_ahead(&mut pooled.conn()).await?
    };
    for (client, offset_ms) in ahead {
        let now = Timestamp(cx.now.0 + chrono::Duration::milliseconds(offset_ms));
        moved += sweep_client(&Cx { now, ..cx }, client).await?;
    }
    Ok(moved)
}

/// Moves every customer of one client due, as the server at that client's time
/// (`server.now`, a sandbox clock ahead of real time); how many moved.
pub async fn sweep_client(server: &Cx<'_>, client: ClientId) -> OpResult<usize> {
    pass(server, Some(client)).await
}

/// Batches until none is full: each takes the customers idle the longest, locks them, and
/// moves those still ACTIVE at the version it read.
async fn pass(cx: &Cx<'_>, client: Option<ClientId>) -> OpResult<usize> {
    let rule = cx.settings.dormancy;
    let cutoff = Timestamp(rule.cutoff(cx.now.0));
    let reason = rule.reason();
    let note = ChangeNote {
        reason: &reason,
        updated_by: "layer2",
        actor: cx.principal.actor(),
    };
    let mut moved = 0;
    loop {
        let (taken, batch_moved) = uow::unit!(cx, None, tx => {
            let due = store::customers::idle_since(tx, &cx.scope(), client, cutoff, BATCH).await?;
            let mut batch_moved = 0;
            for customer in &due {
                match change(tx, cx, customer, CustomerStatus::Dormant, &note).await {
                    Ok(_) => batch_moved += 1,
                    // Changed since it was read (another replica, or the customer acted).
                    Err(OpError::Conflict(_)) => {}
                    Err(error) => return Err(error),
                }
            }
            OpResult::Ok((due.len(), batch_moved))
        })?
        .done()?;
        moved += batch_moved;
        if (taken as i64) < BATCH {
            return Ok(moved);
        }
    }
}
