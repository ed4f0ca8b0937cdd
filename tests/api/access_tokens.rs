//! Access tokens: minted by an API key only, limited to their scopes and (when they name
//! customers) to those customers on every path through the graph, NOT_FOUND for anything
//! else; they stop when expired or revoked; an onboarding token builds and submits one
//! application; a token has allowances of its own.

use serde_json::{Value, json};

use crate::applications::{act, create, individual_input, upload_passport};
use crate::harness::{
    TestApp, both_backends, both_backends_configured, clocked_backends, error_codes,
};
use crate::money::{
    CORPORATION, CORPORATION_ACCOUNT, INDIVIDUAL, INDIVIDUAL_ACCOUNT, create_transfer_mutation,
    deposit, ok, open_account,
};

const MINT: &str = "mutation($input: CreateAccessTokenInput!) { createAccessToken(input: $input) {
    token accessToken { id prefix scopes customerIds expiresAt } } }";

/// Mints a token with the sandbox key; the token and its description.
async fn mint(
    app: &TestApp,
    scopes: &[&str],
    customers: Option<&[&str]>,
    ttl: Option<i32>,
) -> (String, Value) {
    let input =
        json!({ "scopes": scopes, "customerIds": customers, "ttlSeconds": ttl, "label": "test" });
    let minted = ok(
        app,
        app.key(),
        MINT,
        json!({ "input": input }),
        "createAccessToken",
    )
    .await;
    let token = minted["token"].as_str().expect("token").to_owned();
    assert!(token.starts_with("l2at_"), "{token}");
    (token, minted["accessToken"].clone())
}

/// The response to `query` sent with `token`.
async fn as_token(app: &TestApp, token: &str, query: &str, variables: Value) -> (u16, Value) {
    app.gql_as(token, query, variables).await
}

const READ_ALL: [&str; 5] = [
    "CUSTOMERS_READ",
    "ACCOUNTS_READ",
    "PAYORS_READ",
    "APPLICATIONS_READ",
    "EVENTS_READ",
];

/// Gives the corporation (the customer the tests' token must not see) something of each
/// kind: a person, a payor, a payment address, a transaction and a transfer; another
/// customer-to-be an application; and the individual a transaction. The global ids of the corporation's objects.
async fn other_customers_objects(app: &TestApp) -> Vec<(String, String)> {
    let key = app.key();
    deposit(app, key, INDIVIDUAL_ACCOUNT, "30.00").await;
    let deposited = deposit(app, key, CORPORATION_ACCOUNT, "40.00").await;
    let payor = ok(app, key, "mutation { createPayor(customerId: \"sandbox-corporation-1\",
        input: { payorId: \"p-1\", firstName: \"Ada\", lastName: \"Lovelace\", countryCode: \"GB\" }) {
        payor { id } } }", json!({}), "createPayor").await;
    let address = ok(app, key, "mutation { requestPaymentAddress(accountId: \"sandbox-corporation-1-usd\",
        payorId: \"p-1\", paymentReference: \"ref-1\", idempotencyKey: \"addr-1\") { paymentAddress { id } } }",
        json!({}), "requestPaymentAddress").await;
    open_account(
        app,
        key,
        CORPORATION,
        "corp-usd-2",
        "PAYMENT_BASIC",
        "FIAT_TESTNET_USD",
    )
    .await;
    let variables =
        json!({ "from": CORPORATION_ACCOUNT, "to": "corp-usd-2", "amount": "1.00", "key": "t-1" });
    let transfer = ok(
        app,
        key,
        &create_transfer_mutation(),
        variables,
        "createTransfer",
    )
    .await;
    let person =
        json!({ "individualType": ["OFFICER"], "firstName": "Ada", "lastName": "Lovelace" });
    let added = ok(
        app,
        key,
        "mutation($input: CustomerIndividualInput!) { addCustomerIndividual(
            customerId: \"sandbox-corporation-1\", input: $input, reason: \"kyb\", updatedBy: \"t\") {
            individual { id } } }",
        json!({ "input": person }),
        "addCustomerIndividual",
    )
    .await;
    let application = create(app, key, individual_input("someone-else", "else-usd")).await;
    let corporation = ok(
        app,
        key,
        "{ customer(customerId: \"sandbox-corporation-1\") { id
        accounts { nodes { id } } } }",
        json!({}),
        "customer",
    )
    .await;
    vec![
        (
            "Customer".into(),
            corporation["id"].as_str().expect("id").into(),
        ),
        (
            "Account".into(),
            corporation["accounts"]["nodes"][0]["id"]
                .as_str()
                .expect("id")
                .into(),
        ),
        (
            "Payor".into(),
            payor["payor"]["id"].as_str().expect("id").into(),
        ),
        (
            "PaymentAddress".into(),
            address["paymentAddress"]["id"].as_str().expect("id").into(),
        ),
        (
            "Transaction".into(),
            deposited["transaction"]["id"].as_str().expect("id").into(),
        ),
        (
            "Transfer".into(),
            transfer["transfer"]["id"].as_str().expect("id").into(),
        ),
        (
            "CustomerIndividual".into(),
            added["individual"]["id"].as_str().expect("a person").into(),
        ),
        (
            "Application".into(),
            application["id"].as_str().expect("an application").into(),
        ),
        (
            "ApplicationDocument".into(),
            application["documents"][0]["id"]
                .as_str()
                .expect("a document")
                .into(),
        ),
    ]
}

