//! The /graphql endpoint: authentication before anything else, bounded bodies, queries over
//! GET (mutations refused there), multipart requests for document uploads, and a JSON error
//! body for every refusal.

mod body;
mod execute;
mod peer;

pub use body::post;
pub use peer::remember_peer;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{
    ALLOW, AUTHORIZATION, HeaderName, HeaderValue, RETRY_AFTER, WWW_AUTHENTICATE,
};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use async_graphql::parser::types::{DocumentOperations, OperationType};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use super::AppState;
use crate::auth::AuthError;
use crate::graphql::limits::throttle::Throttled;
use execute::execute;

/// A GraphQL-shaped error body with an HTTP status, for refusals before execution.
pub fn error_response(status: StatusCode, code: &str, message: &str) -> HttpResponse {
    HttpResponse::build(status).json(json!({
        "errors": [{ "message": message, "extensions": { "code": code } }]
    }))
}

/// HTTP 429 for a key past its allowance, with `Retry-After`.
fn throttled_response(throttled: &Throttled) -> HttpResponse {
    let mut response = HttpResponse::build(StatusCode::TOO_MANY_REQUESTS).json(json!({
        "errors": [{
            "message": throttled.message(),
            "extensions": { "code": "RATE_LIMITED", "retryAfter": throttled.retry_after_secs() }
        }]
    }));
    insert_header(
        &mut response,
        RETRY_AFTER,
        &throttled.retry_after_secs().to_string(),
    );
    response
}

/// HTTP 408 for a body that did not arrive in time.
fn body_timeout_response(timeout: Duration) -> HttpResponse {
    error_response(
        StatusCode::REQUEST_TIMEOUT,
        "REQUEST_TIMEOUT",
        &format!(
            "the request body did not arrive within {} ms",
            timeout.as_millis()
        ),
    )
}

fn insert_header(response: &mut HttpResponse, name: HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers_mut().insert(name, value);
    }
}

/// The statements a request has run so far (its key lookup, then its execution).
#[derive(Clone)]
pub(crate) struct RequestStatements(pub(crate) Arc<AtomicU64>);

/// Authenticates every request to /graphql before its body is read; 401 ends it there.
pub async fn require_api_key(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        let response = error_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL",
            "misconfigured",
        );
        return Ok(req.into_response(response));
    };
    let header = req
        .headers()
        .get(AUTHORIZATION)
        .map(|v| v.to_str().unwrap_or_default());
    // The request's statements, counted from the key lookup to the last batch.
    let statements = Arc::new(AtomicU64::new(0));
    let verified = crate::db::statements::counted(
        statements.clone(),
        state
            .keys
            .authenticate(&state.db, &*state.ops.clock, header),
    )
    .await;
    match verified {
        Ok(principal) => {
            req.extensions_mut().insert(RequestStatements(statements));
            // Held until the response is built: the key's place among its running requests.
            let _running = match state.throttle.admit(&principal) {
                Ok(running) => running,
                Err(throttled) => return Ok(req.into_response(throttled_response(&throttled))),
            };
            req.extensions_mut().insert(principal);
            next.call(req)
                .await
                .map(ServiceResponse::map_into_boxed_body)
        }
        Err(AuthError::Unavailable) => {
            let response = error_response(
                StatusCode::SERVICE_UNAVAILABLE,
                "UNAVAILABLE",
                AuthError::Unavailable.message(),
            );
            Ok(req.into_response(response))
        }
        Err(error) => {
            let mut response =
                error_response(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", error.message());
            response.headers_mut().insert(
                WWW_AUTHENTICATE,
                actix_web::http::header::HeaderValue::from_static("Bearer realm=\"layer2\""),
            );
            Ok(req.into_response(response))
        }
    }
}

/// `GET /graphql?query=…&variables=…&operationName=…`: queries only.
pub async fn get(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let request = match super::media::query_string_request(req.query_string()) {
        Ok(request) => request,
        Err(error) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                &format!("invalid GraphQL GET request: {error}"),
            );
        }
    };
    if is_mutation(&request) {
        let mut response = error_response(
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            "mutations must be sent with POST",
        );
        response.headers_mut().insert(
            ALLOW,
            actix_web::http::header::HeaderValue::from_static("POST"),
        );
        return response;
    }
    execute(&state, &req, request).await
}

/// Whether the operation the request selects is anything but a query. A document that does
/// not parse is left to execution, which reports the syntax error.
fn is_mutation(request: &async_graphql::Request) -> bool {
    let Ok(document) = async_graphql::parser::parse_query(&request.query) else {
        return false;
    };
    let selected = match (&document.operations, request.operation_name.as_deref()) {
        (DocumentOperations::Single(op), _) => Some(op.node.ty),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name).map(|op| op.node.ty),
        (DocumentOperations::Multiple(ops), None) => {
            // Ambiguous without a name; refuse if any operation could write.
            ops.values()
                .map(|op| op.node.ty)
                .find(|ty| *ty != OperationType::Query)
        }
    };
    selected.is_some_and(|ty| ty != OperationType::Query)
}
