//! The Update and Transact rules of DOMAIN.md's status table on every money mutation: for
//! every customer status (openAccount, createPayor, simulateIncomingPayment, createTransfer
//! from and to, requestPaymentAddress), for every account status of an ACTIVE customer, and
//! again when a transfer is accepted. Every expected outcome is derived from `RULES`, one row
//! per status, never written per case.

use serde_json::{Value, json};

use super::{
    CHANGE_ACCOUNT_STATUS, CHANGE_CUSTOMER_STATUS, CORPORATION, CORPORATION_ACCOUNT,
    DEPOSIT_MUTATION, INDIVIDUAL, INDIVIDUAL_ACCOUNT, accept_transfer_mutation,
    create_transfer_mutation, deposit, ok, open_account_mutation, set_account_status,
    set_customer_status,
};
use crate::harness::{TestApp, both_backends, error_codes};

/// One row of the status table: what a customer or account in `status` allows.
struct Rule {
    status: &'static str,
    /// A client may update it (open accounts, add payors, change its status).
    client_updates: bool,
    /// The operator may update it (also in the `_L2F` forms).
    operator_updates: bool,
    /// Money may move in or out.
    transacts: bool,
}

const fn rule(
    status: &'static str,
    client_updates: bool,
    operator_updates: bool,
    transacts: bool,
) -> Rule {
    Rule {
        status,
        client_updates,
        operator_updates,
        transacts,
    }
}

/// DOMAIN.md, Statuses: ACTIVE, EDD and DORMANT update and transact; PENDING and FROZEN
/// update but do not transact; CLOSED does neither. An `_L2F` form transacts as its base does,
/// but only the operator may update it.
const RULES: &[Rule] = &[
    rule("ACTIVE", true, true, true),
    rule("EDD", true, true, true),
    rule("DORMANT", true, true, true),
    rule("PENDING", true, true, false),
    rule("FROZEN", true, true, false),
    rule("CLOSED", false, false, false),
    rule("ACTIVE_L2F", false, true, true),
    rule("EDD_L2F", false, true, true),
    rule("DORMANT_L2F", false, true, true),
    rule("PENDING_L2F", false, true, false),
    rule("FROZEN_L2F", false, true, false),
];

fn rule_of(status: &str) -> &'static Rule {
    RULES
        .iter()
        .find(|rule| rule.status == status)
        .unwrap_or_else(|| panic!("no rule for {status}"))
}

fn base_of(status: &str) -> &str {
    status.trim_end_matches("_L2F")
}

/// Who calls: the client that owns the data, or the platform's operator (naming the client).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Client,
    Operator,
}

impl Rule {
    fn updates(&self, who: Who) -> bool {
        match who {
            Who::Client => self.client_updates,
            Who::Operator => self.operator_updates,
        }
    }

    /// The refusal of a mutation that needs the update rule only (createPayor).
    fn update_refusal(&self, who: Who) -> Option<&'static str> {
        (!self.updates(who)).then_some("CUSTOMER_CANNOT_BE_UPDATED")
    }

    /// The refusal of a mutation that moves money (or may: a payment address).
    fn transact_refusal(&self) -> Option<&'static str> {
        (!self.transacts).then_some("CUSTOMER_CANNOT_TRANSACT")
    }

    /// openAccount needs both: the update rule is checked first.
    fn open_account_refusal(&self, who: Who) -> Option<&'static str> {
        self.update_refusal(who).or(self.transact_refusal())
    }
}

/// Asserts that `body` is exactly the refusal `expected` names, or a success of `field`.
fn assert_outcome(body: &Value, field: &str, expected: Option<&str>, case: &str) {
    match expected {
        None => {
            assert!(body["errors"].is_null(), "{case}: expected success: {body}");
            assert!(!body["data"][field].is_null(), "{case}: {body}");
        }
        Some(code) => {
            assert_eq!(error_codes(body), [code], "{case}: {body}");
            assert!(body["data"][field].is_null(), "{case}: {body}");
        }
    }
}

