//! The /graphql endpoint: authentication before anything else, bounded bodies, queries over
//! GET (mutations refused there), multipart requests for document uploads, and a JSON error
//! body for every refusal.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{
    ALLOW, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, HeaderName, HeaderValue, RETRY_AFTER,
    WWW_AUTHENTICATE,
};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use async_graphql::parser::types::{DocumentOperations, OperationType};
use futures_util::StreamExt;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

use super::AppState;
use super::request_log::OperationInfo;
use crate::auth::{self, AuthError};
use crate::domain::client::Environment;
use crate::domain::tenancy::Principal;
use crate::graphql::RequestContext;
use crate::graphql::limits::CostRecord;
use crate::graphql::limits::throttle::Throttled;

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
    match auth::authenticate(&state.db, header).await {
        Ok(principal) => {
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

/// `POST /graphql` with an `application/json` body of one GraphQL request, or a GraphQL
/// multipart request (files, e.g. `uploadApplicationDocument`).
pub async fn post(
    state: web::Data<AppState>,
    req: HttpRequest,
    mut payload: web::Payload,
) -> HttpResponse {
    let content_type = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim();
    if essence.eq_ignore_ascii_case("multipart/form-data") {
        let content_type = content_type.to_owned();
        return post_multipart(&state, &req, content_type, payload).await;
    }
    if !super::media::is_json_request(content_type) {
        return error_response(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "BAD_REQUEST",
            "send the GraphQL request as application/json (or multipart/form-data with files)",
        );
    }
    let limit = state.body_limit;
    let too_large = || {
        error_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
            &format!("the request body is larger than {limit} bytes"),
        )
    };
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return too_large();
    }
    let read = async {
        let mut body = web::BytesMut::new();
        while let Some(chunk) = payload.next().await {
            let Ok(chunk) = chunk else {
                return Err(error_response(
                    StatusCode::BAD_REQUEST,
                    "BAD_REQUEST",
                    "the request body could not be read",
                ));
            };
            if body.len() + chunk.len() > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    };
    let body = match tokio::time::timeout(state.body_timeout, read).await {
        Ok(Ok(body)) => body,
        Ok(Err(refused)) => return refused,
        Err(_) => return body_timeout_response(state.body_timeout),
    };
    let request: async_graphql::Request = match super::media::json_request(&body) {
        Ok(request) => request,
        Err(_) if body.first() == Some(&b'[') => {
            return error_response(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                "batched requests are not supported",
            );
        }
        Err(error) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                &format!("the body is not a GraphQL request: {error}"),
            );
        }
    };
    execute(&state, &req, request).await
}

