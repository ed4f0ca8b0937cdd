//! Customer changes: direct creation, partial updates, status changes, and the people of a
//! corporation. Each maps its arguments to one operation in `ops::customers`.

use async_graphql::{Context, ID, Object, SimpleObject};

use super::target_client_id;
use crate::domain::status::CustomerStatus;
use crate::domain::validation::FieldError;
use crate::graphql::customer_inputs::{
    CreateCustomerInput, CustomerIndividualInput, CustomerIndividualPatch, UpdateCustomerInput,
};
use crate::graphql::error::{ApiError, ApiResult};
use crate::graphql::node::{self, NodeKind};
use crate::graphql::request;
use crate::graphql::types::customer::{Customer, CustomerIndividual};
use crate::ops::customers::{
    change_customer_status, create_customer, customer_individuals, update_customer,
};
use crate::store::customers::Details;

/// The result of `createCustomer`.
#[derive(SimpleObject)]
pub struct CreateCustomerPayload {
    /// The new customer (PENDING), with its default account.
    pub customer: Customer,
}

/// The result of `updateCustomer`.
#[derive(SimpleObject)]
pub struct UpdateCustomerPayload {
    /// The customer after the change (unchanged, with the same version, when the input
    /// changed nothing).
    pub customer: Customer,
}

/// The result of `changeCustomerStatus`.
#[derive(SimpleObject)]
pub struct ChangeCustomerStatusPayload {
    /// The customer in its new status.
    pub customer: Customer,
}

/// The result of `addCustomerIndividual` and `updateCustomerIndividual`.
#[derive(SimpleObject)]
pub struct CustomerIndividualPayload {
    /// The corporate customer after the change.
    pub customer: Customer,
    /// The person added or changed.
    pub individual: CustomerIndividual,
}

/// Customer changes.
#[derive(Default)]
pub struct CustomerMutation;

