//! `sandboxClock` and `advanceSandboxClock`: a SANDBOX client's own time, read and moved
//! forward (argument mapping and one call into `ops::clients::sandbox_clock`).

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};

use crate::graphql::error::ApiResult;
use crate::graphql::money::client_of;
use crate::graphql::node::{NodeKind, encode};
use crate::graphql::request;
use crate::ops::clients::sandbox_clock::{self, Advanced, Reading};

/// A SANDBOX client's own clock: it starts at real time, runs with it, and moves forward
/// only when `advanceSandboxClock` moves it. Every time of the client's objects (creation
/// times, `validUntil`, `leaseEndDate`, dormancy) is on this clock.
#[derive(SimpleObject)]
pub struct SandboxClock {
    /// The client whose clock this is.
    pub client_id: ID,
    /// The client's time now.
    pub now: DateTime<Utc>,
    /// How far the clock runs ahead of real time, in whole minutes.
    pub ahead_by_minutes: i64,
}

impl From<Reading> for SandboxClock {
    fn from(reading: Reading) -> Self {
        Self {
            client_id: encode(NodeKind::Client, reading.client.0),
            now: reading.now.0,
            ahead_by_minutes: reading.ahead.num_minutes(),
        }
    }
}

/// How far to move a sandbox clock; at least a minute in all, at most 3,660 days a move.
#[derive(InputObject)]
pub struct SandboxClockAdvance {
    /// Days to move forward.
    #[graphql(default)]
    pub days: i32,
    /// Hours to move forward.
    #[graphql(default)]
    pub hours: i32,
    /// Minutes to move forward.
    #[graphql(default)]
    pub minutes: i32,
}

/// The result of `advanceSandboxClock`: the clock at its new time, and what became due then.
#[derive(SimpleObject)]
pub struct AdvanceSandboxClockPayload {
    /// The clock after the move.
    pub clock: SandboxClock,
    /// REQUESTED transfers that expired at the new time (their holds released), each with
    /// its TRANSFER_EXPIRED event.
    pub expired_transfers: i64,
    /// ACTIVE customers that became DORMANT at the new time, each with its status history
    /// entry and CUSTOMER_STATUS_CHANGED event.
    pub dormant_customers: i64,
}

impl From<Advanced> for AdvanceSandboxClockPayload {
    fn from(advanced: Advanced) -> Self {
        Self {
            clock: advanced.clock.into(),
            expired_transfers: advanced.expired_transfers as i64,
            dormant_customers: advanced.dormant_customers as i64,
        }
    }
}

/// The sandbox clock's read.
#[derive(Default)]
pub struct SandboxClockQuery;

/// The sandbox clock's read.
#[Object]
impl SandboxClockQuery {
    /// A SANDBOX client's own clock: the caller's, or for the operator the client it names.
    /// FORBIDDEN for PRODUCTION clients, which run on real time.
    async fn sandbox_clock(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The client's global id; required for the operator.")] client_id: Option<
            ID,
        >,
    ) -> ApiResult<SandboxClock> {
        let rc = request(ctx)?;
        let client = client_of(client_id.as_ref())?;
        Ok(sandbox_clock::read(&rc.cx(), client).await?.into())
    }
}

/// Moving the sandbox clock.
#[derive(Default)]
pub struct SandboxClockMutation;

/// Moving the sandbox clock.
#[Object]
impl SandboxClockMutation {
    /// Moves a SANDBOX client's clock forward (never back; BAD_USER_INPUT for a negative or
    /// empty move), then, before answering, runs what became due for that client at the new
    /// time exactly as the server's jobs do: REQUESTED transfers past `validUntil` expire and
    /// release their holds, ACTIVE customers past the dormancy period become DORMANT; leases
    /// past `leaseEndDate` refuse payments from then on. FORBIDDEN for PRODUCTION clients.
    /// Other replicas see the new time within the API key cache's lifetime (5 s by default).
    async fn advance_sandbox_clock(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How far to move the clock.")] by: SandboxClockAdvance,
        #[graphql(desc = "The client's global id; required for the operator.")] client_id: Option<
            ID,
        >,
    ) -> ApiResult<AdvanceSandboxClockPayload> {
        let rc = request(ctx)?;
        let client = client_of(client_id.as_ref())?;
        let by = (
            i64::from(by.days),
            i64::from(by.hours),
            i64::from(by.minutes),
        );
        let advanced = sandbox_clock::advance(&rc.cx(), client, by).await;
        // Verified keys carry their client's clock: forget them, so the next request here
        // runs at the new time.
        rc.keys.clear();
        Ok(advanced?.into())
    }
}
