//! Accounts, payors, payment addresses and money movement over the API: the status rules on
//! every money mutation, cascades, transfers, the ledger, idempotency and the nested graph.

mod accounts;
mod dormancy;
mod event_catalogue;
mod events;
mod graph;
mod payors;
mod rules;
mod transfers;
mod webhooks;
mod write_path;

use serde_json::{Value, json};

use crate::harness::{TestApp, error_codes};

/// What the tests read of an account.
pub const ACCOUNT_FIELDS: &str = "id accountId productId assetTypeId status currentBalance
    availableBalance isDefault version closedAt customer { customerId status }";

/// What the tests read of a transfer.
pub const TRANSFER_FIELDS: &str = "id status amount assetTypeId description validUntil
    rejectionReason sourceAccount { accountId currentBalance availableBalance }
    destinationAccount { accountId currentBalance availableBalance }";

/// Runs `query` as `key`, asserts HTTP 200 and no errors, and returns `data.<field>`.
pub async fn ok(app: &TestApp, key: &str, query: &str, variables: Value, field: &str) -> Value {
    let (status, body) = app.gql_as(key, query, variables).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["errors"].is_null(), "{field}: {body}");
    body["data"][field].clone()
}

/// Runs `query` as `key` and returns the error codes (empty when it succeeded).
pub async fn codes(app: &TestApp, key: &str, query: &str, variables: Value) -> Vec<String> {
    let (status, body) = app.gql_as(key, query, variables).await;
    assert_eq!(status, 200, "{body}");
    error_codes(&body)
}

pub fn open_account_mutation() -> String {
    format!(
        "mutation($c: String!, $a: AccountToOpenInput!, $client: ID) {{
            openAccount(customerId: $c, accountToOpen: $a, clientId: $client) {{
                account {{ {ACCOUNT_FIELDS} }} }} }}"
    )
}

/// Opens an account of `customer_id` as `key` and returns it.
pub async fn open_account(
    app: &TestApp,
    key: &str,
    customer_id: &str,
    account_id: &str,
    product_id: &str,
    asset_type_id: &str,
) -> Value {
    let account = json!({ "accountId": account_id, "productId": product_id,
                          "assetTypeId": asset_type_id });
    ok(
        app,
        key,
        &open_account_mutation(),
        json!({ "c": customer_id, "a": account }),
        "openAccount",
    )
    .await["account"]
        .clone()
}

pub const DEPOSIT_MUTATION: &str = "mutation($account: String, $address: ID, $amount: Decimal!,
        $key: String!, $ref: String, $client: ID) {
    simulateIncomingPayment(accountId: $account, addressId: $address, amount: $amount,
        idempotencyKey: $key, reference: $ref, clientId: $client) {
        transaction { id transactionStatus transactionType categoryType value payorId
                      paymentReference description }
        account { accountId currentBalance availableBalance } } }";

/// Simulates an incoming payment of `amount` into `account_id` as `key`; returns the payload.
pub async fn deposit(app: &TestApp, key: &str, account_id: &str, amount: &str) -> Value {
    let idempotency_key = uuid::Uuid::now_v7().to_string();
    ok(
        app,
        key,
        DEPOSIT_MUTATION,
        json!({ "account": account_id, "amount": amount, "key": idempotency_key }),
        "simulateIncomingPayment",
    )
    .await
}

pub fn create_transfer_mutation() -> String {
    format!(
        "mutation($from: String!, $to: String!, $amount: Decimal!, $key: String!,
                  $description: String) {{
            createTransfer(sourceAccountId: $from, destinationAccountId: $to, amount: $amount,
                idempotencyKey: $key, description: $description) {{
                transfer {{ {TRANSFER_FIELDS} }} }} }}"
    )
}

pub fn accept_transfer_mutation() -> String {
    format!(
        "mutation($id: ID!, $key: String!) {{
            acceptTransfer(transferId: $id, idempotencyKey: $key) {{
                transfer {{ {TRANSFER_FIELDS} }} }} }}"
    )
}

pub fn cancel_transfer_mutation() -> String {
    format!(
        "mutation($id: ID!) {{ cancelTransfer(transferId: $id) {{
            transfer {{ {TRANSFER_FIELDS} }} }} }}"
    )
}

/// An account's (currentBalance, availableBalance) as the API shows them.
pub async fn balances(app: &TestApp, key: &str, account_id: &str) -> (String, String) {
    let account = ok(
        app,
        key,
        "query($a: String!) { account(accountId: $a) { currentBalance availableBalance } }",
        json!({ "a": account_id }),
        "account",
    )
    .await;
    (
        account["currentBalance"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        account["availableBalance"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

pub const CHANGE_CUSTOMER_STATUS: &str = "mutation($c: String!, $s: CustomerStatus!, $client: ID) {
    changeCustomerStatus(customerId: $c, status: $s, reason: \"test\", updatedBy: \"tests\",
        clientId: $client) { customer { customerId status } } }";

pub const CHANGE_ACCOUNT_STATUS: &str = "mutation($a: String!, $s: CustomerStatus!, $client: ID) {
    changeAccountStatus(accountId: $a, status: $s, reason: \"test\", updatedBy: \"tests\",
        clientId: $client) { account { accountId status closedAt version } } }";

/// Moves a customer to `status` as `key`, asserting success.
pub async fn set_customer_status(app: &TestApp, key: &str, customer_id: &str, status: &str) {
    ok(
        app,
        key,
        CHANGE_CUSTOMER_STATUS,
        json!({ "c": customer_id, "s": status }),
        "changeCustomerStatus",
    )
    .await;
}

/// Moves an account to `status` as `key`, asserting success.
pub async fn set_account_status(app: &TestApp, key: &str, account_id: &str, status: &str) {
    ok(
        app,
        key,
        CHANGE_ACCOUNT_STATUS,
        json!({ "a": account_id, "s": status }),
        "changeAccountStatus",
    )
    .await;
}

/// The sandbox's individual customer and its default DEPOSIT_BASIC USD account.
pub const INDIVIDUAL: &str = "sandbox-individual-1";
pub const INDIVIDUAL_ACCOUNT: &str = "sandbox-individual-1-usd";
/// The sandbox's corporate customer and its default PAYMENT_BASIC USD account.
pub const CORPORATION: &str = "sandbox-corporation-1";
pub const CORPORATION_ACCOUNT: &str = "sandbox-corporation-1-usd";
