//! The one error type of the operations: each variant names the kind of refusal (a rule's
//! code where there is one), carries what the caller needs to act on it, and never database
//! text. The GraphQL layer maps each to its stable `extensions.code` (`graphql::error`).

use crate::domain::validation::FieldError;
use crate::store::StoreError;

/// Why an operation did not happen. It deliberately has no `Display`: async-graphql turns
/// any `Display` into an error message, so the only way to a client is its mapping.
#[derive(Debug, Clone, PartialEq)]
pub enum OpError {
    /// No valid credentials.
    Unauthenticated(String),
    /// The caller is known but may not do this.
    Forbidden(String),
    /// The caller's access token does not hold the scope this needs (`FORBIDDEN` with
    /// `extensions.requiredScope`).
    ScopeRequired(crate::domain::access::AccessScope),
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
    /// The database gave up on the transaction (a serialization failure or a deadlock);
    /// the write path runs it again before this reaches a caller, as `CONFLICT`.
    Contended(String),
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

impl OpError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated(_) => "UNAUTHENTICATED",
            Self::Forbidden(_) | Self::ScopeRequired(_) => "FORBIDDEN",
            Self::NotFound(_) => "NOT_FOUND",
            Self::BadUserInput(_) => "BAD_USER_INPUT",
            Self::AlreadyExists { .. } => "ALREADY_EXISTS",
            Self::Conflict(_) | Self::Contended(_) => "CONFLICT",
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
            Self::Contended(_) => "the change kept conflicting with concurrent ones; retry".into(),
            Self::ScopeRequired(scope) if scope.grantable() => {
                format!("this access token does not allow it: it needs the scope {scope}")
            }
            Self::ScopeRequired(scope) => {
                format!("access tokens cannot do this: it needs {scope}, which only API keys hold")
            }
            Self::Unavailable => "the service is temporarily unavailable; retry shortly".into(),
            Self::Internal { id } => format!("internal error (reference {id})"),
        }
    }

    /// Whether the caller holds `scope` (an API key holds them all); `ScopeRequired`
    /// otherwise.
    pub fn require(
        principal: &crate::domain::tenancy::Principal,
        scope: crate::domain::access::AccessScope,
    ) -> Result<(), Self> {
        principal.require(scope).map_err(Self::ScopeRequired)
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

impl From<crate::db::Unavailable> for OpError {
    fn from(error: crate::db::Unavailable) -> Self {
        StoreError::from(error).into()
    }
}

impl From<StoreError> for OpError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => Self::NotFound("not found".into()),
            StoreError::Conflict => Self::Conflict(
                "the object was changed by someone else first; read it again and retry".into(),
            ),
            StoreError::Contended(why) => Self::Contended(why),
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

/// What a transaction's body may meet: the store's mapping of it.
impl From<diesel::result::Error> for OpError {
    fn from(error: diesel::result::Error) -> Self {
        StoreError::from(error).into()
    }
}

/// What operations return.
pub type OpResult<T> = Result<T, OpError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_errors_become_internal_without_their_text() {
        let db_error = diesel::result::Error::QueryBuilderError("SELECT secret FROM t".into());
        let error: OpError = StoreError::Database(db_error).into();
        assert!(matches!(error, OpError::Internal { .. }));
        assert!(!error.message().contains("SELECT"));
    }
}
