//! `updateCustomer`: a partial change of a customer's details and flag, refused when its
//! status does not allow updates; a change that changes nothing writes nothing.

use crate::domain::dormancy::Activity;
use crate::domain::ids::{ClientId, StatusHistoryId};
use crate::domain::validation::{FieldError, Problems};
use crate::ops::customers::activity;
use crate::ops::customers::{check_details, check_note, check_updatable, find_customer, stale};
use crate::ops::{Cx, OpError, OpResult};
use crate::ops::{events, uow};
use crate::store;
use crate::store::customers::{ChangeLogEntry, Customer, Details};

/// The change a request asks for, applied to the stored details: the names of the fields
/// whose value it changed, or every problem of applying it.
pub type Edit = dyn Fn(&mut Details) -> Result<Vec<String>, Vec<FieldError>> + Send + Sync;

/// What `updateCustomer` is given.
pub struct Input<'a> {
    pub customer_id: String,
    /// The change of the details.
    pub edit: &'a Edit,
    pub accredited_investor: Option<bool>,
    pub reason: String,
    pub updated_by: String,
    pub expected_version: Option<i64>,
    pub client: Option<ClientId>,
}

/// Changes the customer; the customer as it is afterwards.
pub async fn run(cx: &Cx<'_>, input: Input<'_>) -> OpResult<Customer> {
    let mut problems = Problems::new();
    check_note(&mut problems, &input.reason, &input.updated_by);
    let before = {
        let mut pooled = cx.db.conn().await?;
        find_customer(&mut pooled.conn(), cx, &input.customer_id, input.client).await?
    };
    let role = cx.principal.role();
    check_updatable(before.status, role)?;
    stale(input.expected_version, before.version)?;
    let mut updated = before.clone();
    let mut changed = Vec::new();
    match (input.edit)(&mut updated.details) {
        Ok(fields) => changed.extend(fields),
        Err(errors) => problems.extend(errors),
    }
    if let Some(flag) = input.accredited_investor
        && flag != updated.accredited_investor
    {
        updated.accredited_investor = flag;
        changed.push("accreditedInvestor".into());
    }
    check_details(&mut problems, &updated.details, cx.now.0.date_naive());
    OpError::check(problems.into_errors())?;
    if changed.is_empty() {
        // Nothing differs from what is stored: no write, no new version.
        return Ok(before);
    }
    let log = ChangeLogEntry {
        id: StatusHistoryId::new(),
        customer_id: before.id,
        client_id: before.client_id,
        version: before.version + 1,
        changed_fields: changed.join(","),
        reason: input.reason.clone(),
        updated_by: input.updated_by.clone(),
        actor: cx.principal.actor(),
        created_at: cx.now,
    };
    let written = uow::unit!(cx, None, tx => {
        let scope = cx.scope();
        match store::customers::update_details(tx, &scope, &updated, before.version, &log).await? {
            Some(saved) => {
                events::customer_updated(tx, cx, &saved, &changed, &input.reason).await?;
                let changed = Activity::DetailsChanged;
                let noted = activity::note(tx, cx, (saved.id, saved.client_id), changed).await?;
                Ok(noted.unwrap_or(saved))
            }
            None => Err(crate::ops::customers::lost_race(tx, cx, &before).await),
        }
    })?;
    written.done()
}
