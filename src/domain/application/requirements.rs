//! What still blocks an application's submission, all of it at once: missing or invalid
//! fields, missing people, documents, and the reviewer's open change requests.

mod fields;
mod slots;

pub use fields::{customer_problems, person_problems};
pub use slots::{DocumentSlot, DocumentState, document_slots};

use chrono::NaiveDate;

use super::documents::{DocumentStatus, DocumentType};
use super::{CustomerDraft, Draft};
use crate::domain::customer::{
    CorporateEntityType, CorporationDetails, IndividualType, check_total_ownership,
};
use crate::domain::ids::{ApplicationId, ApplicationIndividualId, DocumentId};
use crate::domain::value_enum::value_enum;
use fields::{field_requirements, incomplete, missing_fields, missing_person_fields};

value_enum! {
    /// Where a field of an application stands (the platform's field statuses).
    FieldStatus {
        /// Missing or invalid.
        Incomplete = "INCOMPLETE",
        /// Given and valid.
        ReadyForSubmission = "READY_FOR_SUBMISSION",
        /// The reviewer asks for a change (see the description).
        ChangesRequested = "CHANGES_REQUESTED",
        /// Accepted by the reviewer.
        Approved = "APPROVED",
    }
}

value_enum! {
    /// A problem of a corporate application as a whole (the platform's codes).
    ApplicationErrorCode {
        /// No beneficial owner is attached (required unless the entity is C_CORP_PUBLIC or
        /// NON_PROFIT).
        MissingBeneficialOwner = "MISSING_BENEFICIAL_OWNER",
        /// No officer is attached.
        MissingOfficer = "MISSING_OFFICER",
        /// No person at all is attached.
        MissingPerson = "MISSING_PERSON",
    }
}

/// One field that blocks submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldRequirement {
    pub field_name: String,
    pub field_status: FieldStatus,
    pub description: String,
}

/// One document the application asks for, and where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentRequirement {
    pub id: DocumentId,
    pub individual_id: Option<ApplicationIndividualId>,
    pub document: DocumentType,
    pub status: DocumentStatus,
    pub description: String,
}

/// What blocks submission on one attached person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonRequirements {
    pub individual_id: ApplicationIndividualId,
    pub field_errors: Vec<FieldRequirement>,
    pub documents: Vec<DocumentRequirement>,
}

/// Everything that blocks submission; empty when the application may be submitted.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Requirements {
    pub field_errors: Vec<FieldRequirement>,
    pub application_errors: Vec<ApplicationErrorCode>,
    pub documents: Vec<DocumentRequirement>,
    pub individuals: Vec<PersonRequirements>,
}

impl Requirements {
    /// Whether every document the application needs is there and not refused (what
    /// approval checks again, after the reviewer's verdicts).
    pub fn documents_met(&self) -> bool {
        self.documents.is_empty() && self.individuals.iter().all(|p| p.documents.is_empty())
    }

    /// Whether nothing blocks submission.
    pub fn met(&self) -> bool {
        self.field_errors.is_empty()
            && self.application_errors.is_empty()
            && self.documents.is_empty()
            && self.individuals.is_empty()
    }
}

/// The facts outside the draft that the requirements depend on.
pub struct Context<'a> {
    pub application: ApplicationId,
    pub documents: &'a [DocumentState],
    /// Whether `accountToOpen.accountId` is already an account of the client.
    pub account_id_taken: bool,
    pub today: NaiveDate,
}

