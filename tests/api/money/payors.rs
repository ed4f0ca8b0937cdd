//! Payors, payment addresses, payments through an address, and reading an account's
//! transactions: who may pay, where to, within which lease, and how the history pages.

use std::collections::HashSet;

use serde_json::{Value, json};

use super::{
    CORPORATION, CORPORATION_ACCOUNT, DEPOSIT_MUTATION, INDIVIDUAL, INDIVIDUAL_ACCOUNT,
    accept_transfer_mutation, balances, codes, create_transfer_mutation, deposit, ok, open_account,
    set_customer_status,
};
use crate::harness::{TestApp, both_backends, clocked_backends, error_codes};

const PAYOR_FIELDS: &str = "id payorId firstName middleName lastName companyName emailAddress
    phoneNumber state countryCode createdAt updatedAt customer { customerId }";

const ADDRESS_FIELDS: &str = "id walletAddress assetTypeId leaseEnforced leaseEndDate
    leaseTransactionLimit leaseValueLimit paymentReference amount transactionsReceived
    valueReceived createdAt payor { payorId } account { accountId }";

fn create_payor_mutation() -> String {
    format!(
        "mutation($c: String!, $input: CreatePayorInput!, $client: ID) {{
            createPayor(customerId: $c, input: $input, clientId: $client) {{
                payor {{ {PAYOR_FIELDS} }} }} }}"
    )
}

fn update_payor_mutation() -> String {
    format!(
        "mutation($c: String!, $p: String!, $input: UpdatePayorInput!) {{
            updatePayor(customerId: $c, payorId: $p, input: $input) {{
                payor {{ {PAYOR_FIELDS} }} }} }}"
    )
}

fn payor_query() -> String {
    format!(
        "query($c: String!, $p: String!) {{ payor(customerId: $c, payorId: $p) {{
            {PAYOR_FIELDS} }} }}"
    )
}

fn request_address_mutation() -> String {
    format!(
        "mutation($a: String!, $p: String!, $ref: String!, $amount: Decimal) {{
            requestPaymentAddress(accountId: $a, payorId: $p, paymentReference: $ref,
                                  amount: $amount) {{
                paymentAddress {{ {ADDRESS_FIELDS} }} }} }}"
    )
}

fn address_query() -> String {
    format!(
        "query($id: ID!) {{ node(id: $id) {{ __typename ... on PaymentAddress {{ {ADDRESS_FIELDS} }} }} }}"
    )
}

/// Creates a payor of `customer_id` as the sandbox client and returns it.
async fn create_payor(app: &TestApp, customer_id: &str, input: Value) -> Value {
    ok(
        app,
        app.key(),
        &create_payor_mutation(),
        json!({ "c": customer_id, "input": input }),
        "createPayor",
    )
    .await["payor"]
        .clone()
}

/// A person paying from New York.
fn person(payor_id: &str) -> Value {
    json!({ "payorId": payor_id, "firstName": "Jane", "middleName": "Quinn", "lastName": "Doe",
            "emailAddress": "jane.doe@example.com", "phoneNumber": "+12125550100",
            "state": "NY", "countryCode": "US" })
}

/// Requests a payment address as the sandbox client and returns it.
async fn request_address(
    app: &TestApp,
    account_id: &str,
    payor_id: &str,
    reference: &str,
    amount: Option<&str>,
) -> Value {
    ok(
        app,
        app.key(),
        &request_address_mutation(),
        json!({ "a": account_id, "p": payor_id, "ref": reference, "amount": amount }),
        "requestPaymentAddress",
    )
    .await["paymentAddress"]
        .clone()
}

/// Simulates a payment of `amount` through the address `address_id`; returns the whole body.
async fn pay_through(app: &TestApp, key: &str, address_id: &str, amount: &str) -> Value {
    let idempotency_key = uuid::Uuid::now_v7().to_string();
    let (status, body) = app
        .gql_as(
            key,
            DEPOSIT_MUTATION,
            json!({ "address": address_id, "amount": amount, "key": idempotency_key }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

/// The `field` of every entry of the first error's `extensions.fieldErrors`, sorted.
fn field_errors(body: &Value) -> Vec<String> {
    let mut fields: Vec<String> = body["errors"][0]["extensions"]["fieldErrors"]
        .as_array()
        .unwrap_or_else(|| panic!("fieldErrors in {body}"))
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect();
    fields.sort();
    fields
}

/// The payorIds of a customer's payors, as listed on the customer.
async fn customer_payor_ids(app: &TestApp, customer_id: &str) -> Vec<String> {
    let customer = ok(
        app,
        app.key(),
        "query($c: String!) { customer(customerId: $c) { payors { nodes { payorId } } } }",
        json!({ "c": customer_id }),
        "customer",
    )
    .await;
    customer["payors"]["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("payors in {customer}"))
        .iter()
        .map(|p| p["payorId"].as_str().unwrap().to_owned())
        .collect()
}

/// One page of an account's transactions, `args` being the literal arguments of the field.
async fn transactions(app: &TestApp, account_id: &str, args: &str) -> Value {
    let query = format!(
        "query($a: String!) {{ account(accountId: $a) {{ transactions({args}) {{
            edges {{ cursor node {{ id }} }}
            nodes {{ id value transactionType transactionStatus categoryType transactionDate
                     payorId paymentReference payor {{ payorId }} account {{ accountId }} }}
            pageInfo {{ hasNextPage endCursor }} }} }} }}"
    );
    ok(
        app,
        app.key(),
        &query,
        json!({ "a": account_id }),
        "account",
    )
    .await["transactions"]
        .clone()
}

