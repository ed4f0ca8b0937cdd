//! What still blocks an application's submission, all of it at once: missing or invalid
//! fields, missing people, documents, and the reviewer's open change requests.

use chrono::NaiveDate;

use super::documents::{
    DocumentStatus, DocumentType, IDENTITY_ALTERNATIVES, describe_alternatives, requirement_id,
};
use super::{ChangeRequest, CustomerDraft, Draft};
use crate::domain::customer::{
    CorporateEntityType, IndividualType, PersonDetails, check_total_ownership,
};
use crate::domain::ids::{ApplicationId, ApplicationIndividualId, DocumentId};
use crate::domain::validation::FieldError;
use crate::domain::value_enum::value_enum;

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

/// A stored document's state, as far as the requirements care.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentState {
    pub id: DocumentId,
    pub status: DocumentStatus,
    pub review_note: Option<String>,
}

/// A document the application asks for: who it is for, which kind, and the alternatives it
/// belongs to (any one complete alternative satisfies the group).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentSlot {
    pub id: DocumentId,
    pub individual_id: Option<ApplicationIndividualId>,
    pub document: DocumentType,
    pub alternatives: &'static [&'static [DocumentType]],
    /// False for a supporting document the client may add (and the reviewer may then ask to
    /// replace) but need not.
    pub required: bool,
}

impl DocumentSlot {
    /// What the slot asks for, in words.
    pub fn description(&self) -> String {
        if !self.required {
            "optional supporting document".to_owned()
        } else if self.alternatives.len() > 1 {
            describe_alternatives(self.alternatives)
        } else {
            "is required".to_owned()
        }
    }
}

use DocumentType::*;

const INCORPORATION: &[&[DocumentType]] = &[&[IncorporationDocuments]];
/// Supporting documents an individual may add (proof of address, of income, of authority).
const INDIVIDUAL_SUPPORTING: &[&[DocumentType]] = &[&[
    UtilityBill,
    LeaseAgreement,
    SocialSecurityCard,
    FinancialStatement,
    PowerOfAttorney,
]];
/// Supporting documents a corporation may add.
const CORPORATION_SUPPORTING: &[&[DocumentType]] = &[&[
    AnnualReport,
    FinancialStatement,
    PartnershipAgreement,
    LlcAgreement,
    PowerOfAttorney,
    UtilityBill,
    LeaseAgreement,
]];

/// Whether a person must prove their identity: officers and beneficial owners.
fn needs_identity(person: &PersonDetails) -> bool {
    person
        .individual_type
        .iter()
        .any(|t| matches!(t, IndividualType::Officer | IndividualType::BeneficialOwner))
}

/// Every document the application asks for now (an individual's identity; a corporation's
/// incorporation documents and the identity of each officer and owner), then the supporting
/// documents it accepts.
pub fn document_slots(application: ApplicationId, draft: &Draft) -> Vec<DocumentSlot> {
    type Group = (
        Option<ApplicationIndividualId>,
        &'static [&'static [DocumentType]],
        bool,
    );
    let mut groups: Vec<Group> = Vec::new();
    match &draft.customer {
        CustomerDraft::Individual(_) => {
            groups.push((None, IDENTITY_ALTERNATIVES, true));
            groups.push((None, INDIVIDUAL_SUPPORTING, false));
        }
        CustomerDraft::Corporation(_) => {
            groups.push((None, INCORPORATION, true));
            for person in &draft.individuals {
                if needs_identity(&person.details) {
                    groups.push((Some(person.id), IDENTITY_ALTERNATIVES, true));
                }
            }
            groups.push((None, CORPORATION_SUPPORTING, false));
        }
    }
    groups
        .into_iter()
        .flat_map(|(individual_id, alternatives, required)| {
            alternatives
                .iter()
                .flat_map(|set| set.iter())
                .map(move |&document| DocumentSlot {
                    id: requirement_id(application, individual_id, document),
                    individual_id,
                    document,
                    alternatives,
                    required,
                })
        })
        .collect()
}

