//! The bounds that keep applications cheap and their writes whole: people per application,
//! reason lengths, accountIds held by open applications, one download per request, the
//! operations part of a multipart request, and batched reads of application lists.

use serde_json::{Value, json};

use super::*;
use crate::harness::{both_backends, error_codes};

const ADD: &str = "mutation($id: ID!, $input: CustomerIndividualPatch!) {
    addApplicationIndividual(applicationId: $id, input: $input) { application { version } } }";

both_backends! {
    async fn an_application_holds_at_most_fifty_people(app) {
        let key = app.key().to_owned();
        let created = create(&app, &key, json!({ "applicationType": "CORPORATION", "customerId": "big-1" })).await;
        let id = created["id"].as_str().unwrap();
        for n in 0..50 {
            let input = json!({ "individualType": ["CONTROL_PERSON"], "firstName": format!("P{n}"), "lastName": "X" });
            let (_, body) = app.gql_as(&key, ADD, json!({ "id": id, "input": input })).await;
            assert!(body["errors"].is_null(), "person {n}: {body}");
        }
        let (_, body) = app.gql_as(&key, ADD, json!({ "id": id, "input": { "firstName": "One", "lastName": "Toomany" } })).await;
        assert_eq!(error_codes(&body), ["TOO_MANY_INDIVIDUALS"], "{body}");
        let body = app.gql(&read_query(), json!({ "id": id })).await;
        assert_eq!(body["data"]["application"]["individuals"].as_array().unwrap().len(), 50);
        assert_eq!(body["data"]["application"]["version"], 51);
    }

    async fn reasons_are_bounded_so_that_the_histories_keep_them_whole(app) {
        let key = app.key().to_owned();
        let simulate = "mutation($id: ID!, $reason: String!) { simulateApplicationDecision(id: $id,
            decision: APPROVE, reason: $reason) { application { status decisionReason } } }";
        let first = create(&app, &key, individual_input("reason-1", "reason-acc-1")).await;
        let ready = upload_passport(&app, &key, &first).await;
        let id = ready["id"].as_str().unwrap();
        act(&app, &key, "submitApplication", id, "").await;
        let (_, body) = app.gql_as(&key, simulate, json!({ "id": id, "reason": "x".repeat(401) })).await;
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], "reason");
        let body = app.gql(&read_query(), json!({ "id": id })).await;
        assert_eq!(body["data"]["application"]["status"], "SUBMITTED", "a refused decision moves nothing");
        // The longest reason, with the server's prefixes, still fits every history.
        let (_, body) = app.gql_as(&key, simulate, json!({ "id": id, "reason": "y".repeat(400) })).await;
        assert!(body["errors"].is_null(), "{body}");
        let decided = &body["data"]["simulateApplicationDecision"]["application"];
        assert_eq!(decided["status"], "APPROVED");
        assert!(decided["decisionReason"].as_str().unwrap().ends_with(&"y".repeat(400)));
    }

    async fn an_account_id_is_held_by_one_undecided_application(app) {
        let key = app.key().to_owned();
        create(&app, &key, individual_input("acc-a", "shared-acc")).await;
        let (_, body) = app.gql_as(&key, &create_mutation(),
            json!({ "input": individual_input("acc-b", "shared-acc") })).await;
        assert_eq!(error_codes(&body), ["ALREADY_EXISTS"], "{body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], "accountToOpen.accountId");
        // Another client has its own accountIds.
        let other = app.another_client().await;
        create(&app, other.key.expose(), individual_input("acc-b", "shared-acc")).await;
    }

    async fn a_request_downloads_one_document_at_a_time(app) {
        let key = app.key().to_owned();
        let operator = app.operator_key().await;
        let created = create(&app, &key, individual_input("dl-1", "dl-acc")).await;
        let id = created["id"].as_str().unwrap();
        for document in ["GOVERNMENT_ID_FRONT", "GOVERNMENT_ID_BACK"] {
            let doc = document_id(&created, document, None);
            let (_, body) = upload(&app, &key, id, &doc, "side.png", png()).await;
            assert!(body["errors"].is_null(), "{body}");
        }
        let query = "query($id: ID!) { application(id: $id) { documents { document contentBase64 } } }";
        let (_, body) = app.gql_as(operator.expose(), query, json!({ "id": id })).await;
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "the second download is refused: {body}");
        let contents: Vec<&Value> = body["data"]["application"]["documents"].as_array().unwrap().iter()
            .map(|d| &d["contentBase64"]).filter(|c| c.is_string()).collect();
        assert_eq!(contents.len(), 1, "{body}");
    }

    async fn the_operations_part_of_an_upload_gets_the_json_body_limit(app) {
        let key = app.key().to_owned();
        let created = create(&app, &key, individual_input("ops-1", "ops-acc")).await;
        let id = created["id"].as_str().unwrap();
        let doc = document_id(&created, "PASSPORT", None);
        let padding = format!("# {}\n", "p".repeat(1_100_000));
        let query = format!("{padding}{}", upload_mutation());
        let (status, body) = app.upload_as(&key, &query, json!({ "app": id, "doc": doc }), "p.pdf", pdf()).await;
        assert_eq!(status, 413, "{body}");
        assert_eq!(error_codes(&body), ["PAYLOAD_TOO_LARGE"]);
        let body = app.gql(&read_query(), json!({ "id": id })).await;
        assert_eq!(body["data"]["application"]["version"], 1);
    }

    async fn a_page_of_applications_costs_the_same_statements_whatever_its_size(app) {
        let key = app.key().to_owned();
        let operator = app.operator_key().await;
        for n in 0..12 {
            let created = create(&app, &key, individual_input(&format!("page-{n}"), &format!("page-acc-{n}"))).await;
            let ready = upload_passport(&app, &key, &created).await;
            if n % 2 == 0 {
                act(&app, &key, "submitApplication", ready["id"].as_str().unwrap(), "").await;
                let simulate = "mutation($id: ID!) { simulateApplicationDecision(id: $id, decision: APPROVE,
                    reason: \"ok\") { application { status } } }";
                let (_, body) = app.gql_as(&key, simulate, json!({ "id": ready["id"] })).await;
                assert!(body["errors"].is_null(), "{body}");
            }
        }
        let page = |n: i64| format!("{{ applications(first: {n}) {{ nodes {{ status
            requirements {{ met documents {{ id }} }} documents {{ status file {{ sha256 }} }}
            statusHistory {{ toStatus }} customer {{ customerId application {{ id }} }} }} }} }}");
        let (_, body) = app.gql_as(operator.expose(), &page(1), json!({})).await; // the key is verified
        assert!(body["errors"].is_null(), "{body}");
        let mut counts = Vec::new();
        for n in [4, 12] {
            let (_, body) = app.gql_as(operator.expose(), &page(n), json!({})).await;
            assert!(body["errors"].is_null(), "{body}");
            assert_eq!(body["data"]["applications"]["nodes"].as_array().unwrap().len() as i64, n);
            counts.push(body["extensions"]["statements"].as_u64().expect("statements reported"));
        }
        eprintln!("statements for a page of 4 and of 12 applications: {counts:?}");
        assert!(counts[0] > 0, "the counter counts: {counts:?}");
        assert_eq!(counts[0], counts[1], "{counts:?}");
    }
}
