//! Applications: one module per step of onboarding, and what the steps share — finding the
//! application, who may act, the lifecycle's refusals, the requirements as stored now, and
//! the edit that settles the status from them.

pub mod application_individuals;
pub mod approve_application;
pub mod create_application;
pub mod review_application;
pub mod review_document;
pub mod simulate_decision;
pub mod submit_application;
pub mod update_application;
pub mod upload_document;

use chrono::NaiveDate;

use crate::db::Conn;
use crate::domain::application::requirements::{self, Requirements};
use crate::domain::application::{ApplicationStatus, Draft, Mover, change_requests, check_move};
use crate::domain::client::Actor;
use crate::domain::ids::{ApplicationId, ApplicationIndividualId, ClientId, StatusHistoryId};
use crate::domain::tenancy::Principal;
use crate::ops::{Cx, OpError, OpResult};
use crate::store;
use crate::store::applications::{Application, StatusChange};

/// The most people one application may hold (officers, owners…): far above what real
/// corporations need, low enough to keep every edit's requirements cheap.
pub const MAX_INDIVIDUALS: usize = 50;

/// The longest reviewer's reason: the histories keep 500 characters, and the server prefixes
/// some reasons (e.g. "sandbox simulation: ").
pub const REASON_MAX: usize = 400;

/// Applications are the client's: the operator reviews them but does not write them.
pub fn client_only(principal: &Principal) -> OpResult<ClientId> {
    principal.client_id().ok_or_else(|| {
        OpError::Forbidden(
            "applications are created, edited and submitted by the client that onboards the \
             customer"
                .into(),
        )
    })
}

/// Reviewing is the platform's.
pub fn operator_only(principal: &Principal) -> OpResult<()> {
    if principal.is_operator() {
        Ok(())
    } else {
        Err(OpError::Forbidden(
            "only the platform reviews applications (a SANDBOX client may use \
             simulateApplicationDecision)"
                .into(),
        ))
    }
}

/// The application `id` names, or `NOT_FOUND` (also for another client's).
pub async fn find_application(
    conn: &mut Conn<'_>,
    cx: &Cx<'_>,
    id: ApplicationId,
) -> OpResult<Application> {
    store::applications::find(conn, &cx.scope(), id)
        .await?
        .ok_or_else(|| OpError::NotFound("no application with this id".into()))
}

/// [`find_application`] on a connection of its own, at the expected version.
pub async fn load(cx: &Cx<'_>, id: ApplicationId, expected: Option<i64>) -> OpResult<Application> {
    let mut pooled = cx.db.conn().await?;
    let application = find_application(&mut pooled.conn(), cx, id).await?;
    check_version(&application, expected)?;
    Ok(application)
}

/// Refuses a stale change when the caller says which version it read.
pub fn check_version(application: &Application, expected: Option<i64>) -> OpResult<()> {
    match expected {
        Some(v) if v != application.version => Err(OpError::Conflict(format!(
            "the application is at version {}, not {v}; read it again",
            application.version
        ))),
        _ => Ok(()),
    }
}

/// The edit rule: INCOMPLETE, READY_FOR_SUBMISSION and CHANGES_REQUESTED allow edits.
pub fn check_editable(status: ApplicationStatus) -> OpResult<()> {
    if status.editable() {
        return Ok(());
    }
    Err(OpError::Rule {
        code: "APPLICATION_NOT_EDITABLE",
        message: format!(
            "an application in {status} cannot be edited; edits are allowed in INCOMPLETE, \
             READY_FOR_SUBMISSION and CHANGES_REQUESTED"
        ),
    })
}

/// The client's application for an edit: its own, at the expected version, editable.
pub async fn editable(
    cx: &Cx<'_>,
    id: ApplicationId,
    expected: Option<i64>,
) -> OpResult<Application> {
    client_only(cx.principal)?;
    let application = load(cx, id, expected).await?;
    check_editable(application.status)?;
    Ok(application)
}

