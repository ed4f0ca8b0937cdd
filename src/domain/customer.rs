//! Customer kinds. The customer model's rules (validation, masking) grow here.

use crate::db::types::text_enum;

text_enum! {
    /// Whether a customer is a person or a company.
    #[derive(async_graphql::Enum)]
    CustomerType {
        /// A natural person (KYC).
        Individual = "INDIVIDUAL",
        /// A company or other legal entity (KYB).
        Corporation = "CORPORATION",
    }
}
