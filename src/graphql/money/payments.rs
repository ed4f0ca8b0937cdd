//! Payment addresses and incoming money: `requestPaymentAddress` and, there being no real
//! rails here, `simulateIncomingPayment` (sandbox clients and the operator only).

use async_graphql::{Context, ID, Object, SimpleObject};

use super::transfers::client_of;
use crate::domain::ids::PaymentAddressId;
use crate::graphql::error::{ApiError, ApiResult};
use crate::graphql::node::{self, NodeKind};
use crate::graphql::request;
use crate::graphql::scalars::Decimal;
use crate::graphql::types::account::Account;
use crate::graphql::types::money::{PaymentAddress, Transaction};
use crate::ops::money::receive_payment::{self, Destination};
use crate::ops::money::request_payment_address;

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
    #[expect(clippy::too_many_arguments, reason = "one GraphQL argument each")]
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
        #[graphql(
            desc = "Your key for this request (1 to 200 characters), per client: a retry with the same key and request returns the first address instead of issuing another."
        )]
        idempotency_key: Option<String>,
        #[graphql(desc = "The client's global id; required for the operator.")] client_id: Option<
            ID,
        >,
    ) -> ApiResult<RequestPaymentAddressPayload> {
        let rc = request(ctx)?;
        let input = request_payment_address::Input {
            account_id,
            payor_id,
            payment_reference,
            amount: amount.map(|a| a.0),
            idempotency_key,
            client: client_of(client_id.as_ref())?,
        };
        let address = request_payment_address::run(&rc.cx(), input).await?;
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
        let into = match (address_id, account_id) {
            (Some(id), None) => Destination::Address(PaymentAddressId(node::decode_as(
                &id,
                NodeKind::PaymentAddress,
            )?)),
            (None, Some(account_id)) => Destination::Account {
                account_id,
                client: client_of(client_id.as_ref())?,
            },
            _ => {
                return Err(ApiError::bad_input(
                    "addressId",
                    "give exactly one of addressId and accountId",
                ));
            }
        };
        let input = receive_payment::Input {
            into,
            amount: amount.0,
            reference,
            idempotency_key,
        };
        let received = receive_payment::run(&rc.cx(), input).await?;
        let account = Account::new(received.account, &rc.db)?;
        Ok(SimulateIncomingPaymentPayload {
            transaction: Transaction::new(received.transaction, account.decimals),
            account,
        })
    }
}
