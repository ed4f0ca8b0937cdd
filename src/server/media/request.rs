//! The shape of a GraphQL-over-HTTP request: a JSON POST body or a GET's query string, with
//! `query`, `operationName`, `variables` and `extensions` checked before anything executes.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

use super::accept::MediaRange;

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
}
