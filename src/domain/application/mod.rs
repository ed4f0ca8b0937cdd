//! Applications (DOMAIN.md, Applications): the draft a client builds, and the lifecycle as
//! data (which actor may move an application from which status to which). What blocks
//! submission is `requirements`; which documents are asked for is `documents`.

pub mod change_requests;
pub mod documents;
pub mod requirements;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::account::ProductId;
use crate::domain::customer::{CorporationDetails, IndividualDetails, PersonDetails};
use crate::domain::ids::ApplicationIndividualId;
use crate::domain::value_enum::value_enum;

/// The future customer's details, possibly incomplete: a required name not given yet is
/// empty, and the requirements say so.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "details", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CustomerDraft {
    Individual(IndividualDetails),
    Corporation(CorporationDetails),
}

impl CustomerDraft {
    /// An empty draft of the given type.
    pub fn empty(application_type: ApplicationType) -> Self {
        match application_type {
            ApplicationType::Individual => Self::Individual(IndividualDetails::default()),
            ApplicationType::Corporation => Self::Corporation(CorporationDetails::default()),
        }
    }

    pub fn application_type(&self) -> ApplicationType {
        match self {
            Self::Individual(_) => ApplicationType::Individual,
            Self::Corporation(_) => ApplicationType::Corporation,
        }
    }
}

/// A person attached to a corporate application; becomes a customer individual on approval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationPerson {
    pub id: ApplicationIndividualId,
    pub details: PersonDetails,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The default account to open on approval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountToOpen {
    pub account_id: String,
    pub product_id: ProductId,
    pub asset_type_id: String,
}

/// A field the reviewer asked the client to change, with why; cleared once the value changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeRequest {
    /// The person the field belongs to; `None` for the application's own fields.
    pub individual_id: Option<ApplicationIndividualId>,
    /// Dotted path, e.g. `mailingAddress.city`.
    pub field_name: String,
    pub description: String,
}

/// Everything the client edits in an application.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub customer: CustomerDraft,
    pub individuals: Vec<ApplicationPerson>,
    pub account_to_open: Option<AccountToOpen>,
    pub terms_and_conditions_accepted: bool,
    pub change_requests: Vec<ChangeRequest>,
}

impl Draft {
    pub fn empty(application_type: ApplicationType) -> Self {
        Self {
            customer: CustomerDraft::empty(application_type),
            individuals: Vec::new(),
            account_to_open: None,
            terms_and_conditions_accepted: false,
            change_requests: Vec::new(),
        }
    }

    pub fn person(&self, id: ApplicationIndividualId) -> Option<&ApplicationPerson> {
        self.individuals.iter().find(|p| p.id == id)
    }
}

value_enum! {
    /// Where an application is in onboarding.
    ApplicationStatus {
        /// Requirements are still missing.
        Incomplete = "INCOMPLETE",
        /// Every requirement is met; the client may submit.
        ReadyForSubmission = "READY_FOR_SUBMISSION",
        /// Submitted by the client; awaiting the platform.
        Submitted = "SUBMITTED",
        /// Under review by the platform.
        Processing = "PROCESSING",
        /// Approved: the customer and its default account exist.
        Approved = "APPROVED",
        /// Rejected for good.
        Rejected = "REJECTED",
        /// The platform asks the client to change fields or documents.
        ChangesRequested = "CHANGES_REQUESTED",
    }
}

value_enum! {
    /// Whether an application onboards a person or a company.
    ApplicationType {
        /// KYC for a natural person.
        Individual = "INDIVIDUAL",
        /// KYB for a company or other legal entity.
        Corporation = "CORPORATION",
    }
}

/// Who moves an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mover {
    /// The server itself, from the requirements (INCOMPLETE ⇄ READY_FOR_SUBMISSION).
    Requirements,
    /// The client that owns the application.
    Client,
    /// The platform's reviewer (the operator; in the sandbox, the client's own simulation).
    Reviewer,
}

use ApplicationStatus::*;

/// The lifecycle: (from, to, who may make that move).
pub const LIFECYCLE: &[(ApplicationStatus, ApplicationStatus, Mover)] = &[
    (Incomplete, ReadyForSubmission, Mover::Requirements),
    (ReadyForSubmission, Incomplete, Mover::Requirements),
    (ChangesRequested, ReadyForSubmission, Mover::Requirements),
    (ReadyForSubmission, Submitted, Mover::Client),
    (Submitted, Processing, Mover::Reviewer),
    (Processing, Approved, Mover::Reviewer),
    (Processing, Rejected, Mover::Reviewer),
    (Processing, ChangesRequested, Mover::Reviewer),
];

