//! `approveApplication`: an application in PROCESSING becomes APPROVED and its customer
//! (ACTIVE), the customer's people and its default account are created, in one transaction.
//! Of two concurrent approvals one wins; the other gets CONFLICT.

use crate::db::Conn;
use crate::domain::application::{ApplicationStatus, CustomerDraft};
use crate::domain::ids::{ApplicationId, CustomerKey};
use crate::domain::status::CustomerStatus;
use crate::ops::applications::review_application::{check_reason, for_review, record_review_start};
use crate::ops::applications::{
    changed_meanwhile, check_review, record, requirements_now, write_error,
};
use crate::ops::uow;
use crate::ops::{Cx, OpError, OpResult};
use crate::store;
use crate::store::accounts::Account;
use crate::store::customer_individuals::{Individual, IndividualId};
use crate::store::customers::{ChangeNote, Customer, Details};

/// Approves the application; it and the customer it created.
pub async fn run(
    cx: &Cx<'_>,
    id: ApplicationId,
    reason: &str,
    expected: Option<i64>,
) -> OpResult<(store::applications::Application, Customer)> {
    check_reason(reason)?;
    let before = for_review(cx, id, expected).await?;
    approve(cx, &before, reason, false).await
}

fn not_ready(why: String) -> OpError {
    OpError::Rule {
        code: "APPLICATION_REQUIREMENTS_NOT_MET",
        message: format!("the application cannot become a customer: {why}"),
    }
}

/// What approval creates from the application: the customer, its people, its account.
struct Onboarded {
    customer: Customer,
    people: Vec<Individual>,
    account: Account,
}

fn onboarded(cx: &Cx<'_>, before: &store::applications::Application) -> OpResult<Onboarded> {
    let today = cx.now.0.date_naive();
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
    let customer = Customer {
        id: CustomerKey::new(),
        client_id: before.client_id,
        external_id: before.customer_external_id.clone(),
        status: CustomerStatus::Active,
        details,
        accredited_investor: false,
        version: 1,
        created_at: cx.now,
        updated_at: cx.now,
        last_activity_at: cx.now,
    };
    let people = before
        .draft
        .individuals
        .iter()
        .map(|p| Individual {
            id: IndividualId::new(),
            customer_id: customer.id,
            client_id: customer.client_id,
            details: p.details.clone(),
            created_at: cx.now,
            updated_at: cx.now,
        })
        .collect();
    let account = crate::ops::accounts::default_account(
        &customer,
        &account.account_id,
        account.product_id,
        &account.asset_type_id,
    );
    Ok(Onboarded {
        customer,
        people,
        account,
    })
}

/// Approves the application read at `before` (through PROCESSING first when
/// `start_review`: the sandbox's simulated review). Approval needs every document the
/// application asks for (a refused or to-be-changed one blocks it); the files still awaiting
/// a verdict are approved with it.
pub async fn approve(
    cx: &Cx<'_>,
    before: &store::applications::Application,
    reason: &str,
    start_review: bool,
) -> OpResult<(store::applications::Application, Customer)> {
    let to = ApplicationStatus::Approved;
    check_review(before.status, to, start_review)?;
    let made = onboarded(cx, before)?;
    let written =
        uow::unit!(cx, None, tx => write(tx, cx, before, &made, reason, start_review).await)?;
    written.done().map(|after| (after, made.customer))
}

/// The body. The application is claimed first (its version bumped), so that of two
/// concurrent approvals the second waits for the first and then finds nothing to claim;
/// the customer is inserted before the application points at it.
async fn write(
    tx: &mut Conn<'_>,
    cx: &Cx<'_>,
    before: &store::applications::Application,
    made: &Onboarded,
    reason: &str,
    start_review: bool,
) -> OpResult<store::applications::Application> {
    let scope = cx.scope();
    let claimed = store::applications::Application {
        version: before.version + 1,
        updated_at: cx.now,
        ..before.clone()
    };
    if !store::applications::compare_and_set(tx, &scope, before, &claimed).await? {
        return Err(changed_meanwhile());
    }
    if !requirements_now(tx, before, &before.draft, cx.now.0.date_naive())
        .await?
        .documents_met()
    {
        return Err(OpError::Rule {
            code: "APPLICATION_REQUIREMENTS_NOT_MET",
            message: "a document the application needs is missing, rejected or to be changed; \
                      see requirements.documents"
                .into(),
        });
    }
    store::applications::approve_submitted(tx, before.id, cx.now).await?;
    if start_review {
        record_review_start(tx, cx, before, reason).await?;
    }
    let history = format!("onboarded through an approved application: {reason}");
    let note = ChangeNote {
        reason: &history,
        updated_by: "application review",
        actor: cx.principal.actor(),
    };
    let taken = |e| write_error(e, &before.customer_external_id);
    store::customers::insert(tx, &scope, &made.customer, &note)
        .await
        .map_err(taken)?;
    store::customer_individuals::insert_all(tx, &scope, &made.people).await?;
    store::accounts::insert(tx, &scope, &made.account)
        .await
        .map_err(taken)?;
    crate::ops::events::customer_created(tx, cx, &made.customer).await?;
    crate::ops::events::account_opened(tx, cx, &made.account, &made.customer.external_id).await?;
    let after = store::applications::Application {
        status: ApplicationStatus::Approved,
        customer_id: Some(made.customer.id),
        decision_reason: Some(reason.to_owned()),
        decided_at: Some(cx.now),
        ..claimed.clone()
    };
    if !store::applications::compare_and_set(tx, &scope, &claimed, &after).await? {
        return Err(changed_meanwhile());
    }
    let from = if start_review {
        ApplicationStatus::Processing
    } else {
        before.status
    };
    record(tx, cx, &after, Some(from), reason).await?;
    Ok(after)
}
