//! `sandboxClock` and `advanceSandboxClock`: each SANDBOX client's own time, which starts at
//! real time and only moves forward. Moving it runs at once, for that client, everything
//! that became due at the new time (transfers expire and release their holds, customers go
//! dormant), recorded and evented as the jobs do it. PRODUCTION clients run on real time.

use chrono::Duration;

use crate::db::types::Timestamp;
use crate::domain::client::Environment;
use crate::domain::ids::ClientId;
use crate::domain::sandbox_clock::check_advance;
use crate::domain::tenancy::Principal;
use crate::ops::customers::dormancy;
use crate::ops::money::expire_transfers;
use crate::ops::{Cx, OpError, OpResult, target_client, uow};
use crate::store;

/// Transfers one unit of work of the catch-up expires at most.
const EXPIRY_BATCH: i64 = 500;

/// A client's clock as read.
#[derive(Debug, Clone, Copy)]
pub struct Reading {
    pub client: ClientId,
    pub now: Timestamp,
    /// How far it runs ahead of real time.
    pub ahead: Duration,
}

/// What moving a clock did.
#[derive(Debug, Clone, Copy)]
pub struct Advanced {
    pub clock: Reading,
    /// Transfers that expired at the new time (their holds released).
    pub expired_transfers: usize,
    /// Customers that became dormant at the new time.
    pub dormant_customers: usize,
}

/// A SANDBOX client's clock (the caller's own, or the one the operator names).
pub async fn read(cx: &Cx<'_>, client: Option<ClientId>) -> OpResult<Reading> {
    let client = sandbox_client(cx, client).await?;
    let offset = {
        let mut pooled = cx.db.read().await?;
        store::clients::clock_offset(&mut pooled.conn(), &cx.scope(), client).await?
    };
    let offset = offset.ok_or_else(not_found)?;
    Ok(reading(cx, client, offset))
}

/// Moves a SANDBOX client's clock forward by (`days`, `hours`, `minutes`), then runs what
/// became due for that client at its new time.
pub async fn advance(
    cx: &Cx<'_>,
    client: Option<ClientId>,
    by: (i64, i64, i64),
) -> OpResult<Advanced> {
    let before = read(cx, client).await?;
    let step = check_advance(by, before.ahead)
        .map_err(|(field, message)| OpError::bad_input(field, message))?;
    let step_ms = step.num_milliseconds();
    let offset = uow::unit!(cx, None, tx => {
        store::clients::advance_clock(tx, &cx.scope(), before.client, step_ms)
            .await?
            .ok_or_else(not_found)
    })?
    .done()?;
    let clock = reading(cx, before.client, offset);
    let system = Principal::system();
    let server = Cx {
        principal: &system,
        now: clock.now,
        ..*cx
    };
    let mut expired_transfers = 0;
    loop {
        let expired = expire_transfers::sweep_client(&server, clock.client, EXPIRY_BATCH).await?;
        expired_transfers += expired;
        if (expired as i64) < EXPIRY_BATCH {
            break;
        }
    }
    let dormant_customers = dormancy::sweep_client(&server, clock.client).await?;
    Ok(Advanced {
        clock,
        expired_transfers,
        dormant_customers,
    })
}

/// The client a request names, when it is a SANDBOX client the caller may reach.
async fn sandbox_client(cx: &Cx<'_>, named: Option<ClientId>) -> OpResult<ClientId> {
    let client = target_client(cx.principal, named)?.ok_or_else(not_found)?;
    let found = {
        let mut pooled = cx.db.read().await?;
        store::clients::find(&mut pooled.conn(), &cx.scope(), client).await?
    };
    match found {
        None => Err(not_found()),
        Some(found) if found.environment == Environment::Production => Err(OpError::Forbidden(
            "PRODUCTION clients run on real time; the sandbox clock is for SANDBOX clients".into(),
        )),
        Some(_) => Ok(client),
    }
}

/// The clock `offset_ms` ahead of real time, real time being the operation's time less the
/// caller's own offset (which the caller's credentials may carry from a few seconds ago).
fn reading(cx: &Cx<'_>, client: ClientId, offset_ms: i64) -> Reading {
    let real = cx.now.0 - cx.principal.clock_ahead();
    let ahead = Duration::milliseconds(offset_ms);
    Reading {
        client,
        now: Timestamp(real + ahead),
        ahead,
    }
}

fn not_found() -> OpError {
    OpError::NotFound("no such client".into())
}
