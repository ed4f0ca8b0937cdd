//! Documents of applications: the platform's document types and review statuses, which
//! documents each application and person must provide, and what file contents we accept.

use sha2::{Digest, Sha256};

use crate::db::types::text_enum;
use crate::domain::ids::{ApplicationId, ApplicationIndividualId, DocumentId};

text_enum! {
    /// The kinds of document an application can carry (the platform's list).
    #[derive(async_graphql::Enum, PartialOrd, Ord)]
    DocumentType {
        /// Front of a driver's licence.
        DriversLicenceFront = "DRIVERS_LICENCE_FRONT",
        /// Back of a driver's licence.
        DriversLicenceBack = "DRIVERS_LICENCE_BACK",
        /// Front of a government-issued identity card.
        GovernmentIdFront = "GOVERNMENT_ID_FRONT",
        /// Back of a government-issued identity card.
        GovernmentIdBack = "GOVERNMENT_ID_BACK",
        /// The photo page of a passport.
        Passport = "PASSPORT",
        /// A utility bill (proof of address).
        UtilityBill = "UTILITY_BILL",
        /// A financial statement.
        FinancialStatement = "FINANCIAL_STATEMENT",
        /// A lease agreement (proof of address).
        LeaseAgreement = "LEASE_AGREEMENT",
        /// A social security card.
        SocialSecurityCard = "SOCIAL_SECURITY_CARD",
        /// A power of attorney.
        PowerOfAttorney = "POWER_OF_ATTORNEY",
        /// A company's annual report.
        AnnualReport = "ANNUAL_REPORT",
        /// Certificate or articles of incorporation.
        IncorporationDocuments = "INCORPORATION_DOCUMENTS",
        /// A partnership agreement.
        PartnershipAgreement = "PARTNERSHIP_AGREEMENT",
        /// An LLC operating agreement.
        LlcAgreement = "LLC_AGREEMENT",
    }
}

text_enum! {
    /// Where a document requirement stands.
    #[derive(async_graphql::Enum)]
    DocumentStatus {
        /// Nothing uploaded yet.
        Missing = "MISSING",
        /// A file is uploaded and awaits review.
        Submitted = "SUBMITTED",
        /// The reviewer asks for a new file (see the description).
        ChangesRequested = "CHANGES_REQUESTED",
        /// The reviewer refused the file; upload another.
        Rejected = "REJECTED",
        /// The reviewer accepted the file.
        Approved = "APPROVED",
    }
}

impl DocumentStatus {
    /// Whether a file in this status counts towards the requirements.
    pub fn provided(self) -> bool {
        matches!(self, Self::Submitted | Self::Approved)
    }
}

use DocumentType::*;

/// The ways to prove a person's identity: a passport, or both sides of an identity card or
/// of a driver's licence.
pub const IDENTITY_ALTERNATIVES: &[&[DocumentType]] = &[
    &[Passport],
    &[GovernmentIdFront, GovernmentIdBack],
    &[DriversLicenceFront, DriversLicenceBack],
];

/// What a set of alternatives asks for, in words.
pub fn describe_alternatives(alternatives: &[&[DocumentType]]) -> String {
    let options: Vec<String> = alternatives
        .iter()
        .map(|set| {
            set.iter()
                .map(|d| d.as_str())
                .collect::<Vec<_>>()
                .join(" and ")
        })
        .collect();
    format!("one of: {}", options.join("; or "))
}

/// The id of the requirement for `document` of `individual` (or of the application itself),
/// derived from those three so that it is stable and known before any upload: the first 16
/// bytes of a SHA-256, as a UUID v8.
pub fn requirement_id(
    application: ApplicationId,
    individual: Option<ApplicationIndividualId>,
    document: DocumentType,
) -> DocumentId {
    let mut hash = Sha256::new();
    hash.update(b"application-document:");
    hash.update(application.0.as_bytes());
    hash.update(individual.map(|i| *i.0.as_bytes()).unwrap_or([0; 16]));
    hash.update(document.as_str().as_bytes());
    let digest = hash.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    DocumentId(uuid::Uuid::new_v8(bytes))
}

/// The file formats we accept, by their bytes (not by the name or declared type).
pub const ACCEPTED_MIME_TYPES: &[&str] = &["application/pdf", "image/jpeg", "image/png"];

/// The MIME type of `content` when it is a PDF, JPEG or PNG, judged by its leading bytes.
pub fn sniff_content_type(content: &[u8]) -> Option<&'static str> {
    let kind = infer::get(content)?;
    ACCEPTED_MIME_TYPES
        .iter()
        .copied()
        .find(|accepted| *accepted == kind.mime_type())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_pdf_jpeg_and_png_are_accepted_by_their_bytes() {
        assert_eq!(
            sniff_content_type(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj"),
            Some("application/pdf")
        );
        assert_eq!(
            sniff_content_type(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            Some("image/png")
        );
        assert_eq!(
            sniff_content_type(b"\xff\xd8\xff\xe0\0\x10JFIF\0"),
            Some("image/jpeg")
        );
        assert_eq!(sniff_content_type(b"GIF89a......"), None);
        assert_eq!(sniff_content_type(b"MZ\x90\0 an executable"), None);
        assert_eq!(sniff_content_type(b"just text, named passport.pdf"), None);
        assert_eq!(sniff_content_type(b""), None);
    }

    #[test]
    fn requirement_ids_are_stable_and_distinct() {
        let app = ApplicationId::new();
        let person = ApplicationIndividualId::new();
        let id = requirement_id(app, None, Passport);
        assert_eq!(id, requirement_id(app, None, Passport));
        assert_ne!(id, requirement_id(app, Some(person), Passport));
        assert_ne!(id, requirement_id(app, None, GovernmentIdFront));
        assert_ne!(id, requirement_id(ApplicationId::new(), None, Passport));
        assert_eq!(id.0.get_version_num(), 8);
    }
}
