//! Transfers between two accounts of one client: `transfer`, `createTransfer` (a hold on the
//! source), `acceptTransfer` (execute, or reject when a side cannot transact) and
//! `cancelTransfer`. Expiry happens on any access and in the server's sweeper.

use async_graphql::{Context, ID, Object, SimpleObject};

use super::{check_idempotency_key, guard_transact, load_account, minor_units, owner_of};
use crate::db::types::Timestamp;
use crate::db::write_tx;
use crate::domain::ids::{ClientId, TransferId};
use crate::domain::transfer::TransferStatus;
use crate::domain::validation::Problems;
use crate::graphql::RequestContext;
use crate::graphql::error::{ApiError, ApiResult};
use crate::graphql::node::{self, NodeKind};
use crate::graphql::request;
use crate::graphql::scalars::Decimal;
use crate::graphql::types::money::Transfer;
use crate::store::idempotency::{self, Claim};
use crate::store::{self, StoreError};

/// The result of the transfer mutations.
#[derive(SimpleObject)]
pub struct TransferPayload {
    /// The transfer as it is now.
    pub transfer: Transfer,
}

fn transfer_not_found() -> ApiError {
    ApiError::NotFound("no such transfer".into())
}

/// A transfer by global id, with expiry applied, or `NOT_FOUND` (also for another client's).
async fn load_transfer(rc: &RequestContext, id: &ID) -> ApiResult<store::transfers::Transfer> {
    let key = TransferId(node::decode_as(id, NodeKind::Transfer)?);
    let mut pooled = rc.db.conn().await?;
    store::transfers::find_many_current(&mut pooled.conn(), &rc.principal.scope(), &[key])
        .await?
        .pop()
        .ok_or_else(transfer_not_found)
}

/// The refusal of a move out of a status that is not REQUESTED.
fn not_requested(current: TransferStatus, to: TransferStatus) -> ApiError {
    ApiError::InvalidStatusTransition {
        from: current.as_str(),
        to: to.as_str(),
        allowed: current.allowed_next().iter().map(|s| s.as_str()).collect(),
        message: format!("the transfer is {current}; only a REQUESTED transfer can become {to}"),
    }
}

/// After a lost compare-and-set: the transfer as it is now (expired if due), as an error.
async fn refusal_after_race(rc: &RequestContext, id: TransferId, to: TransferStatus) -> ApiError {
    let mut pooled = match rc.db.conn().await {
        Ok(pooled) => pooled,
        Err(error) => return error.into(),
    };
    match store::transfers::find_many_current(&mut pooled.conn(), &rc.principal.scope(), &[id])
        .await
    {
        Ok(mut found) => match found.pop() {
            Some(transfer) if transfer.status != TransferStatus::Requested => {
                not_requested(transfer.status, to)
            }
            Some(_) => StoreError::Conflict.into(),
            None => transfer_not_found(),
        },
        Err(error) => error.into(),
    }
}

/// The transfer a request produced (now or in the call it replays), as it is now.
async fn replayed(
    rc: &RequestContext,
    pooled: &mut crate::db::DbConn,
    id: TransferId,
) -> ApiResult<TransferPayload> {
    let transfer =
        store::transfers::find_many_current(&mut pooled.conn(), &rc.principal.scope(), &[id])
            .await?
            .pop()
            .ok_or_else(|| ApiError::internal(&"a saved transfer is missing"))?;
    payload(rc, transfer)
}

fn payload(
    rc: &RequestContext,
    transfer: store::transfers::Transfer,
) -> ApiResult<TransferPayload> {
    Ok(TransferPayload {
        transfer: Transfer::new(transfer, &rc.db)?,
    })
}

/// Transfer reads.
#[derive(Default)]
pub struct TransferQuery;

