//! Webhooks: a client's subscriptions (one file per change to them), the fan-out of its
//! event log to them, and the deliverer's claims and records (`deliver`). Sending over HTTP
//! is the job's (`jobs::webhooks`); operations only read and write.

pub mod addresses;
pub mod create_subscription;
pub mod delete_subscription;
pub mod deliver;
pub mod fan_out;
pub mod ping_subscription;
pub mod read;
pub mod redeliver_event;
pub mod rotate_secret;
pub mod update_subscription;

use std::time::Duration;

use crate::db::Conn;
use crate::domain::client::Environment;
use crate::domain::event::EventType;
use crate::domain::ids::ClientId;
use crate::domain::webhook::{RetrySchedule, WebhookSubscriptionId, subscribable};
use crate::ops::{Cx, OpError, OpResult, target_client};
use crate::store;
use crate::store::webhooks::Subscription;

/// How webhooks are delivered.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    pub retry: RetrySchedule,
    /// Longest an attempt may take (connect, send, and the answer's head and capped body).
    pub timeout: Duration,
    /// Allow receivers on loopback, private and link-local addresses (tests, local
    /// development); never in production.
    pub allow_private_addresses: bool,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            retry: RetrySchedule::default(),
            timeout: Duration::from_secs(10),
            allow_private_addresses: false,
        }
    }
}

impl WebhookSettings {
    /// How long a deliverer holds a claimed message: one attempt and a margin. A replica
    /// that dies mid-attempt leaves it to be claimed again after this.
    pub fn lease(&self) -> Duration {
        self.timeout + Duration::from_secs(5)
    }
}

/// `NOT_FOUND` for a subscription.
pub fn not_found(id: WebhookSubscriptionId) -> OpError {
    OpError::NotFound(format!("webhook subscription {id}"))
}

/// The client the caller manages subscriptions of (the operator names it), and that
/// client's environment.
pub async fn managed_client(
    cx: &Cx<'_>,
    named: Option<ClientId>,
) -> OpResult<(ClientId, Environment)> {
    let client =
        target_client(cx.principal, named)?.ok_or_else(|| OpError::NotFound("client".into()))?;
    let mut pooled = cx.db.read().await?;
    let row = store::clients::find(&mut pooled.conn(), &cx.scope(), client)
        .await?
        .ok_or_else(|| OpError::NotFound("client".into()))?;
    Ok((client, row.environment))
}

/// The subscription `id` the caller reaches.
pub async fn find(
    tx: &mut Conn<'_>,
    cx: &Cx<'_>,
    id: WebhookSubscriptionId,
) -> OpResult<Subscription> {
    store::webhooks::find(tx, &cx.scope(), id)
        .await?
        .ok_or_else(|| not_found(id))
}

/// [`find`], locked until the transaction ends, for a change to it (concurrent changes then
/// take turns instead of overwriting each other).
pub async fn lock(
    tx: &mut Conn<'_>,
    cx: &Cx<'_>,
    id: WebhookSubscriptionId,
) -> OpResult<Subscription> {
    store::webhooks::find_for_update(tx, &cx.scope(), id)
        .await?
        .ok_or_else(|| not_found(id))
}

/// The event types a subscription names, checked (at least one; `PING` is not one to name)
/// and stored as JSON, without repeats, in catalogue order.
pub fn event_types_json(types: &[EventType]) -> OpResult<String> {
    if types.is_empty() {
        return Err(OpError::bad_input(
            "eventTypes",
            "name at least one event type",
        ));
    }
    if let Some(ping) = types.iter().find(|t| !subscribable(**t)) {
        return Err(OpError::bad_input(
            "eventTypes",
            format!("{ping} is sent only by pingWebhookSubscription, not subscribed to"),
        ));
    }
    let chosen: Vec<EventType> = EventType::ALL
        .iter()
        .copied()
        .filter(|t| types.contains(t))
        .collect();
    serde_json::to_string(&chosen).map_err(|e| OpError::internal(&e.to_string()))
}

/// A description, checked.
pub fn checked_description(description: Option<String>) -> OpResult<Option<String>> {
    let description = description
        .map(|d| d.trim().to_owned())
        .filter(|d| !d.is_empty());
    if description
        .as_ref()
        .is_some_and(|d| d.chars().count() > crate::domain::webhook::MAX_DESCRIPTION_LENGTH)
    {
        return Err(OpError::bad_input(
            "description",
            format!(
                "must be at most {} characters",
                crate::domain::webhook::MAX_DESCRIPTION_LENGTH
            ),
        ));
    }
    Ok(description)
}
