//! Transfers between a client's own accounts: the hold on creation, execution on acceptance,
//! cancellation, rejection when a side can no longer transact, expiry (read at once, settled
//! by the next write on the source or by the sweeper, on an injected clock), money conservation under concurrency, and idempotency keys.

use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use super::*;
use crate::harness::{
    TestApp, both_backends, both_backends_configured, clocked_backends, error_codes,
};

/// A fresh idempotency key.
fn new_key() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// `amount` ("123.45", USD) in cents.
fn cents(amount: &str) -> i64 {
    let (units, fraction) = amount
        .split_once('.')
        .unwrap_or_else(|| panic!("USD amounts carry two decimals: {amount}"));
    assert_eq!(
        fraction.len(),
        2,
        "USD amounts carry two decimals: {amount}"
    );
    let negative = units.starts_with('-');
    let value = units.trim_start_matches('-').parse::<i64>().unwrap() * 100
        + fraction.parse::<i64>().unwrap();
    if negative { -value } else { value }
}

/// `cents` (non-negative) as a USD amount.
fn usd(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

fn timestamp(value: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(value.as_str().unwrap_or_else(|| panic!("{value}")))
        .unwrap()
        .with_timezone(&Utc)
}

/// createTransfer as `key`; returns the whole response body.
async fn create_as(
    app: &TestApp,
    key: &str,
    from: &str,
    to: &str,
    amount: &str,
    idempotency_key: &str,
) -> Value {
    let variables = json!({ "from": from, "to": to, "amount": amount, "key": idempotency_key });
    let (status, body) = app
        .gql_as(key, &create_transfer_mutation(), variables)
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

/// createTransfer as the sandbox client with a fresh key; returns the whole response body.
async fn create(app: &TestApp, from: &str, to: &str, amount: &str) -> Value {
    create_as(app, app.key(), from, to, amount, &new_key()).await
}

/// createTransfer as the sandbox client, asserting success; returns the transfer.
async fn requested(app: &TestApp, from: &str, to: &str, amount: &str) -> Value {
    let body = create(app, from, to, amount).await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["createTransfer"]["transfer"].clone()
}

/// acceptTransfer as the sandbox client; returns the whole response body.
async fn accept(app: &TestApp, id: &str, idempotency_key: &str) -> Value {
    app.gql(
        &accept_transfer_mutation(),
        json!({ "id": id, "key": idempotency_key }),
    )
    .await
}

/// cancelTransfer as the sandbox client; returns the whole response body.
async fn cancel(app: &TestApp, id: &str) -> Value {
    app.gql(&cancel_transfer_mutation(), json!({ "id": id }))
        .await
}

/// The transfer as `transfer(id)` reads it now.
async fn read_transfer(app: &TestApp, id: &str) -> Value {
    let query = format!("query($id: ID!) {{ transfer(id: $id) {{ {TRANSFER_FIELDS} }} }}");
    ok(app, app.key(), &query, json!({ "id": id }), "transfer").await
}

/// Asserts `body` is exactly INVALID_STATUS_TRANSITION from `current`.
fn assert_invalid_transition(body: &Value, current: &str) {
    assert_eq!(error_codes(body), ["INVALID_STATUS_TRANSITION"], "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["currentStatus"], current,
        "{body}"
    );
}

async fn assert_balances(app: &TestApp, account_id: &str, current: &str, available: &str) {
    assert_eq!(
        balances(app, app.key(), account_id).await,
        (current.to_owned(), available.to_owned()),
        "{account_id}: (currentBalance, availableBalance)"
    );
}

/// An account's transactions (newest first) as (status, type, category, value, id).
async fn transactions(
    app: &TestApp,
    account_id: &str,
    filter: Value,
) -> Vec<(String, String, String, String, String)> {
    let query = "query($a: String!, $f: TransactionFilter) { account(accountId: $a) {
        transactions(filter: $f, first: 100) {
            nodes { id transactionStatus transactionType categoryType value } } } }";
    let account = ok(
        app,
        app.key(),
        query,
        json!({ "a": account_id, "f": filter }),
        "account",
    )
    .await;
    let text = |node: &Value, field: &str| node[field].as_str().unwrap_or("<none>").to_owned();
    account["transactions"]["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("{account}"))
        .iter()
        .map(|n| {
            (
                text(n, "transactionStatus"),
                text(n, "transactionType"),
                text(n, "categoryType"),
                text(n, "value"),
                text(n, "id"),
            )
        })
        .collect()
}

/// The TRANSFER_OUT transactions of an account as (status, category, value).
async fn transfers_out(app: &TestApp, account_id: &str) -> Vec<(String, String, String)> {
    transactions(
        app,
        account_id,
        json!({ "transactionType": "TRANSFER_OUT" }),
    )
    .await
    .into_iter()
    .map(|(status, _, category, value, _)| (status, category, value))
    .collect()
}

fn triple(status: &str, category: &str, value: &str) -> (String, String, String) {
    (status.to_owned(), category.to_owned(), value.to_owned())
}

/// AUTHORIZED transactions (holds) of the sandbox client, as the store counts them.
async fn open_holds(app: &TestApp) -> i64 {
    let mut pooled = app.database.conn().await.unwrap();
    layer2::store::ledger::open_holds(&mut pooled.conn(), Some(app.sandbox.client.id))
        .await
        .unwrap()
}

/// The store's own check: every account's balances equal its ledger, every posting sums to
/// zero and no hold is open. Returns each accountId with its current balance in cents.
async fn assert_ledger_consistent(app: &TestApp) -> Vec<(String, i64)> {
    use layer2::store::ledger;
    let client = app.sandbox.client.id;
    let mut pooled = app.database.conn().await.unwrap();
    let rows = ledger::reconcile(&mut pooled.conn(), Some(client))
        .await
        .unwrap();
    assert!(!rows.is_empty(), "the sandbox has accounts");
    for row in &rows {
        assert_eq!(
            (row.ledger_current, row.ledger_available),
            (row.current_balance, row.available_balance),
            "{}: (current, available) per the ledger vs the stored balances",
            row.account_id
        );
    }
    let unbalanced = ledger::unbalanced_postings(&mut pooled.conn())
        .await
        .unwrap();
    assert_eq!(unbalanced, 0, "postings whose entries do not sum to zero");
    let misattributed = ledger::misattributed_entries(&mut pooled.conn())
        .await
        .unwrap();
    assert_eq!(
        misattributed, 0,
        "entries on another account than their transaction's"
    );
    let holds = ledger::open_holds(&mut pooled.conn(), Some(client))
        .await
        .unwrap();
    assert_eq!(holds, 0, "open holds");
    rows.iter()
        .map(|row| (row.account_id.clone(), row.current_balance))
        .collect()
}

/// One step of the concurrency test: a transfer that is then accepted or cancelled.
#[derive(Clone, Copy)]
struct Move {
    from: usize,
    to: usize,
    cents: i64,
    accept: bool,
}

/// How a `Move` ended.
enum Outcome {
    Refused,
    Executed,
    Cancelled,
}

/// Runs one `Move` over its own HTTP connection: createTransfer, then acceptTransfer or
/// cancelTransfer, retrying the second step (same idempotency key) while it meets CONFLICT.
async fn run_move(app: &TestApp, accounts: &[String], step: Move) -> Outcome {
    let body = create(
        app,
        &accounts[step.from],
        &accounts[step.to],
        &usd(step.cents),
    )
    .await;
    match error_codes(&body).as_slice() {
        [] => {}
        [code] if code == "INSUFFICIENT_FUNDS" || code == "CONFLICT" => return Outcome::Refused,
        _ => panic!("createTransfer: {body}"),
    }
    let id = body["data"]["createTransfer"]["transfer"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let accept_key = new_key();
    for attempt in 0..60_u64 {
        let (body, field) = if step.accept {
            (accept(app, &id, &accept_key).await, "acceptTransfer")
        } else {
            (cancel(app, &id).await, "cancelTransfer")
        };
        match error_codes(&body).as_slice() {
            [] => {
                let status = &body["data"][field]["transfer"]["status"];
                return if step.accept {
                    assert_eq!(status, "EXECUTED", "{body}");
                    Outcome::Executed
                } else {
                    assert_eq!(status, "CANCELLED", "{body}");
                    Outcome::Cancelled
                };
            }
            [code] if code == "CONFLICT" => {
                tokio::time::sleep(Duration::from_millis(5 * (attempt + 1))).await;
            }
            _ => panic!("{field}: {body}"),
        }
    }
    panic!("{id} still meets CONFLICT after 60 attempts")
}

both_backends! {
    async fn a_transfer_holds_funds_on_creation_and_moves_them_on_acceptance(app) {
        deposit(&app, app.key(), INDIVIDUAL_ACCOUNT, "100.00").await;
        let before = Utc::now();
        let body = app.gql(&create_transfer_mutation(), json!({ "from": INDIVIDUAL_ACCOUNT,
            "to": CORPORATION_ACCOUNT, "amount": "30", "key": new_key(), "description": "rent" })).await;
        assert!(body["errors"].is_null(), "{body}");
        let transfer = &body["data"]["createTransfer"]["transfer"];
        let id = transfer["id"].as_str().unwrap().to_owned();
        assert_eq!(transfer["status"], "REQUESTED");
        assert_eq!(transfer["amount"], "30.00", "output carries the asset's decimals");
        assert_eq!(transfer["assetTypeId"], "FIAT_TESTNET_USD");
        assert_eq!(transfer["description"], "rent");
        assert!(transfer["rejectionReason"].is_null());
        let valid_until = timestamp(&transfer["validUntil"]);
        assert!(valid_until > before + chrono::Duration::minutes(4), "default validity is 5 minutes: {valid_until}");
        assert!(valid_until <= Utc::now() + chrono::Duration::minutes(5) + chrono::Duration::seconds(5), "{valid_until}");
        // The hold: available drops, current does not; the destination sees nothing yet.
        assert_eq!(transfer["sourceAccount"], json!({ "accountId": INDIVIDUAL_ACCOUNT,
            "currentBalance": "100.00", "availableBalance": "70.00" }));
        assert_eq!(transfer["destinationAccount"], json!({ "accountId": CORPORATION_ACCOUNT,
            "currentBalance": "0.00", "availableBalance": "0.00" }));
        assert_balances(&app, INDIVIDUAL_ACCOUNT, "100.00", "70.00").await;
        assert_balances(&app, CORPORATION_ACCOUNT, "0.00", "0.00").await;
        let source = transactions(&app, INDIVIDUAL_ACCOUNT, json!(null)).await;
        let holds: Vec<_> = source.iter().filter(|t| t.1 == "TRANSFER_OUT").collect();
        assert_eq!(holds.len(), 1, "{source:?}");
        assert_eq!((holds[0].0.as_str(), holds[0].3.as_str()), ("AUTHORIZED", "30.00"));
        let hold_id = holds[0].4.clone();
        assert_eq!(open_holds(&app).await, 1);
        assert!(transactions(&app, CORPORATION_ACCOUNT, json!(null)).await.is_empty());
        assert_eq!(read_transfer(&app, &id).await["status"], "REQUESTED");

        // Acceptance executes it: both balances move, on both sides.
        let body = accept(&app, &id, &new_key()).await;
        assert!(body["errors"].is_null(), "{body}");
        let executed = &body["data"]["acceptTransfer"]["transfer"];
        assert_eq!(executed["status"], "EXECUTED");
        assert_eq!(executed["sourceAccount"]["currentBalance"], "70.00");
        assert_eq!(executed["sourceAccount"]["availableBalance"], "70.00");
        assert_eq!(executed["destinationAccount"]["currentBalance"], "30.00");
        assert_eq!(executed["destinationAccount"]["availableBalance"], "30.00");
        assert_eq!(read_transfer(&app, &id).await["status"], "EXECUTED");
        assert_balances(&app, INDIVIDUAL_ACCOUNT, "70.00", "70.00").await;
        assert_balances(&app, CORPORATION_ACCOUNT, "30.00", "30.00").await;
        // The hold itself is now the posted TRANSFER_OUT; the destination has a TRANSFER_IN.
        let source = transactions(&app, INDIVIDUAL_ACCOUNT, json!({ "transactionType": "TRANSFER_OUT" })).await;
        assert_eq!(source.len(), 1, "{source:?}");
        let (status, kind, category, value, posted_id) = &source[0];
        assert_eq!((status.as_str(), kind.as_str(), category.as_str(), value.as_str()),
            ("POSTED", "TRANSFER_OUT", "TRANSFER", "30.00"));
        assert_eq!(*posted_id, hold_id, "the hold transaction itself is posted");
        let destination = transactions(&app, CORPORATION_ACCOUNT, json!(null)).await;
        assert_eq!(destination.len(), 1, "{destination:?}");
        let (status, kind, category, value, _) = &destination[0];
        assert_eq!((status.as_str(), kind.as_str(), category.as_str(), value.as_str()),
            ("POSTED", "TRANSFER_IN", "TRANSFER", "30.00"));
        let ledger = assert_ledger_consistent(&app).await;
        assert!(ledger.contains(&(INDIVIDUAL_ACCOUNT.to_owned(), 7000)), "{ledger:?}");
        assert!(ledger.contains(&(CORPORATION_ACCOUNT.to_owned(), 3000)), "{ledger:?}");

        // An executed transfer is final: no second acceptance, no cancellation.
        assert_invalid_transition(&accept(&app, &id, &new_key()).await, "EXECUTED");
        assert_invalid_transition(&cancel(&app, &id).await, "EXECUTED");
        assert_balances(&app, INDIVIDUAL_ACCOUNT, "70.00", "70.00").await;
        assert_balances(&app, CORPORATION_ACCOUNT, "30.00", "30.00").await;
    }

    async fn cancelling_a_transfer_releases_its_hold_and_ends_it(app) {
        deposit(&app, app.key(), INDIVIDUAL_ACCOUNT, "50.00").await;
        let transfer = requested(&app, INDIVIDUAL_ACCOUNT, CORPORATION_ACCOUNT, "20.00").await;
        let id = transfer["id"].as_str().unwrap();
        assert_balances(&app, INDIVIDUAL_ACCOUNT, "50.00", "30.00").await;

        let body = cancel(&app, id).await;
        assert!(body["errors"].is_null(), "{body}");
        let cancelled = &body["data"]["cancelTransfer"]["transfer"];
        assert_eq!(cancelled["status"], "CANCELLED");
        assert_eq!(cancelled["sourceAccount"]["availableBalance"], "50.00");
        assert_eq!(read_transfer(&app, id).await["status"], "CANCELLED");
        assert_balances(&app, INDIVIDUAL_ACCOUNT, "50.00", "50.00").await;
        assert_balances(&app, CORPORATION_ACCOUNT, "0.00", "0.00").await;
        assert_eq!(transfers_out(&app, INDIVIDUAL_ACCOUNT).await, [triple("CANCELLED", "TRANSFER", "20.00")],
            "the hold transaction is cancelled");
        assert!(transactions(&app, CORPORATION_ACCOUNT, json!(null)).await.is_empty());
        assert_ledger_consistent(&app).await;

        // Only a REQUESTED transfer may be cancelled or accepted.
        assert_invalid_transition(&cancel(&app, id).await, "CANCELLED");
        assert_invalid_transition(&accept(&app, id, &new_key()).await, "CANCELLED");
        assert_eq!(read_transfer(&app, id).await["status"], "CANCELLED");
        assert_balances(&app, INDIVIDUAL_ACCOUNT, "50.00", "50.00").await;
        assert_balances(&app, CORPORATION_ACCOUNT, "0.00", "0.00").await;
    }

    async fn a_transfer_needs_available_funds_in_the_same_asset_between_two_own_accounts(app) {
        deposit(&app, app.key(), INDIVIDUAL_ACCOUNT, "100.00").await;
        open_account(&app, app.key(), INDIVIDUAL, "individual-eur", "DEPOSIT_BASIC", "FIAT_TESTNET_EUR").await;
        let other = app.another_client().await;
        open_account(&app, other.key.expose(), INDIVIDUAL, "elsewhere-usd", "DEPOSIT_BASIC", "FIAT_TESTNET_USD").await;

        // Input problems, while funds would suffice.
        let body = create(&app, INDIVIDUAL_ACCOUNT, "individual-eur", "1.00").await;
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "another asset: {body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], "destinationAccountId", "{body}");
        let body = create(&app, INDIVIDUAL_ACCOUNT, INDIVIDUAL_ACCOUNT, "1.00").await;
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "to itself: {body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], "destinationAccountId", "{body}");
        let body = create(&app, INDIVIDUAL_ACCOUNT, "elsewhere-usd", "1.00").await;
        assert_eq!(error_codes(&body), ["NOT_FOUND"], "another client's account: {body}");
        let body = create(&app, "elsewhere-usd", INDIVIDUAL_ACCOUNT, "1.00").await;
        assert_eq!(error_codes(&body), ["NOT_FOUND"], "another client's account: {body}");
        assert_balances(&app, INDIVIDUAL_ACCOUNT, "100.00", "100.00").await;
        assert_eq!(open_holds(&app).await, 0, "no refused transfer holds anything");

        // Funds: the available balance counts, not the current one.
        let body = create(&app, INDIVIDUAL_ACCOUNT, CORPORATION_ACCOUNT, "100.01").await;
        assert_eq!(error_codes(&body), ["INSUFFICIENT_FUNDS"], "{body}");
        let body = create(&app, CORPORATION_ACCOUNT, INDIVIDUAL_ACCOUNT, "0.01").await;
        assert_eq!(error_codes(&body), ["INSUFFICIENT_FUNDS"], "an empty account: {body}");
        let first = requested(&app, INDIVIDUAL_ACCOUNT, CORPORATION_ACCOUNT, "60.00").await;
        assert_balances(&app, INDIVIDUAL_ACCOUNT, "100.00", "40.00").await;
        let body = create(&app, INDIVIDUAL_ACCOUNT, CORPORATION_ACCOUNT, "40.01").await;
        assert_eq!(error_codes(&body), ["INSUFFICIENT_FUNDS"], "the hold took the funds: {body}");
        assert_balances(&app, INDIVIDUAL_ACCOUNT, "100.00", "40.00").await;
        let second = requested(&app, INDIVIDUAL_ACCOUNT, CORPORATION_ACCOUNT, "40.00").await;
        assert_balances(&app, INDIVIDUAL_ACCOUNT, "100.00", "0.00").await;
        let body = create(&app, INDIVIDUAL_ACCOUNT, CORPORATION_ACCOUNT, "0.01").await;
        assert_eq!(error_codes(&body), ["INSUFFICIENT_FUNDS"], "{body}");
        assert_eq!(open_holds(&app).await, 2);
        let out = transfers_out(&app, INDIVIDUAL_ACCOUNT).await;
        assert_eq!(out.len(), 2, "a refused transfer leaves no transaction: {out:?}");
        assert!(out.iter().all(|t| t.0 == "AUTHORIZED"), "{out:?}");

        // Releasing one hold makes its funds available again.
        assert!(cancel(&app, first["id"].as_str().unwrap()).await["errors"].is_null());
        assert_balances(&app, INDIVIDUAL_ACCOUNT, "100.00", "60.00").await;
        let body = accept(&app, second["id"].as_str().unwrap(), &new_key()).await;
        assert!(body["errors"].is_null(), "{body}");
        assert_balances(&app, INDIVIDUAL_ACCOUNT, "60.00", "60.00").await;
        assert_balances(&app, CORPORATION_ACCOUNT, "40.00", "40.00").await;
        assert_ledger_consistent(&app).await;
    }

    async fn a_transfer_whose_side_can_no_longer_transact_is_rejected_on_acceptance(app) {
        deposit(&app, app.key(), INDIVIDUAL_ACCOUNT, "100.00").await;
        let transfer = requested(&app, INDIVIDUAL_ACCOUNT, CORPORATION_ACCOUNT, "40.00").await;
        let id = transfer["id"].as_str().unwrap();
        set_account_status(&app, app.key(), CORPORATION_ACCOUNT, "FROZEN").await;

        let body = accept(&app, id, &new_key()).await;
        assert!(body["errors"].is_null(), "a rejection is a normal payload: {body}");
        let rejected = &body["data"]["acceptTransfer"]["transfer"];
        assert_eq!(rejected["status"], "REJECTED", "{body}");
        let reason = rejected["rejectionReason"].as_str().unwrap_or_default();
        assert!(reason.contains("destination"), "a rejection says which side and why: {body}");
        let stored = read_transfer(&app, id).await;
        assert_eq!(stored["status"], "REJECTED");
        assert_eq!(stored["rejectionReason"], reason);
        // The hold is released and no money moved.
        assert_balances(&app, INDIVIDUAL_ACCOUNT, "100.00", "100.00").await;
        assert_balances(&app, CORPORATION_ACCOUNT, "0.00", "0.00").await;
        assert_eq!(transfers_out(&app, INDIVIDUAL_ACCOUNT).await, [triple("CANCELLED", "TRANSFER", "40.00")]);
        assert!(transactions(&app, CORPORATION_ACCOUNT, json!(null)).await.is_empty());
        assert_ledger_consistent(&app).await;
        // REJECTED is final, even once the account is active again.
        set_account_status(&app, app.key(), CORPORATION_ACCOUNT, "ACTIVE").await;
        assert_invalid_transition(&accept(&app, id, &new_key()).await, "REJECTED");
        assert_invalid_transition(&cancel(&app, id).await, "REJECTED");
        assert_balances(&app, CORPORATION_ACCOUNT, "0.00", "0.00").await;

        // The same when the source's customer is frozen after creation (the cascade freezes
        // its account).
        let transfer = requested(&app, INDIVIDUAL_ACCOUNT, CORPORATION_ACCOUNT, "25.00").await;
        let id = transfer["id"].as_str().unwrap();
        assert_balances(&app, INDIVIDUAL_ACCOUNT, "100.00", "75.00").await;
        set_customer_status(&app, app.key(), INDIVIDUAL, "FROZEN").await;
        let body = accept(&app, id, &new_key()).await;
        assert!(body["errors"].is_null(), "{body}");
        assert_eq!(body["data"]["acceptTransfer"]["transfer"]["status"], "REJECTED", "{body}");
        let reason = body["data"]["acceptTransfer"]["transfer"]["rejectionReason"].as_str();
        assert!(reason.is_some_and(|r| r.contains("source")), "{body}");
        assert_balances(&app, INDIVIDUAL_ACCOUNT, "100.00", "100.00").await;
        assert_balances(&app, CORPORATION_ACCOUNT, "0.00", "0.00").await;
        assert_ledger_consistent(&app).await;
    }

    async fn a_transactions_cursor_reads_on_only_in_its_own_order(app) {
        for amount in ["1.00", "2.00", "3.00"] {
            deposit(&app, app.key(), INDIVIDUAL_ACCOUNT, amount).await;
        }
        let page = "query($order: TransactionOrder!, $after: String) {
            account(accountId: \"sandbox-individual-1-usd\") {
                transactions(first: 1, order: $order, after: $after) {
                    nodes { value } pageInfo { endCursor } } } }";
        let first = app.gql(page, json!({ "order": "NEWEST_FIRST" })).await;
        let connection = &first["data"]["account"]["transactions"];
        assert_eq!(connection["nodes"][0]["value"], "3.00", "{first}");
        let cursor = connection["pageInfo"]["endCursor"].clone();
        let next = app.gql(page, json!({ "order": "NEWEST_FIRST", "after": cursor })).await;
        assert_eq!(next["data"]["account"]["transactions"]["nodes"][0]["value"], "2.00", "{next}");
        let mixed = app.gql(page, json!({ "order": "OLDEST_FIRST", "after": cursor })).await;
        assert_eq!(error_codes(&mixed), ["BAD_USER_INPUT"], "{mixed}");
        assert_eq!(mixed["errors"][0]["extensions"]["field"], "after", "{mixed}");
    }

    async fn an_idempotency_key_replays_its_request_and_refuses_any_other(app) {
        deposit(&app, app.key(), INDIVIDUAL_ACCOUNT, "100.00").await;
        let key = "transfer-key-1";
        let body = create_as(&app, app.key(), INDIVIDUAL_ACCOUNT, CORPORATION_ACCOUNT, "30.00", key).await;
        assert!(body["errors"].is_null(), "{body}");
        let id = body["data"]["createTransfer"]["transfer"]["id"].as_str().unwrap().to_owned();
        let body = create_as(&app, app.key(), INDIVIDUAL_ACCOUNT, CORPORATION_ACCOUNT, "30.00", key).await;
        assert!(body["errors"].is_null(), "a replay is not an error: {body}");
        assert_eq!(body["data"]["createTransfer"]["transfer"]["id"], id.as_str(), "the original transfer");
        assert_balances(&app, INDIVIDUAL_ACCOUNT, "100.00", "70.00").await;
        assert_eq!(open_holds(&app).await, 1, "one hold for both calls");

        // The same key with any other request is refused, and nothing happens.
        let body = create_as(&app, app.key(), INDIVIDUAL_ACCOUNT, CORPORATION_ACCOUNT, "31.00", key).await;
        assert_eq!(error_codes(&body), ["IDEMPOTENCY_KEY_REUSED"], "another amount: {body}");
        let (_, body) = app.gql_as(app.key(), &create_transfer_mutation(), json!({ "from": INDIVIDUAL_ACCOUNT,
            "to": CORPORATION_ACCOUNT, "amount": "30.00", "key": key, "description": "changed" })).await;
        assert_eq!(error_codes(&body), ["IDEMPOTENCY_KEY_REUSED"], "another description: {body}");
        let codes_of_deposit = codes(&app, app.key(), DEPOSIT_MUTATION,
            json!({ "account": INDIVIDUAL_ACCOUNT, "amount": "5.00", "key": key })).await;
        assert_eq!(codes_of_deposit, ["IDEMPOTENCY_KEY_REUSED"], "another mutation");
        assert_eq!(error_codes(&accept(&app, &id, key).await), ["IDEMPOTENCY_KEY_REUSED"], "another mutation");
        assert_eq!(read_transfer(&app, &id).await["status"], "REQUESTED");
        assert_balances(&app, INDIVIDUAL_ACCOUNT, "100.00", "70.00").await;
        assert_eq!(open_holds(&app).await, 1);

        // Keys are scoped per client: another client may use the same one.
        let other = app.another_client().await;
        deposit(&app, other.key.expose(), INDIVIDUAL_ACCOUNT, "50.00").await;
        let body = create_as(&app, other.key.expose(), INDIVIDUAL_ACCOUNT, CORPORATION_ACCOUNT, "30.00", key).await;
        assert!(body["errors"].is_null(), "{body}");
        let theirs = &body["data"]["createTransfer"]["transfer"];
        assert_ne!(theirs["id"], id.as_str());
        assert_eq!(theirs["sourceAccount"]["availableBalance"], "20.00", "{body}");
        assert_balances(&app, INDIVIDUAL_ACCOUNT, "100.00", "70.00").await;

        // acceptTransfer replays too: the executed transfer, no error, money moved once.
        let accept_key = "accept-key-1";
        let first = accept(&app, &id, accept_key).await;
        assert!(first["errors"].is_null(), "{first}");
        assert_eq!(first["data"]["acceptTransfer"]["transfer"]["status"], "EXECUTED");
        let replay = accept(&app, &id, accept_key).await;
        assert!(replay["errors"].is_null(), "{replay}");
        assert_eq!(replay["data"]["acceptTransfer"]["transfer"]["id"], id.as_str());
        assert_eq!(replay["data"]["acceptTransfer"]["transfer"]["status"], "EXECUTED");
        assert_balances(&app, INDIVIDUAL_ACCOUNT, "70.00", "70.00").await;
        assert_balances(&app, CORPORATION_ACCOUNT, "30.00", "30.00").await;
        let destination = transactions(&app, CORPORATION_ACCOUNT, json!(null)).await;
        assert_eq!(destination.len(), 1, "{destination:?}");

        // The accept key belongs to that acceptance; the create key still replays its transfer.
        let second = requested(&app, INDIVIDUAL_ACCOUNT, CORPORATION_ACCOUNT, "10.00").await;
        let second_id = second["id"].as_str().unwrap();
        assert_eq!(error_codes(&accept(&app, second_id, accept_key).await), ["IDEMPOTENCY_KEY_REUSED"]);
        assert_eq!(read_transfer(&app, second_id).await["status"], "REQUESTED");
        let body = create_as(&app, app.key(), INDIVIDUAL_ACCOUNT, CORPORATION_ACCOUNT, "30.00", key).await;
        assert!(body["errors"].is_null(), "{body}");
        assert_eq!(body["data"]["createTransfer"]["transfer"]["id"], id.as_str());
        assert_balances(&app, INDIVIDUAL_ACCOUNT, "70.00", "60.00").await;
        assert_eq!(open_holds(&app).await, 1, "only the second transfer's hold");
    }

    async fn concurrent_duplicates_of_one_request_move_money_once(app) {
        // Twenty identical deposits at once: one transaction, credited once.
        let variables = json!({ "account": INDIVIDUAL_ACCOUNT, "amount": "100.00", "key": "dup-deposit" });
        let attempts = (0..20).map(|_| app.gql_as(app.key(), DEPOSIT_MUTATION, variables.clone()));
        let results = futures_util::future::join_all(attempts).await;
        let mut ids = Vec::new();
        for (status, body) in &results {
            assert_eq!(*status, 200, "{body}");
            assert!(body["errors"].is_null(), "a duplicate gets the original result: {body}");
            ids.push(body["data"]["simulateIncomingPayment"]["transaction"]["id"].clone());
        }
        assert!(ids.iter().all(|id| id.is_string() && *id == ids[0]), "one transaction: {ids:?}");
        assert_balances(&app, INDIVIDUAL_ACCOUNT, "100.00", "100.00").await;
        let incoming = transactions(&app, INDIVIDUAL_ACCOUNT, json!({ "transactionType": "TRANSFER_IN" })).await;
        assert_eq!(incoming.len(), 1, "{incoming:?}");

        // Twenty identical acceptances at once: executed once.
        let transfer = requested(&app, INDIVIDUAL_ACCOUNT, CORPORATION_ACCOUNT, "40.00").await;
        let id = transfer["id"].as_str().unwrap();
        let variables = json!({ "id": id, "key": "dup-accept" });
        let mutation = accept_transfer_mutation();
        let attempts = (0..20).map(|_| app.gql_as(app.key(), &mutation, variables.clone()));
        let results = futures_util::future::join_all(attempts).await;
        for (status, body) in &results {
            assert_eq!(*status, 200, "{body}");
            assert!(body["errors"].is_null(), "a duplicate gets the original result: {body}");
            let transfer = &body["data"]["acceptTransfer"]["transfer"];
            assert_eq!((transfer["id"].as_str(), transfer["status"].as_str()), (Some(id), Some("EXECUTED")), "{body}");
        }
        assert_balances(&app, INDIVIDUAL_ACCOUNT, "60.00", "60.00").await;
        assert_balances(&app, CORPORATION_ACCOUNT, "40.00", "40.00").await;
        let incoming = transactions(&app, CORPORATION_ACCOUNT, json!({ "transactionType": "TRANSFER_IN" })).await;
        assert_eq!(incoming.len(), 1, "{incoming:?}");
        assert_ledger_consistent(&app).await;
    }
}

both_backends_configured! {
    async fn concurrent_transfers_conserve_money_and_leave_the_ledger_balanced(app, |s: &mut layer2::server::ServerSettings| {
        // 100 requests at once on two cores, beside the rest of the suite: the point is the
        // money, not latency, so a request may wait longer than the default deadline.
        s.request_timeout = Duration::from_secs(60);
    }) {
        let mut accounts = vec![INDIVIDUAL_ACCOUNT.to_owned(), CORPORATION_ACCOUNT.to_owned()];
        for (n, customer) in [INDIVIDUAL, CORPORATION, INDIVIDUAL].into_iter().enumerate() {
            let account_id = format!("pool-{n}");
            open_account(&app, app.key(), customer, &account_id, "DEPOSIT_BASIC", "FIAT_TESTNET_USD").await;
            accounts.push(account_id);
        }
        for account_id in &accounts {
            deposit(&app, app.key(), account_id, "100.00").await;
        }
        let total: i64 = 10_000 * accounts.len() as i64; // cents

        let mut rng = rand::rngs::StdRng::seed_from_u64(11);
        let plan: Vec<Move> = (0..300).map(|_| {
            let from = rng.random_range(0..accounts.len());
            let to = (from + rng.random_range(1..accounts.len())) % accounts.len();
            Move { from, to, cents: rng.random_range(1..=6_000), accept: rng.random_bool(0.8) }
        }).collect();
        let outcomes: Vec<(Move, Outcome)> = futures_util::stream::iter(plan)
            .map(|step| {
                let (app, accounts) = (&app, &accounts);
                async move { (step, run_move(app, accounts, step).await) }
            })
            .buffer_unordered(100)
            .collect()
            .await;

        // What the executed transfers (and only they) must have done to each account.
        let mut expected = vec![10_000_i64; accounts.len()];
        let (mut executed, mut cancelled) = (0, 0);
        for (step, outcome) in &outcomes {
            match outcome {
                Outcome::Executed => {
                    executed += 1;
                    expected[step.from] -= step.cents;
                    expected[step.to] += step.cents;
                }
                Outcome::Cancelled => cancelled += 1,
                Outcome::Refused => {}
            }
        }
        assert!(executed >= 30 && cancelled >= 5, "enough traffic to mean something: {executed} executed, {cancelled} cancelled");

        let mut sum = 0;
        let mut api = Vec::new();
        for (n, account_id) in accounts.iter().enumerate() {
            let (current, available) = balances(&app, app.key(), account_id).await;
            assert_eq!(current, available, "{account_id}: no hold is left");
            let current = cents(&current);
            assert!(current >= 0, "{account_id} went negative: {current}");
            assert_eq!(current, expected[n], "{account_id}: exactly the executed transfers moved money");
            sum += current;
            api.push((account_id.clone(), current));
        }
        assert_eq!(sum, total, "transfers neither create nor destroy money");
        let mut stored = assert_ledger_consistent(&app).await;
        stored.sort();
        api.sort();
        assert_eq!(stored, api, "the store agrees with the API");
    }

}

clocked_backends! {
    async fn a_transfer_past_its_validity_reads_as_expired_without_a_write_and_the_next_write_settles_it(app, clock, |s| {
        s.expiry_sweep_interval = Duration::from_secs(3600);
    }) {
        deposit(&app, app.key(), INDIVIDUAL_ACCOUNT, "100.00").await;
        let read = requested(&app, INDIVIDUAL_ACCOUNT, CORPORATION_ACCOUNT, "10.00").await;
        let accepted = requested(&app, INDIVIDUAL_ACCOUNT, CORPORATION_ACCOUNT, "20.00").await;
        assert_eq!(accepted["sourceAccount"]["availableBalance"], "70.00", "{accepted}");
        let valid_until = timestamp(&accepted["validUntil"]);
        let stood_still = clock.now() + chrono::Duration::seconds(300) - valid_until;
        assert!(stood_still.abs() < chrono::Duration::milliseconds(1), "validity on the server's clock: {valid_until}");
        clock.advance(chrono::Duration::seconds(301));

        // Reading it says EXPIRED; nothing is written (the holds stand until settled).
        let read_id = read["id"].as_str().unwrap();
        let expired = read_transfer(&app, read_id).await;
        assert_eq!(expired["status"], "EXPIRED", "{expired}");
        assert_eq!(open_holds(&app).await, 2, "a read writes nothing");
        assert_invalid_transition(&cancel(&app, read_id).await, "EXPIRED");
        let accepted_id = accepted["id"].as_str().unwrap();
        assert_invalid_transition(&accept(&app, accepted_id, &new_key()).await, "EXPIRED");
        assert_eq!(read_transfer(&app, accepted_id).await["status"], "EXPIRED");
        assert_invalid_transition(&accept(&app, read_id, &new_key()).await, "EXPIRED");
        assert_eq!(open_holds(&app).await, 2, "a refused move writes nothing");
        assert_balances(&app, INDIVIDUAL_ACCOUNT, "100.00", "70.00").await;

        // The next write that weighs the source's balance releases both holds first.
        let all = requested(&app, INDIVIDUAL_ACCOUNT, CORPORATION_ACCOUNT, "100.00").await;
        assert_eq!(all["sourceAccount"]["availableBalance"], "0.00", "{all}");
        assert_eq!(open_holds(&app).await, 1, "only the new hold");
        let out = transfers_out(&app, INDIVIDUAL_ACCOUNT).await;
        assert_eq!(out.iter().filter(|t| t.0 == "CANCELLED").count(), 2, "{out:?}");
        assert_eq!(read_transfer(&app, read_id).await["status"], "EXPIRED");
        let ended = cancel(&app, all["id"].as_str().unwrap()).await;
        assert!(ended["errors"].is_null(), "{ended}");
        assert_balances(&app, INDIVIDUAL_ACCOUNT, "100.00", "100.00").await;
        assert_balances(&app, CORPORATION_ACCOUNT, "0.00", "0.00").await;
        assert!(transactions(&app, CORPORATION_ACCOUNT, json!(null)).await.is_empty());
        assert_ledger_consistent(&app).await;
    }

    async fn the_sweeper_releases_the_hold_of_an_expired_transfer_nobody_touches(app, clock, |s| {
        s.expiry_sweep_interval = Duration::from_millis(100);
    }) {
        deposit(&app, app.key(), INDIVIDUAL_ACCOUNT, "100.00").await;
        let transfer = requested(&app, INDIVIDUAL_ACCOUNT, CORPORATION_ACCOUNT, "25.00").await;
        assert_eq!(transfer["sourceAccount"]["availableBalance"], "75.00", "{transfer}");
        assert_eq!(open_holds(&app).await, 1, "the hold stands until the transfer expires");
        clock.advance(chrono::Duration::seconds(301));

        // Watch the store only (reads would not release it anyway), up to a deadline.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while open_holds(&app).await != 0 {
            assert!(tokio::time::Instant::now() < deadline, "the sweeper released the hold in 10 s");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_balances(&app, INDIVIDUAL_ACCOUNT, "100.00", "100.00").await;
        assert_balances(&app, CORPORATION_ACCOUNT, "0.00", "0.00").await;
        assert_eq!(read_transfer(&app, transfer["id"].as_str().unwrap()).await["status"], "EXPIRED");
        assert_ledger_consistent(&app).await;
    }
}
