//! Customer queries and mutations. Every mutation checks the status rules first (the guard:
//! a fast, explained refusal) and the store enforces them again atomically.

use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::customer_inputs::{
    CreateCustomerInput, CustomerFilterInput, CustomerIndividualInput, CustomerIndividualPatch,
    CustomerOrderField, CustomerOrderInput, OrderDirection, UpdateCustomerInput,
};
use super::error::{ApiError, ApiResult};
use super::node::{self, NodeKind};
use super::pagination::{Direction, PageInfo, PageRequest, encode_cursor, page_of};
use super::types::customer::{Customer, CustomerIndividual};
use super::{RequestContext, request};
use crate::db::types::Timestamp;
use crate::domain::client::Environment;
use crate::domain::customer::{IndividualType, check_total_ownership};
use crate::domain::ids::{ClientId, CustomerKey};
use crate::domain::status::{
    CustomerStatus, Role, TransitionError, blocked_reason, check_transition,
};
use crate::domain::tenancy::{Principal, Scope};
use crate::domain::validation::{FieldError, Problems};
use crate::store::customer_individuals::{Individual, IndividualId};
use crate::store::customers::{
    ChangeNote, CustomerCursor, CustomerFilter, CustomerOrder, CustomerPage, Details,
    StatusChangeError,
};
use crate::store::{self, StoreError};

/// The rules for a client's own identifiers (`customerId`, `accountId`).
fn check_external_id(p: &mut Problems, field: &str, value: &str) {
    let ok_chars = value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c));
    if value.is_empty() || value.len() > 100 || !ok_chars {
        p.add(
            field,
            "must be 1 to 100 characters of letters, digits, '-', '_', '.' or ':'",
        );
    }
}

/// `reason` and `updatedBy`, which every change carries.
fn check_note(p: &mut Problems, reason: &str, updated_by: &str) {
    p.required_text("reason", reason, 500);
    p.required_text("updatedBy", updated_by, 200);
}

/// The client whose customers a request names: the caller's own, or for the operator the
/// `clientId` it must pass. `None` when a client names another client (it sees nothing).
fn target_client(principal: &Principal, client_id: Option<&ID>) -> ApiResult<Option<ClientId>> {
    let named = client_id
        .map(|id| node::decode_as(id, NodeKind::Client).map(ClientId))
        .transpose()?;
    match (principal.client_id(), named) {
        (Some(own), None) => Ok(Some(own)),
        (Some(own), Some(named)) => Ok((own == named).then_some(own)),
        (None, Some(named)) => Ok(Some(named)),
        (None, None) => Err(ApiError::bad_input(
            "clientId",
            "the operator must name the client whose customerId this is",
        )),
    }
}

fn not_found(customer_id: &str) -> ApiError {
    ApiError::NotFound(format!("no customer with customerId {customer_id:?}"))
}

/// Loads the customer a request names, or `NOT_FOUND` (also for another client's).
async fn load_customer(
    rc: &RequestContext,
    customer_id: &str,
    client_id: Option<&ID>,
) -> ApiResult<store::customers::Customer> {
    let Some(client) = target_client(&rc.principal, client_id)? else {
        return Err(not_found(customer_id));
    };
    let mut pooled = rc.db.conn().await?;
    store::customers::find_by_external_id(
        &mut pooled.conn(),
        &rc.principal.scope(),
        client,
        customer_id,
    )
    .await?
    .ok_or_else(|| not_found(customer_id))
}

/// The guard of every change to a customer's details: the status must allow updates by
/// this caller.
fn guard_update(customer: &store::customers::Customer, role: Role) -> ApiResult<()> {
    if customer.status.can_update(role) {
        return Ok(());
    }
    let why = blocked_reason(customer.status, role)
        .unwrap_or_else(|| format!("{} does not allow updates", customer.status));
    Err(ApiError::Rule {
        code: "CUSTOMER_CANNOT_BE_UPDATED",
        message: format!("customer cannot be updated: {why}"),
    })
}

/// The guard of a status change: the table, for this caller, explained.
fn guard_transition(from: CustomerStatus, to: CustomerStatus, role: Role) -> ApiResult<()> {
    check_transition(from, to, role).map_err(|error| transition_error(from, to, role, error))
}

fn transition_error(
    from: CustomerStatus,
    to: CustomerStatus,
    role: Role,
    error: TransitionError,
) -> ApiError {
    let allowed = match &error {
        TransitionError::Unchanged => from.allowed_next(role),
        TransitionError::NotAllowed { allowed } => allowed.clone(),
    };
    let message = match error {
        TransitionError::Unchanged => format!("the customer is already {from}"),
        TransitionError::NotAllowed { .. } => {
            let names: Vec<&str> = allowed.iter().map(|s| s.as_str()).collect();
            let why = blocked_reason(from, role)
                .map(|r| format!(" ({r})"))
                .unwrap_or_default();
            format!(
                "a customer cannot move from {from} to {to}{why}; allowed: [{}]",
                names.join(", ")
            )
        }
    };
    ApiError::InvalidStatusTransition {
        from,
        to,
        allowed,
        message,
    }
}