/// The lifecycle rule for one move by `mover`, refused with the statuses it may move to
/// instead (`INVALID_STATUS_TRANSITION`, the one shape of that code).
pub fn check_lifecycle(
    from: ApplicationStatus,
    to: ApplicationStatus,
    mover: Mover,
) -> OpResult<()> {
    check_move(from, to, mover).map_err(|allowed| {
        let names: Vec<&'static str> = allowed.iter().map(|s| s.as_str()).collect();
        let hint = match (from, to) {
            (ApplicationStatus::Incomplete, ApplicationStatus::Submitted)
            | (ApplicationStatus::ChangesRequested, ApplicationStatus::Submitted) => {
                "; the application moves to READY_FOR_SUBMISSION by itself once every \
                 requirement is met (see requirements)"
            }
            _ => "",
        };
        OpError::InvalidStatusTransition {
            from: from.as_str(),
            to: to.as_str(),
            message: format!(
                "an application cannot move from {from} to {to} here; allowed: [{}]{hint}",
                names.join(", ")
            ),
            allowed: names,
        }
    })
}

/// The reviewer's move to `to`, through PROCESSING first when `start_review` (the sandbox's
/// simulated review, which must not stop half-way).
pub fn check_review(
    from: ApplicationStatus,
    to: ApplicationStatus,
    start_review: bool,
) -> OpResult<()> {
    if start_review {
        check_lifecycle(from, ApplicationStatus::Processing, Mover::Reviewer)?;
        check_lifecycle(ApplicationStatus::Processing, to, Mover::Reviewer)
    } else {
        check_lifecycle(from, to, Mover::Reviewer)
    }
}

/// The requirements of `draft` of `application` as stored now (its documents, and whether
/// its account's id is taken, read in `tx`).
pub async fn requirements_now(
    tx: &mut Conn<'_>,
    application: &Application,
    draft: &Draft,
    today: NaiveDate,
) -> OpResult<Requirements> {
    let documents = store::applications::states(tx, application.id).await?;
    let account_id_taken = match &draft.account_to_open {
        Some(account) => {
            store::accounts::external_id_taken(tx, application.client_id, &account.account_id)
                .await?
        }
        None => false,
    };
    Ok(requirements::requirements(
        draft,
        &requirements::Context {
            application: application.id,
            documents: &documents,
            account_id_taken,
            today,
        },
    ))
}

/// Appends the history entry of `application`'s move (to its status) from `from`.
pub async fn record(
    tx: &mut Conn<'_>,
    cx: &Cx<'_>,
    application: &Application,
    from: Option<ApplicationStatus>,
    reason: &str,
) -> OpResult<()> {
    let entry = history_entry(cx, application, from, reason);
    store::applications::record(tx, &entry).await?;
    crate::ops::events::application_moved(tx, cx, application, from, reason).await
}

/// The history entry of a move of `application` (to its status) from `from`.
pub fn history_entry(
    cx: &Cx<'_>,
    application: &Application,
    from: Option<ApplicationStatus>,
    reason: &str,
) -> StatusChange {
    StatusChange {
        id: StatusHistoryId::new(),
        application_id: application.id,
        client_id: application.client_id,
        from_status: from,
        to_status: application.status,
        actor: actor(cx),
        reason: reason.to_owned(),
        created_at: cx.now,
    }
}

/// Who acts: the client, or the operator (the sandbox's simulated review acts as the client).
pub fn actor(cx: &Cx<'_>) -> Actor {
    cx.principal.actor()
}

/// `CONFLICT` after a compare-and-set on an application matched nothing.
pub fn changed_meanwhile() -> OpError {
    store::StoreError::Conflict.into()
}

/// Refuses a `customerId` a customer of the client holds (an open application's is refused
/// by its partial unique index). Call inside the transaction, after
/// `clients::lock_customer_ids`.
pub async fn check_customer_id_free(
    tx: &mut Conn<'_>,
    cx: &Cx<'_>,
    client: ClientId,
    customer_id: &str,
) -> OpResult<()> {
    let scope = cx.scope();
    let customer = store::customers::find_by_external_id(tx, &scope, client, customer_id).await?;
    if customer.is_some() {
        return Err(customer_id_taken(customer_id));
    }
    Ok(())
}

fn customer_id_taken(customer_id: &str) -> OpError {
    OpError::AlreadyExists {
        message: format!(
            "customerId {customer_id:?} belongs to a customer or an open application already"
        ),
        field: Some("customerId".into()),
    }
}

