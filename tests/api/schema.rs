//! The schema: `schema.graphql` matches the code, every type and field is described, and the
//! query limits admit GraphiQL's introspection while refusing abuse.

use layer2::graphql::{Limits, build_schema, sdl};
use serde_json::json;

use crate::harness::{both_backends, error_codes};

/// GraphiQL 3.9's introspection query (graphql-js, input value deprecation on, nine levels of
/// `ofType`), as the bundled page sends it.
const GRAPHIQL_INTROSPECTION: &str = include_str!("introspection_query.graphql");

#[test]
fn schema_graphql_matches_the_code() {
    let generated = sdl(&build_schema(Limits::default()));
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
    if std::env::var("UPDATE_SCHEMA").is_ok_and(|v| v == "1") {
        std::fs::write(path, &generated).expect("write schema.graphql");
    }
    let checked_in = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        checked_in == generated,
        "schema.graphql is out of date: run `UPDATE_SCHEMA=1 cargo test schema_graphql` \
         (or `cargo run -- schema > schema.graphql`) and commit it"
    );
}

#[tokio::test]
async fn every_type_field_argument_and_enum_value_has_a_description() {
    let schema = build_schema(Limits::default());
    let response = schema.execute(GRAPHIQL_INTROSPECTION).await;
    assert!(response.errors.is_empty(), "{:?}", response.errors);
    let data = response.data.into_json().expect("JSON");
    let mut missing = Vec::new();
    let described = |v: &serde_json::Value| {
        v["description"]
            .as_str()
            .is_some_and(|d| !d.trim().is_empty())
    };
    for ty in data["__schema"]["types"].as_array().expect("types") {
        let name = ty["name"].as_str().unwrap_or_default();
        let builtin =
            name.starts_with("__") || ["String", "Boolean", "Int", "Float", "ID"].contains(&name);
        if builtin {
            continue;
        }
        if !described(ty) {
            missing.push(name.to_owned());
        }
        for field in ty["fields"].as_array().into_iter().flatten() {
            if !described(field) {
                missing.push(format!("{name}.{}", field["name"]));
            }
            for arg in field["args"].as_array().into_iter().flatten() {
                if !described(arg) {
                    missing.push(format!("{name}.{}({})", field["name"], arg["name"]));
                }
            }
        }
        for list in ["inputFields", "enumValues"] {
            for item in ty[list].as_array().into_iter().flatten() {
                if !described(item) {
                    missing.push(format!("{name}.{}", item["name"]));
                }
            }
        }
    }
    assert!(missing.is_empty(), "undescribed: {missing:?}");
}

both_backends! {
    async fn graphiql_introspection_fits_the_limits_but_deeper_queries_do_not(app) {
        let body = app.gql(GRAPHIQL_INTROSPECTION, json!({})).await;
        assert!(body.get("errors").is_none(), "{body}");
        assert_eq!(body["data"]["__schema"]["queryType"]["name"], "Query");

        let mut deep = String::from("{ __schema { types { fields { type { kind");
        let mut closing = String::from(" } } } } }");
        for _ in 0..12 {
            deep.push_str(" ofType { kind");
            closing.push_str(" }");
        }
        let body = app.gql(&(deep + &closing), json!({})).await;
        assert!(body["data"].is_null(), "{body}");
        let message = body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains("depth"), "{body}");
        assert_eq!(body["errors"][0]["extensions"]["cost"]["limits"]["depth"], 16);
        assert_eq!(error_codes(&body), ["GRAPHQL_VALIDATION_FAILED"]);
    }

    async fn queries_over_the_alias_limit_are_refused_before_running(app) {
        // 2 600 aliased `viewer { id }`: past the default of 200 aliases.
        let fields: String = (0..2_600).map(|i| format!("v{i}: viewer {{ id }} ")).collect();
        let body = app.gql(&format!("{{ {fields} }}"), json!({})).await;
        assert!(body["data"].is_null(), "nothing ran");
        let message = body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains("2600 aliases > 200"), "{message}");
        assert_eq!(error_codes(&body), ["GRAPHQL_VALIDATION_FAILED"]);
        assert_eq!(body["errors"][0]["extensions"]["cost"]["aliases"], 2600);
    }
}