/// Maps a unique-key refusal on insert to the input field it concerns.
fn already_exists(constraint: &str, customer_id: &str, account_id: &str) -> ApiError {
    if constraint.contains("accounts") {
        ApiError::AlreadyExists {
            message: format!("an account with accountId {account_id:?} already exists"),
            field: Some("accountToOpen.accountId".into()),
        }
    } else {
        ApiError::AlreadyExists {
            message: format!("a customer with customerId {customer_id:?} already exists"),
            field: Some("customerId".into()),
        }
    }
}

/// Customer reads.
#[derive(Default)]
pub struct CustomerQuery;

/// Position of a customer in a listing (opaque to clients).
#[derive(Serialize, Deserialize)]
struct CursorData {
    /// `c`: by creation time, `i`: by customerId.
    o: char,
    v: String,
    k: uuid::Uuid,
}

impl CursorData {
    fn of(order: CustomerOrder, customer: &store::customers::Customer) -> Self {
        match order {
            CustomerOrder::CreatedAt => Self {
                o: 'c',
                v: customer.created_at.to_sqlite_text(),
                k: customer.id.0,
            },
            CustomerOrder::CustomerId => Self {
                o: 'i',
                v: customer.external_id.clone(),
                k: customer.id.0,
            },
        }
    }

    fn into_cursor(self, order: CustomerOrder) -> Option<CustomerCursor> {
        match (order, self.o) {
            (CustomerOrder::CreatedAt, 'c') => {
                let at = chrono::DateTime::parse_from_rfc3339(&self.v)
                    .ok()?
                    .with_timezone(&Utc);
                Some(CustomerCursor::CreatedAt(
                    Timestamp(at),
                    CustomerKey(self.k),
                ))
            }
            (CustomerOrder::CustomerId, 'i') => {
                Some(CustomerCursor::CustomerId(self.v, CustomerKey(self.k)))
            }
            _ => None,
        }
    }
}

/// Customer reads.
#[Object]
impl CustomerQuery {
    /// A customer by the client's own customerId. The operator names the client with
    /// `clientId`. Another client's customer is NOT_FOUND, like one that does not exist.
    async fn customer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The client's own id for the customer.")] customer_id: String,
        #[graphql(
            desc = "The client's global id; required for the operator, optional for a client."
        )]
        client_id: Option<ID>,
    ) -> ApiResult<Customer> {
        let rc = request(ctx)?;
        Ok(Customer(
            load_customer(rc, &customer_id, client_id.as_ref()).await?,
        ))
    }

    /// The caller's customers (the operator's: every client's, or one client's with
    /// `clientId`), filtered, in a stable order, one keyset page at a time.
    #[allow(clippy::too_many_arguments)]
    async fn customers(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which customers to list.")] filter: Option<CustomerFilterInput>,
        #[graphql(desc = "The order (default: creation time, oldest first).")] order_by: Option<
            CustomerOrderInput,
        >,
        #[graphql(
            desc = "At most this many customers from the start or after `after` (1 to 100; default 20)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Customers after this cursor.")] after: Option<String>,
        #[graphql(
            desc = "At most this many customers before `before` or from the end (1 to 100)."
        )]
        last: Option<i32>,
        #[graphql(desc = "Customers before this cursor.")] before: Option<String>,
        #[graphql(
            desc = "Only this client's customers (for the operator; a client always sees only its own)."
        )]
        client_id: Option<ID>,
    ) -> ApiResult<CustomerConnection> {
        let rc = request(ctx)?;
        let page = PageRequest::new(first, after, last, before)?;
        let order_by = order_by.unwrap_or_default();
        let order = match order_by.field {
            CustomerOrderField::CreatedAt => CustomerOrder::CreatedAt,
            CustomerOrderField::CustomerId => CustomerOrder::CustomerId,
        };
        let descending = order_by.direction == OrderDirection::Desc;
        let cursor_field = if page.direction == Direction::Forward {
            "after"
        } else {
            "before"
        };
        let position = page
            .decode_cursor::<CursorData>()?
            .map(|data| {
                data.into_cursor(order).ok_or_else(|| {
                    ApiError::bad_input(cursor_field, "this cursor belongs to another ordering")
                })
            })
            .transpose()?;

        let filter = filter.unwrap_or_default();
        let mut problems = Problems::new();
        problems.optional_text("filter.search", filter.search.as_deref(), 100);
        ApiError::check(problems.into_errors())?;
        let client_filter = match (&client_id, rc.principal.client_id()) {
            (None, _) => None,
            (Some(id), _) => match target_client(&rc.principal, Some(id))? {
                Some(client) => Some(client),
                None => return Ok(CustomerConnection::empty(rc.principal.scope())),
            },
        };
        let store_filter = CustomerFilter {
            client_id: client_filter,
            customer_type: filter.customer_type,
            statuses: filter.status,
            accredited_investor: filter.accredited_investor,
            created_at_or_after: filter.created_after.map(Timestamp::from_datetime),
            created_before: filter.created_before.map(Timestamp::from_datetime),
            search: filter
                .search
                .filter(|s| !s.trim().is_empty())
                .map(|s| s.trim().to_owned()),
        };
        let store_page = CustomerPage {
            order,
            // Reading backwards is reading the reverse order forwards, then flipping.
            descending: descending != (page.direction == Direction::Backward),
            after: position,
            limit: page.size + 1,
        };
        let scope = rc.principal.scope();
        let mut pooled = rc.db.conn().await?;
        let rows =
            store::customers::list(&mut pooled.conn(), &scope, &store_filter, &store_page).await?;
        let (items, page_info) = page_of(&page, rows, |c| encode_cursor(&CursorData::of(order, c)));
        Ok(CustomerConnection {
            edges: items
                .into_iter()
                .map(|(cursor, c)| CustomerEdge {
                    cursor,
                    node: Customer(c),
                })
                .collect(),
            page_info,
            filter: Some(store_filter),
            scope,
        })
    }
}

