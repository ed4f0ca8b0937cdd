//! The one error type of the API. Each variant has a stable `extensions.code`; internal
//! failures are logged with an id and returned masked with that id, never with database text.

use async_graphql::ErrorExtensions;

use crate::domain::validation::FieldError;
use crate::store::StoreError;

/// A client-facing error. It deliberately has no `Display`: async-graphql turns any
/// `Display` into an error message, so the only way to the client is the mapping below.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// No valid credentials.
    Unauthenticated(String),
    /// The caller is known but may not do this.
    Forbidden(String),
    /// Nothing with that identity exists for this caller (also when it belongs to another
    /// client, so that existence does not leak).
    NotFound(String),
    /// The input breaks one or more rules; each names its field path.
    BadUserInput(Vec<FieldError>),
    /// The thing to create exists already (`field` names the clashing input).
    AlreadyExists {
        message: String,
        field: Option<String>,
    },
    /// Someone else changed the object first (or `expectedVersion` is stale).
    Conflict(String),
    /// A status table (customers' or applications') does not allow this change for this
    /// caller; the statuses are their API spellings.
    InvalidStatusTransition {
        from: &'static str,
        to: &'static str,
        allowed: Vec<&'static str>,
        message: String,
    },
    /// A business rule refuses the request; `code` names the rule.
    Rule { code: &'static str, message: String },
    /// The transact rule (or a payment address's lease) stops money moving:
    /// `CUSTOMER_CANNOT_TRANSACT`, with `extensions.reason` saying which party or term.
    CannotTransact {
        reason: &'static str,
        message: String,
    },
    /// The database is out of reach or too busy; retrying later may succeed.
    Unavailable,
    /// A failure of ours; `id` is in the logs beside the details.
    Internal { id: uuid::Uuid },
}

impl ApiError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated(_) => "UNAUTHENTICATED",
            Self::Forbidden(_) => "FORBIDDEN",
            Self::NotFound(_) => "NOT_FOUND",
            Self::BadUserInput(_) => "BAD_USER_INPUT",
            Self::AlreadyExists { .. } => "ALREADY_EXISTS",
            Self::Conflict(_) => "CONFLICT",
            Self::InvalidStatusTransition { .. } => "INVALID_STATUS_TRANSITION",
            Self::Rule { code, .. } => code,
            Self::CannotTransact { .. } => "CUSTOMER_CANNOT_TRANSACT",
            Self::Unavailable => "UNAVAILABLE",
            Self::Internal { .. } => "INTERNAL",
        }
    }

    pub fn message(&self) -> String {
        match self {
            Self::Unauthenticated(m)
            | Self::Forbidden(m)
            | Self::NotFound(m)
            | Self::Conflict(m) => m.clone(),
            Self::BadUserInput(errors) => match errors.as_slice() {
                [one] => format!("{}: {}", one.field, one.message),
                many => format!(
                    "{} problems with the input: {}",
                    many.len(),
                    many.iter()
                        .map(|e| format!("{}: {}", e.field, e.message))
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
            },
            Self::AlreadyExists { message, .. }
            | Self::InvalidStatusTransition { message, .. }
            | Self::Rule { message, .. }
            | Self::CannotTransact { message, .. } => message.clone(),
            Self::Unavailable => "the service is temporarily unavailable; retry shortly".into(),
            Self::Internal { id } => format!("internal error (reference {id})"),
        }
    }

    /// One broken rule on one input field.
    pub fn bad_input(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::BadUserInput(vec![FieldError {
            field: field.into(),
            message: message.into(),
        }])
    }

    /// Every broken rule of an input, or `Ok` when there is none.
    pub fn check(errors: Vec<FieldError>) -> Result<(), Self> {
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Self::BadUserInput(errors))
        }
    }

    /// Logs an unexpected failure with a fresh reference id and returns the masked error.
    pub fn internal(detail: &dyn std::fmt::Debug) -> Self {
        let id = uuid::Uuid::now_v7();
        tracing::error!(error_id = %id, detail = ?detail, "internal error");
        Self::Internal { id }
    }
}

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
                _ => {}
            }
        })
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => Self::NotFound("not found".into()),
            StoreError::Conflict => Self::Conflict(
                "the object was changed by someone else first; read it again and retry".into(),
            ),
            StoreError::NotAllowed { code, message } => Self::Rule { code, message },
            // A duplicate of an idempotent request still running after our retries.
            StoreError::AlreadyExists(what) if what.contains("idempotency") => Self::Conflict(
                "a request with this idempotency key is still in progress; retry shortly".into(),
            ),
            StoreError::CannotTransact { reason, message } => {
                Self::CannotTransact { reason, message }
            }
            StoreError::Unavailable(detail) => {
                // Once per failed field, so at debug: a pool running dry would otherwise log
                // thousands of lines for one request. The request's log line counts the
                // UNAVAILABLE errors, at warn.
                tracing::debug!(%detail, "database unavailable");
                Self::Unavailable
            }
            other => Self::internal(&other),
        }
    }
}

/// What resolvers return.
pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::status::CustomerStatus;

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
        assert_eq!(code_of(ApiError::Unavailable), "UNAVAILABLE");
        assert_eq!(
            code_of(ApiError::Internal {
                id: uuid::Uuid::nil()
            }),
            "INTERNAL"
        );
    }

    #[test]
    fn database_errors_are_masked() {
        let db_error = diesel::result::Error::QueryBuilderError("SELECT secret FROM t".into());
        let api: ApiError = StoreError::Database(db_error).into();
        let gql: async_graphql::Error = api.into();
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
