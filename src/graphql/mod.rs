//! The GraphQL API: schema builder, roots, object types, errors. Resolvers call the store
//! with the caller's scope and never hold a connection while their children resolve.

pub mod access_tokens;
pub mod applications;
pub mod customer_inputs;
pub mod customers;
mod enums;
pub mod error;
mod error_codes;
pub mod events;
pub mod limits;
pub mod loaders;
pub mod money;
pub mod node;
pub mod pagination;
pub mod query;
pub mod sandbox_clock;
pub mod scalars;
pub mod subscription;
pub mod types;
pub mod webhooks;

use async_graphql::{Context, MergedObject, SDLExportOptions, Schema};

use crate::domain::tenancy::Principal;
use crate::ops::Database;
use error::{ApiError, ApiResult};
use subscription::Subscription;

/// Every read of the API.
///
/// Cost rules (measured before anything runs; a request over a limit is refused with
/// GRAPHQL_VALIDATION_FAILED and `extensions.cost`): every field counts 1, scalars and
/// introspection fields included. A field taking `first`/`last` counts the fields below it
/// once per item of the page it asks for (its `first`/`last`, else 20; at most 100); any
/// other list of objects counts the fields below it 20 times. Fragments count as spread and
/// aliases and repeated selections count each time. Server defaults: cost 1,000,000; 5,000
/// fields once fragments are spread; depth 16; 200 aliases; and 500,000 fields resolved per
/// response (RESPONSE_TOO_LARGE beyond). Every response reports `extensions.cost { requested,
/// actual, throttle { limit, remaining, resetAt } }`: the requested cost is charged to the API
/// key's cost bucket, and a key whose bucket or request rate is spent gets HTTP 429
/// RATE_LIMITED with `Retry-After`.
#[derive(MergedObject, Default)]
pub struct Query(
    query::NodeQuery,
    customers::CustomerQuery,
    applications::ApplicationQuery,
    money::AccountQuery,
    money::PayorQuery,
    money::TransferQuery,
    events::EventQuery,
    webhooks::WebhookQuery,
    sandbox_clock::SandboxClockQuery,
    access_tokens::AccessTokenQuery,
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
    webhooks::WebhookMutation,
    sandbox_clock::SandboxClockMutation,
    access_tokens::AccessTokenMutation,
);

/// The schema type served on /graphql.
pub type AppSchema = Schema<Query, Mutation, Subscription>;

pub use limits::Limits;

/// Per-request data: who is calling, and the database. Built in the HTTP handler after
/// authentication, so every resolver runs for a known principal.
#[derive(Clone)]
pub struct RequestContext {
    pub principal: Principal,
    pub db: Database,
    /// The clock each operation reads its instant from.
    pub clock: crate::clock::SharedClock,
    /// What the operations are configured by.
    pub settings: std::sync::Arc<crate::ops::Settings>,
    /// Set once a document's bytes were read: one download per request keeps a request's
    /// memory bounded.
    pub content_downloaded: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// Set by the request's first upload: one file per request, so aliased upload mutations
    /// cannot store several.
    pub upload_claimed: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// The server's upload slots (`--max-concurrent-uploads`); an upload that finds none free
    /// is refused at once.
    pub upload_slots: std::sync::Arc<tokio::sync::Semaphore>,
    /// The per-key allowances the request's cost is charged to.
    pub throttle: std::sync::Arc<limits::throttle::Throttle>,
    /// The API keys this replica verified lately: a change to what a key stands for (its
    /// client's sandbox clock) forgets them, so that it takes effect here at once.
    pub keys: std::sync::Arc<crate::auth::KeyCache>,
    /// What the request cost, for the response's `extensions.cost`.
    pub cost: std::sync::Arc<limits::CostRecord>,
    /// The request's id (`X-Request-Id`), recorded on the events it causes.
    pub request_id: Option<String>,
}

impl RequestContext {
    /// The context of one operation of this request, at the clock's time now.
    pub fn cx(&self) -> crate::ops::Cx<'_> {
        crate::ops::Cx::new(&self.db, &self.principal, &*self.clock, &self.settings)
            .for_request(self.request_id.as_deref())
    }
}

/// The request's context; missing only if a request bypassed the handler.
pub fn request<'a>(ctx: &'a Context<'_>) -> ApiResult<&'a RequestContext> {
    ctx.data::<RequestContext>()
        .map_err(|e| ApiError::internal(&format!("request context missing: {}", e.message)))
}

/// Builds the schema with its limits, with "Did you mean…" suggestions in validation errors.
pub fn build_schema(limits: Limits) -> AppSchema {
    schema_with(limits, true)
}

/// The same schema without suggestions, for every caller but SANDBOX clients (suggestions
/// help a developer, and map the schema for anyone else).
pub fn build_quiet_schema(limits: Limits) -> AppSchema {
    schema_with(limits, false)
}

/// The guard measures and refuses before async-graphql's own validation runs, so that
/// validation only ever sees documents of bounded size; it replaces async-graphql's depth and
/// complexity limits, which count neither page sizes nor fragments in bounded time.
fn schema_with(limits: Limits, suggestions: bool) -> AppSchema {
    let builder = Schema::build(Query::default(), Mutation::default(), Subscription)
        .extension(limits::guard::QueryGuard(limits))
        .extension(error_codes::ErrorCodesFactory);
    if suggestions {
        builder.finish()
    } else {
        builder.disable_suggestions().finish()
    }
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