both_backends! {
    async fn a_token_for_one_customer_sees_exactly_that_customer_everywhere(app) {
        let others = other_customers_objects(&app).await;
        let (token, described) = mint(&app, &READ_ALL, Some(&[INDIVIDUAL]), None).await;
        assert_eq!(described["customerIds"], json!([INDIVIDUAL]));

        // Lists and their counts.
        let (_, body) = as_token(&app, &token, "{ customers { totalCount nodes { customerId } } }", json!({})).await;
        assert_eq!(body["data"]["customers"], json!({ "totalCount": 1, "nodes": [{ "customerId": INDIVIDUAL }] }), "{body}");
        // Lookups, aliased side by side: the other customer does not exist for this token.
        let (_, body) = as_token(&app, &token, "{ mine: customer(customerId: \"sandbox-individual-1\") { customerId }
            theirs: customer(customerId: \"sandbox-corporation-1\") { customerId }
            account: account(accountId: \"sandbox-corporation-1-usd\") { accountId }
            payor: payor(customerId: \"sandbox-corporation-1\", payorId: \"p-1\") { payorId } }", json!({})).await;
        assert_eq!(body["data"]["mine"]["customerId"], INDIVIDUAL, "{body}");
        assert_eq!(error_codes(&body), ["NOT_FOUND", "NOT_FOUND", "NOT_FOUND"], "{body}");
        // Every kind of object of the other customer, by global id: nothing.
        for (kind, id) in &others {
            let (_, body) = as_token(&app, &token, "query($id: ID!) { node(id: $id) { id } }", json!({ "id": id })).await;
            assert!(body["data"]["node"].is_null(), "{kind} {id}: {body}");
            assert!(body["errors"].is_null() || error_codes(&body) == ["NOT_FOUND"], "{kind}: {body}");
        }
        // Its own graph, nested, is whole.
        let (_, body) = as_token(&app, &token, "{ customer(customerId: \"sandbox-individual-1\") {
            accounts { nodes { accountId transactions { nodes { value } } } } payors { nodes { payorId } } } }", json!({})).await;
        assert!(body["errors"].is_null(), "{body}");
        assert_eq!(body["data"]["customer"]["accounts"]["nodes"][0]["accountId"], INDIVIDUAL_ACCOUNT);
        assert_eq!(body["data"]["customer"]["accounts"]["nodes"][0]["transactions"]["nodes"][0]["value"], "30.00");
        // A transfer between its customer and another: its own side shows, the other
        // customer's account does not exist for the token.
        let variables = json!({ "from": INDIVIDUAL_ACCOUNT, "to": CORPORATION_ACCOUNT, "amount": "1.00", "key": "x-1" });
        let across = ok(&app, app.key(), &create_transfer_mutation(), variables, "createTransfer").await;
        let transfer_id = across["transfer"]["id"].clone();
        let (_, body) = as_token(&app, &token, "query($id: ID!) { node(id: $id) { ... on Transfer {
            amount sourceAccount { accountId } } } }", json!({ "id": transfer_id })).await;
        assert_eq!(body["data"]["node"], json!({ "amount": "1.00", "sourceAccount": { "accountId": INDIVIDUAL_ACCOUNT } }), "{body}");
        let (_, body) = as_token(&app, &token, "query($id: ID!) { node(id: $id) { ... on Transfer {
            destinationAccount { accountId currentBalance } } } }", json!({ "id": transfer_id })).await;
        assert_eq!(error_codes(&body), ["NOT_FOUND"], "{body}");
        assert!(!body.to_string().contains(CORPORATION_ACCOUNT), "{body}");

        // The event log holds its customer's events only.
        let (_, body) = as_token(&app, &token, "{ events(first: 100) { nodes { type customerId } } }", json!({})).await;
        let events = body["data"]["events"]["nodes"].as_array().cloned().unwrap_or_default();
        assert!(!events.is_empty(), "{body}");
        assert!(events.iter().all(|e| e["customerId"] == INDIVIDUAL), "{body}");
        // What the token is.
        let (_, body) = as_token(&app, &token, "{ viewer { scopes customerIds expiresAt } }", json!({})).await;
        assert_eq!(body["data"]["viewer"]["customerIds"], json!([INDIVIDUAL]), "{body}");
        assert_eq!(body["data"]["viewer"]["scopes"], json!(READ_ALL), "{body}");
        assert_eq!(body["data"]["viewer"]["expiresAt"], described["expiresAt"]);
        // The key sees both customers, still.
        let body = app.gql("{ customers { totalCount } }", json!({})).await;
        assert_eq!(body["data"]["customers"]["totalCount"], 2);
    }

    async fn a_token_cannot_mint_tokens_nor_act_outside_its_scopes(app) {
        let (reader, _) = mint(&app, &["CUSTOMERS_READ"], None, None).await;
        let (_, body) = as_token(&app, &reader, MINT, json!({ "input": { "scopes": ["CUSTOMERS_READ"] } })).await;
        assert_eq!(error_codes(&body), ["FORBIDDEN"], "{body}");
        assert_eq!(body["errors"][0]["extensions"]["requiredScope"], "MANAGE_INTEGRATION", "{body}");
        let (_, body) = as_token(&app, &reader, "{ customer(customerId: \"sandbox-individual-1\") { customerId accounts { nodes { accountId } } } }", json!({})).await;
        assert_eq!(body["data"]["customer"]["customerId"], INDIVIDUAL, "{body}");
        assert_eq!(error_codes(&body), ["FORBIDDEN"], "{body}");
        assert_eq!(body["errors"][0]["extensions"]["requiredScope"], "ACCOUNTS_READ", "{body}");
        let update = "mutation { updateCustomer(customerId: \"sandbox-individual-1\", updatedBy: \"t\", reason: \"r\",
            input: { individual: { occupation: \"Pilot\" } }) { customer { customerId } } }";
        let (_, body) = as_token(&app, &reader, update, json!({})).await;
        assert_eq!(body["errors"][0]["extensions"]["requiredScope"], "MANAGE_CUSTOMERS", "{body}");
        let (_, body) = as_token(&app, &reader, "{ webhookSubscriptions { id } }", json!({})).await;
        assert_eq!(body["errors"][0]["extensions"]["requiredScope"], "MANAGE_INTEGRATION", "{body}");
        // Scopes only an API key holds cannot be granted.
        let body = app.gql(MINT, json!({ "input": { "scopes": ["MANAGE_CUSTOMERS"] } })).await;
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{body}");

        // Transfers: between one customer's own accounts only.
        deposit(&app, app.key(), INDIVIDUAL_ACCOUNT, "20.00").await;
        open_account(&app, app.key(), INDIVIDUAL, "ind-usd-2", "DEPOSIT_BASIC", "FIAT_TESTNET_USD").await;
        let transfer = |to: &str, key: &str| json!({ "from": INDIVIDUAL_ACCOUNT, "to": to, "amount": "1.00", "key": key });
        let (_, body) = as_token(&app, &reader, &create_transfer_mutation(), transfer("ind-usd-2", "a")).await;
        assert_eq!(body["errors"][0]["extensions"]["requiredScope"], "TRANSFERS_WRITE", "{body}");
        let (payer, _) = mint(&app, &["TRANSFERS_WRITE", "ACCOUNTS_READ"], Some(&[INDIVIDUAL]), None).await;
        let (_, body) = as_token(&app, &payer, &create_transfer_mutation(), transfer("ind-usd-2", "b")).await;
        assert_eq!(body["data"]["createTransfer"]["transfer"]["status"], "REQUESTED", "{body}");
        let (_, body) = as_token(&app, &payer, &create_transfer_mutation(), transfer(CORPORATION_ACCOUNT, "c")).await;
        assert_eq!(error_codes(&body), ["NOT_FOUND"], "another customer's account does not exist for it: {body}");
        let (anyone, _) = mint(&app, &["TRANSFERS_WRITE", "ACCOUNTS_READ"], None, None).await;
        let (_, body) = as_token(&app, &anyone, &create_transfer_mutation(), transfer(CORPORATION_ACCOUNT, "d")).await;
        assert_eq!(body["errors"][0]["extensions"]["requiredScope"], "MANAGE_CUSTOMERS", "{body}");
        // Listing tokens is the key's: without secrets.
        let listed = ok(&app, app.key(), "{ accessTokens { prefix scopes customerIds } }", json!({}), "accessTokens").await;
        assert_eq!(listed.as_array().map(Vec::len), Some(3), "{listed}");
        assert!(!listed.to_string().contains(&payer), "no secret in a listing");
    }

    async fn an_onboarding_token_builds_and_submits_one_application_and_nothing_else(app) {
        // It may read its customer too, which exists once the application is approved.
        let scopes = ["APPLICATIONS_WRITE", "APPLICATIONS_READ", "CUSTOMERS_READ"];
        let (token, _) = mint(&app, &scopes, Some(&["onboard-1"]), Some(3600)).await;
        let application = create(&app, &token, individual_input("onboard-1", "onboard-1-usd")).await;
        assert_eq!(application["customerId"], "onboard-1");
        let uploaded = upload_passport(&app, &token, &application).await;
        assert_eq!(uploaded["status"], "READY_FOR_SUBMISSION", "{uploaded}");
        let id = application["id"].as_str().expect("id");
        let submitted = act(&app, &token, "submitApplication", id, "").await;
        assert_eq!(submitted["data"]["submitApplication"]["application"]["status"], "SUBMITTED", "{submitted}");

        // Nothing else: another customer's application, a second one, the review, the
        // customers, the key's other applications.
        let (_, body) = as_token(&app, &token, &crate::applications::create_mutation(),
            json!({ "input": individual_input("someone-else", "else-usd") })).await;
        assert_eq!(error_codes(&body), ["NOT_FOUND"], "not its customer: {body}");
        // AccountIds are the client's; a token names its customer's only, so that whether
        // another customer's accountId is taken is never its to learn.
        let (second, _) = mint(&app, &scopes, Some(&["onboard-2"]), None).await;
        let (_, body) = as_token(&app, &second, &crate::applications::create_mutation(),
            json!({ "input": individual_input("onboard-2", "sandbox-corporation-1-usd") })).await;
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{body}");
        assert_eq!(body["errors"][0]["extensions"]["fieldErrors"][0]["field"], "accountToOpen.accountId", "{body}");
        assert!(!body.to_string().contains("already"), "{body}");
        let (_, body) = as_token(&app, &token, &crate::applications::create_mutation(),
            json!({ "input": individual_input("onboard-1", "onboard-1-usd") })).await;
        assert!(!error_codes(&body).is_empty(), "a second application for the same customer: {body}");
        let decided = act(&app, &token, "simulateApplicationDecision", id, ", decision: APPROVE, reason: \"ok\"").await;
        assert_eq!(decided["errors"][0]["extensions"]["requiredScope"], "MANAGE_CUSTOMERS", "{decided}");
        let (_, body) = as_token(&app, &token, "{ customers { totalCount } }", json!({})).await;
        assert_eq!(body["data"]["customers"]["totalCount"], 0, "not yet a customer: {body}");
        let (_, body) = as_token(&app, &token, "{ accounts: customer(customerId: \"sandbox-individual-1\") { customerId } }", json!({})).await;
        assert_eq!(error_codes(&body), ["NOT_FOUND"], "{body}");
        // A customer's people by id need CUSTOMERS_READ, even though an application's
        // people (the same type) are read with APPLICATIONS_READ.
        let person = json!({ "individualType": ["OFFICER"], "firstName": "Ada", "lastName": "Lovelace" });
        let added = ok(&app, app.key(), "mutation($input: CustomerIndividualInput!) { addCustomerIndividual(
            customerId: \"sandbox-corporation-1\", input: $input, reason: \"kyb\", updatedBy: \"t\") {
            individual { id } } }", json!({ "input": person }), "addCustomerIndividual").await;
        let (applications_only, _) = mint(&app, &["APPLICATIONS_READ"], None, None).await;
        let (_, body) = as_token(&app, &applications_only, "query($id: ID!) { node(id: $id) {
            ... on CustomerIndividual { firstName } } }", json!({ "id": added["individual"]["id"] })).await;
        assert_eq!(body["errors"][0]["extensions"]["requiredScope"], "CUSTOMERS_READ", "{body}");
        assert!(!body.to_string().contains("Lovelace"), "{body}");
        create(&app, app.key(), individual_input("key-own", "key-own-usd")).await;
        let (_, body) = as_token(&app, &token, "{ applications { totalCount nodes { customerId } } }", json!({})).await;
        assert_eq!(body["data"]["applications"]["nodes"], json!([{ "customerId": "onboard-1" }]), "{body}");
    }
}

