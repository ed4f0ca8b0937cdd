//! GraphQL subscriptions over WebSocket at `/graphql` (`graphql-transport-ws`, and the legacy
//! `graphql-ws`): the upgrade, the bounds and their settings. Events come from the log.

mod connection;
mod gate;
mod places;

use std::sync::Arc;
use std::time::Duration;

use actix_web::guard::GuardContext;
use actix_web::http::StatusCode;
use actix_web::http::header::{SEC_WEBSOCKET_PROTOCOL, UPGRADE};
use actix_web::{HttpRequest, HttpResponse, web};
use async_graphql::http::WebSocketProtocols;

use super::AppState;
use super::http_graphql::error_response;

/// Bounds and timings of subscriptions (each per server process).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubscriptionSettings {
    /// WebSocket connections one API key may hold open at once; more are closed with 4429.
    pub max_connections_per_key: usize,
    /// Subscriptions one connection may run at once; another is answered with an error.
    pub max_subscriptions_per_connection: usize,
    /// How long a new connection has to send `connection_init` (4408 after).
    pub init_timeout: Duration,
    /// How often the server pings; a connection silent for two intervals is closed (3008).
    pub keep_alive: Duration,
    /// How often a subscription re-reads the log for events other replicas committed.
    pub poll_interval: Duration,
    /// Largest message a client may send, in bytes (1009 beyond).
    pub max_message_bytes: usize,
    /// How often an open connection's credential is checked again (through the key cache):
    /// one revoked or expired since `connection_init` closes it with 4401.
    pub credential_check: Duration,
}

impl Default for SubscriptionSettings {
    fn default() -> Self {
        Self {
            max_connections_per_key: 5,
            max_subscriptions_per_connection: 10,
            init_timeout: Duration::from_secs(10),
            keep_alive: Duration::from_secs(15),
            poll_interval: Duration::from_secs(1),
            max_message_bytes: 64 * 1024,
            credential_check: Duration::from_secs(1),
        }
    }
}

/// The server's WebSocket connections: their settings, the places each key holds, and the
/// signal that closes them all at shutdown.
pub struct Subscriptions {
    settings: SubscriptionSettings,
    places: places::Places,
    closing: tokio::sync::watch::Sender<bool>,
}

impl Subscriptions {
    pub fn new(settings: SubscriptionSettings) -> Arc<Self> {
        Arc::new(Self {
            settings,
            places: places::Places::default(),
            closing: tokio::sync::watch::Sender::new(false),
        })
    }

    /// Closes every connection (1001) and refuses new ones: the first step of shutdown, so
    /// that open sockets do not hold the server's stop until its timeout.
    pub fn close_all(&self) {
        self.closing.send_replace(true);
    }

    fn is_closing(&self) -> bool {
        *self.closing.borrow()
    }
}

/// Whether a request asks to become a WebSocket (`Upgrade: websocket`).
pub fn is_upgrade(ctx: &GuardContext<'_>) -> bool {
    ctx.head()
        .headers()
        .get(UPGRADE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.trim().eq_ignore_ascii_case("websocket"))
}

/// The first subprotocol the client offers that we speak.
fn offered_protocol(req: &HttpRequest) -> Option<WebSocketProtocols> {
    req.headers()
        .get_all(SEC_WEBSOCKET_PROTOCOL)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .find_map(|offered| offered.trim().parse().ok())
}

/// `GET /graphql` with `Upgrade: websocket`. No `Authorization` header is needed (browsers
/// cannot send one): the key comes in `connection_init`.
pub async fn upgrade(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Payload,
) -> HttpResponse {
    let Some(protocol) = offered_protocol(&req) else {
        return error_response(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            "offer the WebSocket subprotocol graphql-transport-ws (or the legacy graphql-ws)",
        );
    };
    let subscriptions = state.subscriptions.clone();
    if subscriptions.is_closing() {
        return error_response(
            StatusCode::SERVICE_UNAVAILABLE,
            "UNAVAILABLE",
            "the server is shutting down; reconnect shortly",
        );
    }
    let (response, session, frames) =
        match actix_ws::handle_with_protocols(&req, body, &[protocol.sec_websocket_protocol()]) {
            Ok(parts) => parts,
            Err(error) => return error.error_response(),
        };
    let limit = subscriptions.settings.max_message_bytes;
    let frames = frames
        .max_frame_size(limit)
        .aggregate_continuations()
        .max_continuation_size(limit);
    let (inbound_tx, inbound) = tokio::sync::mpsc::channel(16);
    // The frames can only be read on this worker; everything else runs on the main runtime,
    // where a subscription's database read may be dropped midway safely.
    actix_web::rt::spawn(connection::read_frames(frames, session.clone(), inbound_tx));
    state
        .runtime
        .spawn(connection::serve(connection::Connection {
            state: state.clone(),
            protocol,
            session,
            inbound,
        }));
    response
}
