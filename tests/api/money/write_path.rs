//! The one write path (`ops::uow`): a replay is answered before any rule is weighed, the
//! operator's keys and a client's are apart, `requestPaymentAddress` takes a key too, and a
//! transaction PostgreSQL gives up on is run again (a bounded number of times).

use serde_json::{Value, json};

use super::*;
use crate::harness::{TestApp, both_backends, error_codes};
use layer2::graphql::node::{NodeKind, encode};

fn client_gid(app: &TestApp) -> String {
    encode(NodeKind::Client, app.sandbox.client.id.0).0
}

const CREATE_TRANSFER: &str = "mutation($from: String!, $to: String!, $amount: Decimal!,
        $key: String!, $client: ID) {
    createTransfer(sourceAccountId: $from, destinationAccountId: $to, amount: $amount,
        idempotencyKey: $key, clientId: $client) {
        transfer { id status amount sourceAccount { availableBalance } } } }";

const REQUEST_ADDRESS: &str = "mutation($a: String!, $p: String!, $ref: String!, $key: String) {
    requestPaymentAddress(accountId: $a, payorId: $p, paymentReference: $ref,
        idempotencyKey: $key) {
        paymentAddress { id walletAddress paymentReference } } }";

async fn create_transfer(
    app: &TestApp,
    key: &str,
    amount: &str,
    idempotency_key: &str,
    client: Option<&str>,
) -> Value {
    let (status, body) = app
        .gql_as(
            key,
            CREATE_TRANSFER,
            json!({ "from": INDIVIDUAL_ACCOUNT, "to": CORPORATION_ACCOUNT,
            "amount": amount, "key": idempotency_key, "client": client }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

fn transfer_of(body: &Value) -> &Value {
    assert!(body["errors"].is_null(), "{body}");
    &body["data"]["createTransfer"]["transfer"]
}

const OPEN_ACCOUNT: &str = "mutation($c: String!, $a: AccountToOpenInput!, $key: String) {
    openAccount(customerId: $c, accountToOpen: $a, idempotencyKey: $key) { account { id accountId } } }";

const CREATE_PAYOR: &str = "mutation($c: String!, $input: CreatePayorInput!, $key: String) {
    createPayor(customerId: $c, input: $input, idempotencyKey: $key) { payor { id payorId } } }";

both_backends! {
    async fn open_account_and_create_payor_replay_after_the_customer_was_frozen(app) {
        let account = json!({ "accountId": "idem-acc-1", "productId": "DEPOSIT_BASIC",
            "assetTypeId": "FIAT_TESTNET_USD" });
        let payor = json!({ "payorId": "idem-payor-1", "companyName": "Acme", "countryCode": "US", "state": "CA" });
        let opened = ok(&app, app.key(), OPEN_ACCOUNT,
            json!({ "c": INDIVIDUAL, "a": account, "key": "open-1" }), "openAccount").await;
        let created = ok(&app, app.key(), CREATE_PAYOR,
            json!({ "c": INDIVIDUAL, "input": payor, "key": "payor-1" }), "createPayor").await;
        set_customer_status(&app, app.key(), INDIVIDUAL, "FROZEN").await;
        let again = ok(&app, app.key(), OPEN_ACCOUNT,
            json!({ "c": INDIVIDUAL, "a": account, "key": "open-1" }), "openAccount").await;
        assert_eq!(again, opened, "the original account");
        let again = ok(&app, app.key(), CREATE_PAYOR,
            json!({ "c": INDIVIDUAL, "input": payor, "key": "payor-1" }), "createPayor").await;
        assert_eq!(again, created, "the original payor");
        // Without the key the retry is a new request, weighed now: refused for a frozen customer.
        let codes_now = codes(&app, app.key(), OPEN_ACCOUNT,
            json!({ "c": INDIVIDUAL, "a": { "accountId": "idem-acc-2", "productId": "DEPOSIT_BASIC",
                "assetTypeId": "FIAT_TESTNET_USD" } })).await;
        assert_eq!(codes_now, ["CUSTOMER_CANNOT_TRANSACT"]);
        // The same key with another request is refused.
        let other = json!({ "accountId": "idem-acc-3", "productId": "DEPOSIT_BASIC", "assetTypeId": "FIAT_TESTNET_USD" });
        assert_eq!(codes(&app, app.key(), OPEN_ACCOUNT, json!({ "c": INDIVIDUAL, "a": other, "key": "open-1" })).await,
            ["IDEMPOTENCY_KEY_REUSED"]);
    }

    async fn a_replay_after_the_source_was_frozen_returns_the_original_transfer(app) {
        deposit(&app, app.key(), INDIVIDUAL_ACCOUNT, "100.00").await;
        let first = create_transfer(&app, app.key(), "30.00", "frozen-replay", None).await;
        let original = transfer_of(&first).clone();
        set_customer_status(&app, app.key(), INDIVIDUAL, "FROZEN").await;

        let replay = create_transfer(&app, app.key(), "30.00", "frozen-replay", None).await;
        assert_eq!(transfer_of(&replay)["id"], original["id"], "{replay}");
        assert_eq!(transfer_of(&replay)["status"], "REQUESTED");
        // A new request is weighed against the rules as they are now.
        let fresh = create_transfer(&app, app.key(), "30.00", "frozen-new", None).await;
        assert_eq!(error_codes(&fresh), ["CUSTOMER_CANNOT_TRANSACT"], "{fresh}");
        assert_eq!(balances(&app, app.key(), INDIVIDUAL_ACCOUNT).await, ("100.00".into(), "70.00".into()));
    }

    async fn the_operator_and_the_client_keep_their_idempotency_keys_apart(app) {
        deposit(&app, app.key(), INDIVIDUAL_ACCOUNT, "100.00").await;
        let operator = app.operator_key().await;
        let client = client_gid(&app);
        let theirs = create_transfer(&app, app.key(), "10.00", "shared-key", None).await;
        let ours = create_transfer(&app, operator.expose(), "20.00", "shared-key", Some(&client)).await;
        assert_ne!(transfer_of(&ours)["id"], transfer_of(&theirs)["id"], "{ours}");
        assert_eq!(transfer_of(&ours)["amount"], "20.00");
        // Each replays its own.
        let again = create_transfer(&app, operator.expose(), "20.00", "shared-key", Some(&client)).await;
        assert_eq!(transfer_of(&again)["id"], transfer_of(&ours)["id"]);
        let again = create_transfer(&app, app.key(), "10.00", "shared-key", None).await;
        assert_eq!(transfer_of(&again)["id"], transfer_of(&theirs)["id"]);
        assert_eq!(balances(&app, app.key(), INDIVIDUAL_ACCOUNT).await, ("100.00".into(), "70.00".into()));
    }

    async fn a_retried_payment_address_request_returns_the_first_address(app) {
        open_account(&app, app.key(), INDIVIDUAL, "pay-idem-1", "PAYMENT_BASIC", "FIAT_TESTNET_USD").await;
        ok(&app, app.key(), "mutation($c: String!, $input: CreatePayorInput!) {
                createPayor(customerId: $c, input: $input) { payor { id } } }",
            json!({ "c": INDIVIDUAL, "input": { "payorId": "payor-idem-1", "firstName": "Pat",
                "lastName": "Payer", "countryCode": "US", "state": "CA" } }), "createPayor").await;
        let variables = json!({ "a": "pay-idem-1", "p": "payor-idem-1", "ref": "INV-7", "key": "address-1" });
        let first = ok(&app, app.key(), REQUEST_ADDRESS, variables.clone(), "requestPaymentAddress").await;
        let again = ok(&app, app.key(), REQUEST_ADDRESS, variables, "requestPaymentAddress").await;
        assert_eq!(first, again, "one address for both calls");
        let other = json!({ "a": "pay-idem-1", "p": "payor-idem-1", "ref": "INV-8", "key": "address-1" });
        assert_eq!(codes(&app, app.key(), REQUEST_ADDRESS, other).await, ["IDEMPOTENCY_KEY_REUSED"]);
        // Without a key every call issues a new address.
        let bare = json!({ "a": "pay-idem-1", "p": "payor-idem-1", "ref": "INV-7" });
        let one = ok(&app, app.key(), REQUEST_ADDRESS, bare.clone(), "requestPaymentAddress").await;
        let two = ok(&app, app.key(), REQUEST_ADDRESS, bare, "requestPaymentAddress").await;
        assert_ne!(one["paymentAddress"]["id"], two["paymentAddress"]["id"]);
        assert_ne!(one["paymentAddress"]["id"], first["paymentAddress"]["id"]);
    }
}