/// Everything that blocks submission of `draft`.
pub fn requirements(draft: &Draft, cx: &Context<'_>) -> Requirements {
    let requests_for = |who: Option<ApplicationIndividualId>| {
        draft
            .change_requests
            .iter()
            .filter(move |r| r.individual_id == who)
            .cloned()
    };
    let mut field_errors = field_requirements(
        missing_fields(&draft.customer),
        customer_problems(&draft.customer, cx.today),
        requests_for(None),
    );
    match &draft.account_to_open {
        None => field_errors.push(incomplete("accountToOpen", "is required")),
        Some(_) if cx.account_id_taken => field_errors.push(incomplete(
            "accountToOpen.accountId",
            "is already the accountId of another account",
        )),
        Some(_) => {}
    }
    if !draft.terms_and_conditions_accepted {
        field_errors.push(incomplete(
            "termsAndConditionsAccepted",
            "the terms and conditions must be accepted",
        ));
    }

    let mut application_errors = Vec::new();
    if let CustomerDraft::Corporation(corporation) = &draft.customer {
        application_errors = missing_people(draft, corporation);
        field_errors.extend(ownership_problems(draft));
    }

    let slots = document_slots(cx.application, draft);
    let mut documents = blocking_documents(&slots, cx.documents);
    let individuals = draft
        .individuals
        .iter()
        .filter_map(|person| {
            let field_errors = field_requirements(
                missing_person_fields(&person.details),
                person_problems(&person.details, cx.today),
                requests_for(Some(person.id)),
            );
            let (mine, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut documents)
                .into_iter()
                .partition(|d| d.individual_id == Some(person.id));
            documents = rest;
            (!field_errors.is_empty() || !mine.is_empty()).then_some(PersonRequirements {
                individual_id: person.id,
                field_errors,
                documents: mine,
            })
        })
        .collect();

    Requirements {
        field_errors,
        application_errors,
        documents,
        individuals,
    }
}

/// What a corporation's people lack as a whole: anyone at all, an officer, and a beneficial
/// owner unless its entity type needs none.
fn missing_people(draft: &Draft, corporation: &CorporationDetails) -> Vec<ApplicationErrorCode> {
    let mut application_errors = Vec::new();
    let has = |role| {
        draft
            .individuals
            .iter()
            .any(|p| p.details.individual_type.contains(&role))
    };
    if draft.individuals.is_empty() {
        application_errors.push(ApplicationErrorCode::MissingPerson);
    }
    if !has(IndividualType::Officer) {
        application_errors.push(ApplicationErrorCode::MissingOfficer);
    }
    let owners_optional = matches!(
        corporation.corporate_entity_type,
        Some(CorporateEntityType::CCorpPublic | CorporateEntityType::NonProfit)
    );
    if !owners_optional && !has(IndividualType::BeneficialOwner) {
        application_errors.push(ApplicationErrorCode::MissingBeneficialOwner);
    }
    application_errors
}

/// The people's ownership shares taken together, as field errors.
fn ownership_problems(draft: &Draft) -> Vec<FieldRequirement> {
    check_total_ownership(
        "individuals.percentageOwnership",
        draft
            .individuals
            .iter()
            .filter_map(|p| p.details.ownership_basis_points),
    )
    .into_iter()
    .map(|e| incomplete(e.field, e.message))
    .collect()
}

/// The status of a slot from the stored documents.
fn status_of(slot: &DocumentSlot, stored: &[DocumentState]) -> (DocumentStatus, Option<String>) {
    stored
        .iter()
        .find(|d| d.id == slot.id)
        .map(|d| (d.status, d.review_note.clone()))
        .unwrap_or((DocumentStatus::Missing, None))
}

/// The slots that block: every unprovided slot of a group none of whose alternatives is
/// complete, and every slot the reviewer asked to change.
fn blocking_documents(
    slots: &[DocumentSlot],
    stored: &[DocumentState],
) -> Vec<DocumentRequirement> {
    let provided = |owner: Option<ApplicationIndividualId>, document: DocumentType| {
        slots
            .iter()
            .find(|s| s.individual_id == owner && s.document == document)
            .is_some_and(|s| status_of(s, stored).0.provided())
    };
    slots
        .iter()
        .filter_map(|slot| {
            let (status, note) = status_of(slot, stored);
            let group_met = slot
                .alternatives
                .iter()
                .any(|set| set.iter().all(|&d| provided(slot.individual_id, d)));
            let blocks = status == DocumentStatus::ChangesRequested
                || (slot.required && !group_met && !status.provided());
            blocks.then(|| DocumentRequirement {
                id: slot.id,
                individual_id: slot.individual_id,
                document: slot.document,
                status,
                description: note.unwrap_or_else(|| slot.description()),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests;
