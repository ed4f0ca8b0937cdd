//! What a connection lets through to async-graphql once the caller is known: subscriptions
//! only, one root field each, a bounded number at once under unique ids, each with the
//! caller's request context. Everything else is answered or closes the connection here.

use std::collections::HashSet;

use async_graphql::http::{ClientMessage, WebSocketProtocols};
use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationType, Selection, SelectionSet,
};
use serde_json::json;

/// What to do with one client message.
pub(super) enum Verdict {
    /// Hand it to async-graphql.
    Forward(Box<ClientMessage>),
    /// Answer the client with this message, and forward nothing.
    Answer(String),
    /// Close the connection with this code and reason.
    Close(u16, String),
}

/// A connection's subscriptions as the client sees them.
pub(super) struct Gate {
    protocol: WebSocketProtocols,
    max_subscriptions: usize,
    /// The ids of the subscriptions running (started, neither stopped nor completed).
    running: HashSet<String>,
}

impl Gate {
    pub(super) fn new(protocol: WebSocketProtocols, max_subscriptions: usize) -> Self {
        Self {
            protocol,
            max_subscriptions,
            running: HashSet::new(),
        }
    }

    /// Judges a text message from the client; `attach` gives a subscription's request the
    /// caller's context.
    pub(super) fn inbound(
        &mut self,
        text: &str,
        attach: impl FnOnce(async_graphql::Request) -> async_graphql::Request,
    ) -> Verdict {
        let message = match serde_json::from_str::<ClientMessage>(text) {
            Ok(message) => message,
            Err(_) => return Verdict::Close(4400, "Invalid message".into()),
        };
        match message {
            ClientMessage::ConnectionInit { .. } => {
                Verdict::Close(4429, "Too many initialisation requests".into())
            }
            ClientMessage::Start { id, payload } => {
                if self.running.contains(&id) {
                    return Verdict::Close(4409, format!("Subscriber for {id} already exists"));
                }
                if let Err((code, message)) = one_subscription(&payload) {
                    return Verdict::Answer(self.error(&id, code, message));
                }
                if self.running.len() >= self.max_subscriptions {
                    let message = format!(
                        "this connection already runs {} subscriptions, the most it may; \
                         complete one first",
                        self.max_subscriptions
                    );
                    return Verdict::Answer(self.error(&id, "TOO_MANY_SUBSCRIPTIONS", &message));
                }
                self.running.insert(id.clone());
                Verdict::Forward(Box::new(ClientMessage::Start {
                    id,
                    payload: attach(payload),
                }))
            }
            ClientMessage::Stop { id } => {
                self.running.remove(&id);
                Verdict::Forward(Box::new(ClientMessage::Stop { id }))
            }
            ClientMessage::ConnectionTerminate => Verdict::Close(1000, String::new()),
            other => Verdict::Forward(Box::new(other)),
        }
    }