/// Transfer reads.
#[Object]
impl TransferQuery {
    /// A transfer by its global id (a REQUESTED transfer past validUntil is EXPIRED, its
    /// hold released). Another client's is NOT_FOUND.
    async fn transfer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The transfer's global id.")] id: ID,
    ) -> ApiResult<Transfer> {
        let rc = request(ctx)?;
        Transfer::new(load_transfer(rc, &id).await?, &rc.db)
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
        let mut problems = Problems::new();
        check_idempotency_key(&mut problems, &idempotency_key);
        problems.optional_text("description", description.as_deref(), 500);
        ApiError::check(problems.into_errors())?;
        let source = load_account(
            rc,
            "sourceAccountId",
            &source_account_id,
            client_id.as_ref(),
        )
        .await?;
        let destination = load_account(
            rc,
            "destinationAccountId",
            &destination_account_id,
            client_id.as_ref(),
        )
        .await?;
        if source.id == destination.id {
            return Err(ApiError::bad_input(
                "destinationAccountId",
                "must be another account than the source",
            ));
        }
        if source.asset_type_id != destination.asset_type_id {
            return Err(ApiError::bad_input(
                "destinationAccountId",
                format!(
                    "holds {}, the source holds {}; a transfer stays in one asset",
                    destination.asset_type_id, source.asset_type_id
                ),
            ));
        }
        let value = minor_units(rc, "amount", amount, &source.asset_type_id)?;
        let scope = rc.principal.scope();
        let hash = idempotency::request_hash(
            "createTransfer",
            &[
                &source.id.to_string(),
                &destination.id.to_string(),
                &value.to_string(),
                description.as_deref().unwrap_or_default(),
            ],
        );
        let mut pooled = rc.db.conn().await?;
        // A replay gets its original transfer before any other check.
        let saved = idempotency::saved(
            &mut pooled.conn(),
            source.client_id,
            &idempotency_key,
            "createTransfer",
            &hash,
        )
        .await?;
        if let Some(id) = saved {
            return replayed(rc, &mut pooled, TransferId(id)).await;
        }
        drop(pooled);
        guard_transact("source", &owner_of(rc, &source).await?, &source)?;
        guard_transact(
            "destination",
            &owner_of(rc, &destination).await?,
            &destination,
        )?;
        let mut pooled = rc.db.conn().await?;
        // Holds past their time no longer count against the available balance.
        store::transfers::expire_due_of(&mut pooled.conn(), &scope, &[source.id]).await?;
        let validity = chrono::Duration::from_std(rc.transfer_validity)
            .map_err(|e| ApiError::internal(&e.to_string()))?;
        let transfer_id = retrying_duplicate_claims!({
            let now = Timestamp::now();
            let transfer = store::transfers::Transfer {
                id: TransferId::new(),
                client_id: source.client_id,
                source_account_id: source.id,
                destination_account_id: destination.id,
                asset_type_id: source.asset_type_id.clone(),
                amount: value,
                description: description.clone(),
                status: TransferStatus::Requested,
                valid_until: Timestamp(now.0 + validity),
                rejection_reason: None,
                version: 1,
                created_at: now,
                updated_at: now,
            };
            write_tx!(&mut pooled.conn(), tx => {
                let claim = idempotency::claim(
                    tx,
                    source.client_id,
                    &idempotency_key,
                    "createTransfer",
                    &hash,
                    transfer.id.0,
                )
                .await?;
                if let Claim::Replay(id) = claim {
                    return Ok(TransferId(id));
                }
                store::transfers::create_in(tx, &transfer).await?;
                Ok::<_, StoreError>(transfer.id)
            })
        })?;
        let transfer =
            store::transfers::find_many_current(&mut pooled.conn(), &scope, &[transfer_id])
                .await?
                .pop()
                .ok_or_else(|| ApiError::internal(&"a saved transfer is missing"))?;
        payload(rc, transfer)
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
        let mut problems = Problems::new();
        check_idempotency_key(&mut problems, &idempotency_key);
        ApiError::check(problems.into_errors())?;
        let current = load_transfer(rc, &transfer_id).await?;
        let scope = rc.principal.scope();
        store::transfers::ensure_owned(&scope, &current)?;
        let (id, client) = (current.id, current.client_id);
        let hash = idempotency::request_hash("acceptTransfer", &[&id.to_string()]);
        let mut pooled = rc.db.conn().await?;
        let outcome = retrying_duplicate_claims!({
            write_tx!(&mut pooled.conn(), tx => {
                let claim = claim(tx, client, &idempotency_key, &hash, id).await?;
                if claim == Claim::New {
                    store::transfers::execute_in(tx, id).await?;
                }
                Ok::<_, StoreError>(())
            })
        });
        match outcome {
            Ok(()) => {}
            Err(StoreError::CannotTransact { message, .. }) => {
                // A side cannot transact now: the transfer is rejected and its hold released,
                // under the same key (a replay returns the rejection).
                let reason = format!("rejected at acceptance: {message}");
                let rejected = retrying_duplicate_claims!({
                    write_tx!(&mut pooled.conn(), tx => {
                        if claim(tx, client, &idempotency_key, &hash, id).await? == Claim::New {
                            store::transfers::end_in(
                                tx,
                                id,
                                TransferStatus::Rejected,
                                Some(&reason),
                            )
                            .await?;
                        }
                        Ok::<_, StoreError>(())
                    })
                });
                match rejected {
                    Ok(()) => {}
                    Err(StoreError::Conflict) => {
                        drop(pooled);
                        return Err(refusal_after_race(rc, id, TransferStatus::Executed).await);
                    }
                    Err(error) => return Err(error.into()),
                }
            }
            Err(StoreError::Conflict) => {
                drop(pooled);
                return Err(refusal_after_race(rc, id, TransferStatus::Executed).await);
            }
            Err(error) => return Err(error.into()),
        }
        let transfer = store::transfers::find_many_current(&mut pooled.conn(), &scope, &[id])
            .await?
            .pop()
            .ok_or_else(transfer_not_found)?;
        payload(rc, transfer)
    }

    /// Cancels a REQUESTED transfer and releases its hold (INVALID_STATUS_TRANSITION once it
    /// is anything else).
    async fn cancel_transfer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The transfer's global id.")] transfer_id: ID,
    ) -> ApiResult<TransferPayload> {
        let rc = request(ctx)?;
        let current = load_transfer(rc, &transfer_id).await?;
        let scope = rc.principal.scope();
        store::transfers::ensure_owned(&scope, &current)?;
        if current.status != TransferStatus::Requested {
            return Err(not_requested(current.status, TransferStatus::Cancelled));
        }
        let id = current.id;
        let mut pooled = rc.db.conn().await?;
        let ended = write_tx!(&mut pooled.conn(), tx => {
            store::transfers::end_in(tx, id, TransferStatus::Cancelled, None).await
        });
        match ended {
            Ok(transfer) => payload(rc, transfer),
            Err(StoreError::Conflict) => {
                // One connection per request at a time: a second one awaited while holding
                // the first could starve the pool under load.
                drop(pooled);
                Err(refusal_after_race(rc, id, TransferStatus::Cancelled).await)
            }
            Err(error) => Err(error.into()),
        }
    }
}

/// The idempotency claim of `acceptTransfer` for one transfer.
async fn claim(
    tx: &mut crate::db::Conn<'_>,
    client: ClientId,
    key: &str,
    hash: &str,
    id: TransferId,
) -> Result<Claim, StoreError> {
    let claimed = idempotency::claim(tx, client, key, "acceptTransfer", hash, id.0).await?;
    // A replay's saved result is this transfer by construction of the hash.
    Ok(match claimed {
        Claim::Replay(_) => Claim::Replay(id.0),
        Claim::New => Claim::New,
    })
}
