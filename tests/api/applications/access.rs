//! Who may do what with applications: roles, tenants, masking, documents.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::*;
use crate::harness::{TestApp, both_backends, error_codes};
use layer2::domain::ids::ClientId;
use layer2::graphql::node::{NodeKind, encode};

/// POSTs a GraphQL request as `key`, asserting HTTP 200.
async fn post(app: &TestApp, key: &str, query: &str, variables: Value) -> Value {
    let (status, body) = app.gql_as(key, query, variables).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// Asserts a refusal with exactly one error of `code`, and no data for the root field.
#[track_caller]
fn assert_refused(body: &Value, code: &str) {
    assert_eq!(error_codes(body), [code], "{body}");
    assert!(
        body["data"].is_null(),
        "a refused request returns no data: {body}"
    );
}

/// The application as `key` reads it (every field of `APPLICATION_FIELDS`).
async fn read(app: &TestApp, key: &str, id: &str) -> Value {
    let body = post(app, key, &read_query(), json!({ "id": id })).await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["application"].clone()
}

fn id_of(application: &Value) -> String {
    application["id"].as_str().expect("id").to_owned()
}

fn client_gid(client: ClientId) -> String {
    encode(NodeKind::Client, client.0).0
}

fn address() -> Value {
    json!({ "addressLine1": "500 Harbor Blvd", "city": "Oakland", "state": "CA",
            "postalCode": "94607", "countryCode": "US" })
}

/// A corporate application whose company details are complete (people are added later).
fn corporate_input(customer_id: &str, account_id: &str) -> Value {
    json!({
        "applicationType": "CORPORATION",
        "customerId": customer_id,
        "customerDetails": { "corporation": {
            "registeredName": "Harbour Freight LLC", "registeredNumber": "C-1029384",
            "corporateEntityType": "LLC", "countryOfIncorporation": "US",
            "establishedOn": "2012-03-14", "registeredAddress": address() } },
        "accountToOpen": account(account_id),
        "termsAndConditionsAccepted": true
    })
}

/// A complete officer and beneficial owner of a corporation.
fn person(tax_reference_number: &str, passport_number: &str) -> Value {
    json!({
        "individualType": ["OFFICER", "BENEFICIAL_OWNER"], "firstName": "Noor", "lastName": "Haddad",
        "dateOfBirth": "1975-09-30", "nationality": "US", "percentageOwnership": 40.0,
        "mailingAddress": address(),
        "taxReferenceNumber": tax_reference_number, "passportNumber": passport_number
    })
}

fn add_person_mutation() -> String {
    format!(
        "mutation($app: ID!, $input: CustomerIndividualPatch!) {{
            addApplicationIndividual(applicationId: $app, input: $input) {{ application {{ {APPLICATION_FIELDS} }} }} }}"
    )
}

fn update_person_mutation() -> String {
    format!(
        "mutation($app: ID!, $person: ID!, $input: CustomerIndividualPatch!) {{
            updateApplicationIndividual(applicationId: $app, individualId: $person, input: $input) {{
                application {{ {APPLICATION_FIELDS} }} }} }}"
    )
}

fn remove_person_mutation() -> String {
    format!(
        "mutation($app: ID!, $person: ID!) {{
            removeApplicationIndividual(applicationId: $app, individualId: $person) {{
                application {{ {APPLICATION_FIELDS} }} }} }}"
    )
}

fn simulate_mutation() -> String {
    format!(
        "mutation($id: ID!, $decision: SimulatedDecision!) {{
            simulateApplicationDecision(id: $id, decision: $decision, reason: \"sandbox check\") {{
                application {{ {APPLICATION_FIELDS} }} customer {{ customerId status }} }} }}"
    )
}

const REVIEW_DOCUMENT: &str = "mutation($app: ID!, $doc: ID!) {
    reviewApplicationDocument(applicationId: $app, documentId: $doc, verdict: APPROVED) {
        application { id status } } }";

const COUNT_APPLICATIONS: &str = "{ applications { totalCount } }";
const COUNT_CUSTOMERS: &str = "{ customers { totalCount } }";

async fn total(app: &TestApp, key: &str, query: &str) -> i64 {
    let body = post(app, key, query, json!({})).await;
    assert!(body["errors"].is_null(), "{body}");
    let (_, connection) = body["data"]
        .as_object()
        .and_then(|data| data.iter().next())
        .expect("one root field");
    connection["totalCount"].as_i64().expect("totalCount")
}

/// Creates a corporate application as `key` with one person attached; returns the
/// application after the person was added.
async fn corporate_with_person(
    app: &TestApp,
    key: &str,
    customer_id: &str,
    account_id: &str,
) -> Value {
    let created = create(app, key, corporate_input(customer_id, account_id)).await;
    ok_application(
        app,
        key,
        &add_person_mutation(),
        json!({ "app": id_of(&created), "input": person("987-65-4321", "C98765432") }),
        "addApplicationIndividual",
    )
    .await
}

/// A complete individual application with its passport, as `key`: READY_FOR_SUBMISSION.
async fn ready_individual(app: &TestApp, key: &str, customer_id: &str, account_id: &str) -> Value {
    let created = create(app, key, individual_input(customer_id, account_id)).await;
    let ready = upload_passport(app, key, &created).await;
    assert_eq!(ready["status"], "READY_FOR_SUBMISSION", "{ready}");
    ready
}

