//! Subscriptions over WebSocket against the real server: the key in `connection_init`, the
//! log replayed from a cursor and then followed live in order and per tenant, resuming
//! without gaps or repeats, both protocols, several replicas, and every bound.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::harness::{Backend, TestApp, both_backends, both_backends_configured};
use crate::money::{CORPORATION, INDIVIDUAL_ACCOUNT, deposit, set_customer_status};

/// The longest any one message may take to arrive; a passing test waits far less.
const DEADLINE: Duration = Duration::from_secs(10);
const TRANSPORT_WS: &str = "graphql-transport-ws";
const LEGACY_WS: &str = "graphql-ws";

const EVENTS: &str = "subscription($after: String, $types: [EventType!]) {
    events(after: $after, types: $types) { cursor node { id sequence type customerId } } }";

/// A client's end of a WebSocket, and the protocol it speaks.
struct Socket(WebSocketStream<MaybeTlsStream<TcpStream>>, &'static str);

impl Socket {
    /// Upgrades `GET /graphql` (without an `Authorization` header) speaking `protocol`.
    async fn open(addr: SocketAddr, protocol: &'static str) -> Self {
        let mut request = format!("ws://{addr}/graphql")
            .into_client_request()
            .unwrap();
        request
            .headers_mut()
            .insert("Sec-WebSocket-Protocol", protocol.parse().unwrap());
        let (socket, response) = timeout(DEADLINE, tokio_tungstenite::connect_async(request))
            .await
            .expect("upgraded in time")
            .expect("upgraded");
        assert_eq!(response.headers()["sec-websocket-protocol"], protocol);
        Self(socket, protocol)
    }

    /// Open, `connection_init` with `key`, and its `connection_ack`.
    async fn initialised(addr: SocketAddr, protocol: &'static str, key: &str) -> Self {
        let mut socket = Self::open(addr, protocol).await;
        socket.init(key).await;
        let ack = socket.next().await;
        assert_eq!(ack["type"], "connection_ack", "{ack}");
        socket
    }

    async fn init(&mut self, key: &str) {
        let init = json!({ "type": "connection_init",
                           "payload": { "Authorization": format!("Bearer {key}") } });
        self.send(init).await;
    }

    async fn send(&mut self, message: Value) {
        self.0
            .send(Message::text(message.to_string()))
            .await
            .expect("sent");
    }

    /// Subscribes to the events after `after` as subscription `id`.
    async fn subscribe(&mut self, id: &str, after: Option<&str>) {
        let kind = if self.1 == LEGACY_WS {
            "start"
        } else {
            "subscribe"
        };
        self.send(json!({ "id": id, "type": kind,
                          "payload": { "query": EVENTS, "variables": { "after": after } } }))
            .await;
    }

    /// The next protocol message (the server's pings are answered along the way).
    async fn next(&mut self) -> Value {
        loop {
            let frame = timeout(DEADLINE, self.0.next())
                .await
                .expect("a message in time")
                .expect("still open")
                .expect("readable");
            match frame {
                Message::Text(text) => return serde_json::from_str(text.as_str()).unwrap(),
                Message::Ping(_) | Message::Pong(_) => {}
                other => panic!("expected a message, got {other:?}"),
            }
        }
    }

    /// The next event edge of a subscription, with no errors.
    async fn next_event(&mut self) -> Value {
        let message = self.next().await;
        assert!(
            message["type"] == "next" || message["type"] == "data",
            "{message}"
        );
        assert!(message["payload"]["errors"].is_null(), "{message}");
        message["payload"]["data"]["events"].clone()
    }

    /// The next `count` event edges.
    async fn events(&mut self, count: usize) -> Vec<Value> {
        let mut edges = Vec::new();
        for _ in 0..count {
            edges.push(self.next_event().await);
        }
        edges
    }

    /// Waits for the server to close the connection: its close code and reason.
    async fn closed(&mut self) -> (u16, String) {
        loop {
            let frame = timeout(DEADLINE, self.0.next())
                .await
                .expect("closed in time");
            match frame {
                Some(Ok(Message::Close(Some(frame)))) => {
                    return (u16::from(frame.code), frame.reason.to_string());
                }
                Some(Ok(Message::Close(None))) => return (1005, String::new()),
                Some(Ok(_)) => {}
                Some(Err(error)) => panic!("expected a close frame, got {error}"),
                None => panic!("the connection ended without a close frame"),
            }
        }
    }

    /// Closes from our side and waits for the server's answering close.
    async fn close(mut self) {
        self.0.close(None).await.expect("close sent");
        let _ = self.closed().await;
    }
}

/// Every event of `key`'s client as `Query.events` pages it: edges `{ cursor node }`.
async fn logged(app: &TestApp, key: &str) -> Vec<Value> {
    let query = "query($after: String) { events(first: 100, after: $after) {
        edges { cursor node { id sequence type customerId } } pageInfo { endCursor } } }";
    let mut all = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let (status, body) = app.gql_as(key, query, json!({ "after": after })).await;
        assert_eq!(status, 200, "{body}");
        let edges = body["data"]["events"]["edges"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if edges.is_empty() {
            return all;
        }
        after = body["data"]["events"]["pageInfo"]["endCursor"]
            .as_str()
            .map(str::to_owned);
        all.extend(edges);
    }
}

/// The cursor after the last event of `key`'s client.
async fn end_cursor(app: &TestApp, key: &str) -> String {
    let all = logged(app, key).await;
    all.last().expect("the seed is evented")["cursor"]
        .as_str()
        .expect("cursor")
        .to_owned()
}

/// A key in our format that no client has.
fn unknown_key() -> String {
    format!("l2_nosuchke_{}", "0".repeat(40))
}

fn types(edges: &[Value]) -> Vec<&str> {
    edges
        .iter()
        .map(|e| e["node"]["type"].as_str().unwrap_or_default())
        .collect()
}

fn sequences(edges: &[Value]) -> Vec<i64> {
    edges
        .iter()
        .map(|e| e["node"]["sequence"].as_i64().unwrap_or_default())
        .collect()
}

fn ids(edges: &[Value]) -> Vec<&Value> {
    edges.iter().map(|e| &e["node"]["id"]).collect()
}

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
