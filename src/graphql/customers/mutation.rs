//! Customer changes: direct creation, partial updates, status changes, and the people of a
//! corporation. Each collects every problem of its input before refusing, and a change that
//! changes nothing writes nothing.

use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::Utc;

use super::{
    already_exists, check_external_id, check_note, guard_transition, guard_update, load_customer,
    transition_error,
};
use crate::db::types::Timestamp;
use crate::domain::client::Environment;
use crate::domain::customer::{IndividualType, check_total_ownership};
use crate::domain::ids::CustomerKey;
use crate::domain::status::CustomerStatus;
use crate::domain::validation::{FieldError, Problems};
use crate::graphql::RequestContext;
use crate::graphql::customer_inputs::{
    CreateCustomerInput, CustomerIndividualInput, CustomerIndividualPatch, UpdateCustomerInput,
};
use crate::graphql::error::{ApiError, ApiResult};
use crate::graphql::node::{self, NodeKind};
use crate::graphql::request;
use crate::graphql::types::customer::{Customer, CustomerIndividual};
use crate::store::customer_individuals::{Individual, IndividualId};
use crate::store::customers::{ChangeNote, Details, StatusChangeError};
use crate::store::{self, StoreError};

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
    ) -> ApiResult<CreateCustomerPayload> {
        let rc = request(ctx)?;
        let use_applications = |why: &str| ApiError::Rule {
            code: "DIRECT_CUSTOMER_CREATION_NOT_ALLOWED",
            message: format!(
                "{why}; onboard customers through applications (createApplication) instead"
            ),
        };
        let Some(client_id) = rc.principal.client_id() else {
            return Err(use_applications(
                "the operator does not create customers for clients directly",
            ));
        };
        let scope = rc.principal.scope();
        let mut pooled = rc.db.conn().await?;
        let conn = &mut pooled.conn();
        let client = store::clients::find(conn, &scope, client_id)
            .await?
            .ok_or_else(|| ApiError::internal(&"the caller's client row is missing"))?;
        if client.environment != Environment::Production || !client.regulated {
            return Err(use_applications(
                "only regulated clients in PRODUCTION may create customers directly",
            ));
        }

        let today = Utc::now().date_naive();
        let mut problems = Problems::new();
        check_external_id(&mut problems, "customerId", &input.customer_id);
        let account = &input.account_to_open;
        check_external_id(
            &mut problems,
            "accountToOpen.accountId",
            &account.account_id,
        );
        let asset_ok = account.asset_type_id.len() <= 64
            && account
                .asset_type_id
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
            && store::accounts::asset_type_decimals(conn, &account.asset_type_id)
                .await?
                .is_some();
        if !asset_ok {
            problems.add(
                "accountToOpen.assetTypeId",
                format!("{:?} is not a supported asset type", account.asset_type_id),
            );
        }
        let details = match (input.individual, input.corporation) {
            (Some(individual), None) => {
                let details: crate::domain::customer::IndividualDetails = individual.into();
                problems.extend(details.check("individual", today));
                Some(Details::Individual(details))
            }
            (None, Some(corporation)) => {
                let details: crate::domain::customer::CorporationDetails = corporation.into();
                problems.extend(details.check("corporation", today));
                Some(Details::Corporation(details))
            }
            _ => {
                problems.add(
                    "individual",
                    "give exactly one of individual or corporation",
                );
                None
            }
        };
        ApiError::check(problems.into_errors())?;
        let Some(details) = details else {
            return Err(ApiError::bad_input(
                "individual",
                "give exactly one of individual or corporation",
            ));
        };
        if store::customers::find_by_external_id(conn, &scope, client_id, &input.customer_id)
            .await?
            .is_some()
        {
            return Err(already_exists(
                "customers",
                &input.customer_id,
                &account.account_id,
            ));
        }
        if store::accounts::external_id_taken(conn, client_id, &account.account_id).await? {
            return Err(already_exists(
                "accounts",
                &input.customer_id,
                &account.account_id,
            ));
        }

        let now = Timestamp::now();
        let customer = store::customers::Customer {
            id: CustomerKey::new(),
            client_id,
            external_id: input.customer_id.clone(),
            status: CustomerStatus::Pending,
            details,
            accredited_investor: input.accredited_investor.unwrap_or(false),
            version: 1,
            created_at: now,
            updated_at: now,
        };
        let default_account = store::accounts::Account::new_default(
            &customer,
            &account.account_id,
            account.product_id,
            &account.asset_type_id,
        );
        let note = ChangeNote {
            reason: "created directly by a regulated client",
            updated_by: "api",
            actor: rc.principal.actor(),
        };
        match store::customers::create_with_account(
            conn,
            &scope,
            &customer,
            &default_account,
            &note,
        )
        .await
        {
            Ok(()) => Ok(CreateCustomerPayload {
                customer: Customer(customer),
            }),
            Err(StoreError::AlreadyExists(constraint)) => Err(already_exists(
                &constraint,
                &input.customer_id,
                &account.account_id,
            )),
            Err(other) => Err(other.into()),
        }
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
        let customer = load_customer(rc, &customer_id, client_id.as_ref()).await?;
        let role = rc.principal.role();
        guard_update(&customer, role)?;
        if expected_version.is_some_and(|v| v != customer.version) {
            return Err(StoreError::Conflict.into());
        }

        let mut problems = Problems::new();
        check_note(&mut problems, &reason, &updated_by);
        let mut updated = customer.clone();
        let mut changed = Vec::new();
        let kind_error = |field: &str, message: &str| {
            vec![FieldError {
                field: field.into(),
                message: message.into(),
            }]
        };
        let applied = match (&mut updated.details, input.individual, input.corporation) {
            (_, Some(_), Some(_)) => Err(kind_error(
                "individual",
                "give individual or corporation changes, not both",
            )),
            (Details::Individual(details), Some(patch), None) => patch.apply(details),
            (Details::Corporation(details), None, Some(patch)) => patch.apply(details),
            (Details::Corporation(_), Some(_), None) => {
                Err(kind_error("individual", "this customer is a corporation"))
            }
            (Details::Individual(_), None, Some(_)) => {
                Err(kind_error("corporation", "this customer is an individual"))
            }
            (_, None, None) => Ok(Vec::new()),
        };
        match applied {
            Ok(fields) => changed.extend(fields),
            Err(errors) => problems.extend(errors),
        }
        if let Some(flag) = input.accredited_investor
            && flag != updated.accredited_investor
        {
            updated.accredited_investor = flag;
            changed.push("accreditedInvestor".into());
        }
        let today = Utc::now().date_naive();
        problems.extend(match &updated.details {
            Details::Individual(d) => d.check("individual", today),
            Details::Corporation(d) => d.check("corporation", today),
        });
        ApiError::check(problems.into_errors())?;
        if changed.is_empty() {
            // Nothing differs from what is stored: no write, no new version.
            return Ok(UpdateCustomerPayload {
                customer: Customer(customer),
            });
        }
        let note = ChangeNote {
            reason: &reason,
            updated_by: &updated_by,
            actor: rc.principal.actor(),
        };
        let mut pooled = rc.db.conn().await?;
        let scope = rc.principal.scope();
        let saved = store::customers::update_details(
            &mut pooled.conn(),
            &scope,
            &updated,
            customer.version,
            &changed,
            role,
            &note,
        )
        .await?;
        Ok(UpdateCustomerPayload {
            customer: Customer(saved),
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
        let mut problems = Problems::new();
        check_note(&mut problems, &reason, &updated_by);
        check_external_id(&mut problems, "customerId", &customer_id);
        ApiError::check(problems.into_errors())?;
        let customer = load_customer(rc, &customer_id, client_id.as_ref()).await?;
        if status == CustomerStatus::Closed {
            // Overdue transfers' holds no longer count when the accounts are weighed.
            crate::ops::money::expire_transfers::settle_overdue_of_customer(&rc.cx(), customer.id)
                .await?;
        }
        // A stale version is a conflict first: the caller decided on a state that is gone.
        if expected_version.is_some_and(|v| v != customer.version) {
            return Err(StoreError::Conflict.into());
        }
        let role = rc.principal.role();
        guard_transition(customer.status, status, role)?;
        let note = ChangeNote {
            reason: &reason,
            updated_by: &updated_by,
            actor: rc.principal.actor(),
        };
        let mut pooled = rc.db.conn().await?;
        let scope = rc.principal.scope();
        match store::customers::change_status(
            &mut pooled.conn(),
            &scope,
            &customer,
            status,
            role,
            expected_version,
            &note,
        )
        .await
        {
            Ok(changed) => Ok(ChangeCustomerStatusPayload {
                customer: Customer(changed),
            }),
            Err(StatusChangeError::Rule(error)) => {
                Err(transition_error(customer.status, status, role, error))
            }
            Err(StatusChangeError::Store(error)) => Err(error.into()),
        }
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
        let customer = load_customer(rc, &customer_id, client_id.as_ref()).await?;
        let mut problems = Problems::new();
        check_note(&mut problems, &reason, &updated_by);
        let (details, errors) = input.into_details();
        problems.extend(errors);
        let now = Timestamp::now();
        let person = Individual {
            id: IndividualId::new(),
            customer_id: customer.id,
            client_id: customer.client_id,
            details,
            created_at: now,
            updated_at: now,
        };
        let change = PersonChange {
            reason: &reason,
            updated_by: &updated_by,
        };
        save_individual(rc, customer, person, None, change, problems).await
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
        let customer = load_customer(rc, &customer_id, client_id.as_ref()).await?;
        let mut pooled = rc.db.conn().await?;
        let people = store::customer_individuals::list_for_customers(
            &mut pooled.conn(),
            &rc.principal.scope(),
            &[customer.id],
        )
        .await?;
        drop(pooled);
        let before = people.into_iter().find(|p| p.id.0 == id).ok_or_else(|| {
            ApiError::NotFound(format!("no such individual on customer {customer_id:?}"))
        })?;
        let mut problems = Problems::new();
        check_note(&mut problems, &reason, &updated_by);
        let mut person = before.clone();
        if let Err(errors) = input.apply(&mut person.details) {
            problems.extend(errors);
        }
        person.details = person.details.normalise();
        person.updated_at = Timestamp::now();
        let change = PersonChange {
            reason: &reason,
            updated_by: &updated_by,
        };
        save_individual(rc, customer, person, Some(before), change, problems).await
    }
}

/// The shared path of adding and changing a person: kind and update guard, then every
/// problem at once (input, the person's rules, the ownership total), then the
/// compare-and-set save. `before` is the person as stored, when changing one.
async fn save_individual(
    rc: &RequestContext,
    customer: store::customers::Customer,
    person: Individual,
    before: Option<Individual>,
    change: PersonChange<'_>,
    mut problems: Problems,
) -> ApiResult<CustomerIndividualPayload> {
    if !matches!(customer.details, Details::Corporation(_)) {
        return Err(ApiError::bad_input(
            "customerId",
            "only a corporate customer has individuals",
        ));
    }
    let role = rc.principal.role();
    guard_update(&customer, role)?;
    let today = Utc::now().date_naive();
    problems.extend(person.details.check("input", today));
    let scope = rc.principal.scope();
    let mut pooled = rc.db.conn().await?;
    let others =
        store::customer_individuals::list_for_customers(&mut pooled.conn(), &scope, &[customer.id])
            .await?;
    let owners = others
        .iter()
        .filter(|p| p.id != person.id)
        .map(|p| &p.details)
        .chain(std::iter::once(&person.details))
        .filter(|d| d.individual_type.contains(&IndividualType::BeneficialOwner))
        .filter_map(|d| d.ownership_basis_points);
    problems.extend(check_total_ownership("input.percentageOwnership", owners));
    ApiError::check(problems.into_errors())?;
    let principal = rc.principal;
    if before.as_ref().is_some_and(|b| b.details == person.details) {
        // Nothing differs: no write, no new version.
        let unchanged = before.unwrap_or(person);
        return Ok(CustomerIndividualPayload {
            customer: Customer(customer),
            individual: CustomerIndividual::of_customer(unchanged, principal),
        });
    }
    let note = ChangeNote {
        reason: change.reason,
        updated_by: change.updated_by,
        actor: principal.actor(),
    };
    let replaces = before.is_some();
    let saved = store::customer_individuals::save(
        &mut pooled.conn(),
        &scope,
        &customer,
        &person,
        replaces,
        role,
        &note,
    )
    .await?;
    let customer = store::customers::find(&mut pooled.conn(), &scope, customer.id)
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(CustomerIndividualPayload {
        customer: Customer(customer),
        individual: CustomerIndividual::of_customer(saved, principal),
    })
}

/// Why and by whom a person changes.
struct PersonChange<'a> {
    reason: &'a str,
    updated_by: &'a str,
}