clocked_backends! {
    async fn a_token_stops_working_when_it_expires_or_is_revoked(app, clock, |_| {}) {
        let (token, described) = mint(&app, &["CUSTOMERS_READ"], None, Some(60)).await;
        let read = "{ customers { totalCount } }";
        let (status, _) = as_token(&app, &token, read, json!({})).await;
        assert_eq!(status, 200);
        clock.advance(chrono::Duration::seconds(59));
        assert_eq!(as_token(&app, &token, read, json!({})).await.0, 200);
        clock.advance(chrono::Duration::seconds(1));
        let (status, body) = as_token(&app, &token, read, json!({})).await;
        assert_eq!(status, 401, "{body}");
        assert_eq!(error_codes(&body), ["UNAUTHENTICATED"]);
        assert!(described["expiresAt"].is_string());

        let (token, described) = mint(&app, &["CUSTOMERS_READ"], None, None).await;
        assert_eq!(as_token(&app, &token, read, json!({})).await.0, 200);
        let revoke = "mutation($id: ID!) { revokeAccessToken(id: $id) { accessToken { revokedAt } } }";
        let revoked = ok(&app, app.key(), revoke, json!({ "id": described["id"] }), "revokeAccessToken").await;
        assert!(revoked["accessToken"]["revokedAt"].is_string(), "{revoked}");
        // At once on the server that revoked it.
        let (status, body) = as_token(&app, &token, read, json!({})).await;
        assert_eq!(status, 401, "{body}");
        // And revoked tokens are not listed.
        let listed = ok(&app, app.key(), "{ accessTokens { id } }", json!({}), "accessTokens").await;
        assert_eq!(listed, json!([]), "{listed}");
    }
}

