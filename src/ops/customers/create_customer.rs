//! `createCustomer`: a regulated PRODUCTION client creates a customer (PENDING) and its
//! default account in one step, without an application; with an idempotency key a retry
//! returns the first customer.

use crate::db::Conn;
use crate::domain::account::ProductId;
use crate::domain::client::Environment;
use crate::domain::ids::{ClientId, CustomerKey};
use crate::domain::status::CustomerStatus;
use crate::domain::validation::{Problems, check_external_id};
use crate::ops::accounts::check_asset_type;
use crate::ops::customers::{already_exists, check_details};
use crate::ops::events;
use crate::ops::money::check_idempotency_key;
use crate::ops::uow::{self, Idempotency, Written};
use crate::ops::{Cx, OpError, OpResult};
use crate::store;
use crate::store::customers::{ChangeNote, Customer, Details};

/// What `createCustomer` is given.
#[derive(Debug, Clone)]
pub struct Input {
    /// The client's own id of the customer.
    pub customer_id: String,
    /// The individual's or the corporation's details; `None` when the request gave both or
    /// neither.
    pub details: Option<Details>,
    pub accredited_investor: bool,
    /// The default account: the client's own id, product and asset type.
    pub account_id: String,
    pub product_id: ProductId,
    pub asset_type_id: String,
    pub idempotency_key: Option<String>,
}

fn use_applications(why: &str) -> OpError {
    OpError::Rule {
        code: "DIRECT_CUSTOMER_CREATION_NOT_ALLOWED",
        message: format!(
            "{why}; onboard customers through applications (createApplication) instead"
        ),
    }
}

/// Creates the customer and its default account.
pub async fn run(cx: &Cx<'_>, input: Input) -> OpResult<Customer> {
    let Some(client_id) = cx.principal.client_id() else {
        return Err(use_applications(
            "the operator does not create customers for clients directly",
        ));
    };
    let client = {
        let mut pooled = cx.db.conn().await?;
        store::clients::find(&mut pooled.conn(), &cx.scope(), client_id)
            .await?
            .ok_or_else(|| OpError::internal(&"the caller's client row is missing"))?
    };
    if client.environment != Environment::Production || !client.regulated {
        return Err(use_applications(
            "only regulated clients in PRODUCTION may create customers directly",
        ));
    }
    let mut problems = Problems::new();
    check_external_id(&mut problems, "customerId", &input.customer_id);
    check_external_id(&mut problems, "accountToOpen.accountId", &input.account_id);
    check_asset_type(
        cx,
        &mut problems,
        "accountToOpen.assetTypeId",
        &input.asset_type_id,
    );
    match &input.details {
        Some(details) => check_details(&mut problems, details, cx.now.0.date_naive()),
        None => problems.add(
            "individual",
            "give exactly one of individual or corporation",
        ),
    }
    if let Some(key) = &input.idempotency_key {
        check_idempotency_key(&mut problems, key);
    }
    OpError::check(problems.into_errors())?;
    let id = CustomerKey::new();
    let accredited = if input.accredited_investor {
        "true"
    } else {
        "false"
    };
    // The request's content in full (Debug would mask the sensitive fields).
    let details = match &input.details {
        Some(Details::Individual(d)) => serde_json::to_string(d),
        Some(Details::Corporation(d)) => serde_json::to_string(d),
        None => Ok(String::new()),
    }
    .map_err(|e| OpError::internal(&e))?;
    let key = input.idempotency_key.as_deref().map(|key| {
        Idempotency::new(
            cx,
            client_id,
            key,
            "createCustomer",
            &[
                &input.customer_id,
                &details,
                accredited,
                &input.account_id,
                input.product_id.as_str(),
                &input.asset_type_id,
            ],
            id.0,
        )
    });
    match uow::unit!(cx, key.as_ref(), tx => create(tx, cx, &input, client_id, id).await)? {
        Written::Done(customer) => Ok(customer),
        Written::Replayed(saved) => {
            let mut pooled = cx.db.conn().await?;
            store::customers::find(&mut pooled.conn(), &cx.scope(), CustomerKey(saved))
                .await?
                .ok_or_else(|| OpError::internal(&"a saved customer is missing"))
        }
    }
}

/// The body: the client's customerIds locked (so the check across customers and open
/// applications cannot race), both checked, then the customer, its history and its account.
async fn create(
    tx: &mut Conn<'_>,
    cx: &Cx<'_>,
    input: &Input,
    client_id: ClientId,
    id: CustomerKey,
) -> OpResult<Customer> {
    let scope = cx.scope();
    let details = input.details.clone().ok_or_else(|| {
        OpError::bad_input(
            "individual",
            "give exactly one of individual or corporation",
        )
    })?;
    store::clients::lock_customer_ids(tx, client_id).await?;
    let taken = |table: &str| already_exists(table, &input.customer_id, &input.account_id);
    if store::customers::find_by_external_id(tx, &scope, client_id, &input.customer_id)
        .await?
        .is_some()
    {
        return Err(taken("customers"));
    }
    if store::applications::open_application_holds(tx, &scope, client_id, &input.customer_id)
        .await?
    {
        return Err(taken("applications"));
    }
    if store::accounts::external_id_taken(tx, client_id, &input.account_id).await? {
        return Err(taken("accounts"));
    }
    let customer = Customer {
        id,
        client_id,
        external_id: input.customer_id.clone(),
        status: CustomerStatus::Pending,
        details,
        accredited_investor: input.accredited_investor,
        version: 1,
        created_at: cx.now,
        updated_at: cx.now,
        last_activity_at: cx.now,
    };
    let account = crate::ops::accounts::default_account(
        &customer,
        &input.account_id,
        input.product_id,
        &input.asset_type_id,
    );
    let note = ChangeNote {
        reason: "created directly by a regulated client",
        updated_by: "api",
        actor: cx.principal.actor(),
    };
    let inserted = async {
        store::customers::insert(tx, &scope, &customer, &note).await?;
        store::accounts::insert(tx, &scope, &account).await
    };
    match inserted.await {
        Ok(()) => {
            events::customer_created(tx, cx, &customer).await?;
            events::account_opened(tx, cx, &account, &customer.external_id).await?;
            Ok(customer)
        }
        Err(store::StoreError::AlreadyExists(constraint)) => Err(taken(&constraint)),
        Err(other) => Err(other.into()),
    }
}
