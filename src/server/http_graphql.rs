//! The /graphql endpoint: authentication before anything else, bounded bodies, queries over
//! GET (mutations refused there), multipart requests for document uploads, and a JSON error
//! body for every refusal.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{
    ALLOW, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, WWW_AUTHENTICATE,
};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use async_graphql::parser::types::{DocumentOperations, OperationType};
use futures_util::StreamExt;
use serde_json::json;

use super::AppState;
use super::request_log::OperationInfo;
use crate::auth::{self, AuthError};
use crate::domain::tenancy::Principal;
use crate::graphql::RequestContext;

/// A GraphQL-shaped error body with an HTTP status, for refusals before execution.
pub fn error_response(status: StatusCode, code: &str, message: &str) -> HttpResponse {
    HttpResponse::build(status).json(json!({
        "errors": [{ "message": message, "extensions": { "code": code } }]
    }))
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
    if !essence.eq_ignore_ascii_case("application/json") {
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
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let Ok(chunk) = chunk else {
            return error_response(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                "the request body could not be read",
            );
        };
        if body.len() + chunk.len() > limit {
            return too_large();
        }
        body.extend_from_slice(&chunk);
    }
    let request: async_graphql::Request = match serde_json::from_slice(&body) {
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
    let part_limit = state.max_document_bytes + 64 * 1024;
    let too_large = || {
        error_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            "DOCUMENT_TOO_LARGE",
            &format!(
                "a document may be at most {} bytes",
                state.max_document_bytes
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
    match async_graphql::http::receive_body(Some(content_type), reader, options).await {
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
    let request = match async_graphql::http::parse_query_string(req.query_string()) {
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
    let request = crate::graphql::loaders::attach(request, &state.db, principal.scope()).data(
        RequestContext {
            principal,
            db: state.db.clone(),
            max_document_bytes: state.max_document_bytes,
            transfer_validity: state.transfer_validity,
            content_downloaded: Default::default(),
        },
    );
    let response = state.schema.execute(request).await;
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
    let body = match serde_json::to_vec(&response) {
        Ok(body) => body,
        Err(_) => {
            return error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL",
                "response could not be encoded",
            );
        }
    };
    let mut http = HttpResponse::Ok();
    for (name, value) in response.http_headers.iter() {
        if let Ok(value) = value.to_str() {
            http.append_header((name.as_str(), value));
        }
    }
    let mut http = http.content_type("application/json").body(body);
    http.extensions_mut().insert(OperationInfo {
        name: operation,
        error_codes,
        principal: Some(principal),
    });
    http
}
