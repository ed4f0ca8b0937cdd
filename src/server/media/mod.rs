//! GraphQL over HTTP (graphql.github.io/graphql-over-http/draft): the media type of a response
//! and its status, and the shape of a request.
//!
//! Responses: `application/graphql-response+json` when the client accepts it by name, else
//! `application/json` (also for `*/*`, `application/*` and no `Accept` at all); `406` when the
//! `Accept` header allows neither. With `application/graphql-response+json`, a request error
//! (the document does not parse or validate, the variables do not coerce: no `data`) is
//! `400` without `data`; with `application/json` every GraphQL response is `200`, as legacy
//! clients expect. This follows the reference audit (`graphql-http`'s `auditServer`).
//!
//! Requests: a JSON body (`application/json`, UTF-8) or query parameters must be a
//! GraphQL-over-HTTP request: `query` a string, `operationName` a string, `variables` and
//! `extensions` maps, each optional one absent or `null` (or empty, in a query string).

mod accept;
mod request;

pub use accept::negotiate;
pub use request::{is_json_request, json_request, query_string_request};

use std::collections::BTreeMap;

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use serde::Serialize;

use super::http_graphql::error_response;

/// A media type a GraphQL response is sent in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Media {
    /// `application/graphql-response+json`: the status tells request errors (4xx) apart.
    GraphqlResponseJson,
    /// `application/json`: legacy clients, `200` for every GraphQL response.
    Json,
}

impl Media {
    pub fn content_type(self) -> &'static str {
        match self {
            Self::GraphqlResponseJson => "application/graphql-response+json; charset=utf-8",
            Self::Json => "application/json",
        }
    }

    fn subtype(self) -> &'static str {
        match self {
            Self::GraphqlResponseJson => "graphql-response+json",
            Self::Json => "json",
        }
    }
}

/// `406`: the `Accept` header allows none of our media types.
pub fn not_acceptable() -> HttpResponse {
    error_response(
        StatusCode::NOT_ACCEPTABLE,
        "NOT_ACCEPTABLE",
        "accept application/graphql-response+json or application/json",
    )
}

/// The HTTP status of an executed GraphQL response sent as `media`.
pub fn status(media: Media, response: &async_graphql::Response) -> StatusCode {
    if media == Media::Json || !is_request_error(response) {
        return StatusCode::OK;
    }
    let code = |wanted: &str| {
        response.errors.iter().any(|e| {
            e.extensions
                .as_ref()
                .and_then(|x| x.get("code"))
                .is_some_and(|c| matches!(c, async_graphql::Value::String(s) if s == wanted))
        })
    };
    // Not the request's fault: the server's.
    if code("INTERNAL") {
        StatusCode::INTERNAL_SERVER_ERROR
    } else if code("UNAVAILABLE") {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::BAD_REQUEST
    }
}

/// Whether the response reports a request error: nothing was executed (the document did not
/// parse or validate, no operation could be chosen, the variables did not coerce), so it
/// carries errors outside any field and no data. An error inside a field has a path, and its
/// response has data, if only `null` (a non-null root field failed).
pub fn is_request_error(response: &async_graphql::Response) -> bool {
    response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty())
}