both_backends_configured! {
    async fn a_token_has_a_request_allowance_of_its_own(app, |s| {
        s.allowances.sandbox.request_burst = 8;
        s.allowances.sandbox.requests_per_sec = 1;
    }) {
        // A quarter of its key's: two requests at once, then 429 for the token only.
        let (token, _) = mint(&app, &["CUSTOMERS_READ"], None, None).await;
        let read = "{ customers { totalCount } }";
        let mut statuses = Vec::new();
        for _ in 0..3 {
            statuses.push(as_token(&app, &token, read, json!({})).await.0);
        }
        assert_eq!(statuses, [200, 200, 429]);
        let (status, _) = app.gql_as(app.key(), read, json!({})).await;
        assert_eq!(status, 200, "the key still has its own");
    }
}

both_backends_configured! {
    async fn a_token_dies_with_the_key_that_minted_it(app, |s| {
        s.key_cache_ttl = std::time::Duration::ZERO;
    }) {
        let (token, _) = mint(&app, &["CUSTOMERS_READ"], None, None).await;
        let read = "{ customers { totalCount } }";
        assert_eq!(as_token(&app, &token, read, json!({})).await.0, 200);
        let mut pooled = app.database.conn().await.expect("connection");
        let revoked = layer2::store::api_keys::revoke(&mut pooled.conn(), app.sandbox.key.prefix()).await;
        assert_eq!(revoked.ok(), Some(true));
        let (status, body) = as_token(&app, &token, read, json!({})).await;
        assert_eq!(status, 401, "{body}");
        assert_eq!(error_codes(&body), ["UNAUTHENTICATED"], "{body}");
    }
}

