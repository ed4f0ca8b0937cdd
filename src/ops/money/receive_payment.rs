//! `simulateIncomingPayment`: money arriving from outside (there are no real rails here), a
//! POSTED TRANSFER_IN (DEPOSIT) into an account, straight or through a payment address whose
//! lease it counts against. SANDBOX clients and the operator only.

use rust_decimal::Decimal;

use crate::db::Conn;
use crate::domain::client::Environment;
use crate::domain::dormancy::Activity;
use crate::domain::event::{EventType, Happened, SubjectKind};
use crate::domain::ids::{ClientId, PaymentAddressId, TransactionId};
use crate::domain::ledger::{CategoryType, Posting, TransactionStatus, TransactionType};
use crate::domain::validation::Problems;
use crate::ops::events;
use crate::ops::money::{check_idempotency_key, find_account, minor_units, refusals};
use crate::ops::uow::{self, Idempotency, Written};
use crate::ops::{Cx, OpError, OpResult};
use crate::store;
use crate::store::accounts::Account;
use crate::store::ledger::{AccountTransaction, Movement};
use crate::store::payment_addresses::PaymentAddress;

/// Where the money goes: through a payment address, or straight to an account.
#[derive(Debug, Clone)]
pub enum Destination {
    Address(PaymentAddressId),
    /// The client's own id of the account (the operator names the client).
    Account {
        account_id: String,
        client: Option<ClientId>,
    },
}

/// What `simulateIncomingPayment` is given.
#[derive(Debug, Clone)]
pub struct Input {
    pub into: Destination,
    pub amount: Decimal,
    /// The payment's reference: its paymentReference when paid straight to the account, its
    /// description when paid through an address (which has its own reference).
    pub reference: Option<String>,
    pub idempotency_key: String,
}

/// The payment and the account after it.
#[derive(Debug, Clone)]
pub struct Received {
    pub transaction: AccountTransaction,
    pub account: Account,
}

/// Receives the payment; a replay of the same key and request returns the original one.
pub async fn run(cx: &Cx<'_>, input: Input) -> OpResult<Received> {
    let mut problems = Problems::new();
    check_idempotency_key(&mut problems, &input.idempotency_key);
    problems.optional_text("reference", input.reference.as_deref(), 140);
    OpError::check(problems.into_errors())?;
    if !cx.principal.is_operator() && cx.principal.environment() != Environment::Sandbox {
        return Err(OpError::Forbidden(
            "simulateIncomingPayment is for SANDBOX clients; in PRODUCTION money arrives \
             through the payment rails"
                .into(),
        ));
    }
    let (address, account) = destination(cx, &input.into).await?;
    let value = minor_units(cx, "amount", input.amount, &account.asset_type_id)?;
    let id = TransactionId::new();
    let key = Idempotency::new(
        cx,
        account.client_id,
        &input.idempotency_key,
        "simulateIncomingPayment",
        &[
            &account.id.to_string(),
            &address
                .as_ref()
                .map(|a| a.id.to_string())
                .unwrap_or_default(),
            &value.to_string(),
            input.reference.as_deref().unwrap_or_default(),
        ],
        id.0,
    );
    let written = uow::unit!(cx, Some(&key), tx => {
        receive(tx, cx, (id, value), &account, address.as_ref(), input.reference.clone()).await
    })?;
    let id = match written {
        Written::Done(id) => id,
        Written::Replayed(saved) => TransactionId(saved),
    };
    let mut pooled = cx.db.conn().await?;
    let scope = cx.scope();
    let transaction = store::ledger::find_many(&mut pooled.conn(), &scope, &[id])
        .await?
        .pop()
        .ok_or_else(|| OpError::internal(&"a saved payment is missing"))?;
    let account = store::accounts::find_many(&mut pooled.conn(), &scope, &[transaction.account_id])
        .await?
        .pop()
        .ok_or_else(|| OpError::internal(&"a payment's account is missing"))?;
    Ok(Received {
        transaction,
        account,
    })
}

/// The address (when paid through one) and the account the money reaches.
async fn destination(
    cx: &Cx<'_>,
    into: &Destination,
) -> OpResult<(Option<PaymentAddress>, Account)> {
    let mut pooled = cx.db.conn().await?;
    let scope = cx.scope();
    match into {
        Destination::Address(id) => {
            let address = store::payment_addresses::find_many(&mut pooled.conn(), &scope, &[*id])
                .await?
                .pop()
                .ok_or_else(|| OpError::NotFound("no such payment address".into()))?;
            let account =
                store::accounts::find_many(&mut pooled.conn(), &scope, &[address.account_id])
                    .await?
                    .pop()
                    .ok_or_else(|| OpError::internal(&"an address's account is missing"))?;
            Ok((Some(address), account))
        }
        Destination::Account { account_id, client } => {
            let account =
                find_account(&mut pooled.conn(), cx, "accountId", account_id, *client).await?;
            Ok((None, account))
        }
    }
}

/// The body of the unit of work: the lease's count (one conditional UPDATE), the
/// transaction, its deposit posting (refused when the account or its customer cannot
/// transact), and the payor's link to the account.
async fn receive(
    tx: &mut Conn<'_>,
    cx: &Cx<'_>,
    (id, value): (TransactionId, i64),
    account: &Account,
    address: Option<&PaymentAddress>,
    reference: Option<String>,
) -> OpResult<TransactionId> {
    let received = Activity::PaymentReceived;
    let owner = (account.customer_id, account.client_id);
    crate::ops::customers::activity::note(tx, cx, owner, received).await?;
    let scope = cx.scope();
    let mut transaction = AccountTransaction::new(
        account.client_id,
        account.id,
        (
            TransactionType::TransferIn,
            CategoryType::Deposit,
            TransactionStatus::Posted,
        ),
        value,
        cx.now,
    );
    transaction.id = id;
    transaction.payment_reference = reference;
    if let Some(address) = address {
        if !store::payment_addresses::count_payment(tx, &scope, address, value, cx.now).await? {
            return Err(refusals::lease(tx, &scope, address, value, cx.now).await);
        }
        transaction.payor_id = Some(address.payor_id);
        // The address's reference identifies the payment; the payor's own goes in the
        // description.
        transaction.description = transaction.payment_reference.take();
        transaction.payment_reference = Some(address.payment_reference.clone());
        transaction.address_id = Some(address.id);
    }
    store::ledger::insert_transaction(tx, &scope, &transaction).await?;
    let movement = Movement {
        client_id: account.client_id,
        asset_type_id: &account.asset_type_id,
        at: cx.now,
    };
    let posting = Posting::deposit(account.id, value);
    let posted = store::ledger::post(tx, &scope, &movement, id, &posting, &[account.id]).await?;
    if let Err(refused) = posted {
        return Err(refusals::posting(tx, &scope, refused, |_| None).await);
    }
    if let Some(address) = address {
        store::payors::link_to_account(
            tx,
            &scope,
            (account.id, address.payor_id),
            account.client_id,
            cx.now,
        )
        .await?;
    }
    let customer = events::customer_ref(tx, cx, account.customer_id).await?;
    let happened = Happened::new(EventType::PaymentConfirmed, SubjectKind::Transaction, id.0)
        .customer(&customer)
        .account(&account.external_id)
        .status(None, TransactionStatus::Posted.as_str());
    events::emit(tx, cx, account.client_id, happened).await?;
    Ok(id)
}