/// An amount of a two-decimal asset in cents ("105.00" -> 10500).
fn cents(amount: &Value) -> i64 {
    let text = amount
        .as_str()
        .unwrap_or_else(|| panic!("not a Decimal string: {amount}"));
    let (units, fraction) = text
        .split_once('.')
        .unwrap_or_else(|| panic!("not two decimals: {text}"));
    assert_eq!(fraction.len(), 2, "two decimals: {text}");
    units.parse::<i64>().expect("units") * 100 + fraction.parse::<i64>().expect("fraction")
}

fn idempotency_key() -> String {
    uuid::Uuid::now_v7().to_string()
}

const ACCOUNT_QUERY: &str = "query($a: String!) { account(accountId: $a) {
    accountId status currentBalance availableBalance customer { customerId status }
    paymentAddresses { id }
    transactions(first: 100) { nodes { transactionStatus transactionType categoryType value } } } }";

const CUSTOMER_QUERY: &str = "query($c: String!) { customer(customerId: $c) { customerId status
    accounts { nodes { accountId status } } } }";

const CREATE_PAYOR: &str = "mutation($c: String!, $input: CreatePayorInput!, $client: ID) {
    createPayor(customerId: $c, input: $input, clientId: $client) {
        payor { payorId customer { customerId } } } }";

const PAYOR_QUERY: &str = "query($c: String!, $p: String!) {
    payor(customerId: $c, payorId: $p) { payorId } }";

const REQUEST_ADDRESS: &str = "mutation($a: String!, $p: String!, $r: String!, $client: ID) {
    requestPaymentAddress(accountId: $a, payorId: $p, paymentReference: $r, clientId: $client) {
        paymentAddress { id walletAddress account { accountId } } } }";

const TRANSFER_QUERY: &str = "query($id: ID!) { transfer(id: $id) { id status rejectionReason } }";

const CREATE_CUSTOMER: &str = "mutation($input: CreateCustomerInput!) {
    createCustomer(input: $input) { customer { customerId status } } }";

fn payor_input(payor_id: &str) -> Value {
    json!({ "payorId": payor_id, "firstName": "Ada", "lastName": "Lovelace",
            "state": "NY", "countryCode": "US" })
}

/// One client's data as seen by its own key and by the operator.
struct Tenant<'a> {
    app: &'a TestApp,
    key: String,
    operator: String,
    /// The client's global id, which the operator passes as `clientId`.
    client_id: String,
}

impl<'a> Tenant<'a> {
    async fn new(app: &'a TestApp, key: &str) -> Self {
        let client_id = ok(app, key, "{ viewer { id } }", json!({}), "viewer").await["id"]
            .as_str()
            .expect("viewer id")
            .to_owned();
        let operator = app.operator_key().await.expose().to_owned();
        Self {
            app,
            key: key.to_owned(),
            operator,
            client_id,
        }
    }

    /// Runs `query` as `who` (the operator names the client in `$client`); returns the body.
    async fn run(&self, who: Who, query: &str, mut variables: Value) -> Value {
        let key = match who {
            Who::Client => &self.key,
            Who::Operator => {
                variables["client"] = json!(self.client_id);
                &self.operator
            }
        };
        let (status, body) = self.app.gql_as(key, query, variables).await;
        assert_eq!(status, 200, "{body}");
        body
    }

    /// Runs `query` as `who` and returns `data.<field>`, asserting success.
    async fn must(&self, who: Who, query: &str, variables: Value, field: &str) -> Value {
        let body = self.run(who, query, variables).await;
        assert!(body["errors"].is_null(), "{field}: {body}");
        body["data"][field].clone()
    }

    async fn account(&self, account_id: &str) -> Value {
        self.must(
            Who::Client,
            ACCOUNT_QUERY,
            json!({ "a": account_id }),
            "account",
        )
        .await
    }

    async fn customer(&self, customer_id: &str) -> Value {
        self.must(
            Who::Client,
            CUSTOMER_QUERY,
            json!({ "c": customer_id }),
            "customer",
        )
        .await
    }

    async fn move_customer(&self, who: Who, customer_id: &str, status: &str) {
        let moved = self
            .must(
                who,
                CHANGE_CUSTOMER_STATUS,
                json!({ "c": customer_id, "s": status }),
                "changeCustomerStatus",
            )
            .await;
        assert_eq!(moved["customer"]["status"], status);
    }

