//! The money graph across tenants and at scale: another client reaches none of a client's
//! accounts, payors, addresses, transactions or transfers, by id or by name; and a page of
//! customers with their accounts, payors, addresses and transactions costs the same number
//! of SQL statements whatever its size.

use serde_json::{Value, json};

use super::{
    CORPORATION, CORPORATION_ACCOUNT, DEPOSIT_MUTATION, INDIVIDUAL_ACCOUNT,
    accept_transfer_mutation, balances, cancel_transfer_mutation, codes, create_transfer_mutation,
    deposit, ok, open_account, open_account_mutation,
};
use crate::harness::{TestApp, both_backends, error_codes};

const NODE: &str = "query($id: ID!) { node(id: $id) { id __typename
    ... on Account { accountId currentBalance }
    ... on Payor { payorId }
    ... on PaymentAddress { walletAddress }
    ... on Transaction { value }
    ... on Transfer { status } } }";

const CREATE_PAYOR: &str = "mutation($c: String!, $input: CreatePayorInput!) {
    createPayor(customerId: $c, input: $input) { payor { id payorId } } }";

const UPDATE_PAYOR: &str = "mutation($c: String!, $p: String!, $input: UpdatePayorInput!) {
    updatePayor(customerId: $c, payorId: $p, input: $input) { payor { payorId emailAddress } } }";

const PAYOR: &str = "query($c: String!, $p: String!) { payor(customerId: $c, payorId: $p) {
    payorId firstName lastName emailAddress countryCode } }";

const REQUEST_ADDRESS: &str =
    "mutation($a: String!, $p: String!, $ref: String!, $amount: Decimal) {
    requestPaymentAddress(accountId: $a, payorId: $p, paymentReference: $ref, amount: $amount) {
        paymentAddress { id walletAddress transactionsReceived valueReceived } } }";

const TRANSFER: &str = "query($id: ID!) { transfer(id: $id) { id status amount } }";

fn payor_input(payor_id: &str, n: usize) -> Value {
    json!({ "payorId": payor_id, "firstName": "Pat", "lastName": format!("Payer {n}"),
            "countryCode": "US", "state": "CA" })
}

/// Like `ok`, for setup run many at once: retries a request refused with CONFLICT (a
/// serialization failure under concurrent writes) a few times.
async fn ok_retrying(app: &TestApp, query: &str, variables: Value, field: &str) -> Value {
    for _ in 0..5 {
        let (status, body) = app.gql_as(app.key(), query, variables.clone()).await;
        assert_eq!(status, 200, "{body}");
        if error_codes(&body) == ["CONFLICT"] {
            continue;
        }
        assert!(body["errors"].is_null(), "{field}: {body}");
        return body["data"][field].clone();
    }
    panic!("{field}: still CONFLICT after five attempts");
}

/// Synthetic customer `n` (`synthetic-{n:06}`): an account, a payor, and for even `n` a
/// PAYMENT_BASIC account with a payment address and payments through it (seven for every
/// tenth customer, more than the five per account the page shows); every third odd customer
/// also gets a payment straight to its DEPOSIT_BASIC account (no payor).
async fn furnish(app: &TestApp, n: usize) {
    let customer_id = format!("synthetic-{n:06}");
    let account_id = format!("syn-{n}");
    let payor_id = format!("payor-{n}");
    let product = if n.is_multiple_of(2) {
        "PAYMENT_BASIC"
    } else {
        "DEPOSIT_BASIC"
    };
    ok_retrying(
        app,
        &open_account_mutation(),
        json!({ "c": customer_id, "a": { "accountId": account_id, "productId": product,
                                          "assetTypeId": "FIAT_TESTNET_USD" } }),
        "openAccount",
    )
    .await;
    ok_retrying(
        app,
        CREATE_PAYOR,
        json!({ "c": customer_id, "input": payor_input(&payor_id, n) }),
        "createPayor",
    )
    .await;
    if n.is_multiple_of(2) {
        let address = ok_retrying(
            app,
            REQUEST_ADDRESS,
            json!({ "a": account_id, "p": payor_id, "ref": format!("REF-{n}") }),
            "requestPaymentAddress",
        )
        .await;
        let address_id = &address["paymentAddress"]["id"];
        let payments = if n.is_multiple_of(10) { 7 } else { 2 };
        for p in 0..payments {
            ok_retrying(
                app,
                DEPOSIT_MUTATION,
                json!({ "address": address_id, "amount": format!("{}.00", p + 1),
                        "key": format!("syn-{n}-{p}") }),
                "simulateIncomingPayment",
            )
            .await;
        }
    } else if n.is_multiple_of(3) {
        ok_retrying(
            app,
            DEPOSIT_MUTATION,
            json!({ "account": account_id, "amount": "9.00", "key": format!("syn-{n}-direct") }),
            "simulateIncomingPayment",
        )
        .await;
    }
}