/// Fields the platform needs before it can review (ours, where it does not publish them).
fn missing_fields(customer: &CustomerDraft) -> Vec<&'static str> {
    let mut missing = Vec::new();
    let mut need = |present: bool, field: &'static str| {
        if !present {
            missing.push(field);
        }
    };
    match customer {
        CustomerDraft::Individual(d) => {
            need(!d.first_name.trim().is_empty(), "firstName");
            need(!d.last_name.trim().is_empty(), "lastName");
            need(d.email_address.is_some(), "emailAddress");
            need(d.telephone_number.is_some(), "telephoneNumber");
            need(d.mailing_address.is_some(), "mailingAddress");
            need(d.tax_reference_number.is_some(), "taxReferenceNumber");
            need(d.nationality.is_some(), "nationality");
            need(d.date_of_birth.is_some(), "dateOfBirth");
        }
        CustomerDraft::Corporation(d) => {
            need(!d.registered_name.trim().is_empty(), "registeredName");
            need(d.registered_number.is_some(), "registeredNumber");
            need(d.registered_address.is_some(), "registeredAddress");
            need(
                d.country_of_incorporation.is_some(),
                "countryOfIncorporation",
            );
            need(d.corporate_entity_type.is_some(), "corporateEntityType");
            need(d.established_on.is_some(), "establishedOn");
        }
    }
    missing
}

/// The fields every attached person needs.
fn missing_person_fields(person: &PersonDetails) -> Vec<&'static str> {
    let mut missing = Vec::new();
    for (present, field) in [
        (!person.individual_type.is_empty(), "individualType"),
        (!person.first_name.trim().is_empty(), "firstName"),
        (!person.last_name.trim().is_empty(), "lastName"),
        (person.date_of_birth.is_some(), "dateOfBirth"),
        (person.nationality.is_some(), "nationality"),
        (person.mailing_address.is_some(), "mailingAddress"),
    ] {
        if !present {
            missing.push(field);
        }
    }
    missing
}

/// The rules broken by values that are given (a blank required name counts as missing, not
/// as broken): what an edit is refused for.
pub fn customer_problems(customer: &CustomerDraft, today: NaiveDate) -> Vec<FieldError> {
    let missing = missing_fields(customer);
    let errors = match customer {
        CustomerDraft::Individual(d) => d.check("", today),
        CustomerDraft::Corporation(d) => d.check("", today),
    };
    errors
        .into_iter()
        .filter(|e| !missing.contains(&e.field.as_str()))
        .collect()
}

/// The rules broken by a person's given values (see [`customer_problems`]).
pub fn person_problems(person: &PersonDetails, today: NaiveDate) -> Vec<FieldError> {
    let missing = missing_person_fields(person);
    person
        .check("", today)
        .into_iter()
        .filter(|e| !missing.contains(&e.field.as_str()))
        .collect()
}

fn incomplete(field_name: impl Into<String>, description: impl Into<String>) -> FieldRequirement {
    FieldRequirement {
        field_name: field_name.into(),
        field_status: FieldStatus::Incomplete,
        description: description.into(),
    }
}

fn field_requirements(
    missing: Vec<&'static str>,
    problems: Vec<FieldError>,
    requests: impl Iterator<Item = ChangeRequest>,
) -> Vec<FieldRequirement> {
    let mut out: Vec<FieldRequirement> = missing
        .into_iter()
        .map(|field| incomplete(field, "is required"))
        .collect();
    out.extend(problems.into_iter().map(|e| incomplete(e.field, e.message)));
    out.extend(requests.map(|r| FieldRequirement {
        field_name: r.field_name,
        field_status: FieldStatus::ChangesRequested,
        description: r.description,
    }));
    out
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
        for e in check_total_ownership(
            "individuals.percentageOwnership",
            draft
                .individuals
                .iter()
                .filter_map(|p| p.details.ownership_basis_points),
        ) {
            field_errors.push(incomplete(e.field, e.message));
        }
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
