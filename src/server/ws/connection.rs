//! One WebSocket connection: its frames read on the actix worker, and on the main runtime
//! the handshake (the key in `connection_init`, within the init timeout, a place among the
//! key's connections), then async-graphql's protocol behind the gate, pings, and the close.

use std::pin::pin;
use std::time::Duration;

use actix_web::web;
use actix_ws::{AggregatedMessage, AggregatedMessageStream, CloseCode, CloseReason, Session};
use async_graphql::http::{ClientMessage, WebSocket, WebSocketProtocols, WsMessage};
use futures_util::StreamExt;
use serde_json::json;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use super::gate::{Gate, Verdict};
use super::places::Place;
use crate::auth::AuthError;
use crate::domain::client::Environment;
use crate::domain::tenancy::Principal;
use crate::graphql::subscription::PollInterval;
use crate::server::AppState;

/// What the frame reader hands on.
pub(super) enum Inbound {
    Text(String),
    /// A ping or pong: the client is there.
    Alive,
    /// The client closed, or the connection ended.
    Closed,
    /// A frame we cannot take: close with this code and reason.
    Broken(u16, &'static str),
}

/// Reads the client's frames until it closes or the connection's task ends (the receiver
/// dropped). Pings are answered here, where they arrive.
pub(super) async fn read_frames(
    mut frames: AggregatedMessageStream,
    mut session: Session,
    inbound: mpsc::Sender<Inbound>,
) {
    loop {
        let frame = tokio::select! {
            frame = frames.recv() => frame,
            () = inbound.closed() => return,
        };
        let item = match frame {
            Some(Ok(AggregatedMessage::Text(text))) => Inbound::Text(text.to_string()),
            Some(Ok(AggregatedMessage::Ping(bytes))) => {
                let _ = session.pong(&bytes).await;
                Inbound::Alive
            }
            Some(Ok(AggregatedMessage::Pong(_))) => Inbound::Alive,
            Some(Ok(AggregatedMessage::Binary(_))) => {
                Inbound::Broken(4400, "Binary messages are not part of the protocol")
            }
            Some(Err(actix_ws::ProtocolError::Overflow)) => {
                Inbound::Broken(1009, "Message too large")
            }
            Some(Err(actix_ws::ProtocolError::Io(error)))
                if error.kind() == std::io::ErrorKind::InvalidData =>
            {
                Inbound::Broken(1007, "Text is not UTF-8")
            }
            // A continuation past the limit, or the connection failing (nobody hears that).
            Some(Err(actix_ws::ProtocolError::Io(_))) => Inbound::Broken(1009, "Message too large"),
            Some(Err(_)) => Inbound::Broken(1002, "Invalid frame"),
            Some(Ok(AggregatedMessage::Close(_))) | None => Inbound::Closed,
        };
        let last = matches!(item, Inbound::Closed | Inbound::Broken(..));
        if inbound.send(item).await.is_err() || last {
            return;
        }
    }
}

/// A new connection's parts.
pub(super) struct Connection {
    pub state: web::Data<AppState>,
    pub protocol: WebSocketProtocols,
    pub session: Session,
    pub inbound: mpsc::Receiver<Inbound>,
}

/// How a connection ends.
enum End {
    /// The client went away: answer its close, if it can still hear it.
    Gone,
    /// We close it, with this code and reason.
    Close(u16, String),
    /// We refuse `connection_init`: the legacy protocol hears `connection_error` first.
    Refuse(u16, String),
}

fn going_away() -> End {
    End::Close(1001, "Server shutting down".into())
}

/// The longest a close frame may take to go out before the connection is dropped anyway.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

/// Serves one connection to its end.
pub(super) async fn serve(mut connection: Connection) {
    let end = connection.run().await;
    let Connection {
        protocol,
        mut session,
        ..
    } = connection;
    let reason = match end {
        End::Gone => None,
        End::Refuse(code, reason) => {
            if protocol == WebSocketProtocols::SubscriptionsTransportWS {
                let error = json!({ "type": "connection_error", "payload": { "message": reason } });
                let _ = tokio::time::timeout(CLOSE_TIMEOUT, session.text(error.to_string())).await;
            }
            Some((code, reason))
        }
        End::Close(code, reason) => Some((code, reason)),
    };
    if let Some((code, reason)) = &reason {
        tracing::info!(target: "layer2::subscriptions", code, reason = %reason, "WebSocket closed");
    }
    let reason = reason.map(|(code, reason)| CloseReason {
        code: CloseCode::from(code),
        description: (!reason.is_empty()).then_some(reason),
    });
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, session.close(reason)).await;
}

