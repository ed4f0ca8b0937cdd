//! Webhooks: subscriptions (where a client's events are sent, signed by the Standard
//! Webhooks scheme), their delivery attempts, and the mutations that manage them. Secrets
//! are shown once: by `createWebhookSubscription` and `rotateWebhookSecret`.

use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::customers::target_client_id;
use super::error::{ApiError, ApiResult};
use super::events::Event;
use super::node::{self, NodeKind};
use super::pagination::{DEFAULT_PAGE, PageInfo, decode_cursor_of, encode_cursor};
use super::request;
use crate::domain::event::EventType;
use crate::domain::patch::Patch;
use crate::domain::webhook::{WebhookAttemptId, WebhookDeliveryOutcome, WebhookSubscriptionId};
use crate::ops::webhooks::{
    create_subscription, delete_subscription, ping_subscription, read, redeliver_event,
    rotate_secret, update_subscription,
};
use crate::store::webhooks::{Attempt, Subscription};

/// Where a client's events of some types are sent.
#[derive(Clone)]
pub struct WebhookSubscription(pub Subscription);

/// Where a client's events of some types are sent, each as a signed POST (Standard
/// Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature`).
#[Object]
impl WebhookSubscription {
    /// The subscription's global id.
    pub async fn id(&self) -> ID {
        node::encode(NodeKind::WebhookSubscription, self.0.id.0)
    }

    /// Where deliveries are POSTed.
    async fn url(&self) -> &str {
        &self.0.url
    }

    /// The event types sent to it.
    async fn event_types(&self) -> ApiResult<Vec<EventType>> {
        Ok(self.0.types()?)
    }

    /// The client's note about it.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// Whether events are being sent. While disabled, its events wait: re-enabled, it
    /// resumes where it stopped (as long as the log still holds them, 30 days by default).
    async fn enabled(&self) -> bool {
        self.0.enabled
    }

    /// Why it is disabled: by the client, or after its deliveries failed for the whole
    /// retry window.
    async fn disabled_reason(&self) -> Option<&str> {
        self.0.disabled_reason.as_deref()
    }

    /// Until when the secret before the last rotation still signs deliveries (a second
    /// signature), if it does.
    async fn previous_secret_expires_at(&self) -> Option<DateTime<Utc>> {
        self.0.previous_secret_until.map(|t| t.0)
    }

    /// When it was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at.0
    }

    /// When it last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at.0
    }

    /// Every attempt to deliver to it, newest first.
    async fn deliveries(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "At most this many attempts (1 to 100; default 20).")] first: Option<i32>,
        #[graphql(desc = "Attempts after this cursor (older ones).")] after: Option<String>,
        #[graphql(desc = "Only attempts that ended so.")] status: Option<WebhookDeliveryOutcome>,
    ) -> ApiResult<WebhookDeliveryConnection> {
        let rc = request(ctx)?;
        let before = match &after {
            Some(cursor) => Some(WebhookAttemptId(
                decode_cursor_of::<uuid::Uuid>(cursor).ok_or_else(|| {
                    ApiError::bad_input("after", "not a valid cursor for this list")
                })?,
            )),
            None => None,
        };
        let first = i64::from(first.unwrap_or(DEFAULT_PAGE));
        let (attempts, more) = read::deliveries(&rc.cx(), self.0.id, before, status, first).await?;
        let edges: Vec<WebhookDeliveryEdge> = attempts
            .into_iter()
            .map(|(attempt, event)| WebhookDeliveryEdge {
                cursor: encode_cursor(&attempt.id.0),
                node: WebhookDelivery { attempt, event },
            })
            .collect();
        Ok(WebhookDeliveryConnection {
            page_info: PageInfo {
                has_next_page: more,
                has_previous_page: after.is_some(),
                start_cursor: edges.first().map(|e| e.cursor.clone()),
                end_cursor: edges.last().map(|e| e.cursor.clone()),
            },
            nodes: edges.iter().map(|e| e.node.clone()).collect(),
            edges,
        })
    }
}

/// One attempt to deliver an event to a subscription.
#[derive(Clone)]
pub struct WebhookDelivery {
    attempt: Attempt,
    event: Option<crate::store::events::Event>,
}

/// One attempt to deliver an event to a subscription.
#[Object]
impl WebhookDelivery {
    /// The event sent (null once the log has swept it).
    async fn event(&self) -> Option<Event> {
        self.event.clone().map(Event)
    }

    /// The id of the event sent (its `webhook-id`, the same on every attempt).
    async fn event_id(&self) -> ID {
        ID(self.attempt.event_id.0.to_string())
    }

