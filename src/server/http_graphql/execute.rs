//! Running one GraphQL request: input checks, the request's context, execution under the
//! deadline (stopped when the client goes away), and the HTTP response with its error codes
//! and cost headers.

use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderName, RETRY_AFTER};
use actix_web::{HttpMessage, HttpRequest, HttpResponse};
use async_graphql::parser::types::DocumentOperations;
use serde_json::json;
use std::sync::Arc;

use super::peer::client_gone;
use super::{error_response, insert_header};
use crate::auth::AuthError;
use crate::domain::client::Environment;
use crate::domain::tenancy::Principal;
use crate::graphql::limits::CostRecord;
use crate::server::AppState;
use crate::server::request_log::OperationInfo;

/// Whether any string in the variables holds a NUL character, which no field accepts (and
/// which PostgreSQL cannot store in text).
fn has_nul(variables: &async_graphql::Variables) -> bool {
    fn walk(value: &async_graphql::Value) -> bool {
        match value {
            async_graphql::Value::String(s) => s.contains('\0'),
            async_graphql::Value::List(items) => items.iter().any(walk),
            async_graphql::Value::Object(fields) => {
                fields.iter().any(|(k, v)| k.contains('\0') || walk(v))
            }
            _ => false,
        }
    }
    variables.iter().any(|(_, value)| walk(value))
}

/// The name of the document's only operation, for the request log.
fn operation_name_in(query: &str) -> Option<String> {
    match async_graphql::parser::parse_query(query).ok()?.operations {
        // A lone named operation is parsed as a map of one.
        DocumentOperations::Multiple(ops) if ops.len() == 1 => {
            ops.keys().next().map(|n| n.to_string())
        }
        _ => None,
    }
}

pub(super) async fn execute(
    state: &AppState,
    req: &HttpRequest,
    request: async_graphql::Request,
) -> HttpResponse {
    let Some(media) = crate::server::media::negotiate(req.headers()) else {
        return crate::server::media::not_acceptable();
    };
    if has_nul(&request.variables)
        || request.query.contains('\0')
        || request.query.to_ascii_lowercase().contains("\\u0000")
    {
        return error_response(
            StatusCode::BAD_REQUEST,
            "BAD_USER_INPUT",
            "text must not contain NUL characters",
        );
    }
    let Some(principal) = req.extensions().get::<Principal>().copied() else {
        return error_response(
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
            AuthError::Missing.message(),
        );
    };
    let operation = request
        .operation_name
        .clone()
        .or_else(|| operation_name_in(&request.query));
    let cost = Arc::new(CostRecord::default());
    let request_id = req
        .extensions()
        .get::<crate::server::request_log::RequestId>()
        .map(|id| id.0.clone());
    let statements = req
        .extensions()
        .get::<super::RequestStatements>()
        .map(|counted| counted.0.clone())
        .unwrap_or_default();
    let batches = crate::graphql::loaders::Batches::driven();
    let request =
        crate::graphql::loaders::attach(request, &state.db, principal.scope(), batches.clone())
            .data(state.request_context(principal, cost.clone(), request_id.clone()));
    let schema = match principal.environment() {
        Environment::Sandbox => state.schema.clone(),
        Environment::Production => state.quiet_schema.clone(),
    };
    // On the deadline, or when the client goes away, the work stops where it is: its
    // statements stop, and a connection left inside a transaction is discarded by the pool
    // rather than reused. The stopped work is dropped on the main runtime, where SQLite's
    // wrapper may wait for its blocking call to end (on one of actix's single-threaded
    // workers that wait would panic in diesel-async).
    let execution =
        crate::graphql::loaders::drive(batches, async move { schema.execute(request).await });
    let mut work = Work::new(
        state.runtime.clone(),
        crate::db::statements::counted(statements.clone(), execution),
    );
    let gone = client_gone(req);
    let finished = tokio::select! {
        finished = tokio::time::timeout(state.request_timeout, work.finish()) => finished,
        () = gone => {
            // Nobody is left to answer: the work is aborted with `work` dropped here.
            tracing::info!(target: "layer2::request", "client went away; request stopped");
            return HttpResponse::build(StatusCode::BAD_REQUEST).finish();
        }
    };
    let mut response = match finished {
        Ok(Ok(response)) => response,
        Ok(Err(error)) => {
            let id =
                crate::graphql::error::ApiError::internal(&format!("execution failed: {error}"));
            return error_response(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", &id.message());
        }
        Err(_) => {
            let mut response = error_response(
                StatusCode::SERVICE_UNAVAILABLE,
                "UNAVAILABLE",
                &format!(
                    "the request did not finish within its deadline of {} ms; retry shortly",
                    state.request_timeout.as_millis()
                ),
            );
            insert_header(&mut response, RETRY_AFTER, "1");
            response.extensions_mut().insert(OperationInfo {
                name: operation,
                error_codes: vec!["UNAVAILABLE".into()],
                principal: Some(principal),
            });
            return response;
        }
    };
    report_cost(&mut response, &cost);
    if state.report_statements {
        let ran = statements.load(std::sync::atomic::Ordering::Relaxed);
        response
            .extensions
            .insert("statements".into(), async_graphql::Value::from(ran));
    }
    if let Some(id) = request_id {
        response
            .extensions
            .insert("requestId".into(), async_graphql::Value::String(id));
    }
    let error_codes: Vec<String> = response
        .errors
        .iter()
        .map(|e| {
            e.extensions
                .as_ref()
                .and_then(|x| x.get("code"))
                .map(|c| c.to_string().trim_matches('"').to_owned())
                .unwrap_or_default()
        })
        .collect();
    let (status, body) = match crate::server::media::encode(media, &response) {
        Ok(encoded) => encoded,
        Err(_) => {
            return error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL",
                "response could not be encoded",
            );
        }
    };
    let mut http = HttpResponse::build(status);
    for (name, value) in response.http_headers.iter() {
        if let Ok(value) = value.to_str() {
            http.append_header((name.as_str(), value));
        }
    }
    let mut http = http
        .content_type(media.content_type())
        .body(crate::server::memory::released_after_sending(body));
    cost_headers(&mut http, &cost);
    http.extensions_mut().insert(OperationInfo {
        name: operation,
        error_codes,
        principal: Some(principal),
    });
    http
}

