//! The schema extension that holds every request to its limits: it measures the document
//! before validation or execution (refusing what is too large), charges the key's cost
//! bucket, and counts result nodes as they resolve, failing the response past its cap.

use std::any::TypeId;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextPrepareRequest, NextRequest, NextResolve,
    NextSubscribe, ResolveInfo,
};
use async_graphql::{Request, Response, ServerError, ServerResult, Value};
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use serde_json::json;

use super::Limits;
use super::access::missing_scope;
use super::cost::{Measure, Unmeasurable, measure};
use crate::graphql::RequestContext;

/// Installs the guard on a schema.
pub struct QueryGuard(pub Limits);

impl ExtensionFactory for QueryGuard {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Guard {
            limits: self.0,
            nodes: Arc::default(),
            overflowed: Arc::default(),
            context: std::sync::OnceLock::new(),
        })
    }
}

/// One request's guard (the factory makes one per request, and one per subscription).
struct Guard {
    limits: Limits,
    /// Fields resolved for the response being built (for a subscription: for its event).
    nodes: Arc<AtomicU64>,
    overflowed: Arc<AtomicBool>,
    context: std::sync::OnceLock<RequestContext>,
}

/// A request-level error with a code and, where given, more extensions.
fn refusal(code: &str, message: String, more: Option<(&str, serde_json::Value)>) -> ServerError {
    let mut error = ServerError::new(message, None);
    let extensions = error.extensions.get_or_insert_with(Default::default);
    extensions.set("code", code);
    if let Some((name, value)) = more
        && let Ok(value) = Value::from_json(value)
    {
        extensions.set(name, value);
    }
    error
}

/// The error that replaces a response past the node cap.
fn too_large(limits: Limits) -> Response {
    Response::from_errors(vec![refusal(
        "RESPONSE_TOO_LARGE",
        format!(
            "the response would hold more than {} fields; ask for smaller pages",
            limits.max_response_nodes
        ),
        Some((
            "cost",
            json!({ "limits": { "responseNodes": limits.max_response_nodes } }),
        )),
    )])
}

impl Guard {
    /// Refuses a document whose largest operation or fragment passes a limit.
    fn check(&self, largest: Measure) -> ServerResult<()> {
        let limits = self.limits;
        let mut exceeded = Vec::new();
        if largest.cost > limits.max_cost {
            exceeded.push(format!("cost {} > {}", largest.cost, limits.max_cost));
        }
        if largest.selections > limits.max_selections {
            exceeded.push(format!(
                "{} fields once fragments are spread > {}",
                largest.selections, limits.max_selections
            ));
        }
        if largest.depth > limits.max_depth {
            exceeded.push(format!("depth {} > {}", largest.depth, limits.max_depth));
        }
        if largest.aliases > limits.max_aliases {
            exceeded.push(format!(
                "{} aliases > {}",
                largest.aliases, limits.max_aliases
            ));
        }
        if exceeded.is_empty() {
            return Ok(());
        }
        Err(refusal(
            "GRAPHQL_VALIDATION_FAILED",
            format!(
                "the query is too large: {}; ask for smaller pages or fewer fields",
                exceeded.join(", ")
            ),
            Some((
                "cost",
                json!({
                    "requested": largest.cost,
                    "selections": largest.selections,
                    "depth": largest.depth,
                    "aliases": largest.aliases,
                    "limits": {
                        "cost": limits.max_cost,
                        "selections": limits.max_selections,
                        "depth": limits.max_depth,
                        "aliases": limits.max_aliases,
                    },
                }),
            )),
        ))
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for Guard {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let response = next.run(ctx).await;
        let nodes = self.nodes.load(Ordering::Relaxed);
        if let Some(context) = self.context.get() {
            context
                .cost
                .actual
                .store(nodes.min(self.limits.max_response_nodes), Ordering::Relaxed);
        }
        if self.overflowed.load(Ordering::Relaxed) {
            // Whatever was resolved is dropped here, not sent.
            return too_large(self.limits);
        }
        response
    }

    /// A subscription's responses are capped one event at a time: the count starts again
    /// after each, so a long-lived stream is not failed by the sum of its events.
    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        let (nodes, overflowed, limits) =
            (self.nodes.clone(), self.overflowed.clone(), self.limits);
        next.run(ctx, stream)
            .map(move |response| {
                nodes.store(0, Ordering::Relaxed);
                if overflowed.swap(false, Ordering::Relaxed) {
                    too_large(limits)
                } else {
                    response
                }
            })
            .boxed()
    }

    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        mut request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        let context = request
            .data
            .get(&TypeId::of::<RequestContext>())
            .and_then(|data| data.downcast_ref::<RequestContext>())
            .cloned();
        let registry = &ctx.schema_env.registry;
        let variables = request.variables.clone();
        let operation_name = request.operation_name.clone();
        let doc = request.parsed_query().map_err(|mut error| {
            error
                .extensions
                .get_or_insert_with(Default::default)
                .set("code", "GRAPHQL_PARSE_FAILED");
            error
        })?;
        let (measured, largest) = measure(registry, doc, &variables, operation_name.as_deref())
            .map_err(|Unmeasurable::FragmentCycle(name)| {
                refusal(
                    "GRAPHQL_VALIDATION_FAILED",
                    format!("fragment {name} spreads itself"),
                    None,
                )
            })?;
        self.check(largest)?;
        if let Some(context) = context {
            context
                .cost
                .requested
                .store(measured.cost, Ordering::Relaxed);
            match context.throttle.charge(&context.principal, measured.cost) {
                Ok(status) => context.cost.record_bucket(status),
                Err(throttled) => {
                    context.cost.record_throttled(throttled);
                    return Err(refusal(
                        "RATE_LIMITED",
                        throttled.message(),
                        Some(("retryAfter", json!(throttled.retry_after_secs()))),
                    ));
                }
            }
            let _ = self.context.set(context);
        }
        next.run(ctx, request).await
    }

    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        let nodes = self.nodes.fetch_add(1, Ordering::Relaxed) + 1;
        if nodes > self.limits.max_response_nodes {
            self.overflowed.store(true, Ordering::Relaxed);
            return Err(ServerError::new("response too large", None));
        }
        // An access token reaches only the kinds of objects and the changes its scopes allow.
        if let Some(grant) = self.context.get().and_then(|rc| rc.principal.grant()) {
            let field = (info.parent_type, info.name, info.return_type);
            if let Some(scope) = missing_scope(|scope| grant.scopes.contains(scope), field) {
                let error: async_graphql::Error = crate::ops::OpError::ScopeRequired(scope).into();
                return Err(error.into_server_error(info.field.name.pos));
            }
        }
        next.run(ctx, info).await
    }
}

