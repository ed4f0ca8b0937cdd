//! `viewer` and `node(id)`: a client sees itself and its own objects, never another client's;
//! the operator sees across clients.

use serde_json::json;

use crate::harness::{both_backends, error_codes};
use layer2::graphql::node::{NodeKind, encode};

const NODE: &str = "query($id: ID!) { node(id: $id) { id __typename
    ... on Customer { customerId customerType status }
    ... on Client { name } } }";

both_backends! {
    async fn viewer_is_the_calling_client(app) {
        let body = app.gql("{ viewer { id name environment regulated createdAt } }", json!({})).await;
        let viewer = &body["data"]["viewer"];
        assert_eq!(viewer["id"], json!(encode(NodeKind::Client, app.sandbox.client.id.0).0));
        assert_eq!(viewer["name"], "Sandbox client");
        assert_eq!(viewer["environment"], "SANDBOX");
        assert_eq!(viewer["regulated"], false);

        let operator = app.operator_key().await;
        let (status, body) = app.gql_as(operator.expose(), "{ viewer { id } }", json!({})).await;
        assert_eq!(status, 200);
        assert_eq!(body["data"]["viewer"], json!(null), "{body}");
    }

    async fn client_never_sees_another_clients_objects_through_node(app) {
        let other = app.another_client().await;
        let own_customer = &app.sandbox.customers[0];
        let own_customer_id = encode(NodeKind::Customer, own_customer.id.0).0;
        let own_client_id = encode(NodeKind::Client, app.sandbox.client.id.0).0;

        // Its own objects: visible.
        let body = app.gql(NODE, json!({ "id": own_customer_id })).await;
        assert_eq!(body["data"]["node"]["customerId"], json!(own_customer.external_id), "{body}");
        assert_eq!(body["data"]["node"]["status"], "ACTIVE");
        let body = app.gql(NODE, json!({ "id": own_client_id })).await;
        assert_eq!(body["data"]["node"]["name"], "Sandbox client");

        // The other client's: null, exactly as for an id that does not exist.
        for id in [&own_customer_id, &own_client_id] {
            let (status, body) = app.gql_as(other.key.expose(), NODE, json!({ "id": id })).await;
            assert_eq!(status, 200);
            assert_eq!(body["data"]["node"], json!(null), "{body}");
            assert!(body.get("errors").is_none(), "no error that would reveal existence: {body}");
        }
        let missing = encode(NodeKind::Customer, uuid::Uuid::now_v7()).0;
        let body = app.gql(NODE, json!({ "id": missing })).await;
        assert_eq!(body["data"]["node"], json!(null));

        // The operator sees both clients' objects.
        let operator = app.operator_key().await;
        let others_customer = encode(NodeKind::Customer, other.customers[1].id.0).0;
        for id in [&own_customer_id, &others_customer] {
            let (_, body) = app.gql_as(operator.expose(), NODE, json!({ "id": id })).await;
            assert_eq!(body["data"]["node"]["__typename"], "Customer", "{body}");
        }
    }

    async fn malformed_global_id_is_bad_user_input(app) {
        for id in ["", "not-an-id", "Q3VzdG9tZXI6eHl6"] {
            let body = app.gql(NODE, json!({ "id": id })).await;
            assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{id}: {body}");
            assert_eq!(body["errors"][0]["extensions"]["field"], "id");
        }
    }
}
