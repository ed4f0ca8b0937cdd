//! Customers over the API: direct creation, partial updates, the status rules per principal,
//! masking, tenant isolation, concurrency, and keyset pagination.

use serde_json::{Value, json};

use crate::harness::{TestApp, both_backends, error_codes};
use layer2::graphql::node::{NodeKind, encode};

const CUSTOMER_FIELDS: &str =
    "id customerId customerType status version accreditedInvestor displayName
    individual { firstName middleName lastName occupation taxReferenceNumber passportNumber
                 mailingAddress { city state countryCode } }
    corporation { registeredName corporateEntityType }
    permissions { canRead canUpdate canTransact allowedNextStatuses reason }";

fn customer_query() -> String {
    format!(
        "query($id: String!, $client: ID) {{ customer(customerId: $id, clientId: $client) {{ {CUSTOMER_FIELDS} }} }}"
    )
}

fn change_status_mutation() -> String {
    format!(
        "mutation($id: String!, $status: CustomerStatus!, $v: Int, $client: ID) {{
            changeCustomerStatus(customerId: $id, status: $status, reason: \"test\", updatedBy: \"tester\",
                                 expectedVersion: $v, clientId: $client) {{ customer {{ {CUSTOMER_FIELDS} }} }} }}"
    )
}

fn update_mutation() -> String {
    format!(
        "mutation($id: String!, $input: UpdateCustomerInput!, $v: Int, $client: ID) {{
            updateCustomer(customerId: $id, input: $input, reason: \"kyc refresh\", updatedBy: \"ops@client\",
                           expectedVersion: $v, clientId: $client) {{ customer {{ {CUSTOMER_FIELDS} }} }} }}"
    )
}

const CREATE: &str = "mutation($input: CreateCustomerInput!) {
    createCustomer(input: $input) { customer { id customerId customerType status version
        individual { firstName lastName } } } }";

fn create_input(customer_id: &str, account_id: &str) -> Value {
    json!({
        "customerId": customer_id,
        "individual": {
            "firstName": "Jonas", "lastName": "Weber", "emailAddress": "jonas.weber@example.com",
            "telephoneNumber": "+4930123456789", "nationality": "DE", "dateOfBirth": "1979-02-03",
            "mailingAddress": { "addressLine1": "Torstraße 1", "city": "Berlin", "state": "BE",
                                "postalCode": "10119", "countryCode": "DE" },
            "taxReferenceNumber": "DE-1234-5678"
        },
        "accountToOpen": { "accountId": account_id, "productId": "DEPOSIT_BASIC", "assetTypeId": "FIAT_MAINNET_EUR" }
    })
}

const INDIVIDUAL: &str = "sandbox-individual-1";
const CORPORATION: &str = "sandbox-corporation-1";

async fn change_status(
    app: &TestApp,
    key: &str,
    id: &str,
    status: &str,
    version: Option<i64>,
    client: Option<&str>,
) -> Value {
    let (status_code, body) = app
        .gql_as(
            key,
            &change_status_mutation(),
            json!({ "id": id, "status": status, "v": version, "client": client }),
        )
        .await;
    assert_eq!(status_code, 200);
    body
}

fn client_gid(app: &TestApp) -> String {
    encode(NodeKind::Client, app.sandbox.client.id.0).0
}

