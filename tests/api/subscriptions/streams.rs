//! What a subscriber receives: the log replayed and then followed live, in order and per
//! tenant; resumed from a cursor without gaps or repeats; over either protocol; and from
//! events written through another replica.

use std::time::Duration;

use serde_json::json;

use super::{
    LEGACY_WS, Socket, TRANSPORT_WS, end_cursor, ids, logged, sequences, types, unknown_key,
};
use crate::harness::{Backend, TestApp, both_backends};
use crate::money::{
    CORPORATION, CORPORATION_ACCOUNT, INDIVIDUAL, INDIVIDUAL_ACCOUNT, deposit, ok,
    set_customer_status,
};

both_backends! {
    async fn the_log_is_replayed_then_followed_live_in_order_and_only_the_callers(app) {
        let seeded = logged(&app, app.key()).await;
        let other = app.another_client().await;
        let mut socket = Socket::initialised(app.addr, TRANSPORT_WS, app.key()).await;
        socket.subscribe("1", None).await;

        // First the log as it stands, the same edges Query.events pages.
        let replayed = socket.events(seeded.len()).await;
        assert_eq!(replayed, seeded);

        // Then changes as they commit: another client's first, then ours.
        deposit(&app, other.key.expose(), INDIVIDUAL_ACCOUNT, "5.00").await;
        deposit(&app, app.key(), INDIVIDUAL_ACCOUNT, "1.00").await;
        set_customer_status(&app, app.key(), CORPORATION, "FROZEN").await;
        let live = socket.events(3).await;
        assert_eq!(types(&live), ["PAYMENT_CONFIRMED", "CUSTOMER_STATUS_CHANGED", "ACCOUNT_STATUS_CHANGED"]);
        let last = seeded.len() as i64;
        assert_eq!(sequences(&live), [last + 1, last + 2, last + 3], "in order, none skipped");
        assert_eq!(live, logged(&app, app.key()).await[seeded.len()..], "as Query.events has them");

        // The other client's event was never among them.
        let theirs = logged(&app, other.key.expose()).await;
        assert_eq!(types(&theirs).last(), Some(&"PAYMENT_CONFIRMED"));
        assert!(ids(&live).iter().all(|id| !ids(&theirs).contains(id)), "{live:?}");
        socket.close().await;
    }

    async fn a_token_follows_its_customers_events_only_and_is_cut_off_when_revoked(app) {
        let minted = ok(&app, app.key(), "mutation { createAccessToken(input: {
            scopes: [EVENTS_READ], customerIds: [\"sandbox-individual-1\"] }) { token accessToken { id } } }",
            json!({}), "createAccessToken").await;
        let token = minted["token"].as_str().expect("token");
        let start = end_cursor(&app, app.key()).await;
        let mut socket = Socket::initialised(app.addr, TRANSPORT_WS, token).await;
        socket.subscribe("1", Some(&start)).await;

        // The other customer's payment comes first in the log; the token's stream skips it.
        deposit(&app, app.key(), CORPORATION_ACCOUNT, "2.00").await;
        deposit(&app, app.key(), INDIVIDUAL_ACCOUNT, "1.00").await;
        let event = socket.next_event().await;
        assert_eq!(event["node"]["customerId"], INDIVIDUAL, "{event}");
        assert_eq!(event["node"]["type"], "PAYMENT_CONFIRMED", "{event}");

        // Its connection is its own: the key still has all of its places.
        let max = layer2::server::ws::SubscriptionSettings::default().max_connections_per_key;
        let mut the_keys = Vec::new();
        for _ in 0..max {
            the_keys.push(Socket::initialised(app.addr, TRANSPORT_WS, app.key()).await);
        }

        // Revoked: the open connection is closed, not left streaming.
        ok(&app, app.key(), "mutation($id: ID!) { revokeAccessToken(id: $id) { accessToken { id } } }",
            json!({ "id": minted["accessToken"]["id"] }), "revokeAccessToken").await;
        let (code, reason) = socket.closed().await;
        assert_eq!(code, 4401, "{reason}");
    }

    async fn resuming_from_the_last_cursor_misses_and_repeats_nothing(app) {
        let start = end_cursor(&app, app.key()).await;
        let mut socket = Socket::initialised(app.addr, TRANSPORT_WS, app.key()).await;
        socket.subscribe("1", Some(&start)).await;
        deposit(&app, app.key(), INDIVIDUAL_ACCOUNT, "1.00").await;
        deposit(&app, app.key(), INDIVIDUAL_ACCOUNT, "2.00").await;
        let before = socket.events(2).await;
        socket.close().await;

        // Changes while nobody listens, then a new connection from the last cursor.
        for amount in ["3.00", "4.00", "5.00"] {
            deposit(&app, app.key(), INDIVIDUAL_ACCOUNT, amount).await;
        }
        let last = before[1]["cursor"].as_str().expect("cursor");
        let mut socket = Socket::initialised(app.addr, TRANSPORT_WS, app.key()).await;
        socket.subscribe("again", Some(last)).await;
        let missed = socket.events(3).await;
        deposit(&app, app.key(), INDIVIDUAL_ACCOUNT, "6.00").await;
        let next = socket.events(1).await;

        let first = sequences(&before)[0];
        assert_eq!(sequences(&before), [first, first + 1]);
        assert_eq!(sequences(&missed), [first + 2, first + 3, first + 4], "exactly the missed ones");
        assert_eq!(sequences(&next), [first + 5], "then live, with nothing repeated");
        let all = logged(&app, app.key()).await;
        assert_eq!([before, missed, next].concat(), all[all.len() - 6..]);
        socket.close().await;
    }

    async fn the_legacy_graphql_ws_protocol_streams_events_too(app) {
        let start = end_cursor(&app, app.key()).await;
        let mut socket = Socket::initialised(app.addr, LEGACY_WS, app.key()).await;
        socket.subscribe("1", Some(&start)).await;
        deposit(&app, app.key(), INDIVIDUAL_ACCOUNT, "1.00").await;
        let data = socket.next().await;
        assert_eq!(data["type"], "data", "{data}");
        assert_eq!(data["id"], "1");
        assert_eq!(data["payload"]["data"]["events"]["node"]["type"], "PAYMENT_CONFIRMED", "{data}");
        socket.send(json!({ "id": "1", "type": "stop" })).await;
        let complete = socket.next().await;
        assert_eq!(complete, json!({ "type": "complete", "id": "1" }));

        // A refused key hears connection_error, then the close.
        let mut refused = Socket::open(app.addr, LEGACY_WS).await;
        refused.init(&unknown_key()).await;
        let error = refused.next().await;
        assert_eq!(error["type"], "connection_error", "{error}");
        assert_eq!(refused.closed().await.0, 4403);
        socket.close().await;
    }
}

/// Two replicas over one PostgreSQL database: a subscriber on one receives what is written
/// through the other, found by its poll of the log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_on_one_replica_receives_events_written_through_another() {
    let Some(app) = TestApp::start(Backend::Postgres).await else {
        return;
    };
    let database = layer2::db::Database::open(&app.db.settings())
        .await
        .expect("second replica's database");
    let mut settings = layer2::server::ServerSettings::local("127.0.0.1:0".parse().unwrap());
    settings.workers = 1;
    settings.subscriptions.poll_interval = Duration::from_millis(100);
    let replica = layer2::server::start(&settings, database).expect("second replica starts");

    let start = end_cursor(&app, app.key()).await;
    let mut socket = Socket::initialised(replica.addr, TRANSPORT_WS, app.key()).await;
    socket.subscribe("1", Some(&start)).await;
    deposit(&app, app.key(), INDIVIDUAL_ACCOUNT, "1.00").await;
    set_customer_status(&app, app.key(), CORPORATION, "FROZEN").await;
    let edges = socket.events(3).await;
    assert_eq!(
        types(&edges),
        [
            "PAYMENT_CONFIRMED",
            "CUSTOMER_STATUS_CHANGED",
            "ACCOUNT_STATUS_CHANGED"
        ]
    );
    socket.close().await;
    replica.shutdown().await.expect("replica stops");
    app.stop().await;
}
