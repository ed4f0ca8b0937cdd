//! The platform's rules as pure Rust: identifiers, tenancy, enums and (in later capabilities)
//! status tables and validation. Nothing here performs I/O, so every rule is unit-tested whole.

pub mod account;
pub mod application;
pub mod client;
pub mod customer;
pub mod ids;
pub mod ledger;
pub mod money;
pub mod patch;
pub mod payment_address;
pub mod payor;
pub mod status;
pub mod tenancy;
pub mod transfer;
pub mod validation;

#[cfg(test)]
mod tests {
    use async_graphql::InputType;

    /// The API spells every enum value exactly as the platform and the database do.
    fn graphql_names_match<T: InputType + Copy>(all: &[T], stored: impl Fn(T) -> &'static str) {
        for value in all {
            assert_eq!(
                value.to_value(),
                async_graphql::Value::Enum(async_graphql::Name::new(stored(*value)))
            );
        }
    }

    #[test]
    fn enum_values_are_the_platforms_exactly() {
        use super::*;
        graphql_names_match(status::CustomerStatus::ALL, |v| v.as_str());
        graphql_names_match(customer::CustomerType::ALL, |v| v.as_str());
        graphql_names_match(customer::UsResidencyStatus::ALL, |v| v.as_str());
        graphql_names_match(customer::EmploymentStatus::ALL, |v| v.as_str());
        graphql_names_match(customer::CorporateEntityType::ALL, |v| v.as_str());
        graphql_names_match(customer::IndividualType::ALL, |v| v.as_str());
        graphql_names_match(client::Environment::ALL, |v| v.as_str());
        graphql_names_match(client::Actor::ALL, |v| v.as_str());
        graphql_names_match(account::ProductId::ALL, |v| v.as_str());
        graphql_names_match(ledger::TransactionStatus::ALL, |v| v.as_str());
        graphql_names_match(ledger::TransactionType::ALL, |v| v.as_str());
        graphql_names_match(ledger::CategoryType::ALL, |v| v.as_str());
        graphql_names_match(transfer::TransferStatus::ALL, |v| v.as_str());
        graphql_names_match(application::ApplicationStatus::ALL, |v| v.as_str());
        graphql_names_match(application::ApplicationType::ALL, |v| v.as_str());
        graphql_names_match(application::documents::DocumentType::ALL, |v| v.as_str());
        graphql_names_match(application::documents::DocumentStatus::ALL, |v| v.as_str());
        graphql_names_match(application::requirements::FieldStatus::ALL, |v| v.as_str());
        graphql_names_match(application::requirements::ApplicationErrorCode::ALL, |v| {
            v.as_str()
        });
    }
}