both_backends! {
    async fn regulated_production_client_creates_a_pending_customer_with_its_account(app) {
        let (_, key) = app.regulated_client().await;
        let (_, body) = app.gql_as(key.expose(), CREATE, json!({ "input": create_input("cust-1", "acct-1") })).await;
        let customer = &body["data"]["createCustomer"]["customer"];
        assert_eq!(customer["status"], "PENDING", "{body}");
        assert_eq!(customer["customerType"], "INDIVIDUAL");
        assert_eq!(customer["version"], 1);
        assert_eq!(customer["individual"]["lastName"], "Weber");

        // The default account was opened in the same step.
        let principal = layer2::auth::authenticate(&app.database, &layer2::clock::SystemClock, Some(&format!("Bearer {}", key.expose()))).await.unwrap();
        let (scope, client_id) = (principal.scope(), principal.client_id().unwrap());
        let mut pooled = app.database.conn().await.unwrap();
        let stored = layer2::store::customers::find_by_external_id(&mut pooled.conn(), &scope, client_id, "cust-1")
            .await.unwrap().unwrap();
        let accounts = layer2::store::accounts::list_for_customer(&mut pooled.conn(), &scope, stored.id).await.unwrap();
        assert_eq!(accounts.len(), 1);
        assert_eq!((accounts[0].external_id.as_str(), accounts[0].asset_type_id.as_str()), ("acct-1", "FIAT_MAINNET_EUR"));
        assert!(accounts[0].is_default);
        drop(pooled);

        // A second customer with the same customerId: ALREADY_EXISTS, nothing changes.
        let (_, body) = app.gql_as(key.expose(), CREATE, json!({ "input": create_input("cust-1", "acct-2") })).await;
        assert_eq!(error_codes(&body), ["ALREADY_EXISTS"], "{body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], "customerId");
        // A new customer whose account id is taken: ALREADY_EXISTS on the account, no customer.
        let (_, body) = app.gql_as(key.expose(), CREATE, json!({ "input": create_input("cust-2", "acct-1") })).await;
        assert_eq!(error_codes(&body), ["ALREADY_EXISTS"], "{body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], "accountToOpen.accountId");
        let (_, body) = app.gql_as(key.expose(), "{ customers { totalCount } }", json!({})).await;
        assert_eq!(body["data"]["customers"]["totalCount"], 1, "{body}");
    }

    async fn direct_creation_is_refused_for_sandbox_unregulated_and_operator(app) {
        let operator = app.operator_key().await;
        let (_, unregulated) = app.client_with_key(layer2::domain::client::Environment::Production, false).await;
        for key in [app.key().to_owned(), operator.expose().to_owned(), unregulated.expose().to_owned()] {
            let (_, body) = app.gql_as(&key, CREATE, json!({ "input": create_input("new-1", "acct-9") })).await;
            assert_eq!(error_codes(&body), ["DIRECT_CUSTOMER_CREATION_NOT_ALLOWED"], "{body}");
            let message = body["errors"][0]["message"].as_str().unwrap();
            assert!(message.contains("createApplication"), "{message}");
        }
        let (_, body) = app.gql_as(app.key(), "{ customers { totalCount } }", json!({})).await;
        assert_eq!(body["data"]["customers"]["totalCount"], 2, "nothing was created");
    }

    async fn every_problem_of_an_input_is_reported_at_once_and_nothing_is_written(app) {
        let (_, key) = app.regulated_client().await;
        let input = json!({
            "customerId": "bad id with spaces",
            "individual": {
                "firstName": "", "lastName": "Weber", "emailAddress": "not-an-email",
                "telephoneNumber": "030 1234", "nationality": "Germany", "dateOfBirth": "2015-01-01",
                "mailingAddress": { "addressLine1": "x", "city": "Berlin", "state": "ZZ", "countryCode": "DE" },
                "employmentStatus": "OTHER"
            },
            "accountToOpen": { "accountId": "a", "productId": "DEPOSIT_BASIC", "assetTypeId": "DOGE_MAINNET_DOGE" }
        });
        let (_, body) = app.gql_as(key.expose(), CREATE, json!({ "input": input })).await;
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{body}");
        let fields: Vec<&str> = body["errors"][0]["extensions"]["fieldErrors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        for expected in [
            "customerId", "accountToOpen.assetTypeId", "individual.firstName", "individual.emailAddress",
            "individual.telephoneNumber", "individual.mailingAddress.state", "individual.nationality",
            "individual.dateOfBirth", "individual.employmentDescription",
        ] {
            assert!(fields.contains(&expected), "{expected} missing from {fields:?}");
        }
        assert_eq!(fields.len(), 9, "{fields:?}");
        let (_, body) = app.gql_as(key.expose(), "{ customers { totalCount } }", json!({})).await;
        assert_eq!(body["data"]["customers"]["totalCount"], 0);
    }

    async fn updates_change_only_what_is_given_and_null_clears(app) {
        let body = app.gql(&update_mutation(), json!({ "id": INDIVIDUAL, "input": {
            "individual": { "middleName": null, "occupation": "Architect" }, "accreditedInvestor": true } })).await;
        let customer = &body["data"]["updateCustomer"]["customer"];
        assert_eq!(customer["individual"]["middleName"], Value::Null, "{body}");
        assert_eq!(customer["individual"]["occupation"], "Architect");
        assert_eq!(customer["individual"]["firstName"], "Amelia", "untouched");
        assert_eq!(customer["individual"]["mailingAddress"]["city"], "San Francisco", "untouched");
        assert_eq!(customer["accreditedInvestor"], true);
        assert_eq!(customer["version"], 2);

        // Required fields cannot be cleared; every problem is reported at once; nothing changes.
        let body = app.gql(&update_mutation(), json!({ "id": INDIVIDUAL,
            "input": { "individual": { "lastName": null, "emailAddress": "bad" } } })).await;
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"]);
        let fields: Vec<&str> = body["errors"][0]["extensions"]["fieldErrors"].as_array().unwrap()
            .iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["individual.lastName", "individual.emailAddress"], "{body}");
        // Setting what is already there writes nothing and keeps the version.
        let body = app.gql(&update_mutation(), json!({ "id": INDIVIDUAL,
            "input": { "individual": { "occupation": "Architect" }, "accreditedInvestor": true } })).await;
        assert_eq!(body["data"]["updateCustomer"]["customer"]["version"], 2, "{body}");
        // Wrong kind of details for the customer.
        let body = app.gql(&update_mutation(), json!({ "id": INDIVIDUAL, "input": { "corporation": { "tradingName": "X" } } })).await;
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"]);
        // A stale expectedVersion is a conflict.
        let body = app.gql(&update_mutation(), json!({ "id": INDIVIDUAL, "v": 1, "input": { "individual": { "occupation": "Chef" } } })).await;
        assert_eq!(error_codes(&body), ["CONFLICT"]);
        let body = app.gql(&customer_query(), json!({ "id": INDIVIDUAL })).await;
        assert_eq!(body["data"]["customer"]["version"], 2);
        assert_eq!(body["data"]["customer"]["individual"]["lastName"], "Hartley");
        assert_eq!(body["data"]["customer"]["individual"]["occupation"], "Architect");
    }

    async fn sensitive_values_are_masked_for_clients_and_whole_for_the_operator(app) {
        let body = app.gql(&customer_query(), json!({ "id": INDIVIDUAL })).await;
        let individual = &body["data"]["customer"]["individual"];
        assert_eq!(individual["taxReferenceNumber"], "****1234", "{body}");
        assert_eq!(individual["passportNumber"], "****5678");
        let operator = app.operator_key().await;
        let (_, body) = app.gql_as(operator.expose(), &customer_query(), json!({ "id": INDIVIDUAL, "client": client_gid(&app) })).await;
        let individual = &body["data"]["customer"]["individual"];
        assert_eq!(individual["taxReferenceNumber"], "900-70-1234", "{body}");
        assert_eq!(individual["passportNumber"], "X12345678");
    }

    async fn status_changes_follow_the_table_and_are_recorded(app) {
        let body = change_status(&app, app.key(), INDIVIDUAL, "EDD", Some(1), None).await;
        assert_eq!(body["data"]["changeCustomerStatus"]["customer"]["status"], "EDD", "{body}");
        assert_eq!(body["data"]["changeCustomerStatus"]["customer"]["version"], 2);

        let body = change_status(&app, app.key(), INDIVIDUAL, "DORMANT", None, None).await;
        assert_eq!(error_codes(&body), ["INVALID_STATUS_TRANSITION"], "{body}");
        assert_eq!(body["errors"][0]["extensions"]["allowedNextStatuses"], json!(["ACTIVE", "CLOSED", "FROZEN"]));
        assert_eq!(body["errors"][0]["extensions"]["currentStatus"], "EDD");

        let body = change_status(&app, app.key(), INDIVIDUAL, "EDD", None, None).await;
        assert_eq!(error_codes(&body), ["INVALID_STATUS_TRANSITION"], "no silent no-op");

        let body = app.gql(&format!("{{ customer(customerId: \"{INDIVIDUAL}\") {{ statusHistory {{ totalCount
            edges {{ node {{ from to reason updatedBy actor at }} }} }} }} }}"), json!({})).await;
        let history = &body["data"]["customer"]["statusHistory"];
        assert_eq!(history["totalCount"], 2, "{body}");
        assert_eq!(history["edges"][0]["node"]["from"], Value::Null);
        assert_eq!(history["edges"][0]["node"]["to"], "ACTIVE");
        assert_eq!(history["edges"][1]["node"], json!({
            "from": "ACTIVE", "to": "EDD", "reason": "test", "updatedBy": "tester", "actor": "CLIENT",
            "at": history["edges"][1]["node"]["at"] }));
    }

    async fn l2f_and_closed_customers_follow_their_rules_per_principal(app) {
        let operator = app.operator_key().await;
        let client = client_gid(&app);
        let body = change_status(&app, operator.expose(), INDIVIDUAL, "ACTIVE_L2F", None, Some(&client)).await;
        assert_eq!(body["data"]["changeCustomerStatus"]["customer"]["status"], "ACTIVE_L2F", "{body}");

        // The client sees the status, cannot act, and is told why.
        let body = app.gql(&customer_query(), json!({ "id": INDIVIDUAL })).await;
        let permissions = &body["data"]["customer"]["permissions"];
        assert_eq!(permissions["canUpdate"], false);
        assert_eq!(permissions["canTransact"], true, "ACTIVE_L2F transacts as ACTIVE does");
        assert_eq!(permissions["allowedNextStatuses"], json!([]));
        assert!(permissions["reason"].as_str().unwrap().contains("platform"));
        let body = app.gql(&update_mutation(), json!({ "id": INDIVIDUAL, "input": { "individual": { "occupation": "X" } } })).await;
        assert_eq!(error_codes(&body), ["CUSTOMER_CANNOT_BE_UPDATED"]);
        let body = change_status(&app, app.key(), INDIVIDUAL, "ACTIVE", None, None).await;
        assert_eq!(error_codes(&body), ["INVALID_STATUS_TRANSITION"]);
        assert_eq!(body["errors"][0]["extensions"]["allowedNextStatuses"], json!([]));

        // The operator may update it and move it back.
        let (_, body) = app.gql_as(operator.expose(), &customer_query(), json!({ "id": INDIVIDUAL, "client": client })).await;
        assert_eq!(body["data"]["customer"]["permissions"]["canUpdate"], true);
        assert_eq!(body["data"]["customer"]["permissions"]["allowedNextStatuses"], json!(["ACTIVE"]));
        let (_, body) = app.gql_as(operator.expose(), &update_mutation(), json!({ "id": INDIVIDUAL, "client": client,
            "input": { "individual": { "occupation": "Reviewed" } } })).await;
        assert_eq!(body["data"]["updateCustomer"]["customer"]["individual"]["occupation"], "Reviewed", "{body}");
        let body = change_status(&app, operator.expose(), INDIVIDUAL, "ACTIVE", None, Some(&client)).await;
        assert_eq!(body["data"]["changeCustomerStatus"]["customer"]["status"], "ACTIVE", "{body}");

        // CLOSED is final for everyone.
        let body = change_status(&app, app.key(), INDIVIDUAL, "CLOSED", None, None).await;
        assert_eq!(body["data"]["changeCustomerStatus"]["customer"]["status"], "CLOSED", "{body}");
        for key in [app.key(), operator.expose()] {
            let (_, body) = app.gql_as(key, &update_mutation(), json!({ "id": INDIVIDUAL, "client": client,
                "input": { "individual": { "occupation": "X" } } })).await;
            assert_eq!(error_codes(&body), ["CUSTOMER_CANNOT_BE_UPDATED"], "{body}");
            let body = change_status(&app, key, INDIVIDUAL, "ACTIVE", None, Some(&client)).await;
            assert_eq!(error_codes(&body), ["INVALID_STATUS_TRANSITION"]);
        }
    }

    async fn another_clients_customers_are_not_found_by_every_query_and_mutation(app) {
        let other = app.another_client().await;
        let other_key = other.key.expose();
        let own_client = client_gid(&app);
        let attempts: Vec<(String, Value)> = vec![
            (customer_query(), json!({ "id": INDIVIDUAL })),
            (customer_query(), json!({ "id": INDIVIDUAL, "client": own_client })),
            (update_mutation(), json!({ "id": INDIVIDUAL, "input": { "individual": { "occupation": "X" } } })),
            (change_status_mutation(), json!({ "id": INDIVIDUAL, "status": "FROZEN" })),
            ("mutation { addCustomerIndividual(customerId: \"sandbox-corporation-1\", updatedBy: \"x\", reason: \"y\",
                input: { individualType: [OFFICER], firstName: \"Eve\", lastName: \"Spy\" }) { customer { id } } }".into(), json!({})),
            ("mutation { updateCustomerIndividual(customerId: \"sandbox-corporation-1\", individualId: \"Q3VzdG9tZXJJbmRpdmlkdWFsOjAxOTFlMWIyLTAwMDAtNzAwMC04MDAwLTAwMDAwMDAwMDAwMA\",
                updatedBy: \"x\", reason: \"y\", input: { title: \"Spy\" }) { customer { id } } }".into(), json!({})),
        ];
        // The other client's ids are the same strings: it must reach its own customers, never ours.
        let before = app.gql(&customer_query(), json!({ "id": INDIVIDUAL })).await;
        for (query, variables) in &attempts {
            let (_, body) = app.gql_as(other_key, query, variables.clone()).await;
            let codes = error_codes(&body);
            if codes.is_empty() {
                // Same customerId, other tenant: it reached its own customer, never ours.
                let data = body["data"].as_object().unwrap().values().next().unwrap();
                let id = data.get("customer").unwrap_or(data)["id"].as_str().unwrap().to_owned();
                let theirs: Vec<String> = other.customers.iter().map(|c| encode(NodeKind::Customer, c.id.0).0).collect();
                let ours: Vec<String> = app.sandbox.customers.iter().map(|c| encode(NodeKind::Customer, c.id.0).0).collect();
                assert!(theirs.contains(&id) && !ours.contains(&id), "{query}: {body}");
            } else {
                assert_eq!(codes, ["NOT_FOUND"], "{query}: {body}");
            }
        }
        let after = app.gql(&customer_query(), json!({ "id": INDIVIDUAL })).await;
        assert_eq!(before["data"], after["data"], "our customer is untouched");

        // Names of ours that the other client does not have: NOT_FOUND, never FORBIDDEN.
        let (_, key) = app.regulated_client().await;
        app.gql_as(key.expose(), CREATE, json!({ "input": create_input("only-ours", "acct-x") })).await;
        for (query, variables) in [
            (customer_query(), json!({ "id": "only-ours" })),
            (update_mutation(), json!({ "id": "only-ours", "input": { "individual": { "occupation": "X" } } })),
            (change_status_mutation(), json!({ "id": "only-ours", "status": "ACTIVE" })),
        ] {
            let (_, body) = app.gql_as(other_key, &query, variables).await;
            assert_eq!(error_codes(&body), ["NOT_FOUND"], "{body}");
        }
        // Lists show only the caller's own; naming another client shows nothing.
        let (_, body) = app.gql_as(other_key, "query($c: ID) { customers(clientId: $c) { totalCount edges { node { id } } } }",
            json!({ "c": own_client })).await;
        assert_eq!(body["data"]["customers"]["totalCount"], 0, "{body}");
        let (_, body) = app.gql_as(other_key, "{ customers { totalCount } }", json!({})).await;
        assert_eq!(body["data"]["customers"]["totalCount"], 2);
        // The operator lists across clients, or one client's with clientId.
        let operator = app.operator_key().await;
        let (_, body) = app.gql_as(operator.expose(), "query($c: ID) { customers(clientId: $c) { totalCount } }", json!({})).await;
        assert_eq!(body["data"]["customers"]["totalCount"], 5, "two sandboxes and the regulated client's: {body}");
        let (_, body) = app.gql_as(operator.expose(), "query($c: ID) { customers(clientId: $c) { totalCount } }",
            json!({ "c": own_client })).await;
        assert_eq!(body["data"]["customers"]["totalCount"], 2, "{body}");
    }

    async fn concurrent_status_changes_have_one_winner_per_version(app) {
        // Round one: everyone races from version 1; exactly one may win.
        let targets = ["EDD", "DORMANT", "FROZEN", "CLOSED"];
        let mut tasks = Vec::new();
        for i in 0..24 {
            let (url, key) = (app.url("/graphql"), app.key().to_owned());
            let status = targets[i % targets.len()];
            tasks.push(tokio::spawn(async move {
                let body: Value = reqwest::Client::new().post(url).bearer_auth(key)
                    .json(&json!({ "query": change_status_mutation(), "variables": { "id": INDIVIDUAL, "status": status, "v": 1 } }))
                    .send().await.unwrap().json().await.unwrap();
                body
            }));
        }
        let mut winners = 0;
        for task in tasks {
            let body = task.await.unwrap();
            match error_codes(&body).as_slice() {
                [] => winners += 1,
                [code] => assert_eq!(code, "CONFLICT", "{body}"),
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(winners, 1);

        // Round two: no expected version; changes race freely, but none is lost.
        let current = app.gql(&customer_query(), json!({ "id": CORPORATION })).await;
        assert_eq!(current["data"]["customer"]["version"], 1);
        let mut tasks = Vec::new();
        for i in 0..30 {
            let (url, key) = (app.url("/graphql"), app.key().to_owned());
            let status = if i % 2 == 0 { "FROZEN" } else { "ACTIVE" };
            tasks.push(tokio::spawn(async move {
                let body: Value = reqwest::Client::new().post(url).bearer_auth(key)
                    .json(&json!({ "query": change_status_mutation(), "variables": { "id": CORPORATION, "status": status } }))
                    .send().await.unwrap().json().await.unwrap();
                body
            }));
        }
        let mut successes = 0;
        for task in tasks {
            let body = task.await.unwrap();
            match error_codes(&body).as_slice() {
                [] => successes += 1,
                [code] => assert!(code == "CONFLICT" || code == "INVALID_STATUS_TRANSITION", "{body}"),
                other => panic!("{other:?}"),
            }
        }
        let body = app.gql(&format!("{{ customer(customerId: \"{CORPORATION}\") {{ status version
            statusHistory(first: 100) {{ totalCount edges {{ node {{ from to }} }} }} }} }}"), json!({})).await;
        let customer = &body["data"]["customer"];
        assert_eq!(customer["version"], 1 + successes, "every success and only those bumped the version");
        let edges = customer["statusHistory"]["edges"].as_array().unwrap();
        assert_eq!(edges.len() as i64, 1 + successes);
        for pair in edges.windows(2) {
            assert_eq!(pair[1]["node"]["from"], pair[0]["node"]["to"], "history is one unbroken chain");
        }
        assert_eq!(edges.last().unwrap()["node"]["to"], customer["status"]);
    }

    async fn corporate_individuals_follow_the_ownership_rules(app) {
        let add = "mutation($input: CustomerIndividualInput!) { addCustomerIndividual(customerId: \"sandbox-corporation-1\",
            input: $input, updatedBy: \"ops\", reason: \"kyb\") { customer { version individuals { id individualType percentageOwnership taxReferenceNumber } }
            individual { id individualType percentageOwnership } } }";
        let person = |types: Value, pct: Value| json!({ "input": { "individualType": types, "percentageOwnership": pct,
            "firstName": "Ada", "lastName": "Lovelace", "dateOfBirth": "1985-12-10", "taxReferenceNumber": "123456789" } });
        let body = app.gql(add, person(json!(["OFFICER"]), Value::Null)).await;
        assert_eq!(body["data"]["addCustomerIndividual"]["customer"]["version"], 2, "{body}");
        let body = app.gql(add, person(json!(["BENEFICIAL_OWNER", "OFFICER"]), json!(60))).await;
        let owner_id = body["data"]["addCustomerIndividual"]["individual"]["id"].as_str().unwrap().to_owned();
        assert_eq!(body["data"]["addCustomerIndividual"]["individual"]["individualType"], json!(["OFFICER", "BENEFICIAL_OWNER"]));
        let individuals = body["data"]["addCustomerIndividual"]["customer"]["individuals"].as_array().unwrap();
        assert_eq!(individuals.len(), 2);
        assert_eq!(individuals[1]["taxReferenceNumber"], "****6789", "masked for the client");

        // 60 + 50 > 100: refused, nothing added.
        let body = app.gql(add, person(json!(["BENEFICIAL_OWNER"]), json!(50))).await;
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], "input.percentageOwnership");
        // Ownership only for owners; roles required; two decimals at most.
        for (types, pct) in [(json!(["OFFICER"]), json!(10)), (json!([]), Value::Null), (json!(["BENEFICIAL_OWNER"]), json!(10.555))] {
            let body = app.gql(add, person(types, pct)).await;
            assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{body}");
        }
        // Lower the first owner to 40%; then 50% more fits.
        let update = "mutation($id: ID!) { updateCustomerIndividual(customerId: \"sandbox-corporation-1\", individualId: $id,
            input: { percentageOwnership: 40 }, updatedBy: \"ops\", reason: \"cap table\") { individual { percentageOwnership } } }";
        let body = app.gql(update, json!({ "id": owner_id })).await;
        assert_eq!(body["data"]["updateCustomerIndividual"]["individual"]["percentageOwnership"], 40.0, "{body}");
        let body = app.gql(add, person(json!(["BENEFICIAL_OWNER"]), json!(50))).await;
        assert!(body.get("errors").is_none(), "{body}");
        let body = app.gql("{ customer(customerId: \"sandbox-corporation-1\") { version individuals { percentageOwnership } } }", json!({})).await;
        assert_eq!(body["data"]["customer"]["individuals"].as_array().unwrap().len(), 3);
        assert_eq!(body["data"]["customer"]["version"], 5);

        // Individuals belong to corporations only.
        let body = app.gql(&add.replace("sandbox-corporation-1", INDIVIDUAL), person(json!(["OFFICER"]), Value::Null)).await;
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"]);
    }

    async fn a_page_of_customers_costs_the_same_statements_whatever_its_size(app) {
        layer2::seed::synthetic_customers(&app.database, app.sandbox.client.id, 120).await.unwrap();
        let add = "mutation { addCustomerIndividual(customerId: \"sandbox-corporation-1\", updatedBy: \"ops\", reason: \"kyb\",
            input: { individualType: [OFFICER], firstName: \"Ada\", lastName: \"Lovelace\" }) { individual { id } } }";
        assert!(app.gql(add, json!({})).await.get("errors").is_none());
        let page = |n: i64| format!("{{ customers(first: {n}) {{ edges {{ node {{ customerId status
            individuals {{ id firstName }} permissions {{ canUpdate allowedNextStatuses }} }} }} }} }}");
        app.gql(&page(5), json!({})).await; // the key is verified
        let mut counts = Vec::new();
        for n in [10, 100] {
            let body = app.gql(&page(n), json!({})).await;
            assert_eq!(body["data"]["customers"]["edges"].as_array().unwrap().len() as i64, n, "{body}");
            counts.push(body["extensions"]["statements"].as_u64().expect("statements reported"));
        }
        eprintln!("statements for a page of 10 and of 100 customers: {counts:?}");
        assert_eq!(counts, [2, 2], "the page, then the people of every customer at once (the key is cached)");
    }

    async fn keyset_pages_cover_a_few_thousand_customers_without_gaps_or_repeats(app) {
        layer2::seed::synthetic_customers(&app.database, app.sandbox.client.id, 2_500).await.unwrap();
        let page_query = "query($first: Int, $after: String, $last: Int, $before: String, $order: CustomerOrderInput, $filter: CustomerFilterInput) {
            customers(first: $first, after: $after, last: $last, before: $before, orderBy: $order, filter: $filter) {
                totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { customerId } } } }";
        for order in [json!({ "field": "CREATED_AT", "direction": "ASC" }), json!({ "field": "CUSTOMER_ID", "direction": "DESC" })] {
            let mut seen = Vec::new();
            let mut after: Option<String> = None;
            loop {
                let body = app.gql(page_query, json!({ "first": 100, "after": after, "order": order })).await;
                let page = &body["data"]["customers"];
                assert_eq!(page["totalCount"], 2_502, "{body}");
                for edge in page["edges"].as_array().unwrap() {
                    seen.push(edge["node"]["customerId"].as_str().unwrap().to_owned());
                }
                if page["pageInfo"]["hasNextPage"] == false {
                    break;
                }
                after = page["pageInfo"]["endCursor"].as_str().map(str::to_owned);
            }
            let mut unique = seen.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(seen.len(), 2_502, "no gaps");
            assert_eq!(unique.len(), 2_502, "no repeats");
            if order["field"] == "CUSTOMER_ID" {
                let mut expected = seen.clone();
                expected.sort_by(|a, b| b.cmp(a));
                assert_eq!(seen, expected, "customerId order, descending");
            }

            // Backwards from the end gives the same list, reversed in pages.
            let mut backwards = Vec::new();
            let mut before: Option<String> = None;
            loop {
                let body = app.gql(page_query, json!({ "last": 100, "before": before, "order": order })).await;
                let page = &body["data"]["customers"];
                let mut ids: Vec<String> = page["edges"].as_array().unwrap().iter()
                    .map(|e| e["node"]["customerId"].as_str().unwrap().to_owned()).collect();
                ids.append(&mut backwards);
                backwards = ids;
                if page["pageInfo"]["hasPreviousPage"] == false {
                    break;
                }
                before = page["pageInfo"]["startCursor"].as_str().map(str::to_owned);
            }
            assert_eq!(backwards, seen);
        }

        // Filters combine, and the total follows them.
        let body = app.gql(page_query, json!({ "first": 100, "filter": { "customerType": "CORPORATION", "accreditedInvestor": true } })).await;
        // Odd n are corporations, n % 5 == 0 accredited: n = 5, 15, 25, … below 2 500 (250), plus the seeded corporation.
        assert_eq!(body["data"]["customers"]["totalCount"], 251, "{body}");
        // Corporations are "<family name of n % 8> Labs <n> LLC": Hopper for n = 1, 9, 17, … (313).
        let body = app.gql(page_query, json!({ "first": 10, "filter": { "search": "HOPPER labs" } })).await;
        assert_eq!(body["data"]["customers"]["totalCount"], 313, "{body}");
        let body = app.gql(page_query, json!({ "first": 10, "filter": { "search": "100%" } })).await;
        assert_eq!(body["data"]["customers"]["totalCount"], 0, "wildcards are literal");
        let body = app.gql(page_query, json!({ "first": 10, "filter": { "status": ["FROZEN", "CLOSED"] } })).await;
        assert_eq!(body["data"]["customers"]["totalCount"], 0);
        // A cursor from another ordering is refused.
        let body = app.gql(page_query, json!({ "first": 1 })).await;
        let cursor = body["data"]["customers"]["pageInfo"]["endCursor"].as_str().unwrap().to_owned();
        let body = app.gql(page_query, json!({ "first": 1, "after": cursor, "order": { "field": "CUSTOMER_ID" } })).await;
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"]);
        let body = app.gql(page_query, json!({ "first": 101 })).await;
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"]);
    }
}