fn values(page: &Value) -> Vec<String> {
    page["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("nodes in {page}"))
        .iter()
        .map(|t| t["value"].as_str().unwrap().to_owned())
        .collect()
}

both_backends! {
    async fn payors_are_people_or_companies_checked_all_at_once_and_unique_per_customer(app) {
        // A person and a company.
        let jane = create_payor(&app, CORPORATION, person("payor-jane")).await;
        assert_eq!(jane["payorId"], "payor-jane");
        assert_eq!(jane["firstName"], "Jane");
        assert_eq!(jane["middleName"], "Quinn");
        assert_eq!(jane["lastName"], "Doe");
        assert_eq!(jane["companyName"], Value::Null);
        assert_eq!(jane["emailAddress"], "jane.doe@example.com");
        assert_eq!(jane["phoneNumber"], "+12125550100");
        assert_eq!(jane["state"], "NY");
        assert_eq!(jane["countryCode"], "US");
        assert_eq!(jane["customer"]["customerId"], CORPORATION);
        let acme = create_payor(&app, CORPORATION, json!({ "payorId": "payor-acme",
            "companyName": "Acme Supplies Ltd", "countryCode": "GB" })).await;
        assert_eq!(acme["companyName"], "Acme Supplies Ltd");
        assert_eq!(acme["firstName"], Value::Null);
        assert_eq!(acme["countryCode"], "GB");

        // A person needs both names, and the state must be one of the country's: every problem
        // is listed at once.
        let body = app.gql(&create_payor_mutation(), json!({ "c": CORPORATION, "input": {
            "payorId": "payor-bad", "firstName": "Jane", "state": "ZZ", "countryCode": "US" } })).await;
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{body}");
        assert_eq!(field_errors(&body), ["input.lastName", "input.state"], "{body}");
        // The country must be an ISO alpha-2 code, and a payor is a person or a company.
        for country in ["USA", "XX", ""] {
            let body = app.gql(&create_payor_mutation(), json!({ "c": CORPORATION, "input": {
                "payorId": "payor-bad", "emailAddress": "x@example.com", "countryCode": country } })).await;
            assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{country}: {body}");
            let fields = field_errors(&body);
            assert!(fields.contains(&"input.countryCode".to_owned()), "{country}: {fields:?}");
            assert!(fields.len() >= 2, "the missing names are reported too: {fields:?}");
        }
        // A company's state is checked against its country as well.
        let body = app.gql(&create_payor_mutation(), json!({ "c": CORPORATION, "input": {
            "payorId": "payor-bad", "companyName": "Bad Co", "state": "NY", "countryCode": "DE" } })).await;
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{body}");
        assert_eq!(field_errors(&body), ["input.state"], "{body}");
        // Nothing was stored for the refused payors.
        assert_eq!(customer_payor_ids(&app, CORPORATION).await, ["payor-jane", "payor-acme"]);

        // payorId is unique per customer, not per client.
        let body = app.gql(&create_payor_mutation(),
            json!({ "c": CORPORATION, "input": person("payor-jane") })).await;
        assert_eq!(error_codes(&body), ["ALREADY_EXISTS"], "{body}");
        let twin = create_payor(&app, INDIVIDUAL, person("payor-jane")).await;
        assert_eq!(twin["customer"]["customerId"], INDIVIDUAL);
        assert_ne!(twin["id"], jane["id"]);
        // An unknown customer.
        let body = app.gql(&create_payor_mutation(),
            json!({ "c": "no-such-customer", "input": person("payor-x") })).await;
        assert_eq!(error_codes(&body), ["NOT_FOUND"], "{body}");

        // Read back: one by one, listed on each customer (oldest first), and by global id.
        let read = ok(&app, app.key(), &payor_query(),
            json!({ "c": CORPORATION, "p": "payor-jane" }), "payor").await;
        assert_eq!(read, jane);
        let read = ok(&app, app.key(), &payor_query(),
            json!({ "c": INDIVIDUAL, "p": "payor-jane" }), "payor").await;
        assert_eq!(read["id"], twin["id"]);
        assert_eq!(customer_payor_ids(&app, CORPORATION).await, ["payor-jane", "payor-acme"]);
        assert_eq!(customer_payor_ids(&app, INDIVIDUAL).await, ["payor-jane"]);
        let node = ok(&app, app.key(),
            "query($id: ID!) { node(id: $id) { __typename ... on Payor { payorId companyName } } }",
            json!({ "id": acme["id"] }), "node").await;
        assert_eq!(node, json!({ "__typename": "Payor", "payorId": "payor-acme",
                                 "companyName": "Acme Supplies Ltd" }));
        let body = app.gql(&payor_query(), json!({ "c": INDIVIDUAL, "p": "payor-acme" })).await;
        assert_eq!(error_codes(&body), ["NOT_FOUND"], "another customer's payorId: {body}");
    }

    async fn updating_a_payor_changes_what_is_given_clears_nulls_and_keeps_it_valid(app) {
        let created = create_payor(&app, CORPORATION, person("payor-jane")).await;

        // Omitted fields stay; a given one changes.
        let updated = ok(&app, app.key(), &update_payor_mutation(), json!({ "c": CORPORATION,
            "p": "payor-jane", "input": { "emailAddress": "jane@new.example.com" } }), "updatePayor")
            .await["payor"].clone();
        assert_eq!(updated["emailAddress"], "jane@new.example.com");
        for same in ["id", "payorId", "firstName", "middleName", "lastName", "phoneNumber", "state",
                     "countryCode", "createdAt"] {
            assert_eq!(updated[same], created[same], "{same} untouched");
        }
        assert_eq!(updated["customer"]["customerId"], CORPORATION);

        // Null clears an optional field.
        let updated = ok(&app, app.key(), &update_payor_mutation(), json!({ "c": CORPORATION,
            "p": "payor-jane", "input": { "middleName": null, "phoneNumber": null } }), "updatePayor")
            .await["payor"].clone();
        assert_eq!(updated["middleName"], Value::Null);
        assert_eq!(updated["phoneNumber"], Value::Null);
        assert_eq!(updated["firstName"], "Jane");
        assert_eq!(updated["emailAddress"], "jane@new.example.com");

        // Refused: clearing the country, a person without a last name, a state of another
        // country, an invalid country. Nothing changes.
        for (input, field) in [
            (json!({ "countryCode": null }), "input.countryCode"),
            (json!({ "lastName": null }), "input.lastName"),
            (json!({ "countryCode": "CA" }), "input.state"),
            (json!({ "countryCode": "Canada", "state": null }), "input.countryCode"),
        ] {
            let body = app.gql(&update_payor_mutation(),
                json!({ "c": CORPORATION, "p": "payor-jane", "input": input })).await;
            assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{input}: {body}");
            assert!(field_errors(&body).contains(&field.to_owned()), "{input}: {body}");
        }
        let read = ok(&app, app.key(), &payor_query(),
            json!({ "c": CORPORATION, "p": "payor-jane" }), "payor").await;
        assert_eq!(read, updated, "refused updates changed nothing");

        // Country and state together move the payor.
        let moved = ok(&app, app.key(), &update_payor_mutation(), json!({ "c": CORPORATION,
            "p": "payor-jane", "input": { "countryCode": "CA", "state": "ON" } }), "updatePayor")
            .await["payor"].clone();
        assert_eq!((&moved["countryCode"], &moved["state"]), (&json!("CA"), &json!("ON")));
        // A person may become a company by gaining a company name.
        let company = ok(&app, app.key(), &update_payor_mutation(), json!({ "c": CORPORATION,
            "p": "payor-jane", "input": { "companyName": "Doe Trading Ltd" } }), "updatePayor")
            .await["payor"].clone();
        assert_eq!(company["companyName"], "Doe Trading Ltd");

        let read = ok(&app, app.key(),
            "query($c: String!, $p: String!) { payor(customerId: $c, payorId: $p) {
                countryCode state companyName middleName customer { customerId status } } }",
            json!({ "c": CORPORATION, "p": "payor-jane" }), "payor").await;
        assert_eq!(read, json!({ "countryCode": "CA", "state": "ON",
            "companyName": "Doe Trading Ltd", "middleName": null,
            "customer": { "customerId": CORPORATION, "status": "ACTIVE" } }));

        // An unknown payor, or one of another customer.
        for (customer, payor) in [(CORPORATION, "payor-nobody"), (INDIVIDUAL, "payor-jane")] {
            let body = app.gql(&update_payor_mutation(), json!({ "c": customer, "p": payor,
                "input": { "emailAddress": "a@example.com" } })).await;
            assert_eq!(error_codes(&body), ["NOT_FOUND"], "{customer}/{payor}: {body}");
        }
    }

    async fn payment_addresses_follow_the_asset_are_unique_and_only_for_payment_accounts(app) {
        create_payor(&app, CORPORATION, person("payor-jane")).await;
        create_payor(&app, INDIVIDUAL, person("payor-ind")).await;

        // A fixed address without an amount on the default PAYMENT_BASIC USD account.
        let fixed = request_address(&app, CORPORATION_ACCOUNT, "payor-jane", "INV-1", None).await;
        let wallet = fixed["walletAddress"].as_str().unwrap();
        assert!(!wallet.is_empty() && wallet.chars().all(|c| c.is_ascii_alphanumeric()), "{fixed}");
        assert_eq!(fixed["assetTypeId"], "FIAT_TESTNET_USD");
        assert_eq!(fixed["leaseEnforced"], false);
        assert_eq!(fixed["leaseEndDate"], Value::Null);
        assert_eq!(fixed["leaseValueLimit"], Value::Null);
        assert_eq!(fixed["leaseTransactionLimit"], Value::Null);
        assert_eq!(fixed["amount"], Value::Null);
        assert_eq!(fixed["paymentReference"], "INV-1");
        assert_eq!(fixed["transactionsReceived"], 0);
        assert_eq!(fixed["valueReceived"], "0.00");
        assert_eq!(fixed["payor"]["payorId"], "payor-jane");
        assert_eq!(fixed["account"]["accountId"], CORPORATION_ACCOUNT);

        // With an amount: a lease of about seven days, ten payments, up to the amount.
        let lease = request_address(&app, CORPORATION_ACCOUNT, "payor-jane", "INV-2", Some("250.00")).await;
        assert_eq!(lease["leaseEnforced"], true);
        assert_eq!(lease["leaseValueLimit"], "250.00");
        assert_eq!(lease["amount"], "250.00");
        assert_eq!(lease["leaseTransactionLimit"], 10);
        let end = chrono::DateTime::parse_from_rfc3339(lease["leaseEndDate"].as_str().unwrap())
            .unwrap_or_else(|e| panic!("leaseEndDate {lease}: {e}"));
        let ahead = end.with_timezone(&chrono::Utc) - chrono::Utc::now();
        assert!(ahead > chrono::Duration::days(6) && ahead < chrono::Duration::days(8), "{lease}");
        assert_ne!(lease["walletAddress"], fixed["walletAddress"]);

        // The address's format follows the account's asset.
        open_account(&app, app.key(), CORPORATION, "corp-usdc", "PAYMENT_BASIC", "ETHEREUM_SEPOLIA_USDC").await;
        open_account(&app, app.key(), CORPORATION, "corp-btc", "PAYMENT_BASIC", "BITCOIN_TESTNET_BTC").await;
        let usdc = request_address(&app, "corp-usdc", "payor-jane", "INV-3", Some("12.5")).await;
        let usdc_wallet = usdc["walletAddress"].as_str().unwrap();
        assert!(is_ethereum_address(usdc_wallet), "{usdc}");
        assert_eq!(usdc["assetTypeId"], "ETHEREUM_SEPOLIA_USDC");
        assert_eq!(usdc["leaseValueLimit"], "12.500000", "USDC has 6 decimals");
        let btc = request_address(&app, "corp-btc", "payor-jane", "INV-4", None).await;
        let btc_wallet = btc["walletAddress"].as_str().unwrap();
        assert!(btc_wallet.starts_with("tb1q") && btc_wallet.len() > 20, "{btc}");
        assert!(btc_wallet.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()), "{btc}");
        assert_eq!(btc["assetTypeId"], "BITCOIN_TESTNET_BTC");

        // Many requests, several at once: never the same address twice.
        let mut wallets: Vec<String> = [&fixed, &lease, &usdc, &btc].iter()
            .map(|a| a["walletAddress"].as_str().unwrap().to_owned()).collect();
        let app_ref = &app;
        for account in [CORPORATION_ACCOUNT, "corp-usdc", "corp-btc"] {
            let requests = (0..8).map(|n| {
                let reference = format!("{account}-{n}");
                async move { request_address(app_ref, account, "payor-jane", &reference, None).await }
            });
            for address in futures_util::future::join_all(requests).await {
                let wallet = address["walletAddress"].as_str().unwrap().to_owned();
                match account {
                    "corp-usdc" => assert!(is_ethereum_address(&wallet), "{wallet}"),
                    "corp-btc" => assert!(wallet.starts_with("tb1q"), "{wallet}"),
                    _ => assert!(wallet.chars().all(|c| c.is_ascii_alphanumeric()), "{wallet}"),
                }
                wallets.push(wallet);
            }
        }
        let unique: HashSet<&String> = wallets.iter().collect();
        assert_eq!(unique.len(), wallets.len(), "{wallets:?}");
        assert_eq!(wallets.len(), 28);

        // Read back on the accounts, and by global id.
        let mut listed = Vec::new();
        for (account, expected) in [(CORPORATION_ACCOUNT, 10), ("corp-usdc", 9), ("corp-btc", 9)] {
            let read = ok(&app, app.key(), "query($a: String!) { account(accountId: $a) {
                paymentAddresses { walletAddress payor { payorId } } } }",
                json!({ "a": account }), "account").await;
            let addresses = read["paymentAddresses"].as_array().unwrap();
            assert_eq!(addresses.len(), expected, "{account}: {read}");
            assert!(addresses.iter().all(|a| a["payor"]["payorId"] == "payor-jane"), "{read}");
            listed.extend(addresses.iter().map(|a| a["walletAddress"].as_str().unwrap().to_owned()));
        }
        let listed: HashSet<&String> = listed.iter().collect();
        assert_eq!(listed, unique);
        let node = ok(&app, app.key(), &address_query(), json!({ "id": lease["id"] }), "node").await;
        assert_eq!(node["__typename"], "PaymentAddress");
        assert_eq!(node["walletAddress"], lease["walletAddress"]);
        assert_eq!(node["leaseValueLimit"], "250.00");

        // Only PAYMENT_BASIC accounts take addresses; the payor must be the account's customer's.
        let body = app.gql(&request_address_mutation(), json!({ "a": INDIVIDUAL_ACCOUNT,
            "p": "payor-ind", "ref": "R" })).await;
        assert_eq!(error_codes(&body), ["NOT_A_PAYMENT_ACCOUNT"], "{body}");
        let body = app.gql(&request_address_mutation(), json!({ "a": CORPORATION_ACCOUNT,
            "p": "payor-ind", "ref": "R" })).await;
        assert_eq!(error_codes(&body), ["NOT_FOUND"], "another customer's payor: {body}");
        let body = app.gql(&request_address_mutation(), json!({ "a": "no-such-account",
            "p": "payor-jane", "ref": "R" })).await;
        assert_eq!(error_codes(&body), ["NOT_FOUND"], "{body}");
        let read = ok(&app, app.key(), "query($a: String!) { account(accountId: $a) {
            paymentAddresses { walletAddress } } }", json!({ "a": INDIVIDUAL_ACCOUNT }), "account").await;
        assert_eq!(read["paymentAddresses"], json!([]));
    }

    async fn payments_through_an_address_carry_its_payor_and_stay_within_the_lease(app) {
        create_payor(&app, CORPORATION, person("payor-jane")).await;
        let address = request_address(&app, CORPORATION_ACCOUNT, "payor-jane", "INV-1001", Some("100.00")).await;
        let address_id = address["id"].as_str().unwrap();

        // A payment through the address: a posted deposit carrying the address's payor and reference.
        let body = pay_through(&app, app.key(), address_id, "60.00").await;
        assert!(body["errors"].is_null(), "{body}");
        let payload = &body["data"]["simulateIncomingPayment"];
        let first = &payload["transaction"];
        assert_eq!(first["transactionType"], "TRANSFER_IN");
        assert_eq!(first["categoryType"], "DEPOSIT");
        assert_eq!(first["transactionStatus"], "POSTED");
        assert_eq!(first["value"], "60.00");
        assert_eq!(first["payorId"], "payor-jane");
        assert_eq!(first["paymentReference"], "INV-1001");
        assert_eq!(payload["account"]["accountId"], CORPORATION_ACCOUNT);
        assert_eq!(payload["account"]["currentBalance"], "60.00");
        assert_eq!(payload["account"]["availableBalance"], "60.00");
        let read = ok(&app, app.key(), &address_query(), json!({ "id": address_id }), "node").await;
        assert_eq!((&read["valueReceived"], &read["transactionsReceived"]), (&json!("60.00"), &json!(1)));

        let body = pay_through(&app, app.key(), address_id, "40.00").await;
        assert!(body["errors"].is_null(), "{body}");
        let read = ok(&app, app.key(), &address_query(), json!({ "id": address_id }), "node").await;
        assert_eq!((&read["valueReceived"], &read["transactionsReceived"]), (&json!("100.00"), &json!(2)));

        // Beyond the lease's value limit: refused, with the reason, and nothing moves.
        let body = pay_through(&app, app.key(), address_id, "0.01").await;
        assert_eq!(error_codes(&body), ["CUSTOMER_CANNOT_TRANSACT"], "{body}");
        assert_eq!(body["errors"][0]["extensions"]["reason"], "LEASE_VALUE_LIMIT", "{body}");
        assert_eq!(balances(&app, app.key(), CORPORATION_ACCOUNT).await, ("100.00".into(), "100.00".into()));
        let read = ok(&app, app.key(), &address_query(), json!({ "id": address_id }), "node").await;
        assert_eq!((&read["valueReceived"], &read["transactionsReceived"]), (&json!("100.00"), &json!(2)));

        // A payment straight to the account has no payor.
        let direct = deposit(&app, app.key(), CORPORATION_ACCOUNT, "5.00").await;
        assert_eq!(direct["transaction"]["payorId"], Value::Null);
        assert_eq!(direct["transaction"]["paymentReference"], Value::Null);

        // The graph: the account's payors and addresses, each transaction's payor.
        let account = ok(&app, app.key(), "query($a: String!) { account(accountId: $a) {
            currentBalance payors { payorId } paymentAddresses { walletAddress payor { payorId } }
            transactions(first: 10) { nodes { value payorId paymentReference payor { payorId } } } } }",
            json!({ "a": CORPORATION_ACCOUNT }), "account").await;
        assert_eq!(account["currentBalance"], "105.00");
        assert_eq!(account["payors"], json!([{ "payorId": "payor-jane" }]));
        assert_eq!(account["paymentAddresses"], json!([{ "walletAddress": address["walletAddress"],
            "payor": { "payorId": "payor-jane" } }]));
        assert_eq!(account["transactions"]["nodes"], json!([
            { "value": "5.00", "payorId": null, "paymentReference": null, "payor": null },
            { "value": "40.00", "payorId": "payor-jane", "paymentReference": "INV-1001",
              "payor": { "payorId": "payor-jane" } },
            { "value": "60.00", "payorId": "payor-jane", "paymentReference": "INV-1001",
              "payor": { "payorId": "payor-jane" } },
        ]));
        let node = ok(&app, app.key(), "query($id: ID!) { node(id: $id) { __typename
            ... on Transaction { value payor { payorId } account { accountId } } } }",
            json!({ "id": first["id"] }), "node").await;
        assert_eq!(node, json!({ "__typename": "Transaction", "value": "60.00",
            "payor": { "payorId": "payor-jane" }, "account": { "accountId": CORPORATION_ACCOUNT } }));

        // Exactly one of addressId and accountId.
        for variables in [
            json!({ "address": address_id, "account": CORPORATION_ACCOUNT, "amount": "1.00", "key": "both" }),
            json!({ "amount": "1.00", "key": "neither" }),
        ] {
            let body = app.gql(DEPOSIT_MUTATION, variables.clone()).await;
            assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{variables}: {body}");
        }
        assert_eq!(balances(&app, app.key(), CORPORATION_ACCOUNT).await, ("105.00".into(), "105.00".into()));

        // A PRODUCTION client cannot simulate money, even into its own active account.
        let (_, regulated) = app.regulated_client().await;
        let regulated = regulated.expose();
        ok(&app, regulated, "mutation($input: CreateCustomerInput!) { createCustomer(input: $input) {
            customer { customerId } } }", json!({ "input": {
                "customerId": "prod-1",
                "individual": { "firstName": "Jonas", "lastName": "Weber", "dateOfBirth": "1979-02-03",
                                "nationality": "DE", "telephoneNumber": "+4930123456789" },
                "accountToOpen": { "accountId": "prod-1-eur", "productId": "DEPOSIT_BASIC",
                                   "assetTypeId": "FIAT_MAINNET_EUR" } } }), "createCustomer").await;
        set_customer_status(&app, regulated, "prod-1", "ACTIVE").await;
        let forbidden = codes(&app, regulated, DEPOSIT_MUTATION,
            json!({ "account": "prod-1-eur", "amount": "10.00", "key": "prod-deposit" })).await;
        assert_eq!(forbidden, ["FORBIDDEN"]);
        assert_eq!(balances(&app, regulated, "prod-1-eur").await, ("0.00".into(), "0.00".into()));
    }

    async fn transactions_page_newest_first_and_filter_by_type_status_and_date(app) {
        for amount in ["1.00", "2.00", "3.00", "4.00", "5.00"] {
            deposit(&app, app.key(), INDIVIDUAL_ACCOUNT, amount).await;
        }
        // A transfer out holds 2.50: an AUTHORIZED TRANSFER_OUT.
        ok(&app, app.key(), &create_transfer_mutation(), json!({ "from": INDIVIDUAL_ACCOUNT,
            "to": CORPORATION_ACCOUNT, "amount": "2.50", "key": "hold-1" }), "createTransfer").await;
        assert_eq!(balances(&app, app.key(), INDIVIDUAL_ACCOUNT).await, ("15.00".into(), "12.50".into()));
        let newest_first = ["2.50", "5.00", "4.00", "3.00", "2.00", "1.00"];

        // Pages of two, newest first, following the cursor to the end.
        let mut seen = Vec::new();
        let mut ids = HashSet::new();
        let mut args = "first: 2".to_owned();
        let mut pages = 0;
        loop {
            let page = transactions(&app, INDIVIDUAL_ACCOUNT, &args).await;
            pages += 1;
            let nodes = page["nodes"].as_array().unwrap();
            assert_eq!(nodes.len(), 2, "{page}");
            assert_eq!(page["edges"].as_array().unwrap().len(), 2, "{page}");
            for node in nodes {
                assert!(ids.insert(node["id"].as_str().unwrap().to_owned()), "repeated: {node}");
                assert_eq!(node["account"]["accountId"], INDIVIDUAL_ACCOUNT);
            }
            seen.extend(values(&page));
            if page["pageInfo"]["hasNextPage"] == false {
                break;
            }
            assert!(pages < 3, "three pages of two hold all six: {page}");
            args = format!("first: 2, after: {}", page["pageInfo"]["endCursor"]);
        }
        assert_eq!(pages, 3);
        assert_eq!(seen, newest_first);
        let first_page = transactions(&app, INDIVIDUAL_ACCOUNT, "first: 2").await;
        assert_eq!(first_page["pageInfo"]["hasNextPage"], true);
        let hold = &first_page["nodes"][0];
        assert_eq!((&hold["transactionType"], &hold["transactionStatus"]),
                   (&json!("TRANSFER_OUT"), &json!("AUTHORIZED")), "{first_page}");

        // Oldest first.
        let oldest = transactions(&app, INDIVIDUAL_ACCOUNT, "first: 50, order: OLDEST_FIRST").await;
        let mut expected = newest_first.to_vec();
        expected.reverse();
        assert_eq!(values(&oldest), expected);
        assert_eq!(oldest["pageInfo"]["hasNextPage"], false);

        // Filters by type and status, alone and together.
        for (filter, expected) in [
            ("{ transactionType: TRANSFER_OUT }", vec!["2.50"]),
            ("{ transactionStatus: AUTHORIZED }", vec!["2.50"]),
            ("{ transactionStatus: POSTED }", vec!["5.00", "4.00", "3.00", "2.00", "1.00"]),
            ("{ transactionType: TRANSFER_IN, transactionStatus: POSTED }",
             vec!["5.00", "4.00", "3.00", "2.00", "1.00"]),
            ("{ transactionType: TRANSFER_IN, transactionStatus: AUTHORIZED }", vec![]),
            ("{ transactionType: FEE }", vec![]),
        ] {
            let page = transactions(&app, INDIVIDUAL_ACCOUNT, &format!("first: 50, filter: {filter}")).await;
            assert_eq!(values(&page), expected, "{filter}: {page}");
        }
        let out = transactions(&app, INDIVIDUAL_ACCOUNT, "filter: { transactionType: TRANSFER_OUT }").await;
        assert_eq!(out["nodes"][0]["categoryType"], "TRANSFER", "{out}");
        let deposits = transactions(&app, INDIVIDUAL_ACCOUNT, "first: 50, filter: { transactionStatus: POSTED }").await;
        assert!(deposits["nodes"].as_array().unwrap().iter().all(|t| t["transactionType"] == "TRANSFER_IN"
            && t["categoryType"] == "DEPOSIT"), "{deposits}");

        // Filters by date: from inclusive, to exclusive, on transactionDate.
        let dates: Vec<String> = oldest["nodes"].as_array().unwrap().iter()
            .map(|t| t["transactionDate"].as_str().unwrap().to_owned()).collect();
        let date = |n: usize| json!(dates[n]).to_string();
        for (filter, expected) in [
            (format!("{{ from: {} }}", date(2)), vec!["2.50", "5.00", "4.00", "3.00"]),
            (format!("{{ to: {} }}", date(2)), vec!["2.00", "1.00"]),
            (format!("{{ from: {}, to: {} }}", date(1), date(4)), vec!["4.00", "3.00", "2.00"]),
            (format!("{{ from: {}, transactionStatus: POSTED }}", date(3)), vec!["5.00", "4.00"]),
        ] {
            let page = transactions(&app, INDIVIDUAL_ACCOUNT, &format!("first: 50, filter: {filter}")).await;
            assert_eq!(values(&page), expected, "{filter}: {page}");
        }
        // Filters and pages combine.
        let page = transactions(&app, INDIVIDUAL_ACCOUNT,
            "first: 3, filter: { transactionStatus: POSTED }, order: OLDEST_FIRST").await;
        assert_eq!(values(&page), ["1.00", "2.00", "3.00"]);
        assert_eq!(page["pageInfo"]["hasNextPage"], true);
        let page = transactions(&app, INDIVIDUAL_ACCOUNT, &format!(
            "first: 3, filter: {{ transactionStatus: POSTED }}, order: OLDEST_FIRST, after: {}",
            page["pageInfo"]["endCursor"])).await;
        assert_eq!(values(&page), ["4.00", "5.00"]);
        assert_eq!(page["pageInfo"]["hasNextPage"], false);
    }
}

