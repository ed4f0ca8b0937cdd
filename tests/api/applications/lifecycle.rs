//! The application lifecycle end to end: requirements after each edit, submission, review,
//! changes requested and resubmission, approval creating the customer, and the rules of the
//! lifecycle table, the customerId and concurrent approvals.

use serde_json::{Value, json};

use super::*;
use crate::harness::{TestApp, both_backends, error_codes};

pub(super) fn field_names(application: &Value) -> Vec<String> {
    application["requirements"]["fieldErrors"]
        .as_array()
        .expect("fieldErrors")
        .iter()
        .map(|f| f["fieldName"].as_str().expect("fieldName").to_owned())
        .collect()
}

fn history(application: &Value) -> Vec<(String, String)> {
    application["statusHistory"]
        .as_array()
        .expect("statusHistory")
        .iter()
        .map(|h| {
            (
                h["toStatus"].as_str().expect("toStatus").to_owned(),
                h["actor"].as_str().expect("actor").to_owned(),
            )
        })
        .collect()
}

/// Takes an application from creation to SUBMITTED as the sandbox client.
pub(super) async fn submitted(app: &TestApp, customer_id: &str, account_id: &str) -> Value {
    let created = create(app, app.key(), individual_input(customer_id, account_id)).await;
    let ready = upload_passport(app, app.key(), &created).await;
    assert_eq!(ready["status"], "READY_FOR_SUBMISSION", "{ready}");
    let body = act(
        app,
        app.key(),
        "submitApplication",
        ready["id"].as_str().unwrap(),
        "",
    )
    .await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["submitApplication"]["application"].clone()
}

const CUSTOMER_WITH_APPLICATION: &str = "query($id: String!, $client: ID) {
    customer(customerId: $id, clientId: $client) { customerId status customerType
        individual { firstName lastName } individuals { firstName lastName individualType percentageOwnership }
        application { id status } } }";