/// A customer in a page of customers.
#[derive(SimpleObject)]
pub struct CustomerEdge {
    /// Where this customer sits, for `after`/`before`.
    pub cursor: String,
    /// The customer.
    pub node: Customer,
}

/// A page of customers.
pub struct CustomerConnection {
    edges: Vec<CustomerEdge>,
    page_info: PageInfo,
    /// `None` when the caller may see nothing (so the count is zero).
    filter: Option<CustomerFilter>,
    scope: Scope,
}

impl CustomerConnection {
    fn empty(scope: Scope) -> Self {
        Self {
            edges: Vec::new(),
            page_info: PageInfo {
                has_next_page: false,
                has_previous_page: false,
                start_cursor: None,
                end_cursor: None,
            },
            filter: None,
            scope,
        }
    }
}

/// A page of customers, with the total across all pages.
#[Object]
impl CustomerConnection {
    /// The customers of this page.
    async fn edges(&self) -> &[CustomerEdge] {
        &self.edges
    }
    /// The customers of this page, without cursors.
    async fn nodes(&self) -> Vec<&Customer> {
        self.edges.iter().map(|e| &e.node).collect()
    }
    /// Where this page sits.
    async fn page_info(&self) -> &PageInfo {
        &self.page_info
    }
    /// How many customers pass the filter, across all pages (counted only when asked for).
    async fn total_count(&self, ctx: &Context<'_>) -> ApiResult<i64> {
        let Some(filter) = &self.filter else {
            return Ok(0);
        };
        let rc = request(ctx)?;
        let mut pooled = rc.db.conn().await?;
        Ok(store::customers::count_filtered(&mut pooled.conn(), &self.scope, filter).await?)
    }
}

/// The result of `createCustomer`.
#[derive(SimpleObject)]
pub struct CreateCustomerPayload {
    /// The new customer (PENDING), with its default account.
    pub customer: Customer,
}

