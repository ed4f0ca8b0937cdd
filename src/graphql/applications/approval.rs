//! Approval: the application becomes APPROVED and its customer (ACTIVE), the customer's
//! people and default account are created, in one transaction.

use async_graphql::SimpleObject;
use chrono::Utc;

use super::review::{actor_of, guard_review};
use super::write_error;
use crate::db::types::Timestamp;
use crate::domain::application::{ApplicationStatus, CustomerDraft};
use crate::domain::ids::CustomerKey;
use crate::domain::status::CustomerStatus;
use crate::graphql::RequestContext;
use crate::graphql::error::{ApiError, ApiResult};
use crate::graphql::types::application::Application;
use crate::graphql::types::customer::Customer;
use crate::store;
use crate::store::accounts::Account;
use crate::store::applications::{Change, Onboarded};
use crate::store::customer_individuals::{Individual, IndividualId};
use crate::store::customers::{ChangeNote, Details};

/// The result of approving an application.
#[derive(SimpleObject)]
pub struct ApproveApplicationPayload {
    /// The application, APPROVED.
    pub application: Application,
    /// The customer it created (ACTIVE), with its default account.
    pub customer: Customer,
}

/// Approves: the customer (ACTIVE), its people and its default account are created with
/// the application's move to APPROVED, in one transaction.
pub(super) async fn approve(
    rc: &RequestContext,
    before: &store::applications::Application,
    reason: &str,
    start_review: bool,
) -> ApiResult<ApproveApplicationPayload> {
    guard_review(before.status, ApplicationStatus::Approved, start_review)?;
    let today = Utc::now().date_naive();
    let not_ready = |why: String| ApiError::Rule {
        code: "APPLICATION_REQUIREMENTS_NOT_MET",
        message: format!("the application cannot become a customer: {why}"),
    };
    let (details, errors) = match &before.draft.customer {
        CustomerDraft::Individual(d) => (Details::Individual(d.clone()), d.check("", today)),
        CustomerDraft::Corporation(d) => (Details::Corporation(d.clone()), d.check("", today)),
    };
    if let Some(first) = errors.first() {
        return Err(not_ready(format!("{}: {}", first.field, first.message)));
    }
    let Some(account) = &before.draft.account_to_open else {
        return Err(not_ready("accountToOpen is missing".into()));
    };
    let now = Timestamp::now();
    let customer = store::customers::Customer {
        id: CustomerKey::new(),
        client_id: before.client_id,
        external_id: before.customer_external_id.clone(),
        status: CustomerStatus::Active,
        details,
        accredited_investor: false,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    let people: Vec<Individual> = before
        .draft
        .individuals
        .iter()
        .map(|p| Individual {
            id: IndividualId::new(),
            customer_id: customer.id,
            client_id: customer.client_id,
            details: p.details.clone(),
            created_at: now,
            updated_at: now,
        })
        .collect();
    let default_account = Account::new_default(
        &customer,
        &account.account_id,
        account.product_id,
        &account.asset_type_id,
    );
    let history_reason = format!("onboarded through an approved application: {reason}");
    let mut pooled = rc.db.conn().await?;
    let approved = store::applications::approve(
        &mut pooled.conn(),
        &rc.principal.scope(),
        before,
        Onboarded {
            customer: &customer,
            people: &people,
            account: &default_account,
        },
        Change {
            actor: actor_of(rc),
            reason,
        },
        &ChangeNote {
            reason: &history_reason,
            updated_by: "application review",
            actor: actor_of(rc),
        },
        start_review,
        today,
    )
    .await
    .map_err(|e| write_error(e, &before.customer_external_id))?;
    Ok(ApproveApplicationPayload {
        application: Application::new(approved, rc.principal),
        customer: Customer(customer),
    })
}
