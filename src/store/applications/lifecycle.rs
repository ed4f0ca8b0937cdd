//! Moves of the application lifecycle (submit, review, decisions) and approval, which
//! creates the customer, its people and its default account in the same transaction. The
//! lifecycle table is checked here as well as in the API's guards, and every move is a
//! compare-and-set on the status and version it was read at.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::row::ApplicationRow;
use super::{Application, Change, record, requirements_of};
use crate::db::schema::{application_documents, application_status_history, applications};
use crate::db::types::Timestamp;
use crate::db::{Conn, dispatch, write_tx};
use crate::domain::application::documents::DocumentStatus;
use crate::domain::application::{ApplicationStatus, ChangeRequest, Mover, check_move};
use crate::domain::client::Actor;
use crate::domain::ids::{ApplicationId, ClientId, DocumentId, StatusHistoryId};
use crate::domain::tenancy::Scope;
use crate::store::accounts::Account;
use crate::store::customer_individuals::Individual;
use crate::store::customers::{ChangeNote, Customer};
use crate::store::{StoreError, ensure_in_scope, scoped};

/// One entry of an application's append-only status history.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = application_status_history)]
pub struct StatusChange {
    pub id: StatusHistoryId,
    pub application_id: ApplicationId,
    pub client_id: ClientId,
    pub from_status: Option<ApplicationStatus>,
    pub to_status: ApplicationStatus,
    pub actor: Actor,
    pub reason: String,
    pub created_at: Timestamp,
}

/// The status histories of these applications, each oldest first.
pub async fn status_history(
    conn: &mut Conn<'_>,
    scope: &Scope,
    ids: &[ApplicationId],
) -> Result<Vec<StatusChange>, StoreError> {
    let rows = dispatch!(conn, c => {
        scoped!(application_status_history::table, application_status_history::client_id, scope)
            .filter(application_status_history::application_id.eq_any(ids))
            .order((
                application_status_history::created_at.asc(),
                application_status_history::id.asc(),
            ))
            .select(StatusChange::as_select())
            .load(c)
            .await?
    });
    Ok(rows)
}

/// The reviewer's change requests: fields to change and documents to replace.
#[derive(Debug, Clone, Default)]
pub struct ChangesRequested {
    pub fields: Vec<ChangeRequest>,
    pub documents: Vec<(DocumentId, String)>,
}

fn refused(
    from: ApplicationStatus,
    to: ApplicationStatus,
    allowed: &[ApplicationStatus],
) -> StoreError {
    let names: Vec<&str> = allowed.iter().map(|s| s.as_str()).collect();
    StoreError::NotAllowed {
        code: "INVALID_STATUS_TRANSITION",
        message: format!(
            "an application cannot move from {from} to {to} here; allowed: [{}]",
            names.join(", ")
        ),
    }
}

/// One move of the lifecycle, as the client or the reviewer asks for it.
pub struct Move<'a> {
    pub to: ApplicationStatus,
    pub mover: Mover,
    pub change: Change<'a>,
    /// The reviewer's requests, when `to` is CHANGES_REQUESTED.
    pub changes: Option<ChangesRequested>,
    /// Take a SUBMITTED application into review (PROCESSING) first, in the same
    /// transaction: the sandbox's simulated review, which must not stop half-way.
    pub start_review: bool,
}

/// The status the decision moves from: `from`, or PROCESSING when the move starts the
/// review first; each step checked against the lifecycle.
fn decided_from(
    from: ApplicationStatus,
    to: ApplicationStatus,
    mover: Mover,
    start_review: bool,
) -> Result<ApplicationStatus, StoreError> {
    let from = if start_review {
        let processing = ApplicationStatus::Processing;
        check_move(from, processing, Mover::Reviewer)
            .map_err(|allowed| refused(from, processing, &allowed))?;
        processing
    } else {
        from
    };
    check_move(from, to, mover).map_err(|allowed| refused(from, to, &allowed))?;
    Ok(from)
}

/// Records the review's start when a move takes the application through PROCESSING.
async fn record_review_start(
    tx: &mut Conn<'_>,
    before: &Application,
    change: Change<'_>,
) -> Result<(), StoreError> {
    let reason = format!("{}: review started", change.reason);
    let processing = Application {
        status: ApplicationStatus::Processing,
        ..before.clone()
    };
    let change = Change {
        reason: &reason,
        ..change
    };
    record(tx, &processing, Some(before.status), change).await
}

