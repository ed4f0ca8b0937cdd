//! Subscriptions over WebSocket against the real server: the key in `connection_init`, the
//! log replayed from a cursor and then followed live in order and per tenant, resuming
//! without gaps or repeats, both protocols, several replicas, and every bound.

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::harness::TestApp;

mod bounds;
mod streams;

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