both_backends! {
    async fn clients_cannot_review_and_the_operator_cannot_edit(app) {
        let client = app.key().to_owned();
        let operator = app.operator_key().await;
        let operator = operator.expose();
        let ready = ready_individual(&app, &client, "roles-1", "roles-acct-1").await;
        let id = id_of(&ready);
        let passport = document_id(&ready, "PASSPORT", None);
        let corporate = corporate_with_person(&app, &client, "roles-2", "roles-acct-2").await;
        let corporate_id = id_of(&corporate);
        let person_id = corporate["individuals"][0]["id"].as_str().unwrap().to_owned();

        // The operator writes nothing of a client's application: not its details, people,
        // documents or submission, nor a new application.
        let before = read(&app, &client, &id).await;
        let corporate_before = read(&app, &client, &corporate_id).await;
        let body = post(&app, operator, &update_mutation(),
            json!({ "id": id, "input": { "termsAndConditionsAccepted": false } })).await;
        assert_refused(&body, "FORBIDDEN");
        let (status, body) = upload(&app, operator, &id, &passport, "other.pdf", png()).await;
        assert_eq!(status, 200, "{body}");
        assert_refused(&body, "FORBIDDEN");
        let body = act(&app, operator, "submitApplication", &id, "").await;
        assert_refused(&body, "FORBIDDEN");
        let body = post(&app, operator, &add_person_mutation(),
            json!({ "app": corporate_id, "input": person("111-22-3333", "X1112223") })).await;
        assert_refused(&body, "FORBIDDEN");
        let body = post(&app, operator, &update_person_mutation(),
            json!({ "app": corporate_id, "person": person_id, "input": { "firstName": "Nora" } })).await;
        assert_refused(&body, "FORBIDDEN");
        let body = post(&app, operator, &remove_person_mutation(),
            json!({ "app": corporate_id, "person": person_id })).await;
        assert_refused(&body, "FORBIDDEN");
        let body = post(&app, operator, &create_mutation(),
            json!({ "input": individual_input("roles-3", "roles-acct-3") })).await;
        assert_refused(&body, "FORBIDDEN");
        assert_eq!(read(&app, &client, &id).await, before, "the operator changed nothing");
        assert_eq!(read(&app, &client, &corporate_id).await, corporate_before);
        assert_eq!(total(&app, operator, COUNT_APPLICATIONS).await, 2, "nothing was created");

        // Submitted: the operator may not simulate the sandbox's decision, and the client
        // may not take its own application into review.
        let body = act(&app, &client, "submitApplication", &id, "").await;
        assert_eq!(body["data"]["submitApplication"]["application"]["status"], "SUBMITTED", "{body}");
        let submitted = read(&app, &client, &id).await;
        let body = post(&app, operator, &simulate_mutation(), json!({ "id": id, "decision": "APPROVE" })).await;
        assert_refused(&body, "FORBIDDEN");
        let body = act(&app, &client, "startApplicationProcessing", &id, "").await;
        assert_refused(&body, "FORBIDDEN");
        assert_eq!(read(&app, &client, &id).await, submitted, "still SUBMITTED, unchanged");

        // In review: the client may not decide, ask for changes or judge a document.
        let body = act(&app, operator, "startApplicationProcessing", &id, "").await;
        assert_eq!(body["data"]["startApplicationProcessing"]["application"]["status"], "PROCESSING", "{body}");
        let processing = read(&app, &client, &id).await;
        for (mutation, args) in [
            ("approveApplication", ", reason: \"looks fine\""),
            ("rejectApplication", ", reason: \"looks wrong\""),
            ("requestApplicationChanges",
             ", reason: \"fix it\", fields: [{ fieldName: \"firstName\", description: \"spelling\" }]"),
            ("startApplicationProcessing", ""),
        ] {
            let body = act(&app, &client, mutation, &id, args).await;
            assert_refused(&body, "FORBIDDEN");
        }
        let body = post(&app, &client, REVIEW_DOCUMENT, json!({ "app": id, "doc": passport })).await;
        assert_refused(&body, "FORBIDDEN");
        let after = read(&app, &client, &id).await;
        assert_eq!(after, processing, "the client changed nothing");
        assert_eq!(after["status"], "PROCESSING");
        assert_eq!(after["customer"], Value::Null);
        assert_eq!(after["decisionReason"], Value::Null);
        let document = after["documents"].as_array().unwrap().iter()
            .find(|d| d["id"] == passport.as_str()).unwrap();
        assert_eq!(document["status"], "SUBMITTED", "{document}");
        assert_eq!(total(&app, &client, COUNT_CUSTOMERS).await, 2, "no customer was created");

        // The operator, for contrast, may review it.
        let body = post(&app, operator, REVIEW_DOCUMENT, json!({ "app": id, "doc": passport })).await;
        assert!(body["errors"].is_null(), "{body}");
        let body = act(&app, operator, "approveApplication", &id, ", reason: \"verified\"").await;
        assert!(body["errors"].is_null(), "{body}");
        assert_eq!(body["data"]["approveApplication"]["application"]["status"], "APPROVED");
    }

    async fn sandbox_simulation_is_refused_in_production(app) {
        let (_, production) = app.regulated_client().await;
        let production = production.expose();
        let ready = ready_individual(&app, production, "prod-1", "prod-acct-1").await;
        let id = id_of(&ready);
        let body = act(&app, production, "submitApplication", &id, "").await;
        assert_eq!(body["data"]["submitApplication"]["application"]["status"], "SUBMITTED", "{body}");
        let submitted = read(&app, production, &id).await;
        for decision in ["APPROVE", "REJECT", "REQUEST_CHANGES"] {
            let body = post(&app, production, &simulate_mutation(), json!({ "id": id, "decision": decision })).await;
            assert_refused(&body, "FORBIDDEN");
            let message = body["errors"][0]["message"].as_str().unwrap();
            assert!(message.contains("SANDBOX"), "{message}");
        }
        let after = read(&app, production, &id).await;
        assert_eq!(after, submitted, "nothing moved");
        assert_eq!(after["status"], "SUBMITTED");
        assert_eq!(after["customer"], Value::Null);
        assert_eq!(total(&app, production, COUNT_CUSTOMERS).await, 0, "no customer was created");

        // The sandbox client decides its own application: the customer exists, ACTIVE.
        let client = app.key();
        let ready = ready_individual(&app, client, "sandbox-new-1", "sandbox-acct-1").await;
        let id = id_of(&ready);
        let body = act(&app, client, "submitApplication", &id, "").await;
        assert!(body["errors"].is_null(), "{body}");
        let body = post(&app, client, &simulate_mutation(), json!({ "id": id, "decision": "APPROVE" })).await;
        assert!(body["errors"].is_null(), "{body}");
        let payload = &body["data"]["simulateApplicationDecision"];
        assert_eq!(payload["customer"], json!({ "customerId": "sandbox-new-1", "status": "ACTIVE" }));
        assert_eq!(payload["application"]["status"], "APPROVED");
        assert_eq!(payload["application"]["customer"], json!({ "customerId": "sandbox-new-1", "status": "ACTIVE" }));
        let moves: Vec<(Value, Value)> = payload["application"]["statusHistory"].as_array().unwrap().iter()
            .map(|h| (h["toStatus"].clone(), h["actor"].clone())).collect();
        assert_eq!(moves[moves.len() - 2..], [
            (json!("PROCESSING"), json!("CLIENT")),
            (json!("APPROVED"), json!("CLIENT")),
        ], "the simulated moves are recorded with the client as actor");
        let body = post(&app, client,
            "query($id: String!) { customer(customerId: $id) { customerId status application { id status } } }",
            json!({ "id": "sandbox-new-1" })).await;
        assert!(body["errors"].is_null(), "{body}");
        assert_eq!(body["data"]["customer"], json!({ "customerId": "sandbox-new-1", "status": "ACTIVE",
            "application": { "id": id, "status": "APPROVED" } }));
        assert_eq!(total(&app, client, COUNT_CUSTOMERS).await, 3);
    }

    async fn tenant_isolation_on_every_application_query_and_mutation(app) {
        let owner = app.key().to_owned();
        let operator = app.operator_key().await;
        let operator = operator.expose();
        let other = app.another_client().await;
        let intruder = other.key.expose();
        let individual = ready_individual(&app, &owner, "iso-1", "iso-acct-1").await;
        let id = id_of(&individual);
        let passport = document_id(&individual, "PASSPORT", None);
        let corporate = corporate_with_person(&app, &owner, "iso-2", "iso-acct-2").await;
        let corporate_id = id_of(&corporate);
        let person_id = corporate["individuals"][0]["id"].as_str().unwrap().to_owned();
        let individual_before = read(&app, &owner, &id).await;
        let corporate_before = read(&app, &owner, &corporate_id).await;
        // The other client has an application of its own, for the same customerId even.
        let own = create(&app, intruder, corporate_input("iso-1", "iso-acct-1")).await;
        let own_id = id_of(&own);

        // Reads: another client's application does not exist.
        for target in [&id, &corporate_id] {
            let body = post(&app, intruder, &read_query(), json!({ "id": target })).await;
            assert_refused(&body, "NOT_FOUND");
            let body = post(&app, intruder, "query($id: ID!) { node(id: $id) { id } }", json!({ "id": target })).await;
            assert!(body["errors"].is_null(), "{body}");
            assert_eq!(body["data"]["node"], Value::Null, "{body}");
        }
        for target in [&passport, &person_id] {
            let body = post(&app, intruder, "query($id: ID!) { node(id: $id) { id } }", json!({ "id": target })).await;
            assert_eq!(body["data"]["node"], Value::Null, "{body}");
        }
        let list = "query($filter: ApplicationFilterInput, $client: ID) {
            applications(filter: $filter, clientId: $client) { totalCount nodes { id customerId } } }";
        let body = post(&app, intruder, list, json!({})).await;
        assert_eq!(body["data"]["applications"], json!({ "totalCount": 1, "nodes": [{ "id": own_id, "customerId": "iso-1" }] }), "{body}");
        let body = post(&app, intruder, list, json!({ "filter": { "customerId": "iso-1" } })).await;
        assert_eq!(body["data"]["applications"]["totalCount"], 1, "{body}");
        let body = post(&app, intruder, list, json!({ "client": client_gid(app.sandbox.client.id) })).await;
        assert_eq!(body["data"]["applications"], json!({ "totalCount": 0, "nodes": [] }), "{body}");

        // Writes: every one is NOT_FOUND, like an application that does not exist.
        let body = post(&app, intruder, &update_mutation(),
            json!({ "id": id, "input": { "termsAndConditionsAccepted": false } })).await;
        assert_refused(&body, "NOT_FOUND");
        let body = post(&app, intruder, &add_person_mutation(),
            json!({ "app": corporate_id, "input": person("111-22-3333", "X1112223") })).await;
        assert_refused(&body, "NOT_FOUND");
        let body = post(&app, intruder, &update_person_mutation(),
            json!({ "app": corporate_id, "person": person_id, "input": { "firstName": "Nora" } })).await;
        assert_refused(&body, "NOT_FOUND");
        let body = post(&app, intruder, &remove_person_mutation(),
            json!({ "app": corporate_id, "person": person_id })).await;
        assert_refused(&body, "NOT_FOUND");
        let (status, body) = upload(&app, intruder, &id, &passport, "passport.pdf", pdf()).await;
        assert_eq!(status, 200, "{body}");
        assert_refused(&body, "NOT_FOUND");
        let body = act(&app, intruder, "submitApplication", &id, "").await;
        assert_refused(&body, "NOT_FOUND");
        let body = post(&app, intruder, &simulate_mutation(), json!({ "id": id, "decision": "APPROVE" })).await;
        assert_refused(&body, "NOT_FOUND");
        // Nor through its own application: the owner's person and document ids are not its.
        let body = post(&app, intruder, &update_person_mutation(),
            json!({ "app": own_id, "person": person_id, "input": { "firstName": "Nora" } })).await;
        assert_refused(&body, "NOT_FOUND");
        let body = post(&app, intruder, &remove_person_mutation(), json!({ "app": own_id, "person": person_id })).await;
        assert_refused(&body, "NOT_FOUND");
        let (_, body) = upload(&app, intruder, &own_id, &passport, "passport.pdf", pdf()).await;
        assert_refused(&body, "NOT_FOUND");

        // The owner's applications are as they were (same version, same everything).
        assert_eq!(read(&app, &owner, &id).await, individual_before);
        assert_eq!(read(&app, &owner, &corporate_id).await, corporate_before);
        assert_eq!(total(&app, &owner, COUNT_APPLICATIONS).await, 2);

        // Once approved, the customer's application is its owner's and the operator's only.
        let body = act(&app, &owner, "submitApplication", &id, "").await;
        assert!(body["errors"].is_null(), "{body}");
        let body = post(&app, &owner, &simulate_mutation(), json!({ "id": id, "decision": "APPROVE" })).await;
        assert!(body["errors"].is_null(), "{body}");
        let customer_query = "query($id: String!, $client: ID) {
            customer(customerId: $id, clientId: $client) { id customerId application { id customerId status } } }";
        let expected = json!({ "id": id, "customerId": "iso-1", "status": "APPROVED" });
        let body = post(&app, &owner, customer_query, json!({ "id": "iso-1" })).await;
        assert_eq!(body["data"]["customer"]["application"], expected, "{body}");
        let customer_gid = body["data"]["customer"]["id"].as_str().unwrap().to_owned();
        let body = post(&app, operator, customer_query,
            json!({ "id": "iso-1", "client": client_gid(app.sandbox.client.id) })).await;
        assert_eq!(body["data"]["customer"]["application"], expected, "{body}");
        let body = post(&app, intruder, customer_query, json!({ "id": "iso-1" })).await;
        assert_refused(&body, "NOT_FOUND");
        let body = post(&app, intruder, customer_query,
            json!({ "id": "iso-1", "client": client_gid(app.sandbox.client.id) })).await;
        assert_eq!(error_codes(&body), ["NOT_FOUND"], "{body}");
        let body = post(&app, intruder, "query($id: ID!) { node(id: $id) { ... on Customer { application { id } } } }",
            json!({ "id": customer_gid })).await;
        assert_eq!(body["data"]["node"], Value::Null, "{body}");
        let body = post(&app, intruder, "{ customers { nodes { customerId application { id } } } }", json!({})).await;
        assert!(body["errors"].is_null(), "{body}");
        for customer in body["data"]["customers"]["nodes"].as_array().unwrap() {
            assert_eq!(customer["application"], Value::Null, "{body}");
        }
    }

    async fn sensitive_numbers_are_masked_for_clients_and_whole_for_the_operator(app) {
        let client = app.key().to_owned();
        let operator = app.operator_key().await;
        let operator = operator.expose();
        let fields = "id customerDetails { individual { taxReferenceNumber passportNumber } }
                      individuals { taxReferenceNumber passportNumber }";
        let mut input = individual_input("mask-1", "mask-acct-1");
        input["customerDetails"]["individual"]["passportNumber"] = json!("P12345678");
        let body = post(&app, &client, &format!(
            "mutation($input: CreateApplicationInput!) {{ createApplication(input: $input) {{ application {{ {fields} }} }} }}"),
            json!({ "input": input })).await;
        assert!(body["errors"].is_null(), "{body}");
        let created = &body["data"]["createApplication"]["application"];
        let masked = json!({ "taxReferenceNumber": "****6789", "passportNumber": "****5678" });
        let whole = json!({ "taxReferenceNumber": "123-45-6789", "passportNumber": "P12345678" });
        assert_eq!(created["customerDetails"]["individual"], masked, "the payload is masked: {body}");
        let id = id_of(created);

        let corporate = create(&app, &client, corporate_input("mask-2", "mask-acct-2")).await;
        let corporate_id = id_of(&corporate);
        let body = post(&app, &client, &format!(
            "mutation($app: ID!, $input: CustomerIndividualPatch!) {{
                addApplicationIndividual(applicationId: $app, input: $input) {{ application {{ {fields} }} }} }}"),
            json!({ "app": corporate_id, "input": person("987-65-4321", "C98765432") })).await;
        assert!(body["errors"].is_null(), "{body}");
        let person_masked = json!([{ "taxReferenceNumber": "****4321", "passportNumber": "****5432" }]);
        let person_whole = json!([{ "taxReferenceNumber": "987-65-4321", "passportNumber": "C98765432" }]);
        assert_eq!(body["data"]["addApplicationIndividual"]["application"]["individuals"], person_masked, "{body}");

        // Every way to read an application: by id, by node, in a list.
        let by_id = format!("query($id: ID!) {{ application(id: $id) {{ {fields} }} }}");
        let by_node = format!("query($id: ID!) {{ node(id: $id) {{ ... on Application {{ {fields} }} }} }}");
        let listed = format!("query($client: ID) {{ applications(clientId: $client) {{ nodes {{ {fields} }} }} }}");
        let client_gid = client_gid(app.sandbox.client.id);
        for (key, details, people) in [(&client[..], &masked, &person_masked), (operator, &whole, &person_whole)] {
            let body = post(&app, key, &by_id, json!({ "id": id })).await;
            assert_eq!(body["data"]["application"]["customerDetails"]["individual"], *details, "{body}");
            let body = post(&app, key, &by_node, json!({ "id": id })).await;
            assert_eq!(body["data"]["node"]["customerDetails"]["individual"], *details, "{body}");
            let body = post(&app, key, &by_id, json!({ "id": corporate_id })).await;
            assert_eq!(body["data"]["application"]["individuals"], *people, "{body}");
            assert_eq!(body["data"]["application"]["customerDetails"]["individual"], Value::Null);
            let body = post(&app, key, &by_node, json!({ "id": corporate_id })).await;
            assert_eq!(body["data"]["node"]["individuals"], *people, "{body}");
            let body = post(&app, key, &listed, json!({ "client": client_gid })).await;
            let nodes = body["data"]["applications"]["nodes"].as_array().expect("nodes");
            assert_eq!(nodes.len(), 2, "{body}");
            assert_eq!(nodes[0]["customerDetails"]["individual"], *details, "{body}");
            assert_eq!(nodes[1]["individuals"], *people, "{body}");
        }
        // What is stored is the whole number, not the mask.
        let body = post(&app, operator, &by_id, json!({ "id": id })).await;
        assert_eq!(body["data"]["application"]["customerDetails"]["individual"], whole);

        // After approval, through the customer's application too.
        upload_passport(&app, &client, &read(&app, &client, &id).await).await;
        let body = act(&app, &client, "submitApplication", &id, "").await;
        assert!(body["errors"].is_null(), "{body}");
        let body = post(&app, &client, &simulate_mutation(), json!({ "id": id, "decision": "APPROVE" })).await;
        assert!(body["errors"].is_null(), "{body}");
        let through_customer = format!(
            "query($client: ID) {{ customer(customerId: \"mask-1\", clientId: $client) {{
                individual {{ taxReferenceNumber passportNumber }} application {{ {fields} }} }} }}");
        for (key, details) in [(&client[..], &masked), (operator, &whole)] {
            let body = post(&app, key, &through_customer, json!({ "client": client_gid })).await;
            assert!(body["errors"].is_null(), "{body}");
            assert_eq!(body["data"]["customer"]["individual"], *details, "{body}");
            assert_eq!(body["data"]["customer"]["application"]["customerDetails"]["individual"], *details, "{body}");
        }
    }

    async fn applications_are_listed_filtered_and_paged(app) {
        let client = app.key().to_owned();
        let operator = app.operator_key().await;
        let operator = operator.expose();
        // Five applications, oldest first: INCOMPLETE, INCOMPLETE, READY, INCOMPLETE, SUBMITTED.
        let mut ids = Vec::new();
        ids.push(id_of(&create(&app, &client, individual_input("list-1", "list-acct-1")).await));
        ids.push(id_of(&create(&app, &client, corporate_input("list-2", "list-acct-2")).await));
        ids.push(id_of(&ready_individual(&app, &client, "list-3", "list-acct-3").await));
        ids.push(id_of(&create(&app, &client, corporate_input("list-4", "list-acct-4")).await));
        let submitted = ready_individual(&app, &client, "list-5", "list-acct-5").await;
        ids.push(id_of(&submitted));
        let body = act(&app, &client, "submitApplication", &ids[4], "").await;
        assert!(body["errors"].is_null(), "{body}");
        let other = app.another_client().await;
        let other_key = other.key.expose();
        let other_id = id_of(&create(&app, other_key, individual_input("list-3", "list-acct-3")).await);

        let page = "query($first: Int, $after: String, $filter: ApplicationFilterInput, $client: ID) {
            applications(first: $first, after: $after, filter: $filter, clientId: $client) {
                totalCount pageInfo { hasNextPage endCursor }
                edges { cursor node { id customerId status applicationType } } } }";
        // Pages of two, in creation order, without repeats or gaps.
        let mut seen = Vec::new();
        let mut after = Value::Null;
        let mut sizes = Vec::new();
        loop {
            let body = post(&app, &client, page, json!({ "first": 2, "after": after })).await;
            assert!(body["errors"].is_null(), "{body}");
            let connection = &body["data"]["applications"];
            assert_eq!(connection["totalCount"], 5, "{body}");
            let edges = connection["edges"].as_array().unwrap();
            sizes.push(edges.len());
            seen.extend(edges.iter().map(|e| e["node"]["id"].as_str().unwrap().to_owned()));
            assert_eq!(connection["pageInfo"]["endCursor"], edges.last().unwrap()["cursor"]);
            if connection["pageInfo"]["hasNextPage"] != true {
                break;
            }
            after = connection["pageInfo"]["endCursor"].clone();
            assert!(sizes.len() < 5, "paging does not end: {body}");
        }
        assert_eq!(sizes, [2, 2, 1]);
        assert_eq!(seen, ids, "every application once, oldest first");

        // Filters, alone and together (AND).
        let matching = async |key: &str, filter: Value, client_id: Option<String>| -> (i64, Vec<String>) {
            let body = post(&app, key, page, json!({ "filter": filter, "client": client_id })).await;
            assert!(body["errors"].is_null(), "{body}");
            let connection = &body["data"]["applications"];
            let found: Vec<String> = connection["edges"].as_array().unwrap().iter()
                .map(|e| e["node"]["id"].as_str().unwrap().to_owned()).collect();
            (connection["totalCount"].as_i64().unwrap(), found)
        };
        let ids_at = |at: &[usize]| -> Vec<String> { at.iter().map(|&i| ids[i].clone()).collect() };
        assert_eq!(matching(&client, json!({ "status": ["INCOMPLETE"] }), None).await, (3, ids_at(&[0, 1, 3])));
        assert_eq!(matching(&client, json!({ "status": ["READY_FOR_SUBMISSION", "SUBMITTED"] }), None).await,
                   (2, ids_at(&[2, 4])));
        assert_eq!(matching(&client, json!({ "status": ["APPROVED"] }), None).await, (0, vec![]));
        assert_eq!(matching(&client, json!({ "applicationType": "CORPORATION" }), None).await, (2, ids_at(&[1, 3])));
        assert_eq!(matching(&client, json!({ "applicationType": "INDIVIDUAL" }), None).await, (3, ids_at(&[0, 2, 4])));
        assert_eq!(matching(&client, json!({ "customerId": "list-3" }), None).await, (1, ids_at(&[2])));
        assert_eq!(matching(&client, json!({ "customerId": "nobody" }), None).await, (0, vec![]));
        assert_eq!(matching(&client, json!({ "applicationType": "INDIVIDUAL", "status": ["INCOMPLETE"] }), None).await,
                   (1, ids_at(&[0])));
        // Paging through a filtered list.
        let body = post(&app, &client, page, json!({ "first": 2, "filter": { "status": ["INCOMPLETE"] } })).await;
        let connection = &body["data"]["applications"];
        assert_eq!(connection["edges"].as_array().unwrap().len(), 2, "{body}");
        let body = post(&app, &client, page, json!({ "first": 2, "filter": { "status": ["INCOMPLETE"] },
            "after": connection["pageInfo"]["endCursor"] })).await;
        let connection = &body["data"]["applications"];
        assert_eq!(connection["totalCount"], 3, "{body}");
        assert_eq!(connection["edges"][0]["node"]["id"], ids[3].as_str(), "{body}");
        assert_eq!(connection["pageInfo"]["hasNextPage"], false);

        // The operator: every client's, or one client's with clientId.
        let mine = client_gid(app.sandbox.client.id);
        let theirs = client_gid(other.client.id);
        assert_eq!(matching(operator, json!({}), Some(mine.clone())).await, (5, ids.clone()));
        assert_eq!(matching(operator, json!({}), Some(theirs.clone())).await, (1, vec![other_id.clone()]));
        let (count, all) = matching(operator, json!({}), None).await;
        assert_eq!(count, 6);
        assert_eq!(all.len(), 6);
        assert_eq!(matching(operator, json!({ "customerId": "list-3" }), None).await.0, 2);
        assert_eq!(matching(operator, json!({ "customerId": "list-3" }), Some(theirs.clone())).await,
                   (1, vec![other_id.clone()]));
        // A client naming another client sees nothing; naming itself, its own.
        assert_eq!(matching(&client, json!({}), Some(theirs)).await, (0, vec![]));
        assert_eq!(matching(&client, json!({}), Some(mine)).await, (5, ids.clone()));

        // Bad arguments are refused (a cursor of another list is not one of this list).
        let body = post(&app, &client, "{ customers(first: 1) { edges { cursor } } }", json!({})).await;
        let customers_cursor = body["data"]["customers"]["edges"][0]["cursor"].as_str().unwrap().to_owned();
        let bad_date = URL_SAFE_NO_PAD.encode(json!(["yesterday", "0190a1b2-0000-7000-8000-000000000000"]).to_string());
        for after in ["not a cursor", "bm90LWpzb24", &bad_date, &customers_cursor] {
            let body = post(&app, &client, page, json!({ "first": 2, "after": after })).await;
            assert_refused(&body, "BAD_USER_INPUT");
        }
        for first in [0, 101] {
            let body = post(&app, &client, page, json!({ "first": first })).await;
            assert_refused(&body, "BAD_USER_INPUT");
        }
        let body = post(&app, &client, page, json!({ "filter": { "customerId": "not valid!" } })).await;
        assert_refused(&body, "BAD_USER_INPUT");
    }
}