impl Connection {
    async fn run(&mut self) -> End {
        let mut closing = self.state.subscriptions.closing.subscribe();
        let (principal, credential, _place) = tokio::select! {
            admitted = self.handshake() => match admitted {
                Ok(admitted) => admitted,
                Err(end) => return end,
            },
            () = shut_down(&mut closing) => return going_away(),
        };
        self.relay(principal, &credential, &mut closing).await
    }

    /// Whether the credential the connection was opened with still holds: a revoked or
    /// expired one ends it (4401); the database being away does not.
    async fn still_admitted(&self, credential: &str) -> Result<(), End> {
        let state = &self.state;
        match state
            .keys
            .authenticate(&state.db, &*state.ops.clock, Some(credential))
            .await
        {
            Ok(_) | Err(AuthError::Unavailable) => Ok(()),
            Err(_) => Err(End::Close(
                4401,
                "Unauthorized: the credentials were revoked or have expired".into(),
            )),
        }
    }

    /// Relays between the client, through the gate, and async-graphql, pinging meanwhile,
    /// until one side ends or the server shuts down.
    async fn relay(
        &mut self,
        principal: Principal,
        credential: &str,
        closing: &mut watch::Receiver<bool>,
    ) -> End {
        let settings = self.state.subscriptions.settings;
        let state = self.state.clone();
        let attach = |request| with_caller(&state, principal, settings.poll_interval, request);
        let (to_graphql, graphql) = graphql_side(&state, principal, self.protocol);
        let mut graphql = pin!(graphql);
        let mut gate = Gate::new(self.protocol, settings.max_subscriptions_per_connection);
        let mut last_heard = Instant::now();
        let mut ping =
            tokio::time::interval_at(Instant::now() + settings.keep_alive, settings.keep_alive);
        ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut check = tokio::time::interval_at(
            Instant::now() + settings.credential_check,
            settings.credential_check,
        );
        check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let outcome = tokio::select! {
                () = shut_down(closing) => Err(going_away()),
                item = self.inbound.recv() => {
                    last_heard = Instant::now();
                    match item {
                        None | Some(Inbound::Closed) => Err(End::Gone),
                        Some(Inbound::Broken(code, reason)) => Err(End::Close(code, reason.into())),
                        Some(Inbound::Alive) => Ok(()),
                        Some(Inbound::Text(text)) => match gate.inbound(&text, attach) {
                            Verdict::Forward(message) => to_graphql
                                .send(*message)
                                .map_err(|_| End::Close(1011, "Internal error".into())),
                            Verdict::Answer(text) => self.send(text, settings.keep_alive).await,
                            Verdict::Close(code, reason) => Err(End::Close(code, reason)),
                        },
                    }
                },
                message = graphql.next() => match message {
                    Some(WsMessage::Text(text)) => {
                        gate.outbound(&text);
                        self.send(text, settings.keep_alive).await
                    }
                    Some(WsMessage::Close(code, reason)) => Err(End::Close(code, reason)),
                    None => Err(End::Close(1000, String::new())),
                },
                _ = check.tick() => self.still_admitted(credential).await,
                _ = ping.tick() => {
                    if last_heard.elapsed() > settings.keep_alive * 2 {
                        Err(End::Close(3008, "Keep-alive timeout: no pong".into()))
                    } else {
                        self.ping(settings.keep_alive).await
                    }
                }
            };
            if let Err(end) = outcome {
                return end;
            }
        }
    }

    /// Pings the client; one that is gone, or whose socket takes nothing for `timeout`,
    /// ends the connection.
    async fn ping(&mut self, timeout: Duration) -> Result<(), End> {
        match tokio::time::timeout(timeout, self.session.ping(b"")).await {
            Ok(Ok(())) => Ok(()),
            _ => Err(End::Gone),
        }
    }

    /// Sends a text message; a client that does not take it within `timeout` (or that is
    /// gone) ends the connection.
    async fn send(&mut self, text: String, timeout: Duration) -> Result<(), End> {
        match tokio::time::timeout(timeout, self.session.text(text)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(End::Gone),
            Err(_) => Err(End::Close(1001, "Client too slow to take messages".into())),
        }
    }

    /// Waits for `connection_init` (answering pings meanwhile), within the init timeout;
    /// admits the caller its key names if that key holds a free place.
    async fn handshake(&mut self) -> Result<(Principal, String, Place), End> {
        let settings = self.state.subscriptions.settings;
        let deadline = Instant::now() + settings.init_timeout;
        loop {
            let item = match tokio::time::timeout_at(deadline, self.inbound.recv()).await {
                Err(_) => return Err(End::Close(4408, "Connection initialisation timeout".into())),
                Ok(item) => item,
            };
            let text = match item {
                None | Some(Inbound::Closed) => return Err(End::Gone),
                Some(Inbound::Broken(code, reason)) => return Err(End::Close(code, reason.into())),
                Some(Inbound::Alive) => continue,
                Some(Inbound::Text(text)) => text,
            };
            match serde_json::from_str::<ClientMessage>(&text) {
                Ok(ClientMessage::ConnectionInit { payload }) => return self.admit(payload).await,
                Ok(ClientMessage::Ping { .. }) => {
                    let pong = json!({ "type": "pong" }).to_string();
                    self.send(pong, settings.keep_alive).await?;
                }
                Ok(ClientMessage::Pong { .. }) => {}
                Ok(_) => return Err(End::Close(4401, "Unauthorized".into())),
                Err(_) => return Err(End::Close(4400, "Invalid message".into())),
            }
        }
    }

    /// The caller `connection_init`'s `Authorization` names, with that credential and its
    /// place.
    async fn admit(
        &self,
        payload: Option<serde_json::Value>,
    ) -> Result<(Principal, String, Place), End> {
        let subscriptions = &self.state.subscriptions;
        let header = payload.as_ref().and_then(authorization);
        let principal = match self
            .state
            .keys
            .authenticate(&self.state.db, &*self.state.ops.clock, header)
            .await
        {
            Ok(principal) => principal,
            Err(AuthError::Unavailable) => {
                return Err(End::Refuse(1013, AuthError::Unavailable.message().into()));
            }
            Err(AuthError::Missing) => {
                return Err(End::Refuse(
                    4403,
                    "Forbidden: send {\"Authorization\": \"Bearer <api key>\"} in connection_init"
                        .into(),
                ));
            }
            Err(error) => return Err(End::Refuse(4403, format!("Forbidden: {}", error.message()))),
        };
        let max = subscriptions.settings.max_connections_per_key;
        // An access token holds places of its own (each browser or app its own), never its
        // key's: no token can take the places of its client's backend.
        let holder = match principal.grant() {
            Some(grant) => crate::domain::ids::ApiKeyId(grant.token.0),
            None => principal.key_id(),
        };
        match subscriptions.places.take(holder, max) {
            Some(place) => Ok((principal, header.unwrap_or_default().to_owned(), place)),
            None => Err(End::Refuse(
                4429,
                format!("Too many connections: at most {max} per API key or access token"),
            )),
        }
    }
}

