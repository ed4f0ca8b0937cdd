//! Applications over GraphQL: the client's edits and submission (`mutation`), the platform's
//! review and the sandbox's simulation of it (`review`), reads (`query`), and what they share:
//! decoding the ids a request names. Each mutation maps its arguments to one operation in
//! `ops::applications`.

mod inputs;
mod mutation;
mod query;
mod review;
mod upload;

pub use mutation::ApplicationMutation;
pub use query::ApplicationQuery;
pub use review::ApplicationReviewMutation;

use async_graphql::{ID, SimpleObject};

use super::error::{ApiError, ApiResult};
use super::node::{self, NodeKind};
use super::types::application::Application;
use crate::domain::ids::{ApplicationId, DocumentId};

/// The result of every application mutation.
#[derive(SimpleObject)]
pub struct ApplicationPayload {
    /// The application after the change.
    pub application: Application,
}

/// An application's id.
pub(super) fn application_id(id: &ID) -> ApiResult<ApplicationId> {
    Ok(ApplicationId(node::decode_as(id, NodeKind::Application)?))
}

/// A person's id from `Application.individuals`.
pub(super) fn person_id(id: &ID, field: &str) -> ApiResult<uuid::Uuid> {
    node::decode_as(id, NodeKind::ApplicationIndividual)
        .map_err(|_| ApiError::bad_input(field, "not a person id of an application"))
}

/// A document id from `Application.documents`.
pub(super) fn document_id(id: &ID, field: &str) -> ApiResult<DocumentId> {
    node::decode_as(id, NodeKind::ApplicationDocument)
        .map(DocumentId)
        .map_err(|_| ApiError::bad_input(field, "not a document id of an application"))
}
