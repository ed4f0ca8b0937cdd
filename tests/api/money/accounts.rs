//! Accounts over the API: opening a further account, the asset types and their exact amounts,
//! the status table for accounts (`_L2F` for the operator only, every change recorded), closing
//! an account, and the cascades of a customer's status onto its accounts.

use layer2::graphql::node::{NodeKind, encode};
use serde_json::{Value, json};

use super::{
    ACCOUNT_FIELDS, CHANGE_CUSTOMER_STATUS, CORPORATION, CORPORATION_ACCOUNT, DEPOSIT_MUTATION,
    INDIVIDUAL, INDIVIDUAL_ACCOUNT, accept_transfer_mutation, balances, codes,
    create_transfer_mutation, deposit, ok, open_account, open_account_mutation, set_account_status,
};
use crate::harness::{TestApp, both_backends, error_codes};

/// The sandbox client's global id: what the operator passes as `clientId`.
fn client_gid(app: &TestApp) -> String {
    encode(NodeKind::Client, app.sandbox.client.id.0).0
}

const CHANGE_ACCOUNT: &str = "mutation($a: String!, $s: CustomerStatus!, $reason: String!,
        $by: String!, $v: Int, $client: ID) {
    changeAccountStatus(accountId: $a, status: $s, reason: $reason, updatedBy: $by,
        expectedVersion: $v, clientId: $client) {
        account { accountId status version closedAt } } }";

/// Asks, as `key`, to move `account_id` to `status` (reason "to <status>", updatedBy
/// "ops@client"); returns the whole response body.
async fn change_account(
    app: &TestApp,
    key: &str,
    account_id: &str,
    status: &str,
    version: Option<i64>,
    client: Option<&str>,
) -> Value {
    let variables = json!({ "a": account_id, "s": status, "reason": format!("to {status}"),
                            "by": "ops@client", "v": version, "client": client });
    let (code, body) = app.gql_as(key, CHANGE_ACCOUNT, variables).await;
    assert_eq!(code, 200, "{body}");
    body
}

/// The one error's `extensions` of a refused request, after checking its code.
fn refused<'a>(body: &'a Value, code: &str) -> &'a Value {
    assert_eq!(error_codes(body), [code], "{body}");
    &body["errors"][0]["extensions"]
}

/// A list of status names, sorted (the table does not fix an order).
fn sorted(statuses: &Value) -> Vec<String> {
    let mut names: Vec<String> = statuses
        .as_array()
        .unwrap_or_else(|| panic!("a list of statuses: {statuses}"))
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

/// An account as the sandbox client reads it, with its status history.
async fn read_account(app: &TestApp, account_id: &str) -> Value {
    let query = format!(
        "query($a: String!) {{ account(accountId: $a) {{ {ACCOUNT_FIELDS} createdAt
            statusHistory {{ fromStatus toStatus reason updatedBy actor createdAt }} }} }}"
    );
    ok(
        app,
        app.key(),
        &query,
        json!({ "a": account_id }),
        "account",
    )
    .await
}

const ACCOUNTS_OF_CUSTOMER: &str = "accounts(first: 50) {
    nodes { accountId status isDefault closedAt currentBalance availableBalance } }";

/// A customer (status, version) and its accounts, oldest first, as the sandbox client reads
/// them.
async fn customer_with_accounts(app: &TestApp, customer_id: &str) -> Value {
    let query = format!(
        "query($c: String!) {{ customer(customerId: $c) {{ status version {ACCOUNTS_OF_CUSTOMER} }} }}"
    );
    ok(
        app,
        app.key(),
        &query,
        json!({ "c": customer_id }),
        "customer",
    )
    .await
}

/// Changes a customer's status as the sandbox client and returns the whole response body; the
/// payload reads the customer's accounts in the same request.
async fn change_customer(app: &TestApp, customer_id: &str, status: &str) -> Value {
    let mutation = format!(
        "mutation($c: String!, $s: CustomerStatus!) {{
            changeCustomerStatus(customerId: $c, status: $s, reason: \"compliance review\",
                updatedBy: \"compliance@client\") {{
                customer {{ status {ACCOUNTS_OF_CUSTOMER} }} }} }}"
    );
    let (code, body) = app
        .gql_as(
            app.key(),
            &mutation,
            json!({ "c": customer_id, "s": status }),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    body
}

