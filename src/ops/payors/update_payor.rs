//! `updatePayor`: a payor's details changed (its payorId stays), still following the payor
//! rules, under the customer's update rule.

use crate::db::Conn;
use crate::domain::event::{Change, EventType, Happened, SubjectKind};
use crate::domain::ids::ClientId;
use crate::domain::patch::Patch;
use crate::domain::payor::PayorDetails;
use crate::ops::customers::{check_updatable, find_customer, locked_status};
use crate::ops::events;
use crate::ops::payors::not_found;
use crate::ops::uow;
use crate::ops::{Cx, OpError, OpResult};
use crate::store;
use crate::store::payors::Payor;

/// The changes to a payor's details; `country_code` cannot be cleared.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    pub first_name: Patch<String>,
    pub middle_name: Patch<String>,
    pub last_name: Patch<String>,
    pub company_name: Patch<String>,
    pub email_address: Patch<String>,
    pub phone_number: Patch<String>,
    pub state: Patch<String>,
    pub country_code: Patch<String>,
}

impl Changes {
    /// `details` with these changes; `BAD_USER_INPUT` when the country would be cleared.
    fn applied_to(self, mut details: PayorDetails) -> OpResult<PayorDetails> {
        match self.country_code {
            Patch::Clear => {
                return Err(OpError::bad_input(
                    "input.countryCode",
                    "is required and cannot be cleared",
                ));
            }
            Patch::Set(country) => details.country_code = country,
            Patch::Keep => {}
        }
        self.first_name.apply(&mut details.first_name);
        self.middle_name.apply(&mut details.middle_name);
        self.last_name.apply(&mut details.last_name);
        self.company_name.apply(&mut details.company_name);
        self.email_address.apply(&mut details.email_address);
        self.phone_number.apply(&mut details.phone_number);
        self.state.apply(&mut details.state);
        Ok(details)
    }
}

/// What `updatePayor` is given.
#[derive(Debug, Clone)]
pub struct Input {
    pub customer_id: String,
    pub payor_id: String,
    pub changes: Changes,
    /// Refuse (`CONFLICT`) unless the payor is at this version.
    pub expected_version: Option<i64>,
    pub client: Option<ClientId>,
}

/// Changes the payor; a change to nothing returns it as it is, writing nothing.
pub async fn run(cx: &Cx<'_>, input: Input) -> OpResult<Payor> {
    uow::unit!(cx, None, tx => update(tx, cx, &input).await)?.done()
}

async fn update(tx: &mut Conn<'_>, cx: &Cx<'_>, input: &Input) -> OpResult<Payor> {
    let customer = find_customer(tx, cx, &input.customer_id, input.client).await?;
    let scope = cx.scope();
    check_updatable(
        locked_status(tx, cx, customer.id, customer.client_id).await?,
        cx.principal.role(),
    )?;
    let current = store::payors::find_by_external_id(tx, &scope, customer.id, &input.payor_id)
        .await?
        .ok_or_else(|| not_found(&input.payor_id))?;
    if input.expected_version.is_some_and(|v| v != current.version) {
        return Err(store::StoreError::Conflict.into());
    }
    let details = input.changes.clone().applied_to(current.details())?;
    OpError::check(details.problems("input."))?;
    if details == current.details() {
        return Ok(current);
    }
    let fields = current.details().changed_fields(&details);
    let updated = store::payors::update(tx, &scope, &current, details, cx.now).await?;
    let happened = Happened::new(EventType::PayorUpdated, SubjectKind::Payor, updated.id.0)
        .customer(&customer.external_id)
        .changes(fields.iter().map(|f| Change::named(f)).collect());
    events::emit(tx, cx, updated.client_id, happened).await?;
    Ok(updated)
}