    /// Which attempt at this message it was (1 for the first).
    async fn attempt(&self) -> i64 {
        self.attempt.attempt
    }

    /// How it ended: SUCCEEDED on any 2xx answer.
    async fn status(&self) -> WebhookDeliveryOutcome {
        self.attempt.outcome
    }

    /// When it was made.
    async fn attempted_at(&self) -> DateTime<Utc> {
        self.attempt.attempted_at.0
    }

    /// The receiver's HTTP status, if it answered.
    async fn response_status(&self) -> Option<i64> {
        self.attempt.response_status
    }

    /// How long it took, in milliseconds.
    async fn latency_ms(&self) -> i64 {
        self.attempt.latency_ms
    }

    /// The start of the receiver's answer (at most 1 KiB).
    async fn response_body(&self) -> Option<&str> {
        self.attempt.response_body.as_deref()
    }

    /// Why it failed without an answer (a timeout, a refused address, no connection).
    async fn error(&self) -> Option<&str> {
        self.attempt.error.as_deref()
    }

    /// When the message is tried again, after a failure (null once delivered or given up).
    async fn next_attempt_at(&self) -> Option<DateTime<Utc>> {
        self.attempt.next_attempt_at.map(|t| t.0)
    }
}

/// One attempt of a page and its cursor.
#[derive(Clone, SimpleObject)]
pub struct WebhookDeliveryEdge {
    /// Where this attempt sits, for `after`.
    pub cursor: String,
    /// The attempt.
    pub node: WebhookDelivery,
}

/// A page of delivery attempts, newest first.
#[derive(SimpleObject)]
pub struct WebhookDeliveryConnection {
    /// The attempts with their cursors.
    pub edges: Vec<WebhookDeliveryEdge>,
    /// The attempts alone.
    pub nodes: Vec<WebhookDelivery>,
    /// Where this page sits.
    pub page_info: PageInfo,
}

/// A subscription with its signing secret, shown only here.
#[derive(SimpleObject)]
pub struct WebhookSubscriptionWithSecret {
    /// The subscription.
    pub subscription: WebhookSubscription,
    /// The signing secret (`whsec_` and base64), for a Standard Webhooks library. Shown
    /// once: store it now.
    pub secret: String,
}

/// What `pingWebhookSubscription` queued.
#[derive(SimpleObject)]
pub struct WebhookPingPayload {
    /// The subscription.
    pub subscription: WebhookSubscription,
    /// The id of the PING event sent to it (its `webhook-id`).
    pub event_id: ID,
}

/// What `redeliverEvent` queued.
#[derive(SimpleObject)]
pub struct RedeliverEventPayload {
    /// The subscription it is sent to.
    pub subscription: WebhookSubscription,
    /// The event sent again.
    pub event: Event,
}

/// What `deleteWebhookSubscription` removed.
#[derive(SimpleObject)]
pub struct DeleteWebhookSubscriptionPayload {
    /// The id of the subscription deleted.
    pub deleted_id: ID,
}

fn subscription_id(id: &ID) -> ApiResult<WebhookSubscriptionId> {
    Ok(WebhookSubscriptionId(node::decode_as(
        id,
        NodeKind::WebhookSubscription,
    )?))
}

fn with_secret(row: Subscription) -> WebhookSubscriptionWithSecret {
    WebhookSubscriptionWithSecret {
        secret: row.secret.clone(),
        subscription: WebhookSubscription(row),
    }
}

/// Webhook reads.
#[derive(Default)]
pub struct WebhookQuery;

/// Webhook reads.
#[Object]
impl WebhookQuery {
    /// The client's webhook subscriptions (at most 20), oldest first.
    async fn webhook_subscriptions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The client's global id; required for the operator.")] client_id: Option<
            ID,
        >,
    ) -> ApiResult<Vec<WebhookSubscription>> {
        let rc = request(ctx)?;
        let client = target_client_id(client_id.as_ref())?;
        let rows = read::list(&rc.cx(), client).await?;
        Ok(rows.into_iter().map(WebhookSubscription).collect())
    }

    /// A webhook subscription by its global id; another client's is NOT_FOUND.
    async fn webhook_subscription(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The subscription's global id.")] id: ID,
    ) -> ApiResult<WebhookSubscription> {
        let rc = request(ctx)?;
        Ok(WebhookSubscription(
            read::one(&rc.cx(), subscription_id(&id)?).await?,
        ))
    }
}

/// Webhook subscriptions.
#[derive(Default)]
pub struct WebhookMutation;