/// The document limit of the upload tests: small, so that files around it are cheap.
const LIMIT: usize = 4096;

/// A PDF of exactly `len` bytes (at least the minimal PDF's length), its filler varied by
/// `seed` so that files of one length differ.
fn pdf_of_len(len: usize, seed: u8) -> Vec<u8> {
    let mut bytes = pdf();
    let mut i: usize = seed.into();
    while bytes.len() < len {
        bytes.push(b'a' + u8::try_from(i % 26).unwrap());
        i += 1;
    }
    bytes.truncate(len);
    bytes
}

fn sha256_hex(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

const DOCUMENTS: &str = "query($id: ID!) { application(id: $id) { version status
    documents { id document status file { fileName contentType sizeBytes sha256 } } } }";

const DOCUMENT_CONTENTS: &str =
    "query($id: ID!) { application(id: $id) { documents { id status contentBase64 } } }";

/// The version of the application and the state of one of its documents, as the client reads them.
async fn document_state(
    app: &TestApp,
    key: &str,
    application: &str,
    document: &str,
) -> (i64, Value) {
    let body = post(app, key, DOCUMENTS, json!({ "id": application })).await;
    assert!(body["errors"].is_null(), "{body}");
    let read = &body["data"]["application"];
    let found = read["documents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == document)
        .unwrap_or_else(|| panic!("no document {document} in {body}"))
        .clone();
    (read["version"].as_i64().unwrap(), found)
}

async fn uploads_are_checked(app: &TestApp) {
    let client = app.key().to_owned();
    let operator = app.operator_key().await;
    let operator = operator.expose();
    let created = create(app, &client, individual_input("upload-1", "upload-acct-1")).await;
    let id = id_of(&created);
    let passport = document_id(&created, "PASSPORT", None);
    let (version, missing) = document_state(app, &client, &id, &passport).await;
    assert_eq!(missing["status"], "MISSING");
    assert_eq!(missing["file"], Value::Null);

    let refuse = async |name: &str, bytes: Vec<u8>, http: u16, code: &str| {
        let size = bytes.len();
        let (status, body) = upload(app, &client, &id, &passport, name, bytes).await;
        assert_eq!(
            (status, error_codes(&body)),
            (http, vec![code.to_owned()]),
            "{size} bytes: {body}"
        );
        assert!(body["data"].is_null(), "{body}");
    };

    // Refused while nothing is uploaded: the requirement stays MISSING.
    refuse("passport.pdf", Vec::new(), 200, "BAD_USER_INPUT").await;
    refuse(
        "passport.pdf",
        b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04".to_vec(),
        200,
        "UNSUPPORTED_DOCUMENT_TYPE",
    )
    .await;
    refuse(
        "passport.pdf",
        b"just some text, named like a PDF\n".to_vec(),
        200,
        "UNSUPPORTED_DOCUMENT_TYPE",
    )
    .await;
    refuse(
        "passport.pdf",
        pdf_of_len(LIMIT + 1, 0),
        200,
        "DOCUMENT_TOO_LARGE",
    )
    .await;
    assert_eq!(
        document_state(app, &client, &id, &passport).await,
        (version, missing.clone()),
        "nothing stored"
    );

    // (a) A PDF of exactly the limit is accepted, whole.
    let exact = pdf_of_len(LIMIT, 1);
    let (status, body) = upload(app, &client, &id, &passport, "passport.pdf", exact.clone()).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["errors"].is_null(), "{body}");
    let (version, stored) = document_state(app, &client, &id, &passport).await;
    assert_eq!(stored["status"], "SUBMITTED");
    assert_eq!(
        stored["file"],
        json!({ "fileName": "passport.pdf", "contentType": "application/pdf",
        "sizeBytes": LIMIT, "sha256": sha256_hex(&exact) })
    );

    // (b) Larger than the limit, within the request's slack: the resolver refuses it.
    for len in [LIMIT + 1, LIMIT + 2, 2 * LIMIT, LIMIT + 32 * 1024] {
        refuse(
            "passport.pdf",
            pdf_of_len(len, 2),
            200,
            "DOCUMENT_TOO_LARGE",
        )
        .await;
    }
    // (c) Far larger: refused with 413 by the HTTP layer, before (several MB, by its
    // Content-Length) or while (200 KiB) it streams in.
    refuse(
        "passport.pdf",
        pdf_of_len(200 * 1024, 3),
        413,
        "DOCUMENT_TOO_LARGE",
    )
    .await;
    refuse(
        "passport.pdf",
        pdf_of_len(5 * 1024 * 1024, 4),
        413,
        "DOCUMENT_TOO_LARGE",
    )
    .await;
    // (d) Not a PDF, JPEG or PNG, whatever the name says; (e) empty.
    refuse(
        "passport.pdf",
        b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04".to_vec(),
        200,
        "UNSUPPORTED_DOCUMENT_TYPE",
    )
    .await;
    refuse(
        "passport.pdf",
        b"%PD just text\n".to_vec(),
        200,
        "UNSUPPORTED_DOCUMENT_TYPE",
    )
    .await;
    refuse("passport.pdf", Vec::new(), 200, "BAD_USER_INPUT").await;
    assert_eq!(
        document_state(app, &client, &id, &passport).await,
        (version, stored),
        "the first file stands"
    );

    // The bytes are the operator's to read, exactly as uploaded; a client may not.
    let body = post(app, operator, DOCUMENT_CONTENTS, json!({ "id": id })).await;
    assert!(body["errors"].is_null(), "{body}");
    for document in body["data"]["application"]["documents"].as_array().unwrap() {
        let expected = if document["id"] == passport.as_str() {
            json!(STANDARD.encode(&exact))
        } else {
            Value::Null
        };
        assert_eq!(document["contentBase64"], expected, "{document}");
    }
    let body = post(
        app,
        operator,
        "query($id: ID!) { node(id: $id) { ... on ApplicationDocument { contentBase64 } } }",
        json!({ "id": passport }),
    )
    .await;
    assert_eq!(
        body["data"]["node"]["contentBase64"],
        STANDARD.encode(&exact),
        "{body}"
    );
    let body = post(app, &client, DOCUMENT_CONTENTS, json!({ "id": id })).await;
    let codes = error_codes(&body);
    assert!(
        !codes.is_empty() && codes.iter().all(|c| c == "FORBIDDEN"),
        "{body}"
    );
    assert!(
        !body.to_string().contains(&STANDARD.encode(&exact)),
        "no bytes leak to the client: {body}"
    );
}

