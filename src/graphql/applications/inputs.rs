//! Input types of applications, and how they change a draft. Details and people reuse the
//! customer patch types: an absent field stays, `null` clears, and nothing is required
//! until submission (the requirements say what is missing).

use async_graphql::{Enum, ID, InputObject, MaybeUndefined};

use crate::domain::application::{ApplicationStatus, ApplicationType, CustomerDraft};
use crate::domain::validation::FieldError;
use crate::graphql::customer_inputs::{
    AccountToOpenInput, CorporationDetailsPatch, IndividualDetailsPatch,
};

/// The future customer's details: give the part that matches the application's type.
#[derive(InputObject, Default, Clone)]
pub struct ApplicationDetailsInput {
    /// For an INDIVIDUAL application: the fields to set (absent stays, null clears).
    pub individual: Option<IndividualDetailsPatch>,
    /// For a CORPORATION application: the fields to set (absent stays, null clears).
    pub corporation: Option<CorporationDetailsPatch>,
}

impl ApplicationDetailsInput {
    /// Applies the details to `draft`; errors name their path under `path`.
    pub fn apply(self, draft: &mut CustomerDraft, path: &str) -> Result<(), Vec<FieldError>> {
        let prefixed = |errors: Vec<FieldError>| -> Vec<FieldError> {
            errors
                .into_iter()
                .map(|e| FieldError {
                    field: format!("{path}.{}", e.field),
                    message: e.message,
                })
                .collect()
        };
        let mismatch = |given: &str, kind: ApplicationType| {
            vec![FieldError {
                field: format!("{path}.{given}"),
                message: format!("this is an {kind} application"),
            }]
        };
        let kind = draft.application_type();
        match (draft, self.individual, self.corporation) {
            (_, Some(_), Some(_)) => Err(vec![FieldError {
                field: path.to_owned(),
                message: "give individual or corporation, not both".into(),
            }]),
            (CustomerDraft::Individual(d), Some(patch), None) => {
                patch.apply(d).map(|_| ()).map_err(prefixed)
            }
            (CustomerDraft::Corporation(d), None, Some(patch)) => {
                patch.apply(d).map(|_| ()).map_err(prefixed)
            }
            (_, Some(_), None) => Err(mismatch("individual", kind)),
            (_, None, Some(_)) => Err(mismatch("corporation", kind)),
            (_, None, None) => Ok(()),
        }
    }
}

/// A new application.
#[derive(InputObject)]
pub struct CreateApplicationInput {
    /// INDIVIDUAL (KYC) or CORPORATION (KYB).
    pub application_type: ApplicationType,
    /// The future customer's customerId, unique within the client across customers and
    /// open applications.
    pub customer_id: String,
    /// The future customer's details, as far as known (more can follow with
    /// updateApplication).
    pub customer_details: Option<ApplicationDetailsInput>,
    /// The default account to open on approval.
    pub account_to_open: Option<AccountToOpenInput>,
    /// Whether the customer accepted the terms and conditions (default false; required to
    /// submit).
    #[graphql(default)]
    pub terms_and_conditions_accepted: bool,
}

/// Changes to an application: only what is given changes.
#[derive(InputObject, Default)]
pub struct UpdateApplicationInput {
    /// A new customerId for the future customer.
    pub customer_id: Option<String>,
    /// Changes to the details.
    pub customer_details: Option<ApplicationDetailsInput>,
    /// The default account to open (replaced whole; null removes it).
    pub account_to_open: MaybeUndefined<AccountToOpenInput>,
    /// Whether the customer accepted the terms and conditions.
    pub terms_and_conditions_accepted: Option<bool>,
}

/// A field the reviewer asks the client to change.
#[derive(InputObject)]
pub struct RequestedFieldChangeInput {
    /// The person the field belongs to (`Application.individuals`); absent for the
    /// application's own fields.
    pub individual_id: Option<ID>,
    /// Dotted path of the field, e.g. `mailingAddress.city` or `accountToOpen.accountId`.
    pub field_name: String,
    /// What to change, shown to the client.
    pub description: String,
}

/// An uploaded document the reviewer asks the client to replace.
#[derive(InputObject)]
pub struct RequestedDocumentChangeInput {
    /// The document's id (`Application.documents`).
    pub document_id: ID,
    /// What is wrong with it, shown to the client.
    pub description: String,
}

/// The reviewer's verdict on one document.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum DocumentVerdict {
    /// The document is acceptable.
    Approved,
    /// The document is refused; another must be uploaded.
    Rejected,
    /// The client should upload a better one (say why in `note`).
    ChangesRequested,
}

/// The decision a sandbox client simulates for its own application.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum SimulatedDecision {
    /// Approve: the customer and its default account are created.
    Approve,
    /// Reject for good.
    Reject,
    /// Ask for changes (name the fields or documents).
    RequestChanges,
}

/// Filters for listing applications; every field is optional and they combine with AND.
#[derive(InputObject, Default)]
pub struct ApplicationFilterInput {
    /// Only applications in one of these statuses.
    pub status: Option<Vec<ApplicationStatus>>,
    /// Only applications of this type.
    pub application_type: Option<ApplicationType>,
    /// Only applications for this customerId.
    pub customer_id: Option<String>,
    /// Only applications created at or after this time.
    pub created_after: Option<chrono::DateTime<chrono::Utc>>,
    /// Only applications created before this time.
    pub created_before: Option<chrono::DateTime<chrono::Utc>>,
}