/// `(accountId, status)` of each account in a customer's `accounts` connection.
fn statuses(customer: &Value) -> Vec<(String, String)> {
    customer["accounts"]["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("accounts: {customer}"))
        .iter()
        .map(|a| {
            (
                a["accountId"].as_str().unwrap().to_owned(),
                a["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(a, s)| ((*a).to_owned(), (*s).to_owned()))
        .collect()
}

/// Opens a FIAT_TESTNET_USD deposit account of the individual as the sandbox client.
async fn open_usd(app: &TestApp, account_id: &str) -> Value {
    open_account(
        app,
        app.key(),
        INDIVIDUAL,
        account_id,
        "DEPOSIT_BASIC",
        "FIAT_TESTNET_USD",
    )
    .await
}

/// Creates a transfer as the sandbox client; returns the transfer (REQUESTED).
async fn request_transfer(app: &TestApp, from: &str, to: &str, amount: &str) -> Value {
    let key = uuid::Uuid::now_v7().to_string();
    let transfer = ok(
        app,
        app.key(),
        &create_transfer_mutation(),
        json!({ "from": from, "to": to, "amount": amount, "key": key }),
        "createTransfer",
    )
    .await["transfer"]
        .clone();
    assert_eq!(transfer["status"], "REQUESTED", "{transfer}");
    transfer
}

/// Accepts a transfer as the sandbox client, asserting it EXECUTED.
async fn accept(app: &TestApp, transfer: &Value) -> Value {
    let key = uuid::Uuid::now_v7().to_string();
    let accepted = ok(
        app,
        app.key(),
        &accept_transfer_mutation(),
        json!({ "id": transfer["id"], "key": key }),
        "acceptTransfer",
    )
    .await["transfer"]
        .clone();
    assert_eq!(accepted["status"], "EXECUTED", "{accepted}");
    accepted
}

/// Each history entry starts where the one before ended, and the last ends in `status`.
fn assert_unbroken_history(account: &Value) {
    let history = account["statusHistory"].as_array().unwrap();
    for pair in history.windows(2) {
        assert_eq!(pair[1]["fromStatus"], pair[0]["toStatus"], "{account}");
    }
    if let Some(last) = history.last() {
        assert_eq!(last["toStatus"], account["status"], "{account}");
    }
}

both_backends! {
    async fn a_further_account_opens_active_empty_and_not_default_and_ids_are_unique_per_client(app) {
        let account = open_usd(&app, "ind-usd-2").await;
        assert_eq!(account["accountId"], "ind-usd-2", "{account}");
        assert_eq!(account["productId"], "DEPOSIT_BASIC");
        assert_eq!(account["assetTypeId"], "FIAT_TESTNET_USD");
        assert_eq!(account["status"], "ACTIVE");
        assert_eq!(account["isDefault"], false);
        assert_eq!(account["currentBalance"], "0.00");
        assert_eq!(account["availableBalance"], "0.00");
        assert_eq!(account["closedAt"], Value::Null);
        assert_eq!(account["customer"], json!({ "customerId": INDIVIDUAL, "status": "ACTIVE" }));
        // Zero carries the asset's decimal places.
        let usdc = open_account(&app, app.key(), INDIVIDUAL, "ind-usdc", "PAYMENT_BASIC", "ETHEREUM_SEPOLIA_USDC").await;
        assert_eq!((&usdc["currentBalance"], &usdc["availableBalance"]), (&json!("0.000000"), &json!("0.000000")), "{usdc}");
        assert_eq!(usdc["productId"], "PAYMENT_BASIC");
        let btc = open_account(&app, app.key(), INDIVIDUAL, "ind-btc", "DEPOSIT_BASIC", "BITCOIN_TESTNET_BTC").await;
        assert_eq!((&btc["currentBalance"], &btc["availableBalance"]), (&json!("0.00000000"), &json!("0.00000000")), "{btc}");

        // Stored: read back by accountId, no status change yet, listed by its customer oldest
        // first (the default account, opened with the customer, first).
        let stored = read_account(&app, "ind-usd-2").await;
        assert_eq!(stored["id"], account["id"], "{stored}");
        assert_eq!((&stored["status"], &stored["isDefault"], &stored["currentBalance"]), (&json!("ACTIVE"), &json!(false), &json!("0.00")));
        assert_eq!(stored["statusHistory"], json!([]), "opening is not a status change: {stored}");
        let customer = customer_with_accounts(&app, INDIVIDUAL).await;
        assert_eq!(statuses(&customer), pairs(&[(INDIVIDUAL_ACCOUNT, "ACTIVE"), ("ind-usd-2", "ACTIVE"), ("ind-usdc", "ACTIVE"), ("ind-btc", "ACTIVE")]), "{customer}");
        let defaults: Vec<&Value> = customer["accounts"]["nodes"].as_array().unwrap().iter().map(|a| &a["isDefault"]).collect();
        assert_eq!(defaults, [&json!(true), &json!(false), &json!(false), &json!(false)]);
        let corporation = customer_with_accounts(&app, CORPORATION).await;
        assert_eq!(statuses(&corporation), pairs(&[(CORPORATION_ACCOUNT, "ACTIVE")]), "{corporation}");

        // An accountId is unique within the client, whichever customer holds it.
        for (customer_id, account_id) in [(INDIVIDUAL, "ind-usd-2"), (CORPORATION, "ind-usd-2"), (CORPORATION, INDIVIDUAL_ACCOUNT)] {
            let a = json!({ "accountId": account_id, "productId": "DEPOSIT_BASIC", "assetTypeId": "FIAT_TESTNET_EUR" });
            let found = codes(&app, app.key(), &open_account_mutation(), json!({ "c": customer_id, "a": a })).await;
            assert_eq!(found, ["ALREADY_EXISTS"], "{customer_id}/{account_id}");
        }
        // An asset type that is not in the table.
        for asset in ["DOGE_MAINNET_DOGE", "FIAT_TESTNET_GBP", ""] {
            let a = json!({ "accountId": "ind-new", "productId": "DEPOSIT_BASIC", "assetTypeId": asset });
            let found = codes(&app, app.key(), &open_account_mutation(), json!({ "c": INDIVIDUAL, "a": a })).await;
            assert_eq!(found, ["BAD_USER_INPUT"], "{asset:?}");
        }
        // Nothing was opened by the refused requests.
        let customer = customer_with_accounts(&app, INDIVIDUAL).await;
        assert_eq!(customer["accounts"]["nodes"].as_array().unwrap().len(), 4, "{customer}");
        let corporation = customer_with_accounts(&app, CORPORATION).await;
        assert_eq!(corporation["accounts"]["nodes"].as_array().unwrap().len(), 1, "{corporation}");

        // Another client may use the same accountId for its own customer; ours is untouched.
        let other = app.another_client().await;
        let theirs = open_account(&app, other.key.expose(), INDIVIDUAL, "ind-usd-2", "DEPOSIT_BASIC", "FIAT_TESTNET_EUR").await;
        assert_ne!(theirs["id"], account["id"]);
        assert_eq!(theirs["assetTypeId"], "FIAT_TESTNET_EUR");
        let ours = read_account(&app, "ind-usd-2").await;
        assert_eq!((&ours["id"], &ours["assetTypeId"]), (&account["id"], &json!("FIAT_TESTNET_USD")));

        // The supported asset types and their decimal places.
        let assets = ok(&app, app.key(), "{ assetTypes { assetTypeId decimals } }", json!({}), "assetTypes").await;
        let mut listed: Vec<(String, i64)> = assets.as_array().unwrap().iter()
            .map(|a| (a["assetTypeId"].as_str().unwrap().to_owned(), a["decimals"].as_i64().unwrap()))
            .collect();
        listed.sort();
        let expected: Vec<(String, i64)> = [
            ("BITCOIN_TESTNET_BTC", 8), ("ETHEREUM_SEPOLIA_USDC", 6), ("FIAT_MAINNET_EUR", 2),
            ("FIAT_MAINNET_USD", 2), ("FIAT_TESTNET_EUR", 2), ("FIAT_TESTNET_USD", 2),
        ].iter().map(|(a, d)| ((*a).to_owned(), *d)).collect();
        assert_eq!(listed, expected, "{assets}");
    }

    async fn amounts_are_positive_strings_within_the_assets_decimal_places(app) {
        // Zero, negative, or more places than USD has: refused on the amount, nothing posted.
        for amount in ["0", "0.00", "-1.00", "-0.01", "1.001", "0.009"] {
            let (_, body) = app.gql_as(app.key(), DEPOSIT_MUTATION,
                json!({ "account": INDIVIDUAL_ACCOUNT, "amount": amount, "key": format!("bad-{amount}") })).await;
            let extensions = refused(&body, "BAD_USER_INPUT");
            assert_eq!(extensions["field"], "amount", "{amount}: {body}");
        }
        // A JSON number is not a Decimal, whether in a variable or written in the query.
        for amount in [json!(10), json!(10.5)] {
            let (_, body) = app.gql_as(app.key(), DEPOSIT_MUTATION,
                json!({ "account": INDIVIDUAL_ACCOUNT, "amount": amount, "key": "number" })).await;
            let found = error_codes(&body);
            assert!(found == ["BAD_USER_INPUT"] || found == ["GRAPHQL_VALIDATION_FAILED"], "{amount}: {body}");
            assert!(body["data"]["simulateIncomingPayment"].is_null(), "{body}");
        }
        let literal = format!("mutation {{ simulateIncomingPayment(accountId: \"{INDIVIDUAL_ACCOUNT}\", amount: 10,
            idempotencyKey: \"literal\") {{ account {{ currentBalance }} }} }}");
        let (_, body) = app.gql_as(app.key(), &literal, json!({})).await;
        let found = error_codes(&body);
        assert!(found == ["BAD_USER_INPUT"] || found == ["GRAPHQL_VALIDATION_FAILED"], "{body}");
        assert_eq!(balances(&app, app.key(), INDIVIDUAL_ACCOUNT).await, ("0.00".to_owned(), "0.00".to_owned()));
        let history = ok(&app, app.key(), "query($a: String!) { account(accountId: $a) { transactions { nodes { id } } } }",
            json!({ "a": INDIVIDUAL_ACCOUNT }), "account").await;
        assert_eq!(history["transactions"]["nodes"], json!([]), "nothing was posted: {history}");

        // Fewer places than the asset has is fine; the output carries all of them.
        let paid = deposit(&app, app.key(), INDIVIDUAL_ACCOUNT, "10.5").await;
        assert_eq!(paid["transaction"]["value"], "10.50", "{paid}");
        assert_eq!(paid["account"]["currentBalance"], "10.50");
        deposit(&app, app.key(), INDIVIDUAL_ACCOUNT, "0.01").await;
        assert_eq!(balances(&app, app.key(), INDIVIDUAL_ACCOUNT).await, ("10.51".to_owned(), "10.51".to_owned()));

        // USDC has 6 places: one millionth is the smallest amount.
        open_account(&app, app.key(), INDIVIDUAL, "ind-usdc", "DEPOSIT_BASIC", "ETHEREUM_SEPOLIA_USDC").await;
        let (_, body) = app.gql_as(app.key(), DEPOSIT_MUTATION,
            json!({ "account": "ind-usdc", "amount": "0.0000001", "key": "usdc-too-fine" })).await;
        assert_eq!(refused(&body, "BAD_USER_INPUT")["field"], "amount", "{body}");
        let paid = deposit(&app, app.key(), "ind-usdc", "0.000001").await;
        assert_eq!(paid["transaction"]["value"], "0.000001", "{paid}");
        assert_eq!(balances(&app, app.key(), "ind-usdc").await, ("0.000001".to_owned(), "0.000001".to_owned()));

        // BTC has 8 places.
        open_account(&app, app.key(), INDIVIDUAL, "ind-btc", "DEPOSIT_BASIC", "BITCOIN_TESTNET_BTC").await;
        let (_, body) = app.gql_as(app.key(), DEPOSIT_MUTATION,
            json!({ "account": "ind-btc", "amount": "0.123456789", "key": "btc-too-fine" })).await;
        assert_eq!(refused(&body, "BAD_USER_INPUT")["field"], "amount", "{body}");
        let paid = deposit(&app, app.key(), "ind-btc", "0.12345678").await;
        assert_eq!(paid["transaction"]["value"], "0.12345678", "{paid}");
        deposit(&app, app.key(), "ind-btc", "1").await;
        assert_eq!(balances(&app, app.key(), "ind-btc").await, ("1.12345678".to_owned(), "1.12345678".to_owned()));
        // The USD account saw none of it.
        assert_eq!(balances(&app, app.key(), INDIVIDUAL_ACCOUNT).await, ("10.51".to_owned(), "10.51".to_owned()));
    }

    async fn account_status_changes_follow_the_table_and_each_is_recorded(app) {
        open_usd(&app, "ind-usd-2").await;
        let opened = read_account(&app, "ind-usd-2").await;
        let v0 = opened["version"].as_i64().unwrap();

        let body = change_account(&app, app.key(), "ind-usd-2", "DORMANT", Some(v0), None).await;
        let changed = &body["data"]["changeAccountStatus"]["account"];
        assert_eq!(changed["status"], "DORMANT", "{body}");
        assert_eq!(changed["version"], v0 + 1);

        // DORMANT may become ACTIVE, CLOSED or EDD, not FROZEN; nor itself again.
        let body = change_account(&app, app.key(), "ind-usd-2", "FROZEN", None, None).await;
        let extensions = refused(&body, "INVALID_STATUS_TRANSITION");
        assert_eq!(extensions["currentStatus"], "DORMANT", "{body}");
        assert_eq!(extensions["requestedStatus"], "FROZEN", "{body}");
        assert_eq!(sorted(&extensions["allowedNextStatuses"]), ["ACTIVE", "CLOSED", "EDD"], "{body}");
        let body = change_account(&app, app.key(), "ind-usd-2", "DORMANT", None, None).await;
        refused(&body, "INVALID_STATUS_TRANSITION");
        // A stale expectedVersion is a conflict and changes nothing.
        let body = change_account(&app, app.key(), "ind-usd-2", "EDD", Some(v0), None).await;
        refused(&body, "CONFLICT");
        let stored = read_account(&app, "ind-usd-2").await;
        assert_eq!((&stored["status"], &stored["version"]), (&json!("DORMANT"), &json!(v0 + 1)), "{stored}");

        // DORMANT -> EDD -> FROZEN -> ACTIVE, each allowed by the table.
        let body = change_account(&app, app.key(), "ind-usd-2", "EDD", Some(v0 + 1), None).await;
        assert_eq!(body["data"]["changeAccountStatus"]["account"]["status"], "EDD", "{body}");
        let body = change_account(&app, app.key(), "ind-usd-2", "FROZEN", None, None).await;
        assert_eq!(body["data"]["changeAccountStatus"]["account"]["status"], "FROZEN", "{body}");
        let body = change_account(&app, app.key(), "ind-usd-2", "ACTIVE", None, None).await;
        assert_eq!(body["data"]["changeAccountStatus"]["account"]["status"], "ACTIVE", "{body}");

        let stored = read_account(&app, "ind-usd-2").await;
        assert_eq!((&stored["status"], &stored["version"]), (&json!("ACTIVE"), &json!(v0 + 4)), "{stored}");
        let history = stored["statusHistory"].as_array().unwrap();
        let steps: Vec<(&str, &str)> = history.iter()
            .map(|h| (h["fromStatus"].as_str().unwrap(), h["toStatus"].as_str().unwrap())).collect();
        assert_eq!(steps, [("ACTIVE", "DORMANT"), ("DORMANT", "EDD"), ("EDD", "FROZEN"), ("FROZEN", "ACTIVE")], "{stored}");
        for entry in history {
            assert_eq!(entry["reason"], format!("to {}", entry["toStatus"].as_str().unwrap()), "{entry}");
            assert_eq!(entry["updatedBy"], "ops@client", "{entry}");
            assert_eq!(entry["actor"], "CLIENT", "{entry}");
            assert!(entry["createdAt"].is_string(), "{entry}");
        }
        // The customer and its other account are untouched.
        let customer = customer_with_accounts(&app, INDIVIDUAL).await;
        assert_eq!(customer["status"], "ACTIVE");
        assert_eq!(statuses(&customer), pairs(&[(INDIVIDUAL_ACCOUNT, "ACTIVE"), ("ind-usd-2", "ACTIVE")]), "{customer}");
        assert_eq!(read_account(&app, INDIVIDUAL_ACCOUNT).await["statusHistory"], json!([]));
    }

    async fn only_the_operator_moves_an_account_into_and_out_of_l2f(app) {
        let operator = app.operator_key().await;
        let operator = operator.expose();
        let client = client_gid(&app);
        open_usd(&app, "ind-usd-2").await;

        // The client cannot reach an _L2F status; it is told what it may do instead.
        for status in ["ACTIVE_L2F", "FROZEN_L2F", "DORMANT_L2F"] {
            let body = change_account(&app, app.key(), "ind-usd-2", status, None, None).await;
            let extensions = refused(&body, "INVALID_STATUS_TRANSITION");
            assert_eq!(sorted(&extensions["allowedNextStatuses"]), ["CLOSED", "DORMANT", "EDD", "FROZEN"], "{body}");
        }
        assert_eq!(read_account(&app, "ind-usd-2").await["status"], "ACTIVE");

        // The operator can, naming the client.
        let body = change_account(&app, operator, "ind-usd-2", "ACTIVE_L2F", None, Some(&client)).await;
        assert_eq!(body["data"]["changeAccountStatus"]["account"]["status"], "ACTIVE_L2F", "{body}");
        // The client reads it but may not move it anywhere.
        assert_eq!(read_account(&app, "ind-usd-2").await["status"], "ACTIVE_L2F");
        for status in ["ACTIVE", "FROZEN", "CLOSED"] {
            let body = change_account(&app, app.key(), "ind-usd-2", status, None, None).await;
            let extensions = refused(&body, "INVALID_STATUS_TRANSITION");
            assert_eq!(extensions["allowedNextStatuses"], json!([]), "{body}");
            assert_eq!(extensions["currentStatus"], "ACTIVE_L2F", "{body}");
        }
        let body = change_account(&app, operator, "ind-usd-2", "ACTIVE", None, Some(&client)).await;
        assert_eq!(body["data"]["changeAccountStatus"]["account"]["status"], "ACTIVE", "{body}");

        let stored = read_account(&app, "ind-usd-2").await;
        let history = stored["statusHistory"].as_array().unwrap();
        let steps: Vec<(&str, &str, &str)> = history.iter()
            .map(|h| (h["fromStatus"].as_str().unwrap(), h["toStatus"].as_str().unwrap(), h["actor"].as_str().unwrap()))
            .collect();
        assert_eq!(steps, [("ACTIVE", "ACTIVE_L2F", "OPERATOR"), ("ACTIVE_L2F", "ACTIVE", "OPERATOR")], "{stored}");
        assert_eq!(history[0]["reason"], "to ACTIVE_L2F");
        assert_eq!(history[0]["updatedBy"], "ops@client");

        // While the customer awaits the platform, the client may not change its accounts (nor
        // open one); the operator still may.
        ok(&app, operator, CHANGE_CUSTOMER_STATUS, json!({ "c": INDIVIDUAL, "s": "ACTIVE_L2F", "client": client }),
            "changeCustomerStatus").await;
        let body = change_account(&app, app.key(), "ind-usd-2", "DORMANT", None, None).await;
        refused(&body, "CUSTOMER_CANNOT_BE_UPDATED");
        let a = json!({ "accountId": "ind-usd-3", "productId": "DEPOSIT_BASIC", "assetTypeId": "FIAT_TESTNET_USD" });
        let found = codes(&app, app.key(), &open_account_mutation(), json!({ "c": INDIVIDUAL, "a": a })).await;
        assert_eq!(found, ["CUSTOMER_CANNOT_BE_UPDATED"]);
        assert_eq!(read_account(&app, "ind-usd-2").await["status"], "ACTIVE");
        let body = change_account(&app, operator, "ind-usd-2", "DORMANT", None, Some(&client)).await;
        assert_eq!(body["data"]["changeAccountStatus"]["account"]["status"], "DORMANT", "{body}");
        let customer = customer_with_accounts(&app, INDIVIDUAL).await;
        assert_eq!(statuses(&customer), pairs(&[(INDIVIDUAL_ACCOUNT, "ACTIVE"), ("ind-usd-2", "DORMANT")]), "{customer}");
    }

    async fn an_account_closes_only_when_empty_and_closed_is_final(app) {
        let operator = app.operator_key().await;
        let operator = operator.expose();
        let client = client_gid(&app);
        open_usd(&app, "ind-usd-2").await;
        deposit(&app, app.key(), "ind-usd-2", "25.00").await;

        // With a balance: refused, still open.
        let body = change_account(&app, app.key(), "ind-usd-2", "CLOSED", None, None).await;
        refused(&body, "ACCOUNT_HAS_FUNDS");
        let stored = read_account(&app, "ind-usd-2").await;
        assert_eq!((&stored["status"], &stored["closedAt"], &stored["currentBalance"]), (&json!("ACTIVE"), &Value::Null, &json!("25.00")));

        // Everything is on its way out, but held: still refused.
        let transfer = request_transfer(&app, "ind-usd-2", CORPORATION_ACCOUNT, "25.00").await;
        assert_eq!(balances(&app, app.key(), "ind-usd-2").await, ("25.00".to_owned(), "0.00".to_owned()));
        let body = change_account(&app, app.key(), "ind-usd-2", "CLOSED", None, None).await;
        refused(&body, "ACCOUNT_HAS_FUNDS");
        assert_eq!(read_account(&app, "ind-usd-2").await["status"], "ACTIVE");

        // Once the money has left, it closes, with closedAt.
        accept(&app, &transfer).await;
        assert_eq!(balances(&app, app.key(), "ind-usd-2").await, ("0.00".to_owned(), "0.00".to_owned()));
        assert_eq!(balances(&app, app.key(), CORPORATION_ACCOUNT).await, ("25.00".to_owned(), "25.00".to_owned()));
        let body = change_account(&app, app.key(), "ind-usd-2", "CLOSED", None, None).await;
        let closed = &body["data"]["changeAccountStatus"]["account"];
        assert_eq!(closed["status"], "CLOSED", "{body}");
        assert!(closed["closedAt"].is_string(), "{body}");
        let stored = read_account(&app, "ind-usd-2").await;
        assert_eq!((&stored["status"], &stored["closedAt"]), (&json!("CLOSED"), &closed["closedAt"]), "{stored}");
        let history = stored["statusHistory"].as_array().unwrap();
        assert_eq!((&history.last().unwrap()["fromStatus"], &history.last().unwrap()["toStatus"]), (&json!("ACTIVE"), &json!("CLOSED")));

        // CLOSED is final, for the client and the operator alike; money cannot come in.
        for (key, client) in [(app.key(), None), (operator, Some(client.as_str()))] {
            for status in ["ACTIVE", "FROZEN", "DORMANT"] {
                let body = change_account(&app, key, "ind-usd-2", status, None, client).await;
                let extensions = refused(&body, "INVALID_STATUS_TRANSITION");
                assert_eq!(extensions["allowedNextStatuses"], json!([]), "{body}");
            }
        }
        let (_, body) = app.gql_as(app.key(), DEPOSIT_MUTATION,
            json!({ "account": "ind-usd-2", "amount": "1.00", "key": "into-closed" })).await;
        refused(&body, "CUSTOMER_CANNOT_TRANSACT");
        let stored = read_account(&app, "ind-usd-2").await;
        assert_eq!((&stored["status"], &stored["closedAt"], &stored["currentBalance"]), (&json!("CLOSED"), &closed["closedAt"], &json!("0.00")));
        let listed = ok(&app, app.key(), "query($c: String!) { customer(customerId: $c) {
            closed: accounts(status: CLOSED) { nodes { accountId } } active: accounts(status: ACTIVE) { nodes { accountId } } } }",
            json!({ "c": INDIVIDUAL }), "customer").await;
        assert_eq!(listed["closed"]["nodes"], json!([{ "accountId": "ind-usd-2" }]), "{listed}");
        assert_eq!(listed["active"]["nodes"], json!([{ "accountId": INDIVIDUAL_ACCOUNT }]), "{listed}");

        // The default account closes only with its customer, even empty.
        for (key, client) in [(app.key(), None), (operator, Some(client.as_str()))] {
            let body = change_account(&app, key, INDIVIDUAL_ACCOUNT, "CLOSED", None, client).await;
            refused(&body, "DEFAULT_ACCOUNT_CLOSES_WITH_CUSTOMER");
        }
        let default = read_account(&app, INDIVIDUAL_ACCOUNT).await;
        assert_eq!((&default["status"], &default["closedAt"], &default["isDefault"]), (&json!("ACTIVE"), &Value::Null, &json!(true)), "{default}");
    }

    async fn freezing_a_customer_freezes_its_accounts_and_unfreezing_restores_each_exactly(app) {
        for id in ["ind-dormant", "ind-active", "ind-edd", "ind-own-frozen", "ind-closed"] {
            open_usd(&app, id).await;
        }
        set_account_status(&app, app.key(), "ind-dormant", "DORMANT").await;
        set_account_status(&app, app.key(), "ind-edd", "EDD").await;
        set_account_status(&app, app.key(), "ind-own-frozen", "FROZEN").await;
        set_account_status(&app, app.key(), "ind-closed", "CLOSED").await;
        let before = pairs(&[
            (INDIVIDUAL_ACCOUNT, "ACTIVE"), ("ind-dormant", "DORMANT"), ("ind-active", "ACTIVE"),
            ("ind-edd", "EDD"), ("ind-own-frozen", "FROZEN"), ("ind-closed", "CLOSED"),
        ]);
        let frozen = pairs(&[
            (INDIVIDUAL_ACCOUNT, "FROZEN"), ("ind-dormant", "FROZEN"), ("ind-active", "FROZEN"),
            ("ind-edd", "FROZEN"), ("ind-own-frozen", "FROZEN"), ("ind-closed", "CLOSED"),
        ]);
        let customer = customer_with_accounts(&app, INDIVIDUAL).await;
        assert_eq!(statuses(&customer), before, "{customer}");
        let closed_at = read_account(&app, "ind-closed").await["closedAt"].clone();
        assert!(closed_at.is_string(), "{closed_at}");

        // Leave FROZEN to ACTIVE, then (a second time) to EDD: either way each account the
        // cascade froze gets back exactly its own previous status.
        for leave_to in ["ACTIVE", "EDD"] {
            // The freeze reaches every non-closed account within the same request.
            let body = change_customer(&app, INDIVIDUAL, "FROZEN").await;
            let customer = &body["data"]["changeCustomerStatus"]["customer"];
            assert_eq!(customer["status"], "FROZEN", "{body}");
            assert_eq!(statuses(customer), frozen, "in the mutation's own payload: {body}");
            let stored = customer_with_accounts(&app, INDIVIDUAL).await;
            assert_eq!(statuses(&stored), frozen, "{stored}");
            for id in ["ind-dormant", "ind-active", "ind-edd"] {
                let account = read_account(&app, id).await;
                assert_eq!((&account["status"], &account["closedAt"]), (&json!("FROZEN"), &Value::Null), "{account}");
            }
            assert_eq!(read_account(&app, "ind-closed").await["closedAt"], closed_at);
            // Another customer's account is not touched.
            assert_eq!(read_account(&app, CORPORATION_ACCOUNT).await["status"], "ACTIVE");

            let body = change_customer(&app, INDIVIDUAL, leave_to).await;
            let customer = &body["data"]["changeCustomerStatus"]["customer"];
            assert_eq!(customer["status"], leave_to, "{body}");
            assert_eq!(statuses(customer), before, "back from FROZEN to {leave_to}, in the payload: {body}");
            let stored = customer_with_accounts(&app, INDIVIDUAL).await;
            assert_eq!(stored["status"], leave_to);
            assert_eq!(statuses(&stored), before, "back from FROZEN to {leave_to}: {stored}");
            for (id, status) in &before {
                let account = read_account(&app, id).await;
                assert_eq!(&account["status"], status, "{account}");
                assert_unbroken_history(&account);
            }
            assert_eq!(read_account(&app, "ind-closed").await["closedAt"], closed_at);
        }
        // Money moves again through the restored accounts.
        deposit(&app, app.key(), "ind-dormant", "3.00").await;
        assert_eq!(balances(&app, app.key(), "ind-dormant").await, ("3.00".to_owned(), "3.00".to_owned()));
    }

    async fn a_customer_with_funds_in_any_account_cannot_close_and_nothing_changes(app) {
        open_usd(&app, "ind-dormant").await;
        open_usd(&app, "ind-own-frozen").await;
        open_account(&app, app.key(), INDIVIDUAL, "ind-usdc", "DEPOSIT_BASIC", "ETHEREUM_SEPOLIA_USDC").await;
        open_account(&app, app.key(), CORPORATION, "corp-usdc", "DEPOSIT_BASIC", "ETHEREUM_SEPOLIA_USDC").await;
        deposit(&app, app.key(), "ind-dormant", "5.00").await;
        deposit(&app, app.key(), "ind-usdc", "0.000001").await;
        set_account_status(&app, app.key(), "ind-dormant", "DORMANT").await;
        set_account_status(&app, app.key(), "ind-own-frozen", "FROZEN").await;
        let statuses_before = pairs(&[
            (INDIVIDUAL_ACCOUNT, "ACTIVE"), ("ind-dormant", "DORMANT"), ("ind-own-frozen", "FROZEN"), ("ind-usdc", "ACTIVE"),
        ]);
        let before = customer_with_accounts(&app, INDIVIDUAL).await;
        assert_eq!(statuses(&before), statuses_before, "{before}");

        // Funds in two accounts that are not the default one.
        let body = change_customer(&app, INDIVIDUAL, "CLOSED").await;
        refused(&body, "ACCOUNT_HAS_FUNDS");
        assert_eq!(customer_with_accounts(&app, INDIVIDUAL).await, before, "customer and accounts unchanged");

        // Only the smallest amount left, and it is held on its way out: still refused.
        let dormant_out = request_transfer(&app, "ind-dormant", CORPORATION_ACCOUNT, "5.00").await;
        accept(&app, &dormant_out).await;
        request_transfer(&app, "ind-usdc", "corp-usdc", "0.000001").await;
        assert_eq!(balances(&app, app.key(), "ind-dormant").await, ("0.00".to_owned(), "0.00".to_owned()));
        assert_eq!(balances(&app, app.key(), "ind-usdc").await, ("0.000001".to_owned(), "0.000000".to_owned()));
        let body = change_customer(&app, INDIVIDUAL, "CLOSED").await;
        refused(&body, "ACCOUNT_HAS_FUNDS");
        let after = customer_with_accounts(&app, INDIVIDUAL).await;
        assert_eq!((&after["status"], &after["version"]), (&before["status"], &before["version"]), "{after}");
        assert_eq!(statuses(&after), statuses_before, "{after}");
        for account in after["accounts"]["nodes"].as_array().unwrap() {
            assert_eq!(account["closedAt"], Value::Null, "{account}");
        }

        // A frozen customer with funds: refused too, and the cascade's memory survives it.
        let body = change_customer(&app, INDIVIDUAL, "FROZEN").await;
        assert_eq!(body["data"]["changeCustomerStatus"]["customer"]["status"], "FROZEN", "{body}");
        let body = change_customer(&app, INDIVIDUAL, "CLOSED").await;
        refused(&body, "ACCOUNT_HAS_FUNDS");
        let frozen = customer_with_accounts(&app, INDIVIDUAL).await;
        assert_eq!(frozen["status"], "FROZEN", "{frozen}");
        assert!(statuses(&frozen).iter().all(|(_, s)| s == "FROZEN"), "{frozen}");
        change_customer(&app, INDIVIDUAL, "ACTIVE").await;
        let thawed = customer_with_accounts(&app, INDIVIDUAL).await;
        assert_eq!(thawed["status"], "ACTIVE", "{thawed}");
        assert_eq!(statuses(&thawed), statuses_before, "{thawed}");
    }

    async fn closing_an_emptied_customer_closes_every_account_in_one_step(app) {
        open_usd(&app, "ind-usd-2").await;
        open_usd(&app, "ind-dormant").await;
        open_usd(&app, "ind-own-frozen").await;
        open_account(&app, app.key(), INDIVIDUAL, "ind-btc", "DEPOSIT_BASIC", "BITCOIN_TESTNET_BTC").await;
        deposit(&app, app.key(), "ind-usd-2", "30.00").await;
        deposit(&app, app.key(), INDIVIDUAL_ACCOUNT, "12.34").await;
        set_account_status(&app, app.key(), "ind-dormant", "DORMANT").await;
        set_account_status(&app, app.key(), "ind-own-frozen", "FROZEN").await;
        let body = change_customer(&app, INDIVIDUAL, "CLOSED").await;
        refused(&body, "ACCOUNT_HAS_FUNDS");

        // Empty it: everything goes to the corporation.
        for (from, amount) in [("ind-usd-2", "30.00"), (INDIVIDUAL_ACCOUNT, "12.34")] {
            let transfer = request_transfer(&app, from, CORPORATION_ACCOUNT, amount).await;
            accept(&app, &transfer).await;
        }
        assert_eq!(balances(&app, app.key(), CORPORATION_ACCOUNT).await, ("42.34".to_owned(), "42.34".to_owned()));

        let body = change_customer(&app, INDIVIDUAL, "CLOSED").await;
        let customer = &body["data"]["changeCustomerStatus"]["customer"];
        assert_eq!(customer["status"], "CLOSED", "{body}");
        let every_closed = pairs(&[
            (INDIVIDUAL_ACCOUNT, "CLOSED"), ("ind-usd-2", "CLOSED"), ("ind-dormant", "CLOSED"),
            ("ind-own-frozen", "CLOSED"), ("ind-btc", "CLOSED"),
        ]);
        assert_eq!(statuses(customer), every_closed, "in the mutation's own payload: {body}");
        for account in customer["accounts"]["nodes"].as_array().unwrap() {
            assert!(account["closedAt"].is_string(), "{account}");
        }
        let stored = customer_with_accounts(&app, INDIVIDUAL).await;
        assert_eq!(stored["status"], "CLOSED");
        assert_eq!(statuses(&stored), every_closed, "{stored}");
        for account in stored["accounts"]["nodes"].as_array().unwrap() {
            assert!(account["closedAt"].is_string(), "{account}");
            let zero = if account["accountId"] == "ind-btc" { "0.00000000" } else { "0.00" };
            assert_eq!((&account["currentBalance"], &account["availableBalance"]), (&json!(zero), &json!(zero)), "{account}");
        }
        let default = read_account(&app, INDIVIDUAL_ACCOUNT).await;
        assert_eq!((&default["status"], &default["isDefault"]), (&json!("CLOSED"), &json!(true)), "{default}");

        // Nothing more for this customer: no new account, no money in.
        let a = json!({ "accountId": "ind-late", "productId": "DEPOSIT_BASIC", "assetTypeId": "FIAT_TESTNET_USD" });
        let found = codes(&app, app.key(), &open_account_mutation(), json!({ "c": INDIVIDUAL, "a": a })).await;
        assert_eq!(found, ["CUSTOMER_CANNOT_BE_UPDATED"]);
        let (_, body) = app.gql_as(app.key(), DEPOSIT_MUTATION,
            json!({ "account": INDIVIDUAL_ACCOUNT, "amount": "1.00", "key": "after-close" })).await;
        refused(&body, "CUSTOMER_CANNOT_TRANSACT");
        // The corporation is untouched.
        let corporation = customer_with_accounts(&app, CORPORATION).await;
        assert_eq!(corporation["status"], "ACTIVE");
        assert_eq!(statuses(&corporation), pairs(&[(CORPORATION_ACCOUNT, "ACTIVE")]), "{corporation}");
    }

    async fn a_customer_freeze_keeps_an_accounts_platform_flag_and_restores_it(app) {
        let operator = app.operator_key().await;
        let operator = operator.expose();
        let client = client_gid(&app);
        open_usd(&app, "ind-usd-2").await;
        ok(&app, operator, crate::money::CHANGE_ACCOUNT_STATUS,
           json!({ "a": "ind-usd-2", "s": "ACTIVE_L2F", "client": client }), "changeAccountStatus").await;

        crate::money::set_customer_status(&app, app.key(), INDIVIDUAL, "FROZEN").await;
        let frozen = customer_with_accounts(&app, INDIVIDUAL).await;
        assert_eq!(statuses(&frozen),
                   pairs(&[(INDIVIDUAL_ACCOUNT, "FROZEN"), ("ind-usd-2", "FROZEN_L2F")]), "{frozen}");
        // Still the platform's to act on: the client cannot unfreeze it on its own.
        let body = change_account(&app, app.key(), "ind-usd-2", "ACTIVE", None, None).await;
        refused(&body, "INVALID_STATUS_TRANSITION");

        crate::money::set_customer_status(&app, app.key(), INDIVIDUAL, "ACTIVE").await;
        let thawed = customer_with_accounts(&app, INDIVIDUAL).await;
        assert_eq!(statuses(&thawed),
                   pairs(&[(INDIVIDUAL_ACCOUNT, "ACTIVE"), ("ind-usd-2", "ACTIVE_L2F")]), "{thawed}");
    }
}
