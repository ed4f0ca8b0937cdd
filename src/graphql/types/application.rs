//! `Application` and what hangs off it: the draft details (masked for clients), the people,
//! the requirements that block submission, the documents, and the status history.

use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};

pub use super::application_document::ApplicationDocument;
use super::customer::{CorporationDetails, Customer, CustomerIndividual, IndividualDetails};
use crate::domain::account::ProductId;
use crate::domain::application::documents::DocumentStatus;
use crate::domain::application::requirements::{
    self, ApplicationErrorCode, DocumentRequirement, DocumentState, FieldRequirement, FieldStatus,
    Requirements, document_slots,
};
use crate::domain::application::{ApplicationStatus, ApplicationType, CustomerDraft};
use crate::domain::client::Actor;
use crate::domain::tenancy::Principal;
use crate::graphql::error::ApiResult;
use crate::graphql::loaders::{
    self, AccountIdTaken, ApplicationHistory, CustomerByKey, DocumentsOf,
};
use crate::graphql::node::{NodeKind, encode};
use crate::store;
use crate::store::applications::DocumentMeta;

/// A client's application to onboard a customer (KYC for a person, KYB for a company).
pub struct Application {
    pub application: Box<store::applications::Application>,
    pub principal: Principal,
}

impl Application {
    pub fn new(application: store::applications::Application, principal: Principal) -> Self {
        Self {
            application: Box::new(application),
            principal,
        }
    }

    /// The uploaded documents of this application (batched across a page).
    async fn uploaded(&self, ctx: &Context<'_>) -> ApiResult<Vec<DocumentMeta>> {
        Ok(loaders::reader(ctx)?
            .load_one(DocumentsOf(self.application.id))
            .await?
            .unwrap_or_default())
    }

    /// What blocks submission now.
    pub async fn compute_requirements(&self, ctx: &Context<'_>) -> ApiResult<Requirements> {
        let uploaded = self.uploaded(ctx).await?;
        let states: Vec<DocumentState> = uploaded
            .iter()
            .map(|d| DocumentState {
                id: d.id,
                status: d.status,
                review_note: d.review_note.clone(),
            })
            .collect();
        let app = &self.application;
        let account_id_taken = match &app.draft.account_to_open {
            // Once approved, the account is the application's own.
            Some(_) if app.customer_id.is_some() => false,
            Some(account) => loaders::reader(ctx)?
                .load_one(AccountIdTaken(app.client_id, account.account_id.clone()))
                .await?
                .unwrap_or(false),
            None => false,
        };
        Ok(requirements::requirements(
            &app.draft,
            &requirements::Context {
                application: app.id,
                documents: &states,
                account_id_taken,
                today: Utc::now().date_naive(),
            },
        ))
    }

    fn document(
        &self,
        requirement: DocumentRequirement,
        uploaded: &[DocumentMeta],
    ) -> ApplicationDocument {
        ApplicationDocument {
            id: requirement.id,
            individual_id: requirement.individual_id,
            document: requirement.document,
            status: requirement.status,
            description: Some(requirement.description),
            file: uploaded.iter().find(|d| d.id == requirement.id).cloned(),
            principal: self.principal,
        }
    }
}

/// A client's application to onboard a customer (KYC for a person, KYB for a company). It
/// moves INCOMPLETE ⇄ READY_FOR_SUBMISSION by itself as its requirements are met, the client
/// submits it, and the platform reviews it: APPROVED creates the customer and its default
/// account.
#[Object]
impl Application {
    /// The application's opaque global id.
    pub async fn id(&self) -> ID {
        encode(NodeKind::Application, self.application.id.0)
    }

    /// INDIVIDUAL (KYC) or CORPORATION (KYB).
    async fn application_type(&self) -> ApplicationType {
        self.application.application_type()
    }

    /// The future customer's customerId (the client's own reference).
    async fn customer_id(&self) -> &str {
        &self.application.customer_external_id
    }

    /// Where the application is in onboarding.
    async fn status(&self) -> ApplicationStatus {
        self.application.status
    }