/// Customer changes.
#[Object]
impl CustomerMutation {
    /// Creates a customer (PENDING) and its default account in one step. Only regulated
    /// clients in PRODUCTION may; everyone else onboards customers through applications.
    async fn create_customer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The customer and its default account.")] input: CreateCustomerInput,
        #[graphql(
            desc = "Your key for this request (1 to 200 characters), per client: a retry with the same key and request returns the first customer."
        )]
        idempotency_key: Option<String>,
    ) -> ApiResult<CreateCustomerPayload> {
        let rc = request(ctx)?;
        let details = match (input.individual, input.corporation) {
            (Some(individual), None) => Some(Details::Individual(individual.into())),
            (None, Some(corporation)) => Some(Details::Corporation(corporation.into())),
            _ => None,
        };
        let account = input.account_to_open;
        let customer = create_customer::run(
            &rc.cx(),
            create_customer::Input {
                customer_id: input.customer_id,
                details,
                accredited_investor: input.accredited_investor.unwrap_or(false),
                account_id: account.account_id,
                product_id: account.product_id,
                asset_type_id: account.asset_type_id,
                idempotency_key,
            },
        )
        .await?;
        Ok(CreateCustomerPayload {
            customer: Customer(customer),
        })
    }

    /// Changes a customer's details: only the fields given change, an explicit null clears
    /// an optional field. Refused when the customer's status does not allow updates (CLOSED;
    /// `_L2F` for clients). With `expectedVersion`, refused with CONFLICT when stale.
    #[expect(clippy::too_many_arguments, reason = "one GraphQL argument each")]
    async fn update_customer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The client's own id for the customer.")] customer_id: String,
        #[graphql(desc = "The changes.")] input: UpdateCustomerInput,
        #[graphql(desc = "Who asks for the change (a person or system of yours).")]
        updated_by: String,
        #[graphql(desc = "Why (1 to 500 characters).")] reason: String,
        #[graphql(
            desc = "The version the change is based on; CONFLICT if the customer has changed since."
        )]
        expected_version: Option<i64>,
        #[graphql(desc = "The client's global id; required for the operator.")] client_id: Option<
            ID,
        >,
    ) -> ApiResult<UpdateCustomerPayload> {
        let rc = request(ctx)?;
        let (individual, corporation) = (input.individual, input.corporation);
        let kind_error = |field: &str, message: &str| {
            vec![FieldError {
                field: field.into(),
                message: message.into(),
            }]
        };
        let edit = move |details: &mut Details| match (details, &individual, &corporation) {
            (_, Some(_), Some(_)) => Err(kind_error(
                "individual",
                "give individual or corporation changes, not both",
            )),
            (Details::Individual(details), Some(patch), None) => patch.clone().apply(details),
            (Details::Corporation(details), None, Some(patch)) => patch.clone().apply(details),
            (Details::Corporation(_), Some(_), None) => {
                Err(kind_error("individual", "this customer is a corporation"))
            }
            (Details::Individual(_), None, Some(_)) => {
                Err(kind_error("corporation", "this customer is an individual"))
            }
            (_, None, None) => Ok(Vec::new()),
        };
        let customer = update_customer::run(
            &rc.cx(),
            update_customer::Input {
                customer_id,
                edit: &edit,
                accredited_investor: input.accredited_investor,
                reason,
                updated_by,
                expected_version,
                client: target_client_id(client_id.as_ref())?,
            },
        )
        .await?;
        Ok(UpdateCustomerPayload {
            customer: Customer(customer),
        })
    }

    /// Moves a customer to another status, along the status table. Refused with
    /// INVALID_STATUS_TRANSITION (and the statuses allowed instead, in `extensions`) when the
    /// table does not allow it for the caller; with CONFLICT when someone changed the
    /// customer first.
    #[expect(clippy::too_many_arguments, reason = "one GraphQL argument each")]
    async fn change_customer_status(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The client's own id for the customer.")] customer_id: String,
        #[graphql(desc = "The status to move to.")] status: CustomerStatus,
        #[graphql(desc = "Why (1 to 500 characters); kept in the status history.")] reason: String,
        #[graphql(desc = "Who asks for the change; kept in the status history.")]
        updated_by: String,
        #[graphql(
            desc = "The version the change is based on; CONFLICT if the customer has changed since."
        )]
        expected_version: Option<i64>,
        #[graphql(desc = "The client's global id; required for the operator.")] client_id: Option<
            ID,
        >,
    ) -> ApiResult<ChangeCustomerStatusPayload> {
        let rc = request(ctx)?;
        let customer = change_customer_status::run(
            &rc.cx(),
            change_customer_status::Input {
                customer_id,
                to: status,
                reason,
                updated_by,
                expected_version,
                client: target_client_id(client_id.as_ref())?,
            },
        )
        .await?;
        Ok(ChangeCustomerStatusPayload {
            customer: Customer(customer),
        })
    }

    /// Attaches a person (officer, beneficial owner, …) to a corporate customer. Beneficial
    /// owners of one corporation hold at most 100% together.
    async fn add_customer_individual(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The client's own id for the corporate customer.")] customer_id: String,
        #[graphql(desc = "The person.")] input: CustomerIndividualInput,
        #[graphql(desc = "Who asks for the change.")] updated_by: String,
        #[graphql(desc = "Why (1 to 500 characters).")] reason: String,
        #[graphql(desc = "The client's global id; required for the operator.")] client_id: Option<
            ID,
        >,
    ) -> ApiResult<CustomerIndividualPayload> {
        let rc = request(ctx)?;
        let edit = move |details: &mut _| {
            let (given, errors) = input.clone().into_details();
            *details = given;
            if errors.is_empty() {
                Ok(())
            } else {
                Err(errors)
            }
        };
        let (customer, person) = customer_individuals::add(
            &rc.cx(),
            customer_individuals::Input {
                customer_id,
                edit: &edit,
                reason,
                updated_by,
                client: target_client_id(client_id.as_ref())?,
            },
        )
        .await?;
        Ok(CustomerIndividualPayload {
            customer: Customer(customer),
            individual: CustomerIndividual::of_customer(person, rc.principal),
        })
    }

    /// Changes a person of a corporate customer: only the fields given change.
    #[expect(clippy::too_many_arguments, reason = "one GraphQL argument each")]
    async fn update_customer_individual(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The client's own id for the corporate customer.")] customer_id: String,
        #[graphql(desc = "The person's id, from `Customer.individuals`.")] individual_id: ID,
        #[graphql(desc = "The changes.")] input: CustomerIndividualPatch,
        #[graphql(desc = "Who asks for the change.")] updated_by: String,
        #[graphql(desc = "Why (1 to 500 characters).")] reason: String,
        #[graphql(desc = "The client's global id; required for the operator.")] client_id: Option<
            ID,
        >,
    ) -> ApiResult<CustomerIndividualPayload> {
        let rc = request(ctx)?;
        let id = node::decode_as(&individual_id, NodeKind::CustomerIndividual)
            .map_err(|_| ApiError::bad_input("individualId", "not a CustomerIndividual id"))?;
        let edit = move |details: &mut _| input.clone().apply(details);
        let (customer, person) = customer_individuals::update(
            &rc.cx(),
            id,
            customer_individuals::Input {
                customer_id,
                edit: &edit,
                reason,
                updated_by,
                client: target_client_id(client_id.as_ref())?,
            },
        )
        .await?;
        Ok(CustomerIndividualPayload {
            customer: Customer(customer),
            individual: CustomerIndividual::of_customer(person, rc.principal),
        })
    }
}
