//! The platform's review moves (operator only): `startApplicationProcessing`,
//! `rejectApplication` and `requestApplicationChanges`, which marks the fields and uploaded
//! files to change. The sandbox's simulated review makes the same moves.

use crate::domain::application::change_requests::is_known_field;
use crate::domain::application::requirements::document_slots;
use crate::domain::application::{ApplicationStatus, ChangeRequest};
use crate::domain::ids::{ApplicationId, ApplicationIndividualId, DocumentId};
use crate::domain::validation::Problems;
use crate::ops::applications::{
    REASON_MAX, changed_meanwhile, check_review, load, operator_only, record,
};
use crate::ops::uow;
use crate::ops::{Cx, OpError, OpResult};
use crate::store;
use crate::store::applications::Application;

/// Whom a requested field change concerns.
#[derive(Debug, Clone, Copy)]
pub enum PersonRef {
    /// The applicant (the customer to be).
    Applicant,
    /// A person of the application, by id.
    Person(uuid::Uuid),
    /// An id that names no person of an application.
    Invalid,
}

/// A field the reviewer asks the client to change.
#[derive(Debug, Clone)]
pub struct FieldChange {
    pub person: PersonRef,
    pub field_name: String,
    pub description: String,
}

/// An uploaded file the reviewer asks the client to replace.
#[derive(Debug, Clone)]
pub struct DocumentChange {
    /// `None` when the id given names no document of an application.
    pub document: Option<DocumentId>,
    pub description: String,
}

/// The reviewer's change requests, checked against the application.
#[derive(Debug, Clone, Default)]
pub struct ChangesRequested {
    pub fields: Vec<ChangeRequest>,
    pub documents: Vec<(DocumentId, String)>,
}

/// The reviewer's reason: 1 to [`REASON_MAX`] characters.
pub fn check_reason(reason: &str) -> OpResult<()> {
    let mut problems = Problems::new();
    problems.required_text("reason", reason, REASON_MAX);
    OpError::check(problems.into_errors())
}

/// The operator's application, at the expected version.
pub async fn for_review(
    cx: &Cx<'_>,
    id: ApplicationId,
    expected: Option<i64>,
) -> OpResult<Application> {
    operator_only(cx.principal)?;
    load(cx, id, expected).await
}

/// `startApplicationProcessing`: a SUBMITTED application goes into review (PROCESSING).
pub async fn start_processing(
    cx: &Cx<'_>,
    id: ApplicationId,
    expected: Option<i64>,
) -> OpResult<Application> {
    let before = for_review(cx, id, expected).await?;
    review_move(
        cx,
        &before,
        ApplicationStatus::Processing,
        "review started",
        None,
        false,
    )
    .await
}

/// `rejectApplication`: an application in PROCESSING is rejected, for good.
pub async fn reject(
    cx: &Cx<'_>,
    id: ApplicationId,
    reason: &str,
    expected: Option<i64>,
) -> OpResult<Application> {
    check_reason(reason)?;
    let before = for_review(cx, id, expected).await?;
    review_move(
        cx,
        &before,
        ApplicationStatus::Rejected,
        reason,
        None,
        false,
    )
    .await
}

/// `requestApplicationChanges`: an application in PROCESSING goes back to the client
/// (CHANGES_REQUESTED) with the fields and files to change.
pub async fn request_changes(
    cx: &Cx<'_>,
    id: ApplicationId,
    fields: Vec<FieldChange>,
    documents: Vec<DocumentChange>,
    reason: &str,
    expected: Option<i64>,
) -> OpResult<Application> {
    check_reason(reason)?;
    let before = for_review(cx, id, expected).await?;
    let to = ApplicationStatus::ChangesRequested;
    check_review(before.status, to, false)?;
    let changes = checked_changes(cx, &before, fields, documents).await?;
    review_move(cx, &before, to, reason, Some(changes), false).await
}

