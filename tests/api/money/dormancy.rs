//! Dormancy and the sandbox clock: a customer without activity of its own becomes DORMANT
//! when its client's clock passes the period (not before), by the server, with its history
//! and event; its own activity brings it back in the same transaction; money received alone
//! does not; other statuses are left alone; moving the clock runs what became due (transfer
//! expiry); the clock only goes forward and is a SANDBOX client's only; two replicas running
//! the job move each customer once.

use serde_json::{Value, json};

use super::{
    CORPORATION, CORPORATION_ACCOUNT, INDIVIDUAL, INDIVIDUAL_ACCOUNT, balances, codes,
    create_transfer_mutation, deposit, ok, set_customer_status,
};
use crate::harness::{TestApp, clocked_backends, error_codes};

const ADVANCE: &str = "mutation($by: SandboxClockAdvance!, $client: ID) {
    advanceSandboxClock(by: $by, clientId: $client) {
        clock { clientId now aheadByMinutes } expiredTransfers dormantCustomers } }";

const CUSTOMER: &str = "query($c: String!) { customer(customerId: $c) {
    customerId status createdAt lastActivityAt dormantAfter version
    accounts { nodes { accountId status } }
    statusHistory { edges { node { from to reason actor at } } } } }";

const EVENTS: &str = "query($types: [EventType!]) { events(first: 100, filter: { types: $types }) {
    nodes { sequence type subjectId customerId actor reason requestId changes { field from to } } } }";

/// Moves the sandbox client's clock by `days`, `hours` and `minutes`; the payload.
async fn advance(app: &TestApp, (days, hours, minutes): (i32, i32, i32)) -> Value {
    let by = json!({ "days": days, "hours": hours, "minutes": minutes });
    ok(
        app,
        app.key(),
        ADVANCE,
        json!({ "by": by }),
        "advanceSandboxClock",
    )
    .await
}

async fn customer(app: &TestApp, customer_id: &str) -> Value {
    ok(
        app,
        app.key(),
        CUSTOMER,
        json!({ "c": customer_id }),
        "customer",
    )
    .await
}

/// The client's events of these types, oldest first.
async fn events(app: &TestApp, types: &[&str]) -> Vec<Value> {
    let page = ok(app, app.key(), EVENTS, json!({ "types": types }), "events").await;
    page["nodes"].as_array().cloned().unwrap_or_default()
}

/// The last status history entry of a customer as read.
fn last_change(customer: &Value) -> Value {
    customer["statusHistory"]["edges"]
        .as_array()
        .and_then(|edges| edges.last())
        .map(|edge| edge["node"].clone())
        .unwrap_or(Value::Null)
}

fn time(value: &Value) -> chrono::DateTime<chrono::Utc> {
    value
        .as_str()
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&chrono::Utc))
        .unwrap_or_else(|| panic!("a time: {value}"))
}

