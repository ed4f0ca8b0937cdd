//! The platform's review of applications (operator only): processing, approval (which
//! creates the customer), rejection, change requests and document verdicts; and the
//! sandbox's simulation of that review for a SANDBOX client's own applications.

use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::Utc;

use super::approval::{ApproveApplicationPayload, approve};
use super::inputs::{
    DocumentVerdict, RequestedDocumentChangeInput, RequestedFieldChangeInput, SimulatedDecision,
};
use super::{
    ApplicationPayload, check_version, client_only, document_id, guard_move, load_application,
    operator_only, person_id,
};
use crate::domain::application::change_requests::is_known_field;
use crate::domain::application::documents::DocumentStatus;
use crate::domain::application::requirements::document_slots;
use crate::domain::application::{ApplicationStatus, ChangeRequest, Mover};
use crate::domain::client::{Actor, Environment};
use crate::domain::validation::Problems;
use crate::graphql::RequestContext;
use crate::graphql::error::{ApiError, ApiResult};
use crate::graphql::request;
use crate::graphql::types::application::Application;
use crate::graphql::types::customer::Customer;
use crate::store::applications::{Change, ChangesRequested, Move};
use crate::store::{self, StoreError};

/// The platform's review of applications.
#[derive(Default)]
pub struct ApplicationReviewMutation;

pub(super) fn actor_of(rc: &RequestContext) -> Actor {
    rc.principal.actor()
}

/// The guard of a reviewer's move, through PROCESSING first when `start_review`.
pub(super) fn guard_review(
    from: ApplicationStatus,
    to: ApplicationStatus,
    start_review: bool,
) -> ApiResult<()> {
    if start_review {
        guard_move(from, ApplicationStatus::Processing, Mover::Reviewer)?;
        guard_move(ApplicationStatus::Processing, to, Mover::Reviewer)
    } else {
        guard_move(from, to, Mover::Reviewer)
    }
}

/// Moves an application read at `before` as the reviewer (see `Move::start_review`).
async fn review_move(
    rc: &RequestContext,
    before: &store::applications::Application,
    to: ApplicationStatus,
    reason: &str,
    changes: Option<ChangesRequested>,
    start_review: bool,
) -> ApiResult<store::applications::Application> {
    guard_review(before.status, to, start_review)?;
    let mut pooled = rc.db.conn().await?;
    store::applications::transition(
        &mut pooled.conn(),
        &rc.principal.scope(),
        before,
        Move {
            to,
            mover: Mover::Reviewer,
            change: Change {
                actor: actor_of(rc),
                reason,
            },
            changes,
            start_review,
        },
        Utc::now().date_naive(),
    )
    .await
    .map_err(|e| match e {
        StoreError::NotFound => ApiError::NotFound(
            "the application has no uploaded document with one of the documentIds given".into(),
        ),
        other => other.into(),
    })
}