/// Webhook subscriptions.
#[Object]
impl WebhookMutation {
    /// Subscribes a URL to event types: every later event of those types is POSTed to it,
    /// signed. Returns the signing secret once. The URL must be https (http for SANDBOX
    /// clients), and its host must not resolve to a loopback, private, link-local or
    /// metadata address (BAD_USER_INPUT). At most 20 per client
    /// (WEBHOOK_SUBSCRIPTION_LIMIT_REACHED).
    async fn create_webhook_subscription(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Where to POST deliveries.")] url: String,
        #[graphql(desc = "The event types to send (at least one; not PING).")] event_types: Vec<
            EventType,
        >,
        #[graphql(desc = "A note (at most 500 characters).")] description: Option<String>,
        #[graphql(desc = "The client's global id; required for the operator.")] client_id: Option<
            ID,
        >,
    ) -> ApiResult<WebhookSubscriptionWithSecret> {
        let rc = request(ctx)?;
        let input = create_subscription::Input {
            url,
            event_types,
            description,
            client: target_client_id(client_id.as_ref())?,
        };
        Ok(with_secret(
            create_subscription::run(&rc.cx(), input).await?,
        ))
    }

    /// Changes a subscription's URL, event types, description or enabled flag (absent
    /// arguments keep their value; a null description clears it). Re-enabling resumes
    /// where delivery stopped, retrying what was given up.
    async fn update_webhook_subscription(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The subscription's global id.")] id: ID,
        #[graphql(desc = "A new URL.")] url: Option<String>,
        #[graphql(desc = "New event types.")] event_types: Option<Vec<EventType>>,
        #[graphql(desc = "A new note; null clears it.")] description: async_graphql::MaybeUndefined<
            String,
        >,
        #[graphql(desc = "Turn delivery off or back on.")] enabled: Option<bool>,
    ) -> ApiResult<WebhookSubscription> {
        let rc = request(ctx)?;
        let input = update_subscription::Input {
            id: subscription_id(&id)?,
            url,
            event_types,
            description: match description {
                async_graphql::MaybeUndefined::Undefined => Patch::Keep,
                async_graphql::MaybeUndefined::Null => Patch::Clear,
                async_graphql::MaybeUndefined::Value(text) => Patch::Set(text),
            },
            enabled,
        };
        Ok(WebhookSubscription(
            update_subscription::run(&rc.cx(), input).await?,
        ))
    }

    /// Deletes a subscription: nothing more is sent to it, and its delivery record goes.
    async fn delete_webhook_subscription(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The subscription's global id.")] id: ID,
    ) -> ApiResult<DeleteWebhookSubscriptionPayload> {
        let rc = request(ctx)?;
        delete_subscription::run(&rc.cx(), subscription_id(&id)?).await?;
        Ok(DeleteWebhookSubscriptionPayload { deleted_id: id })
    }

    /// Gives a subscription a new signing secret, returned once. For 24 hours deliveries
    /// carry two signatures (new and old), so the receiver can switch without a gap.
    async fn rotate_webhook_secret(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The subscription's global id.")] id: ID,
    ) -> ApiResult<WebhookSubscriptionWithSecret> {
        let rc = request(ctx)?;
        Ok(with_secret(
            rotate_secret::run(&rc.cx(), subscription_id(&id)?).await?,
        ))
    }

    /// Sends a PING event to this subscription only, at once: a way to test the receiver
    /// and its signature check.
    async fn ping_webhook_subscription(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The subscription's global id.")] id: ID,
    ) -> ApiResult<WebhookPingPayload> {
        let rc = request(ctx)?;
        let (row, event) = ping_subscription::run(&rc.cx(), subscription_id(&id)?).await?;
        Ok(WebhookPingPayload {
            subscription: WebhookSubscription(row),
            event_id: ID(event.0.to_string()),
        })
    }

    /// Sends one event to one subscription again (the same `webhook-id`), at once.
    async fn redeliver_event(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The event's id.")] event_id: ID,
        #[graphql(desc = "The subscription's global id.")] subscription_id: ID,
    ) -> ApiResult<RedeliverEventPayload> {
        let rc = request(ctx)?;
        let event = uuid::Uuid::parse_str(&event_id)
            .map(crate::domain::event::EventId)
            .map_err(|_| ApiError::bad_input("eventId", "not an event id"))?;
        let (row, event) =
            redeliver_event::run(&rc.cx(), event, self::subscription_id(&subscription_id)?).await?;
        Ok(RedeliverEventPayload {
            subscription: WebhookSubscription(row),
            event: Event(event),
        })
    }
}