    async fn move_account(&self, who: Who, account_id: &str, status: &str) {
        let moved = self
            .must(
                who,
                CHANGE_ACCOUNT_STATUS,
                json!({ "a": account_id, "s": status }),
                "changeAccountStatus",
            )
            .await;
        assert_eq!(moved["account"]["status"], status);
    }

    /// Pays `amount` into `account_id` as `who`, asserting success.
    async fn fund(&self, who: Who, account_id: &str, amount: &str) {
        self.must(
            who,
            DEPOSIT_MUTATION,
            json!({ "account": account_id, "amount": amount, "key": idempotency_key() }),
            "simulateIncomingPayment",
        )
        .await;
    }

    /// A new customer of a regulated PRODUCTION client: PENDING, with a default PAYMENT_BASIC
    /// USD account `account_id`.
    async fn create_customer(&self, customer_id: &str, account_id: &str) {
        let input = json!({
            "customerId": customer_id,
            "individual": {
                "firstName": "Jonas", "lastName": "Weber",
                "emailAddress": "jonas.weber@example.com", "telephoneNumber": "+4930123456789",
                "nationality": "DE", "dateOfBirth": "1979-02-03",
                "mailingAddress": { "addressLine1": "Torstraße 1", "city": "Berlin",
                                    "state": "BE", "postalCode": "10119", "countryCode": "DE" },
                "taxReferenceNumber": "DE-1234-5678"
            },
            "accountToOpen": { "accountId": account_id, "productId": "PAYMENT_BASIC",
                               "assetTypeId": "FIAT_MAINNET_USD" }
        });
        let created = self
            .must(
                Who::Client,
                CREATE_CUSTOMER,
                json!({ "input": input }),
                "createCustomer",
            )
            .await;
        assert_eq!(created["customer"]["status"], "PENDING");
    }
}

/// The moves from a new (PENDING) customer to `status`: the client follows the table, then
/// the operator takes the `_L2F` step.
fn customer_path(status: &str) -> Vec<(Who, &str)> {
    let mut path = match base_of(status) {
        "PENDING" => vec![],
        "ACTIVE" => vec![(Who::Client, "ACTIVE")],
        base => vec![(Who::Client, "ACTIVE"), (Who::Client, base)],
    };
    if status != base_of(status) {
        path.push((Who::Operator, status));
    }
    path
}

/// The moves from a new (ACTIVE) account to `status`, likewise.
fn account_path(status: &str) -> Vec<(Who, &str)> {
    let mut path = match base_of(status) {
        "ACTIVE" => vec![],
        base => vec![(Who::Client, base)],
    };
    if status != base_of(status) {
        path.push((Who::Operator, status));
    }
    path
}

/// The store's balances agree with the ledger and every posting balances.
async fn assert_ledger_reconciles(app: &TestApp) {
    let mut pooled = app.database.conn().await.unwrap();
    let rows = layer2::store::ledger::reconcile(&mut pooled.conn(), None)
        .await
        .unwrap();
    assert!(!rows.is_empty());
    for row in &rows {
        assert_eq!(
            (row.current_balance, row.available_balance),
            (row.ledger_current, row.ledger_available),
            "account {} disagrees with its ledger",
            row.account_id
        );
    }
    let unbalanced = layer2::store::ledger::unbalanced_postings(&mut pooled.conn())
        .await
        .unwrap();
    assert_eq!(unbalanced, 0, "every posting sums to zero");
}