/// Checks the reviewer's change requests against the application and its uploaded files;
/// every problem is reported at once.
async fn changes_requested(
    rc: &RequestContext,
    before: &store::applications::Application,
    fields: Vec<RequestedFieldChangeInput>,
    documents: Vec<RequestedDocumentChangeInput>,
) -> ApiResult<ChangesRequested> {
    let mut problems = Problems::new();
    if fields.is_empty() && documents.is_empty() {
        problems.add("fields", "name at least one field or document to change");
    }
    if fields.len() + documents.len() > 100 {
        problems.add("fields", "name at most 100 fields and documents together");
    }
    let uploaded = {
        let mut pooled = rc.db.conn().await?;
        store::applications::documents_of(&mut pooled.conn(), &rc.principal.scope(), &[before.id])
            .await?
    };
    let mut out = ChangesRequested::default();
    for (i, f) in fields.into_iter().enumerate() {
        let at = format!("fields.{i}");
        problems.required_text(&format!("{at}.description"), &f.description, 500);
        let who = match &f.individual_id {
            None => None,
            Some(id) => match person_id(before, id, &format!("{at}.individualId")) {
                Ok(person) => Some(person),
                Err(_) => {
                    problems.add(
                        format!("{at}.individualId"),
                        "not a person of this application",
                    );
                    continue;
                }
            },
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
        let Ok(id) = document_id(&d.document_id, &format!("{at}.documentId")) else {
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
    ApiError::check(problems.into_errors())?;
    Ok(out)
}

/// The longest reviewer's reason: the histories keep 500 characters, and the server prefixes
/// some reasons (e.g. "sandbox simulation: ").
const REASON_MAX: usize = 400;

fn check_reason(reason: &str) -> ApiResult<()> {
    let mut problems = Problems::new();
    problems.required_text("reason", reason, REASON_MAX);
    ApiError::check(problems.into_errors())
}

/// The operator loads the application it names, at the expected version.
async fn for_review(
    rc: &RequestContext,
    id: &ID,
    expected_version: Option<i64>,
) -> ApiResult<store::applications::Application> {
    operator_only(&rc.principal)?;
    let before = load_application(rc, id).await?;
    check_version(&before, expected_version)?;
    Ok(before)
}

/// The platform's review of applications.
#[Object]
impl ApplicationReviewMutation {
    /// Takes a SUBMITTED application into review (PROCESSING). Operator only.
    async fn start_application_processing(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The application's id.")] id: ID,
        #[graphql(desc = "Refuse (CONFLICT) unless the application is at this version.")]
        expected_version: Option<i64>,
    ) -> ApiResult<ApplicationPayload> {
        let rc = request(ctx)?;
        let before = for_review(rc, &id, expected_version).await?;
        let moved = review_move(
            rc,
            &before,
            ApplicationStatus::Processing,
            "review started",
            None,
            false,
        )
        .await?;
        Ok(ApplicationPayload {
            application: Application::new(moved, rc.principal),
        })
    }

    /// Approves an application in PROCESSING: the customer (ACTIVE), its people and its
    /// default account are created in the same transaction. Operator only.
    async fn approve_application(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The application's id.")] id: ID,
        #[graphql(desc = "Why it is approved (kept in the history).")] reason: String,
        #[graphql(desc = "Refuse (CONFLICT) unless the application is at this version.")]
        expected_version: Option<i64>,
    ) -> ApiResult<ApproveApplicationPayload> {
        let rc = request(ctx)?;
        check_reason(&reason)?;
        let before = for_review(rc, &id, expected_version).await?;
        approve(rc, &before, &reason, false).await
    }

    /// Rejects an application in PROCESSING, for good. Operator only.
    async fn reject_application(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The application's id.")] id: ID,
        #[graphql(desc = "Why it is rejected (shown to the client).")] reason: String,
        #[graphql(desc = "Refuse (CONFLICT) unless the application is at this version.")]
        expected_version: Option<i64>,
    ) -> ApiResult<ApplicationPayload> {
        let rc = request(ctx)?;
        check_reason(&reason)?;
        let before = for_review(rc, &id, expected_version).await?;
        let moved = review_move(
            rc,
            &before,
            ApplicationStatus::Rejected,
            &reason,
            None,
            false,
        )
        .await?;
        Ok(ApplicationPayload {
            application: Application::new(moved, rc.principal),
        })
    }

    /// Sends an application in PROCESSING back to the client (CHANGES_REQUESTED), marking
    /// the fields and uploaded documents to change; they block resubmission until changed.
    /// Operator only.
    async fn request_application_changes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The application's id.")] id: ID,
        #[graphql(desc = "Fields to change.", default)] fields: Vec<RequestedFieldChangeInput>,
        #[graphql(desc = "Uploaded documents to replace.", default)] documents: Vec<
            RequestedDocumentChangeInput,
        >,
        #[graphql(desc = "Why (kept in the history).")] reason: String,
        #[graphql(desc = "Refuse (CONFLICT) unless the application is at this version.")]
        expected_version: Option<i64>,
    ) -> ApiResult<ApplicationPayload> {
        let rc = request(ctx)?;
        check_reason(&reason)?;
        let before = for_review(rc, &id, expected_version).await?;
        guard_move(
            before.status,
            ApplicationStatus::ChangesRequested,
            Mover::Reviewer,
        )?;
        let changes = changes_requested(rc, &before, fields, documents).await?;
        let moved = review_move(
            rc,
            &before,
            ApplicationStatus::ChangesRequested,
            &reason,
            Some(changes),
            false,
        )
        .await?;
        Ok(ApplicationPayload {
            application: Application::new(moved, rc.principal),
        })
    }

    /// Gives the verdict on one uploaded document of an application in PROCESSING.
    /// Operator only.
    async fn review_application_document(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The application's id.")] application_id: ID,
        #[graphql(desc = "The document's id (`Application.documents`).")] document_id: ID,
        #[graphql(desc = "The verdict.")] verdict: DocumentVerdict,
        #[graphql(desc = "A note for the client (required unless APPROVED).")] note: Option<String>,
        #[graphql(desc = "Refuse (CONFLICT) unless the application is at this version.")]
        expected_version: Option<i64>,
    ) -> ApiResult<ApplicationPayload> {
        let rc = request(ctx)?;
        operator_only(&rc.principal)?;
        let mut problems = Problems::new();
        match (&note, verdict) {
            (None, DocumentVerdict::Rejected | DocumentVerdict::ChangesRequested) => {
                problems.add("note", "say why, for the client")
            }
            _ => problems.optional_text("note", note.as_deref(), 500),
        }
        ApiError::check(problems.into_errors())?;
        let key = super::document_id(&document_id, "documentId")?;
        let before = for_review(rc, &application_id, expected_version).await?;
        let status = match verdict {
            DocumentVerdict::Approved => DocumentStatus::Approved,
            DocumentVerdict::Rejected => DocumentStatus::Rejected,
            DocumentVerdict::ChangesRequested => DocumentStatus::ChangesRequested,
        };
        let scope = rc.principal.scope();
        let mut pooled = rc.db.conn().await?;
        let conn = &mut pooled.conn();
        store::applications::review_document(conn, &scope, &before, key, status, note.as_deref())
            .await
            .map_err(|e| match e {
                store::StoreError::NotFound => ApiError::NotFound(
                    "the application has no uploaded document with this id".into(),
                ),
                other => other.into(),
            })?;
        let after = store::applications::find(conn, &scope, before.id)
            .await?
            .ok_or_else(|| ApiError::NotFound("no application with this id".into()))?;
        Ok(ApplicationPayload {
            application: Application::new(after, rc.principal),
        })
    }

    /// SANDBOX only: decides the caller's own SUBMITTED or PROCESSING application as the
    /// platform would (there is no reviewer behind a sandbox). A PRODUCTION client gets
    /// FORBIDDEN. The moves are recorded like real ones, with the client as actor.
    #[expect(clippy::too_many_arguments, reason = "one GraphQL argument each")]
    async fn simulate_application_decision(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The application's id.")] id: ID,
        #[graphql(desc = "The decision to simulate.")] decision: SimulatedDecision,
        #[graphql(desc = "Why (kept in the history).")] reason: String,
        #[graphql(desc = "With REQUEST_CHANGES: fields to change.", default)] fields: Vec<
            RequestedFieldChangeInput,
        >,
        #[graphql(desc = "With REQUEST_CHANGES: uploaded documents to replace.", default)]
        documents: Vec<RequestedDocumentChangeInput>,
        #[graphql(desc = "Refuse (CONFLICT) unless the application is at this version.")]
        expected_version: Option<i64>,
    ) -> ApiResult<SimulateApplicationDecisionPayload> {
        let rc = request(ctx)?;
        let client_id = client_only(&rc.principal).map_err(|_| {
            ApiError::Forbidden("the operator decides with the review mutations".into())
        })?;
        {
            let mut pooled = rc.db.conn().await?;
            let client = store::clients::find(&mut pooled.conn(), &rc.principal.scope(), client_id)
                .await?
                .ok_or_else(|| ApiError::internal(&"the caller's client row is missing"))?;
            if client.environment != Environment::Sandbox {
                return Err(ApiError::Forbidden(
                    "simulateApplicationDecision is for SANDBOX clients; in PRODUCTION the \
                     platform reviews applications"
                        .into(),
                ));
            }
        }
        check_reason(&reason)?;
        let current = load_application(rc, &id).await?;
        check_version(&current, expected_version)?;
        // A SUBMITTED application goes through PROCESSING in the same transaction as the
        // decision, so a refused decision leaves it as it was.
        let start_review = current.status == ApplicationStatus::Submitted;
        let reason = format!("sandbox simulation: {reason}");
        match decision {
            SimulatedDecision::Approve => {
                let approved = approve(rc, &current, &reason, start_review).await?;
                Ok(SimulateApplicationDecisionPayload {
                    application: approved.application,
                    customer: Some(approved.customer),
                })
            }
            SimulatedDecision::Reject | SimulatedDecision::RequestChanges => {
                guard_review(current.status, decision.status(), start_review)?;
                let changes = match decision {
                    SimulatedDecision::RequestChanges => {
                        Some(changes_requested(rc, &current, fields, documents).await?)
                    }
                    _ => None,
                };
                let moved = review_move(
                    rc,
                    &current,
                    decision.status(),
                    &reason,
                    changes,
                    start_review,
                )
                .await?;
                Ok(SimulateApplicationDecisionPayload {
                    application: Application::new(moved, rc.principal),
                    customer: None,
                })
            }
        }
    }
}

/// The result of a simulated decision.
#[derive(SimpleObject)]
pub struct SimulateApplicationDecisionPayload {
    /// The application after the decision.
    pub application: Application,
    /// The customer created, when the decision was APPROVE.
    pub customer: Option<Customer>,
}