both_backends! {
    async fn a_create_customer_replay_after_the_customer_changed_returns_the_first_customer(app) {
        const KEYED: &str = "mutation($input: CreateCustomerInput!, $key: String) {
            createCustomer(input: $input, idempotencyKey: $key) { customer { id customerId version } } }";
        let (_, key) = app.regulated_client().await;
        let vars = json!({ "input": create_input("idem-c-1", "idem-a-1"), "key": "cust-key-1" });
        let (_, first) = app.gql_as(key.expose(), KEYED, vars.clone()).await;
        let original = first["data"]["createCustomer"]["customer"].clone();
        assert_eq!(original["version"], 1, "{first}");
        // The customer changes; a replay still answers the first customer, as it is now.
        let (_, changed) = app.gql_as(key.expose(), "mutation { updateCustomer(customerId: \"idem-c-1\",
            input: { accreditedInvestor: true }, updatedBy: \"ops\", reason: \"kyc\") { customer { version } } }",
            json!({})).await;
        assert_eq!(changed["data"]["updateCustomer"]["customer"]["version"], 2, "{changed}");
        let (_, again) = app.gql_as(key.expose(), KEYED, vars).await;
        assert_eq!(again["data"]["createCustomer"]["customer"]["id"], original["id"], "{again}");
        assert_eq!(again["data"]["createCustomer"]["customer"]["version"], 2, "{again}");
        // Another request under the same key is refused; without a key the request is new.
        let other = json!({ "input": create_input("idem-c-2", "idem-a-2"), "key": "cust-key-1" });
        let (_, reused) = app.gql_as(key.expose(), KEYED, other).await;
        assert_eq!(error_codes(&reused), ["IDEMPOTENCY_KEY_REUSED"], "{reused}");
        let (_, fresh) = app.gql_as(key.expose(), KEYED, json!({ "input": create_input("idem-c-1", "idem-a-1") })).await;
        assert_eq!(error_codes(&fresh), ["ALREADY_EXISTS"], "{fresh}");
        let (_, count) = app.gql_as(key.expose(), "{ customers { totalCount } }", json!({})).await;
        assert_eq!(count["data"]["customers"]["totalCount"], 1, "{count}");
    }
}

crate::harness::both_backends_configured! {
    async fn total_count_stops_at_its_bound_and_says_so(app, |s| s.max_total_count = 3) {
        let count = "{ customers(first: 1) { totalCount totalCountIsExact } }";
        let body = app.gql(count, json!({})).await;
        assert_eq!(body["data"]["customers"], json!({ "totalCount": 2, "totalCountIsExact": true }), "{body}");
        layer2::seed::synthetic_customers(&app.database, app.sandbox.client.id, 2)
            .await
            .expect("customers");
        let body = app.gql(count, json!({})).await;
        assert_eq!(body["data"]["customers"], json!({ "totalCount": 3, "totalCountIsExact": false }), "{body}");
        // Both fields, one count.
        assert_eq!(body["extensions"]["statements"], 2, "{body}");
        // A filter is counted the same way.
        let active = "{ customers(filter: { search: \"synthetic\" }) { totalCount totalCountIsExact } }";
        let body = app.gql(active, json!({})).await;
        assert_eq!(body["data"]["customers"], json!({ "totalCount": 2, "totalCountIsExact": true }), "{body}");
    }
}