both_backends! {
    async fn a_token_lives_on_its_clients_sandbox_clock_whoever_mints_it(app) {
        let by = json!({ "days": 2, "hours": 0, "minutes": 0 });
        ok(&app, app.key(), "mutation($by: SandboxClockAdvance!) { advanceSandboxClock(by: $by) {
            clock { now } } }", json!({ "by": by }), "advanceSandboxClock").await;
        let client = ok(&app, app.key(), "{ viewer { id } }", json!({}), "viewer").await;
        let operator = app.operator_key().await;
        let mint_for = "mutation($input: CreateAccessTokenInput!, $client: ID) {
            createAccessToken(input: $input, clientId: $client) { token accessToken { expiresAt } } }";
        let variables = json!({ "input": { "scopes": ["CUSTOMERS_READ"] }, "client": client["id"] });
        let minted = ok(&app, operator.expose(), mint_for, variables, "createAccessToken").await;
        let expires: chrono::DateTime<chrono::Utc> =
            minted["accessToken"]["expiresAt"].as_str().expect("expiresAt").parse().expect("a time");
        assert!(expires > chrono::Utc::now() + chrono::Duration::days(2), "{minted}");
        let token = minted["token"].as_str().expect("token");
        let (status, body) = as_token(&app, token, "{ customers { totalCount } }", json!({})).await;
        assert_eq!(status, 200, "on the client's clock, not yet expired: {body}");
        assert_eq!(body["data"]["customers"]["totalCount"], 2, "{body}");
    }
}
