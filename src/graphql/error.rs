//! The one error type of the API. Each variant has a stable `extensions.code`; internal
//! failures are logged with an id and returned masked with that id, never with database text.

use async_graphql::ErrorExtensions;

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
    /// The input breaks a rule; `field` is the path of the offending input, when known.
    BadUserInput {
        message: String,
        field: Option<String>,
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
            Self::BadUserInput { .. } => "BAD_USER_INPUT",
            Self::Unavailable => "UNAVAILABLE",
            Self::Internal { .. } => "INTERNAL",
        }
    }

    pub fn message(&self) -> String {
        match self {
            Self::Unauthenticated(m) | Self::Forbidden(m) | Self::NotFound(m) => m.clone(),
            Self::BadUserInput { message, .. } => message.clone(),
            Self::Unavailable => "the service is temporarily unavailable; retry shortly".into(),
            Self::Internal { id } => format!("internal error (reference {id})"),
        }
    }

    pub fn bad_input(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::BadUserInput {
            message: message.into(),
            field: Some(field.into()),
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
        async_graphql::Error::new(message).extend_with(|_, extensions| {
            extensions.set("code", error.code());
            match &error {
                ApiError::BadUserInput {
                    field: Some(field), ..
                } => extensions.set("field", field.as_str()),
                ApiError::Internal { id } => extensions.set("errorId", id.to_string()),
                _ => {}
            }
        })
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => Self::NotFound("not found".into()),
            StoreError::Unavailable(detail) => {
                tracing::warn!(%detail, "database unavailable");
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

    fn code_of(error: ApiError) -> String {
        let gql: async_graphql::Error = error.into();
        match gql.extensions.as_ref().and_then(|e| e.get("code")) {
            Some(async_graphql::Value::String(code)) => code.clone(),
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
    fn bad_input_names_the_field() {
        let gql: async_graphql::Error = ApiError::bad_input("id", "not a valid id").into();
        let field = gql
            .extensions
            .as_ref()
            .and_then(|e| e.get("field"))
            .cloned();
        assert_eq!(field, Some(async_graphql::Value::String("id".into())));
    }
}
