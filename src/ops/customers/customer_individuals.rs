//! `addCustomerIndividual` and `updateCustomerIndividual`: the people (officers, beneficial
//! owners, …) of a corporate customer. Every problem is reported at once (the input, the
//! person's rules, the owners' total); a change that changes nothing writes nothing; each
//! save bumps the customer's version by compare-and-set.

use crate::domain::customer::{IndividualType, PersonDetails, check_total_ownership};
use crate::domain::dormancy::Activity;
use crate::domain::ids::{ClientId, StatusHistoryId};
use crate::domain::validation::{FieldError, Problems};
use crate::ops::customers::activity;
use crate::ops::customers::{check_note, check_updatable, find_customer, lost_race};
use crate::ops::{Cx, OpError, OpResult};
use crate::ops::{events, uow};
use crate::store;
use crate::store::customer_individuals::{Individual, IndividualId};
use crate::store::customers::{ChangeLogEntry, Customer, Details};

/// The person's details a request gives, applied to what is stored (the empty person when
/// adding one): every problem of applying them, if any.
pub type PersonEdit = dyn Fn(&mut PersonDetails) -> Result<(), Vec<FieldError>> + Send + Sync;

/// What both operations are given.
pub struct Input<'a> {
    /// The client's own id of the corporate customer.
    pub customer_id: String,
    pub edit: &'a PersonEdit,
    pub reason: String,
    pub updated_by: String,
    pub client: Option<ClientId>,
}

/// Adds a person; the customer afterwards and the person.
pub async fn add(cx: &Cx<'_>, input: Input<'_>) -> OpResult<(Customer, Individual)> {
    let (customer, people) = load(cx, &input).await?;
    let mut problems = Problems::new();
    check_note(&mut problems, &input.reason, &input.updated_by);
    let mut details = PersonDetails::default();
    if let Err(errors) = (input.edit)(&mut details) {
        problems.extend(errors);
    }
    let person = Individual {
        id: IndividualId::new(),
        customer_id: customer.id,
        client_id: customer.client_id,
        details: details.normalise(),
        created_at: cx.now,
        updated_at: cx.now,
    };
    save(cx, &input, (customer, &people), person, None, problems).await
}

/// Changes the person `id` (from `Customer.individuals`): only what the edit gives changes.
pub async fn update(
    cx: &Cx<'_>,
    id: uuid::Uuid,
    input: Input<'_>,
) -> OpResult<(Customer, Individual)> {
    let (customer, people) = load(cx, &input).await?;
    let before = people
        .iter()
        .find(|p| p.id.0 == id)
        .cloned()
        .ok_or_else(|| {
            OpError::NotFound(format!(
                "no such individual on customer {:?}",
                input.customer_id
            ))
        })?;
    let mut problems = Problems::new();
    check_note(&mut problems, &input.reason, &input.updated_by);
    let mut person = before.clone();
    if let Err(errors) = (input.edit)(&mut person.details) {
        problems.extend(errors);
    }
    person.details = person.details.normalise();
    person.updated_at = cx.now;
    save(
        cx,
        &input,
        (customer, &people),
        person,
        Some(before),
        problems,
    )
    .await
}

/// The customer and its people as stored, read once on one connection.
async fn load(cx: &Cx<'_>, input: &Input<'_>) -> OpResult<(Customer, Vec<Individual>)> {
    let mut pooled = cx.db.read().await?;
    let mut conn = pooled.conn();
    let customer = find_customer(&mut conn, cx, &input.customer_id, input.client).await?;
    let people =
        store::customer_individuals::list_for_customers(&mut conn, &cx.scope(), &[customer.id])
            .await?;
    Ok((customer, people))
}

/// The shared path: kind and update rule, then every problem at once (input, the person's
/// rules, the ownership total), then the compare-and-set save. `people` are the customer's
/// as read; `before` is the person as stored, when changing one. The save's version check
/// refuses it when anything changed since that read.
async fn save(
    cx: &Cx<'_>,
    input: &Input<'_>,
    (customer, people): (Customer, &[Individual]),
    person: Individual,
    before: Option<Individual>,
    mut problems: Problems,
) -> OpResult<(Customer, Individual)> {
    if !matches!(customer.details, Details::Corporation(_)) {
        return Err(OpError::bad_input(
            "customerId",
            "only a corporate customer has individuals",
        ));
    }
    check_updatable(customer.status, cx.principal.role())?;
    problems.extend(person.details.check("input", cx.now.0.date_naive()));
    let owners = people
        .iter()
        .filter(|p| p.id != person.id)
        .map(|p| &p.details)
        .chain(std::iter::once(&person.details))
        .filter(|d| d.individual_type.contains(&IndividualType::BeneficialOwner))
        .filter_map(|d| d.ownership_basis_points);
    problems.extend(check_total_ownership("input.percentageOwnership", owners));
    OpError::check(problems.into_errors())?;
    if let Some(unchanged) = before.as_ref().filter(|b| b.details == person.details) {
        // Nothing differs: no write, no new version.
        return Ok((customer, unchanged.clone()));
    }
    let log = ChangeLogEntry {
        id: StatusHistoryId::new(),
        customer_id: customer.id,
        client_id: customer.client_id,
        version: customer.version + 1,
        changed_fields: format!("individuals.{}", person.id),
        reason: input.reason.clone(),
        updated_by: input.updated_by.clone(),
        actor: cx.principal.actor(),
        created_at: cx.now,
    };
    let replaces = before.is_some();
    let written = uow::unit!(cx, None, tx => {
        let scope = cx.scope();
        if !store::customers::bump_version(tx, &scope, &customer, &log).await? {
            return Err(lost_race(tx, cx, &customer).await);
        }
        if !store::customer_individuals::save(tx, &scope, &person, replaces).await? {
            return Err(OpError::NotFound(format!(
                "no such individual on customer {:?}",
                input.customer_id
            )));
        }
        let changed = Activity::DetailsChanged;
        activity::note(tx, cx, (customer.id, customer.client_id), changed).await?;
        let after = store::customers::find(tx, &scope, customer.id)
            .await?
            .ok_or_else(|| OpError::internal(&"the customer vanished inside its transaction"))?;
        let field = [format!("individuals.{}", person.id)];
        events::customer_updated(tx, cx, &after, &field, &input.reason).await?;
        OpResult::Ok(after)
    })?;
    written.done().map(|after| (after, person))
}
