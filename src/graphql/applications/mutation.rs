//! The client's side of an application: create, edit (details, people, documents) and
//! submit. Each maps its arguments to one operation in `ops::applications`.

use async_graphql::{Context, ID, MaybeUndefined, Object, Upload};

use super::inputs::{CreateApplicationInput, UpdateApplicationInput};
use super::upload::read_upload;
use super::{ApplicationPayload, application_id, person_id};
use crate::domain::application::{AccountToOpen, CustomerDraft};
use crate::domain::patch::Patch;
use crate::graphql::customer_inputs::{AccountToOpenInput, CustomerIndividualPatch};
use crate::graphql::error::ApiResult;
use crate::graphql::request;
use crate::graphql::types::application::Application;
use crate::ops::applications::application_individuals::{self, Target};
use crate::ops::applications::{
    create_application, submit_application, update_application, upload_document,
};
use crate::store;

/// The client's application changes.
#[derive(Default)]
pub struct ApplicationMutation;

fn account(input: AccountToOpenInput) -> AccountToOpen {
    AccountToOpen {
        account_id: input.account_id,
        product_id: input.product_id,
        asset_type_id: input.asset_type_id,
    }
}

fn payload(
    application: store::applications::Application,
    ctx: &Context<'_>,
) -> ApiResult<ApplicationPayload> {
    Ok(ApplicationPayload {
        application: Application::new(application, request(ctx)?.principal),
    })
}

