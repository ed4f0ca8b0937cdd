//! The documents an application asks for: one slot per document, for the applicant or one
//! of its people, each in its group of alternatives.

use super::super::documents::{
    DocumentStatus, DocumentType, IDENTITY_ALTERNATIVES, describe_alternatives, requirement_id,
};
use super::super::{CustomerDraft, Draft};
use crate::domain::customer::{IndividualType, PersonDetails};
use crate::domain::ids::{ApplicationId, ApplicationIndividualId, DocumentId};

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