    /// Notes a message async-graphql sends: a `complete` ends a subscription.
    pub(super) fn outbound(&mut self, text: &str) {
        // async-graphql writes the tag first, so other messages (events) are not parsed.
        if text.starts_with(r#"{"type":"complete""#)
            && let Ok(complete) = serde_json::from_str::<Completed>(text)
        {
            self.running.remove(&complete.id);
        }
    }

    /// The protocol's error message for subscription `id`: it ends that subscription only.
    fn error(&self, id: &str, code: &str, message: &str) -> String {
        let error = json!({ "message": message, "extensions": { "code": code } });
        let payload = match self.protocol {
            WebSocketProtocols::GraphQLWS => json!([error]),
            WebSocketProtocols::SubscriptionsTransportWS => error,
        };
        json!({ "type": "error", "id": id, "payload": payload }).to_string()
    }
}

#[derive(serde::Deserialize)]
struct Completed {
    id: String,
}

/// Refuses anything but a subscription of one root field (a query or mutation belongs on
/// HTTP, with its deadline). A document that does not parse is left to async-graphql, which
/// reports the syntax error.
fn one_subscription(request: &async_graphql::Request) -> Result<(), (&'static str, &'static str)> {
    let Ok(document) = async_graphql::parser::parse_query(&request.query) else {
        return Ok(());
    };
    let operation = match (&document.operations, request.operation_name.as_deref()) {
        (DocumentOperations::Single(operation), _) => Some(&operation.node),
        (DocumentOperations::Multiple(operations), Some(name)) => {
            operations.get(name).map(|operation| &operation.node)
        }
        (DocumentOperations::Multiple(operations), None) if operations.len() == 1 => {
            operations.values().next().map(|operation| &operation.node)
        }
        // Unnamed among several, or a name that is not there: async-graphql says which.
        (DocumentOperations::Multiple(_), None) => None,
    };
    let Some(operation) = operation else {
        return Ok(());
    };
    if operation.ty != OperationType::Subscription {
        return Err((
            "BAD_REQUEST",
            "only subscriptions run over WebSocket: send queries and mutations over HTTP",
        ));
    }
    if root_fields(&document, &operation.selection_set.node, 0) != 1 {
        return Err((
            "GRAPHQL_VALIDATION_FAILED",
            "a subscription selects exactly one root field",
        ));
    }
    Ok(())
}

/// How many fields a selection set selects at its own level, through fragments (each
/// counted as often as spread, to a bounded depth, so a fragment cycle ends).
fn root_fields(document: &ExecutableDocument, set: &SelectionSet, depth: usize) -> usize {
    if depth > 8 {
        return usize::MAX / 2;
    }
    set.items
        .iter()
        .map(|selection| match &selection.node {
            Selection::Field(_) => 1,
            Selection::InlineFragment(inline) => {
                root_fields(document, &inline.node.selection_set.node, depth + 1)
            }
            Selection::FragmentSpread(spread) => document
                .fragments
                .get(&spread.node.fragment_name.node)
                .map_or(0, |fragment| {
                    root_fields(document, &fragment.node.selection_set.node, depth + 1)
                }),
        })
        .fold(0, usize::saturating_add)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start(id: &str, query: &str) -> String {
        json!({ "type": "subscribe", "id": id, "payload": { "query": query } }).to_string()
    }

    fn verdict(gate: &mut Gate, text: &str) -> Verdict {
        gate.inbound(text, |request| request)
    }

    const EVENTS: &str = "subscription { events { cursor } }";

    #[test]
    fn only_single_field_subscriptions_pass() {
        let mut gate = Gate::new(WebSocketProtocols::GraphQLWS, 10);
        assert!(matches!(
            verdict(&mut gate, &start("1", EVENTS)),
            Verdict::Forward(_)
        ));
        for refused in [
            "{ viewer { id } }",
            "mutation { x }",
            "subscription { a: events { cursor } b: events { cursor } }",
            "subscription { ...F } fragment F on Subscription { a: events { cursor } b: events { cursor } }",
        ] {
            match verdict(&mut gate, &start("2", refused)) {
                Verdict::Answer(text) => assert!(text.contains(r#""id":"2""#), "{text}"),
                _ => panic!("{refused} should be answered with an error"),
            }
        }
    }

    #[test]
    fn ids_are_unique_and_running_subscriptions_bounded() {
        let mut gate = Gate::new(WebSocketProtocols::SubscriptionsTransportWS, 1);
        assert!(matches!(
            verdict(&mut gate, &start("1", EVENTS)),
            Verdict::Forward(_)
        ));
        assert!(matches!(
            verdict(&mut gate, &start("1", EVENTS)),
            Verdict::Close(4409, _)
        ));
        match verdict(&mut gate, &start("2", EVENTS)) {
            Verdict::Answer(text) => assert!(text.contains("TOO_MANY_SUBSCRIPTIONS"), "{text}"),
            _ => panic!("a second subscription is over the bound"),
        }
        gate.outbound(r#"{"type":"complete","id":"1"}"#);
        assert!(matches!(
            verdict(&mut gate, &start("2", EVENTS)),
            Verdict::Forward(_)
        ));
        assert!(matches!(
            verdict(&mut gate, r#"{"type":"connection_init"}"#),
            Verdict::Close(4429, _)
        ));
        assert!(matches!(
            verdict(&mut gate, "not json"),
            Verdict::Close(4400, _)
        ));
    }
}