#[cfg(test)]
mod tests {
    use crate::graphql::{Limits, build_schema};

    async fn run(limits: Limits, query: &str) -> async_graphql::Response {
        build_schema(limits).execute(query).await
    }

    fn code(response: &async_graphql::Response) -> Option<String> {
        let error = response.errors.first()?;
        match error.extensions.as_ref()?.get("code")? {
            async_graphql::Value::String(code) => Some(code.clone()),
            _ => None,
        }
    }

    #[tokio::test]
    async fn graphiql_introspection_passes_the_default_limits() {
        let response = run(
            Limits::default(),
            include_str!("../../../tests/api/introspection_query.graphql"),
        )
        .await;
        assert!(response.errors.is_empty(), "{:?}", response.errors);
    }

    #[tokio::test]
    async fn too_costly_queries_are_refused_with_their_cost() {
        let response = run(
            Limits::default(),
            "{ customers(first: 100) { nodes { accounts(first: 100) { nodes { customer { \
             accounts(first: 100) { nodes { customer { accounts(first: 100) { nodes { \
             accountId } } } } } } } } } } }",
        )
        .await;
        assert_eq!(
            code(&response).as_deref(),
            Some("GRAPHQL_VALIDATION_FAILED")
        );
        let cost = response.errors[0]
            .extensions
            .as_ref()
            .and_then(|e| e.get("cost"))
            .cloned()
            .expect("extensions.cost");
        let json = cost.into_json().expect("json");
        assert!(json["requested"].as_u64().expect("requested") > 100_000_000);
        assert_eq!(json["limits"]["cost"], Limits::default().max_cost);
    }

    #[tokio::test]
    async fn aliases_and_depth_have_limits() {
        let limits = Limits {
            max_aliases: 2,
            ..Limits::default()
        };
        let response = run(limits, "{ a: __typename b: __typename c: __typename }").await;
        assert_eq!(
            code(&response).as_deref(),
            Some("GRAPHQL_VALIDATION_FAILED")
        );
        let limits = Limits {
            max_depth: 3,
            ..Limits::default()
        };
        let response = run(limits, "{ __schema { types { fields { name } } } }").await;
        assert_eq!(
            code(&response).as_deref(),
            Some("GRAPHQL_VALIDATION_FAILED")
        );
    }

    #[tokio::test]
    async fn the_response_node_cap_fails_the_whole_response() {
        let limits = Limits {
            max_response_nodes: 50,
            ..Limits::default()
        };
        let response = run(limits, "{ __schema { types { name kind description } } }").await;
        assert_eq!(code(&response).as_deref(), Some("RESPONSE_TOO_LARGE"));
        assert_eq!(response.errors.len(), 1);
        assert_eq!(response.data, async_graphql::Value::Null);
    }
}
