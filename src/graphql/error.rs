//! How an operation's error reaches a client: each variant has a stable `extensions.code`
//! and one shape wherever it is raised; internal failures are logged with an id and returned
//! masked with that id, never with database text.

use async_graphql::ErrorExtensions;

/// What the API shows is the operations' error, mapped below to its code and extensions.
pub use crate::ops::OpError as ApiError;

impl From<ApiError> for async_graphql::Error {
    fn from(error: ApiError) -> Self {
        let message = error.message();
        async_graphql::Error::new(message).extend_with(|_, ext| {
            ext.set("code", error.code());
            match &error {
                ApiError::BadUserInput(errors) => {
                    if let Some(first) = errors.first() {
                        ext.set("field", first.field.as_str());
                    }
                    let list: Vec<async_graphql::Value> = errors
                        .iter()
                        .map(|e| {
                            let mut entry = async_graphql::indexmap::IndexMap::new();
                            entry
                                .insert(async_graphql::Name::new("field"), e.field.as_str().into());
                            entry.insert(
                                async_graphql::Name::new("message"),
                                e.message.as_str().into(),
                            );
                            async_graphql::Value::Object(entry)
                        })
                        .collect();
                    ext.set("fieldErrors", list);
                }
                ApiError::AlreadyExists {
                    field: Some(field), ..
                } => ext.set("field", field.as_str()),
                ApiError::InvalidStatusTransition {
                    from, to, allowed, ..
                } => {
                    ext.set("currentStatus", *from);
                    ext.set("requestedStatus", *to);
                    let allowed: Vec<async_graphql::Value> = allowed
                        .iter()
                        .map(|s| async_graphql::Value::from(*s))
                        .collect();
                    ext.set("allowedNextStatuses", allowed);
                }
                ApiError::Internal { id } => ext.set("errorId", id.to_string()),
                ApiError::CannotTransact { reason, .. } => ext.set("reason", *reason),
                ApiError::ScopeRequired(scope) => ext.set("requiredScope", scope.as_str()),
                _ => {}
            }
        })
    }
}

/// What resolvers return.
pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::status::CustomerStatus;
    use crate::domain::validation::FieldError;

    fn extension(error: ApiError, key: &str) -> Option<async_graphql::Value> {
        let gql: async_graphql::Error = error.into();
        gql.extensions.as_ref().and_then(|e| e.get(key)).cloned()
    }

    fn code_of(error: ApiError) -> String {
        match extension(error, "code") {
            Some(async_graphql::Value::String(code)) => code,
            other => panic!("no code extension: {other:?}"),
        }
    }

    #[test]
    fn every_variant_maps_to_its_code() {
        assert_eq!(
            code_of(ApiError::Unauthenticated("x".into())),
            "UNAUTHENTICATED"
        );
        assert_eq!(code_of(ApiError::Forbidden("x".into())), "FORBIDDEN");
        assert_eq!(code_of(ApiError::NotFound("x".into())), "NOT_FOUND");
        assert_eq!(code_of(ApiError::bad_input("id", "x")), "BAD_USER_INPUT");
        assert_eq!(
            code_of(ApiError::AlreadyExists {
                message: "x".into(),
                field: None
            }),
            "ALREADY_EXISTS"
        );
        assert_eq!(code_of(ApiError::Conflict("x".into())), "CONFLICT");
        let transition = ApiError::InvalidStatusTransition {
            from: CustomerStatus::Pending.as_str(),
            to: CustomerStatus::Frozen.as_str(),
            allowed: vec![CustomerStatus::Active.as_str()],
            message: "x".into(),
        };
        assert_eq!(code_of(transition.clone()), "INVALID_STATUS_TRANSITION");
        assert_eq!(
            extension(transition, "allowedNextStatuses"),
            Some(async_graphql::Value::List(vec!["ACTIVE".into()]))
        );
        assert_eq!(
            code_of(ApiError::Rule {
                code: "SOME_RULE",
                message: "x".into()
            }),
            "SOME_RULE"
        );
        let cannot = ApiError::CannotTransact {
            reason: "ACCOUNT_STATUS",
            message: "x".into(),
        };
        assert_eq!(code_of(cannot.clone()), "CUSTOMER_CANNOT_TRANSACT");
        assert_eq!(extension(cannot, "reason"), Some("ACCOUNT_STATUS".into()));
        let scope = ApiError::ScopeRequired(crate::domain::access::AccessScope::TransfersWrite);
        assert_eq!(code_of(scope.clone()), "FORBIDDEN");
        assert_eq!(
            extension(scope, "requiredScope"),
            Some("TRANSFERS_WRITE".into())
        );
        assert_eq!(code_of(ApiError::Unavailable), "UNAVAILABLE");
        assert_eq!(
            code_of(ApiError::Internal {
                id: uuid::Uuid::nil()
            }),
            "INTERNAL"
        );
    }

    #[test]
    fn internal_errors_show_only_their_reference() {
        let gql: async_graphql::Error = ApiError::internal(&"SELECT secret FROM t").into();
        assert!(gql.message.starts_with("internal error (reference "));
        assert!(!gql.message.contains("SELECT"));
    }

    #[test]
    fn bad_input_lists_every_field() {
        let error = ApiError::BadUserInput(vec![
            FieldError {
                field: "a".into(),
                message: "is required".into(),
            },
            FieldError {
                field: "b.c".into(),
                message: "is too long".into(),
            },
        ]);
        assert_eq!(extension(error.clone(), "field"), Some("a".into()));
        let Some(async_graphql::Value::List(list)) = extension(error.clone(), "fieldErrors") else {
            panic!("fieldErrors is a list");
        };
        assert_eq!(list.len(), 2);
        assert!(error.message().starts_with("2 problems"));
    }
}