/// A GraphQL multipart request (github.com/jaydenseric/graphql-multipart-request-spec) with
/// at most one file. The body streams through the parser, which stops reading as soon as a
/// part exceeds the document limit, so an oversized file is refused before it is read whole.
async fn post_multipart(
    state: &AppState,
    req: &HttpRequest,
    content_type: String,
    mut payload: web::Payload,
) -> HttpResponse {
    // The operations and map parts are small; the slack lets a file of exactly the limit
    // through to the resolver, which enforces the limit to the byte.
    let part_limit = state.ops.settings.max_document_bytes + 64 * 1024;
    let too_large = || {
        error_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            "DOCUMENT_TOO_LARGE",
            &format!(
                "a document may be at most {} bytes",
                state.ops.settings.max_document_bytes
            ),
        )
    };
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > part_limit + state.body_limit) {
        return too_large();
    }
    // actix's payload is not Send and the parser needs a Send reader: forward the chunks
    // over a small channel from a local task, which stops when the parser stops reading.
    let (sender, receiver) = tokio::sync::mpsc::channel::<std::io::Result<web::Bytes>>(4);
    actix_web::rt::spawn(async move {
        while let Some(chunk) = payload.next().await {
            let item = chunk.map_err(|e| std::io::Error::other(e.to_string()));
            let failed = item.is_err();
            if sender.send(item).await.is_err() || failed {
                break;
            }
        }
    });
    let stream = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|item| (item, receiver))
    });
    let reader = futures_util::TryStreamExt::into_async_read(Box::pin(stream));
    let options = async_graphql::http::MultipartOptions::default()
        .max_file_size(part_limit)
        .max_num_files(1);
    let received = tokio::time::timeout(
        state.body_timeout,
        async_graphql::http::receive_body(Some(content_type), reader, options),
    )
    .await;
    let Ok(received) = received else {
        return body_timeout_response(state.body_timeout);
    };
    match received {
        Ok(request) => {
            // The parts besides the file get the JSON body's limit.
            let size = request.query.len()
                + serde_json::to_vec(&request.variables).map_or(usize::MAX, |v| v.len());
            if size > state.body_limit {
                return error_response(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "PAYLOAD_TOO_LARGE",
                    &format!(
                        "the operations part is larger than {} bytes",
                        state.body_limit
                    ),
                );
            }
            execute(state, req, request).await
        }
        Err(async_graphql::ParseRequestError::PayloadTooLarge) => too_large(),
        Err(async_graphql::ParseRequestError::UnsupportedBatch) => error_response(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            "batched requests are not supported",
        ),
        Err(error) => error_response(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            &format!("the multipart request could not be read: {error}"),
        ),
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

async fn execute(
    state: &AppState,
    req: &HttpRequest,
    request: async_graphql::Request,
) -> HttpResponse {
    let Some(media) = super::media::negotiate(req.headers()) else {
        return super::media::not_acceptable();
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
        .get::<super::request_log::RequestId>()
        .map(|id| id.0.clone());
    let request = crate::graphql::loaders::attach(request, &state.db, principal.scope()).data(
        RequestContext {
            principal,
            db: state.db.clone(),
            clock: state.ops.clock.clone(),
            settings: state.ops.settings.clone(),
            content_downloaded: Default::default(),
            upload_claimed: Default::default(),
            upload_slots: state.upload_slots.clone(),
            throttle: state.throttle.clone(),
            cost: cost.clone(),
            request_id: request_id.clone(),
        },
    );
    let schema = match principal.environment() {
        Environment::Sandbox => state.schema.clone(),
        Environment::Production => state.quiet_schema.clone(),
    };
    // On the deadline, or when the client goes away, the work stops where it is: its
    // statements stop, and a connection left inside a transaction is discarded by the pool
    // rather than reused. The stopped work is dropped on the main runtime, where SQLite's
    // wrapper may wait for its blocking call to end (on one of actix's single-threaded
    // workers that wait would panic in diesel-async).
    let mut work = Work::new(state.runtime.clone(), async move {
        schema.execute(request).await
    });
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
    let (status, body) = match super::media::encode(media, &response) {
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
        .body(super::memory::released_after_sending(body));
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

/// A second handle on a connection's socket, kept with the connection, to notice the client
/// going away while its request runs (actix-web does not tell a handler).
struct PeerSocket(socket2::Socket);

/// Keeps a [`PeerSocket`] for every TCP connection (called by actix-web once per connection).
pub fn remember_peer(connection: &dyn std::any::Any, data: &mut actix_web::dev::Extensions) {
    if let Some(stream) = connection.downcast_ref::<actix_web::rt::net::TcpStream>()
        && let Ok(socket) = socket2::SockRef::from(stream).try_clone()
    {
        data.insert(PeerSocket(socket));
    }
}

/// Resolves when the client has closed its connection (or reset it); never otherwise, and
/// never when the connection is unknown or the client sends more data (pipelining).
async fn client_gone(req: &HttpRequest) {
    let probe = req
        .conn_data::<PeerSocket>()
        .and_then(|peer| peer.0.try_clone().ok())
        .and_then(|socket| tokio::net::TcpStream::from_std(socket.into()).ok());
    let Some(probe) = probe else {
        return std::future::pending().await;
    };
    let mut byte = [0u8; 1];
    match probe.peek(&mut byte).await {
        Ok(0) | Err(_) => {}
        Ok(_) => std::future::pending().await,
    }
}
