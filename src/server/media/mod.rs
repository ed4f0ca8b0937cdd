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

use std::collections::BTreeMap;
use std::fmt;

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{ACCEPT, HeaderMap};
use serde::Serialize;
use serde_json::Value;

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

/// The media type to answer a request in, from its `Accept` headers; `None` when they accept
/// neither of ours (the caller answers [`not_acceptable`] without executing anything).
pub fn negotiate(headers: &HeaderMap) -> Option<Media> {
    let values: Vec<String> = headers
        .get_all(ACCEPT)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect();
    negotiate_accept(values.iter().map(String::as_str))
}

/// [`negotiate`] over the values of the `Accept` headers (RFC 9110 §12.5.1): the candidate
/// with the highest weight wins, each weighed by the most specific range that matches it.
/// At equal weight a type the client names beats a wildcard, and of two named types the
/// GraphQL response type wins; a wildcard alone (`*/*`, `application/*`) means JSON. A range
/// with a charset other than UTF-8 matches nothing; malformed ranges are ignored; no header,
/// or only empty ones, means JSON.
pub fn negotiate_accept<'a>(values: impl IntoIterator<Item = &'a str>) -> Option<Media> {
    let elements: Vec<&str> = values
        .into_iter()
        .flat_map(|value| split_outside_quotes(value, ','))
        .map(str::trim)
        .filter(|element| !element.is_empty())
        .collect();
    if elements.is_empty() {
        return Some(Media::Json);
    }
    let ranges: Vec<MediaRange> = elements.into_iter().filter_map(MediaRange::parse).collect();
    let weigh = |media: Media| {
        ranges
            .iter()
            .filter_map(|range| range.specificity(media).map(|s| (s, range.weight)))
            // The most specific match decides; of equally specific ones the heaviest.
            .max()
            .filter(|&(_, weight)| weight > 0)
    };
    match (weigh(Media::GraphqlResponseJson), weigh(Media::Json)) {
        (None, None) => None,
        (Some(_), None) => Some(Media::GraphqlResponseJson),
        (None, Some(_)) => Some(Media::Json),
        (Some((gs, gw)), Some((js, jw))) => Some(match gw.cmp(&jw).then(gs.cmp(&js)) {
            std::cmp::Ordering::Greater => Media::GraphqlResponseJson,
            std::cmp::Ordering::Less => Media::Json,
            std::cmp::Ordering::Equal if gs >= Specificity::Subtype => Media::GraphqlResponseJson,
            std::cmp::Ordering::Equal => Media::Json,
        }),
    }
}

/// How precisely a range names a media type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Specificity {
    Any,
    Type,
    Subtype,
    SubtypeWithParameters,
}

/// One element of an `Accept` header.
#[derive(Debug)]
struct MediaRange {
    /// `None` for `*`.
    type_: Option<String>,
    subtype: Option<String>,
    /// Whether it names parameters besides the weight (they make it more specific).
    parameters: bool,
    /// Whether its charset, if any, is UTF-8 (the only one we send).
    utf8: bool,
    /// The weight in thousandths (`q=0.5` is 500).
    weight: u16,
}

impl MediaRange {
    fn parse(element: &str) -> Option<Self> {
        let mut parts = split_outside_quotes(element, ';').into_iter();
        let (type_, subtype) = parts.next()?.trim().split_once('/')?;
        let (type_, subtype) = (type_.trim(), subtype.trim());
        if !is_token(type_) || !is_token(subtype) || (type_ == "*" && subtype != "*") {
            return None;
        }
        let wildcard = |s: &str| (s != "*").then(|| s.to_ascii_lowercase());
        let mut range = Self {
            type_: wildcard(type_),
            subtype: wildcard(subtype),
            parameters: false,
            utf8: true,
            weight: 1000,
        };
        for parameter in parts {
            let parameter = parameter.trim();
            if parameter.is_empty() {
                continue;
            }
            let (name, value) = parameter.split_once('=')?;
            let (name, value) = (name.trim(), unquote(value.trim())?);
            if !is_token(name) {
                return None;
            }
            if name.eq_ignore_ascii_case("q") {
                range.weight = parse_weight(&value)?;
            } else {
                range.parameters = true;
                if name.eq_ignore_ascii_case("charset") {
                    range.utf8 = value.eq_ignore_ascii_case("utf-8");
                }
            }
        }
        Some(range)
    }

