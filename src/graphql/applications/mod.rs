//! Applications over GraphQL: the client's edits and submission (`mutation`), the platform's
//! review and the sandbox's simulation of it (`review`), reads (`query`), and what they share:
//! loading in scope, who may act, and the guards that explain a refusal before the store
//! enforces the same rules.

mod approval;
mod inputs;
mod mutation;
mod query;
mod review;
mod upload;

pub use mutation::ApplicationMutation;
pub use query::ApplicationQuery;
pub use review::ApplicationReviewMutation;

use async_graphql::{ID, SimpleObject};

use super::RequestContext;
use super::error::{ApiError, ApiResult};
use super::node::{self, NodeKind};
use super::types::application::Application;
use crate::domain::application::{ApplicationStatus, Mover, check_move};
use crate::domain::ids::{ApplicationId, ApplicationIndividualId, ClientId, DocumentId};
use crate::domain::tenancy::Principal;
use crate::store::{self, StoreError};

/// The result of every application mutation.
#[derive(SimpleObject)]
pub struct ApplicationPayload {
    /// The application after the change.
    pub application: Application,
}

/// Applications are the client's: the operator reviews them but does not write them.
pub(super) fn client_only(principal: &Principal) -> ApiResult<ClientId> {
    principal.client_id().ok_or_else(|| {
        ApiError::Forbidden(
            "applications are created, edited and submitted by the client that onboards the \
             customer"
                .into(),
        )
    })
}

/// Reviewing is the platform's.
pub(super) fn operator_only(principal: &Principal) -> ApiResult<()> {
    if principal.is_operator() {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "only the platform reviews applications (a SANDBOX client may use \
             simulateApplicationDecision)"
                .into(),
        ))
    }
}

fn not_found() -> ApiError {
    ApiError::NotFound("no application with this id".into())
}

/// The application a request names, or `NOT_FOUND` (also for another client's).
pub(super) async fn load_application(
    rc: &RequestContext,
    id: &ID,
) -> ApiResult<store::applications::Application> {
    let key = ApplicationId(node::decode_as(id, NodeKind::Application)?);
    let mut pooled = rc.db.conn().await?;
    store::applications::find(&mut pooled.conn(), &rc.principal.scope(), key)
        .await?
        .ok_or_else(not_found)
}

/// Refuses a stale edit when the caller says which version it read.
pub(super) fn check_version(
    application: &store::applications::Application,
    expected: Option<i64>,
) -> ApiResult<()> {
    match expected {
        Some(v) if v != application.version => Err(ApiError::Conflict(format!(
            "the application is at version {}, not {v}; read it again",
            application.version
        ))),
        _ => Ok(()),
    }
}

/// The guard of every edit: the status must allow edits.
pub(super) fn guard_editable(application: &store::applications::Application) -> ApiResult<()> {
    if application.status.editable() {
        Ok(())
    } else {
        Err(store::applications::not_editable(application.status).into())
    }
}

/// The guard of a lifecycle move, explained with what this mover may do instead.
pub(super) fn guard_move(
    from: ApplicationStatus,
    to: ApplicationStatus,
    mover: Mover,
) -> ApiResult<()> {
    check_move(from, to, mover).map_err(|allowed| {
        let names: Vec<&'static str> = allowed.iter().map(|s| s.as_str()).collect();
        let hint = match (from, to) {
            (ApplicationStatus::Incomplete, ApplicationStatus::Submitted)
            | (ApplicationStatus::ChangesRequested, ApplicationStatus::Submitted) => {
                "; the application moves to READY_FOR_SUBMISSION by itself once every \
                 requirement is met (see requirements)"
            }
            _ => "",
        };
        ApiError::InvalidStatusTransition {
            from: from.as_str(),
            to: to.as_str(),
            message: format!(
                "an application cannot move from {from} to {to} here; allowed: [{}]{hint}",
                names.join(", ")
            ),
            allowed: names,
        }
    })
}

/// A person of an application, by the id from `Application.individuals`.
pub(super) fn person_id(
    application: &store::applications::Application,
    id: &ID,
    field: &str,
) -> ApiResult<ApplicationIndividualId> {
    let key = ApplicationIndividualId(
        node::decode_as(id, NodeKind::ApplicationIndividual)
            .map_err(|_| ApiError::bad_input(field, "not a person id of an application"))?,
    );
    match application.draft.person(key) {
        Some(_) => Ok(key),
        None => Err(ApiError::NotFound(format!(
            "the application has no person with {field} {}",
            id.as_str()
        ))),
    }
}

/// A document id from `Application.documents`.
pub(super) fn document_id(id: &ID, field: &str) -> ApiResult<DocumentId> {
    node::decode_as(id, NodeKind::ApplicationDocument)
        .map(DocumentId)
        .map_err(|_| ApiError::bad_input(field, "not a document id of an application"))
}

/// Maps a store refusal of an application write to the input it concerns.
pub(super) fn write_error(error: StoreError, customer_id: &str) -> ApiError {
    match error {
        StoreError::AlreadyExists(constraint)
            if constraint.contains("applications") && constraint.contains("account") =>
        {
            ApiError::AlreadyExists {
                message: "another open application of this client will open an account with \
                          this accountId"
                    .into(),
                field: Some("accountToOpen.accountId".into()),
            }
        }
        StoreError::AlreadyExists(constraint) if constraint.contains("account") => {
            ApiError::AlreadyExists {
                message: "the accountToOpen's accountId is already an account of this client"
                    .into(),
                field: Some("accountToOpen.accountId".into()),
            }
        }
        StoreError::AlreadyExists(_) => ApiError::AlreadyExists {
            message: format!(
                "customerId {customer_id:?} belongs to a customer or an open application already"
            ),
            field: Some("customerId".into()),
        },
        other => other.into(),
    }
}
