//! The client's side of an application: create, edit (details, people, documents) and
//! submit. Every edit collects all problems of its input before refusing, changes nothing
//! when it would change nothing, and settles the status from the requirements.

use async_graphql::{Context, ID, Object, Upload};

use super::upload::read_upload;
use chrono::Utc;

use super::inputs::{CreateApplicationInput, UpdateApplicationInput};
use super::{
    ApplicationPayload, check_version, client_only, guard_editable, guard_move, load_application,
    person_id, write_error,
};
use crate::db::Conn;
use crate::db::types::Timestamp;
use crate::domain::application::requirements::{
    customer_problems, document_slots, person_problems,
};
use crate::domain::application::{
    AccountToOpen, ApplicationPerson, ApplicationStatus, CustomerDraft, Draft, Mover,
};
use crate::domain::client::Actor;
use crate::domain::customer::PersonDetails;
use crate::domain::ids::{ApplicationId, ApplicationIndividualId};
use crate::domain::validation::{FieldError, Problems};
use crate::graphql::RequestContext;
use crate::graphql::customer_inputs::{AccountToOpenInput, CustomerIndividualPatch};
use crate::graphql::customers::check_external_id;
use crate::graphql::error::{ApiError, ApiResult};
use crate::graphql::request;
use crate::graphql::types::application::Application;
use crate::store::applications::{Change, Move};
use crate::store::{self, StoreError};

/// The client's application changes.
#[derive(Default)]
pub struct ApplicationMutation;

/// Checks an account to open: its id and a supported asset type.
async fn account_to_open(
    conn: &mut Conn<'_>,
    input: AccountToOpenInput,
    problems: &mut Problems,
) -> ApiResult<AccountToOpen> {
    check_external_id(problems, "accountToOpen.accountId", &input.account_id);
    let supported = input.asset_type_id.len() <= 64
        && store::accounts::asset_type_decimals(conn, &input.asset_type_id)
            .await?
            .is_some();
    if !supported {
        problems.add(
            "accountToOpen.assetTypeId",
            format!("{:?} is not a supported asset type", input.asset_type_id),
        );
    }
    Ok(AccountToOpen {
        account_id: input.account_id,
        product_id: input.product_id,
        asset_type_id: input.asset_type_id,
    })
}

/// The problems of given values in the draft's details, under `customerDetails`.
fn details_problems(customer: &CustomerDraft) -> Vec<FieldError> {
    let part = match customer {
        CustomerDraft::Individual(_) => "individual",
        CustomerDraft::Corporation(_) => "corporation",
    };
    customer_problems(customer, Utc::now().date_naive())
        .into_iter()
        .map(|e| FieldError {
            field: format!("customerDetails.{part}.{}", e.field),
            message: e.message,
        })
        .collect()
}

/// Saves an edited draft of `before` unless it changes nothing.
async fn save(
    rc: &RequestContext,
    before: store::applications::Application,
    customer_id: String,
    draft: Draft,
    what: &str,
) -> ApiResult<ApplicationPayload> {
    if draft == before.draft && customer_id == before.customer_external_id {
        return Ok(ApplicationPayload {
            application: Application::new(before, rc.principal),
        });
    }
    let mut pooled = rc.db.conn().await?;
    let saved = store::applications::save(
        &mut pooled.conn(),
        &rc.principal.scope(),
        &before,
        &customer_id,
        draft,
        Change {
            actor: Actor::Client,
            reason: what,
        },
        Utc::now().date_naive(),
    )
    .await
    .map_err(|e| write_error(e, &customer_id))?;
    Ok(ApplicationPayload {
        application: Application::new(saved, rc.principal),
    })
}

/// Loads an application for an edit by its client: in scope, at the expected version, and
/// in a status that allows edits.
async fn editable(
    rc: &RequestContext,
    id: &ID,
    expected_version: Option<i64>,
) -> ApiResult<store::applications::Application> {
    client_only(&rc.principal)?;
    let application = load_application(rc, id).await?;
    check_version(&application, expected_version)?;
    guard_editable(&application)?;
    Ok(application)
}