/// Checks the reviewer's change requests against the application and its uploaded files;
/// every problem is reported at once.
pub async fn checked_changes(
    cx: &Cx<'_>,
    before: &Application,
    fields: Vec<FieldChange>,
    documents: Vec<DocumentChange>,
) -> OpResult<ChangesRequested> {
    let mut problems = Problems::new();
    if fields.is_empty() && documents.is_empty() {
        problems.add("fields", "name at least one field or document to change");
    }
    if fields.len() + documents.len() > 100 {
        problems.add("fields", "name at most 100 fields and documents together");
    }
    let uploaded = {
        let mut pooled = cx.db.conn().await?;
        store::applications::documents_of(&mut pooled.conn(), &cx.scope(), &[before.id]).await?
    };
    let mut out = ChangesRequested::default();
    for (i, f) in fields.into_iter().enumerate() {
        let at = format!("fields.{i}");
        problems.required_text(&format!("{at}.description"), &f.description, 500);
        let who = match f.person {
            PersonRef::Applicant => None,
            PersonRef::Person(id) if before.draft.person(ApplicationIndividualId(id)).is_some() => {
                Some(ApplicationIndividualId(id))
            }
            PersonRef::Person(_) | PersonRef::Invalid => {
                problems.add(
                    format!("{at}.individualId"),
                    "not a person of this application",
                );
                continue;
            }
        };
        if !is_known_field(&before.draft, who, &f.field_name) {
            problems.add(
                format!("{at}.fieldName"),
                format!("{:?} is not a field of this application", f.field_name),
            );
        }
        out.fields.push(ChangeRequest {
            individual_id: who,
            field_name: f.field_name,
            description: f.description,
        });
    }
    let slots = document_slots(before.id, &before.draft);
    for (i, d) in documents.into_iter().enumerate() {
        let at = format!("documents.{i}");
        problems.required_text(&format!("{at}.description"), &d.description, 500);
        let Some(id) = d.document else {
            problems.add(
                format!("{at}.documentId"),
                "not a document id of an application",
            );
            continue;
        };
        // Only an uploaded file the application asks for can be asked again (a file outside
        // its requirements could not be replaced; a missing one is asked for already).
        if !slots.iter().any(|s| s.id == id) {
            problems.add(
                format!("{at}.documentId"),
                "not a document this application asks for",
            );
        } else if !uploaded.iter().any(|u| u.id == id) {
            problems.add(
                format!("{at}.documentId"),
                "no file is uploaded for this document yet",
            );
        }
        out.documents.push((id, d.description));
    }
    OpError::check(problems.into_errors())?;
    Ok(out)
}

/// Moves the application read at `before` as the reviewer, through PROCESSING first when
/// `start_review`, with the change requests when it moves to CHANGES_REQUESTED: one unit of
/// work with its history entries.
pub async fn review_move(
    cx: &Cx<'_>,
    before: &Application,
    to: ApplicationStatus,
    reason: &str,
    changes: Option<ChangesRequested>,
    start_review: bool,
) -> OpResult<Application> {
    check_review(before.status, to, start_review)?;
    let mut after = Application {
        status: to,
        version: before.version + 1,
        updated_at: cx.now,
        ..before.clone()
    };
    if to == ApplicationStatus::Rejected {
        after.decided_at = Some(cx.now);
        after.decision_reason = Some(reason.to_owned());
    }
    let changes = changes.unwrap_or_default();
    if to == ApplicationStatus::ChangesRequested {
        after.draft.change_requests = changes.fields.clone();
    }
    let from = if start_review {
        ApplicationStatus::Processing
    } else {
        before.status
    };
    let written = uow::unit!(cx, None, tx => {
        if !store::applications::compare_and_set(tx, &cx.scope(), before, &after).await? {
            return Err(changed_meanwhile());
        }
        if start_review {
            record_review_start(tx, cx, before, reason).await?;
        }
        for (document, note) in &changes.documents {
            if !store::applications::mark_changes_requested(tx, before.id, *document, note, cx.now)
                .await?
            {
                return Err(OpError::NotFound(
                    "the application has no uploaded document with one of the documentIds given"
                        .into(),
                ));
            }
        }
        record(tx, cx, &after, Some(from), reason).await?;
        OpResult::Ok(after.clone())
    })?;
    written.done()
}

/// Records the review's start when a move takes the application through PROCESSING.
pub async fn record_review_start(
    tx: &mut crate::db::Conn<'_>,
    cx: &Cx<'_>,
    before: &Application,
    reason: &str,
) -> OpResult<()> {
    let processing = Application {
        status: ApplicationStatus::Processing,
        ..before.clone()
    };
    record(
        tx,
        cx,
        &processing,
        Some(before.status),
        &format!("{reason}: review started"),
    )
    .await
}