/// The result of `updateCustomer`.
#[derive(SimpleObject)]
pub struct UpdateCustomerPayload {
    /// The customer after the change.
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
        if store::accounts::asset_type_decimals(conn, &account.asset_type_id)
            .await?
            .is_none()
        {
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
    #[allow(clippy::too_many_arguments)]
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
        let mut problems = Problems::new();
        check_note(&mut problems, &reason, &updated_by);
        ApiError::check(problems.into_errors())?;
        let customer = load_customer(rc, &customer_id, client_id.as_ref()).await?;
        guard_update(&customer, rc.principal.role())?;
        if expected_version.is_some_and(|v| v != customer.version) {
            return Err(StoreError::Conflict.into());
        }

        let mut updated = customer.clone();
        let mut changed = Vec::new();
        let mut errors: Vec<FieldError> = Vec::new();
        let today = Utc::now().date_naive();
        match (&mut updated.details, input.individual, input.corporation) {
            (_, Some(_), Some(_)) => errors.push(FieldError {
                field: "individual".into(),
                message: "give individual or corporation changes, not both".into(),
            }),
            (Details::Individual(details), Some(patch), None) => match patch.apply(details) {
                Ok(fields) => changed.extend(fields),
                Err(e) => errors.extend(e),
            },
            (Details::Corporation(details), None, Some(patch)) => match patch.apply(details) {
                Ok(fields) => changed.extend(fields),
                Err(e) => errors.extend(e),
            },
            (Details::Corporation(_), Some(_), None) => errors.push(FieldError {
                field: "individual".into(),
                message: "this customer is a corporation".into(),
            }),
            (Details::Individual(_), None, Some(_)) => errors.push(FieldError {
                field: "corporation".into(),
                message: "this customer is an individual".into(),
            }),
            (_, None, None) => {}
        }
        if let Some(flag) = input.accredited_investor {
            updated.accredited_investor = flag;
            changed.push("accreditedInvestor".into());
        }
        ApiError::check(errors)?;
        let errors = match &updated.details {
            Details::Individual(d) => d.check("individual", today),
            Details::Corporation(d) => d.check("corporation", today),
        };
        ApiError::check(errors)?;
        if changed.is_empty() {
            return Err(ApiError::bad_input(
                "input",
                "nothing to change: give at least one field",
            ));
        }
        let note = ChangeNote {
            reason: &reason,
            updated_by: &updated_by,
            actor: rc.principal.actor(),
        };
        let mut pooled = rc.db.conn().await?;
        let saved = store::customers::update_details(
            &mut pooled.conn(),
            &rc.principal.scope(),
            &updated,
            customer.version,
            &changed,
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
    #[allow(clippy::too_many_arguments)]
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
        ApiError::check(problems.into_errors())?;
        let customer = load_customer(rc, &customer_id, client_id.as_ref()).await?;
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
        match store::customers::change_status(
            &mut pooled.conn(),
            &rc.principal.scope(),
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
        let mut problems = Problems::new();
        check_note(&mut problems, &reason, &updated_by);
        let details = match input.into_details() {
            Ok(details) => Some(details),
            Err(error) => {
                problems.extend(vec![error]);
                None
            }
        };
        ApiError::check(problems.into_errors())?;
        let Some(details) = details else {
            return Err(ApiError::bad_input("input", "invalid person"));
        };
        let customer = load_customer(rc, &customer_id, client_id.as_ref()).await?;
        let now = Timestamp::now();
        let person = Individual {
            id: IndividualId::new(),
            customer_id: customer.id,
            client_id: customer.client_id,
            details,
            created_at: now,
            updated_at: now,
        };
        save_individual(rc, customer, person, false, &reason, &updated_by).await
    }

    /// Changes a person of a corporate customer: only the fields given change.
    #[allow(clippy::too_many_arguments)]
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
        let mut problems = Problems::new();
        check_note(&mut problems, &reason, &updated_by);
        ApiError::check(problems.into_errors())?;
        let id = uuid::Uuid::parse_str(&individual_id)
            .map(IndividualId)
            .map_err(|_| ApiError::bad_input("individualId", "not an individual id"))?;
        let customer = load_customer(rc, &customer_id, client_id.as_ref()).await?;
        let mut pooled = rc.db.conn().await?;
        let people = store::customer_individuals::list_for_customers(
            &mut pooled.conn(),
            &rc.principal.scope(),
            &[customer.id],
        )
        .await?;
        drop(pooled);
        let mut person = people.into_iter().find(|p| p.id == id).ok_or_else(|| {
            ApiError::NotFound(format!(
                "no individual {} on customer {customer_id:?}",
                individual_id.as_str()
            ))
        })?;
        input
            .apply(&mut person.details)
            .map_err(ApiError::BadUserInput)?;
        person.details = person.details.normalise();
        person.updated_at = Timestamp::now();
        save_individual(rc, customer, person, true, &reason, &updated_by).await
    }
}

/// The shared path of adding and changing a person: update guard, the person's rules, the
/// ownership total, then the compare-and-set save.
async fn save_individual(
    rc: &RequestContext,
    customer: store::customers::Customer,
    person: Individual,
    replaces: bool,
    reason: &str,
    updated_by: &str,
) -> ApiResult<CustomerIndividualPayload> {
    if !matches!(customer.details, Details::Corporation(_)) {
        return Err(ApiError::bad_input(
            "customerId",
            "only a corporate customer has individuals",
        ));
    }
    guard_update(&customer, rc.principal.role())?;
    let today = Utc::now().date_naive();
    let mut errors = person.details.check("input", today);
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
    errors.extend(check_total_ownership("input.percentageOwnership", owners));
    ApiError::check(errors)?;
    let note = ChangeNote {
        reason,
        updated_by,
        actor: rc.principal.actor(),
    };
    let saved = store::customer_individuals::save(
        &mut pooled.conn(),
        &scope,
        &customer,
        &person,
        replaces,
        &note,
    )
    .await?;
    let customer = store::customers::find(&mut pooled.conn(), &scope, customer.id)
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(CustomerIndividualPayload {
        customer: Customer(customer),
        individual: CustomerIndividual {
            person: saved,
            principal: rc.principal,
        },
    })
}