both_backends! {
    async fn an_individual_is_onboarded_from_an_incomplete_application_to_an_active_customer(app) {
        let key = app.key().to_owned();
        let operator = app.operator_key().await;
        // Created with part of the details: INCOMPLETE, and the requirements say what is missing.
        let created = create(&app, &key, json!({
            "applicationType": "INDIVIDUAL", "customerId": "kyc-1",
            "customerDetails": { "individual": { "firstName": "Amelia", "lastName": "Hartley" } }
        })).await;
        assert_eq!(created["status"], "INCOMPLETE");
        assert_eq!(created["version"], 1);
        assert_eq!(
            field_names(&created),
            ["emailAddress", "telephoneNumber", "mailingAddress", "taxReferenceNumber",
             "nationality", "dateOfBirth", "accountToOpen", "termsAndConditionsAccepted"]
        );
        assert_eq!(created["requirements"]["documents"].as_array().unwrap().len(), 5);
        let documents = created["documents"].as_array().unwrap();
        assert!(documents.iter().all(|d| d["status"] == "MISSING"), "{created}");
        let (identity, supporting): (Vec<&Value>, Vec<&Value>) = documents.iter()
            .partition(|d| d["description"].as_str().unwrap().starts_with("one of: PASSPORT"));
        assert_eq!(identity.len(), 5, "{created}");
        assert!(supporting.iter().all(|d| d["description"] == "optional supporting document"));
        assert!(supporting.iter().any(|d| d["document"] == "UTILITY_BILL"));
        let id = created["id"].as_str().unwrap().to_owned();

        // The rest of the fields: still INCOMPLETE, only the identity document is missing.
        let updated = ok_application(&app, &key, &update_mutation(), json!({
            "id": id, "v": 1,
            "input": { "customerDetails": { "individual": individual_details() },
                       "accountToOpen": account("kyc-1-usd"), "termsAndConditionsAccepted": true }
        }), "updateApplication").await;
        assert_eq!(updated["status"], "INCOMPLETE");
        assert!(field_names(&updated).is_empty(), "{updated}");
        assert_eq!(updated["version"], 2);

        // The passport: READY_FOR_SUBMISSION by itself.
        let ready = upload_passport(&app, &key, &updated).await;
        assert_eq!(ready["status"], "READY_FOR_SUBMISSION", "{ready}");
        assert_eq!(ready["requirements"]["met"], true);
        let passport = ready["documents"].as_array().unwrap().iter()
            .find(|d| d["document"] == "PASSPORT").unwrap().clone();
        assert_eq!(passport["status"], "SUBMITTED");
        assert_eq!(passport["file"]["contentType"], "application/pdf");
        assert_eq!(passport["file"]["fileName"], "passport.pdf");

        // Submitted by the client, processed and approved by the operator.
        let body = act(&app, &key, "submitApplication", &id, "").await;
        assert_eq!(body["data"]["submitApplication"]["application"]["status"], "SUBMITTED", "{body}");
        let body = act(&app, operator.expose(), "startApplicationProcessing", &id, "").await;
        assert_eq!(body["data"]["startApplicationProcessing"]["application"]["status"], "PROCESSING", "{body}");
        let review = "mutation($app: ID!, $doc: ID!) { reviewApplicationDocument(applicationId: $app,
            documentId: $doc, verdict: APPROVED) { application { documents { document status } } } }";
        let (_, body) = app.gql_as(operator.expose(), review,
            json!({ "app": id, "doc": passport["id"] })).await;
        assert!(body["errors"].is_null(), "{body}");
        let approve = format!("mutation($id: ID!) {{ approveApplication(id: $id, reason: \"KYC passed\") {{
            application {{ {APPLICATION_FIELDS} }} customer {{ customerId status customerType }} }} }}");
        let (_, body) = app.gql_as(operator.expose(), &approve, json!({ "id": id })).await;
        assert!(body["errors"].is_null(), "{body}");
        let approved = &body["data"]["approveApplication"];
        assert_eq!(approved["application"]["status"], "APPROVED");
        assert_eq!(approved["application"]["decisionReason"], "KYC passed");
        assert_eq!(approved["customer"]["status"], "ACTIVE");
        // The account it opened is its own, not a clash.
        assert_eq!(approved["application"]["requirements"]["met"], true, "{body}");
        assert_eq!(approved["application"]["customer"]["customerId"], "kyc-1");
        assert_eq!(
            history(&approved["application"]),
            [("INCOMPLETE", "CLIENT"), ("READY_FOR_SUBMISSION", "CLIENT"), ("SUBMITTED", "CLIENT"),
             ("PROCESSING", "OPERATOR"), ("APPROVED", "OPERATOR")]
                .map(|(s, a)| (s.to_owned(), a.to_owned()))
        );

        // The customer exists (ACTIVE) with its details, its application and its default account.
        let body = app.gql(CUSTOMER_WITH_APPLICATION, json!({ "id": "kyc-1" })).await;
        let customer = &body["data"]["customer"];
        assert_eq!(customer["status"], "ACTIVE", "{body}");
        assert_eq!(customer["individual"]["lastName"], "Hartley");
        assert_eq!(customer["application"]["id"], id.as_str());
        let principal = layer2::auth::authenticate(&app.database, &layer2::clock::SystemClock, Some(&format!("Bearer {key}"))).await.unwrap();
        let mut pooled = app.database.conn().await.unwrap();
        let stored = layer2::store::customers::find_by_external_id(
            &mut pooled.conn(), &principal.scope(), principal.client_id().unwrap(), "kyc-1").await.unwrap().unwrap();
        let accounts = layer2::store::accounts::list_for_customer(&mut pooled.conn(), &principal.scope(), stored.id).await.unwrap();
        assert_eq!(accounts.len(), 1);
        assert_eq!((accounts[0].external_id.as_str(), accounts[0].asset_type_id.as_str()), ("kyc-1-usd", "FIAT_TESTNET_USD"));
        assert!(accounts[0].is_default);
        drop(pooled);

        // APPROVED is final: no edits, no second approval.
        let body = act(&app, operator.expose(), "approveApplication", &id, ", reason: \"again\"").await;
        assert_eq!(error_codes(&body), ["INVALID_STATUS_TRANSITION"], "{body}");
        let (_, body) = app.gql_as(&key, &update_mutation(),
            json!({ "id": id, "input": { "termsAndConditionsAccepted": false } })).await;
        assert_eq!(error_codes(&body), ["APPLICATION_NOT_EDITABLE"], "{body}");
    }

    async fn a_corporation_with_officers_and_owners_is_onboarded_with_its_people(app) {
        let key = app.key().to_owned();
        let created = create(&app, &key, json!({
            "applicationType": "CORPORATION", "customerId": "kyb-1",
            "customerDetails": { "corporation": {
                "registeredName": "Northwind Robotics, Inc.", "registeredNumber": "C1234567",
                "corporateEntityType": "LLC", "countryOfIncorporation": "US", "stateOfIncorporation": "DE",
                "establishedOn": "2015-06-01",
                "registeredAddress": { "addressLine1": "251 Little Falls Dr", "city": "Wilmington",
                                       "state": "DE", "postalCode": "19808", "countryCode": "US" } } },
            "accountToOpen": account("kyb-1-usd"), "termsAndConditionsAccepted": true
        })).await;
        assert_eq!(created["status"], "INCOMPLETE");
        assert_eq!(created["requirements"]["applicationErrors"],
            json!(["MISSING_PERSON", "MISSING_OFFICER", "MISSING_BENEFICIAL_OWNER"]));
        let id = created["id"].as_str().unwrap().to_owned();

        let add = format!("mutation($id: ID!, $input: CustomerIndividualPatch!) {{
            addApplicationIndividual(applicationId: $id, input: $input) {{ application {{ {APPLICATION_FIELDS} }} }} }}");
        let person = |first: &str, roles: Value, pct: Value| json!({
            "individualType": roles, "firstName": first, "lastName": "Okafor", "percentageOwnership": pct,
            "dateOfBirth": "1975-03-02", "nationality": "NG", "title": "Director",
            "mailingAddress": { "addressLine1": "1 Main St", "city": "Dover", "state": "DE", "countryCode": "US" }
        });
        let with_ceo = ok_application(&app, &key, &add,
            json!({ "id": id, "input": person("Chidi", json!(["OFFICER", "BENEFICIAL_OWNER"]), json!(60)) }),
            "addApplicationIndividual").await;
        assert_eq!(with_ceo["requirements"]["applicationErrors"], json!([]));
        let with_owner = ok_application(&app, &key, &add,
            json!({ "id": id, "input": person("Ngozi", json!(["BENEFICIAL_OWNER"]), json!(40)) }),
            "addApplicationIndividual").await;
        let extra = ok_application(&app, &key, &add,
            json!({ "id": id, "input": person("Temp", json!(["AUTHORIZED_PERSON"]), Value::Null) }),
            "addApplicationIndividual").await;
        let people: Vec<String> = extra["individuals"].as_array().unwrap().iter()
            .map(|p| p["id"].as_str().unwrap().to_owned()).collect();
        assert_eq!(people.len(), 3);
        // Each officer or owner must prove identity; the authorised person need not.
        let blocked: Vec<&str> = extra["requirements"]["individuals"].as_array().unwrap().iter()
            .map(|p| p["individualId"].as_str().unwrap()).collect();
        assert_eq!(blocked, [people[0].as_str(), people[1].as_str()]);
        assert_eq!(with_owner["requirements"]["documents"][0]["document"], "INCORPORATION_DOCUMENTS");

        // Ownership beyond 100% blocks; removing the extra person changes nothing else.
        let update_person = format!("mutation($id: ID!, $p: ID!, $input: CustomerIndividualPatch!) {{
            updateApplicationIndividual(applicationId: $id, individualId: $p, input: $input) {{
                application {{ {APPLICATION_FIELDS} }} }} }}");
        let over = ok_application(&app, &key, &update_person,
            json!({ "id": id, "p": people[1], "input": { "percentageOwnership": 50 } }),
            "updateApplicationIndividual").await;
        assert!(field_names(&over).contains(&"individuals.percentageOwnership".to_owned()), "{over}");
        let back = ok_application(&app, &key, &update_person,
            json!({ "id": id, "p": people[1], "input": { "percentageOwnership": 40 } }),
            "updateApplicationIndividual").await;
        assert!(field_names(&back).is_empty(), "{back}");
        let remove = format!("mutation($id: ID!, $p: ID!) {{
            removeApplicationIndividual(applicationId: $id, individualId: $p) {{ application {{ {APPLICATION_FIELDS} }} }} }}");
        let removed = ok_application(&app, &key, &remove, json!({ "id": id, "p": people[2] }),
            "removeApplicationIndividual").await;
        assert_eq!(removed["individuals"].as_array().unwrap().len(), 2);

        // Documents: incorporation papers, a passport for the CEO, both sides of a licence for
        // the owner (one side alone is not enough).
        let mut current = removed.clone();
        for (document, who, name, bytes) in [
            ("INCORPORATION_DOCUMENTS", None, "articles.pdf", pdf()),
            ("PASSPORT", Some(people[0].as_str()), "ceo.png", png()),
            ("DRIVERS_LICENCE_FRONT", Some(people[1].as_str()), "front.png", png()),
        ] {
            let doc = document_id(&current, document, who);
            let (_, body) = upload(&app, &key, &id, &doc, name, bytes).await;
            assert!(body["errors"].is_null(), "{body}");
            current = body["data"]["uploadApplicationDocument"]["application"].clone();
        }
        assert_eq!(current["status"], "INCOMPLETE", "one side of a licence is not enough: {current}");
        let doc = document_id(&current, "DRIVERS_LICENCE_BACK", Some(people[1].as_str()));
        let (_, body) = upload(&app, &key, &id, &doc, "back.png", png()).await;
        let ready = &body["data"]["uploadApplicationDocument"]["application"];
        assert_eq!(ready["status"], "READY_FOR_SUBMISSION", "{body}");

        // Submitted, then decided by the sandbox's simulation.
        let body = act(&app, &key, "submitApplication", &id, "").await;
        assert!(body["errors"].is_null(), "{body}");
        let simulate = "mutation($id: ID!) { simulateApplicationDecision(id: $id, decision: APPROVE,
            reason: \"all good\") { application { status } customer { customerId status } } }";
        let (_, body) = app.gql_as(&key, simulate, json!({ "id": id })).await;
        assert!(body["errors"].is_null(), "{body}");
        assert_eq!(body["data"]["simulateApplicationDecision"]["customer"]["status"], "ACTIVE");

        let body = app.gql(CUSTOMER_WITH_APPLICATION, json!({ "id": "kyb-1" })).await;
        let customer = &body["data"]["customer"];
        assert_eq!(customer["customerType"], "CORPORATION", "{body}");
        let copied: Vec<(String, f64)> = customer["individuals"].as_array().unwrap().iter()
            .map(|p| (p["firstName"].as_str().unwrap().to_owned(), p["percentageOwnership"].as_f64().unwrap()))
            .collect();
        assert_eq!(copied, [("Chidi".to_owned(), 60.0), ("Ngozi".to_owned(), 40.0)]);
    }

    async fn requirements_report_every_problem_at_once_and_follow_each_edit(app) {
        let key = app.key().to_owned();
        // Nothing but the type and id: ten fields missing, each reported.
        let empty = create(&app, &key, json!({ "applicationType": "INDIVIDUAL", "customerId": "ten-1" })).await;
        assert_eq!(field_names(&empty).len(), 10, "{empty}");
        assert!(empty["requirements"]["fieldErrors"].as_array().unwrap().iter()
            .all(|f| f["fieldStatus"] == "INCOMPLETE"));
        let id = empty["id"].as_str().unwrap().to_owned();

        // Invalid values are refused at once, all of them, and nothing is written.
        let (_, body) = app.gql_as(&key, &update_mutation(), json!({ "id": id, "input": {
            "customerDetails": { "individual": { "emailAddress": "nope", "telephoneNumber": "12",
                                                 "nationality": "XX" } },
            "accountToOpen": { "accountId": "bad id", "productId": "DEPOSIT_BASIC", "assetTypeId": "FIAT_MARS_USD" } } })).await;
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{body}");
        assert_eq!(body["errors"][0]["extensions"]["fieldErrors"].as_array().unwrap().len(), 5, "{body}");
        let body = app.gql(&read_query(), json!({ "id": id })).await;
        assert_eq!(body["data"]["application"]["version"], 1);

        // Each edit shrinks the list; a complete application with its passport is ready.
        let step = ok_application(&app, &key, &update_mutation(), json!({ "id": id, "input": {
            "customerDetails": { "individual": { "firstName": "Ann", "lastName": "Lee" } } } }), "updateApplication").await;
        assert_eq!(field_names(&step).len(), 8);
        let full = ok_application(&app, &key, &update_mutation(), json!({ "id": id, "input": {
            "customerDetails": { "individual": individual_details() }, "accountToOpen": account("ten-acc"),
            "termsAndConditionsAccepted": true } }), "updateApplication").await;
        assert!(field_names(&full).is_empty());
        let ready = upload_passport(&app, &key, &full).await;
        assert_eq!(ready["status"], "READY_FOR_SUBMISSION");

        // An edit that breaks a requirement takes it back to INCOMPLETE, and back again.
        let broken = ok_application(&app, &key, &update_mutation(), json!({ "id": id, "input": {
            "customerDetails": { "individual": { "dateOfBirth": null } } } }), "updateApplication").await;
        assert_eq!(broken["status"], "INCOMPLETE");
        assert_eq!(field_names(&broken), ["dateOfBirth"]);
        let fixed = ok_application(&app, &key, &update_mutation(), json!({ "id": id, "input": {
            "customerDetails": { "individual": { "dateOfBirth": "1988-04-12" } } } }), "updateApplication").await;
        assert_eq!(fixed["status"], "READY_FOR_SUBMISSION");
        let moves: Vec<String> = history(&fixed).into_iter().map(|(s, _)| s).collect();
        assert_eq!(moves, ["INCOMPLETE", "READY_FOR_SUBMISSION", "INCOMPLETE", "READY_FOR_SUBMISSION"]);

        // An edit that changes nothing writes nothing.
        let same = ok_application(&app, &key, &update_mutation(), json!({ "id": id, "input": {
            "termsAndConditionsAccepted": true } }), "updateApplication").await;
        assert_eq!(same["version"], fixed["version"]);
        // A stale expectedVersion is a CONFLICT.
        let (_, body) = app.gql_as(&key, &update_mutation(), json!({ "id": id, "v": 1, "input": {
            "termsAndConditionsAccepted": false } })).await;
        assert_eq!(error_codes(&body), ["CONFLICT"], "{body}");
    }

    async fn requested_changes_block_until_answered_and_the_application_is_resubmitted(app) {
        let key = app.key().to_owned();
        let operator = app.operator_key().await;
        let application = submitted(&app, "redo-1", "redo-acc").await;
        let id = application["id"].as_str().unwrap().to_owned();
        let passport = document_id(&application, "PASSPORT", None);
        let body = act(&app, operator.expose(), "startApplicationProcessing", &id, "").await;
        assert!(body["errors"].is_null(), "{body}");

        let request = format!("mutation($id: ID!, $doc: ID!) {{ requestApplicationChanges(id: $id,
            fields: [{{ fieldName: \"mailingAddress.city\", description: \"does not match the utility bill\" }}],
            documents: [{{ documentId: $doc, description: \"the photo is blurred\" }}],
            reason: \"address and passport\") {{ application {{ {APPLICATION_FIELDS} }} }} }}");
        let (_, body) = app.gql_as(operator.expose(), &request, json!({ "id": id, "doc": passport })).await;
        assert!(body["errors"].is_null(), "{body}");
        let asked = &body["data"]["requestApplicationChanges"]["application"];
        assert_eq!(asked["status"], "CHANGES_REQUESTED");
        assert_eq!(asked["requirements"]["fieldErrors"], json!([{ "fieldName": "mailingAddress.city",
            "fieldStatus": "CHANGES_REQUESTED", "description": "does not match the utility bill" }]));
        assert_eq!(asked["requirements"]["documents"][0]["status"], "CHANGES_REQUESTED");
        assert_eq!(asked["requirements"]["documents"][0]["description"], "the photo is blurred");

        // Resubmitting now is refused; the field change clears one request, the new file the other.
        let body = act(&app, &key, "submitApplication", &id, "").await;
        assert_eq!(error_codes(&body), ["INVALID_STATUS_TRANSITION"], "{body}");
        let mut address = individual_details()["mailingAddress"].clone();
        address["city"] = json!("Oakland");
        let edited = ok_application(&app, &key, &update_mutation(), json!({ "id": id, "input": {
            "customerDetails": { "individual": { "mailingAddress": address } } } }), "updateApplication").await;
        assert_eq!(edited["status"], "CHANGES_REQUESTED");
        assert!(field_names(&edited).is_empty(), "{edited}");
        let ready = upload_passport(&app, &key, &edited).await;
        assert_eq!(ready["status"], "READY_FOR_SUBMISSION", "{ready}");
        let body = act(&app, &key, "submitApplication", &id, "").await;
        assert_eq!(body["data"]["submitApplication"]["application"]["status"], "SUBMITTED", "{body}");

        // Rejection is final and frees the customerId.
        act(&app, operator.expose(), "startApplicationProcessing", &id, "").await;
        let body = act(&app, operator.expose(), "rejectApplication", &id, ", reason: \"sanctions hit\"").await;
        let rejected = &body["data"]["rejectApplication"]["application"];
        assert_eq!(rejected["status"], "REJECTED", "{body}");
        assert_eq!(rejected["decisionReason"], "sanctions hit");
        let body = act(&app, operator.expose(), "startApplicationProcessing", &id, "").await;
        assert_eq!(error_codes(&body), ["INVALID_STATUS_TRANSITION"]);
        assert_eq!(body["errors"][0]["extensions"]["allowedNextStatuses"], json!([]));
        create(&app, &key, individual_input("redo-1", "redo-acc-2")).await;
    }

    async fn a_customer_id_is_held_by_one_customer_or_open_application(app) {
        let key = app.key().to_owned();
        create(&app, &key, individual_input("held-1", "held-acc")).await;
        for customer_id in ["held-1", "sandbox-individual-1"] {
            let (_, body) = app.gql_as(&key, &create_mutation(),
                json!({ "input": individual_input(customer_id, "other-acc") })).await;
            assert_eq!(error_codes(&body), ["ALREADY_EXISTS"], "{body}");
            assert_eq!(body["errors"][0]["extensions"]["field"], "customerId");
        }
        // Another client may use the same customerId.
        let other = app.another_client().await;
        create(&app, other.key.expose(), individual_input("held-1", "held-acc")).await;
        // A regulated client cannot create a customer directly under an id its application holds.
        let (_, regulated) = app.regulated_client().await;
        create(&app, regulated.expose(), individual_input("dup-1", "dup-acc")).await;
        let direct = "mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { id } } }";
        let (_, body) = app.gql_as(regulated.expose(), direct, json!({ "input": {
            "customerId": "dup-1", "individual": { "firstName": "A", "lastName": "B" },
            "accountToOpen": account("dup-direct") } })).await;
        assert_eq!(error_codes(&body), ["ALREADY_EXISTS"], "{body}");
        // Renaming an application onto a held id is refused too.
        let second = create(&app, &key, individual_input("held-2", "held-acc-2")).await;
        let (_, body) = app.gql_as(&key, &update_mutation(),
            json!({ "id": second["id"], "input": { "customerId": "held-1" } })).await;
        assert_eq!(error_codes(&body), ["ALREADY_EXISTS"], "{body}");
    }

    async fn moves_outside_the_lifecycle_are_refused_with_what_is_allowed(app) {
        let key = app.key().to_owned();
        let operator = app.operator_key().await;
        let incomplete = create(&app, &key, json!({ "applicationType": "INDIVIDUAL", "customerId": "m-1" })).await;
        let id = incomplete["id"].as_str().unwrap();
        let body = act(&app, &key, "submitApplication", id, "").await;
        assert_eq!(error_codes(&body), ["INVALID_STATUS_TRANSITION"], "{body}");
        assert_eq!(body["errors"][0]["extensions"]["currentStatus"], "INCOMPLETE");
        assert!(body["errors"][0]["message"].as_str().unwrap().contains("requirements"));
        for (mutation, args) in [("startApplicationProcessing", ""), ("approveApplication", ", reason: \"x\""),
                                 ("rejectApplication", ", reason: \"x\"")] {
            let body = act(&app, operator.expose(), mutation, id, args).await;
            assert_eq!(error_codes(&body), ["INVALID_STATUS_TRANSITION"], "{mutation}: {body}");
        }
        let sub = submitted(&app, "m-2", "m-2-acc").await;
        let sid = sub["id"].as_str().unwrap();
        let (_, body) = app.gql_as(&key, &update_mutation(),
            json!({ "id": sid, "input": { "termsAndConditionsAccepted": false } })).await;
        assert_eq!(error_codes(&body), ["APPLICATION_NOT_EDITABLE"], "{body}");
        let doc = document_id(&sub, "PASSPORT", None);
        let (_, body) = upload(&app, &key, sid, &doc, "p.pdf", pdf()).await;
        assert_eq!(error_codes(&body), ["APPLICATION_NOT_EDITABLE"], "{body}");
        let body = act(&app, operator.expose(), "approveApplication", sid, ", reason: \"x\"").await;
        assert_eq!(error_codes(&body), ["INVALID_STATUS_TRANSITION"], "approval needs PROCESSING: {body}");
        assert_eq!(body["errors"][0]["extensions"]["allowedNextStatuses"], json!(["PROCESSING"]));
        let body = app.gql(&read_query(), json!({ "id": sid })).await;
        assert_eq!(body["data"]["application"]["status"], "SUBMITTED");
    }

    async fn an_approval_that_fails_part_way_changes_nothing(app) {
        let operator = app.operator_key().await;
        let application = submitted(&app, "tx-1", "tx-acc").await;
        let id = application["id"].as_str().unwrap().to_owned();
        let body = act(&app, operator.expose(), "startApplicationProcessing", &id, "").await;
        let version = body["data"]["startApplicationProcessing"]["application"]["version"].clone();
        // Meanwhile the account id becomes another account of the client: approval would
        // create the customer, then fail on the account.
        {
            let principal = layer2::auth::authenticate(&app.database, &layer2::clock::SystemClock, Some(&format!("Bearer {}", app.key())))
                .await.unwrap();
            let scope = principal.scope();
            let holder = &app.sandbox.customers[0];
            let account = layer2::store::accounts::Account {
                is_default: false,
                ..layer2::ops::accounts::default_account(
                    holder, "tx-acc", layer2::domain::account::ProductId::DepositBasic, "FIAT_TESTNET_USD")
            };
            let mut pooled = app.database.conn().await.unwrap();
            layer2::store::accounts::insert(&mut pooled.conn(), &scope, &account).await.unwrap();
        }
        let body = act(&app, operator.expose(), "approveApplication", &id, ", reason: \"ok\"").await;
        assert_eq!(error_codes(&body), ["ALREADY_EXISTS"], "{body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], "accountToOpen.accountId");
        // No customer, no history entry, the application as it was.
        let (_, body) = app.gql_as(app.key(), CUSTOMER_WITH_APPLICATION, json!({ "id": "tx-1" })).await;
        assert_eq!(error_codes(&body), ["NOT_FOUND"], "{body}");
        let body = app.gql(&read_query(), json!({ "id": id })).await;
        let after = &body["data"]["application"];
        assert_eq!(after["status"], "PROCESSING");
        assert_eq!(after["version"], version);
        assert!(after["customer"].is_null());
        assert_eq!(history(after).last().unwrap().0, "PROCESSING");
    }

    async fn concurrent_approvals_create_exactly_one_customer(app) {
        let operator = app.operator_key().await;
        let application = submitted(&app, "race-1", "race-acc").await;
        let id = application["id"].as_str().unwrap().to_owned();
        act(&app, operator.expose(), "startApplicationProcessing", &id, "").await;
        let approve = "mutation($id: ID!) { approveApplication(id: $id, reason: \"ok\") { customer { customerId } } }";
        let attempts = (0..8).map(|_| app.gql_as(operator.expose(), approve, json!({ "id": id })));
        let results = futures_util::future::join_all(attempts).await;
        let wins = results.iter().filter(|(_, b)| b["errors"].is_null()).count();
        assert_eq!(wins, 1, "{results:?}");
        for (_, body) in results.iter().filter(|(_, b)| !b["errors"].is_null()) {
            let code = &error_codes(body)[0];
            assert!(["CONFLICT", "INVALID_STATUS_TRANSITION"].contains(&code.as_str()), "{body}");
        }
        let body = app.gql("{ customers(filter: { search: \"race-1\" }) { totalCount } }", json!({})).await;
        assert_eq!(body["data"]["customers"]["totalCount"], 1, "{body}");
    }

    async fn the_stores_compare_and_set_refuses_an_application_read_in_another_status_or_version(app) {
        use layer2::domain::application::ApplicationStatus;
        use layer2::store::applications::{Application, compare_and_set, find};
        let key = app.key().to_owned();
        let created = create(&app, &key, json!({ "applicationType": "INDIVIDUAL", "customerId": "t-1" })).await;
        let (_, raw) = layer2::graphql::node::decode(created["id"].as_str().unwrap()).unwrap();
        let principal = layer2::auth::authenticate(&app.database, &layer2::clock::SystemClock, Some(&format!("Bearer {key}"))).await.unwrap();
        let scope = principal.scope();
        let mut pooled = app.database.conn().await.unwrap();
        let stored = find(&mut pooled.conn(), &scope, layer2::domain::ids::ApplicationId(raw)).await.unwrap().unwrap();
        let mut refused = 0;
        // Whatever a writer believes the application is in, only the row's own status and
        // version let a write through: the lifecycle rule weighed on a stale read cannot apply.
        for &from in ApplicationStatus::ALL {
            for version in [stored.version, stored.version + 1] {
                if from == stored.status && version == stored.version {
                    continue;
                }
                let before = Application { status: from, version, ..stored.clone() };
                let after = Application { status: ApplicationStatus::Submitted, version: version + 1, ..stored.clone() };
                assert!(!compare_and_set(&mut pooled.conn(), &scope, &before, &after).await.unwrap(), "{from} v{version}");
                refused += 1;
            }
        }
        assert_eq!(refused, 2 * ApplicationStatus::ALL.len() - 1);
        drop(pooled);
        let body = app.gql(&read_query(), json!({ "id": created["id"] })).await;
        assert_eq!(body["data"]["application"]["status"], "INCOMPLETE");
        assert_eq!(body["data"]["application"]["version"], 1);
    }
}

both_backends! {
    async fn a_create_application_replay_after_an_edit_returns_the_first_application(app) {
        const KEYED: &str = "mutation($input: CreateApplicationInput!, $key: String) {
            createApplication(input: $input, idempotencyKey: $key) { application { id version } } }";
        let input = json!({ "applicationType": "INDIVIDUAL", "customerId": "idem-app-1" });
        let (_, first) = app.gql_as(app.key(), KEYED, json!({ "input": input, "key": "app-key-1" })).await;
        let original = first["data"]["createApplication"]["application"].clone();
        assert_eq!(original["version"], 1, "{first}");
        let edit = "mutation($id: ID!) { updateApplication(id: $id,
            input: { termsAndConditionsAccepted: true }) { application { version } } }";
        let (_, edited) = app.gql_as(app.key(), edit, json!({ "id": original["id"] })).await;
        assert_eq!(edited["data"]["updateApplication"]["application"]["version"], 2, "{edited}");
        // The replay answers the first application as it is now; nothing new is created.
        let (_, again) = app.gql_as(app.key(), KEYED, json!({ "input": input, "key": "app-key-1" })).await;
        assert_eq!(again["data"]["createApplication"]["application"]["id"], original["id"], "{again}");
        assert_eq!(again["data"]["createApplication"]["application"]["version"], 2, "{again}");
        let other = json!({ "applicationType": "INDIVIDUAL", "customerId": "idem-app-2" });
        let (_, reused) = app.gql_as(app.key(), KEYED, json!({ "input": other, "key": "app-key-1" })).await;
        assert_eq!(error_codes(&reused), ["IDEMPOTENCY_KEY_REUSED"], "{reused}");
        // Without the key the same request is a new one, refused: the first holds the customerId.
        let (_, fresh) = app.gql_as(app.key(), KEYED, json!({ "input": input })).await;
        assert_eq!(error_codes(&fresh), ["ALREADY_EXISTS"], "{fresh}");
    }
}