/// async-graphql's side of the protocol for `principal`: fed the `connection_init` we
/// already judged, then whatever the gate lets by.
fn graphql_side(
    state: &AppState,
    principal: Principal,
    protocol: WebSocketProtocols,
) -> (
    mpsc::UnboundedSender<ClientMessage>,
    impl futures_util::Stream<Item = WsMessage> + Send + use<>,
) {
    let schema = match principal.environment() {
        Environment::Sandbox => state.schema.clone(),
        Environment::Production => state.quiet_schema.clone(),
    };
    let (to_graphql, mut from_gate) = mpsc::unbounded_channel();
    let _ = to_graphql.send(ClientMessage::ConnectionInit { payload: None });
    let messages = futures_util::stream::poll_fn(move |cx| {
        from_gate
            .poll_recv(cx)
            .map(|message| message.map(Ok::<_, serde_json::Error>))
    });
    let graphql = WebSocket::from_message_stream(schema, messages, protocol)
        .on_connection_init(|_| futures_util::future::ready(Ok(async_graphql::Data::default())));
    (to_graphql, graphql)
}

/// `request` with the caller's context, as the HTTP handler gives every query: the
/// principal, the database and settings, its own cost record and loaders.
fn with_caller(
    state: &AppState,
    principal: Principal,
    poll_interval: Duration,
    request: async_graphql::Request,
) -> async_graphql::Request {
    crate::graphql::loaders::attach(
        request,
        &state.db,
        principal.scope(),
        crate::graphql::loaders::Batches::immediate(),
    )
    .data(state.request_context(principal, Default::default(), None))
    .data(PollInterval(poll_interval))
}

/// Resolves once the server starts shutting down.
async fn shut_down(closing: &mut watch::Receiver<bool>) {
    // An error means the sender is gone: the server is gone too.
    let _ = closing.wait_for(|closing| *closing).await;
}

/// The `Authorization` entry of a `connection_init` payload (any letter case), as the HTTP
/// header would carry it: `Bearer <api key>`.
fn authorization(payload: &serde_json::Value) -> Option<&str> {
    payload
        .as_object()?
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("authorization"))
        .and_then(|(_, value)| value.as_str())
}
