//! `requestPaymentAddress`: a payment address for a payor to pay into a PAYMENT_BASIC
//! account; with an expected amount it is a lease (an end date, a number of payments and a
//! total). With an idempotency key, a retry returns the first address instead of a second.

use rand::RngCore;
use rust_decimal::Decimal;

use crate::db::Conn;
use crate::db::types::Timestamp;
use crate::domain::account::ProductId;
use crate::domain::dormancy::Activity;
use crate::domain::event::{EventType, Happened, SubjectKind};
use crate::domain::ids::{ClientId, PaymentAddressId};
use crate::domain::payment_address::{Lease, wallet_address};
use crate::domain::status::check_transact;
use crate::domain::validation::Problems;
use crate::ops::events;
use crate::ops::money::{
    cannot_transact, check_idempotency_key, find_account, minor_units, owner_of,
};
use crate::ops::uow::{self, Idempotency, Written};
use crate::ops::{Cx, OpError, OpResult};
use crate::store;
use crate::store::payment_addresses::PaymentAddress;

/// What `requestPaymentAddress` is given.
#[derive(Debug, Clone)]
pub struct Input {
    /// The client's own id of the account.
    pub account_id: String,
    /// The client's own id of the payor (of the account's customer).
    pub payor_id: String,
    /// The reference the payor quotes (1 to 140 characters).
    pub payment_reference: String,
    /// The amount expected, which makes the address a lease.
    pub amount: Option<Decimal>,
    pub idempotency_key: Option<String>,
    /// The client whose account it is (the operator must name it).
    pub client: Option<ClientId>,
}

/// Issues the address.
pub async fn run(cx: &Cx<'_>, input: Input) -> OpResult<PaymentAddress> {
    let mut problems = Problems::new();
    problems.required_text("paymentReference", &input.payment_reference, 140);
    if let Some(key) = &input.idempotency_key {
        check_idempotency_key(&mut problems, key);
    }
    OpError::check(problems.into_errors())?;
    let id = PaymentAddressId::new();
    let amount = input.amount.map(|a| a.normalize().to_string());
    let key = Idempotency::optional(
        cx,
        input.idempotency_key.as_deref(),
        input.client,
        "requestPaymentAddress",
        &[
            &input.account_id,
            &input.payor_id,
            &input.payment_reference,
            amount.as_deref().unwrap_or_default(),
        ],
        id.0,
    )?;
    let written = uow::unit!(cx, key.as_ref(), tx => issue(tx, cx, &input, id).await)?;
    match written {
        Written::Done(address) => Ok(address),
        Written::Replayed(saved) => {
            let mut pooled = cx.db.conn().await?;
            store::payment_addresses::find_many(
                &mut pooled.conn(),
                &cx.scope(),
                &[PaymentAddressId(saved)],
            )
            .await?
            .pop()
            .ok_or_else(|| OpError::internal(&"a saved payment address is missing"))
        }
    }
}

/// The body of the unit of work: the account (a PAYMENT_BASIC one), the payor of its
/// customer, the transact rule on the customer's locked row, then the address and the
/// payor's link to the account.
async fn issue(
    tx: &mut Conn<'_>,
    cx: &Cx<'_>,
    input: &Input,
    id: PaymentAddressId,
) -> OpResult<PaymentAddress> {
    let account = find_account(tx, cx, "accountId", &input.account_id, input.client).await?;
    let expected = input
        .amount
        .map(|a| minor_units(cx, "amount", a, &account.asset_type_id))
        .transpose()?;
    if account.product_id != ProductId::PaymentBasic {
        return Err(OpError::Rule {
            code: "NOT_A_PAYMENT_ACCOUNT",
            message: format!(
                "payment addresses are for PAYMENT_BASIC accounts; {:?} is {}",
                input.account_id, account.product_id
            ),
        });
    }
    let customer = owner_of(tx, cx, &account).await?;
    let scope = cx.scope();
    let payor = store::payors::find_by_external_id(tx, &scope, customer.id, &input.payor_id)
        .await?
        .ok_or_else(|| {
            OpError::NotFound(format!(
                "the account's customer has no payor with payorId {:?}",
                input.payor_id
            ))
        })?;
    // The transact rule on the customer's locked row, so a concurrent freeze waits or is seen.
    let status =
        crate::ops::customers::locked_status(tx, cx, account.customer_id, account.client_id)
            .await?;
    check_transact(status, account.status).map_err(|why| cannot_transact("account", why))?;
    let requested = Activity::PaymentAddressRequested;
    crate::ops::customers::activity::note(tx, cx, (customer.id, customer.client_id), requested)
        .await?;
    let mut random = [0u8; 20];
    rand::rng().fill_bytes(&mut random);
    let wallet = wallet_address(&account.asset_type_id, random).map_err(|e| OpError::Rule {
        code: "UNSUPPORTED_ASSET",
        message: format!("payment addresses are not available for {}", e.0),
    })?;
    let lease = Lease::for_amount(expected, cx.now.0);
    let address = PaymentAddress {
        id,
        client_id: account.client_id,
        account_id: account.id,
        payor_id: payor.id,
        wallet_address: wallet,
        asset_type_id: account.asset_type_id.clone(),
        payment_reference: input.payment_reference.clone(),
        expected_amount: expected,
        lease_enforced: lease.enforced,
        lease_end_date: lease.end_date.map(Timestamp),
        lease_transaction_limit: lease.transaction_limit,
        lease_value_limit: lease.value_limit,
        transactions_received: 0,
        value_received: 0,
        created_at: cx.now,
    };
    store::payment_addresses::insert(tx, &scope, &address).await?;
    store::payors::link_to_account(
        tx,
        &scope,
        (account.id, payor.id),
        account.client_id,
        cx.now,
    )
    .await?;
    let happened = Happened::new(
        EventType::PaymentAddressCreated,
        SubjectKind::PaymentAddress,
        address.id.0,
    )
    .customer(&customer.external_id)
    .account(&account.external_id);
    events::emit(tx, cx, address.client_id, happened).await?;
    Ok(address)
}