impl ApplicationStatus {
    /// Whether the client may edit the application (details, individuals, documents).
    pub fn editable(self) -> bool {
        matches!(self, Incomplete | ReadyForSubmission | ChangesRequested)
    }

    /// APPROVED and REJECTED are final.
    pub fn is_final(self) -> bool {
        matches!(self, Approved | Rejected)
    }

    /// Whether the application still holds its `customerId` against others.
    pub fn is_open(self) -> bool {
        self != Rejected
    }

    /// The statuses `mover` may move an application in this status to.
    pub fn next_for(self, mover: Mover) -> Vec<ApplicationStatus> {
        LIFECYCLE
            .iter()
            .filter(|(from, _, who)| *from == self && *who == mover)
            .map(|(_, to, _)| *to)
            .collect()
    }
}

/// Checks one move of the lifecycle: `Err` with what `mover` may do instead.
pub fn check_move(
    from: ApplicationStatus,
    to: ApplicationStatus,
    mover: Mover,
) -> Result<(), Vec<ApplicationStatus>> {
    if LIFECYCLE.contains(&(from, to, mover)) {
        Ok(())
    } else {
        Err(from.next_for(mover))
    }
}

/// The status an editable application settles in after an edit, from whether every
/// requirement now holds. CHANGES_REQUESTED stays until the requirements hold again.
pub fn settle(current: ApplicationStatus, requirements_met: bool) -> ApplicationStatus {
    match (current, requirements_met) {
        (Incomplete | ChangesRequested, true) => ReadyForSubmission,
        (ReadyForSubmission, false) => Incomplete,
        (other, _) => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every (from, to, mover) triple, spelled out against the platform's lifecycle.
    #[test]
    fn every_move_for_every_mover() {
        let allowed = |from, to, mover| {
            matches!(
                (from, to, mover),
                (Incomplete, ReadyForSubmission, Mover::Requirements)
                    | (ReadyForSubmission, Incomplete, Mover::Requirements)
                    | (ChangesRequested, ReadyForSubmission, Mover::Requirements)
                    | (ReadyForSubmission, Submitted, Mover::Client)
                    | (Submitted, Processing, Mover::Reviewer)
                    | (
                        Processing,
                        Approved | Rejected | ChangesRequested,
                        Mover::Reviewer
                    )
            )
        };
        let mut checked = 0;
        for &from in ApplicationStatus::ALL {
            for &to in ApplicationStatus::ALL {
                for mover in [Mover::Requirements, Mover::Client, Mover::Reviewer] {
                    assert_eq!(
                        check_move(from, to, mover).is_ok(),
                        allowed(from, to, mover),
                        "{from} -> {to} by {mover:?}"
                    );
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 7 * 7 * 3);
    }

    #[test]
    fn final_statuses_go_nowhere() {
        for status in [Approved, Rejected] {
            assert!(status.is_final() && !status.editable());
            for mover in [Mover::Requirements, Mover::Client, Mover::Reviewer] {
                assert!(status.next_for(mover).is_empty());
            }
        }
    }

    #[test]
    fn edits_only_before_submission_or_when_changes_are_requested() {
        let editable: Vec<_> = ApplicationStatus::ALL
            .iter()
            .copied()
            .filter(|s| s.editable())
            .collect();
        assert_eq!(editable, [Incomplete, ReadyForSubmission, ChangesRequested]);
    }

    #[test]
    fn requirements_settle_the_status_after_an_edit() {
        assert_eq!(settle(Incomplete, true), ReadyForSubmission);
        assert_eq!(settle(Incomplete, false), Incomplete);
        assert_eq!(settle(ReadyForSubmission, false), Incomplete);
        assert_eq!(settle(ReadyForSubmission, true), ReadyForSubmission);
        assert_eq!(settle(ChangesRequested, false), ChangesRequested);
        assert_eq!(settle(ChangesRequested, true), ReadyForSubmission);
        for status in [Submitted, Processing, Approved, Rejected] {
            assert_eq!(settle(status, true), status);
            assert_eq!(settle(status, false), status);
        }
        // Every settled move is a Requirements move of the lifecycle.
        for &from in ApplicationStatus::ALL {
            for met in [true, false] {
                let to = settle(from, met);
                assert!(
                    to == from || check_move(from, to, Mover::Requirements).is_ok(),
                    "{from} -> {to}"
                );
            }
        }
    }
}