    /// The future customer's details as given so far (a required name not given yet is an
    /// empty string; `requirements` lists it). Tax and passport numbers are masked for clients.
    async fn customer_details(&self) -> ApplicationCustomerDetails {
        let (individual, corporation) = match &self.application.draft.customer {
            CustomerDraft::Individual(details) => (
                Some(IndividualDetails {
                    details: details.clone(),
                    principal: self.principal,
                }),
                None,
            ),
            CustomerDraft::Corporation(details) => {
                (None, Some(CorporationDetails(details.clone())))
            }
        };
        ApplicationCustomerDetails {
            individual,
            corporation,
        }
    }

    /// The people of a corporate application (officers, owners…), in the order added.
    async fn individuals(&self) -> Vec<CustomerIndividual> {
        self.application
            .draft
            .individuals
            .iter()
            .map(|p| CustomerIndividual::of_application(p, self.principal))
            .collect()
    }

    /// The default account to open on approval, once given.
    async fn account_to_open(&self) -> Option<AccountToOpen> {
        self.application
            .draft
            .account_to_open
            .as_ref()
            .map(|a| AccountToOpen {
                account_id: a.account_id.clone(),
                product_id: a.product_id,
                asset_type_id: a.asset_type_id.clone(),
            })
    }

    /// Whether the terms and conditions are accepted (required to submit).
    async fn terms_and_conditions_accepted(&self) -> bool {
        self.application.draft.terms_and_conditions_accepted
    }

    /// Everything that blocks submission now, all at once; `met` when nothing does.
    async fn requirements(&self, ctx: &Context<'_>) -> ApiResult<ApplicationRequirements> {
        let uploaded = self.uploaded(ctx).await?;
        let r = self.compute_requirements(ctx).await?;
        let met = r.met();
        Ok(ApplicationRequirements {
            met,
            field_errors: r.field_errors.into_iter().map(Into::into).collect(),
            application_errors: r.application_errors,
            documents: r
                .documents
                .into_iter()
                .map(|d| self.document(d, &uploaded))
                .collect(),
            individuals: r
                .individuals
                .into_iter()
                .map(|p| IndividualRequirements {
                    individual_id: encode(NodeKind::ApplicationIndividual, p.individual_id.0),
                    field_errors: p.field_errors.into_iter().map(Into::into).collect(),
                    documents: p
                        .documents
                        .into_iter()
                        .map(|d| self.document(d, &uploaded))
                        .collect(),
                })
                .collect(),
        })
    }

    /// Every document the application asks for (uploaded or not), and any other uploaded.
    async fn documents(&self, ctx: &Context<'_>) -> ApiResult<Vec<ApplicationDocument>> {
        let uploaded = self.uploaded(ctx).await?;
        let app = &self.application;
        let mut out: Vec<ApplicationDocument> = document_slots(app.id, &app.draft)
            .into_iter()
            .map(|slot| {
                let file = uploaded.iter().find(|d| d.id == slot.id).cloned();
                ApplicationDocument {
                    id: slot.id,
                    individual_id: slot.individual_id,
                    document: slot.document,
                    status: file.as_ref().map_or(DocumentStatus::Missing, |f| f.status),
                    description: Some(
                        file.as_ref()
                            .and_then(|f| f.review_note.clone())
                            .unwrap_or_else(|| slot.description()),
                    ),
                    file,
                    principal: self.principal,
                }
            })
            .collect();
        for file in uploaded {
            if !out.iter().any(|d| d.id == file.id) {
                out.push(ApplicationDocument::uploaded(file, self.principal));
            }
        }
        Ok(out)
    }

    /// The application's status changes, oldest first.
    async fn status_history(&self, ctx: &Context<'_>) -> ApiResult<Vec<ApplicationStatusChange>> {
        let entries = loaders::reader(ctx)?
            .load_one(ApplicationHistory(self.application.id))
            .await?
            .unwrap_or_default();
        Ok(entries
            .into_iter()
            .map(|e| ApplicationStatusChange {
                from_status: e.from_status,
                to_status: e.to_status,
                actor: e.actor,
                reason: e.reason,
                created_at: e.created_at.0,
            })
            .collect())
    }