/// `0x` and 40 lowercase hexadecimal digits.
fn is_ethereum_address(wallet: &str) -> bool {
    wallet.len() == 42
        && wallet.starts_with("0x")
        && wallet[2..]
            .chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
}

both_backends! {
    async fn the_eleventh_payment_through_a_lease_is_refused_by_its_transaction_limit(app) {
        create_payor(&app, CORPORATION, person("payor-jane")).await;
        let address = request_address(&app, CORPORATION_ACCOUNT, "payor-jane", "INV-10", Some("1000.00")).await;
        let address_id = address["id"].as_str().unwrap();
        assert_eq!(address["leaseTransactionLimit"], 10, "{address}");
        for n in 1..=10 {
            let body = pay_through(&app, app.key(), address_id, "1.00").await;
            assert!(body["errors"].is_null(), "payment {n}: {body}");
        }
        let body = pay_through(&app, app.key(), address_id, "1.00").await;
        assert_eq!(error_codes(&body), ["CUSTOMER_CANNOT_TRANSACT"], "{body}");
        assert_eq!(body["errors"][0]["extensions"]["reason"], "LEASE_TRANSACTION_LIMIT", "{body}");
        assert_eq!(balances(&app, app.key(), CORPORATION_ACCOUNT).await, ("10.00".into(), "10.00".into()));
        let read = ok(&app, app.key(), &address_query(), json!({ "id": address_id }), "node").await;
        assert_eq!((&read["valueReceived"], &read["transactionsReceived"]), (&json!("10.00"), &json!(10)));
    }

    async fn money_that_would_lift_a_balance_past_the_platform_cap_is_refused(app) {
        use diesel::sql_query;
        use diesel_async::RunQueryDsl;
        use layer2::db::Conn;
        // Near the cap (10^18 minor units), set directly: reaching it by payments would take
        // a thousand of the largest ones. The refusal itself is the ledger's conditional UPDATE.
        let near = layer2::domain::money::MAX_BALANCE - 100;
        let set = format!("UPDATE accounts SET current_balance = {near}, available_balance = {near}
            WHERE external_id = '{CORPORATION_ACCOUNT}'");
        let mut pooled = app.database.conn().await.expect("connection");
        let updated = match pooled.conn() {
            Conn::Pg(c) => sql_query(&set).execute(c).await,
            Conn::Sqlite(c) => sql_query(&set).execute(c).await,
        };
        assert_eq!(updated.expect("set the balance"), 1);
        drop(pooled);
        let at_cap = balances(&app, app.key(), CORPORATION_ACCOUNT).await;

        let body = app.gql(DEPOSIT_MUTATION, json!({ "account": CORPORATION_ACCOUNT,
            "amount": "1.01", "key": "over-the-cap" })).await;
        assert_eq!(error_codes(&body), ["BALANCE_LIMIT_EXCEEDED"], "{body}");
        assert_eq!(balances(&app, app.key(), CORPORATION_ACCOUNT).await, at_cap, "nothing moved");

        // A transfer into it is refused the same way, when it is accepted.
        deposit(&app, app.key(), INDIVIDUAL_ACCOUNT, "5.00").await;
        let body = app.gql(&create_transfer_mutation(), json!({ "from": INDIVIDUAL_ACCOUNT,
            "to": CORPORATION_ACCOUNT, "amount": "2.00", "key": "into-the-cap" })).await;
        let transfer = &body["data"]["createTransfer"]["transfer"];
        assert!(body["errors"].is_null(), "{body}");
        let body = app.gql(&accept_transfer_mutation(), json!({ "id": transfer["id"], "key": "accept-into-the-cap" })).await;
        assert_eq!(error_codes(&body), ["BALANCE_LIMIT_EXCEEDED"], "{body}");
        assert_eq!(balances(&app, app.key(), CORPORATION_ACCOUNT).await, at_cap, "nothing moved");

        // Up to the cap exactly is allowed.
        deposit(&app, app.key(), CORPORATION_ACCOUNT, "1.00").await;
        assert_eq!(balances(&app, app.key(), CORPORATION_ACCOUNT).await,
            ("10000000000000000.00".into(), "10000000000000000.00".into()));
    }
}

clocked_backends! {
    async fn a_payment_after_the_lease_ended_is_refused_by_its_end_date(app, clock, |_| {}) {
        create_payor(&app, CORPORATION, person("payor-jane")).await;
        let address = request_address(&app, CORPORATION_ACCOUNT, "payor-jane", "INV-END", Some("50.00")).await;
        let address_id = address["id"].as_str().unwrap();
        let body = pay_through(&app, app.key(), address_id, "5.00").await;
        assert!(body["errors"].is_null(), "within the lease: {body}");

        clock.advance(chrono::Duration::days(7) + chrono::Duration::minutes(1));
        let body = pay_through(&app, app.key(), address_id, "5.00").await;
        assert_eq!(error_codes(&body), ["CUSTOMER_CANNOT_TRANSACT"], "{body}");
        assert_eq!(body["errors"][0]["extensions"]["reason"], "LEASE_ENDED", "{body}");
        assert_eq!(balances(&app, app.key(), CORPORATION_ACCOUNT).await, ("5.00".into(), "5.00".into()));
    }
}
