//! `createTransfer`: a REQUESTED transfer between two accounts of one client in one asset,
//! with the amount on hold on the source until it is accepted, cancelled or expires.

use rust_decimal::Decimal;

use crate::db::Conn;
use crate::domain::access::AccessScope;
use crate::domain::dormancy::Activity;
use crate::domain::ids::{ClientId, TransferId};
use crate::domain::ledger::{CategoryType, Posting, TransactionStatus, TransactionType};
use crate::domain::transfer::{TransferStatus, check_pair};
use crate::domain::validation::Problems;
use crate::ops::money::expire_transfers::settle_due_of;
use crate::ops::money::transfers::current;
use crate::ops::money::{
    check_idempotency_key, check_side, find_account, minor_units, owner_of, refusals,
};
use crate::ops::uow::{self, Idempotency, Written};
use crate::ops::{Cx, OpError, OpResult, target_client};
use crate::store;
use crate::store::ledger::{AccountTransaction, Movement};
use crate::store::transfers::Transfer;

/// What `createTransfer` is given.
#[derive(Debug, Clone)]
pub struct Input {
    /// The client's own id of the account the money leaves.
    pub source_account_id: String,
    /// The client's own id of the account the money reaches.
    pub destination_account_id: String,
    pub amount: Decimal,
    pub description: Option<String>,
    pub idempotency_key: String,
    /// The client whose accounts these are (the operator must name it).
    pub client: Option<ClientId>,
}

/// Requests the transfer. A replay of the same key and request returns the original
/// transfer as it is now, whatever has changed since.
pub async fn run(cx: &Cx<'_>, input: Input) -> OpResult<Transfer> {
    let mut problems = Problems::new();
    check_idempotency_key(&mut problems, &input.idempotency_key);
    problems.optional_text("description", input.description.as_deref(), 500);
    OpError::check(problems.into_errors())?;
    let Some(client) = target_client(cx.principal, input.client)? else {
        return Err(OpError::NotFound(format!(
            "no account with accountId {:?}",
            input.source_account_id
        )));
    };
    let id = TransferId::new();
    let amount = input.amount.normalize().to_string();
    let key = Idempotency::new(
        cx,
        client,
        &input.idempotency_key,
        "createTransfer",
        &[
            &input.source_account_id,
            &input.destination_account_id,
            &amount,
            input.description.as_deref().unwrap_or_default(),
        ],
        id.0,
    );
    let written = uow::unit!(cx, Some(&key), tx => create(tx, cx, &input, client, id).await)?;
    match written {
        Written::Done(transfer) => Ok(transfer),
        Written::Replayed(saved) => current(cx, TransferId(saved)).await,
    }
}

/// The body of the unit of work: both accounts, the pair, the amount and both sides' right
/// to transact, then the transfer and its hold (refused when the available balance is short,
/// after the source's overdue holds are released).
async fn create(
    tx: &mut Conn<'_>,
    cx: &Cx<'_>,
    input: &Input,
    client: ClientId,
    id: TransferId,
) -> OpResult<Transfer> {
    let source = find_account(
        tx,
        cx,
        "sourceAccountId",
        &input.source_account_id,
        Some(client),
    )
    .await?;
    let destination = find_account(
        tx,
        cx,
        "destinationAccountId",
        &input.destination_account_id,
        Some(client),
    )
    .await?;
    check_pair(
        (source.id, source.asset_type_id.as_str()),
        (destination.id, destination.asset_type_id.as_str()),
    )
    .map_err(|why| OpError::bad_input("destinationAccountId", why.to_string()))?;
    // An access token requests transfers between one customer's own accounts only.
    if cx.principal.grant().is_some() && source.customer_id != destination.customer_id {
        return Err(OpError::ScopeRequired(AccessScope::ManageCustomers));
    }
    let value = minor_units(cx, "amount", input.amount, &source.asset_type_id)?;
    check_side("source", &owner_of(tx, cx, &source).await?, &source)?;
    check_side(
        "destination",
        &owner_of(tx, cx, &destination).await?,
        &destination,
    )?;
    let requested = (source.customer_id, source.client_id);
    crate::ops::customers::activity::note(tx, cx, requested, Activity::TransferRequested).await?;
    settle_due_of(tx, cx, &[source.id]).await?;
    let validity = chrono::Duration::from_std(cx.settings.transfer_validity)
        .map_err(|e| OpError::internal(&e.to_string()))?;
    let transfer = Transfer {
        id,
        client_id: source.client_id,
        source_account_id: source.id,
        destination_account_id: destination.id,
        asset_type_id: source.asset_type_id.clone(),
        amount: value,
        description: input.description.clone(),
        status: TransferStatus::Requested,
        valid_until: crate::db::types::Timestamp(cx.now.0 + validity),
        rejection_reason: None,
        version: 1,
        created_at: cx.now,
        updated_at: cx.now,
    };
    let scope = cx.scope();
    store::transfers::insert(tx, &scope, &transfer).await?;
    let mut hold = AccountTransaction::new(
        transfer.client_id,
        transfer.source_account_id,
        (
            TransactionType::TransferOut,
            CategoryType::Transfer,
            TransactionStatus::Authorized,
        ),
        transfer.amount,
        cx.now,
    );
    hold.description = transfer.description.clone();
    hold.transfer_id = Some(transfer.id);
    store::ledger::insert_transaction(tx, &scope, &hold).await?;
    let movement = Movement {
        client_id: transfer.client_id,
        asset_type_id: &transfer.asset_type_id,
        at: cx.now,
    };
    let posting = Posting::hold(transfer.source_account_id, transfer.amount);
    let posted = store::ledger::post(
        tx,
        &scope,
        &movement,
        hold.id,
        &posting,
        &[transfer.source_account_id],
    )
    .await?;
    if let Err(refused) = posted {
        return Err(refusals::posting(tx, &scope, refused, |_| Some("source")).await);
    }
    crate::ops::events::transfer_moved(tx, cx, &transfer, None, None).await?;
    Ok(transfer)
}