    /// The customer this application created; null until APPROVED.
    async fn customer(&self, ctx: &Context<'_>) -> ApiResult<Option<Customer>> {
        let Some(key) = self.application.customer_id else {
            return Ok(None);
        };
        Ok(loaders::reader(ctx)?
            .load_one(CustomerByKey(key))
            .await?
            .map(Customer))
    }

    /// Why the platform decided as it did (APPROVED or REJECTED).
    async fn decision_reason(&self) -> Option<&str> {
        self.application.decision_reason.as_deref()
    }

    /// Incremented by every change; pass it as `expectedVersion` to refuse a stale edit.
    async fn version(&self) -> i64 {
        self.application.version
    }

    /// When the application was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.application.created_at.0
    }

    /// When the application last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.application.updated_at.0
    }

    /// When the client last submitted it.
    async fn submitted_at(&self) -> Option<DateTime<Utc>> {
        self.application.submitted_at.map(|t| t.0)
    }

    /// When the platform decided (APPROVED or REJECTED).
    async fn decided_at(&self) -> Option<DateTime<Utc>> {
        self.application.decided_at.map(|t| t.0)
    }
}

/// The future customer's details: one of the two is set, by the application's type.
#[derive(SimpleObject)]
pub struct ApplicationCustomerDetails {
    /// For an INDIVIDUAL application.
    individual: Option<IndividualDetails>,
    /// For a CORPORATION application.
    corporation: Option<CorporationDetails>,
}

/// The account opened on approval as the customer's default account.
#[derive(SimpleObject)]
pub struct AccountToOpen {
    /// The client's own id for the account.
    account_id: String,
    /// The kind of account.
    product_id: ProductId,
    /// The asset the account holds, e.g. FIAT_MAINNET_USD.
    asset_type_id: String,
}

/// What blocks an application's submission (the platform's application status view).
#[derive(SimpleObject)]
pub struct ApplicationRequirements {
    /// True when nothing blocks submission (every list below is empty).
    met: bool,
    /// Fields of the application that are missing, invalid, or that the reviewer asked to
    /// change.
    field_errors: Vec<ApplicationFieldError>,
    /// Problems of a corporate application as a whole.
    application_errors: Vec<ApplicationErrorCode>,
    /// Documents of the application itself that are still needed.
    documents: Vec<ApplicationDocument>,
    /// What blocks on each attached person (only people with something to fix).
    individuals: Vec<IndividualRequirements>,
}

/// One field that blocks submission.
#[derive(SimpleObject)]
pub struct ApplicationFieldError {
    /// Dotted path of the field, e.g. `registeredAddress.city`, `accountToOpen`.
    field_name: String,
    /// INCOMPLETE (missing or invalid) or CHANGES_REQUESTED (by the reviewer).
    field_status: FieldStatus,
    /// What is wrong, or what the reviewer asks.
    description: String,
}

impl From<FieldRequirement> for ApplicationFieldError {
    fn from(r: FieldRequirement) -> Self {
        Self {
            field_name: r.field_name,
            field_status: r.field_status,
            description: r.description,
        }
    }
}

/// What blocks submission on one person of a corporate application.
#[derive(SimpleObject)]
pub struct IndividualRequirements {
    /// The person's id (see `Application.individuals`).
    individual_id: ID,
    /// The person's fields that are missing, invalid, or to change.
    field_errors: Vec<ApplicationFieldError>,
    /// The person's documents that are still needed.
    documents: Vec<ApplicationDocument>,
}

/// One change of an application's status.
#[derive(SimpleObject)]
pub struct ApplicationStatusChange {
    /// The status before; null for the first entry.
    from_status: Option<ApplicationStatus>,
    /// The status after.
    to_status: ApplicationStatus,
    /// Who made the change (SYSTEM is never used for applications today).
    actor: Actor,
    /// Why.
    reason: String,
    /// When.
    created_at: DateTime<Utc>,
}
