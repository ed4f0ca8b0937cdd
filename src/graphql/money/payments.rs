//! Payment addresses and incoming money: `requestPaymentAddress` and, there being no real
//! rails here, `simulateIncomingPayment` (sandbox clients and the operator only).

use async_graphql::{Context, ID, Object, SimpleObject};
use rand::RngCore;

use super::{check_idempotency_key, guard_transact, load_account, minor_units, owner_of};
use crate::db::types::Timestamp;
use crate::db::write_tx;
use crate::domain::account::ProductId;
use crate::domain::client::Environment;
use crate::domain::ids::{PaymentAddressId, TransactionId};
use crate::domain::payment_address::{Lease, wallet_address};
use crate::domain::validation::Problems;
use crate::graphql::RequestContext;
use crate::graphql::error::{ApiError, ApiResult};
use crate::graphql::node::{self, NodeKind};
use crate::graphql::request;
use crate::graphql::scalars::Decimal;
use crate::graphql::types::account::Account;
use crate::graphql::types::money::{PaymentAddress, Transaction};
use crate::store::idempotency::{self, Claim};
use crate::store::{self, StoreError};

/// The result of `requestPaymentAddress`.
#[derive(SimpleObject)]
pub struct RequestPaymentAddressPayload {
    /// The new address lease.
    pub payment_address: PaymentAddress,
}

/// The result of `simulateIncomingPayment`.
#[derive(SimpleObject)]
pub struct SimulateIncomingPaymentPayload {
    /// The POSTED TRANSFER_IN (DEPOSIT) transaction.
    pub transaction: Transaction,
    /// The account after the payment.
    pub account: Account,
}

/// Payment addresses and incoming payments.
#[derive(Default)]
pub struct PaymentMutation;