/// `extensions.cost` of a response: what the query was measured to cost before it ran, the
/// fields it resolved, and where the key's cost bucket stands.
fn report_cost(response: &mut async_graphql::Response, cost: &CostRecord) {
    let mut report = json!({ "requested": cost.requested(), "actual": cost.actual() });
    if let Some(bucket) = cost.bucket() {
        let reset_at =
            chrono::Utc::now() + chrono::Duration::from_std(bucket.full_in).unwrap_or_default();
        report["throttle"] = json!({
            "limit": bucket.limit,
            "remaining": bucket.remaining,
            "resetAt": reset_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        });
    }
    if let Ok(value) = async_graphql::Value::from_json(report) {
        response.extensions.insert("cost".into(), value);
    }
}

/// `RateLimit-*` headers (IETF draft) for the key's cost bucket, and for a refused request
/// HTTP 429 with `Retry-After`.
fn cost_headers(http: &mut HttpResponse, cost: &CostRecord) {
    if let Some(throttled) = cost.throttled() {
        *http.status_mut() = StatusCode::TOO_MANY_REQUESTS;
        insert_header(http, RETRY_AFTER, &throttled.retry_after_secs().to_string());
    }
    if let Some(bucket) = cost.bucket() {
        let reset = bucket.full_in.as_secs_f64().ceil() as u64;
        insert_header(
            http,
            HeaderName::from_static("ratelimit-limit"),
            &bucket.limit.to_string(),
        );
        insert_header(
            http,
            HeaderName::from_static("ratelimit-remaining"),
            &bucket.remaining.to_string(),
        );
        insert_header(
            http,
            HeaderName::from_static("ratelimit-reset"),
            &reset.to_string(),
        );
    }
}

type Execution = std::pin::Pin<Box<dyn Future<Output = async_graphql::Response> + Send>>;

/// A request's GraphQL work, run on the request's own worker (so that its loaders batch as
/// they do); if the request ends first, the unfinished work is handed to the main runtime to
/// be dropped there.
struct Work {
    runtime: tokio::runtime::Handle,
    execution: Option<Execution>,
}

impl Work {
    fn new(
        runtime: tokio::runtime::Handle,
        execution: impl Future<Output = async_graphql::Response> + Send + 'static,
    ) -> Self {
        Self {
            runtime,
            execution: Some(Box::pin(execution)),
        }
    }

    async fn finish(&mut self) -> Result<async_graphql::Response, &'static str> {
        let execution = self.execution.as_mut().ok_or("the work already finished")?;
        let response = execution.await;
        self.execution = None;
        Ok(response)
    }
}

impl Drop for Work {
    fn drop(&mut self) {
        if let Some(unfinished) = self.execution.take() {
            drop(self.runtime.spawn(async move { drop(unfinished) }));
        }
    }
}