/// Moves the application read at `before` by the client or the reviewer (not to APPROVED:
/// see [`approve`]), with the reviewer's change requests when it moves to
/// CHANGES_REQUESTED. Submission re-checks the requirements inside the transaction.
pub async fn transition(
    conn: &mut Conn<'_>,
    scope: &Scope,
    before: &Application,
    step: Move<'_>,
    today: NaiveDate,
) -> Result<Application, StoreError> {
    ensure_in_scope(scope, before.client_id)?;
    let Move {
        to,
        mover,
        change,
        changes,
        start_review,
    } = step;
    let from = decided_from(before.status, to, mover, start_review)?;
    // The requirements' own moves happen only when an edit settles (`write_edit`), and
    // approval only with its customer (`approve`).
    if mover == Mover::Requirements || to == ApplicationStatus::Approved {
        return Err(refused(from, to, &[]));
    }
    let now = Timestamp::now();
    let mut after = Application {
        status: to,
        version: before.version + 1,
        updated_at: now,
        ..before.clone()
    };
    match to {
        ApplicationStatus::Submitted => after.submitted_at = Some(now),
        ApplicationStatus::Rejected => {
            after.decided_at = Some(now);
            after.decision_reason = Some(change.reason.to_owned());
        }
        _ => {}
    }
    let changes = changes.unwrap_or_default();
    if to == ApplicationStatus::ChangesRequested {
        after.draft.change_requests = changes.fields.clone();
    }
    write_tx!(conn, tx => {
        if to == ApplicationStatus::Submitted
            && !requirements_of(tx, before, &before.draft, today).await?.met()
        {
            return Err(StoreError::NotAllowed {
                code: "APPLICATION_REQUIREMENTS_NOT_MET",
                message: "the application no longer meets its requirements; see requirements".into(),
            });
        }
        compare_and_set(tx, before, &after).await?;
        if start_review {
            record_review_start(tx, before, change).await?;
        }
        for (document, note) in &changes.documents {
            let marked = dispatch!(tx, c => {
                diesel::update(
                    application_documents::table
                        .filter(application_documents::id.eq(*document))
                        .filter(application_documents::application_id.eq(before.id)),
                )
                .set((
                    application_documents::status.eq(DocumentStatus::ChangesRequested),
                    application_documents::review_note.eq(note),
                    application_documents::reviewed_at.eq(now),
                ))
                .execute(c)
                .await?
            });
            if marked == 0 {
                return Err(StoreError::NotFound);
            }
        }
        record(tx, &after, Some(from), change).await?;
        Ok(after.clone())
    })
}

/// Writes `after` over the application read at `before`, or `Conflict` when it changed since.
async fn compare_and_set(
    tx: &mut Conn<'_>,
    before: &Application,
    after: &Application,
) -> Result<(), StoreError> {
    let row = ApplicationRow::from_application(after)?;
    let (id, version, status) = (before.id, before.version, before.status);
    let written = dispatch!(tx, c => {
        diesel::update(
            applications::table
                .filter(applications::id.eq(id))
                .filter(applications::version.eq(version))
                .filter(applications::status.eq(status)),
        )
        .set(&row)
        .execute(c)
        .await?
    });
    if written == 0 {
        Err(StoreError::Conflict)
    } else {
        Ok(())
    }
}

/// What approval creates.
pub struct Onboarded<'a> {
    pub customer: &'a Customer,
    pub people: &'a [Individual],
    pub account: &'a Account,
}

/// Approves the application read at `before`: it becomes APPROVED and its customer (ACTIVE),
/// the customer's people and default account are created, with both histories, in one
/// transaction (with the review's start first when `start_review`, see [`Move`]). Of two
/// concurrent approvals one wins; the other gets `Conflict`. Approval needs every document
/// the application asks for (a refused or to-be-changed one blocks it); the documents still
/// awaiting a verdict are approved with it.
#[expect(
    clippy::too_many_arguments,
    reason = "the approval, its author and what it creates"
)]
pub async fn approve(
    conn: &mut Conn<'_>,
    scope: &Scope,
    before: &Application,
    onboarded: Onboarded<'_>,
    change: Change<'_>,
    note: &ChangeNote<'_>,
    start_review: bool,
    today: NaiveDate,
) -> Result<Application, StoreError> {
    ensure_in_scope(scope, before.client_id)?;
    let to = ApplicationStatus::Approved;
    let from = decided_from(before.status, to, Mover::Reviewer, start_review)?;
    let now = Timestamp::now();
    let after = Application {
        status: to,
        customer_id: Some(onboarded.customer.id),
        decision_reason: Some(change.reason.to_owned()),
        decided_at: Some(now),
        version: before.version + 1,
        updated_at: now,
        ..before.clone()
    };
    // First claim the application by bumping its version, so that of two concurrent
    // approvals the second waits for the first and then finds nothing to claim.
    let claimed = Application {
        version: before.version + 1,
        updated_at: now,
        ..before.clone()
    };
    let after = Application {
        version: claimed.version,
        ..after
    };
    write_tx!(conn, tx => {
        compare_and_set(tx, before, &claimed).await?;
        if !requirements_of(tx, before, &before.draft, today).await?.documents_met() {
            return Err(StoreError::NotAllowed {
                code: "APPLICATION_REQUIREMENTS_NOT_MET",
                message: "a document the application needs is missing, rejected or to be \
                          changed; see requirements.documents"
                    .into(),
            });
        }
        let app = before.id;
        dispatch!(tx, c => {
            diesel::update(
                application_documents::table
                    .filter(application_documents::application_id.eq(app))
                    .filter(application_documents::status.eq(DocumentStatus::Submitted)),
            )
            .set((
                application_documents::status.eq(DocumentStatus::Approved),
                application_documents::reviewed_at.eq(now),
            ))
            .execute(c)
            .await?
        });
        if start_review {
            record_review_start(tx, before, change).await?;
        }
        // The customer before the application points at it.
        crate::store::customers::insert(tx, scope, onboarded.customer, note).await?;
        crate::store::customer_individuals::insert_all(tx, scope, onboarded.people).await?;
        crate::store::accounts::insert(tx, scope, onboarded.account).await?;
        compare_and_set(tx, &claimed, &after).await?;
        record(tx, &after, Some(from), change).await?;
        Ok(after.clone())
    })
}
