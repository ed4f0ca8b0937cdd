//! Payor reads and changes: `payor`, `createPayor`, `updatePayor`, under the customer's
//! update rule.

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, SimpleObject};

use super::transfers::client_of;
use crate::domain::patch::Patch;
use crate::domain::payor::PayorDetails;
use crate::graphql::customers::load_customer;
use crate::graphql::error::{ApiError, ApiResult};
use crate::graphql::request;
use crate::graphql::types::payor::Payor;
use crate::ops::payors::{create_payor, update_payor};
use crate::store;

/// A new payor of a customer: a person (firstName and lastName) or a company (companyName).
#[derive(InputObject)]
pub struct CreatePayorInput {
    /// The client's own id for the payor, unique per customer.
    pub payor_id: String,
    /// Given name; required for a person.
    pub first_name: Option<String>,
    /// Middle name(s).
    pub middle_name: Option<String>,
    /// Family name; required for a person.
    pub last_name: Option<String>,
    /// The company's name; required for a company (its presence makes the payor one).
    pub company_name: Option<String>,
    /// Email address.
    pub email_address: Option<String>,
    /// Telephone number in E.164 form, e.g. +14155550123.
    pub phone_number: Option<String>,
    /// Subdivision of `countryCode` (ISO 3166-2 subdivision part, e.g. NY).
    pub state: Option<String>,
    /// Country (ISO 3166-1 alpha-2).
    pub country_code: String,
}

/// Changes to a payor: an omitted field is left as it is, null clears it.
#[derive(InputObject)]
pub struct UpdatePayorInput {
    /// Given name.
    pub first_name: MaybeUndefined<String>,
    /// Middle name(s).
    pub middle_name: MaybeUndefined<String>,
    /// Family name.
    pub last_name: MaybeUndefined<String>,
    /// The company's name.
    pub company_name: MaybeUndefined<String>,
    /// Email address.
    pub email_address: MaybeUndefined<String>,
    /// Telephone number in E.164 form.
    pub phone_number: MaybeUndefined<String>,
    /// Subdivision of `countryCode`.
    pub state: MaybeUndefined<String>,
    /// Country (ISO 3166-1 alpha-2); cannot be cleared.
    pub country_code: MaybeUndefined<String>,
}

/// A GraphQL partial-update field as the operations' patch.
pub(crate) fn patch_of<T>(change: MaybeUndefined<T>) -> Patch<T> {
    match change {
        MaybeUndefined::Undefined => Patch::Keep,
        MaybeUndefined::Null => Patch::Clear,
        MaybeUndefined::Value(value) => Patch::Set(value),
    }
}

/// The result of `createPayor` and `updatePayor`.
#[derive(SimpleObject)]
pub struct PayorPayload {
    /// The payor as it is now.
    pub payor: Payor,
}

fn payor_not_found(payor_id: &str) -> ApiError {
    ApiError::NotFound(format!(
        "the customer has no payor with payorId {payor_id:?}"
    ))
}

/// Payor reads.
#[derive(Default)]
pub struct PayorQuery;

/// Payor reads.
#[Object]
impl PayorQuery {
    /// A customer's payor by the client's own ids. Another client's is NOT_FOUND.
    async fn payor(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The client's own id for the customer.")] customer_id: String,
        #[graphql(desc = "The client's own id for the payor.")] payor_id: String,
        #[graphql(desc = "The client's global id; required for the operator.")] client_id: Option<
            ID,
        >,
    ) -> ApiResult<Payor> {
        let rc = request(ctx)?;
        let customer = load_customer(rc, &customer_id, client_id.as_ref()).await?;
        let mut pooled = rc.db.read().await?;
        store::payors::find_by_external_id(
            &mut pooled.conn(),
            &rc.principal.scope(),
            customer.id,
            &payor_id,
        )
        .await?
        .map(Payor)
        .ok_or_else(|| payor_not_found(&payor_id))
    }
}

/// Payor changes.
#[derive(Default)]
pub struct PayorMutation;

/// Payor changes.
#[Object]
impl PayorMutation {
    /// Adds a payor to a customer whose status allows updates. ALREADY_EXISTS when the
    /// customer has a payor with that payorId.
    async fn create_payor(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The client's own id for the customer.")] customer_id: String,
        #[graphql(desc = "The payor.")] input: CreatePayorInput,
        #[graphql(
            desc = "Your key for this request (1 to 200 characters), per client: a retry with the same key and request returns the first payor."
        )]
        idempotency_key: Option<String>,
        #[graphql(desc = "The client's global id; required for the operator.")] client_id: Option<
            ID,
        >,
    ) -> ApiResult<PayorPayload> {
        let rc = request(ctx)?;
        let details = PayorDetails {
            first_name: input.first_name,
            middle_name: input.middle_name,
            last_name: input.last_name,
            company_name: input.company_name,
            email_address: input.email_address,
            phone_number: input.phone_number,
            state: input.state,
            country_code: input.country_code,
        };
        let input = create_payor::Input {
            customer_id,
            payor_id: input.payor_id,
            details,
            idempotency_key,
            client: client_of(client_id.as_ref())?,
        };
        Ok(PayorPayload {
            payor: Payor(create_payor::run(&rc.cx(), input).await?),
        })
    }

    /// Changes a payor's details (payorId stays). The result must still follow the payor
    /// rules; the customer's status must allow updates.
    async fn update_payor(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The client's own id for the customer.")] customer_id: String,
        #[graphql(desc = "The client's own id for the payor.")] payor_id: String,
        #[graphql(desc = "The changes.")] input: UpdatePayorInput,
        #[graphql(desc = "Refuse (CONFLICT) unless the payor is at this version.")]
        expected_version: Option<i64>,
        #[graphql(desc = "The client's global id; required for the operator.")] client_id: Option<
            ID,
        >,
    ) -> ApiResult<PayorPayload> {
        let rc = request(ctx)?;
        let changes = update_payor::Changes {
            first_name: patch_of(input.first_name),
            middle_name: patch_of(input.middle_name),
            last_name: patch_of(input.last_name),
            company_name: patch_of(input.company_name),
            email_address: patch_of(input.email_address),
            phone_number: patch_of(input.phone_number),
            state: patch_of(input.state),
            country_code: patch_of(input.country_code),
        };
        let input = update_payor::Input {
            customer_id,
            payor_id,
            changes,
            expected_version,
            client: client_of(client_id.as_ref())?,
        };
        Ok(PayorPayload {
            payor: Payor(update_payor::run(&rc.cx(), input).await?),
        })
    }
}