    /// How specifically this range matches `media`, if it does.
    fn specificity(&self, media: Media) -> Option<Specificity> {
        if !self.utf8 {
            return None;
        }
        match (self.type_.as_deref(), self.subtype.as_deref()) {
            (None, _) => Some(Specificity::Any),
            (Some("application"), None) => Some(Specificity::Type),
            (Some("application"), Some(subtype)) if subtype == media.subtype() => {
                Some(if self.parameters {
                    Specificity::SubtypeWithParameters
                } else {
                    Specificity::Subtype
                })
            }
            _ => None,
        }
    }
}

/// `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )`, in thousandths.
fn parse_weight(value: &str) -> Option<u16> {
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths: u16 = format!("{fraction:0<3}").parse().ok()?;
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// RFC 9110 `token`.
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// A parameter value: a token, or a quoted string without its quotes and escapes.
fn unquote(value: &str) -> Option<String> {
    let Some(inner) = value.strip_prefix('"') else {
        return is_token(value).then(|| value.to_owned());
    };
    let inner = inner.strip_suffix('"')?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push(chars.next()?),
            '"' => return None,
            c => out.push(c),
        }
    }
    Some(out)
}

/// Splits on `separator` except inside quoted strings.
fn split_outside_quotes(s: &str, separator: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            c if c == separator && !quoted => {
                parts.push(&s[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
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

/// Why a request is not a GraphQL-over-HTTP request (a `400`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestError(String);

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn refuse<T>(message: impl Into<String>) -> Result<T, RequestError> {
    Err(RequestError(message.into()))
}

/// Whether a POST's `Content-Type` is JSON we read: `application/json`, in UTF-8 if it names
/// a charset at all.
pub fn is_json_request(content_type: &str) -> bool {
    MediaRange::parse(content_type).is_some_and(|range| {
        range.type_.as_deref() == Some("application")
            && range.subtype.as_deref() == Some("json")
            && range.utf8
            && range.weight == 1000
    })
}

/// A POST body (`application/json`) as a GraphQL request.
pub fn json_request(body: &[u8]) -> Result<async_graphql::Request, RequestError> {
    let value: Value = match serde_json::from_slice(body) {
        Ok(value) => value,
        Err(_) if body.iter().all(u8::is_ascii_whitespace) => {
            return refuse("the body is empty");
        }
        Err(error) => return refuse(format!("the body is not JSON: {error}")),
    };
    let mut fields = match value {
        Value::Object(fields) => fields,
        Value::Array(_) => return refuse("batched requests are not supported"),
        _ => return refuse("the body must be a JSON object"),
    };
    // Unknown properties are ignored, as the spec says.
    let mut field = |name: &str| fields.remove(name).filter(|v| !v.is_null());
    let query = match field("query") {
        Some(Value::String(query)) => query,
        Some(_) => return refuse("`query` must be a string"),
        None => return refuse("`query` is required"),
    };
    let operation_name = match field("operationName") {
        Some(Value::String(name)) => Some(name),
        Some(_) => return refuse("`operationName` must be a string"),
        None => None,
    };
    let variables = field("variables").map(|v| ("variables", v));
    let extensions = field("extensions").map(|v| ("extensions", v));
    request(query, operation_name, variables, extensions)
}

/// The query string of a GET (`query`, `operationName`, and `variables` and `extensions` as
/// JSON) as a GraphQL request. An empty optional parameter is an absent one; a repeated one
/// is refused.
pub fn query_string_request(query_string: &str) -> Result<async_graphql::Request, RequestError> {
    let mut params: BTreeMap<&str, String> = BTreeMap::new();
    for (name, value) in url::form_urlencoded::parse(query_string.as_bytes()) {
        let Some(name) = ["query", "operationName", "variables", "extensions"]
            .into_iter()
            .find(|known| *known == name)
        else {
            continue;
        };
        if params.insert(name, value.into_owned()).is_some() {
            return refuse(format!("`{name}` is given more than once"));
        }
    }
    let Some(query) = params.remove("query") else {
        return refuse("`query` is required");
    };
    let mut optional = |name: &'static str| params.remove(name).filter(|v| !v.is_empty());
    let operation_name = optional("operationName");
    let json = |name: &'static str, text: Option<String>| {
        let Some(text) = text else {
            return Ok(None);
        };
        match serde_json::from_str::<Value>(&text) {
            Ok(Value::Null) => Ok(None),
            Ok(value) => Ok(Some((name, value))),
            Err(error) => refuse(format!("`{name}` is not JSON: {error}")),
        }
    };
    let variables = json("variables", optional("variables"))?;
    let extensions = json("extensions", optional("extensions"))?;
    request(query, operation_name, variables, extensions)
}

/// A request from its parameters, checking `variables` and `extensions` are maps.
fn request(
    query: String,
    operation_name: Option<String>,
    variables: Option<(&str, Value)>,
    extensions: Option<(&str, Value)>,
) -> Result<async_graphql::Request, RequestError> {
    fn map<T: serde::de::DeserializeOwned + Default>(
        parameter: Option<(&str, Value)>,
    ) -> Result<T, RequestError> {
        match parameter {
            None => Ok(T::default()),
            Some((name, value @ Value::Object(_))) => serde_json::from_value(value)
                .or_else(|error| refuse(format!("`{name}` is invalid: {error}"))),
            Some((name, _)) => refuse(format!("`{name}` must be an object")),
        }
    }
    let mut request = async_graphql::Request::new(query);
    request.operation_name = operation_name;
    request.variables = map(variables)?;
    request.extensions = map(extensions)?;
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graphql::{Limits, build_schema};

    fn accept(values: &[&str]) -> Option<Media> {
        negotiate_accept(values.iter().copied())
    }

    const GRJ: Option<Media> = Some(Media::GraphqlResponseJson);
    const JSON: Option<Media> = Some(Media::Json);

    #[test]
    fn no_accept_header_or_an_empty_one_means_json() {
        assert_eq!(accept(&[]), JSON);
        assert_eq!(accept(&[""]), JSON);
        assert_eq!(accept(&[" , ,"]), JSON);
    }

    #[test]
    fn the_graphql_response_type_is_preferred_when_named() {
        assert_eq!(accept(&["application/graphql-response+json"]), GRJ);
        assert_eq!(accept(&["Application/GraphQL-Response+JSON"]), GRJ);
        // What the spec recommends clients send, and what graphql-http's client sends.
        assert_eq!(
            accept(&["application/graphql-response+json, application/json;q=0.9"]),
            GRJ
        );
        assert_eq!(
            accept(&["application/graphql-response+json, application/json, multipart/mixed"]),
            GRJ
        );
        // Order does not matter at equal weight; both named: the GraphQL type.
        assert_eq!(
            accept(&["application/json, application/graphql-response+json"]),
            GRJ
        );
        assert_eq!(
            accept(&["application/graphql-response+json", "application/json"]),
            GRJ
        );
        assert_eq!(accept(&["application/graphql-response+json, */*"]), GRJ);
    }

    #[test]
    fn json_and_wildcards_mean_json() {
        assert_eq!(accept(&["application/json"]), JSON);
        // What the vendored GraphiQL (3.9) sends.
        assert_eq!(accept(&["application/json, multipart/mixed"]), JSON);
        assert_eq!(accept(&["*/*"]), JSON);
        assert_eq!(accept(&["application/*"]), JSON);
        assert_eq!(accept(&["application/json, */*"]), JSON);
        assert_eq!(
            accept(&["text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"]),
            JSON
        );
    }

    #[test]
    fn weights_decide_before_specificity() {
        assert_eq!(
            accept(&["application/graphql-response+json;q=0.5, application/json"]),
            JSON
        );
        assert_eq!(
            accept(&["application/graphql-response+json;q=0.5, */*"]),
            JSON,
            "*/* weighs 1"
        );
        assert_eq!(
            accept(&["application/json;q=0.1, application/graphql-response+json;q=0.2"]),
            GRJ
        );
        assert_eq!(accept(&["application/json; q=0.9, */*; q=0.1"]), JSON);
        // At equal weight a named type beats one a wildcard admits.
        assert_eq!(
            accept(&["application/graphql-response+json;q=0.5, */*;q=0.5"]),
            GRJ
        );
        assert_eq!(accept(&["application/json;q=0.5, */*;q=0.5"]), JSON);
    }

    #[test]
    fn q_zero_refuses_and_the_most_specific_range_decides() {
        assert_eq!(accept(&["application/json;q=0, */*"]), GRJ);
        assert_eq!(
            accept(&["application/graphql-response+json;q=0, */*"]),
            JSON
        );
        assert_eq!(
            accept(&["application/graphql-response+json;q=0, application/json;q=0, */*"]),
            None
        );
        assert_eq!(accept(&["*/*;q=0"]), None);
        assert_eq!(accept(&["application/*;q=0, application/json"]), JSON);
        assert_eq!(accept(&["application/json;q=0.000"]), None);
        // A named type refused is not admitted again by a wildcard.
        assert_eq!(accept(&["application/json;q=0, application/*"]), GRJ);
    }

    #[test]
    fn charsets_other_than_utf8_match_nothing() {
        assert_eq!(accept(&["application/json; charset=utf-8"]), JSON);
        assert_eq!(accept(&["application/json; charset=UTF-8"]), JSON);
        assert_eq!(accept(&["application/json; charset=\"utf-8\""]), JSON);
        assert_eq!(
            accept(&["application/graphql-response+json; charset=utf-8"]),
            GRJ
        );
        assert_eq!(accept(&["application/json; charset=iso-8859-1"]), None);
        assert_eq!(
            accept(&["application/graphql-response+json; charset=latin1, application/json"]),
            JSON
        );
        // Parameters make a range more specific than the same type without them.
        assert_eq!(
            accept(&["application/json;charset=utf-8;q=0.2, application/json;q=0.9"]),
            Some(Media::Json)
        );
        assert_eq!(
            accept(&[
                "application/graphql-response+json;charset=utf-8;q=0,application/graphql-response+json"
            ]),
            None
        );
    }

    #[test]
    fn neither_accepted_is_406() {
        assert_eq!(accept(&["text/html"]), None);
        assert_eq!(accept(&["text/*, image/png"]), None);
        assert_eq!(accept(&["application/xml"]), None);
        assert_eq!(accept(&["multipart/mixed"]), None);
        // Present but all malformed: nothing acceptable.
        assert_eq!(accept(&["json"]), None);
        assert_eq!(accept(&["application/json;q=high"]), None);
        assert_eq!(accept(&["application/json;q=1.5"]), None);
        assert_eq!(accept(&["*/json"]), None);
    }

    #[test]
    fn malformed_ranges_are_ignored_beside_good_ones() {
        assert_eq!(accept(&["garbage, application/json"]), JSON);
        assert_eq!(
            accept(&["application/json;q=2, application/graphql-response+json"]),
            GRJ
        );
        assert_eq!(accept(&["application/, application/json"]), JSON);
        assert_eq!(accept(&["a/b;=x, application/json"]), JSON);
        assert_eq!(accept(&["application/json;charset=\"utf-8, */*"]), None);
        // A comma inside a quoted parameter does not split the header.
        assert_eq!(
            accept(&["text/html;x=\"a,application/json\", application/graphql-response+json"]),
            GRJ
        );
        assert_eq!(accept(&["\u{fffd}/\u{fffd}, application/json"]), JSON);
    }

    #[test]
    fn several_accept_headers_are_one_list() {
        let mut headers = HeaderMap::new();
        headers.append(ACCEPT, "text/html".parse().unwrap());
        headers.append(ACCEPT, "application/graphql-response+json".parse().unwrap());
        assert_eq!(negotiate(&headers), GRJ);
        assert_eq!(negotiate(&HeaderMap::new()), JSON);
        let mut headers = HeaderMap::new();
        headers.insert(
            ACCEPT,
            actix_web::http::header::HeaderValue::from_bytes(b"text/\xff").unwrap(),
        );
        assert_eq!(negotiate(&headers), None);
    }

    #[test]
    fn weights_parse_as_rfc_9110_says() {
        assert_eq!(parse_weight("0"), Some(0));
        assert_eq!(parse_weight("0."), Some(0));
        assert_eq!(parse_weight("0.5"), Some(500));
        assert_eq!(parse_weight("0.05"), Some(50));
        assert_eq!(parse_weight("0.123"), Some(123));
        assert_eq!(parse_weight("1"), Some(1000));
        assert_eq!(parse_weight("1.000"), Some(1000));
        for bad in ["0.1234", "1.5", "1.001", "2", ".5", "", "-0", "0.x", "1e0"] {
            assert_eq!(parse_weight(bad), None, "{bad}");
        }
    }

    #[test]
    fn content_types_name_their_charset() {
        assert_eq!(
            Media::GraphqlResponseJson.content_type(),
            "application/graphql-response+json; charset=utf-8"
        );
        assert_eq!(Media::Json.content_type(), "application/json");
    }

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

    #[test]
    fn json_content_types() {
        for ok in [
            "application/json",
            "Application/JSON",
            "application/json; charset=utf-8",
            "application/json;charset=UTF-8",
            "application/json; charset=\"utf-8\"",
            "application/json ; boundary=x",
        ] {
            assert!(is_json_request(ok), "{ok}");
        }
        for bad in [
            "",
            "text/plain",
            "application/graphql",
            "application/graphql-response+json",
            "application/json; charset=latin1",
            "application/json; charset=utf-16",
            "application/*",
            "*/*",
            "application/jsonx",
            "application/json; q=0.5",
        ] {
            assert!(!is_json_request(bad), "{bad}");
        }
    }

    fn post(body: &str) -> Result<async_graphql::Request, RequestError> {
        json_request(body.as_bytes())
    }

    #[test]
    fn post_bodies_that_are_graphql_requests() {
        let request = post(r#"{"query":"{ __typename }"}"#).unwrap();
        assert_eq!(request.query, "{ __typename }");
        assert_eq!(request.operation_name, None);
        assert!(request.variables.is_empty() && request.extensions.is_empty());

        let request = post(
            r#"{"query":"query Q($n: String!) { __type(name: $n) { name } }",
                "operationName":"Q","variables":{"n":"Query","list":[1,{"a":null}]},
                "extensions":{"some":"value"},"unknown":[1,2,3]}"#,
        )
        .unwrap();
        assert_eq!(request.operation_name.as_deref(), Some("Q"));
        assert_eq!(
            request.variables.into_value().into_json().unwrap(),
            serde_json::json!({ "n": "Query", "list": [1, { "a": null }] })
        );
        assert_eq!(request.extensions.len(), 1);

        // null is the same as absent for every optional parameter.
        let request = post(
            r#"{"query":"{ __typename }","operationName":null,"variables":null,"extensions":null}"#,
        )
        .unwrap();
        assert_eq!(request.operation_name, None);
        // query may be any string; parsing it is execution's business.
        assert_eq!(post(r#"{"query":""}"#).unwrap().query, "");
        assert_eq!(
            post("{\"query\":\"{ __type(name: \\\"Run🏃\\\") { name } }\"}")
                .unwrap()
                .query,
            "{ __type(name: \"Run🏃\") { name } }"
        );
    }

    #[test]
    fn post_bodies_that_are_not_graphql_requests() {
        let cases = [
            ("", "the body is empty"),
            ("  \n", "the body is empty"),
            ("{ \"not a JSON", "the body is not JSON"),
            (
                "[{\"query\":\"{ __typename }\"}]",
                "batched requests are not supported",
            ),
            ("\"{ __typename }\"", "the body must be a JSON object"),
            ("null", "the body must be a JSON object"),
            ("{}", "`query` is required"),
            ("{\"qeury\":\"{ __typename }\"}", "`query` is required"),
            ("{\"query\":null}", "`query` is required"),
            ("{\"query\":{\"obj\":\"ect\"}}", "`query` must be a string"),
            ("{\"query\":0}", "`query` must be a string"),
            ("{\"query\":false}", "`query` must be a string"),
            ("{\"query\":[\"array\"]}", "`query` must be a string"),
        ];
        let bad_parameters = [
            "{\"obj\":\"ect\"}",
            "0",
            "false",
            "[\"array\"]",
            "\"string\"",
        ];
        let mut owned: Vec<(String, String)> = Vec::new();
        for value in bad_parameters {
            for (name, message) in [
                ("operationName", "`operationName` must be a string"),
                ("variables", "`variables` must be an object"),
                ("extensions", "`extensions` must be an object"),
            ] {
                // A string names an operation, an object is a map: both well-formed.
                let well_formed = if name == "operationName" { '"' } else { '{' };
                if value.starts_with(well_formed) {
                    continue;
                }
                owned.push((
                    format!("{{\"query\":\"{{ __typename }}\",\"{name}\":{value}}}"),
                    message.to_owned(),
                ));
            }
        }
        let all = cases
            .iter()
            .map(|(b, m)| ((*b).to_owned(), (*m).to_owned()))
            .chain(owned);
        for (body, message) in all {
            let Err(error) = post(&body) else {
                panic!("{body} was accepted");
            };
            assert!(error.to_string().starts_with(&message), "{body}: {error}");
        }
    }

    #[test]
    fn query_strings_that_are_graphql_requests() {
        let request = query_string_request("query=%7B+__typename+%7D").unwrap();
        assert_eq!(request.query, "{ __typename }");

        let request = query_string_request(
            "query=query%20A%20%7B%20__typename%20%7D&operationName=A\
             &variables=%7B%22name%22%3A%22x%22%7D&extensions=%7B%22a%22%3A1%7D&other=1",
        )
        .unwrap();
        assert_eq!(request.operation_name.as_deref(), Some("A"));
        assert_eq!(
            request.variables.into_value().into_json().unwrap(),
            serde_json::json!({ "name": "x" })
        );
        assert_eq!(request.extensions.len(), 1);

        // Empty optional parameters, or JSON null, are absent ones.
        let request = query_string_request(
            "query=%7B__typename%7D&operationName=&variables=&extensions=null",
        )
        .unwrap();
        assert_eq!(request.operation_name, None);
        assert!(request.variables.is_empty() && request.extensions.is_empty());
        // `operationName=null` names an operation called null.
        let request = query_string_request("query=x&operationName=null").unwrap();
        assert_eq!(request.operation_name.as_deref(), Some("null"));
    }

    #[test]
    fn query_strings_that_are_not_graphql_requests() {
        for (query_string, message) in [
            ("", "`query` is required"),
            ("operationName=A", "`query` is required"),
            ("query=a&query=b", "`query` is given more than once"),
            ("query=a&variables=%7B&", "`variables` is not JSON"),
            ("query=a&variables=0", "`variables` must be an object"),
            ("query=a&variables=%5B%5D", "`variables` must be an object"),
            ("query=a&variables=%22s%22", "`variables` must be an object"),
            ("query=a&extensions=true", "`extensions` must be an object"),
            ("query=a&extensions=x", "`extensions` is not JSON"),
            (
                "query=a&operationName=A&operationName=B",
                "`operationName` is given more than once",
            ),
        ] {
            let Err(error) = query_string_request(query_string) else {
                panic!("{query_string} was accepted");
            };
            assert!(
                error.to_string().starts_with(message),
                "{query_string}: {error}"
            );
        }
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