/// The client's application changes.
#[Object]
impl ApplicationMutation {
    /// Starts an application to onboard a customer. It is INCOMPLETE until every
    /// requirement is met, then READY_FOR_SUBMISSION by itself (see `requirements`).
    async fn create_application(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The application, as far as known.")] input: CreateApplicationInput,
        #[graphql(
            desc = "Your key for this request (1 to 200 characters), per client: a retry with the same key and request returns the first application."
        )]
        idempotency_key: Option<String>,
    ) -> ApiResult<ApplicationPayload> {
        let rc = request(ctx)?;
        let details = input.customer_details;
        let given = details.is_some();
        let edit = move |draft: &mut CustomerDraft, at: &str| match &details {
            Some(details) => details.clone().apply(draft, at),
            None => Ok(()),
        };
        let created = create_application::run(
            &rc.cx(),
            create_application::Input {
                customer_id: input.customer_id,
                application_type: input.application_type,
                customer_details: given.then_some(&edit as &update_application::DetailsEdit),
                account_to_open: input.account_to_open.map(account),
                terms_and_conditions_accepted: input.terms_and_conditions_accepted,
                idempotency_key,
            },
        )
        .await?;
        payload(created, ctx)
    }

    /// Changes an application (INCOMPLETE, READY_FOR_SUBMISSION or CHANGES_REQUESTED): only
    /// what is given changes. Changing a field the reviewer asked about answers the request.
    async fn update_application(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The application's id.")] id: ID,
        #[graphql(desc = "What to change.")] input: UpdateApplicationInput,
        #[graphql(
            desc = "Refuse the change (CONFLICT) unless the application is at this version."
        )]
        expected_version: Option<i64>,
    ) -> ApiResult<ApplicationPayload> {
        let rc = request(ctx)?;
        let details = input.customer_details;
        let given = details.is_some();
        let edit = move |draft: &mut CustomerDraft, at: &str| match &details {
            Some(details) => details.clone().apply(draft, at),
            None => Ok(()),
        };
        let account_to_open = match input.account_to_open {
            MaybeUndefined::Undefined => Patch::Keep,
            MaybeUndefined::Null => Patch::Clear,
            MaybeUndefined::Value(input) => Patch::Set(account(input)),
        };
        let updated = update_application::run(
            &rc.cx(),
            update_application::Input {
                id: application_id(&id)?,
                customer_id: input.customer_id,
                customer_details: given.then_some(&edit as &update_application::DetailsEdit),
                account_to_open,
                terms_and_conditions_accepted: input.terms_and_conditions_accepted,
                expected_version,
            },
        )
        .await?;
        payload(updated, ctx)
    }

    /// Attaches a person (officer, beneficial owner, …) to a CORPORATION application. The
    /// fields may come one by one; `requirements` lists what the person still lacks.
    async fn add_application_individual(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The application's id.")] application_id: ID,
        #[graphql(desc = "The person, as far as known (absent fields stay empty).")]
        input: CustomerIndividualPatch,
        #[graphql(
            desc = "Refuse the change (CONFLICT) unless the application is at this version."
        )]
        expected_version: Option<i64>,
    ) -> ApiResult<ApplicationPayload> {
        let rc = request(ctx)?;
        let target = Target {
            application: super::application_id(&application_id)?,
            expected_version,
        };
        let edit = move |details: &mut _| input.clone().apply(details);
        payload(
            application_individuals::add(&rc.cx(), target, &edit).await?,
            ctx,
        )
    }

    /// Changes a person of an application: only the fields given change.
    async fn update_application_individual(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The application's id.")] application_id: ID,
        #[graphql(desc = "The person's id (`Application.individuals`).")] individual_id: ID,
        #[graphql(desc = "What to change (absent stays, null clears).")]
        input: CustomerIndividualPatch,
        #[graphql(
            desc = "Refuse the change (CONFLICT) unless the application is at this version."
        )]
        expected_version: Option<i64>,
    ) -> ApiResult<ApplicationPayload> {
        let rc = request(ctx)?;
        let target = Target {
            application: super::application_id(&application_id)?,
            expected_version,
        };
        let person = person_id(&individual_id, "individualId")?;
        let edit = move |details: &mut _| input.clone().apply(details);
        payload(
            application_individuals::update(&rc.cx(), target, person, &edit).await?,
            ctx,
        )
    }

    /// Removes a person from an application, with their documents' requirements.
    async fn remove_application_individual(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The application's id.")] application_id: ID,
        #[graphql(desc = "The person's id (`Application.individuals`).")] individual_id: ID,
        #[graphql(
            desc = "Refuse the change (CONFLICT) unless the application is at this version."
        )]
        expected_version: Option<i64>,
    ) -> ApiResult<ApplicationPayload> {
        let rc = request(ctx)?;
        let target = Target {
            application: super::application_id(&application_id)?,
            expected_version,
        };
        let person = person_id(&individual_id, "individualId")?;
        payload(
            application_individuals::remove(&rc.cx(), target, person).await?,
            ctx,
        )
    }

    /// Uploads the file for one of the application's document requirements (its `id` from
    /// `Application.documents`), replacing any earlier file; the requirement becomes
    /// SUBMITTED. Send it as a GraphQL multipart request. PDF, JPEG or PNG only, judged by the
    /// bytes; larger files than the server's limit are refused.
    async fn upload_application_document(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The application's id.")] application_id: ID,
        #[graphql(desc = "The document requirement's id (`Application.documents`).")]
        document_id: ID,
        #[graphql(desc = "The file (multipart upload).")] file: Upload,
        #[graphql(
            desc = "Refuse the change (CONFLICT) unless the application is at this version."
        )]
        expected_version: Option<i64>,
    ) -> ApiResult<ApplicationPayload> {
        let rc = request(ctx)?;
        let cx = rc.cx();
        let input = upload_document::Input {
            application: super::application_id(&application_id)?,
            document: super::document_id(&document_id, "documentId")?,
            expected_version,
        };
        let before = upload_document::prepare(&cx, &input).await?;
        let new_file = read_upload(ctx, &file, rc.settings.max_document_bytes).await?;
        payload(
            upload_document::run(&cx, &before, &input, &new_file).await?,
            ctx,
        )
    }

    /// Submits a READY_FOR_SUBMISSION application for the platform's review.
    async fn submit_application(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The application's id.")] id: ID,
        #[graphql(desc = "Refuse (CONFLICT) unless the application is at this version.")]
        expected_version: Option<i64>,
    ) -> ApiResult<ApplicationPayload> {
        let rc = request(ctx)?;
        payload(
            submit_application::run(&rc.cx(), application_id(&id)?, expected_version).await?,
            ctx,
        )
    }
}