/// Checks simulateIncomingPayment, createTransfer from and to, and requestPaymentAddress on
/// `account_id` against `expected` (the transact refusal, if any), with `counterparty` (an
/// account that can transact, of the same client and asset) on the other side of transfers.
/// Deposits are made as `depositor` (the operator for a PRODUCTION client); a refused payment
/// must name one of `reason` in `extensions.reason`.
async fn check_transact_rule(
    t: &Tenant<'_>,
    depositor: Who,
    account_id: &str,
    counterparty: &str,
    expected: Option<&str>,
    reason: &[&str],
    case: &str,
) {
    // simulateIncomingPayment: money in only when the status transacts.
    let before = t.account(account_id).await;
    let body = t
        .run(
            depositor,
            DEPOSIT_MUTATION,
            json!({ "account": account_id, "amount": "5.00", "key": idempotency_key() }),
        )
        .await;
    let what = format!("{case}: simulateIncomingPayment");
    assert_outcome(&body, "simulateIncomingPayment", expected, &what);
    if expected.is_some() {
        let given = body["errors"][0]["extensions"]["reason"].as_str();
        assert!(
            given.is_some_and(|given| reason.contains(&given)),
            "{what}: reason one of {reason:?}: {body}"
        );
    } else {
        let payload = &body["data"]["simulateIncomingPayment"];
        assert_eq!(
            payload["transaction"]["transactionStatus"], "POSTED",
            "{what}"
        );
        assert_eq!(payload["transaction"]["value"], "5.00", "{what}");
    }
    let after = t.account(account_id).await;
    let credited = if expected.is_none() { 500 } else { 0 };
    for balance in ["currentBalance", "availableBalance"] {
        assert_eq!(
            cents(&after[balance]),
            cents(&before[balance]) + credited,
            "{what}: {balance}"
        );
    }
    let deposits = |account: &Value| {
        account["transactions"]["nodes"]
            .as_array()
            .expect("transactions")
            .iter()
            .filter(|tx| tx["categoryType"] == "DEPOSIT")
            .count()
    };
    assert_eq!(
        deposits(&after),
        deposits(&before) + usize::from(expected.is_none()),
        "{what}: a refused payment leaves no transaction"
    );

    // createTransfer with the account as the source, then as the destination: a refusal
    // holds nothing on either side; a success holds the amount on the source.
    for (from, to, side) in [
        (account_id, counterparty, "source"),
        (counterparty, account_id, "destination"),
    ] {
        let what = format!("{case}: createTransfer as the {side}");
        let before = t.account(from).await;
        let body = t
            .run(
                Who::Client,
                &create_transfer_mutation(),
                json!({ "from": from, "to": to, "amount": "1.00", "key": idempotency_key() }),
            )
            .await;
        assert_outcome(&body, "createTransfer", expected, &what);
        if expected.is_none() {
            assert_eq!(
                body["data"]["createTransfer"]["transfer"]["status"], "REQUESTED",
                "{what}"
            );
        }
        let after = t.account(from).await;
        let held = if expected.is_none() { 100 } else { 0 };
        assert_eq!(
            cents(&after["availableBalance"]),
            cents(&before["availableBalance"]) - held,
            "{what}: available balance of {from}"
        );
        assert_eq!(
            after["currentBalance"], before["currentBalance"],
            "{what}: current balance of {from}"
        );
    }

    // requestPaymentAddress: an address only when the status transacts.
    let what = format!("{case}: requestPaymentAddress");
    let before = t.account(account_id).await["paymentAddresses"]
        .as_array()
        .expect("addresses")
        .len();
    let body = t
        .run(
            Who::Client,
            REQUEST_ADDRESS,
            json!({ "a": account_id, "p": "payor-0", "r": format!("ref-{case}") }),
        )
        .await;
    assert_outcome(&body, "requestPaymentAddress", expected, &what);
    let after = t.account(account_id).await["paymentAddresses"]
        .as_array()
        .expect("addresses")
        .len();
    assert_eq!(
        after,
        before + usize::from(expected.is_none()),
        "{what}: stored addresses"
    );
}