/// Maps a unique-key refusal of an application write to the input it concerns.
pub fn write_error(error: store::StoreError, customer_id: &str) -> OpError {
    match error {
        store::StoreError::AlreadyExists(constraint)
            if constraint.contains("applications") && constraint.contains("account") =>
        {
            OpError::AlreadyExists {
                message: "another open application of this client will open an account with \
                          this accountId"
                    .into(),
                field: Some("accountToOpen.accountId".into()),
            }
        }
        store::StoreError::AlreadyExists(constraint) if constraint.contains("account") => {
            OpError::AlreadyExists {
                message: "the accountToOpen's accountId is already an account of this client"
                    .into(),
                field: Some("accountToOpen.accountId".into()),
            }
        }
        store::StoreError::AlreadyExists(_) => customer_id_taken(customer_id),
        other => other.into(),
    }
}

/// Writes an edit of the editable application read at `before`, inside the transaction: the
/// new draft (and customerId), answered change requests cleared, a removed person's files
/// deleted, approved files of changed people reopened, the status settled from the
/// requirements, a compare-and-set on the version it was read at, and a history entry when
/// the status moved.
pub async fn write_edit(
    tx: &mut Conn<'_>,
    cx: &Cx<'_>,
    before: &Application,
    customer_id: &str,
    mut draft: Draft,
    reason: &str,
) -> OpResult<Application> {
    check_editable(before.status)?;
    if draft.individuals.len() > MAX_INDIVIDUALS {
        return Err(OpError::Rule {
            code: "TOO_MANY_INDIVIDUALS",
            message: format!("an application holds at most {MAX_INDIVIDUALS} people"),
        });
    }
    let scope = cx.scope();
    let write = |e| write_error(e, customer_id);
    if customer_id != before.customer_external_id {
        store::clients::lock_customer_ids(tx, before.client_id).await?;
        check_customer_id_free(tx, cx, before.client_id, customer_id).await?;
    }
    change_requests::clear_answered(&before.draft, &mut draft);
    let removed: Vec<ApplicationIndividualId> = before
        .draft
        .individuals
        .iter()
        .map(|p| p.id)
        .filter(|id| draft.person(*id).is_none())
        .collect();
    if !removed.is_empty() {
        store::applications::remove_of_people(tx, before.id, &removed).await?;
    }
    let applicant_changed = draft.customer != before.draft.customer;
    let people_changed: Vec<ApplicationIndividualId> = draft
        .individuals
        .iter()
        .filter(|p| {
            before
                .draft
                .person(p.id)
                .is_some_and(|old| old.details != p.details)
        })
        .map(|p| p.id)
        .collect();
    if applicant_changed || !people_changed.is_empty() {
        store::applications::reopen_approved(tx, before.id, applicant_changed, &people_changed)
            .await?;
    }
    let met = requirements_now(tx, before, &draft, cx.now.0.date_naive())
        .await?
        .met();
    let after = Application {
        customer_external_id: customer_id.to_owned(),
        status: crate::domain::application::settle(before.status, met),
        draft,
        version: before.version + 1,
        updated_at: cx.now,
        ..before.clone()
    };
    if !store::applications::compare_and_set(tx, &scope, before, &after)
        .await
        .map_err(write)?
    {
        return Err(changed_meanwhile());
    }
    if after.status != before.status {
        let why = if met {
            "every requirement is met"
        } else {
            "a requirement is no longer met"
        };
        record(
            tx,
            cx,
            &after,
            Some(before.status),
            &format!("{reason}: {why}"),
        )
        .await?;
    }
    Ok(after)
}

/// Saves an edit of `before` as one unit of work, unless it changes nothing.
pub async fn save_edit(
    cx: &Cx<'_>,
    before: Application,
    customer_id: String,
    draft: Draft,
    reason: &str,
) -> OpResult<Application> {
    if draft == before.draft && customer_id == before.customer_external_id {
        return Ok(before);
    }
    let written = crate::ops::uow::unit!(cx, None, tx => {
        write_edit(tx, cx, &before, &customer_id, draft.clone(), reason).await
    })?;
    written.done()
}
