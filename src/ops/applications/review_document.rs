//! `reviewApplicationDocument`: the reviewer's verdict on one uploaded file of an application
//! in PROCESSING (operator only).

use crate::domain::application::ApplicationStatus;
use crate::domain::application::documents::DocumentStatus;
use crate::domain::event::{EventType, Happened, SubjectKind};
use crate::domain::ids::{ApplicationId, DocumentId};
use crate::domain::validation::Problems;
use crate::ops::applications::changed_meanwhile;
use crate::ops::applications::operator_only;
use crate::ops::applications::review_application::for_review;
use crate::ops::uow;
use crate::ops::{Cx, OpError, OpResult};
use crate::store;
use crate::store::applications::Application;

/// What `reviewApplicationDocument` is given.
#[derive(Debug, Clone)]
pub struct Input {
    pub application: ApplicationId,
    pub document: DocumentId,
    /// APPROVED, REJECTED or CHANGES_REQUESTED.
    pub verdict: DocumentStatus,
    /// For the client; required unless APPROVED.
    pub note: Option<String>,
    pub expected_version: Option<i64>,
}

/// Gives the verdict; the application afterwards.
pub async fn run(cx: &Cx<'_>, input: Input) -> OpResult<Application> {
    operator_only(cx.principal)?;
    let mut problems = Problems::new();
    match (&input.note, input.verdict) {
        (None, DocumentStatus::Rejected | DocumentStatus::ChangesRequested) => {
            problems.add("note", "say why, for the client")
        }
        _ => problems.optional_text("note", input.note.as_deref(), 500),
    }
    OpError::check(problems.into_errors())?;
    let before = for_review(cx, input.application, input.expected_version).await?;
    if before.status != ApplicationStatus::Processing {
        return Err(OpError::Rule {
            code: "APPLICATION_NOT_UNDER_REVIEW",
            message: format!(
                "documents are reviewed while the application is PROCESSING; it is {}",
                before.status
            ),
        });
    }
    let after = Application {
        version: before.version + 1,
        updated_at: cx.now,
        ..before.clone()
    };
    let written = uow::unit!(cx, None, tx => {
        let scope = cx.scope();
        if !store::applications::compare_and_set(tx, &scope, &before, &after).await? {
            return Err(changed_meanwhile());
        }
        let note = input.note.as_deref();
        // The status it moves from (the application's compare-and-set above holds it still).
        let previous = store::applications::find_document(tx, &scope, input.document)
            .await?
            .map(|document| document.status);
        if store::applications::review(tx, &scope, &before, input.document, input.verdict, note, cx.now)
            .await?
            .is_none()
        {
            return Err(OpError::NotFound(
                "the application has no uploaded document with this id".into(),
            ));
        }
        let happened = Happened::new(
            EventType::DocumentReviewed,
            SubjectKind::ApplicationDocument,
            input.document.0,
        )
        .customer(&before.customer_external_id)
        .status(previous.map(|status| status.as_str()), input.verdict.as_str());
        let happened = match note {
            Some(note) => happened.reason(note),
            None => happened,
        };
        crate::ops::events::emit(tx, cx, before.client_id, happened).await?;
        OpResult::Ok(after.clone())
    })?;
    written.done()
}
