//! `createPayor`: a person or a company who pays into a customer's accounts; with an
//! idempotency key a retry returns the first payor.

use crate::db::Conn;
use crate::domain::dormancy::Activity;
use crate::domain::event::{EventType, Happened, SubjectKind};
use crate::domain::ids::{ClientId, PayorKey};
use crate::domain::payor::PayorDetails;
use crate::domain::validation::{Problems, check_external_id};
use crate::ops::customers::{check_updatable, find_customer, locked_status};
use crate::ops::events;
use crate::ops::money::check_idempotency_key;
use crate::ops::uow::{self, Idempotency, Written};
use crate::ops::{Cx, OpError, OpResult};
use crate::store;
use crate::store::payors::Payor;

/// What `createPayor` is given.
#[derive(Debug, Clone)]
pub struct Input {
    /// The client's own id of the customer.
    pub customer_id: String,
    /// The client's own id of the payor, unique per customer.
    pub payor_id: String,
    pub details: PayorDetails,
    pub idempotency_key: Option<String>,
    /// The client whose customer it is (the operator must name it).
    pub client: Option<ClientId>,
}

/// Adds the payor.
pub async fn run(cx: &Cx<'_>, input: Input) -> OpResult<Payor> {
    let mut problems = Problems::new();
    check_external_id(&mut problems, "customerId", &input.customer_id);
    check_external_id(&mut problems, "input.payorId", &input.payor_id);
    problems.extend(input.details.problems("input."));
    if let Some(key) = &input.idempotency_key {
        check_idempotency_key(&mut problems, key);
    }
    OpError::check(problems.into_errors())?;
    let id = PayorKey::new();
    let key = Idempotency::optional(
        cx,
        input.idempotency_key.as_deref(),
        input.client,
        "createPayor",
        &[
            &input.customer_id,
            &input.payor_id,
            &format!("{:?}", input.details),
        ],
        id.0,
    )?;
    match uow::unit!(cx, key.as_ref(), tx => create(tx, cx, &input, id).await)? {
        Written::Done(payor) => Ok(payor),
        Written::Replayed(saved) => {
            let mut pooled = cx.db.conn().await?;
            store::payors::find_many(&mut pooled.conn(), &cx.scope(), &[PayorKey(saved)])
                .await?
                .pop()
                .ok_or_else(|| OpError::internal(&"a saved payor is missing"))
        }
    }
}

/// The body: the update rule on the customer's locked row, then the payor.
async fn create(tx: &mut Conn<'_>, cx: &Cx<'_>, input: &Input, id: PayorKey) -> OpResult<Payor> {
    let customer = find_customer(tx, cx, &input.customer_id, input.client).await?;
    check_updatable(
        locked_status(tx, cx, customer.id, customer.client_id).await?,
        cx.principal.role(),
    )?;
    let created = Activity::PayorCreated;
    crate::ops::customers::activity::note(tx, cx, (customer.id, customer.client_id), created)
        .await?;
    let details = input.details.clone();
    let payor = Payor {
        id,
        client_id: customer.client_id,
        customer_id: customer.id,
        external_id: input.payor_id.clone(),
        first_name: details.first_name,
        middle_name: details.middle_name,
        last_name: details.last_name,
        company_name: details.company_name,
        email_address: details.email_address,
        phone_number: details.phone_number,
        state: details.state,
        country_code: details.country_code,
        created_at: cx.now,
        updated_at: cx.now,
        version: 1,
    };
    match store::payors::insert(tx, &cx.scope(), &payor).await {
        Ok(()) => {
            let happened = Happened::new(EventType::PayorCreated, SubjectKind::Payor, payor.id.0)
                .customer(&customer.external_id);
            events::emit(tx, cx, payor.client_id, happened).await?;
            Ok(payor)
        }
        Err(store::StoreError::AlreadyExists(_)) => Err(OpError::AlreadyExists {
            message: format!(
                "the customer already has a payor with payorId {:?}",
                input.payor_id
            ),
            field: Some("input.payorId".into()),
        }),
        Err(error) => Err(error.into()),
    }
}