/// A person's details after `patch`, or every problem of the given values.
fn patched_person(
    mut details: PersonDetails,
    patch: CustomerIndividualPatch,
) -> ApiResult<PersonDetails> {
    let mut problems = Problems::new();
    if let Err(errors) = patch.apply(&mut details) {
        problems.extend(errors);
    }
    let details = details.normalise();
    problems.extend(
        person_problems(&details, Utc::now().date_naive())
            .into_iter()
            .map(|e| FieldError {
                field: format!("input.{}", e.field),
                message: e.message,
            })
            .collect(),
    );
    ApiError::check(problems.into_errors())?;
    Ok(details)
}

fn corporate_only(application: &store::applications::Application) -> ApiResult<()> {
    match application.draft.customer {
        CustomerDraft::Corporation(_) => Ok(()),
        CustomerDraft::Individual(_) => Err(ApiError::Rule {
            code: "NOT_A_CORPORATE_APPLICATION",
            message: "people (officers, owners…) are attached to CORPORATION applications only"
                .into(),
        }),
    }
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
    ) -> ApiResult<ApplicationPayload> {
        let rc = request(ctx)?;
        let client_id = client_only(&rc.principal)?;
        let mut pooled = rc.db.conn().await?;
        let conn = &mut pooled.conn();
        let mut problems = Problems::new();
        check_external_id(&mut problems, "customerId", &input.customer_id);
        let mut draft = Draft::empty(input.application_type);
        if let Some(details) = input.customer_details {
            match details.apply(&mut draft.customer, "customerDetails") {
                Ok(()) => problems.extend(details_problems(&draft.customer)),
                Err(errors) => problems.extend(errors),
            }
        }
        if let Some(account) = input.account_to_open {
            draft.account_to_open = Some(account_to_open(conn, account, &mut problems).await?);
        }
        draft.terms_and_conditions_accepted = input.terms_and_conditions_accepted;
        ApiError::check(problems.into_errors())?;
        let now = Timestamp::now();
        let new = store::applications::Application {
            id: ApplicationId::new(),
            client_id,
            customer_external_id: input.customer_id.clone(),
            status: ApplicationStatus::Incomplete,
            draft,
            customer_id: None,
            decision_reason: None,
            version: 1,
            created_at: now,
            updated_at: now,
            submitted_at: None,
            decided_at: None,
        };
        let created = store::applications::create(
            conn,
            &rc.principal.scope(),
            &new,
            Change {
                actor: Actor::Client,
                reason: "createApplication",
            },
            Utc::now().date_naive(),
        )
        .await
        .map_err(|e| write_error(e, &input.customer_id))?;
        Ok(ApplicationPayload {
            application: Application::new(created, rc.principal),
        })
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
        let before = editable(rc, &id, expected_version).await?;
        let mut draft = before.draft.clone();
        let mut customer_id = before.customer_external_id.clone();
        let mut problems = Problems::new();
        if let Some(new_id) = input.customer_id {
            check_external_id(&mut problems, "input.customerId", &new_id);
            customer_id = new_id;
        }
        if let Some(details) = input.customer_details {
            match details.apply(&mut draft.customer, "input.customerDetails") {
                Ok(()) => problems.extend(
                    details_problems(&draft.customer)
                        .into_iter()
                        .map(|e| FieldError {
                            field: format!("input.{}", e.field),
                            message: e.message,
                        })
                        .collect(),
                ),
                Err(errors) => problems.extend(errors),
            }
        }
        match input.account_to_open {
            async_graphql::MaybeUndefined::Undefined => {}
            async_graphql::MaybeUndefined::Null => draft.account_to_open = None,
            async_graphql::MaybeUndefined::Value(account) => {
                let mut pooled = rc.db.conn().await?;
                draft.account_to_open =
                    Some(account_to_open(&mut pooled.conn(), account, &mut problems).await?);
            }
        }
        if let Some(accepted) = input.terms_and_conditions_accepted {
            draft.terms_and_conditions_accepted = accepted;
        }
        ApiError::check(problems.into_errors())?;
        save(rc, before, customer_id, draft, "updateApplication").await
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
        let before = editable(rc, &application_id, expected_version).await?;
        corporate_only(&before)?;
        let details = patched_person(PersonDetails::default(), input)?;
        let now = Utc::now();
        let mut draft = before.draft.clone();
        draft.individuals.push(ApplicationPerson {
            id: ApplicationIndividualId::new(),
            details,
            created_at: now,
            updated_at: now,
        });
        let customer_id = before.customer_external_id.clone();
        save(rc, before, customer_id, draft, "addApplicationIndividual").await
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
        let before = editable(rc, &application_id, expected_version).await?;
        let key = person_id(&before, &individual_id, "individualId")?;
        let mut draft = before.draft.clone();
        if let Some(person) = draft.individuals.iter_mut().find(|p| p.id == key) {
            let details = patched_person(person.details.clone(), input)?;
            if details != person.details {
                person.details = details;
                person.updated_at = Utc::now();
            }
        }
        let customer_id = before.customer_external_id.clone();
        save(
            rc,
            before,
            customer_id,
            draft,
            "updateApplicationIndividual",
        )
        .await
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
        let before = editable(rc, &application_id, expected_version).await?;
        let key = person_id(&before, &individual_id, "individualId")?;
        let mut draft = before.draft.clone();
        draft.individuals.retain(|p| p.id != key);
        let customer_id = before.customer_external_id.clone();
        save(
            rc,
            before,
            customer_id,
            draft,
            "removeApplicationIndividual",
        )
        .await
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
        let before = editable(rc, &application_id, expected_version).await?;
        let key = super::document_id(&document_id, "documentId")?;
        let Some(slot) = document_slots(before.id, &before.draft)
            .into_iter()
            .find(|s| s.id == key)
        else {
            return Err(ApiError::NotFound(
                "the application asks for no document with this id (see Application.documents)"
                    .into(),
            ));
        };
        let new_file = read_upload(ctx, &file, rc.settings.max_document_bytes).await?;
        let mut pooled = rc.db.conn().await?;
        let saved = store::applications::upload(
            &mut pooled.conn(),
            &rc.principal.scope(),
            &before,
            &slot,
            &new_file,
            Change {
                actor: Actor::Client,
                reason: "uploadApplicationDocument",
            },
            Utc::now().date_naive(),
        )
        .await
        .map_err(|e| write_error(e, &before.customer_external_id))?;
        Ok(ApplicationPayload {
            application: Application::new(saved, rc.principal),
        })
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
        client_only(&rc.principal)?;
        let before = load_application(rc, &id).await?;
        check_version(&before, expected_version)?;
        guard_move(before.status, ApplicationStatus::Submitted, Mover::Client)?;
        let mut pooled = rc.db.conn().await?;
        let submitted = store::applications::transition(
            &mut pooled.conn(),
            &rc.principal.scope(),
            &before,
            Move {
                to: ApplicationStatus::Submitted,
                mover: Mover::Client,
                change: Change {
                    actor: Actor::Client,
                    reason: "submitted by the client",
                },
                changes: None,
                start_review: false,
            },
            Utc::now().date_naive(),
        )
        .await;
        let moved = match submitted {
            Ok(moved) => moved,
            Err(StoreError::NotAllowed { code, message }) => {
                // The application is no longer ready (e.g. its accountId was taken since):
                // settle its status to what the requirements say, then refuse.
                let settled = store::applications::save(
                    &mut pooled.conn(),
                    &rc.principal.scope(),
                    &before,
                    &before.customer_external_id,
                    before.draft.clone(),
                    Change {
                        actor: Actor::Client,
                        reason: "submitApplication",
                    },
                    Utc::now().date_naive(),
                )
                .await;
                if let Err(error) = settled {
                    tracing::warn!(?error, "a refused submission could not settle the status");
                }
                return Err(ApiError::Rule { code, message });
            }
            Err(other) => return Err(other.into()),
        };
        Ok(ApplicationPayload {
            application: Application::new(moved, rc.principal),
        })
    }
}