both_backends! {
    async fn each_customer_status_allows_exactly_the_money_mutations_its_update_and_transact_rules_allow(app) {
        // Only a regulated PRODUCTION client can create customers directly, and new ones are
        // PENDING: one customer per status, each moved there from PENDING. PRODUCTION clients
        // may not simulate payments, so the operator funds their accounts.
        let (_, key) = app.regulated_client().await;
        let t = Tenant::new(&app, key.expose()).await;
        let counterparty = "counterparty-usd";
        t.create_customer("counterparty", counterparty).await;
        t.move_customer(Who::Client, "counterparty", "ACTIVE").await;
        t.fund(Who::Operator, counterparty, "1000.00").await;

        for rule in RULES {
            let status = rule.status;
            let customer_id = format!("customer-{}", status.to_lowercase());
            let account_id = format!("{customer_id}-usd");
            t.create_customer(&customer_id, &account_id).await;
            // A payor to request addresses for, added while PENDING (which allows updates).
            t.must(Who::Client, CREATE_PAYOR, json!({ "c": customer_id, "input": payor_input("payor-0") }),
                   "createPayor").await;
            for (who, next) in customer_path(status) {
                t.move_customer(who, &customer_id, next).await;
                // Funded while ACTIVE, except the one to close (closing needs zero balances).
                if next == "ACTIVE" && status != "CLOSED" {
                    t.fund(Who::Operator, &account_id, "100.00").await;
                }
            }

            // The statuses reached: FROZEN (and FROZEN_L2F) freezes the customer's accounts,
            // CLOSED closes them; the other statuses leave the account ACTIVE.
            let customer = t.customer(&customer_id).await;
            assert_eq!(customer["status"], status);
            let account_status = match base_of(status) {
                "FROZEN" => "FROZEN",
                "CLOSED" => "CLOSED",
                _ => "ACTIVE",
            };
            assert_eq!(customer["accounts"]["nodes"], json!([{ "accountId": account_id, "status": account_status }]),
                       "{status}: {customer}");

            // openAccount needs the update rule (checked first), then the transact rule.
            for who in [Who::Client, Who::Operator] {
                let case = format!("{status} customer, openAccount as {who:?}");
                let new_account = format!("{customer_id}-opened-by-{who:?}").to_lowercase();
                let account = json!({ "accountId": new_account, "productId": "DEPOSIT_BASIC",
                                      "assetTypeId": "FIAT_MAINNET_USD" });
                let body = t.run(who, &open_account_mutation(), json!({ "c": customer_id, "a": account })).await;
                let expected = rule.open_account_refusal(who);
                assert_outcome(&body, "openAccount", expected, &case);
                let (_, read) = app.gql_as(&t.key, ACCOUNT_QUERY, json!({ "a": new_account })).await;
                match expected {
                    None => {
                        assert_eq!(read["data"]["account"]["status"], "ACTIVE", "{case}: {read}");
                        assert_eq!(read["data"]["account"]["customer"]["customerId"], customer_id.as_str(), "{case}");
                    }
                    Some(_) => assert_eq!(error_codes(&read), ["NOT_FOUND"], "{case}: nothing opened: {read}"),
                }
            }

            // createPayor needs the update rule only.
            for who in [Who::Client, Who::Operator] {
                let case = format!("{status} customer, createPayor as {who:?}");
                let payor_id = format!("payor-by-{who:?}").to_lowercase();
                let body = t.run(who, CREATE_PAYOR, json!({ "c": customer_id, "input": payor_input(&payor_id) })).await;
                let expected = rule.update_refusal(who);
                assert_outcome(&body, "createPayor", expected, &case);
                let (_, read) = app.gql_as(&t.key, PAYOR_QUERY, json!({ "c": customer_id, "p": payor_id })).await;
                match expected {
                    None => assert_eq!(read["data"]["payor"]["payorId"], payor_id.as_str(), "{case}: {read}"),
                    Some(_) => assert_eq!(error_codes(&read), ["NOT_FOUND"], "{case}: nothing added: {read}"),
                }
            }

            // Money: the customer's transact rule, whatever its account's. When the account
            // itself could transact, the refusal must name the customer's status as the reason.
            let reason: &[&str] = if rule_of(account_status).transacts {
                &["CUSTOMER_STATUS"]
            } else {
                &["CUSTOMER_STATUS", "ACCOUNT_STATUS"]
            };
            check_transact_rule(&t, Who::Operator, &account_id, counterparty, rule.transact_refusal(),
                                reason, &format!("{status} customer")).await;
        }
        assert_ledger_reconciles(&app).await;
    }

    async fn each_account_status_of_an_active_customer_allows_money_to_move_only_if_it_can_transact(app) {
        // One PAYMENT_BASIC account of the (ACTIVE) sandbox corporation per account status,
        // moved there on its own. Accounts open ACTIVE and no move leads back to PENDING, so
        // PENDING and PENDING_L2F accounts cannot be reached: they are not checked here.
        let t = Tenant::new(&app, app.key()).await;
        deposit(&app, app.key(), INDIVIDUAL_ACCOUNT, "1000.00").await;
        t.must(Who::Client, CREATE_PAYOR, json!({ "c": CORPORATION, "input": payor_input("payor-0") }),
               "createPayor").await;

        for rule in RULES.iter().filter(|rule| base_of(rule.status) != "PENDING") {
            let status = rule.status;
            let account_id = format!("corporation-{}", status.to_lowercase());
            let opened = ok(&app, app.key(), &open_account_mutation(), json!({ "c": CORPORATION,
                "a": { "accountId": account_id, "productId": "PAYMENT_BASIC", "assetTypeId": "FIAT_TESTNET_USD" } }),
                "openAccount").await;
            assert_eq!(opened["account"]["status"], "ACTIVE");
            // An address requested while ACTIVE, to pay through after the move.
            let address = t.must(Who::Client, REQUEST_ADDRESS,
                json!({ "a": account_id, "p": "payor-0", "r": format!("before-{status}") }),
                "requestPaymentAddress").await["paymentAddress"]["id"].clone();
            // Funded while ACTIVE, except the one to close (closing needs zero balances).
            if status != "CLOSED" {
                t.fund(Who::Client, &account_id, "100.00").await;
            }
            for (who, next) in account_path(status) {
                t.move_account(who, &account_id, next).await;
            }

            let account = t.account(&account_id).await;
            assert_eq!(account["status"], status);
            assert_eq!(account["customer"]["status"], "ACTIVE", "the customer is untouched");

            let expected = rule.transact_refusal();
            let case = format!("{status} account");
            check_transact_rule(&t, Who::Client, &account_id, INDIVIDUAL_ACCOUNT, expected,
                                &["ACCOUNT_STATUS"], &case).await;

            // A payment through the address follows the account's rule too.
            let before = t.account(&account_id).await;
            let body = t.run(Who::Client, DEPOSIT_MUTATION,
                json!({ "address": address, "amount": "2.00", "key": idempotency_key() })).await;
            let what = format!("{case}: simulateIncomingPayment through an address");
            assert_outcome(&body, "simulateIncomingPayment", expected, &what);
            if expected.is_some() {
                assert_eq!(body["errors"][0]["extensions"]["reason"], "ACCOUNT_STATUS", "{what}: {body}");
            }
            let after = t.account(&account_id).await;
            let credited = if expected.is_none() { 200 } else { 0 };
            assert_eq!(cents(&after["currentBalance"]), cents(&before["currentBalance"]) + credited, "{what}");
        }
        assert_ledger_reconciles(&app).await;
    }

    async fn accepting_a_transfer_rechecks_both_sides_and_rejects_it_when_either_can_no_longer_transact(app) {
        let t = Tenant::new(&app, app.key()).await;
        deposit(&app, app.key(), CORPORATION_ACCOUNT, "100.00").await;

        // What stops money moving between creation and acceptance: (what, freeze, unfreeze).
        // A customer's freeze reaches its accounts; an account's freeze is its own.
        enum Blocker { Customer(&'static str), Account(&'static str) }
        let blockers = [
            ("the source's customer is frozen", Blocker::Customer(CORPORATION)),
            ("the destination's customer is frozen", Blocker::Customer(INDIVIDUAL)),
            ("the source account is frozen", Blocker::Account(CORPORATION_ACCOUNT)),
            ("the destination account is frozen", Blocker::Account(INDIVIDUAL_ACCOUNT)),
        ];
        for (rejected_so_far, (case, blocker)) in blockers.iter().enumerate() {
            let source_before = t.account(CORPORATION_ACCOUNT).await;
            let destination_before = t.account(INDIVIDUAL_ACCOUNT).await;
            let created = ok(&app, app.key(), &create_transfer_mutation(),
                json!({ "from": CORPORATION_ACCOUNT, "to": INDIVIDUAL_ACCOUNT, "amount": "10.00",
                        "key": idempotency_key() }), "createTransfer").await;
            let transfer_id = created["transfer"]["id"].clone();
            assert_eq!(created["transfer"]["status"], "REQUESTED", "{case}");
            assert_eq!(cents(&created["transfer"]["sourceAccount"]["availableBalance"]),
                       cents(&source_before["availableBalance"]) - 1000, "{case}: held");

            match blocker {
                Blocker::Customer(customer) => set_customer_status(&app, app.key(), customer, "FROZEN").await,
                Blocker::Account(account) => set_account_status(&app, app.key(), account, "FROZEN").await,
            }

            // Accepting answers normally, with the transfer REJECTED and the hold released.
            let body = t.run(Who::Client, &accept_transfer_mutation(),
                json!({ "id": transfer_id, "key": idempotency_key() })).await;
            assert!(body["errors"].is_null(), "{case}: a rejection is not an error: {body}");
            let accepted = &body["data"]["acceptTransfer"]["transfer"];
            assert_eq!(accepted["status"], "REJECTED", "{case}: {body}");
            assert!(accepted["rejectionReason"].as_str().is_some_and(|r| !r.is_empty()), "{case}: {body}");

            let read = ok(&app, app.key(), TRANSFER_QUERY, json!({ "id": transfer_id }), "transfer").await;
            assert_eq!(read["status"], "REJECTED", "{case}: stored");
            let source = t.account(CORPORATION_ACCOUNT).await;
            let destination = t.account(INDIVIDUAL_ACCOUNT).await;
            for balance in ["currentBalance", "availableBalance"] {
                assert_eq!(source[balance], source_before[balance], "{case}: source {balance} restored");
                assert_eq!(destination[balance], destination_before[balance], "{case}: destination {balance}");
            }
            let transactions = |account: &Value, status: &str, kind: &str| {
                account["transactions"]["nodes"].as_array().expect("transactions").iter()
                    .filter(|tx| tx["transactionStatus"] == status && tx["transactionType"] == kind)
                    .count()
            };
            assert_eq!(transactions(&source, "AUTHORIZED", "TRANSFER_OUT"), 0, "{case}: no hold left");
            assert_eq!(transactions(&source, "CANCELLED", "TRANSFER_OUT"), rejected_so_far + 1,
                       "{case}: the hold is cancelled");
            assert_eq!(transactions(&destination, "POSTED", "TRANSFER_IN"), 0, "{case}: nothing arrived");

            // A rejected transfer is final.
            let body = t.run(Who::Client, &accept_transfer_mutation(),
                json!({ "id": transfer_id, "key": idempotency_key() })).await;
            assert_eq!(error_codes(&body), ["INVALID_STATUS_TRANSITION"], "{case}: {body}");
            assert_eq!(body["errors"][0]["extensions"]["currentStatus"], "REJECTED", "{case}");

            match blocker {
                Blocker::Customer(customer) => set_customer_status(&app, app.key(), customer, "ACTIVE").await,
                Blocker::Account(account) => set_account_status(&app, app.key(), account, "ACTIVE").await,
            }
        }

        // Both sides can transact again (unfreezing a customer restores its accounts), and the
        // same transfer is now executed.
        for account in [CORPORATION_ACCOUNT, INDIVIDUAL_ACCOUNT] {
            assert_eq!(t.account(account).await["status"], "ACTIVE", "{account}");
        }
        let source_before = t.account(CORPORATION_ACCOUNT).await;
        let destination_before = t.account(INDIVIDUAL_ACCOUNT).await;
        let created = ok(&app, app.key(), &create_transfer_mutation(),
            json!({ "from": CORPORATION_ACCOUNT, "to": INDIVIDUAL_ACCOUNT, "amount": "10.00",
                    "key": idempotency_key() }), "createTransfer").await;
        let accepted = ok(&app, app.key(), &accept_transfer_mutation(),
            json!({ "id": created["transfer"]["id"], "key": idempotency_key() }), "acceptTransfer").await;
        assert_eq!(accepted["transfer"]["status"], "EXECUTED");
        let source = t.account(CORPORATION_ACCOUNT).await;
        let destination = t.account(INDIVIDUAL_ACCOUNT).await;
        assert_eq!(cents(&source["currentBalance"]), cents(&source_before["currentBalance"]) - 1000);
        assert_eq!(cents(&destination["currentBalance"]), cents(&destination_before["currentBalance"]) + 1000);
        assert_ledger_reconciles(&app).await;
    }
}