/// PostgreSQL only (SQLite runs one writer at a time and never gives a transaction up): a
/// trigger fails the first inserts of transfers with SQLSTATE 40001, counted by a sequence
/// (which a rollback does not undo).
mod serialization_failures {
    use super::*;
    use crate::harness::Backend;
    use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

    async fn fail_first_transfer_inserts(app: &TestApp, failures: i64) -> AsyncPgConnection {
        let mut conn = AsyncPgConnection::establish(&format!("{}?sslmode=disable", app.db.url))
            .await
            .expect("direct connection");
        for statement in [
            "CREATE SEQUENCE injected_faults".to_owned(),
            format!(
                "CREATE FUNCTION inject_fault() RETURNS trigger AS $$ BEGIN
                   IF nextval('injected_faults') <= {failures} THEN
                     RAISE EXCEPTION 'injected serialization failure' USING ERRCODE = '40001';
                   END IF;
                   RETURN NEW;
                 END $$ LANGUAGE plpgsql"
            ),
            "CREATE TRIGGER inject_fault BEFORE INSERT ON transfers FOR EACH ROW
                 EXECUTE FUNCTION inject_fault()"
                .to_owned(),
        ] {
            diesel::sql_query(statement)
                .execute(&mut conn)
                .await
                .expect("fault injected");
        }
        conn
    }

