//! The platform's review in detail: document verdicts and what approval makes of them,
//! change requests that must name what exists, edits refused outside the editable statuses,
//! and the status settling when a submission finds a requirement broken.

use serde_json::{Value, json};

use super::lifecycle::{field_names, submitted};
use super::*;
use crate::harness::{TestApp, both_backends, error_codes};

const VERDICT: &str = "mutation($app: ID!, $doc: ID!, $verdict: DocumentVerdict!, $note: String) {
    reviewApplicationDocument(applicationId: $app, documentId: $doc, verdict: $verdict, note: $note) {
        application { status documents { document status description } } } }";

fn status_of<'a>(application: &'a Value, document: &str) -> &'a Value {
    &application["documents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["document"] == document)
        .unwrap()["status"]
}

/// A SUBMITTED individual application taken into review by `operator`.
async fn in_review(app: &TestApp, operator: &str, customer_id: &str) -> Value {
    let application = submitted(app, customer_id, &format!("{customer_id}-acc")).await;
    let body = act(
        app,
        operator,
        "startApplicationProcessing",
        application["id"].as_str().unwrap(),
        "",
    )
    .await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["startApplicationProcessing"]["application"].clone()
}

both_backends! {
    async fn a_rejected_identity_document_blocks_approval_and_approval_approves_the_rest(app) {
        let operator = app.operator_key().await;
        let application = in_review(&app, operator.expose(), "verdict-1").await;
        let id = application["id"].as_str().unwrap().to_owned();
        let passport = document_id(&application, "PASSPORT", None);
        let (_, body) = app.gql_as(operator.expose(), VERDICT,
            json!({ "app": id, "doc": passport, "verdict": "REJECTED" })).await;
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "a rejection says why: {body}");
        let (_, body) = app.gql_as(operator.expose(), VERDICT,
            json!({ "app": id, "doc": passport, "verdict": "REJECTED", "note": "expired" })).await;
        let reviewed = &body["data"]["reviewApplicationDocument"]["application"];
        assert_eq!(status_of(reviewed, "PASSPORT"), "REJECTED", "{body}");

        let body = act(&app, operator.expose(), "approveApplication", &id, ", reason: \"ok\"").await;
        assert_eq!(error_codes(&body), ["APPLICATION_REQUIREMENTS_NOT_MET"], "{body}");
        let body = app.gql(&read_query(), json!({ "id": id })).await;
        assert_eq!(body["data"]["application"]["status"], "PROCESSING");
        assert!(body["data"]["application"]["customer"].is_null());

        // Approved after the verdict changes; the verdict-less documents are approved with it.
        let (_, body) = app.gql_as(operator.expose(), VERDICT,
            json!({ "app": id, "doc": passport, "verdict": "APPROVED" })).await;
        assert!(body["errors"].is_null(), "{body}");
        let body = act(&app, operator.expose(), "approveApplication", &id, ", reason: \"ok\"").await;
        assert!(body["errors"].is_null(), "{body}");
        assert_eq!(status_of(&body["data"]["approveApplication"]["application"], "PASSPORT"), "APPROVED");
    }

    async fn changed_details_send_approved_documents_back_for_review(app) {
        let key = app.key().to_owned();
        let operator = app.operator_key().await;
        let application = in_review(&app, operator.expose(), "again-1").await;
        let id = application["id"].as_str().unwrap().to_owned();
        let passport = document_id(&application, "PASSPORT", None);
        let (_, body) = app.gql_as(operator.expose(), VERDICT,
            json!({ "app": id, "doc": passport, "verdict": "APPROVED" })).await;
        assert!(body["errors"].is_null(), "{body}");
        let request = "mutation($id: ID!) { requestApplicationChanges(id: $id, reason: \"name\",
            fields: [{ fieldName: \"lastName\", description: \"as in the passport\" }]) { application { status } } }";
        let (_, body) = app.gql_as(operator.expose(), request, json!({ "id": id })).await;
        assert!(body["errors"].is_null(), "{body}");
        let body = app.gql(&read_query(), json!({ "id": id })).await;
        assert_eq!(status_of(&body["data"]["application"], "PASSPORT"), "APPROVED", "no edit yet");

        let edited = ok_application(&app, &key, &update_mutation(), json!({ "id": id, "input": {
            "customerDetails": { "individual": { "lastName": "Hartley-Shaw" } } } }), "updateApplication").await;
        assert_eq!(edited["status"], "READY_FOR_SUBMISSION", "{edited}");
        assert_eq!(status_of(&edited, "PASSPORT"), "SUBMITTED", "the passport awaits the reviewer again");
    }

    async fn documents_are_reviewed_only_during_processing(app) {
        let operator = app.operator_key().await;
        let application = submitted(&app, "verdict-2", "verdict-2-acc").await;
        let passport = document_id(&application, "PASSPORT", None);
        let (_, body) = app.gql_as(operator.expose(), VERDICT,
            json!({ "app": application["id"], "doc": passport, "verdict": "APPROVED" })).await;
        assert_eq!(error_codes(&body), ["APPLICATION_NOT_UNDER_REVIEW"], "{body}");
        let body = app.gql(&read_query(), json!({ "id": application["id"] })).await;
        assert_eq!(status_of(&body["data"]["application"], "PASSPORT"), "SUBMITTED");
    }

    async fn change_requests_name_existing_people_fields_and_uploaded_files(app) {
        let operator = app.operator_key().await;
        let application = in_review(&app, operator.expose(), "ask-1").await;
        let id = application["id"].as_str().unwrap().to_owned();
        let missing = document_id(&application, "GOVERNMENT_ID_FRONT", None);
        let stranger = layer2::graphql::node::encode(
            layer2::graphql::node::NodeKind::ApplicationIndividual, uuid::Uuid::now_v7()).0;
        let request = "mutation($id: ID!, $doc: ID!, $who: ID!) { requestApplicationChanges(id: $id,
            fields: [{ fieldName: \"shoeSize\", description: \"?\" },
                     { individualId: $who, fieldName: \"firstName\", description: \"?\" }],
            documents: [{ documentId: $doc, description: \"clearer\" }], reason: \"check\") {
            application { status } } }";
        let (_, body) = app.gql_as(operator.expose(), request,
            json!({ "id": id, "doc": missing, "who": stranger })).await;
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{body}");
        let fields: Vec<&str> = body["errors"][0]["extensions"]["fieldErrors"].as_array().unwrap()
            .iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["fields.0.fieldName", "fields.1.individualId", "documents.0.documentId"]);
        let body = app.gql(&read_query(), json!({ "id": id })).await;
        assert_eq!(body["data"]["application"]["status"], "PROCESSING");
    }

    async fn people_are_corporate_and_change_only_while_the_application_is_editable(app) {
        let key = app.key().to_owned();
        let individual = create(&app, &key, individual_input("ppl-1", "ppl-1-acc")).await;
        let add = "mutation($id: ID!, $input: CustomerIndividualPatch!) {
            addApplicationIndividual(applicationId: $id, input: $input) { application { version
                individuals { id } documents { id document individualId } } } }";
        let officer = json!({ "individualType": ["OFFICER"], "firstName": "Ada", "lastName": "King" });
        let (_, body) = app.gql_as(&key, add, json!({ "id": individual["id"], "input": officer })).await;
        assert_eq!(error_codes(&body), ["NOT_A_CORPORATE_APPLICATION"], "{body}");

        // A person's files go with them.
        let corporate = create(&app, &key, json!({ "applicationType": "CORPORATION", "customerId": "ppl-2" })).await;
        let id = corporate["id"].as_str().unwrap().to_owned();
        let (_, body) = app.gql_as(&key, add, json!({ "id": id, "input": officer })).await;
        let with_officer = &body["data"]["addApplicationIndividual"]["application"];
        let person = with_officer["individuals"][0]["id"].as_str().unwrap().to_owned();
        let passport = document_id(with_officer, "PASSPORT", Some(&person));
        let (_, body) = upload(&app, &key, &id, &passport, "ada.pdf", pdf()).await;
        assert!(body["errors"].is_null(), "{body}");
        let remove = "mutation($id: ID!, $p: ID!) { removeApplicationIndividual(applicationId: $id,
            individualId: $p) { application { individuals { id } documents { individualId file { sha256 } } } } }";
        let (_, body) = app.gql_as(&key, remove, json!({ "id": id, "p": person })).await;
        let after = &body["data"]["removeApplicationIndividual"]["application"];
        assert_eq!(after["individuals"], json!([]), "{body}");
        assert!(after["documents"].as_array().unwrap().iter().all(|d| d["individualId"].is_null()
            && d["file"].is_null()), "{body}");
        let (_, body) = app.gql_as(&key, "query($id: ID!) { node(id: $id) { id } }", json!({ "id": passport })).await;
        assert!(body["data"]["node"].is_null(), "the file is gone: {body}");

        // Once submitted, people cannot be added, changed or removed.
        let sub = submitted(&app, "ppl-3", "ppl-3-acc").await;
        let (_, body) = app.gql_as(&key, add, json!({ "id": sub["id"], "input": officer })).await;
        assert_eq!(error_codes(&body), ["APPLICATION_NOT_EDITABLE"], "{body}");
    }

    async fn a_submission_that_finds_a_requirement_broken_settles_the_status(app) {
        let key = app.key().to_owned();
        let created = create(&app, &key, individual_input("late-1", "late-acc")).await;
        let ready = upload_passport(&app, &key, &created).await;
        assert_eq!(ready["status"], "READY_FOR_SUBMISSION");
        // The accountId becomes an account of the client after the application was ready.
        {
            let principal = layer2::auth::authenticate(&app.database, &layer2::clock::SystemClock, Some(&format!("Bearer {key}"))).await.unwrap();
            let account = layer2::store::accounts::Account {
                is_default: false,
                ..layer2::ops::accounts::default_account(&app.sandbox.customers[0], "late-acc",
                    layer2::domain::account::ProductId::DepositBasic, "FIAT_TESTNET_USD")
            };
            let mut pooled = app.database.conn().await.unwrap();
            layer2::store::accounts::insert(&mut pooled.conn(), &principal.scope(), &account).await.unwrap();
        }
        let body = act(&app, &key, "submitApplication", ready["id"].as_str().unwrap(), "").await;
        assert_eq!(error_codes(&body), ["APPLICATION_REQUIREMENTS_NOT_MET"], "{body}");
        let body = app.gql(&read_query(), json!({ "id": ready["id"] })).await;
        let now = &body["data"]["application"];
        assert_eq!(now["status"], "INCOMPLETE", "{body}");
        assert_eq!(field_names(now), ["accountToOpen.accountId"]);
    }

    async fn an_account_id_held_by_an_application_is_free_again_once_it_is_rejected(app) {
        let key = app.key().to_owned();
        let operator = app.operator_key().await;
        let held = in_review(&app, operator.expose(), "free-1").await;
        let other = create(&app, &key, individual_input("free-2", "free-2-acc")).await;
        let (_, body) = app.gql_as(&key, &update_mutation(),
            json!({ "id": other["id"], "input": { "accountToOpen": account("free-1-acc") } })).await;
        assert_eq!(error_codes(&body), ["ALREADY_EXISTS"], "{body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], "accountToOpen.accountId");
        let body = act(&app, operator.expose(), "rejectApplication", held["id"].as_str().unwrap(), ", reason: \"no\"").await;
        assert!(body["errors"].is_null(), "{body}");
        let moved = ok_application(&app, &key, &update_mutation(),
            json!({ "id": other["id"], "input": { "accountToOpen": account("free-1-acc") } }), "updateApplication").await;
        assert_eq!(moved["accountToOpen"]["accountId"], "free-1-acc");
    }
}
