//! `createApplication`: the client starts onboarding a customer. The application is
//! INCOMPLETE until every requirement is met, then READY_FOR_SUBMISSION by itself; with an
//! idempotency key a retry returns the first application.

use crate::db::Conn;
use crate::domain::application::{AccountToOpen, ApplicationStatus, ApplicationType, Draft};
use crate::domain::ids::{ApplicationId, ClientId};
use crate::domain::validation::{Problems, check_external_id};
use crate::ops::applications::update_application::{DetailsEdit, apply_details, check_account};
use crate::ops::applications::{
    check_customer_id_free, client_only, history_entry, requirements_now, write_error,
};
use crate::ops::money::check_idempotency_key;
use crate::ops::uow::{self, Idempotency, Written};
use crate::ops::{Cx, OpError, OpResult};
use crate::store;
use crate::store::applications::Application;

/// What `createApplication` is given.
pub struct Input<'a> {
    /// The future customer's own id.
    pub customer_id: String,
    pub application_type: ApplicationType,
    /// The customer's details as far as known.
    pub customer_details: Option<&'a DetailsEdit>,
    pub account_to_open: Option<AccountToOpen>,
    pub terms_and_conditions_accepted: bool,
    pub idempotency_key: Option<String>,
}

/// Creates the application.
pub async fn run(cx: &Cx<'_>, input: Input<'_>) -> OpResult<Application> {
    let client = client_only(cx.principal)?;
    let mut problems = Problems::new();
    check_external_id(&mut problems, "customerId", &input.customer_id);
    let mut draft = Draft::empty(input.application_type);
    if let Some(edit) = input.customer_details {
        apply_details(&mut draft, edit, "customerDetails", &mut problems, cx);
    }
    if let Some(account) = &input.account_to_open {
        check_account(cx, &mut problems, account);
    }
    draft.account_to_open = input.account_to_open.clone();
    draft.terms_and_conditions_accepted = input.terms_and_conditions_accepted;
    if let Some(key) = &input.idempotency_key {
        check_idempotency_key(&mut problems, key);
    }
    OpError::check(problems.into_errors())?;
    // An access token limited to customers onboards only those.
    crate::ops::clients::access_tokens::check_customer(
        cx,
        &input.customer_id,
        input.account_to_open.as_ref(),
    )
    .await?;
    let new = Application {
        id: ApplicationId::new(),
        client_id: client,
        customer_external_id: input.customer_id.clone(),
        status: ApplicationStatus::Incomplete,
        draft,
        customer_id: None,
        decision_reason: None,
        version: 1,
        created_at: cx.now,
        updated_at: cx.now,
        submitted_at: None,
        decided_at: None,
    };
    let key = match &input.idempotency_key {
        Some(key) => Some(idempotency(cx, client, key, &new)?),
        None => None,
    };
    match uow::unit!(cx, key.as_ref(), tx => create(tx, cx, &new).await)? {
        Written::Done(created) => Ok(created),
        Written::Replayed(saved) => {
            let mut pooled = cx.db.conn().await?;
            store::applications::find(&mut pooled.conn(), &cx.scope(), ApplicationId(saved))
                .await?
                .ok_or_else(|| OpError::internal(&"a saved application is missing"))
        }
    }
}

/// The key, over the request's whole content (the details as JSON: Debug would mask the
/// sensitive fields).
fn idempotency(
    cx: &Cx<'_>,
    client: ClientId,
    key: &str,
    new: &Application,
) -> OpResult<Idempotency> {
    let details = serde_json::to_string(&new.draft.customer).map_err(|e| OpError::internal(&e))?;
    let account = new
        .draft
        .account_to_open
        .as_ref()
        .map(|a| {
            format!(
                "{}\n{}\n{}",
                a.account_id,
                a.product_id.as_str(),
                a.asset_type_id
            )
        })
        .unwrap_or_default();
    let terms = if new.draft.terms_and_conditions_accepted {
        "true"
    } else {
        "false"
    };
    Ok(Idempotency::new(
        cx,
        client,
        key,
        "createApplication",
        &[
            &new.customer_external_id,
            new.application_type().as_str(),
            &details,
            &account,
            terms,
        ],
        new.id.0,
    ))
}

/// The body: the client's customerIds locked and checked, then the application, settled
/// from its requirements, with its first history entry.
async fn create(tx: &mut Conn<'_>, cx: &Cx<'_>, new: &Application) -> OpResult<Application> {
    store::clients::lock_customer_ids(tx, new.client_id).await?;
    check_customer_id_free(tx, cx, new.client_id, &new.customer_external_id).await?;
    let met = requirements_now(tx, new, &new.draft, cx.now.0.date_naive())
        .await?
        .met();
    let created = Application {
        status: crate::domain::application::settle(new.status, met),
        ..new.clone()
    };
    let entry = history_entry(cx, &created, None, "createApplication");
    store::applications::insert(tx, &cx.scope(), &created, &entry)
        .await
        .map_err(|e| write_error(e, &new.customer_external_id))?;
    crate::ops::events::application_moved(tx, cx, &created, None, "createApplication").await?;
    Ok(created)
}