    #[derive(diesel::QueryableByName)]
    struct Attempts {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        last_value: i64,
    }

    async fn attempts(conn: &mut AsyncPgConnection) -> i64 {
        diesel::sql_query("SELECT last_value FROM injected_faults")
            .get_result::<Attempts>(conn)
            .await
            .expect("sequence read")
            .last_value
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_transaction_postgres_gives_up_on_is_run_again() {
        let Some(app) = TestApp::start(Backend::Postgres).await else {
            return;
        };
        deposit(&app, app.key(), INDIVIDUAL_ACCOUNT, "100.00").await;
        let mut conn = fail_first_transfer_inserts(&app, 2).await;
        let body = create_transfer(&app, app.key(), "30.00", "retried", None).await;
        assert_eq!(transfer_of(&body)["status"], "REQUESTED", "{body}");
        assert_eq!(
            attempts(&mut conn).await,
            3,
            "two failures, then the third attempt"
        );
        assert_eq!(
            balances(&app, app.key(), INDIVIDUAL_ACCOUNT).await,
            ("100.00".into(), "70.00".into())
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn after_four_attempts_it_is_a_conflict_and_nothing_is_written() {
        let Some(app) = TestApp::start(Backend::Postgres).await else {
            return;
        };
        deposit(&app, app.key(), INDIVIDUAL_ACCOUNT, "100.00").await;
        let mut conn = fail_first_transfer_inserts(&app, 100).await;
        let body = create_transfer(&app, app.key(), "30.00", "given-up", None).await;
        assert_eq!(error_codes(&body), ["CONFLICT"], "{body}");
        assert_eq!(
            attempts(&mut conn).await,
            i64::from(layer2::ops::uow::MAX_ATTEMPTS)
        );
        assert_eq!(
            balances(&app, app.key(), INDIVIDUAL_ACCOUNT).await,
            ("100.00".into(), "100.00".into())
        );
    }
}

both_backends! {
    async fn a_write_on_the_connections_queries_read_with_fails_and_writes_nothing(app) {
        use layer2::domain::client::Environment;
        use layer2::store::clients::{Client, count, insert};
        let mut pooled = app.database.read().await.expect("read connection");
        let before = count(&mut pooled.conn()).await.expect("a read works");
        let client = Client {
            id: layer2::domain::ids::ClientId::new(),
            name: "slipped into a read".into(),
            environment: Environment::Sandbox,
            regulated: false,
            created_at: layer2::db::types::Timestamp::now(),
        };
        let refused = insert(&mut pooled.conn(), &client).await;
        assert!(refused.is_err(), "a write on a read-only connection must fail: {refused:?}");
        drop(pooled);
        let mut pooled = app.database.conn().await.expect("connection");
        assert_eq!(count(&mut pooled.conn()).await.expect("count"), before, "nothing was written");
    }
}