/// Payment addresses and incoming payments.
#[Object]
impl PaymentMutation {
    /// Issues a payment address for a payor to pay into a PAYMENT_BASIC account
    /// (NOT_A_PAYMENT_ACCOUNT otherwise). With an expected `amount` the address is a lease:
    /// it ends after 7 days, takes at most 10 payments and at most the amount in total.
    /// Refused with CUSTOMER_CANNOT_TRANSACT when the customer or the account cannot
    /// transact.
    async fn request_payment_address(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The client's own id for the account.")] account_id: String,
        #[graphql(desc = "The client's own id for the payor (of the account's customer).")]
        payor_id: String,
        #[graphql(desc = "The reference the payor quotes (1 to 140 characters).")]
        payment_reference: String,
        #[graphql(
            desc = "The amount expected, in the account's asset; makes the address a lease."
        )]
        amount: Option<Decimal>,
        #[graphql(desc = "The client's global id; required for the operator.")] client_id: Option<
            ID,
        >,
    ) -> ApiResult<RequestPaymentAddressPayload> {
        let rc = request(ctx)?;
        let mut problems = Problems::new();
        problems.required_text("paymentReference", &payment_reference, 140);
        ApiError::check(problems.into_errors())?;
        let account = load_account(rc, "accountId", &account_id, client_id.as_ref()).await?;
        let expected = amount
            .map(|a| minor_units(rc, "amount", a, &account.asset_type_id))
            .transpose()?;
        if account.product_id != ProductId::PaymentBasic {
            return Err(ApiError::Rule {
                code: "NOT_A_PAYMENT_ACCOUNT",
                message: format!(
                    "payment addresses are for PAYMENT_BASIC accounts; {account_id:?} is {}",
                    account.product_id
                ),
            });
        }
        let customer = owner_of(rc, &account).await?;
        let scope = rc.principal.scope();
        let mut pooled = rc.db.conn().await?;
        let payor =
            store::payors::find_by_external_id(&mut pooled.conn(), &scope, customer.id, &payor_id)
                .await?
                .ok_or_else(|| {
                    ApiError::NotFound(format!(
                        "the account's customer has no payor with payorId {payor_id:?}"
                    ))
                })?;
        guard_transact("account", &customer, &account)?;
        let mut random = [0u8; 20];
        rand::rng().fill_bytes(&mut random);
        let wallet =
            wallet_address(&account.asset_type_id, random).map_err(|e| ApiError::Rule {
                code: "UNSUPPORTED_ASSET",
                message: format!("payment addresses are not available for {}", e.0),
            })?;
        let now = Timestamp::now();
        let lease = Lease::for_amount(expected, now.0);
        let address = store::payment_addresses::PaymentAddress {
            id: PaymentAddressId::new(),
            client_id: account.client_id,
            account_id: account.id,
            payor_id: payor.id,
            wallet_address: wallet,
            asset_type_id: account.asset_type_id.clone(),
            payment_reference,
            expected_amount: expected,
            lease_enforced: lease.enforced,
            lease_end_date: lease.end_date.map(Timestamp),
            lease_transaction_limit: lease.transaction_limit,
            lease_value_limit: lease.value_limit,
            transactions_received: 0,
            value_received: 0,
            created_at: now,
        };
        write_tx!(&mut pooled.conn(), tx => {
            // The transact rule again, on the customer's locked row.
            let status =
                store::customers::lock_status(tx, account.customer_id, account.client_id).await?;
            crate::domain::status::check_transact(status, account.status).map_err(|why| {
                StoreError::CannotTransact {
                    reason: why.reason_code(),
                    message: format!("account: {why}"),
                }
            })?;
            store::payment_addresses::insert(tx, &scope, &address).await?;
            store::payors::link_to_account(tx, account.id, payor.id, account.client_id).await
        })?;
        Ok(RequestPaymentAddressPayload {
            payment_address: PaymentAddress::new(address, &rc.db)?,
        })
    }

    /// Simulates money arriving from outside (there are no real rails here): a POSTED
    /// TRANSFER_IN (DEPOSIT) into the account, through a payment address (`addressId`, the
    /// transaction then carries its payorId and paymentReference) or straight to the
    /// account (`accountId`). SANDBOX clients and the operator only. Refused with
    /// CUSTOMER_CANNOT_TRANSACT when the customer's or the account's status says no, or the
    /// lease has ended or its limits would be exceeded (`extensions.reason` says which).
    /// The same idempotencyKey with the same request returns the first result.
    #[expect(clippy::too_many_arguments, reason = "one GraphQL argument each")]
    async fn simulate_incoming_payment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The payment address paid into; give this or accountId.")]
        address_id: Option<ID>,
        #[graphql(desc = "The client's own id for the account paid into; or addressId.")]
        account_id: Option<String>,
        #[graphql(desc = "The amount, in the account's asset.")] amount: Decimal,
        #[graphql(
            desc = "The payment's reference: its paymentReference when paid straight to the account, its description when paid through an address (which has its own paymentReference)."
        )]
        reference: Option<String>,
        #[graphql(desc = "Your key for this request (1 to 200 characters), per client.")]
        idempotency_key: String,
        #[graphql(desc = "The client's global id; required for the operator with accountId.")]
        client_id: Option<ID>,
    ) -> ApiResult<SimulateIncomingPaymentPayload> {
        let rc = request(ctx)?;
        let mut problems = Problems::new();
        check_idempotency_key(&mut problems, &idempotency_key);
        problems.optional_text("reference", reference.as_deref(), 140);
        if address_id.is_some() == account_id.is_some() {
            problems.add("addressId", "give exactly one of addressId and accountId");
        }
        ApiError::check(problems.into_errors())?;
        ensure_sandbox_or_operator(rc).await?;
        let scope = rc.principal.scope();
        let address = match &address_id {
            Some(id) => {
                let key = PaymentAddressId(node::decode_as(id, NodeKind::PaymentAddress)?);
                let mut pooled = rc.db.conn().await?;
                let found = store::payment_addresses::find_many(&mut pooled.conn(), &scope, &[key])
                    .await?
                    .pop()
                    .ok_or_else(|| ApiError::NotFound("no such payment address".into()))?;
                Some(found)
            }
            None => None,
        };
        let account = match (&address, &account_id) {
            (Some(address), _) => {
                let mut pooled = rc.db.conn().await?;
                store::accounts::find_many(&mut pooled.conn(), &scope, &[address.account_id])
                    .await?
                    .pop()
                    .ok_or_else(|| ApiError::internal(&"an address's account is missing"))?
            }
            (None, Some(account_id)) => {
                load_account(rc, "accountId", account_id, client_id.as_ref()).await?
            }
            (None, None) => return Err(ApiError::bad_input("accountId", "is required")),
        };
        let value = minor_units(rc, "amount", amount, &account.asset_type_id)?;
        let hash = idempotency::request_hash(
            "simulateIncomingPayment",
            &[
                &account.id.to_string(),
                &address
                    .as_ref()
                    .map(|a| a.id.to_string())
                    .unwrap_or_default(),
                &value.to_string(),
                reference.as_deref().unwrap_or_default(),
            ],
        );
        let mut pooled = rc.db.conn().await?;
        let transaction_id = retrying_duplicate_claims!({
            let mut transaction = store::deposits::incoming(&account, value, reference.clone());
            write_tx!(&mut pooled.conn(), tx => {
                let claim = idempotency::claim(
                    tx,
                    account.client_id,
                    &idempotency_key,
                    "simulateIncomingPayment",
                    &hash,
                    transaction.id.0,
                )
                .await?;
                if let Claim::Replay(id) = claim {
                    return Ok(TransactionId(id));
                }
                store::deposits::receive_in(tx, &mut transaction, &account, address.as_ref())
                    .await?;
                Ok::<_, StoreError>(transaction.id)
            })
        })?;
        let transaction = store::ledger::find_many(&mut pooled.conn(), &scope, &[transaction_id])
            .await?
            .pop()
            .ok_or_else(|| ApiError::internal(&"a saved payment is missing"))?;
        let account =
            store::accounts::find_many(&mut pooled.conn(), &scope, &[transaction.account_id])
                .await?
                .pop()
                .ok_or_else(|| ApiError::internal(&"a payment's account is missing"))?;
        let account = Account::new(account, &rc.db)?;
        Ok(SimulateIncomingPaymentPayload {
            transaction: Transaction::new(transaction, account.decimals),
            account,
        })
    }
}

/// Simulations are for SANDBOX clients (and the operator): a PRODUCTION client's money
/// arrives through real rails only.
async fn ensure_sandbox_or_operator(rc: &RequestContext) -> ApiResult<()> {
    let Some(client_id) = rc.principal.client_id() else {
        return Ok(());
    };
    let mut pooled = rc.db.conn().await?;
    let client = store::clients::find(&mut pooled.conn(), &rc.principal.scope(), client_id)
        .await?
        .ok_or_else(|| ApiError::internal(&"the caller's client row is missing"))?;
    if client.environment == Environment::Sandbox {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "simulateIncomingPayment is for SANDBOX clients; in PRODUCTION money arrives \
             through the payment rails"
                .into(),
        ))
    }
}
