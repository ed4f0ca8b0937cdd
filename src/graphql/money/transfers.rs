//! Transfers between two accounts of one client: `transfer`, `createTransfer` (a hold on the
//! source), `acceptTransfer` (execute, or reject when a side cannot transact) and
//! `cancelTransfer`. A transfer past `validUntil` reads as EXPIRED at once; its hold is
//! released by the next write on its source or by the server's sweeper.

use async_graphql::{Context, ID, Object, SimpleObject};

use crate::domain::ids::{ClientId, TransferId};
use crate::graphql::RequestContext;
use crate::graphql::error::ApiResult;
use crate::graphql::node::{self, NodeKind};
use crate::graphql::request;
use crate::graphql::scalars::Decimal;
use crate::graphql::types::money::Transfer;
use crate::ops::money::{accept_transfer, cancel_transfer, create_transfer, transfers};

/// The result of the transfer mutations.
#[derive(SimpleObject)]
pub struct TransferPayload {
    /// The transfer as it is now.
    pub transfer: Transfer,
}

fn payload(
    rc: &RequestContext,
    transfer: crate::store::transfers::Transfer,
) -> ApiResult<TransferPayload> {
    Ok(TransferPayload {
        transfer: Transfer::new(transfer, &rc.db)?,
    })
}

fn transfer_id(id: &ID) -> ApiResult<TransferId> {
    Ok(TransferId(node::decode_as(id, NodeKind::Transfer)?))
}

/// Transfer reads.
#[derive(Default)]
pub struct TransferQuery;

/// Transfer reads.
#[Object]
impl TransferQuery {
    /// A transfer by its global id (a REQUESTED transfer past validUntil is EXPIRED).
    /// Another client's is NOT_FOUND.
    async fn transfer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The transfer's global id.")] id: ID,
    ) -> ApiResult<Transfer> {
        let rc = request(ctx)?;
        Transfer::new(
            transfers::current(&rc.cx(), transfer_id(&id)?).await?,
            &rc.db,
        )
    }
}

/// Transfers.
#[derive(Default)]
pub struct TransferMutation;

/// Transfers.
#[Object]
impl TransferMutation {
    /// Requests a transfer between two accounts of the client in the same asset: REQUESTED
    /// until `validUntil`, with the amount on hold on the source (its available balance
    /// drops, its current balance does not). INSUFFICIENT_FUNDS when the available balance
    /// is short; CUSTOMER_CANNOT_TRANSACT when either side's customer or account cannot
    /// transact. The same idempotencyKey with the same request returns the first result.
    #[expect(clippy::too_many_arguments, reason = "one GraphQL argument each")]
    async fn create_transfer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The client's own id for the account the money leaves.")]
        source_account_id: String,
        #[graphql(desc = "The client's own id for the account the money reaches.")]
        destination_account_id: String,
        #[graphql(desc = "The amount, in the accounts' asset.")] amount: Decimal,
        #[graphql(desc = "A description (at most 500 characters), shown on both statements.")]
        description: Option<String>,
        #[graphql(desc = "Your key for this request (1 to 200 characters), per client.")]
        idempotency_key: String,
        #[graphql(desc = "The client's global id; required for the operator.")] client_id: Option<
            ID,
        >,
    ) -> ApiResult<TransferPayload> {
        let rc = request(ctx)?;
        let input = create_transfer::Input {
            source_account_id,
            destination_account_id,
            amount: amount.0,
            description,
            idempotency_key,
            client: client_of(client_id.as_ref())?,
        };
        payload(rc, create_transfer::run(&rc.cx(), input).await?)
    }

    /// Accepts a REQUESTED transfer: it executes at once (EXECUTED), the hold becoming a
    /// POSTED TRANSFER_OUT on the source and a POSTED TRANSFER_IN reaching the destination.
    /// When either side cannot transact at that moment the transfer is REJECTED (with
    /// `rejectionReason`) and its hold released. INVALID_STATUS_TRANSITION when it is no
    /// longer REQUESTED (EXPIRED past validUntil). The same idempotencyKey with the same
    /// request returns the first result.
    async fn accept_transfer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The transfer's global id.")] transfer_id: ID,
        #[graphql(desc = "Your key for this request (1 to 200 characters), per client.")]
        idempotency_key: String,
    ) -> ApiResult<TransferPayload> {
        let rc = request(ctx)?;
        let id = self::transfer_id(&transfer_id)?;
        payload(
            rc,
            accept_transfer::run(&rc.cx(), id, &idempotency_key).await?,
        )
    }

    /// Cancels a REQUESTED transfer and releases its hold (INVALID_STATUS_TRANSITION once it
    /// is anything else).
    async fn cancel_transfer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The transfer's global id.")] transfer_id: ID,
    ) -> ApiResult<TransferPayload> {
        let rc = request(ctx)?;
        let id = self::transfer_id(&transfer_id)?;
        payload(rc, cancel_transfer::run(&rc.cx(), id).await?)
    }
}

/// The client a request names by its global id, decoded.
pub(crate) fn client_of(client_id: Option<&ID>) -> ApiResult<Option<ClientId>> {
    client_id
        .map(|id| node::decode_as(id, NodeKind::Client).map(ClientId))
        .transpose()
}