const NESTED_PAGE: &str = "query($n: Int!) { customers(first: $n) { nodes { customerId
    accounts { nodes { accountId productId
        payors { payorId }
        paymentAddresses { walletAddress }
        transactions(first: 5) { nodes { value payorId payor { payorId } } } } }
    payors { nodes { payorId } } } } }";

/// Checks one page of the nested query against what `furnish` created; returns how many
/// accounts showed exactly five transactions.
fn check_nested_page(body: &Value, size: usize) -> usize {
    let customers = body["data"]["customers"]["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("customers in {body}"));
    assert_eq!(customers.len(), size, "{body}");
    let mut full_pages = 0;
    let mut synthetic = 0;
    for customer in customers {
        let customer_id = customer["customerId"].as_str().unwrap();
        let accounts = customer["accounts"]["nodes"].as_array().unwrap();
        let Some(n) = customer_id.strip_prefix("synthetic-") else {
            assert_eq!(
                accounts.len(),
                1,
                "a sandbox customer's default account: {customer}"
            );
            continue;
        };
        synthetic += 1;
        let n: usize = n.parse().unwrap();
        let payor_id = format!("payor-{n}");
        assert_eq!(
            customer["payors"]["nodes"],
            json!([{ "payorId": payor_id }]),
            "{customer}"
        );
        assert_eq!(accounts.len(), 1, "{customer}");
        let account = &accounts[0];
        assert_eq!(account["accountId"], format!("syn-{n}"));
        let transactions = account["transactions"]["nodes"].as_array().unwrap();
        assert!(transactions.len() <= 5, "first: 5 at most: {account}");
        if transactions.len() == 5 {
            full_pages += 1;
        }
        if n.is_multiple_of(2) {
            assert_eq!(
                account["payors"],
                json!([{ "payorId": payor_id }]),
                "{account}"
            );
            assert_eq!(
                account["paymentAddresses"].as_array().unwrap().len(),
                1,
                "{account}"
            );
            assert_eq!(
                transactions.len(),
                if n.is_multiple_of(10) { 5 } else { 2 },
                "{account}"
            );
            for transaction in transactions {
                assert_eq!(transaction["payor"]["payorId"], payor_id, "{account}");
                assert_eq!(transaction["payorId"], payor_id, "{account}");
            }
        } else {
            assert_eq!(account["payors"], json!([]), "{account}");
            assert_eq!(account["paymentAddresses"], json!([]), "{account}");
            assert_eq!(
                transactions.len(),
                usize::from(n.is_multiple_of(3)),
                "{account}"
            );
            for transaction in transactions {
                assert_eq!(transaction["payor"], Value::Null, "{account}");
                assert_eq!(transaction["value"], "9.00", "{account}");
            }
        }
    }
    assert!(
        synthetic >= size - 2,
        "the page is mostly furnished customers: {synthetic}"
    );
    full_pages
}

both_backends! {
    async fn another_client_reaches_none_of_a_clients_money_objects(app) {
        let own = app.key();
        // The first client's objects: an account only it has, money in the default accounts,
        // a payor, a payment address, a payment through it, and a transfer on hold.
        open_account(&app, own, CORPORATION, "only-first-usd", "PAYMENT_BASIC", "FIAT_TESTNET_USD").await;
        deposit(&app, own, INDIVIDUAL_ACCOUNT, "100.00").await;
        let payor = ok(&app, own, CREATE_PAYOR,
            json!({ "c": CORPORATION, "input": payor_input("payor-1", 1) }), "createPayor").await;
        let payor_id = payor["payor"]["id"].clone();
        let address = ok(&app, own, REQUEST_ADDRESS,
            json!({ "a": CORPORATION_ACCOUNT, "p": "payor-1", "ref": "INV-1" }), "requestPaymentAddress").await;
        let address_id = address["paymentAddress"]["id"].clone();
        let payment = ok(&app, own, DEPOSIT_MUTATION,
            json!({ "address": address_id, "amount": "50.00", "key": "pay-1" }), "simulateIncomingPayment").await;
        let transaction_id = payment["transaction"]["id"].clone();
        let transfer = ok(&app, own, &create_transfer_mutation(), json!({ "from": INDIVIDUAL_ACCOUNT,
            "to": CORPORATION_ACCOUNT, "amount": "10.00", "key": "tr-1" }), "createTransfer").await;
        let transfer_id = transfer["transfer"]["id"].clone();
        assert_eq!(transfer["transfer"]["status"], "REQUESTED");
        let account_id = ok(&app, own, "{ account(accountId: \"only-first-usd\") { id } }", json!({}),
            "account").await["id"].clone();

        let own_state = async |app: &TestApp| {
            (
                balances(app, app.key(), INDIVIDUAL_ACCOUNT).await,
                balances(app, app.key(), CORPORATION_ACCOUNT).await,
                balances(app, app.key(), "only-first-usd").await,
                ok(app, app.key(), TRANSFER, json!({ "id": transfer_id }), "transfer").await,
                ok(app, app.key(), PAYOR, json!({ "c": CORPORATION, "p": "payor-1" }), "payor").await,
                ok(app, app.key(), NODE, json!({ "id": address_id }), "node").await,
            )
        };
        let before = own_state(&app).await;
        assert_eq!(before.0, ("100.00".to_owned(), "90.00".to_owned()));
        assert_eq!(before.1, ("50.00".to_owned(), "50.00".to_owned()));
        // Every object resolves by global id for its own client.
        for id in [&account_id, &payor_id, &address_id, &transaction_id, &transfer_id] {
            let node = ok(&app, own, NODE, json!({ "id": id }), "node").await;
            assert_eq!(&node["id"], id, "{node}");
        }

        let other = app.another_client().await;
        let theirs = other.key.expose();
        // By global id: null, as for an id that does not exist, with no error.
        for id in [&account_id, &payor_id, &address_id, &transaction_id, &transfer_id] {
            let (status, body) = app.gql_as(theirs, NODE, json!({ "id": id })).await;
            assert_eq!(status, 200);
            assert_eq!(body["data"]["node"], Value::Null, "{id}: {body}");
            assert!(body.get("errors").is_none(), "nothing that reveals existence: {body}");
        }
        // The transfer: not found to read, accept or cancel.
        assert_eq!(codes(&app, theirs, TRANSFER, json!({ "id": transfer_id })).await, ["NOT_FOUND"]);
        assert_eq!(codes(&app, theirs, &accept_transfer_mutation(),
            json!({ "id": transfer_id, "key": "steal-1" })).await, ["NOT_FOUND"]);
        assert_eq!(codes(&app, theirs, &cancel_transfer_mutation(), json!({ "id": transfer_id })).await,
            ["NOT_FOUND"]);
        // By name: account and payor names resolve within the caller's own client only.
        assert_eq!(codes(&app, theirs, "{ account(accountId: \"only-first-usd\") { id } }", json!({})).await,
            ["NOT_FOUND"]);
        assert_eq!(codes(&app, theirs, PAYOR, json!({ "c": CORPORATION, "p": "payor-1" })).await,
            ["NOT_FOUND"]);
        assert_eq!(codes(&app, theirs, UPDATE_PAYOR, json!({ "c": CORPORATION, "p": "payor-1",
            "input": { "emailAddress": "evil@example.com" } })).await, ["NOT_FOUND"]);
        assert_eq!(codes(&app, theirs, REQUEST_ADDRESS,
            json!({ "a": "only-first-usd", "p": "payor-1", "ref": "X" })).await, ["NOT_FOUND"]);
        assert_eq!(codes(&app, theirs, REQUEST_ADDRESS,
            json!({ "a": CORPORATION_ACCOUNT, "p": "payor-1", "ref": "X" })).await, ["NOT_FOUND"],
            "its own account of the same name, the first client's payor");
        // Money: not through the first client's address, not into its account.
        assert_eq!(codes(&app, theirs, DEPOSIT_MUTATION,
            json!({ "address": address_id, "amount": "1.00", "key": "in-1" })).await, ["NOT_FOUND"]);
        assert_eq!(codes(&app, theirs, DEPOSIT_MUTATION,
            json!({ "account": "only-first-usd", "amount": "1.00", "key": "in-2" })).await, ["NOT_FOUND"]);
        deposit(&app, theirs, INDIVIDUAL_ACCOUNT, "20.00").await;
        let into_first = codes(&app, theirs, &create_transfer_mutation(), json!({ "from": INDIVIDUAL_ACCOUNT,
            "to": "only-first-usd", "amount": "5.00", "key": "out-1" })).await;
        let into_nothing = codes(&app, theirs, &create_transfer_mutation(), json!({ "from": INDIVIDUAL_ACCOUNT,
            "to": "no-such-account", "amount": "5.00", "key": "out-2" })).await;
        assert!(!into_first.is_empty(), "refused");
        assert_eq!(into_first, into_nothing, "indistinguishable from an account that does not exist");
        assert_eq!(balances(&app, theirs, INDIVIDUAL_ACCOUNT).await, ("20.00".to_owned(), "20.00".to_owned()));
        // Its own accounts of the same names show none of the first client's money or payors.
        let same_name = ok(&app, theirs, "query($a: String!) { account(accountId: $a) {
            currentBalance payors { payorId } paymentAddresses { walletAddress }
            transactions { nodes { id } } customer { payors { nodes { payorId } } } } }",
            json!({ "a": CORPORATION_ACCOUNT }), "account").await;
        assert_eq!(same_name, json!({ "currentBalance": "0.00", "payors": [], "paymentAddresses": [],
            "transactions": { "nodes": [] }, "customer": { "payors": { "nodes": [] } } }));
        // Names are the client's own: the other client may use the same ones.
        let its_own = open_account(&app, theirs, CORPORATION, "only-first-usd", "PAYMENT_BASIC",
            "FIAT_TESTNET_USD").await;
        assert_ne!(its_own["id"], account_id);
        let its_payor = ok(&app, theirs, CREATE_PAYOR,
            json!({ "c": CORPORATION, "input": payor_input("payor-1", 2) }), "createPayor").await;
        assert_ne!(its_payor["payor"]["id"], payor_id);
        let its_address = ok(&app, theirs, REQUEST_ADDRESS,
            json!({ "a": "only-first-usd", "p": "payor-1", "ref": "INV-1" }), "requestPaymentAddress").await;
        ok(&app, theirs, DEPOSIT_MUTATION, json!({ "address": its_address["paymentAddress"]["id"],
            "amount": "7.00", "key": "pay-1" }), "simulateIncomingPayment").await;
        assert_eq!(balances(&app, theirs, "only-first-usd").await, ("7.00".to_owned(), "7.00".to_owned()));

        // The first client's objects are exactly as they were.
        let after = own_state(&app).await;
        assert_eq!(after, before);
        assert_eq!(after.3["status"], "REQUESTED");
        assert_eq!(after.4["emailAddress"], Value::Null);
        assert_eq!(after.5["walletAddress"], address["paymentAddress"]["walletAddress"]);
        let account = ok(&app, own, "{ account(accountId: \"only-first-usd\") { currentBalance
            paymentAddresses { walletAddress } transactions { nodes { id } } } }", json!({}), "account").await;
        assert_eq!(account, json!({ "currentBalance": "0.00", "paymentAddresses": [],
            "transactions": { "nodes": [] } }));
        let address_read = ok(&app, own, "query($id: ID!) { node(id: $id) { ... on PaymentAddress {
            transactionsReceived valueReceived } } }", json!({ "id": address_id }), "node").await;
        assert_eq!(address_read, json!({ "transactionsReceived": 1, "valueReceived": "50.00" }));
    }

    async fn a_page_of_customers_with_their_money_graph_costs_the_same_statements_for_50_and_100(app) {
        layer2::seed::synthetic_customers(&app.database, app.sandbox.client.id, 100).await.unwrap();
        let numbers: Vec<usize> = (0..100).collect();
        for chunk in numbers.chunks(10) {
            futures_util::future::join_all(chunk.iter().map(|&n| furnish(&app, n))).await;
        }

        ok(&app, app.key(), NESTED_PAGE, json!({ "n": 50 }), "customers").await; // the key is verified
        // Counted per request (`extensions.statements`), so background work cannot change it;
        // batches start when a level has asked for every key, so it is the same every time.
        let mut counts = Vec::new();
        let mut bodies = [Value::Null, Value::Null];
        for _ in 0..2 {
            for (slot, n) in [50, 100].into_iter().enumerate() {
                let body = app.gql(NESTED_PAGE, json!({ "n": n })).await;
                assert!(body["errors"].is_null(), "{body}");
                counts.push(body["extensions"]["statements"].as_u64().expect("statements reported"));
                bodies[slot] = body;
            }
        }
        eprintln!("statements for the nested page of 50, 100, 50 and 100 customers: {counts:?}");
        // The pages hold what was created: 10 accounts (n = 0, 10, …, 90) show five of their
        // seven payments on the page of 100, five (n = 0, …, 40) on the page of 50.
        assert_eq!(check_nested_page(&bodies[0], 50), 5);
        assert_eq!(check_nested_page(&bodies[1], 100), 10);
        // One per loader and level: the customers; their accounts and payors; the accounts'
        // payors, addresses and transactions; the transactions' payors. The key is cached.
        assert_eq!(counts, [7, 7, 7, 7], "statements for 50, 100, 50 and 100 customers");

        // The benchmark's page: customers, then their accounts and their payors, three
        // statements whatever its size; `totalCount` costs one more, only when selected.
        let shape = |n: usize, total: &str| format!("{{ customers(first: {n}) {{ {total} nodes {{ customerId
            accounts {{ nodes {{ accountId currentBalance }} }} payors {{ nodes {{ payorId }} }} }} }} }}");
        for n in [10, 100] {
            let body = app.gql(&shape(n, ""), json!({})).await;
            assert_eq!(body["data"]["customers"]["nodes"].as_array().map(Vec::len), Some(n), "{body}");
            assert_eq!(body["extensions"]["statements"], 3, "{body}");
            let body = app.gql(&shape(n, "totalCount"), json!({})).await;
            assert_eq!(body["extensions"]["statements"], 4, "{body}");
        }
    }
}
