//! The event log: every change writes its event in its own transaction, a refused change
//! writes none, a cascade writes one per account, and a reader paging by cursor while
//! writers commit never skips one.

use serde_json::{Value, json};

use super::{
    CORPORATION, CORPORATION_ACCOUNT, DEPOSIT_MUTATION, INDIVIDUAL, INDIVIDUAL_ACCOUNT, deposit,
    set_customer_status,
};
use crate::harness::{TestApp, both_backends, error_codes};

const EVENTS: &str = "query($after: String, $filter: EventFilter) {
    events(first: 100, after: $after, filter: $filter) {
        nodes { id sequence type occurredAt subjectId customerId accountId actor reason requestId
                changes { field from to } subject { id } }
        pageInfo { endCursor hasNextPage } } }";

/// One page of events after `after`: the events and the cursor to read on from.
async fn page(app: &TestApp, after: Option<&str>, filter: Value) -> (Vec<Value>, Option<String>) {
    let (status, body) = app
        .gql_as(
            app.key(),
            EVENTS,
            json!({ "after": after, "filter": filter }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["errors"].is_null(), "{body}");
    let events = &body["data"]["events"];
    let nodes = events["nodes"].as_array().cloned().unwrap_or_default();
    (
        nodes,
        events["pageInfo"]["endCursor"].as_str().map(str::to_owned),
    )
}

/// Every event after `after`, paging to the end; and the cursor after the last.
async fn all_after(app: &TestApp, mut after: Option<String>) -> (Vec<Value>, Option<String>) {
    let mut all = Vec::new();
    loop {
        let (nodes, next) = page(app, after.as_deref(), json!(null)).await;
        if nodes.is_empty() {
            return (all, after);
        }
        all.extend(nodes);
        after = next;
    }
}

fn types(events: &[Value]) -> Vec<&str> {
    events
        .iter()
        .map(|e| e["type"].as_str().unwrap_or_default())
        .collect()
}

fn sequences(events: &[Value]) -> Vec<i64> {
    events
        .iter()
        .map(|e| e["sequence"].as_i64().unwrap_or_default())
        .collect()
}

both_backends! {
    async fn each_change_writes_its_event_once_and_a_refused_one_writes_none(app) {
        let (seeded, cursor) = all_after(&app, None).await;
        assert!(types(&seeded).contains(&"CUSTOMER_CREATED"), "the seed is evented: {seeded:?}");
        let numbers = sequences(&seeded);
        assert_eq!(numbers, (1..=numbers.len() as i64).collect::<Vec<_>>(), "no gaps");

        // A payment, sent with our own request id.
        let response = app.http().post(app.url("/graphql")).bearer_auth(app.key())
            .header("X-Request-Id", "req-events-1")
            .json(&json!({ "query": DEPOSIT_MUTATION, "variables": {
                "account": INDIVIDUAL_ACCOUNT, "amount": "12.00", "key": "ev-pay-1" } }))
            .send().await.expect("sent");
        assert_eq!(response.headers()["x-request-id"], "req-events-1");
        let body: Value = response.json().await.expect("JSON");
        assert!(body["errors"].is_null(), "{body}");
        assert_eq!(body["extensions"]["requestId"], "req-events-1", "{body}");

        // Freezing the corporation cascades onto its account: one event each.
        set_customer_status(&app, app.key(), CORPORATION, "FROZEN").await;
        // Refused (the account is frozen): no event.
        let refused = app.gql(DEPOSIT_MUTATION, json!({ "account": CORPORATION_ACCOUNT,
            "amount": "1.00", "key": "ev-pay-2" })).await;
        assert_eq!(error_codes(&refused), ["CUSTOMER_CANNOT_TRANSACT"], "{refused}");

        let (events, _) = all_after(&app, cursor).await;
        assert_eq!(types(&events), ["PAYMENT_CONFIRMED", "CUSTOMER_STATUS_CHANGED", "ACCOUNT_STATUS_CHANGED"], "{events:?}");
        let numbers = sequences(&events);
        let first = seeded.len() as i64 + 1;
        assert_eq!(numbers, (first..first + 3).collect::<Vec<_>>());

        let payment = &events[0];
        assert_eq!(payment["customerId"], INDIVIDUAL);
        assert_eq!(payment["accountId"], INDIVIDUAL_ACCOUNT);
        assert_eq!(payment["actor"], "CLIENT");
        assert_eq!(payment["requestId"], "req-events-1");
        assert_eq!(payment["subject"]["id"], payment["subjectId"]);

        let customer = &events[1];
        assert_eq!(customer["customerId"], CORPORATION);
        assert_eq!(customer["changes"], json!([{ "field": "status", "from": "ACTIVE", "to": "FROZEN" }]));
        assert!(customer["requestId"].is_string(), "a generated request id: {customer}");
        let account = &events[2];
        assert_eq!(account["accountId"], CORPORATION_ACCOUNT);
        assert_eq!(account["changes"], json!([{ "field": "status", "from": "ACTIVE", "to": "FROZEN" }]));

        // Filters: by type, and by customer.
        let (only, _) = page(&app, None, json!({ "types": ["ACCOUNT_STATUS_CHANGED"] })).await;
        assert_eq!(types(&only), ["ACCOUNT_STATUS_CHANGED"]);
        let (theirs, _) = page(&app, None, json!({ "customerId": INDIVIDUAL })).await;
        assert!(theirs.iter().all(|e| e["customerId"] == INDIVIDUAL), "{theirs:?}");
        assert!(types(&theirs).contains(&"PAYMENT_CONFIRMED"));

        // Another client sees none of them.
        let other = app.another_client().await;
        let (status, body) = app.gql_as(other.key.expose(), EVENTS, json!({})).await;
        assert_eq!(status, 200, "{body}");
        let seen = body["data"]["events"]["nodes"].as_array().cloned().unwrap_or_default();
        let ours: Vec<&Value> = events.iter().chain(&seeded).map(|e| &e["id"]).collect();
        assert!(!seen.is_empty(), "its own seed is evented");
        assert!(seen.iter().all(|e| !ours.contains(&&e["id"])), "{seen:?}");
        assert!(types(&seen).iter().all(|t| *t != "PAYMENT_CONFIRMED"), "{seen:?}");
    }

    async fn a_reader_paging_by_cursor_while_eight_writers_commit_misses_none(app) {
        use std::sync::atomic::{AtomicBool, Ordering};
        let (_, start) = all_after(&app, None).await;
        let done = AtomicBool::new(false);
        let writers = async {
            let one = |w: usize| {
                let app = &app;
                async move {
                    let account = if w.is_multiple_of(2) { INDIVIDUAL_ACCOUNT } else { CORPORATION_ACCOUNT };
                    for _ in 0..5 {
                        deposit(app, app.key(), account, "1.00").await;
                    }
                }
            };
            futures_util::future::join_all((0..8).map(one)).await;
            done.store(true, Ordering::SeqCst);
        };
        let reader = async {
            let mut cursor = start.clone();
            let mut seen: Vec<i64> = Vec::new();
            loop {
                // Read the flag first: a page read after it was set sees every commit.
                let finished = done.load(Ordering::SeqCst);
                let (nodes, next) = page(&app, cursor.as_deref(), json!(null)).await;
                seen.extend(sequences(&nodes));
                if !nodes.is_empty() {
                    cursor = next;
                } else if finished {
                    return seen;
                }
            }
        };
        let ((), seen) = tokio::join!(writers, reader);
        assert_eq!(seen.len(), 40, "every payment's event: {seen:?}");
        assert!(seen.windows(2).all(|w| w[1] == w[0] + 1), "in order, none skipped: {seen:?}");
    }
}
