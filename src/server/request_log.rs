//! One structured log line per request: method, path, status, duration, and for GraphQL the
//! operation name, caller and error codes. Never headers, bodies, variables or secrets.
//! Values a client chooses are cut to a bounded length, and the error codes are counted,
//! so that one line stays short however large or failing the request.

use std::borrow::Cow;
use std::time::Instant;

use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;

use crate::domain::tenancy::{Caller, Principal};

/// What the GraphQL handler tells the log about the operation it ran.
#[derive(Debug, Clone)]
pub struct OperationInfo {
    pub name: Option<String>,
    pub error_codes: Vec<String>,
    pub principal: Option<Principal>,
}

/// The most characters of a client-chosen value (method, path, operation name) logged.
const MAX_CLIENT_CHARS: usize = 100;
/// The most characters of the error-code summary logged.
const MAX_ERRORS_CHARS: usize = 300;

/// `value` cut to `max` characters (on a character boundary), marked when cut.
fn clip(value: &str, max: usize) -> Cow<'_, str> {
    match value.char_indices().nth(max) {
        None => Cow::Borrowed(value),
        Some((end, _)) => Cow::Owned(format!(
            "{}…[{} more bytes]",
            &value[..end],
            value.len() - end
        )),
    }
}

/// Each distinct code once, in order of first appearance, with its count: `NOT_FOUND×3,…`.
fn summarize(codes: &[String]) -> String {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for code in codes {
        match counts.iter_mut().find(|(seen, _)| *seen == code.as_str()) {
            Some((_, count)) => *count += 1,
            None => counts.push((code.as_str(), 1)),
        }
    }
    let summary: Vec<String> = counts
        .iter()
        .map(|(code, count)| format!("{}×{count}", clip(code, MAX_CLIENT_CHARS)))
        .collect();
    clip(&summary.join(","), MAX_ERRORS_CHARS).into_owned()
}

/// The id of one request: the client's `X-Request-Id` when it sent a usable one (1 to 128
/// characters of letters, digits, `-`, `_`, `.`, `:`), else a new UUID. It is returned in
/// the `X-Request-Id` header and `extensions.requestId`, logged, and recorded on the events
/// the request caused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

/// The header a request id travels in.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

impl RequestId {
    /// The client's id when usable, else a new one.
    pub fn from_header(value: Option<&HeaderValue>) -> Self {
        let usable = value
            .and_then(|v| v.to_str().ok())
            .filter(|v| (1..=128).contains(&v.len()))
            .filter(|v| {
                v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
            });
        match usable {
            Some(id) => Self(id.to_owned()),
            None => Self(uuid::Uuid::now_v7().to_string()),
        }
    }
}

pub async fn log_request(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = clip(req.method().as_str(), MAX_CLIENT_CHARS).into_owned();
    let path = clip(req.path(), MAX_CLIENT_CHARS).into_owned();
    let request_id = RequestId::from_header(req.headers().get(&REQUEST_ID));
    req.extensions_mut().insert(request_id.clone());
    let mut result = next.call(req).await;
    if let Ok(response) = &mut result
        && let Ok(value) = HeaderValue::from_str(&request_id.0)
    {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    let request_id = request_id.0;
    let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    match &result {
        Ok(response) => {
            let status = response.status().as_u16();
            let info = response
                .response()
                .extensions()
                .get::<OperationInfo>()
                .cloned();
            let operation = info
                .as_ref()
                .and_then(|i| i.name.as_deref())
                .map(|name| clip(name, MAX_CLIENT_CHARS).into_owned())
                .unwrap_or_default();
            let codes = info.as_ref().map(|i| i.error_codes.as_slice());
            let errors = codes.map(summarize).unwrap_or_default();
            // The database or our code failed (the per-field lines are at debug level).
            let degraded = status >= 500
                || codes.is_some_and(|c| c.iter().any(|c| c == "UNAVAILABLE" || c == "INTERNAL"));
            let caller = match info.and_then(|i| i.principal) {
                Some(p) => match p.caller() {
                    Caller::Client(client_id) => format!("client:{client_id}"),
                    Caller::Operator => "operator".to_owned(),
                    Caller::System => "system".to_owned(),
                },
                None => String::new(),
            };
            if degraded {
                tracing::warn!(
                    target: "layer2::request",
                    %method, %path, status, duration_ms, operation, caller, errors, request_id,
                    "request"
                );
            } else {
                tracing::info!(
                    target: "layer2::request",
                    %method, %path, status, duration_ms, operation, caller, errors, request_id,
                    "request"
                );
            }
        }
        Err(error) => {
            let error = clip(&error.to_string(), MAX_CLIENT_CHARS).into_owned();
            tracing::warn!(target: "layer2::request", %method, %path, duration_ms, error, request_id, "request failed");
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_values_are_cut_on_a_character_boundary() {
        assert_eq!(clip("short", 10), "short");
        let long = "é".repeat(150);
        let cut = clip(&long, 100);
        assert!(cut.starts_with(&"é".repeat(100)));
        assert!(cut.ends_with("…[100 more bytes]"), "{cut}");
    }

    #[test]
    fn error_codes_are_counted_once_each_in_order() {
        let codes: Vec<String> = ["NOT_FOUND", "UNAVAILABLE", "NOT_FOUND"]
            .into_iter()
            .chain(std::iter::repeat_n("UNAVAILABLE", 1765))
            .map(str::to_owned)
            .collect();
        assert_eq!(summarize(&codes), "NOT_FOUND×2,UNAVAILABLE×1766");
        assert_eq!(summarize(&[]), "");
        let many: Vec<String> = (0..1000).map(|i| format!("CODE_{i}")).collect();
        assert!(summarize(&many).chars().count() < MAX_ERRORS_CHARS + 30);
    }
}