clocked_backends! {
    async fn a_customer_without_activity_becomes_dormant_when_the_period_passes_and_not_before(app, clock, |_| {}) {
        let before = customer(&app, INDIVIDUAL).await;
        assert_eq!(before["lastActivityAt"], before["createdAt"], "{before}");
        assert_eq!(
            time(&before["dormantAfter"]),
            time(&before["createdAt"]) + chrono::Duration::days(365)
        );

        let moved = advance(&app, (364, 0, 0)).await;
        assert_eq!(moved["dormantCustomers"], 0, "{moved}");
        assert_eq!(moved["clock"]["aheadByMinutes"], 364 * 24 * 60);
        assert_eq!(customer(&app, INDIVIDUAL).await["status"], "ACTIVE");

        // A day later (and a minute: the seed ran on real time, after this clock started)
        // both seeded customers are past the period.
        let moved = advance(&app, (1, 0, 1)).await;
        assert_eq!(moved["dormantCustomers"], 2, "{moved}");
        let after = customer(&app, INDIVIDUAL).await;
        assert_eq!(after["status"], "DORMANT", "{after}");
        assert_eq!(after["lastActivityAt"], before["lastActivityAt"]);
        assert!(after["dormantAfter"].is_null(), "{after}");
        let change = last_change(&after);
        assert_eq!(change["from"], "ACTIVE");
        assert_eq!(change["to"], "DORMANT");
        assert_eq!(change["actor"], "SYSTEM");
        assert!(change["reason"].as_str().unwrap_or_default().contains("365 days"), "{change}");
        // On the client's clock: a year on from the server's own time.
        assert!(time(&change["at"]) >= clock.now() + chrono::Duration::days(365));
        // Dormancy is the customer's: the accounts keep their status.
        assert_eq!(after["accounts"]["nodes"][0]["status"], "ACTIVE", "{after}");
        let changed = events(&app, &["CUSTOMER_STATUS_CHANGED"]).await;
        let mine: Vec<&Value> = changed.iter().filter(|e| e["customerId"] == INDIVIDUAL).collect();
        assert_eq!(mine.len(), 1, "{changed:?}");
        assert_eq!(mine[0]["actor"], "SYSTEM");
        assert_eq!(mine[0]["changes"], json!([{ "field": "status", "from": "ACTIVE", "to": "DORMANT" }]));

        // Nothing more to do: a second move finds no one.
        assert_eq!(advance(&app, (30, 0, 0)).await["dormantCustomers"], 0);
    }

    async fn a_dormant_customers_transfer_succeeds_and_makes_it_active_in_the_same_transaction(app, clock, |_| {}) {
        deposit(&app, app.key(), INDIVIDUAL_ACCOUNT, "50.00").await;
        advance(&app, (400, 0, 0)).await;
        let dormant = customer(&app, INDIVIDUAL).await;
        assert_eq!(dormant["status"], "DORMANT");

        // Money received alone is not the customer's activity (by default).
        deposit(&app, app.key(), INDIVIDUAL_ACCOUNT, "5.00").await;
        let still = customer(&app, INDIVIDUAL).await;
        assert_eq!(still["status"], "DORMANT", "{still}");
        assert_eq!(still["lastActivityAt"], dormant["lastActivityAt"]);

        let variables = json!({ "from": INDIVIDUAL_ACCOUNT, "to": CORPORATION_ACCOUNT,
                                "amount": "10.00", "key": "dormant-transfer" });
        let transfer = ok(&app, app.key(), &create_transfer_mutation(), variables, "createTransfer").await;
        assert_eq!(transfer["transfer"]["status"], "REQUESTED", "{transfer}");
        assert_eq!(balances(&app, app.key(), INDIVIDUAL_ACCOUNT).await.1, "45.00");

        let active = customer(&app, INDIVIDUAL).await;
        assert_eq!(active["status"], "ACTIVE", "{active}");
        // On the client's clock (stored to the microsecond).
        let acted = clock.now() + chrono::Duration::days(400);
        assert_eq!(time(&active["lastActivityAt"]).timestamp_micros(), acted.timestamp_micros());
        assert_eq!(
            time(&active["dormantAfter"]),
            time(&active["lastActivityAt"]) + chrono::Duration::days(365)
        );
        let change = last_change(&active);
        assert_eq!((change["from"].as_str(), change["to"].as_str()), (Some("DORMANT"), Some("ACTIVE")));
        assert_eq!(change["actor"], "SYSTEM");
        assert!(change["reason"].as_str().unwrap_or_default().contains("transfer was requested"), "{change}");
        // One transaction: the transfer's event and the reactivation's follow each other
        // in the log, from the same request.
        let log = events(&app, &["TRANSFER_REQUESTED", "CUSTOMER_STATUS_CHANGED"]).await;
        let requested = log.iter().find(|e| e["type"] == "TRANSFER_REQUESTED").expect("requested");
        let back = log.iter().rev().find(|e| e["type"] == "CUSTOMER_STATUS_CHANGED").expect("back");
        assert_eq!(back["changes"], json!([{ "field": "status", "from": "DORMANT", "to": "ACTIVE" }]));
        assert_eq!(back["actor"], "SYSTEM");
        assert_eq!(back["requestId"], requested["requestId"], "{log:?}");
        let (a, b) = (requested["sequence"].as_i64(), back["sequence"].as_i64());
        assert!(a.zip(b).is_some_and(|(a, b)| (a - b).abs() == 1), "{log:?}");
    }

    async fn frozen_pending_and_l2f_customers_are_never_made_dormant(app, _clock, |_| {}) {
        let operator = app.operator_key().await;
        let client = ok(&app, app.key(), "{ viewer { id } }", json!({}), "viewer").await["id"].clone();
        set_customer_status(&app, app.key(), CORPORATION, "FROZEN").await;
        let to_l2f = json!({ "c": INDIVIDUAL, "s": "ACTIVE_L2F", "client": client });
        ok(&app, operator.expose(), crate::money::CHANGE_CUSTOMER_STATUS, to_l2f, "changeCustomerStatus").await;
        // A PENDING customer: only a direct creation by a regulated PRODUCTION client makes
        // one, so a third customer is set so in the database.
        layer2::seed::synthetic_customers(&app.database, app.sandbox.client.id, 1).await.expect("customer");
        let pending = "UPDATE customers SET status = 'PENDING' WHERE external_id = 'synthetic-000000'";
        assert_eq!(app.sql(pending).await, 1);

        let moved = advance(&app, (800, 0, 0)).await;
        assert_eq!(moved["dormantCustomers"], 0, "{moved}");
        assert_eq!(customer(&app, CORPORATION).await["status"], "FROZEN");
        assert_eq!(customer(&app, INDIVIDUAL).await["status"], "ACTIVE_L2F");
        assert!(customer(&app, CORPORATION).await["dormantAfter"].is_null());
        assert_eq!(customer(&app, "synthetic-000000").await["status"], "PENDING");
    }

    async fn moving_the_clock_expires_a_requested_transfer_and_releases_its_hold(app, _clock, |_| {}) {
        deposit(&app, app.key(), INDIVIDUAL_ACCOUNT, "20.00").await;
        let variables = json!({ "from": INDIVIDUAL_ACCOUNT, "to": CORPORATION_ACCOUNT,
                                "amount": "7.00", "key": "to-expire" });
        let created = ok(&app, app.key(), &create_transfer_mutation(), variables, "createTransfer").await;
        let id = created["transfer"]["id"].clone();
        assert_eq!(balances(&app, app.key(), INDIVIDUAL_ACCOUNT).await, ("20.00".into(), "13.00".into()));

        let moved = advance(&app, (0, 0, 4)).await;
        assert_eq!(moved["expiredTransfers"], 0, "{moved}");
        let moved = advance(&app, (0, 0, 2)).await;
        assert_eq!(moved["expiredTransfers"], 1, "{moved}");
        assert_eq!(balances(&app, app.key(), INDIVIDUAL_ACCOUNT).await, ("20.00".into(), "20.00".into()));
        let read = ok(&app, app.key(), "query($id: ID!) { node(id: $id) { ... on Transfer { status } } }",
            json!({ "id": id }), "node").await;
        assert_eq!(read["status"], "EXPIRED");
        let expired = events(&app, &["TRANSFER_EXPIRED"]).await;
        assert_eq!(expired.len(), 1, "{expired:?}");
        assert_eq!(expired[0]["actor"], "SYSTEM");
    }

    async fn the_clock_only_moves_forward_and_only_for_sandbox_clients(app, _clock, |_| {}) {
        let start = ok(&app, app.key(), "{ sandboxClock { now aheadByMinutes clientId } }", json!({}), "sandboxClock").await;
        assert_eq!(start["aheadByMinutes"], 0);
        for by in [json!({ "days": -1 }), json!({ "minutes": -5, "days": 3 }), json!({}), json!({ "days": 4000 })] {
            let refused = codes(&app, app.key(), ADVANCE, json!({ "by": by })).await;
            assert_eq!(refused, ["BAD_USER_INPUT"], "{by}");
        }
        let after = ok(&app, app.key(), "{ sandboxClock { now aheadByMinutes } }", json!({}), "sandboxClock").await;
        assert_eq!(after["now"], start["now"], "a refused move moves nothing");

        advance(&app, (0, 2, 0)).await;
        let later = ok(&app, app.key(), "{ sandboxClock { now aheadByMinutes } }", json!({}), "sandboxClock").await;
        assert_eq!(later["aheadByMinutes"], 120);
        assert_eq!(time(&later["now"]), time(&start["now"]) + chrono::Duration::hours(2));

        // The operator reads (and may move) any sandbox client's clock by naming it.
        let operator = app.operator_key().await;
        let named = json!({ "client": start["clientId"] });
        let (_, seen) = app.gql_as(operator.expose(),
            "query($client: ID) { sandboxClock(clientId: $client) { now } }", named).await;
        assert_eq!(seen["data"]["sandboxClock"]["now"], later["now"], "{seen}");
        let (_, unnamed) = app.gql_as(operator.expose(), "{ sandboxClock { now } }", json!({})).await;
        assert_eq!(error_codes(&unnamed), ["BAD_USER_INPUT"], "{unnamed}");

        // PRODUCTION clients run on real time.
        let (_, production) = app.regulated_client().await;
        let (_, read) = app.gql_as(production.expose(), "{ sandboxClock { now } }", json!({})).await;
        assert_eq!(error_codes(&read), ["FORBIDDEN"], "{read}");
        let (_, moved) = app.gql_as(production.expose(), ADVANCE, json!({ "by": { "days": 1 } })).await;
        assert_eq!(error_codes(&moved), ["FORBIDDEN"], "{moved}");
    }

    async fn dormant_before_lists_the_active_customers_dormancy_reaches_first(app, _clock, |_| {}) {
        advance(&app, (100, 0, 0)).await;
        // The individual acts a hundred days on; the corporation does not.
        let update = "mutation { updateCustomer(customerId: \"sandbox-individual-1\", updatedBy: \"t\",
            reason: \"refresh\", input: { individual: { occupation: \"Architect\" } }) { customer { lastActivityAt } } }";
        ok(&app, app.key(), update, json!({}), "updateCustomer").await;
        let corporation = customer(&app, CORPORATION).await;
        let individual = customer(&app, INDIVIDUAL).await;
        let between = time(&corporation["dormantAfter"]) + chrono::Duration::days(10);
        assert!(between < time(&individual["dormantAfter"]));
        let list = "query($before: DateTime) { customers(first: 10, filter: { dormantBefore: $before }) {
            nodes { customerId dormantAfter } } }";
        let page = ok(&app, app.key(), list, json!({ "before": between.to_rfc3339() }), "customers").await;
        let ids: Vec<&str> = page["nodes"].as_array().map(|n| n.iter().filter_map(|c| c["customerId"].as_str()).collect()).unwrap_or_default();
        assert_eq!(ids, [CORPORATION], "{page}");
    }
}