mod oversized_and_wrong_type_uploads_are_refused_and_nothing_is_stored {
    use super::*;
    use crate::harness::Backend;

    async fn start(backend: Backend) -> Option<TestApp> {
        TestApp::start_configured(backend, |s| s.max_document_bytes = LIMIT).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        let app = start(Backend::Sqlite)
            .await
            .expect("SQLite is always available");
        uploads_are_checked(&app).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        let Some(app) = start(Backend::Postgres).await else {
            return;
        };
        uploads_are_checked(&app).await;
    }
}

/// A simulated decision first takes a SUBMITTED application into review, then decides; when
/// the decision is refused, the application must be as it was (not left in PROCESSING).
async fn refused_simulation_changes_nothing(app: &TestApp) {
    let client = app.key().to_owned();
    let ready = ready_individual(app, &client, "sim-1", "sim-acct-1").await;
    let id = id_of(&ready);
    let body = act(app, &client, "submitApplication", &id, "").await;
    assert!(body["errors"].is_null(), "{body}");
    let submitted = read(app, &client, &id).await;
    // Changes requested without naming any, or naming a field the application does not have.
    let body = post(
        app,
        &client,
        &simulate_mutation(),
        json!({ "id": id, "decision": "REQUEST_CHANGES" }),
    )
    .await;
    assert_refused(&body, "BAD_USER_INPUT");
    let body = post(
        app,
        &client,
        "mutation($id: ID!) { simulateApplicationDecision(id: $id, decision: REQUEST_CHANGES, reason: \"check\",
            fields: [{ fieldName: \"noSuchField\", description: \"what?\" }]) { application { id } } }",
        json!({ "id": id }),
    )
    .await;
    assert_refused(&body, "BAD_USER_INPUT");
    assert_eq!(
        read(app, &client, &id).await,
        submitted,
        "still SUBMITTED, no new history entry"
    );

    // An approval that cannot be carried out: its accountId became another customer's
    // account after submission.
    let second = ready_individual(app, &client, "sim-3", "sim-shared-acct").await;
    let body = act(app, &client, "submitApplication", &id_of(&second), "").await;
    assert!(body["errors"].is_null(), "{body}");
    {
        let principal = layer2::auth::authenticate(
            &app.database,
            &layer2::clock::SystemClock,
            Some(&format!("Bearer {client}")),
        )
        .await
        .unwrap();
        let account = layer2::store::accounts::Account {
            is_default: false,
            ..layer2::ops::accounts::default_account(
                &app.sandbox.customers[0],
                "sim-shared-acct",
                layer2::domain::account::ProductId::DepositBasic,
                "FIAT_TESTNET_USD",
            )
        };
        let mut pooled = app.database.conn().await.unwrap();
        layer2::store::accounts::insert(&mut pooled.conn(), &principal.scope(), &account)
            .await
            .unwrap();
    }
    let before = read(app, &client, &id_of(&second)).await;
    assert_eq!(before["status"], "SUBMITTED");
    let body = post(
        app,
        &client,
        &simulate_mutation(),
        json!({ "id": id_of(&second), "decision": "APPROVE" }),
    )
    .await;
    assert_refused(&body, "ALREADY_EXISTS");
    assert_eq!(
        read(app, &client, &id_of(&second)).await,
        before,
        "still SUBMITTED, no new history entry"
    );
    assert_eq!(
        total(app, &client, COUNT_CUSTOMERS).await,
        2,
        "no customer was created"
    );
}

mod a_refused_simulated_decision_changes_nothing {
    use super::*;
    use crate::harness::Backend;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        let app = TestApp::start(Backend::Sqlite)
            .await
            .expect("SQLite is always available");
        refused_simulation_changes_nothing(&app).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        let Some(app) = TestApp::start(Backend::Postgres).await else {
            return;
        };
        refused_simulation_changes_nothing(&app).await;
    }
}