/// The status and the body of an executed GraphQL response sent as `media`. A request error
/// in `application/graphql-response+json` has no `data` entry (not even `null`).
pub fn encode(
    media: Media,
    response: &async_graphql::Response,
) -> Result<(StatusCode, Vec<u8>), serde_json::Error> {
    #[derive(Serialize)]
    struct WithoutData<'a> {
        errors: &'a [async_graphql::ServerError],
        #[serde(skip_serializing_if = "BTreeMap::is_empty")]
        extensions: &'a BTreeMap<String, async_graphql::Value>,
    }
    let status = status(media, response);
    let body = if media == Media::GraphqlResponseJson && is_request_error(response) {
        serde_json::to_vec(&WithoutData {
            errors: &response.errors,
            extensions: &response.extensions,
        })?
    } else {
        serde_json::to_vec(response)?
    };
    Ok((status, body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graphql::{Limits, build_schema};
    use serde_json::Value;

    async fn run(query: &str, variables: Value) -> async_graphql::Response {
        let request = async_graphql::Request::new(query)
            .variables(async_graphql::Variables::from_json(variables));
        build_schema(Limits::default()).execute(request).await
    }

    fn body(bytes: &[u8]) -> Value {
        serde_json::from_slice(bytes).unwrap()
    }

    #[tokio::test]
    async fn request_errors_are_400_without_data_in_the_graphql_response_type() {
        let cases = [
            ("{", Value::Null, "GRAPHQL_PARSE_FAILED"),
            ("{ nope }", Value::Null, "GRAPHQL_VALIDATION_FAILED"),
            (
                "query A { __typename } query B { __typename }",
                Value::Null,
                "GRAPHQL_VALIDATION_FAILED",
            ),
            (
                "query CoerceFailure($id: ID!) { __typename }",
                serde_json::json!({ "id": null }),
                "GRAPHQL_VALIDATION_FAILED",
            ),
            (
                "query ($n: Int) { __typename }",
                serde_json::json!({ "n": "seven" }),
                "GRAPHQL_VALIDATION_FAILED",
            ),
        ];
        for (query, variables, code) in cases {
            let response = run(query, variables).await;
            assert!(is_request_error(&response), "{query}: {response:?}");

            let (status, bytes) = encode(Media::GraphqlResponseJson, &response).unwrap();
            assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
            let json = body(&bytes);
            assert!(json.get("data").is_none(), "{query}: {json}");
            assert_eq!(
                json["errors"][0]["extensions"]["code"], code,
                "{query}: {json}"
            );

            // Legacy clients: 200, and the body they always had.
            let (status, bytes) = encode(Media::Json, &response).unwrap();
            assert_eq!(status, StatusCode::OK, "{query}");
            let json = body(&bytes);
            assert_eq!(json["data"], Value::Null, "{query}: {json}");
            assert_eq!(
                json["errors"][0]["extensions"]["code"], code,
                "{query}: {json}"
            );
        }
    }

    #[tokio::test]
    async fn executed_responses_are_200_in_both_types() {
        let response = run("{ __typename }", Value::Null).await;
        assert!(!is_request_error(&response));
        for media in [Media::GraphqlResponseJson, Media::Json] {
            let (status, bytes) = encode(media, &response).unwrap();
            assert_eq!(status, StatusCode::OK);
            assert_eq!(
                body(&bytes),
                serde_json::json!({ "data": { "__typename": "Query" } })
            );
        }
    }

    #[tokio::test]
    async fn field_errors_keep_their_data_and_200() {
        // Without a request context every resolver fails inside its field: a path, and data.
        let response = run("{ viewer { id } }", Value::Null).await;
        assert!(!response.errors.is_empty());
        assert!(!response.errors[0].path.is_empty(), "{response:?}");
        assert!(!is_request_error(&response));
        for media in [Media::GraphqlResponseJson, Media::Json] {
            let (status, bytes) = encode(media, &response).unwrap();
            assert_eq!(status, StatusCode::OK);
            assert!(body(&bytes).get("data").is_some());
        }
    }

    #[test]
    fn server_side_errors_outside_fields_are_5xx() {
        let error = |code: &str| {
            let mut error = async_graphql::ServerError::new("x", None);
            let mut extensions = async_graphql::ErrorExtensionValues::default();
            extensions.set("code", code);
            error.extensions = Some(extensions);
            async_graphql::Response::from_errors(vec![error])
        };
        let grj = Media::GraphqlResponseJson;
        assert_eq!(
            status(grj, &error("INTERNAL")),
            StatusCode::INTERNAL_SERVER_ERROR
        );
        assert_eq!(
            status(grj, &error("UNAVAILABLE")),
            StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(status(grj, &error("BAD_REQUEST")), StatusCode::BAD_REQUEST);
        assert_eq!(status(Media::Json, &error("INTERNAL")), StatusCode::OK);
        // No errors at all is a success, whatever the data.
        assert_eq!(
            status(grj, &async_graphql::Response::default()),
            StatusCode::OK
        );
    }

    #[tokio::test]
    async fn the_406_body_has_a_code() {
        let response = not_acceptable();
        assert_eq!(response.status(), StatusCode::NOT_ACCEPTABLE);
        let bytes = actix_web::body::to_bytes(response.into_body())
            .await
            .unwrap();
        assert_eq!(
            body(&bytes)["errors"][0]["extensions"]["code"],
            "NOT_ACCEPTABLE"
        );
    }
}
