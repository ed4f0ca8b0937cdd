//! Reading a `POST /graphql` body: one JSON GraphQL request within the body limit, or a
//! GraphQL multipart request whose single file is bounded by the document limit.

use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;

use super::execute::execute;
use super::{body_timeout_response, error_response};
use crate::server::AppState;

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
    if !crate::server::media::is_json_request(content_type) {
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
    let request: async_graphql::Request = match crate::server::media::json_request(&body) {
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
    payload: web::Payload,
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
    let reader = send_reader(payload);
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

/// The payload as the `Send` reader the multipart parser needs. actix's payload is not
/// `Send`: a local task forwards its chunks over a small channel, and stops when the parser
/// stops reading.
fn send_reader(mut payload: web::Payload) -> impl futures_util::AsyncRead + Send {
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
    futures_util::TryStreamExt::into_async_read(Box::pin(stream))
}
