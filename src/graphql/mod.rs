//! The GraphQL API: schema builder, roots, object types, errors. Resolvers call the store
//! with the caller's scope and never hold a connection while their children resolve.

pub mod applications;
pub mod customer_inputs;
pub mod customers;
pub mod error;
mod error_codes;
pub mod loaders;
pub mod money;
pub mod node;
pub mod pagination;
pub mod query;
pub mod scalars;
pub mod types;

use async_graphql::{Context, EmptySubscription, MergedObject, SDLExportOptions, Schema};

use crate::db::Database;
use crate::domain::tenancy::Principal;
use error::{ApiError, ApiResult};

/// Every read of the API.
#[derive(MergedObject, Default)]
pub struct Query(
    query::NodeQuery,
    customers::CustomerQuery,
    applications::ApplicationQuery,
    money::AccountQuery,
    money::PayorQuery,
    money::TransferQuery,
);

/// Every change the API offers.
#[derive(MergedObject, Default)]
pub struct Mutation(
    customers::CustomerMutation,
    applications::ApplicationMutation,
    applications::ApplicationReviewMutation,
    money::AccountMutation,
    money::PayorMutation,
    money::PaymentMutation,
    money::TransferMutation,
);

/// The schema type served on /graphql.
pub type AppSchema = Schema<Query, Mutation, EmptySubscription>;

/// Limits applied to every operation.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_depth: usize,
    pub max_complexity: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_depth: 16,
            max_complexity: 5_000,
        }
    }
}

/// Per-request data: who is calling, and the database. Built in the HTTP handler after
/// authentication, so every resolver runs for a known principal.
#[derive(Clone)]
pub struct RequestContext {
    pub principal: Principal,
    pub db: Database,
    /// The largest document an upload may carry, in bytes.
    pub max_document_bytes: usize,
    /// How long a new transfer stays REQUESTED.
    pub transfer_validity: std::time::Duration,
    /// Set once a document's bytes were read: one download per request keeps a request's
    /// memory bounded.
    pub content_downloaded: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

/// The request's context; missing only if a request bypassed the handler.
pub fn request<'a>(ctx: &'a Context<'_>) -> ApiResult<&'a RequestContext> {
    ctx.data::<RequestContext>()
        .map_err(|e| ApiError::internal(&format!("request context missing: {}", e.message)))
}

/// Builds the schema with its limits.
pub fn build_schema(limits: Limits) -> AppSchema {
    Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .limit_depth(limits.max_depth)
        .limit_complexity(limits.max_complexity)
        .extension(error_codes::ErrorCodesFactory)
        .finish()
}

/// The schema as SDL, sorted, as checked in at `schema.graphql`.
pub fn sdl(schema: &AppSchema) -> String {
    schema.sdl_with_options(
        SDLExportOptions::new()
            .sorted_fields()
            .sorted_arguments()
            .sorted_enum_items(),
    )
}
