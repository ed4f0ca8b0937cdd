//! The domain's enums as GraphQL enums: each value is published under its platform spelling,
//! with its doc comment as description, as `#[derive(async_graphql::Enum)]` would publish it.
//! The enums themselves (and their doc comments) live in `domain`.

use std::borrow::Cow;
use std::sync::LazyLock;

use async_graphql::parser::types::Field;
use async_graphql::registry::{Deprecation, MetaEnumValue, MetaType, MetaTypeId, Registry};
use async_graphql::resolver_utils::{EnumItem, EnumType, enum_value, parse_enum};
use async_graphql::{
    ContextSelectionSet, InputType, InputValueResult, OutputType, Positioned, ServerResult, Value,
};

use crate::domain::access::AccessScope;
use crate::domain::account::ProductId;
use crate::domain::application::documents::{DocumentStatus, DocumentType};
use crate::domain::application::requirements::{ApplicationErrorCode, FieldStatus};
use crate::domain::application::{ApplicationStatus, ApplicationType};
use crate::domain::client::{Actor, Environment};
use crate::domain::customer::{
    CorporateEntityType, CustomerType, EmploymentStatus, IndividualType, UsResidencyStatus,
};
use crate::domain::event::EventType;
use crate::domain::ledger::{CategoryType, TransactionStatus, TransactionType};
use crate::domain::status::CustomerStatus;
use crate::domain::transfer::TransferStatus;
use crate::domain::webhook::WebhookDeliveryOutcome;

/// A description as async-graphql derives it from a doc comment: each line trimmed, the
/// whole trimmed; none without a doc comment.
fn description(doc: &str) -> Option<String> {
    let text = doc.lines().map(str::trim).collect::<Vec<_>>().join("\n");
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// The schema entry of an enum: its values in declaration order.
fn meta_enum<T: Copy>(
    name: &str,
    doc: &str,
    values: &[T],
    spelling: fn(T) -> &'static str,
    value_doc: fn(T) -> &'static str,
) -> MetaType {
    MetaType::Enum {
        name: name.to_owned(),
        description: description(doc),
        enum_values: values
            .iter()
            .map(|&value| {
                let name = spelling(value).to_owned();
                let meta = MetaEnumValue {
                    name: name.clone(),
                    description: description(value_doc(value)),
                    deprecation: Deprecation::NoDeprecated,
                    visible: None,
                    inaccessible: false,
                    tags: Vec::new(),
                    directive_invocations: Vec::new(),
                };
                (name, meta)
            })
            .collect(),
        visible: None,
        inaccessible: false,
        tags: Vec::new(),
        rust_typename: Some(std::any::type_name::<T>()),
        directive_invocations: Vec::new(),
        requires_scopes: Vec::new(),
    }
}

/// Makes domain enums GraphQL enums (input and output), named as the Rust type.
macro_rules! graphql_enums {
    ($($name:ident),+ $(,)?) => {$(
        impl EnumType for $name {
            fn items() -> &'static [EnumItem<Self>] {
                static ITEMS: LazyLock<Vec<EnumItem<$name>>> = LazyLock::new(|| {
                    $name::ALL
                        .iter()
                        .map(|&value| EnumItem { name: value.as_str(), value })
                        .collect()
                });
                &ITEMS
            }
        }

        impl InputType for $name {
            type RawValueType = Self;

            fn type_name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($name))
            }

            fn create_type_info(registry: &mut Registry) -> String {
                registry.create_input_type::<Self, _>(MetaTypeId::Enum, |_| {
                    meta_enum(stringify!($name), $name::DOC, $name::ALL, $name::as_str, $name::doc)
                })
            }

            fn parse(value: Option<Value>) -> InputValueResult<Self> {
                parse_enum(value.unwrap_or_default())
            }

            fn to_value(&self) -> Value {
                enum_value(*self)
            }

            fn as_raw_value(&self) -> Option<&Self::RawValueType> {
                Some(self)
            }
        }

        impl OutputType for $name {
            fn type_name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($name))
            }

            fn create_type_info(registry: &mut Registry) -> String {
                <Self as InputType>::create_type_info(registry)
            }

            async fn resolve(
                &self,
                _: &ContextSelectionSet<'_>,
                _: &Positioned<Field>,
            ) -> ServerResult<Value> {
                Ok(enum_value(*self))
            }
        }

        impl From<$name> for Value {
            fn from(value: $name) -> Value {
                enum_value(value)
            }
        }
    )+};
}

graphql_enums!(
    AccessScope,
    CustomerStatus,
    CustomerType,
    UsResidencyStatus,
    EmploymentStatus,
    CorporateEntityType,
    IndividualType,
    Environment,
    Actor,
    ProductId,
    TransactionStatus,
    TransactionType,
    CategoryType,
    TransferStatus,
    ApplicationStatus,
    ApplicationType,
    DocumentType,
    DocumentStatus,
    FieldStatus,
    ApplicationErrorCode,
    EventType,
    WebhookDeliveryOutcome,
);

#[cfg(test)]
mod tests {
    use super::*;

    /// The API spells every enum value exactly as the platform and the database do.
    fn graphql_names_match<T: InputType + Copy + PartialEq + std::fmt::Debug>(
        all: &[T],
        stored: impl Fn(T) -> &'static str,
    ) {
        for value in all {
            assert_eq!(
                value.to_value(),
                Value::Enum(async_graphql::Name::new(stored(*value)))
            );
            assert_eq!(T::parse(Some(value.to_value())).ok(), Some(*value));
        }
    }

    #[test]
    fn enum_values_are_the_platforms_exactly() {
        graphql_names_match(AccessScope::ALL, |v| v.as_str());
        graphql_names_match(CustomerStatus::ALL, |v| v.as_str());
        graphql_names_match(CustomerType::ALL, |v| v.as_str());
        graphql_names_match(UsResidencyStatus::ALL, |v| v.as_str());
        graphql_names_match(EmploymentStatus::ALL, |v| v.as_str());
        graphql_names_match(CorporateEntityType::ALL, |v| v.as_str());
        graphql_names_match(IndividualType::ALL, |v| v.as_str());
        graphql_names_match(Environment::ALL, |v| v.as_str());
        graphql_names_match(Actor::ALL, |v| v.as_str());
        graphql_names_match(ProductId::ALL, |v| v.as_str());
        graphql_names_match(TransactionStatus::ALL, |v| v.as_str());
        graphql_names_match(TransactionType::ALL, |v| v.as_str());
        graphql_names_match(CategoryType::ALL, |v| v.as_str());
        graphql_names_match(TransferStatus::ALL, |v| v.as_str());
        graphql_names_match(ApplicationStatus::ALL, |v| v.as_str());
        graphql_names_match(ApplicationType::ALL, |v| v.as_str());
        graphql_names_match(DocumentType::ALL, |v| v.as_str());
        graphql_names_match(DocumentStatus::ALL, |v| v.as_str());
        graphql_names_match(FieldStatus::ALL, |v| v.as_str());
        graphql_names_match(ApplicationErrorCode::ALL, |v| v.as_str());
        graphql_names_match(EventType::ALL, |v| v.as_str());
    }

    #[test]
    fn descriptions_are_doc_comments_trimmed_line_by_line() {
        assert_eq!(
            description(ApplicationErrorCode::MissingBeneficialOwner.doc()).as_deref(),
            Some(
                "No beneficial owner is attached (required unless the entity is \
                 C_CORP_PUBLIC or\nNON_PROFIT)."
            )
        );
        assert_eq!(description(""), None);
    }
}
