//! What a connection may do: the key in `connection_init` in time, a bounded number of
//! connections per key and subscriptions per connection, documents held to the query
//! limits (per event for the response cap), and a close at shutdown.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{EVENTS, Socket, TRANSPORT_WS, end_cursor, logged, types, unknown_key};
use crate::harness::both_backends_configured;
use crate::money::{INDIVIDUAL_ACCOUNT, deposit};

both_backends_configured! {
    async fn connection_init_without_a_valid_key_in_time_is_refused(app, |s| {
        s.subscriptions.init_timeout = Duration::from_millis(500);
    }) {
        // No payload, a key of ours that does not exist, and no key format at all.
        for payload in [
            json!(null),
            json!({ "Authorization": format!("Bearer {}", unknown_key()) }),
            json!({ "Authorization": "Basic dXNlcjpwYXNz" }),
        ] {
            let mut socket = Socket::open(app.addr, TRANSPORT_WS).await;
            socket.send(json!({ "type": "connection_init", "payload": payload })).await;
            let (code, reason) = socket.closed().await;
            assert_eq!(code, 4403, "{payload}: {reason}");
            assert!(reason.starts_with("Forbidden"), "{reason}");
        }
        // A subscription before the handshake.
        let mut early = Socket::open(app.addr, TRANSPORT_WS).await;
        early.send(json!({ "id": "1", "type": "subscribe", "payload": { "query": EVENTS } })).await;
        assert_eq!(early.closed().await.0, 4401);
        // Silence past the init timeout.
        let mut silent = Socket::open(app.addr, TRANSPORT_WS).await;
        assert_eq!(silent.closed().await.0, 4408);
        // The key may also be spelt in lower case; queries over plain GET still work.
        let mut socket = Socket::open(app.addr, TRANSPORT_WS).await;
        socket.send(json!({ "type": "connection_init",
                            "payload": { "authorization": format!("Bearer {}", app.key()) } })).await;
        assert_eq!(socket.next().await["type"], "connection_ack");
        let response = app.http().get(app.url("/graphql?query=%7B__typename%7D"))
            .bearer_auth(app.key()).send().await.expect("sent");
        assert_eq!(response.status(), 200);
        let unauthenticated = app.http().get(app.url("/graphql?query=%7B__typename%7D"))
            .send().await.expect("sent");
        assert_eq!(unauthenticated.status(), 401, "only the upgrade goes without a header");
        socket.close().await;
    }

    async fn connections_per_key_are_bounded(app, |s| {
        s.subscriptions.max_connections_per_key = 2;
    }) {
        let first = Socket::initialised(app.addr, TRANSPORT_WS, app.key()).await;
        let _second = Socket::initialised(app.addr, TRANSPORT_WS, app.key()).await;
        let mut third = Socket::open(app.addr, TRANSPORT_WS).await;
        third.init(app.key()).await;
        let (code, reason) = third.closed().await;
        assert_eq!(code, 4429, "{reason}");
        assert!(reason.contains("at most 2"), "{reason}");

        // Another key has its own places; a closed connection gives its place back.
        let other = app.another_client().await;
        let _theirs = Socket::initialised(app.addr, TRANSPORT_WS, other.key.expose()).await;
        first.close().await;
        let _again = Socket::initialised(app.addr, TRANSPORT_WS, app.key()).await;
    }

    async fn each_connection_runs_few_subscriptions_held_to_the_query_limits(app, |s| {
        s.subscriptions.max_subscriptions_per_connection = 1;
        s.limits.max_aliases = 3;
    }) {
        let start = end_cursor(&app, app.key()).await;
        let mut socket = Socket::initialised(app.addr, TRANSPORT_WS, app.key()).await;
        socket.subscribe("1", Some(&start)).await;
        let subscribe = |id: &str, query: &str| json!({ "id": id, "type": "subscribe",
            "payload": { "query": query, "variables": { "after": start } } });
        let code = |message: &Value| message["payload"][0]["extensions"]["code"].clone();

        socket.send(subscribe("2", EVENTS)).await;
        let refused = socket.next().await;
        assert_eq!((&refused["type"], &refused["id"]), (&json!("error"), &json!("2")), "{refused}");
        assert_eq!(code(&refused), "TOO_MANY_SUBSCRIPTIONS");
        socket.send(subscribe("3", "{ viewer { id } }")).await;
        assert_eq!(code(&socket.next().await), "BAD_REQUEST", "queries go over HTTP");

        // Completing the first frees its place; a document over the limits is refused.
        socket.send(json!({ "id": "1", "type": "complete" })).await;
        assert_eq!(socket.next().await, json!({ "type": "complete", "id": "1" }));
        socket.send(subscribe("4", "subscription { events { a: cursor b: cursor c: cursor d: cursor } }")).await;
        let refused = socket.next().await;
        assert_eq!(refused["type"], "next", "{refused}");
        assert_eq!(refused["payload"]["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED", "{refused}");
        assert_eq!(socket.next().await, json!({ "type": "complete", "id": "4" }));
        socket.send(subscribe("5", "subscription { events(after: \"nope\") { cursor } }")).await;
        let refused = socket.next().await;
        assert_eq!(refused["payload"]["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{refused}");
        assert_eq!(socket.next().await, json!({ "type": "complete", "id": "5" }));

        // And the place is still there for a good one.
        socket.send(subscribe("6", EVENTS)).await;
        deposit(&app, app.key(), INDIVIDUAL_ACCOUNT, "1.00").await;
        assert_eq!(types(&socket.events(1).await), ["PAYMENT_CONFIRMED"]);
        socket.close().await;
    }

    async fn shutdown_closes_open_subscriptions_at_once(app, |s| {
        s.shutdown_timeout = Duration::from_secs(30);
    }) {
        let mut app = app;
        let mut socket = Socket::initialised(app.addr, TRANSPORT_WS, app.key()).await;
        socket.subscribe("1", None).await;
        socket.next_event().await;
        let server = app.take_server();
        let started = Instant::now();
        let (stopped, (code, _)) = tokio::join!(server.shutdown(), socket.closed());
        stopped.expect("clean shutdown");
        assert_eq!(code, 1001, "going away");
        assert!(started.elapsed() < Duration::from_secs(10), "did not wait for the shutdown timeout");
    }
}

both_backends_configured! {
    async fn each_event_is_held_to_the_response_node_cap_on_its_own(app, |s| {
        s.limits.max_response_nodes = 500;
    }) {
        // 150 fields an event: the replayed log passes the cap together, never one alone.
        let seeded = logged(&app, app.key()).await;
        assert!(seeded.len() * 151 > 500, "{} events", seeded.len());
        let fields: Vec<String> = (0..150).map(|n| format!("c{n}: cursor")).collect();
        let query = format!("subscription {{ events {{ {} }} }}", fields.join(" "));
        let mut socket = Socket::initialised(app.addr, TRANSPORT_WS, app.key()).await;
        socket.send(json!({ "id": "1", "type": "subscribe", "payload": { "query": query } })).await;
        for edge in &seeded {
            let event = socket.next_event().await;
            assert_eq!(event["c149"], edge["cursor"]);
        }
        socket.close().await;
    }
}