/// Every subject of the client's CUSTOMER_STATUS_CHANGED events, paging to the end.
async fn status_change_subjects(app: &TestApp) -> Vec<String> {
    let query = "query($after: String) { events(first: 100, after: $after,
        filter: { types: [CUSTOMER_STATUS_CHANGED] }) { nodes { subjectId } pageInfo { endCursor } } }";
    let mut subjects = Vec::new();
    let mut after = Value::Null;
    loop {
        let page = ok(app, app.key(), query, json!({ "after": after }), "events").await;
        let nodes = page["nodes"].as_array().cloned().unwrap_or_default();
        if nodes.is_empty() {
            return subjects;
        }
        subjects.extend(
            nodes
                .iter()
                .filter_map(|n| n["subjectId"].as_str().map(str::to_owned)),
        );
        after = page["pageInfo"]["endCursor"].clone();
    }
}

crate::harness::both_backends! {
    async fn two_replicas_running_the_job_at_once_move_each_customer_once(app) {
        use layer2::clock::ManualClock;
        const CUSTOMERS: usize = 450;
        layer2::seed::synthetic_customers(&app.database, app.sandbox.client.id, CUSTOMERS)
            .await
            .expect("customers");
        // Two replicas: each its own pools on the same database, their clocks a year on.
        let replica = || async {
            let clock = ManualClock::starting_now();
            clock.advance(chrono::Duration::days(366));
            layer2::ops::App {
                db: layer2::db::Database::open(&app.db.settings()).await.expect("database"),
                clock,
                settings: std::sync::Arc::new(layer2::ops::Settings::default()),
            }
        };
        let (a, b) = (replica().await, replica().await);
        let (moved_a, moved_b) = tokio::join!(
            layer2::ops::customers::dormancy::sweep(&a),
            layer2::ops::customers::dormancy::sweep(&b)
        );
        let (moved_a, moved_b) = (moved_a.expect("replica a"), moved_b.expect("replica b"));
        // The seeded two and the new ones, each once.
        assert_eq!(moved_a + moved_b, CUSTOMERS + 2, "{moved_a} + {moved_b}");
        let mut subjects = status_change_subjects(&app).await;
        assert_eq!(subjects.len(), CUSTOMERS + 2);
        subjects.sort();
        subjects.dedup();
        assert_eq!(subjects.len(), CUSTOMERS + 2, "one move per customer");
        let dormant = ok(&app, app.key(), "{ customers(filter: { status: [DORMANT] }) { totalCount } }",
            json!({}), "customers").await;
        assert_eq!(dormant["totalCount"], CUSTOMERS + 2);
        // A third pass finds nothing left.
        assert_eq!(layer2::ops::customers::dormancy::sweep(&a).await.expect("again"), 0);
    }
}
