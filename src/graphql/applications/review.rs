//! The platform's review of applications (operator only): processing, approval (which
//! creates the customer), rejection, change requests and document verdicts; and the
//! sandbox's simulation of that review for a SANDBOX client's own applications. Each maps its
//! arguments to one operation in `ops::applications`.

use async_graphql::{Context, ID, Object, SimpleObject};

use super::inputs::{
    DocumentVerdict, RequestedDocumentChangeInput, RequestedFieldChangeInput, SimulatedDecision,
};
use super::{ApplicationPayload, application_id, document_id, person_id};
use crate::domain::application::documents::DocumentStatus;
use crate::graphql::error::ApiResult;
use crate::graphql::request;
use crate::graphql::types::application::Application;
use crate::graphql::types::customer::Customer;
use crate::ops::applications::review_application::{self, DocumentChange, FieldChange, PersonRef};
use crate::ops::applications::simulate_decision::{self, Decision};
use crate::ops::applications::{approve_application, review_document};

/// The platform's review of applications.
#[derive(Default)]
pub struct ApplicationReviewMutation;

/// The reviewer's requests, with the ids they name decoded (an id that names nothing of an
/// application is reported by the operation, with every other problem).
fn changes(
    fields: Vec<RequestedFieldChangeInput>,
    documents: Vec<RequestedDocumentChangeInput>,
) -> (Vec<FieldChange>, Vec<DocumentChange>) {
    let fields = fields
        .into_iter()
        .map(|f| FieldChange {
            person: match &f.individual_id {
                None => PersonRef::Applicant,
                Some(id) => person_id(id, "individualId")
                    .map(PersonRef::Person)
                    .unwrap_or(PersonRef::Invalid),
            },
            field_name: f.field_name,
            description: f.description,
        })
        .collect();
    let documents = documents
        .into_iter()
        .map(|d| DocumentChange {
            document: document_id(&d.document_id, "documentId").ok(),
            description: d.description,
        })
        .collect();
    (fields, documents)
}

fn payload(
    ctx: &Context<'_>,
    application: crate::store::applications::Application,
) -> ApiResult<ApplicationPayload> {
    Ok(ApplicationPayload {
        application: Application::new(application, request(ctx)?.principal),
    })
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
        let moved =
            review_application::start_processing(&rc.cx(), application_id(&id)?, expected_version)
                .await?;
        payload(ctx, moved)
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
        let (application, customer) =
            approve_application::run(&rc.cx(), application_id(&id)?, &reason, expected_version)
                .await?;
        Ok(ApproveApplicationPayload {
            application: Application::new(application, rc.principal),
            customer: Customer(customer),
        })
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
        let moved =
            review_application::reject(&rc.cx(), application_id(&id)?, &reason, expected_version)
                .await?;
        payload(ctx, moved)
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
        let (fields, documents) = changes(fields, documents);
        let moved = review_application::request_changes(
            &rc.cx(),
            application_id(&id)?,
            fields,
            documents,
            &reason,
            expected_version,
        )
        .await?;
        payload(ctx, moved)
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
        let reviewed = review_document::run(
            &rc.cx(),
            review_document::Input {
                application: super::application_id(&application_id)?,
                document: super::document_id(&document_id, "documentId")?,
                verdict: match verdict {
                    DocumentVerdict::Approved => DocumentStatus::Approved,
                    DocumentVerdict::Rejected => DocumentStatus::Rejected,
                    DocumentVerdict::ChangesRequested => DocumentStatus::ChangesRequested,
                },
                note,
                expected_version,
            },
        )
        .await?;
        payload(ctx, reviewed)
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
        let decision = match decision {
            SimulatedDecision::Approve => Decision::Approve,
            SimulatedDecision::Reject => Decision::Reject,
            SimulatedDecision::RequestChanges => {
                let (fields, documents) = changes(fields, documents);
                Decision::RequestChanges { fields, documents }
            }
        };
        let (application, customer) = simulate_decision::run(
            &rc.cx(),
            application_id(&id)?,
            decision,
            &reason,
            expected_version,
        )
        .await?;
        Ok(SimulateApplicationDecisionPayload {
            application: Application::new(application, rc.principal),
            customer: customer.map(Customer),
        })
    }
}

/// The result of approving an application.
#[derive(SimpleObject)]
pub struct ApproveApplicationPayload {
    /// The application, APPROVED.
    pub application: Application,
    /// The customer it created (ACTIVE), with its default account.
    pub customer: Customer,
}

/// The result of a simulated decision.
#[derive(SimpleObject)]
pub struct SimulateApplicationDecisionPayload {
    /// The application after the decision.
    pub application: Application,
    /// The customer created, when the decision was APPROVE.
    pub customer: Option<Customer>,
}
